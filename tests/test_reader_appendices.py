"""Appendices B, C and D as readers see them on the built site: no developer notes (claim ids,
repository paths, status codes, rule names), the Danish pages in Danish, and every figure linked to
its table in Appendix B and back."""
from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

PAGES = {  # (language, appendix) -> page, found by the id of its title
    "C": "sec-bilag-afstemning",
    "D": "sec-bilag-validering",
    "B": "sec-bilag-figurer",
}
STATUS_CODES = ("printed", "assumed", "inconsistent", "differs", "derived")
CLAIM_ID = re.compile(r"\b(?:fig\d{2}|info\d|tab\d|p\d{4})\.[a-z][a-z0-9_]*\b")
PATHS = re.compile(r"\bdata/|\.csv\b|\.py\b")
# Words that occur in English sentences and never in Danish ones
ENGLISH = {"the", "and", "of", "which", "this", "that", "is", "are", "was", "were", "with", "from",
           "reasons", "reasoning", "because", "number", "numbers"}


class _Visible(HTMLParser):
    """The text a reader sees in the page's <main>, and the cells of its tables."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.skip = 0
        self.in_main = 0
        self.text: list[str] = []
        self.cells: list[str] = []
        self.cell: list[str] | None = None
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if tag in ("script", "style", "template"):
            self.skip += 1
        if tag == "main":
            self.in_main += 1
        if tag in ("td", "th"):
            self.cell = []
        if tag == "a" and a.get("href") and self.in_main:
            self.hrefs.append(a["href"])

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template"):
            self.skip -= 1
        if tag == "main":
            self.in_main -= 1
        if tag in ("td", "th") and self.cell is not None:
            self.cells.append(" ".join("".join(self.cell).split()))
            self.cell = None

    def handle_data(self, data):
        if self.skip or not self.in_main:
            return
        self.text.append(data)
        if self.cell is not None:
            self.cell.append(data)


def _page(site: Path, lang: str, title_id: str) -> tuple[Path, _Visible]:
    for page in sorted((site / lang / "chapters" / lang).glob("*.html")):
        html = page.read_text(encoding="utf-8")
        if f'id="{title_id}"' in html:
            v = _Visible()
            v.feed(html)
            return page, v
    raise AssertionError(f"{lang}: no page has the title id {title_id}")


def _sentences(text: str) -> list[str]:
    return [s.strip() for s in re.split(r"(?<=[.!?:])\s+", " ".join(text.split())) if s.strip()]


def developer_notes(text: str, cells: list[str]) -> list[str]:
    found = [f"claim id {m}" for m in CLAIM_ID.findall(text)]
    found += [f"path {m}" for m in PATHS.findall(text)]
    found += [f"status code in a cell: {c}" for c in cells if c in STATUS_CODES]
    found += [f"rule type {m}" for m in re.findall(r"\bexpect_[a-z_]+", text)]
    return found


def english_sentences(text: str) -> list[str]:
    out = []
    for s in _sentences(text):
        words = re.findall(r"[a-z]+", s.lower())
        if sum(w in ENGLISH for w in words) >= 2:
            out.append(s[:120])
    return out


@pytest.fixture(scope="module")
def site(built_project: Path) -> Path:
    return built_project / "_site"


@pytest.mark.parametrize("lang", ["da", "en"])
@pytest.mark.parametrize("appendix", ["C", "D"])
def test_appendix_holds_no_developer_notes(site, lang, appendix):
    _, v = _page(site, lang, PAGES[appendix])
    text = " ".join(v.text)
    found = developer_notes(text, v.cells)
    if lang == "da":
        found += [f"English sentence: {s}" for s in english_sentences(text)]
        found += [f"status code: {w}" for w in re.findall(r"\b(?:" + "|".join(STATUS_CODES) + r")\b", text)]
    assert not found, f"Appendix {appendix} ({lang}):\n" + "\n".join(found)


def test_the_checks_find_what_they_look_for():
    # The checks above must be able to fail: each kind of developer note is caught.
    notes = developer_notes("fig02.agree p0440.renew_agree data/published/published.csv analysis/x.py "
                            "expect_column_values_to_be_in_set", ["assumed"])
    assert len(notes) == 7, notes
    assert english_sentences("Begrundelserne står på engelsk. The reasons are given in English.") \
        == ["The reasons are given in English."]


@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_figure_links_to_its_appendix_table_and_back(site, lang):
    appendix_page, b = _page(site, lang, PAGES["B"])
    back = {h.rsplit("#", 1)[1] for h in b.hrefs if "#" in h}
    anchors = {i for i in b.ids if i.startswith("bilag-b-")}
    assert anchors, "Appendix B has no numbered figure tables"
    problems = []
    linked = set()
    for page in sorted((site / lang / "chapters" / lang).glob("*.html")):
        html = page.read_text(encoding="utf-8")
        for chunk in html.split("<figure")[1:]:
            fig_id = re.match(r'[^>]*id="((?:fig|inf)-[\w-]+)"', chunk)
            link = re.search(r'class="arena-chart-appendix"><a href="([^"]+)"', chunk.split("</figure>")[0])
            if not fig_id or not link:
                continue
            fig_id, target = fig_id.group(1), link.group(1)
            name, _, anchor = target.partition("#")
            if name != appendix_page.name or anchor not in anchors:
                problems.append(f"{page.name}: {fig_id} links to {target}, not to a table in Appendix B")
            if fig_id not in back:
                problems.append(f"Appendix B does not link back to {fig_id}")
            linked.add(anchor)
    assert not problems, "\n".join(problems)
    assert linked == anchors, f"tables without a figure linking to them: {sorted(anchors - linked)}"
