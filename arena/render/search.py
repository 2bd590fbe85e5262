"""Offline full-text search: a Pagefind index per language, written next to the pages.

Pagefind (PyPI `pagefind[extended]`, a static binary; the extended build stems Danish) reads the
language's HTML pages after they are written and puts its index in `<lang>/pagefind/`. Each
language is indexed on its own, so a search on a Danish page finds Danish pages only. Only the
text inside `data-pagefind-body` (the main column) is indexed; navigation, charts' SVG and the
tables under charts are marked `data-pagefind-ignore`. The search box in the page template loads
`pagefind/pagefind.js` when it is first used (an ES module: it needs http, not file://).
Same pages, same index: the output is byte-identical from build to build.
"""
from __future__ import annotations

import shutil
from pathlib import Path

from arena import interrupt

# Pagefind's own ready-made interfaces: the page template has its own search box instead.
UNUSED = ("pagefind-ui.js", "pagefind-ui.css", "pagefind-modular-ui.js", "pagefind-modular-ui.css",
          "pagefind-component-ui.js", "pagefind-component-ui.css", "pagefind-highlight.js")


class SearchIndexError(RuntimeError):
    pass


def executable() -> str:
    try:
        from pagefind_bin_extended import get_executable
    except ImportError:   # the plain build (no Danish stemming) if that is what is installed
        try:
            from pagefind_bin import get_executable
        except ImportError:
            raise SearchIndexError("pagefind is not installed (pip install 'pagefind[extended]')") from None
    return str(get_executable())


def index_language(lang_dir: Path, lang: str) -> None:
    """Index the pages under `lang_dir` (e.g. _site/da) into `lang_dir/pagefind/` (~0.1 s)."""
    out = lang_dir / "pagefind"
    shutil.rmtree(out, ignore_errors=True)
    proc = interrupt.run([executable(), "--site", str(lang_dir), "--output-subdir", "pagefind",
                           "--force-language", lang, "--silent"], capture_output=True, text=True)
    if proc.returncode != 0 or not (out / "pagefind.js").exists():
        raise SearchIndexError(f"pagefind failed for {lang_dir} ({proc.returncode}):\n{proc.stderr}{proc.stdout}")
    for name in UNUSED:
        (out / name).unlink(missing_ok=True)
