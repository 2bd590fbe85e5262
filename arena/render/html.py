"""Pandoc -> HTML5 pages in the book layout, and the helpers both formats share."""
from __future__ import annotations

import html
import os
import posixpath
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
LUA = TEMPLATES / "arena.lua"


class PandocError(RuntimeError):
    pass


@lru_cache(maxsize=1)
def pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


def pandoc(markdown: str, to: str, extra: list[str], xref_file: Path, what: str) -> str:
    env = dict(os.environ, ARENA_XREF=str(xref_file))
    cmd = [pandoc_path(), "--from", "markdown", "--to", to, "--wrap=none",
           "--lua-filter", str(LUA), *extra]
    proc = subprocess.run(cmd, input=markdown.encode("utf-8"), capture_output=True, env=env)
    if proc.returncode != 0:
        raise PandocError(f"{what}: pandoc failed ({proc.returncode}):\n{proc.stderr.decode(errors='replace')}")
    warn = proc.stderr.decode(errors="replace").strip()
    if "unresolved cross-reference" in warn:
        raise PandocError(f"{what}: {warn}")
    return proc.stdout.decode("utf-8")


@dataclass
class Page:
    src: str            # "chapters/da/01-om-rapporten.qmd"
    href: str           # "chapters/da/01-om-rapporten.html" (relative to the language root)
    title: str
    number: str         # "" for unnumbered
    title_id: str


def offset_of(href: str) -> str:
    depth = href.count("/")
    return "../" * depth


def rel(from_href: str, to_href: str) -> str:
    """Relative link between two pages of the same language root."""
    start = posixpath.dirname(from_href) or "."
    return posixpath.relpath(to_href, start)


def inline_md(text: str) -> str:
    """A title as HTML: escape, then allow *emphasis* (titles are plain text in practice)."""
    import re

    out = html.escape(text, quote=False)
    return re.sub(r"\*(.+?)\*", r"<em>\1</em>", out)


def render_page(markdown: str, xref_file: Path, what: str) -> tuple[str, str]:
    out = pandoc(markdown, "html5", ["--standalone", "--template", str(TEMPLATES / "pandoc-page.html"),
                                     "--toc", "--toc-depth=3", "--section-divs",
                                     "--metadata", "title=x"], xref_file, what)
    toc, _, body = out.partition("<!--ARENA-SPLIT-->")
    return toc.strip(), body.strip()


def page_html(*, lang: str, other_lang: str, words: dict, other_words: dict, book_title: str,
              page: Page, pages: list[Page], other_href: str, pdf_name: str,
              toc: str, body: str, has_chart: bool) -> str:
    off = offset_of(page.href)
    idx = pages.index(page)
    side = []
    for p in pages:
        num = f'<span class="chapter-number">{p.number}</span> ' if p.number else ""
        cur = ' aria-current="page"' if p is page else ""
        side.append(f'        <li><a href="{rel(page.href, p.href)}"{cur}>{num}{inline_md(p.title)}</a></li>')
    nav = []
    if idx > 0:
        p = pages[idx - 1]
        nav.append(f'      <a class="prev" rel="prev" href="{rel(page.href, p.href)}"><span class="label">← {words["previous"]}</span>'
                   f'{(p.number + " ") if p.number else ""}{inline_md(p.title)}</a>')
    if idx < len(pages) - 1:
        p = pages[idx + 1]
        nav.append(f'      <a class="next" rel="next" href="{rel(page.href, p.href)}"><span class="label">{words["next"]} →</span>'
                   f'{(p.number + " ") if p.number else ""}{inline_md(p.title)}</a>')
    toc_html = ""
    if toc and "<li" in toc:
        toc_html = f'    <nav class="toc-inner"><h2>{words["toc"]}</h2>\n{toc}\n    </nav>'
    head = ""
    if has_chart:
        head = f'<script src="{off}site_libs/vega/vega-bundle.js"></script>'
    num = f'<span class="chapter-number">{page.number}</span>' if page.number else ""
    values = {
        "lang": lang, "other_lang": other_lang, "offset": off,
        "page_title_text": html.escape((page.number + " " if page.number else "") + page.title),
        "book_title_text": html.escape(book_title), "book_title": html.escape(book_title),
        "self_href": posixpath.basename(page.href), "other_href": other_href,
        "other_lang_name": other_words["language_name"], "pdf_name": pdf_name,
        "head_scripts": head, "sidebar": "\n".join(side), "prevnext": "\n".join(nav),
        "title_id": html.escape(page.title_id, quote=True),
        "title_html": num + inline_md(page.title), "body": body, "toc": toc_html,
    }
    for k, v in words.items():
        values[f"w_{k}"] = html.escape(v)
    return fill(TEMPLATES / "page.html", values)


def fill(template: Path, values: dict[str, str]) -> str:
    """Single-pass {{name}} substitution (a value is never re-scanned)."""
    import re

    text = template.read_text(encoding="utf-8")
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values.get(m.group(1), m.group(0)), text)
