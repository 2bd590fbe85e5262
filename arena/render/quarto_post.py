"""Post-render step for REAL Quarto (`project.post-render` in _quarto.yml).

Quarto runs this after `quarto render --profile <lang>` with QUARTO_PROJECT_OUTPUT_DIR set. It
gives the Quarto-built site what the embedded renderer's template already has:

* the site's own Vega bundle at site_libs/vega/vega-bundle.js (loaded by quarto-header.html)
* a language switch to the SAME page in the other language, with
  `<link rel="alternate" hreflang>` and a readable language name (like babelquarto)
* the root _site/index.html that sends the reader to da/ or en/
"""
from __future__ import annotations

import os
import re
import sys
from pathlib import Path

from arena.render import config, vendor


def _pages(proj: config.Project) -> list[str]:
    return ["index.html" if c.path == "index.qmd" else c.html_path for c in proj.chapters()]


def main() -> int:
    out = os.environ.get("QUARTO_PROJECT_OUTPUT_DIR")
    if not out:
        print("quarto_post: QUARTO_PROJECT_OUTPUT_DIR not set (run by Quarto)", file=sys.stderr)
        return 0
    root = Path.cwd()
    out_dir = (root / out).resolve()
    profile = next((p for p in os.environ.get("QUARTO_PROFILE", "").split(",") if p in config.LANGS), None)
    if profile is None:
        return 0
    other = "en" if profile == "da" else "da"
    proj, other_proj = config.load(root, profile), config.load(root, other)
    mine, theirs = _pages(proj), _pages(other_proj)
    vendor.install_assets(out_dir, root / ".arena-cache", vega=True)
    vendor.write_root_index(out_dir.parent)
    name = config.WORDS[other]["language_name"]
    for i, href in enumerate(mine):
        page = out_dir / href
        if not page.exists():
            continue
        target = theirs[i] if i < len(theirs) else "index.html"
        link = "../" * href.count("/") + f"../{other}/{target}"
        text = page.read_text(encoding="utf-8")
        if 'class="arena-lang-switch"' in text:
            continue
        text = text.replace("</head>", f'<link rel="alternate" hreflang="{other}" href="{link}">\n</head>', 1)
        switch = (f'<a class="arena-lang-switch" href="{link}" hreflang="{other}" lang="{other}" '
                  f'style="position:fixed;top:.5rem;right:1rem;z-index:2000">{name}</a>')
        text = re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + switch, text, count=1)
        page.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
