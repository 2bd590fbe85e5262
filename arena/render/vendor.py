"""The site's own copy of Vega + Vega-Lite + vega-embed (no CDN), and static assets.

`vl_convert.javascript_bundle()` takes ~3 s of CPU. The bundle depends only on the installed
vl-convert and Altair, so it is made once per environment, like an installed library: `make
setup` runs `python -m arena.render.vendor`, which writes it under the virtual environment
(`<venv>/share/arena/vega/`). Outside a virtual environment it goes to .arena-cache/vega/.
Each language copies it to `site_libs/vega/vega-bundle.js`.
"""
from __future__ import annotations

import os
import shutil
import sys
import threading
from importlib import metadata
from pathlib import Path

from arena.render.search import index_language as search_index   # noqa: F401 (build.py calls it)

TEMPLATES = Path(__file__).parent / "templates"
BUNDLE_REL = Path("site_libs/vega/vega-bundle.js")
ASSETS_REL = Path("site_libs/arena")


_LOCK = threading.Lock()


def bundle_dir(cache_dir: Path) -> Path:
    if sys.prefix != sys.base_prefix:          # a virtual environment: the bundle lives with it
        return Path(sys.prefix) / "share" / "arena" / "vega"
    return cache_dir / "vega"


def vega_bundle(cache_dir: Path) -> Path:
    """Vega-Lite in the bundle = the version Altair writes specs for (no version warning)."""
    version = f'{metadata.version("vl-convert-python")}-altair{metadata.version("altair")}'
    path = bundle_dir(cache_dir) / f"vega-bundle-{version}.js"
    with _LOCK:
        if path.exists():
            return path
        import altair
        import vl_convert as vlc

        vl_version = ".".join(altair.SCHEMA_VERSION.lstrip("v").split(".")[:2])   # "5.20"
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(vlc.javascript_bundle(vl_version=f"v{vl_version}"), encoding="utf-8")
        tmp.replace(path)
    return path


# The reader's tools (panels, popovers, previews, the language switch) serve both render paths;
# the layout stylesheet only this renderer's template.
READER_ASSETS = ("reader.css", "reader.js")


def install_assets(site_lang_dir: Path, cache_dir: Path, vega: bool = True, layout: bool = True) -> None:
    folder = site_lang_dir / ASSETS_REL
    folder.mkdir(parents=True, exist_ok=True)
    for name in READER_ASSETS + (("style.css",) if layout else ()):
        shutil.copyfile(TEMPLATES / name, folder / name)
    if vega:
        (site_lang_dir / BUNDLE_REL).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(vega_bundle(cache_dir), site_lang_dir / BUNDLE_REL)


def write_root_index(site: Path) -> None:
    site.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TEMPLATES / "root-index.html", site / "index.html")


if __name__ == "__main__":   # `make setup`: make the bundle at install time
    print(vega_bundle(Path(".arena-cache")))
