"""Appendices are lettered the same everywhere a reader meets them (issue 13, part 5): the sidebar,
the page heading, previous/next, every link to an appendix or a place in one, and the PDF's
contents. The expected letter of each appendix is its position under `book: appendices:` in the
language's profile, read here from the YAML; the pages and the PDF are parsed as built."""
from __future__ import annotations

import posixpath
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

LANGS = ("da", "en")
# Quarto's words (src/resources/language/_language*.yml): crossref-apx-prefix and
# section-title-appendices; what the reader should see, so spelled out here.
APX = {"da": "Bilag", "en": "Appendix"}
PART = {"da": "Bilag", "en": "Appendices"}
CHAPTER = {"da": "Kapitel", "en": "Chapter"}


def appendices(root: Path, lang: str) -> dict[str, dict]:
    """page path (relative to the language root) -> letter, title and section id, from the profile."""
    book = yaml.safe_load((root / f"_quarto-{lang}.yml").read_text(encoding="utf-8"))["book"]
    out = {}
    for i, qmd in enumerate(book.get("appendices") or []):
        first = next(l for l in (root / qmd).read_text(encoding="utf-8").splitlines() if l.startswith("# "))
        m = re.match(r"# (.*?)\s*\{#([\w-]+)[^}]*\}\s*$", first)
        out[str(Path(qmd).with_suffix(".html"))] = {"letter": chr(ord("A") + i), "title": m.group(1), "id": m.group(2)}
    return out


def main_chapters(root: Path, lang: str) -> int:
    book = yaml.safe_load((root / f"_quarto-{lang}.yml").read_text(encoding="utf-8"))["book"]
    return len([c for c in book["chapters"] if c != "index.qmd"])


class Page(HTMLParser):
    """Every link with its text and classes; the heading; the sidebar's parts; previous/next."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[dict] = []
        self.h1 = ""
        self.parts: list[str] = []
        self._stack: list[dict] = []     # open <a>, <h1>, part-title elements collecting text
        self._sidebar = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        cls = (a.get("class") or "").split()
        if tag == "nav" and "sidebar" in cls:
            self._sidebar = True
        if tag == "a" and a.get("href"):
            self._stack.append({"tag": "a", "href": a["href"], "class": cls, "text": "", "sidebar": self._sidebar,
                                "number": None})
        elif tag == "h1" and "title" in cls:
            self._stack.append({"tag": "h1", "text": ""})
        elif tag == "span" and "part-title" in cls:
            self._stack.append({"tag": "part", "text": ""})
        elif tag == "span" and "chapter-number" in cls and self._stack and self._stack[-1]["tag"] == "a":
            self._stack[-1]["number"] = ""
            self._stack.append({"tag": "number", "text": ""})

    def handle_endtag(self, tag):
        if tag == "nav":
            self._sidebar = False
        want = {"a": "a", "h1": "h1", "span": ("part", "number")}.get(tag)
        if not self._stack or not want or self._stack[-1]["tag"] not in (want if isinstance(want, tuple) else (want,)):
            return
        el = self._stack.pop()
        text = " ".join(el["text"].split())
        if el["tag"] == "a":
            self.links.append({**el, "text": text})
        elif el["tag"] == "h1":
            self.h1 = text
        elif el["tag"] == "part":
            self.parts.append(text)
        elif el["tag"] == "number":
            self._stack[-1]["number"] = text
        if self._stack:
            self._stack[-1]["text"] += " " + el["text"] + " "

    def handle_data(self, data):
        if self._stack:
            self._stack[-1]["text"] += data.replace("\u00a0", " ")


def pages(site: Path, lang: str) -> list[Path]:
    return sorted(p for p in (site / lang).rglob("*.html") if "site_libs" not in p.parts and "pagefind" not in p.parts)


@pytest.mark.parametrize("lang", LANGS)
def test_links_headings_and_sidebar_letter_the_appendices(built_project: Path, lang: str) -> None:
    root, site = built_project, built_project / "_site" / lang
    apx = appendices(root, lang)
    assert len(apx) >= 5, "the profile lists the appendices under book: appendices:"
    ids = {a["id"]: page for page, a in apx.items()}
    wrong_chapter = re.compile(rf"\b{CHAPTER[lang]}\s+(\d+)\b")
    checked_xrefs = 0
    problems = []
    for path in pages(root / "_site", lang):
        here = str(path.relative_to(site))
        p = Page()
        p.feed(path.read_text(encoding="utf-8"))
        for link in p.links:
            href = link["href"]
            if re.match(r"^[a-z]+:", href):
                continue
            target, _, frag = href.partition("#")
            target = posixpath.normpath(posixpath.join(posixpath.dirname(here), target)) if target else here
            a = apx.get(target)
            # a cross-reference to an appendix, or to a section inside one, reads "Bilag B"
            if "quarto-xref" in link["class"] and a is not None:
                checked_xrefs += 1
                if link["text"] != f"{APX[lang]} {a['letter']}":
                    problems.append(f"{here}: link to {href} reads {link['text']!r}")
            # a link into an appendix that names it or one of its tables ("Tabel B.3") uses its letter
            if a is not None:
                for m in re.finditer(r"\b(?:bilag|appendix|tabel|table)\s+([A-Z])\b", link["text"], re.I):
                    if m.group(1) != a["letter"]:
                        problems.append(f"{here}: link to {href} reads {link['text']!r}")
            m = wrong_chapter.search(link["text"])
            if m and int(m.group(1)) > main_chapters(root, lang):
                problems.append(f"{here}: link to {href} reads {link['text']!r}")
            # the sidebar and previous/next name an appendix by its letter
            if a is not None and not frag and (link["sidebar"] or {"prev", "next"} & set(link["class"])):
                if link["number"] != a["letter"] or a["title"] not in link["text"]:
                    problems.append(f"{here}: sidebar/prev/next link to {target} reads {link['text']!r}")
        if here in apx:
            a = apx[here]
            if p.h1 != f"{APX[lang]} {a['letter']} — {a['title']}":
                problems.append(f"{here}: heading {p.h1!r}")
        if p.parts != [PART[lang]]:
            problems.append(f"{here}: sidebar parts {p.parts}")
    assert not problems, "\n".join(problems[:20])
    assert checked_xrefs >= 5, f"only {checked_xrefs} cross-references to appendices found"
    # and every appendix is cross-referenced somewhere by its id, so each letter was seen at least once
    text = "\n".join(p.read_text(encoding="utf-8") for p in (root / "chapters" / lang).glob("*.qmd"))
    assert {i for i in ids if f"@{i}" in text} >= {"sec-bilag-afstemning", "sec-bilag-kodebog"}


def pdf_text(pdf: Path) -> list[str]:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    return [" ".join(page.split()) for page in out.split("\f")]


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="pdftotext not installed (poppler-utils)")
@pytest.mark.parametrize("lang", LANGS)
def test_pdf_contents_and_references_letter_the_appendices(built_project: Path, lang: str) -> None:
    root = built_project
    apx = appendices(root, lang)
    pdf = root / "_site" / lang / f"arena-{lang}.pdf"
    text = pdf_text(pdf)
    whole = " ".join(text)
    contents = " ".join(text[1:6])   # the contents follow the title page
    for a in apx.values():
        entry = f"{APX[lang]} {a['letter']} {a['title']}"
        assert re.search(re.escape(entry) + r" [. ]*\S*\d", contents), f"{pdf.name}: contents lack {entry!r}"
        # the appendix's own first page: "Bilag B" above its title
        assert any(page.startswith(f"{APX[lang]} {a['letter']} {a['title']}") for page in text), entry
    # the part heading sits in the contents right before the first appendix
    first = next(iter(apx.values()))
    assert re.search(rf"\b{PART[lang]} [. ]+\S*\d+ {APX[lang]} A {re.escape(first['title'])}", contents), contents[-600:]
    n = main_chapters(root, lang)
    bad = [m.group(0) for m in re.finditer(rf"\b{CHAPTER[lang]} (\d+)\b", whole) if int(m.group(1)) > n]
    assert not bad, f"{pdf.name}: {bad[:5]}"
    # the cross-references in the text say the letter too: more mentions than contents + heading
    for a in apx.values():
        label = f"{APX[lang]} {a['letter']}"
        if f"@{a['id']}" in "".join(q.read_text(encoding="utf-8") for q in (root / "chapters" / lang).glob("*.qmd")):
            assert len(re.findall(rf"\b{label}\b(?! {re.escape(a['title'])})", whole)) >= 1, label
