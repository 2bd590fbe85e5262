"""The site's own copy of Vega + Vega-Lite + vega-embed (no CDN), and static assets.

`vl_convert.javascript_bundle()` takes ~3 s, so the bundle is cached in .arena-cache/ under the
vl-convert version and copied into `site_libs/vega/vega-bundle.js` of each language.
"""
from __future__ import annotations

import os
import shutil
import threading
from importlib import metadata
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
BUNDLE_REL = Path("site_libs/vega/vega-bundle.js")
STYLE_REL = Path("site_libs/arena/style.css")


_LOCK = threading.Lock()


def vega_bundle(cache_dir: Path) -> Path:
    """Vega-Lite in the bundle = the version Altair writes specs for (no version warning)."""
    version = f'{metadata.version("vl-convert-python")}-altair{metadata.version("altair")}'
    path = cache_dir / "vega" / f"vega-bundle-{version}.js"
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


def install_assets(site_lang_dir: Path, cache_dir: Path, vega: bool = True) -> None:
    (site_lang_dir / STYLE_REL).parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TEMPLATES / "style.css", site_lang_dir / STYLE_REL)
    if vega:
        (site_lang_dir / BUNDLE_REL).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(vega_bundle(cache_dir), site_lang_dir / BUNDLE_REL)


def write_root_index(site: Path) -> None:
    site.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TEMPLATES / "root-index.html", site / "index.html")
