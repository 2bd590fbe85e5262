"""Pandoc -> HTML5 pages in the book layout, and the helpers both formats share."""
from __future__ import annotations

import html
import posixpath
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

TEMPLATES = Path(__file__).parent / "templates"
BATCH = TEMPLATES / "batch.lua"   # loads arena.lua (the Quarto features) itself


class PandocError(RuntimeError):
    pass


@lru_cache(maxsize=1)
def pandoc_path() -> str:
    import pypandoc

    return pypandoc.get_pandoc_path()


@dataclass
class PandocJob:
    """One document for Pandoc: a chapter's markdown, to HTML (a page) or to Typst."""
    what: str           # the chapter, for error messages
    markdown: str
    to: str             # "html5" (a page: template, table of contents) or "typst" (a fragment)
    xref: dict          # {"words": …, "refs": …} for this document (hrefs relative to its page)


def convert(jobs: list[PandocJob], workdir: Path) -> list[str]:
    """Convert every job in one Pandoc process (`pandoc lua batch.lua`), in order.

    A failing document or an unresolved `@fig-…` reference raises PandocError naming the chapter.
    """
    import json

    workdir.mkdir(parents=True, exist_ok=True)
    page_template = (TEMPLATES / "pandoc-page.html").read_text(encoding="utf-8")
    payload = {"page_template": page_template, "abbreviations": default_abbreviations(),
               "jobs": [{"what": j.what, "markdown": j.markdown, "to": j.to, "xref": j.xref} for j in jobs]}
    jobs_file = workdir / "pandoc-jobs.json"
    jobs_file.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
    proc = subprocess.run([pandoc_path(), "lua", str(BATCH), str(jobs_file)], capture_output=True)
    if proc.returncode != 0:
        raise PandocError(f"pandoc failed ({proc.returncode}) on {len(jobs)} documents:\n"
                          f"{proc.stderr.decode(errors='replace')}")
    results = json.loads(proc.stdout.decode("utf-8"))
    out = []
    for job, res in zip(jobs, results):
        if "error" in res:
            raise PandocError(f"{job.what}: pandoc failed:\n{res['error']}")
        warnings = res.get("warnings") or []
        if warnings:
            raise PandocError(f"{job.what}: " + "; ".join(warnings))
        out.append(res["output"])
    return out


@lru_cache(maxsize=1)
def default_abbreviations() -> list[str]:
    """Pandoc's abbreviation list ("fig.", "e.g." …: a non-breaking space follows them). The
    command line reads it by default; a Lua `pandoc.read` does not, so it is passed along."""
    out = subprocess.run([pandoc_path(), "--print-default-data-file", "abbreviations"],
                         capture_output=True, check=True).stdout.decode("utf-8")
    return [line.strip() for line in out.splitlines() if line.strip()]


def split_page(output: str) -> tuple[str, str]:
    """A converted HTML page -> (table of contents, body): see templates/pandoc-page.html."""
    toc, _, body = output.partition("<!--ARENA-SPLIT-->")
    return toc.strip(), body.strip()


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
