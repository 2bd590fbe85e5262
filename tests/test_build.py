"""The build: both languages, HTML + PDF, cross-references, language switch, offline, atomic,
incremental and reproducible. Builds run in a copy of the project (ARENA_ROOT)."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from conftest import REPO, copy_project, run_build, tree_hashes

slow = pytest.mark.slow
LANGS = ("da", "en")


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.urls: list[tuple[str, str, dict]] = []   # (tag, url, attrs)
        self._in_script = False
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        for key in ("src", "href"):
            if a.get(key):
                self.urls.append((tag, a[key], a))
        self._in_script = tag in ("script", "style")

    def handle_endtag(self, tag):
        if tag in ("script", "style"):
            self._in_script = False

    def handle_data(self, data):
        if not self._in_script:
            self.text.append(data)


def parse(path: Path) -> Links:
    p = Links()
    p.feed(path.read_text(encoding="utf-8"))
    return p


def html_pages(site: Path, lang: str) -> list[Path]:
    return sorted(p for p in (site / lang).rglob("*.html") if "site_libs" not in p.parts)


# -- the site ------------------------------------------------------------------------------
@slow
def test_both_languages_html_and_pdf(built_project: Path) -> None:
    site = built_project / "_site"
    assert (site / "index.html").exists()
    for lang in LANGS:
        assert (site / lang / "index.html").exists()
        assert len(html_pages(site, lang)) >= 2
        assert (site / lang / "site_libs" / "vega" / "vega-bundle.js").stat().st_size > 100_000
        pdf = (site / lang / f"arena-{lang}.pdf").read_bytes()
        assert pdf.startswith(b"%PDF")
        pages = len(re.findall(rb"/Type\s*/Page(?![s\w])", pdf))
        if shutil.which("pdftotext"):
            _chapters_in_order(built_project, lang, site / lang / f"arena-{lang}.pdf", pages)


def _chapter_titles(root: Path, lang: str) -> list[str]:
    """The first heading of each chapter the profile lists (index.qmd aside), in book order."""
    import yaml

    book = yaml.safe_load((root / f"_quarto-{lang}.yml").read_text(encoding="utf-8"))["book"]
    titles = []
    for entry in [*book.get("chapters", []), *book.get("appendices", [])]:
        if isinstance(entry, str) and entry.startswith("chapters/"):
            heading = next(l for l in (root / entry).read_text(encoding="utf-8").splitlines() if l.startswith("# "))
            titles.append(re.sub(r"\s*\{[^}]*\}\s*$", "", heading[2:]).strip())
    return titles


def _chapters_in_order(root: Path, lang: str, pdf: Path, pages: int) -> None:
    """Every chapter's title is printed in the PDF, each on a later page than the one before
    (so at least one page per chapter), and the page count agrees with pdftotext's."""
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    printed = [" ".join(p.split()) for p in text.split("\f")]
    if not printed[-1]:
        printed.pop()   # pdftotext ends every page with a form feed
    assert len(printed) == pages
    titles = _chapter_titles(root, lang)
    assert len(titles) >= 10
    at = -1
    for title in titles:
        later = [i for i, page in enumerate(printed) if i > at and " ".join(title.split()) in page]
        assert later, f"{pdf.name}: chapter {title!r} not found after page {at + 1}"
        at = later[0]


@slow
def test_cross_references_resolved(built_project: Path) -> None:
    site = built_project / "_site"
    words = {"da": "Figur 1", "en": "Figure 1"}
    for lang in LANGS:
        text = "\n".join(" ".join(parse(p).text) for p in html_pages(site, lang))
        assert "@fig-" not in text and "?@" not in text
        assert words[lang] in text.replace("\u00a0", " ")
        other = words["en" if lang == "da" else "da"] + ":"
        assert other not in text.replace("\u00a0", " ")


@slow
def test_figure_caption_and_chart_markup(built_project: Path) -> None:
    page = built_project / "_site" / "da" / "chapters" / "da" / "04-politisk-ledelse.html"
    text = page.read_text(encoding="utf-8")
    assert '<figure id="fig-02"' in text
    assert re.search(r"Figur(\u00a0| )\d+:", text)
    assert 'class="arena-chart"' in text and "vegaEmbed" in text
    # The spec is JSON in a script element: the element's whole text must parse, so an unescaped
    # "</script" inside the spec (which would end the element early) fails here.
    spec_text = re.search(r'<script type="application/json" id="fig-02-chart-spec">(.*?)</script>', text, re.S).group(1)
    spec = json.loads(spec_text)
    assert spec["$schema"].startswith("https://vega.github.io/schema/vega-lite/") and spec["datasets"]
    assert "<" not in spec_text   # the escaper writes < as \u003c inside scripts
    # The note is text under the chart (before the caption), not part of the graphic.
    fig = re.search(r'<figure id="fig-02".*?</figure>', text, re.S).group(0)
    with open(built_project / "data" / "raw" / "survey.csv", encoding="utf-8") as f:
        respondents = sum(1 for _ in f) - 1
    note = re.search(r'<p class="arena-figure-note">(.*?)</p>', fig).group(1)
    assert note.startswith(f"Alle respondenter ({respondents})")
    assert fig.index('class="arena-chart"') < fig.index("arena-figure-note") < fig.index("<figcaption")
    assert "Alle respondenter" not in re.search(r'<svg.*?</svg>', fig, re.S).group(0)
    if shutil.which("pdftotext"):
        pdf_text = subprocess.run(["pdftotext", str(built_project / "_site" / "da" / "arena-da.pdf"), "-"],
                                  capture_output=True, text=True, check=True).stdout
        assert f"Alle respondenter ({respondents})" in pdf_text
    about = (built_project / "_site" / "da" / "chapters" / "da" / "01-om-rapporten.html").read_text(encoding="utf-8")
    assert 'class="callout callout-note"' in about
    assert 'role="doc-endnotes"' in about                               # footnotes


@slow
def test_language_switch_points_to_same_page(built_project: Path) -> None:
    site = built_project / "_site"
    for lang in LANGS:
        other = "en" if lang == "da" else "da"
        mine = html_pages(site, lang)
        for page in mine:
            links = parse(page)
            switch = [u for t, u, a in links.urls if "lang-switch" in (a.get("class") or "")]
            assert len(switch) == 1, page
            target = (page.parent / switch[0]).resolve()
            assert target.exists(), (page, switch[0])
            assert target.is_relative_to((site / other).resolve())
            # same position in the book: index <-> index, chapter n <-> chapter n
            assert (page.name == "index.html") == (target.name == "index.html")
            alternates = [a for t, u, a in links.urls if t == "link" and a.get("rel") == "alternate"]
            assert {a.get("hreflang") for a in alternates} == {lang, other}
            name = "English" if other == "en" else "Dansk"
            assert name in page.read_text(encoding="utf-8")


@slow
def test_no_requests_to_other_hosts(built_project: Path) -> None:
    site = built_project / "_site"
    for page in sorted(site.rglob("*.html")):
        for tag, url, _ in parse(page).urls:
            if tag == "a":
                continue  # a link a reader may follow (a cited source) is not a request the page makes
            assert not re.match(r"^(https?:)?//", url), f"{page}: <{tag}> {url}"
        text = page.read_text(encoding="utf-8")
        assert "fonts.googleapis" not in text and "cdn.jsdelivr" not in text


@slow
def test_every_page_links_the_pdf(built_project: Path) -> None:
    site = built_project / "_site"
    for lang in LANGS:
        for page in html_pages(site, lang):
            hrefs = [u for _, u, _ in parse(page).urls if u.endswith(".pdf")]
            assert hrefs, page
            assert (page.parent / hrefs[0]).resolve() == (site / lang / f"arena-{lang}.pdf").resolve()


# -- incremental, atomic, reproducible ----------------------------------------------------
@slow
def test_noop_rebuild_is_fast(built_project: Path) -> None:
    before = tree_hashes(built_project / "_site")
    t = time.perf_counter()
    proc = run_build(built_project, "--engine", "embedded")
    elapsed = time.perf_counter() - t
    assert proc.returncode == 0, proc.stderr
    assert "up to date" in proc.stderr
    inside = float(re.search(r"up to date \(([\d.]+) s\)", proc.stderr).group(1))
    assert inside < 0.5, proc.stderr  # measured inside the process
    assert elapsed < 3.0              # including interpreter start-up
    assert tree_hashes(built_project / "_site") == before


@slow
def test_prose_edit_reuses_outputs_and_rebuilds_one_language(built_project: Path, tmp_path: Path) -> None:
    """Prose is not executed: an edit that touches no cell and no inline expression reuses the
    chapter's outputs, converts that one chapter again and leaves the other language alone."""
    root = copy_project(tmp_path / "edit", built_project, with_outputs=True)
    da_before = tree_hashes(root / "_site" / "da")
    chapter = root / "chapters" / "en" / "01-about.qmd"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nOne more sentence of prose.\n", encoding="utf-8")
    proc = run_build(root, "--engine", "embedded")
    assert proc.returncode == 0, proc.stderr
    assert "kernel start" not in proc.stderr and "execute 01" not in proc.stderr
    # one chapter, as an HTML page and as a Typst chapter, of all pages x 2 formats
    import yaml

    book = yaml.safe_load((root / "_quarto-en.yml").read_text(encoding="utf-8"))["book"]
    pages = len(book["chapters"]) + len(book.get("appendices", []))
    assert "en: pandoc" in proc.stderr and f"2 of {2 * pages} documents converted" in proc.stderr, proc.stderr
    assert "da:" not in proc.stderr
    assert "One more sentence of prose." in (root / "_site/en/chapters/en/01-about.html").read_text(encoding="utf-8")
    assert tree_hashes(root / "_site" / "da") == da_before


@slow
def test_code_edit_reexecutes_only_that_chapter(built_project: Path, tmp_path: Path) -> None:
    root = copy_project(tmp_path / "code-edit", built_project, with_outputs=True)
    chapter = root / "chapters" / "en" / "01-about.qmd"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\nThe kernel says `{python} 'inline ' + 'result'`.\n",
                       encoding="utf-8")
    proc = run_build(root, "--engine", "embedded")
    assert proc.returncode == 0, proc.stderr
    assert "en: execute 01-about.qmd" in proc.stderr
    assert "da: execute" not in proc.stderr and "execute index.qmd" not in proc.stderr
    assert "The kernel says inline result." in (root / "_site/en/chapters/en/01-about.html").read_text(encoding="utf-8")


@slow
def test_failing_cell_keeps_previous_site(built_project: Path, tmp_path: Path) -> None:
    root = copy_project(tmp_path / "fail", built_project, with_outputs=True)
    before = tree_hashes(root / "_site")
    chapter = root / "chapters" / "da" / "01-om-rapporten.qmd"
    lines = chapter.read_text(encoding="utf-8").split("\n")
    bad = ["", "```{python}", "x = 1", "raise ValueError('bad data in test')", "```", ""]
    lines[2:2] = bad                          # after the title
    chapter.write_text("\n".join(lines), encoding="utf-8")
    expected_line = 2 + 4                     # 1-based line of `raise` in the .qmd
    proc = run_build(root, "--engine", "embedded", "--quiet")
    assert proc.returncode != 0
    assert "chapters/da/01-om-rapporten.qmd" in proc.stderr
    assert "cell 1" in proc.stderr
    assert f"line {expected_line}" in proc.stderr, proc.stderr
    assert "ValueError" in proc.stderr
    assert tree_hashes(root / "_site") == before
    assert not list(root.glob("._site*"))     # no temporary directories left behind


@slow
def test_pandoc_or_typst_error_keeps_previous_site(built_project: Path, tmp_path: Path) -> None:
    root = copy_project(tmp_path / "typst", built_project, with_outputs=True)
    before = tree_hashes(root / "_site")
    chapter = root / "chapters" / "en" / "01-about.qmd"
    chapter.write_text(chapter.read_text(encoding="utf-8") + "\n```{=typst}\n#this-is-not-defined()\n```\n",
                       encoding="utf-8")
    proc = run_build(root, "--engine", "embedded", "--quiet")
    assert proc.returncode != 0
    assert "Typst" in proc.stderr
    assert tree_hashes(root / "_site") == before


@slow
def test_two_builds_byte_identical(built_project: Path, tmp_path: Path) -> None:
    root = copy_project(tmp_path / "again", built_project, with_outputs=True)
    proc = run_build(root, "--engine", "embedded", "--quiet", "--no-cache")
    assert proc.returncode == 0, proc.stderr
    assert tree_hashes(root / "_site") == tree_hashes(built_project / "_site")


# -- real Quarto ---------------------------------------------------------------------------
@slow
@pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto is not on PATH")
def test_quarto_render_both_profiles(tmp_path: Path) -> None:
    from arena.build import quarto_env   # the project's Python, as `arena build` gives it

    root = copy_project(tmp_path / "quarto")
    for lang in LANGS:
        proc = subprocess.run(["quarto", "render", "--profile", lang], cwd=root, capture_output=True,
                              text=True, env=dict(quarto_env(lang, root), PYTHONPATH=str(root)), timeout=1800)
        assert proc.returncode == 0, proc.stderr[-4000:]
        assert (root / "_site" / lang / "index.html").exists()
        assert list((root / "_site" / lang).rglob("*.pdf"))


# -- units (no build) -----------------------------------------------------------------------
def test_profile_merge_like_quarto() -> None:
    from arena.render.config import merge

    base = {"project": {"type": "book", "render": ["a.qmd"]}, "lang": "da", "book": {"title": "T"}}
    prof = {"project": {"output-dir": "_site/en", "render": ["b.qmd", "a.qmd"]}, "lang": "en"}
    out = merge(base, prof)
    assert out == {"project": {"type": "book", "render": ["a.qmd", "b.qmd"], "output-dir": "_site/en"},
                   "lang": "en", "book": {"title": "T"}}


def test_profiles_list_their_own_chapters() -> None:
    from arena.render import config
    from conftest import REPO

    da, en = config.load(REPO, "da"), config.load(REPO, "en")
    assert da.lang == "da" and en.lang == "en"
    assert da.output_dir == "_site/da" and en.output_dir == "_site/en"
    dch, ech = [c.path for c in da.chapters()], [c.path for c in en.chapters()]
    assert dch[0] == ech[0] == "index.qmd" and len(dch) == len(ech)
    assert all(p.startswith("chapters/da/") for p in dch[1:])
    assert all(p.startswith("chapters/en/") for p in ech[1:])


def test_qmd_cells_lines_and_profiles() -> None:
    from arena.render import qmd

    text = ("# Title {#sec-t}\n\n::: {.content-visible when-profile=\"en\"}\nEnglish only\n:::\n\n"
            "Value `{python} x` here.\n\n```{python}\n#| label: fig-a\n#| fig-cap: \"Cap\"\nx = 1\n```\n")
    doc = qmd.parse(text, "c.qmd", "da")
    assert doc.title == "Title" and "#sec-t" in doc.title_attrs
    assert "English only" not in "".join(getattr(p, "text", "") for p in doc.pieces)
    (cell,) = doc.cells
    assert cell.line == 9 and cell.options == {"label": "fig-a", "fig-cap": "Cap"}
    assert [p.inline for p in doc.pieces if isinstance(p, qmd.Markdown)][0] == ["x"]
    with pytest.raises(qmd.QmdError):
        qmd.parse("```{python}\nx = 1\n", "bad.qmd", "da")


def test_script_json_cannot_close_script() -> None:
    from analysis.display import csv_safe, script_json

    assert "</" not in script_json({"a": "</script><script>alert(1)</script>"})
    assert csv_safe("=SUM(A1)") == "'=SUM(A1)" and csv_safe("-3") == "'-3" and csv_safe(3) == 3


# -- the kernel driver, on small documents ------------------------------------------------
def test_kernel_runs_inline_in_order_isolates_chapters_and_locates_errors() -> None:
    from arena.render import qmd
    from arena.render.execute import ExecError, Kernel

    first = qmd.parse("# A\n\n```{python}\nleak = 'from A'\n_private = 2\nimport json\n```\n\n"
                      "One `{python} leak`, then `{python} leak.upper()`.\n\n```{python}\nleak = 'changed'\n```\n\n"
                      "After: `{python} leak`; none: `{python} None`; a number: `{python} 6 * 7`.\n", "a.qmd", "da")
    second = qmd.parse("# B\n\n```{python}\nprint(sorted(n for n in ('leak', '_private', 'json') if n in globals()))\n```\n",
                       "b.qmd", "da")
    failing = qmd.parse("# C\n\nFine `{python} 1 + 1`.\n\nBroken\n`{python} undefined_name`.\n", "c.qmd", "da")
    with Kernel(REPO, "da", "da") as kernel:
        a = kernel.run_chapter(first)
        b = kernel.run_chapter(second)
        with pytest.raises(ExecError) as err:
            kernel.run_chapter(failing)
    # inline results in document order, evaluated between the cells that precede them
    assert a["inline"] == ["from A", "FROM A", "changed", "", "42"]
    assert b["cells"]["1"][0]["text"] == "[]\n"          # nothing of chapter A is left
    assert err.value.path == "c.qmd" and err.value.line == 6 and err.value.ename == "NameError"


def test_a_kernel_that_dies_stops_the_chapter_at_once() -> None:
    import time as _time

    from arena.render import qmd
    from arena.render.execute import Kernel

    dying = qmd.parse("# D\n\n```{python}\nimport os\nos._exit(3)\n```\n", "d.qmd", "da")
    with Kernel(REPO, "da", "da") as kernel:
        started = _time.monotonic()
        with pytest.raises(RuntimeError, match="kernel died"):
            kernel.run_chapter(dying)
        assert _time.monotonic() - started < 30     # it used to wait for ever


def _set_cell(root: Path, row: int, column: str, value: str) -> None:
    """Change one cell of data/raw/survey.csv (row counts data rows from 1)."""
    import csv

    path = root / "data" / "raw" / "survey.csv"
    rows = list(csv.reader(path.open(encoding="utf-8", newline="")))
    rows[row][rows[0].index(column)] = value
    with path.open("w", encoding="utf-8", newline="") as fh:
        csv.writer(fh, lineterminator="\n").writerows(rows)
    # The project is told of the new file (as `arena reconstruct` or `arena import-survey` do):
    # what is tested is the file's content, not its registration.
    from arena.project import Project

    Project.load(root).register_raw("reconstruction")


@slow
def test_malformed_data_stops_before_any_chapter_runs(built_project: Path, tmp_path: Path) -> None:
    root = copy_project(tmp_path / "malformed", built_project, with_outputs=True)
    before = tree_hashes(root / "_site")
    _set_cell(root, 17, "cult_renew", "three")
    proc = run_build(root, "--engine", "embedded")
    assert proc.returncode == 1
    assert "data/raw/survey.csv" in proc.stderr and "cult_renew" in proc.stderr and "line 18" in proc.stderr, proc.stderr
    assert ": execute " not in proc.stderr     # kernels may have started; no chapter ran
    assert tree_hashes(root / "_site") == before


@slow
def test_data_failing_an_expectation_is_never_published(built_project: Path, tmp_path: Path) -> None:
    """The suites run while the chapters execute; the new site must still never be swapped in."""
    root = copy_project(tmp_path / "invalid", built_project, with_outputs=True)
    before = tree_hashes(root / "_site")
    _set_cell(root, 17, "cult_renew", "6")          # an integer, but not a code of its scale
    proc = run_build(root, "--engine", "embedded")
    assert proc.returncode == 1
    assert "column cult_renew" in proc.stderr and "line 18" in proc.stderr and "rule" in proc.stderr, proc.stderr
    assert "nothing was built" in proc.stderr
    assert tree_hashes(root / "_site") == before
    assert not list(root.glob("._site*"))
