"""Pandoc -> HTML5 pages in the book layout, and the helpers both formats share."""
from __future__ import annotations

import hashlib
import html
import re
import posixpath
import subprocess
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from arena import interrupt

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


def convert(jobs: list[PandocJob], workdir: Path, cache_dir: Path | None = None) -> "Converted":
    """Convert every job in one Pandoc process (`pandoc lua batch.lua`), in order.

    With `cache_dir`, a document converted before (same markdown, cross-reference index,
    filters, template and Pandoc) is taken from there, so a prose edit converts one chapter.
    A failing document or an unresolved `@fig-…` reference raises PandocError naming the chapter.
    """
    import json

    keys = [_job_key(j) for j in jobs]
    out: list[str | None] = [None] * len(jobs)
    if cache_dir is not None:
        for i, key in enumerate(keys):
            hit = cache_dir / f"{key}.{jobs[i].to}"
            if hit.exists():
                out[i] = hit.read_text(encoding="utf-8")
    todo = [i for i in range(len(jobs)) if out[i] is None]
    if todo:
        workdir.mkdir(parents=True, exist_ok=True)
        page_template = (TEMPLATES / "pandoc-page.html").read_text(encoding="utf-8")
        payload = {"page_template": page_template,
                   "abbreviations": default_abbreviations(cache_dir.parent if cache_dir is not None else None),
                   "jobs": [{"what": jobs[i].what, "markdown": jobs[i].markdown, "to": jobs[i].to,
                             "xref": jobs[i].xref} for i in todo]}
        jobs_file = workdir / "pandoc-jobs.json"
        jobs_file.write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        proc = interrupt.run([pandoc_path(), "lua", str(BATCH), str(jobs_file)], capture_output=True)
        if proc.returncode != 0:
            raise PandocError(f"pandoc failed ({proc.returncode}) on {len(todo)} documents:\n"
                              f"{proc.stderr.decode(errors='replace')}")
        for i, res in zip(todo, json.loads(proc.stdout.decode("utf-8"))):
            if "error" in res:
                raise PandocError(f"{jobs[i].what}: pandoc failed:\n{res['error']}")
            warnings = res.get("warnings") or []
            if warnings:
                raise PandocError(f"{jobs[i].what}: " + "; ".join(warnings))
            out[i] = res["output"]
    if cache_dir is not None:   # keep exactly this build's conversions (of the formats it made)
        cache_dir.mkdir(parents=True, exist_ok=True)
        wanted = {f"{key}.{job.to}" for key, job in zip(keys, jobs)}
        kinds = {f".{job.to}" for job in jobs}
        for old in cache_dir.iterdir():
            if old.suffix in kinds and old.name not in wanted:
                old.unlink(missing_ok=True)
        for i in todo:
            (cache_dir / f"{keys[i]}.{jobs[i].to}").write_text(out[i], encoding="utf-8")
    return Converted([o for o in out if o is not None], fresh=len(todo))


class Converted(list):
    """The outputs, in job order; `fresh` = how many were converted now (not from the cache)."""

    def __init__(self, outputs: list[str], fresh: int) -> None:
        super().__init__(outputs)
        self.fresh = fresh


@lru_cache(maxsize=1)
def _converter_hash() -> str:
    """Pandoc's version and our filters and page template: a change re-converts everything."""
    from importlib import metadata

    h = hashlib.sha256(metadata.version("pypandoc_binary").encode())
    for f in (BATCH, TEMPLATES / "arena.lua", TEMPLATES / "pandoc-page.html"):
        h.update(hashlib.sha256(f.read_bytes()).digest())
    return h.hexdigest()


def _job_key(job: PandocJob) -> str:
    import json

    h = hashlib.sha256(_converter_hash().encode())
    for part in (job.to, job.markdown, json.dumps(job.xref, sort_keys=True, ensure_ascii=False)):
        h.update(hashlib.sha256(part.encode("utf-8")).digest())
    return h.hexdigest()[:32]


@lru_cache(maxsize=1)
def default_abbreviations(cache_dir: Path | None = None) -> list[str]:
    """Pandoc's abbreviation list ("fig.", "e.g." …: a non-breaking space follows them). The
    command line reads it by default; a Lua `pandoc.read` does not, so it is passed along. Kept
    in `cache_dir` by Pandoc's version: asking Pandoc costs a process start on every prose edit."""
    kept = cache_dir / f"abbreviations-{_converter_hash()[:16]}.txt" if cache_dir is not None else None
    if kept is not None and kept.exists():
        out = kept.read_text(encoding="utf-8")
    else:
        out = subprocess.run([pandoc_path(), "--print-default-data-file", "abbreviations"],
                             capture_output=True, check=True).stdout.decode("utf-8")
        if kept is not None:
            kept.parent.mkdir(parents=True, exist_ok=True)
            kept.write_text(out, encoding="utf-8")
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
    number: str         # "" for unnumbered, "3" for a chapter, "B" for an appendix
    title_id: str
    appendix: bool = False
    apx_word: str = ""  # "Bilag" / "Appendix" (Quarto's crossref-apx-prefix)

    @property
    def label(self) -> str:
        """What precedes the title in its heading: "3", or "Bilag B —" as Quarto titles appendices."""
        if self.appendix and self.number:
            return f"{self.apx_word} {self.number} —"
        return self.number

    @property
    def full_title(self) -> str:
        return f"{self.label} {self.title}" if self.label else self.title


def offset_of(href: str) -> str:
    depth = href.count("/")
    return "../" * depth


@lru_cache(maxsize=4096)
def rel(from_href: str, to_href: str) -> str:
    """Relative link between two pages of the same language root (asked for every reference of
    every page: cached)."""
    start = posixpath.dirname(from_href) or "."
    return posixpath.relpath(to_href, start)


def inline_md(text: str) -> str:
    """A title as HTML: escape, then allow *emphasis* (titles are plain text in practice)."""
    import re

    out = html.escape(text, quote=False)
    return re.sub(r"\*(.+?)\*", r"<em>\1</em>", out)


_HEADING_OR_REGION = None


def name_table_regions(body: str, fallback: str) -> str:
    """A table region without a name (`analysis.display.Table` without label or caption) is
    named after the heading above it: a scrollable region must be named for assistive technology."""
    import re

    global _HEADING_OR_REGION
    if _HEADING_OR_REGION is None:
        _HEADING_OR_REGION = re.compile(r'<h[1-6][^>]*>(.*?)</h[1-6]>|<div class="arena-table-wrap" role="region" tabindex="0">', re.S)
    last = fallback

    def sub(m: "re.Match[str]") -> str:
        nonlocal last
        if m.group(1) is not None:
            last = html.unescape(re.sub(r"<[^>]+>", "", m.group(1))).strip()
            return m.group(0)
        return m.group(0)[:-1] + f' aria-label="{html.escape(last, quote=True)}">'

    return _HEADING_OR_REGION.sub(sub, body)


_FIGCAPTION = re.compile(r'<figure id="([\w-]+)"[^>]*>(?:(?!<figure\b).)*?<figcaption>(.*?)</figcaption>', re.S)
_XREF = re.compile(r'<a href="[^"]*#([\w-]+)" class="quarto-xref">')


def float_captions(bodies, pattern: re.Pattern = _FIGCAPTION) -> dict[str, str]:
    """Every numbered float's caption as plain text ("Figur 3: …"), by id, from the converted pages
    (`pattern` finds (id, caption) pairs: this renderer's figures, or Quarto's in quarto_post)."""
    out = {}
    for body in bodies:
        for fid, cap in pattern.findall(body):
            out[fid] = " ".join(html.unescape(re.sub(r"<[^>]+>", "", cap)).split())
    return out


def previews_script(body: str, captions: dict[str, str]) -> str:
    """The captions of the floats this page cross-references, for their hover previews (on the
    page itself: no request)."""
    import json

    used = {fid: captions[fid] for fid in dict.fromkeys(_XREF.findall(body)) if fid in captions}
    if not used:
        return ""
    text = json.dumps(used, ensure_ascii=False, sort_keys=True, separators=(",", ":")).replace("<", "\\u003c")
    return f'<script type="application/json" id="arena-xref-previews">{text}</script>'


def page_html(*, lang: str, other_lang: str, words: dict, other_words: dict, book_title: str,
              page: Page, pages: list[Page], other_href: str, pdf_name: str,
              toc: str, body: str, has_chart: bool, publication=None, claims: dict | None = None,
              reconciliation_href: str = "", captions: dict[str, str] | None = None) -> str:
    off = offset_of(page.href)
    idx = pages.index(page)
    body = name_table_regions(body, page.title)
    side_pages: list[Page] = []
    side = []
    for p in pages:
        num = f'<span class="chapter-number">{p.number}</span> ' if p.number else ""
        cur = ' aria-current="page"' if p is page else ""
        if p.appendix and not any(q.appendix for q in side_pages):   # the part, as Quarto's sidebar
            side.append(f'        <li class="chapter-part"><span class="part-title" id="sidebar-appendices">'
                        f'{html.escape(words["appendices"])}</span>\n        <ol class="chapter-list" '
                        f'aria-labelledby="sidebar-appendices">')
        side_pages.append(p)
        side.append(f'        <li><a href="{rel(page.href, p.href)}"{cur}>{num}{inline_md(p.title)}</a></li>')
    if any(p.appendix for p in pages):
        side.append("        </ol></li>")
    nav = []

    def nav_title(p: Page) -> str:   # as Quarto's navigation: the number (or letter), then the title
        return (f'<span class="chapter-number">{p.number}</span> ' if p.number else "") + inline_md(p.title)

    if idx > 0:
        p = pages[idx - 1]
        nav.append(f'      <a class="prev" rel="prev" href="{rel(page.href, p.href)}"><span class="label">← {words["previous"]}</span> '
                   f'{nav_title(p)}</a>')
    if idx < len(pages) - 1:
        p = pages[idx + 1]
        nav.append(f'      <a class="next" rel="next" href="{rel(page.href, p.href)}"><span class="label">{words["next"]} →</span> '
                   f'{nav_title(p)}</a>')
    toc_html = ""
    if toc and "<li" in toc:
        toc_html = f'    <nav class="toc-inner"><h2>{words["toc"]}</h2>\n{toc}\n    </nav>'
    head = ""
    if has_chart:
        # ~900 KB: only on pages with a chart, and deferred (the page is read while it loads;
        # each chart's own script waits for it, see analysis.display.Figure.to_html).
        head = f'<script src="{off}site_libs/vega/vega-bundle.js" defer></script>'
    # a space after the number: read aloud, "15 Om data", not "15Om data"
    num = f'<span class="chapter-number">{html.escape(page.label)}</span> ' if page.label else ""
    values = {
        "lang": lang, "other_lang": other_lang, "offset": off,
        "page_title_text": html.escape(page.full_title),
        "book_title_text": html.escape(book_title), "book_title": html.escape(book_title),
        "self_href": posixpath.basename(page.href), "other_href": other_href,
        "other_lang_name": other_words["language_name"], "pdf_name": pdf_name,
        "head_scripts": head, "sidebar": "\n".join(side), "prevnext": "\n".join(nav),
        "title_id": html.escape(page.title_id, quote=True),
        "title_html": num + inline_md(page.title), "body": body, "toc": toc_html,
        "meta": publication.head_meta(page.full_title, page.href)
        if publication else "",
        "publication": publication.footer_html(off) if publication else "",
        "claims": claims_script(body, claims or {}, page.href, reconciliation_href, lang),
        "xref_previews": previews_script(body, captions or {}),
    }
    for k, v in words.items():
        values[f"w_{k}"] = html.escape(v)
    return fill(TEMPLATES / "page.html", values)


def claims_script(body: str, claims: dict, here: str, reconciliation_href: str, lang: str) -> str:
    """The provenance of the numbers on this page, as JSON for its popovers (links relative)."""
    import json

    used = dict.fromkeys(re.findall(r'data-claim="([^"]+)"', body))
    if not used:
        return ""
    from analysis import words

    data = {"words": words.section(lang, "claim"), "claims": {}}
    for key in used:
        entry = dict(claims.get(key) or {})
        if not entry:
            continue
        fig = entry.pop("figure", None)
        if fig:
            href = ("" if fig["page"] == here else rel(here, fig["page"])) + "#" + fig["anchor"]
            entry["figure"] = {"label": fig["label"], "href": href}
        if reconciliation_href:   # the number's rows in Appendix C: its figure's section, or the text's
            from analysis.anchors import appendix_c_anchor

            entry["reconciliation"] = rel(here, reconciliation_href) + "#" + appendix_c_anchor(entry.get("figure_id", ""))
        data["claims"][key] = entry
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    text = text.replace("<", "\\u003c")   # cannot end the script element
    return f'<script type="application/json" id="arena-claims">{text}</script>'


def fill(template: Path, values: dict[str, str]) -> str:
    """Single-pass {{name}} substitution (a value is never re-scanned)."""
    import re

    text = template.read_text(encoding="utf-8")
    return re.sub(r"\{\{(\w+)\}\}", lambda m: values.get(m.group(1), m.group(0)), text)
