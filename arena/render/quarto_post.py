"""Post-render step for REAL Quarto (`project.post-render` in _quarto.yml).

Quarto runs this after `quarto render --profile <lang>` with QUARTO_PROJECT_OUTPUT_DIR set. It
gives the Quarto-built site what the embedded renderer's template already has:

* the site's own Vega bundle at site_libs/vega/vega-bundle.js (loaded by quarto-header.html)
* a language switch to the SAME page in the other language, with
  `<link rel="alternate" hreflang>` and a readable language name (like babelquarto)
* the root _site/index.html that sends the reader to da/ or en/
* the downloads the embedded build makes (numbers.csv with figure and table numbers,
  codebook.csv, data-dictionary.csv, each figure's CSV/JSON/SVG/Vega-Lite files) and the
  citation files. The figures' files come from the chapters' kernels, which write them to
  .arena-cache/quarto/<lang>/figures/ under Quarto (analysis.display.Figure): Quarto keeps no
  cell outputs for this step to read.
* the reader's tools of the embedded pages (templates/reader.js and reader.css: figure panels
  as tabs, each number's provenance on click, the language switch keeping the section) with
  each page's provenance data (#arena-claims), made by the embedded renderer's own functions

Search is Quarto's own (`book.search`), which works offline like the embedded site's Pagefind.
"""
from __future__ import annotations

import html
import json
import os
import re
import shutil
import sys
from pathlib import Path

from arena.render import config, vendor
from arena.render.html import claims_script, float_captions, offset_of, previews_script


def _pages(proj: config.Project) -> list[str]:
    return ["index.html" if c.path == "index.qmd" else c.html_path for c in proj.chapters()]


def main() -> int:
    if os.environ.get("ARENA_QUARTO_POST") == "off":   # keep Quarto's output as it is (test samples)
        return 0
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
    vendor.install_assets(out_dir, root / ".arena-cache", vega=True, layout=False)
    vendor.write_root_index(out_dir.parent)
    name = config.WORDS[other]["language_name"]
    refs, claims, home = write_products(root, out_dir, profile, proj)
    reconciliation = refs.get("sec-bilag-afstemning", {}).get("page", "")
    quarto_home = _source_title(root / "index.qmd")
    # One pass of page fixes; the previews need every page's captions with the book's numbers first.
    texts = {href: (out_dir / href).read_text(encoding="utf-8") for href in mine if (out_dir / href).exists()}
    fixed = {href: appendix_references(renumber(text, refs), refs, proj.words["apx"]) for href, text in texts.items()}
    captions = float_captions(fixed.values(), _QUARTO_CAPTION)
    for i, href in enumerate(mine):
        if href not in fixed:
            continue
        target = theirs[i] if i < len(theirs) else "index.html"
        text = language_switch(fixed[href], offset_of(href) + f"../{other}/{target}", other, name)
        text = home_title(reader_tools(text, href, claims, reconciliation, profile, captions), quarto_home, home)
        if text != texts[href]:
            (out_dir / href).write_text(text, encoding="utf-8")
    search = out_dir / "search.json"
    if search.exists() and quarto_home and quarto_home != home:
        entries = json.loads(search.read_text(encoding="utf-8"))
        for entry in entries:
            entry["crumbs"] = [home if c == quarto_home else c for c in entry.get("crumbs") or []]
        search.write_text(json.dumps(entries, ensure_ascii=False), encoding="utf-8")
    return 0


def language_switch(page: str, link: str, other: str, name: str) -> str:
    """A link to the same page in the other language, and `<link rel="alternate" hreflang>`."""
    if 'class="arena-lang-switch"' in page:   # Quarto reruns post-render on pages it kept
        return page
    page = page.replace("</head>", f'<link rel="alternate" hreflang="{other}" href="{link}">\n</head>', 1)
    switch = (f'<a class="arena-lang-switch" href="{link}" hreflang="{other}" lang="{other}" '
              f'data-arena-switch>{name}</a>')   # placed by quarto-header.html
    return re.sub(r"(<body[^>]*>)", lambda m: m.group(1) + switch, page, count=1)


# Quarto names the home page in the sidebar, the breadcrumbs, the previous/next links and the
# search results by the first heading of index.qmd's source, whichever profile it belongs to: the
# English site said "Forord". The home page's heading in this profile is its name.
def _source_title(path: Path) -> str:
    m = re.search(r"^# (.+?)(?:\s+\{[^}]*\})?\s*$", path.read_text(encoding="utf-8"), re.M) if path.exists() else None
    return m.group(1) if m else ""


def home_title(page: str, quarto_title: str, title: str) -> str:
    if not quarto_title or quarto_title == title:
        return page
    q, t = html.escape(quarto_title, quote=True), html.escape(title, quote=True)
    for pattern in (r'(<span class="menu-text">){}(</span>)', r'(<span class="nav-page-text">){}(</span>)',
                    r'(aria-label="){}(")', r'(<li class="breadcrumb-item"><a href="[^"]*index\.html">){}(</a>)'):
        page = re.sub(pattern.format(re.escape(q)), lambda m: m.group(1) + t + m.group(2), page)
    return page


# A float's caption as Quarto writes it: <figcaption … id="fig-04-caption-<uuid>">Figur&nbsp;4: …
# (html.float_captions reads it from here as from the embedded page's <figure id>.)
_QUARTO_CAPTION = re.compile(r'<figcaption\b[^>]*\bid="([a-z]+-[\w-]+?)-caption-[0-9a-f-]+"[^>]*>(.*?)</figcaption>', re.S)


def reader_tools(page: str, href: str, claims: dict, reconciliation_href: str, lang: str,
                 captions: dict[str, str] | None = None) -> str:
    """The embedded site's reader tools on a Quarto page: the shared script and stylesheet
    (figure panels as tabs, each number's provenance, previews of figure references, the language
    switch keeping the section) and the data they read (the provenance of the page's numbers, the
    captions it references), as the embedded template places them."""
    if "site_libs/arena/reader.js" in page:   # Quarto reruns post-render on pages it kept
        return page
    off = offset_of(href)
    page = page.replace("</head>", f'<link rel="stylesheet" href="{off}site_libs/arena/reader.css">\n</head>', 1)
    tail = claims_script(page, claims, href, reconciliation_href, lang) + previews_script(page, captions or {})
    tail += f'\n<script src="{off}site_libs/arena/reader.js"></script>\n'
    return page.replace("</body>", tail + "</body>", 1)


# Quarto numbers a book's floats per chapter file when `crossref.chapters` is false (each
# chapter is rendered on its own): "Figur 1" again in every chapter. The report numbers them
# through the book (Figur 1-26, like the source), so the captions and the cross-references get
# the book's numbers from the same index as the embedded renderer's (arena.build.book_index).
_CAPTION = re.compile(r'(<figcaption\b[^>]*\bid="((?:[a-z]+)-[\w-]+?)-caption-[0-9a-f-]+"[^>]*>\s*'
                      r'[^<&:]+?&nbsp;)(\d+)(:)')
_XREF = re.compile(r'(<a href="[^"]*#((?:[a-z]+)-[\w-]+)" class="quarto-xref">[^<&]+?&nbsp;<span>)(\d+)(</span>)')


def renumber(html: str, refs: dict) -> str:
    def sub(m: "re.Match[str]") -> str:
        ref = refs.get(m.group(2))
        if not ref or ref.get("kind") == "sec":
            return m.group(0)
        return m.group(1) + ref["number"] + m.group(4)

    return _XREF.sub(sub, _CAPTION.sub(sub, html))


# A reference to an appendix reads "Kapitel C" on Quarto's chapter pages (its `sec` prefix, which
# the profiles set to the chapter word) and "Bilag C — Title" on the front page; the embedded
# renderer writes "Bilag C" everywhere, as the sidebar and the appendix's heading say.
_SEC_XREF = re.compile(r'(<a href="(?:[^"#]*/)?([^"/#]+\.html)(?:#([\w-]+))?" class="quarto-xref"><span>)([^<]*)(</span></a>)')


def appendix_references(html: str, refs: dict, apx_word: str) -> str:
    pages = {Path(r["page"]).name: r for r in refs.values() if r.get("kind") == "sec" and r.get("appendix")}

    def sub(m: "re.Match[str]") -> str:
        ref = pages.get(m.group(2))
        if ref is None or (m.group(3) and m.group(3) != ref["anchor"]):
            return m.group(0)
        return f"{m.group(1)}{apx_word} {ref['number']}{m.group(5)}"

    return _SEC_XREF.sub(sub, html)


def write_products(root: Path, out_dir: Path, lang: str, proj: config.Project) -> tuple[dict, dict, str]:
    """Downloads, figure files and citation files, numbered as the book numbers them; returns the
    book's index, the provenance of every number (for the pages' popovers) and the home page's
    title in this profile."""
    from arena.build import book_index, downloads, write_cite_files, write_figure_files
    from arena.render import claims as claims_mod
    from arena.publication import Publication
    from arena.render import qmd

    chapters = proj.chapters()
    docs = [qmd.parse((root / ch.path).read_text(encoding="utf-8"), ch.path, lang) for ch in chapters]
    _pages, refs = book_index(proj, chapters, docs)
    numbers_art, populations, files = downloads(root, lang, refs)
    (out_dir / "downloads").mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (out_dir / "downloads" / name).write_text(text, encoding="utf-8")
    staged = root / ".arena-cache" / "quarto" / lang / "figures"
    for f in sorted(staged.glob("*.json")):
        write_figure_files(json.loads(f.read_text(encoding="utf-8")), out_dir / "downloads" / "figures")
    shutil.rmtree(staged, ignore_errors=True)   # the next render hands over its own
    settings = proj.config.get("arena") or {}
    publication = Publication.from_config(lang, proj.book, settings,
                                          int((settings.get("edition") or {}).get("number", 1)),
                                          f"{proj.output_file}.pdf")
    write_cite_files(out_dir, lang, publication)
    home = next((p.title for p in _pages if p.href == "index.html"), "")
    return refs, claims_mod.details(numbers_art, lang, populations, refs), home


if __name__ == "__main__":
    sys.exit(main())
