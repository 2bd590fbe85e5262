"""Text from the data files is shown as text, never run as markup or code, on the site and in the PDF.

A copy of the project gets a payload (HTML, attribute, Markdown, Typst and spreadsheet-formula
attacks, each with its own tag) in the text fields of every data file. The copy is built (both
languages, HTML + PDF) and then:

- in headless Chromium, no dialog opens and no injected element exists on the pages that show
  the texts;
- each payload is in the page text and in the PDF text (pdftotext) as written, and a figure's
  title and note are its chart's aria-label;
- no CSV download cell starts a formula (a payload filling a cell gets the guard `'`);
- a field declared as shown nowhere appears nowhere, so a new use of it must be declared here.
"""
from __future__ import annotations

import csv
import io
import os
import re
import shutil
import subprocess
import threading
import urllib.parse
from dataclasses import dataclass
from html.parser import HTMLParser
from pathlib import Path

import pytest
import yaml

from conftest import CHROMIUM, chromium, serve, copy_project, run_build

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IN_CI = os.environ.get("CI", "").lower() in ("true", "1")

if not (Path(CHROMIUM).exists() or shutil.which("chromium")) and not IN_CI:
    pytest.skip("Chromium not installed (apt-get install -y chromium); required when CI=true",
                allow_module_level=True)
if not shutil.which("pdftotext") and not IN_CI:
    pytest.skip("pdftotext not installed (apt-get install -y poppler-utils)", allow_module_level=True)
if not IN_CI:
    pytest.importorskip("playwright.sync_api", reason="playwright not installed")


def payload(tag: str) -> str:
    return (f'=1+1 {tag} <script>alert(1)</script> <img src=x onerror=alert(1)> "><svg onload=alert(1)> '
            f'#panic("x") ] # $ [x](javascript:alert(1)) *bold*')


PAGES = {
    "context": {"da": "chapters/da/14-kontekst.html", "en": "chapters/en/14-context.html"},
    "leadership": {"da": "chapters/da/04-politisk-ledelse.html", "en": "chapters/en/04-political-leadership.html"},
    "codebook": {"da": "chapters/da/16-bilag-kodebog.html", "en": "chapters/en/16-appendix-codebook.html"},
    "figures": {"da": "chapters/da/17-bilag-figurer.html", "en": "chapters/en/17-appendix-figures.html"},
    "reconciliation": {"da": "chapters/da/18-bilag-afstemning.html", "en": "chapters/en/18-appendix-reconciliation.html"},
}


@dataclass(frozen=True)
class Field:
    tag: str
    file: str              # data file, relative to the project root
    key: tuple             # where in the file: (row id, column) or a path of YAML keys
    langs: tuple           # languages whose output shows it
    pages: tuple           # PAGES whose text shows it; () = shown nowhere
    pdf: bool = True       # the PDF shows it too (whenever a page does)


FACTS, CODEBOOK = "data/context/facts.csv", "data/codebook/codebook.yaml"
FIGURES, PUBLISHED = "analysis/figures.yaml", "data/published/published.csv"
INCONSISTENCIES = "data/published/inconsistencies.yaml"
BOTH, DA, EN = ("da", "en"), ("da",), ("en",)
LABEL_PAGES = ("leadership", "codebook", "figures")

# The text fields of each data file (one instance of each). facts.csv: `value` of a `text` fact
# (other values are numbers) and the free-text columns; fact_id, seed, line and unit are keys
# checked on load.
FIELDS = [
    Field("ZQ01", FACTS, ("no_wp.title", "value"), BOTH, ("context",)),
    Field("ZQ02", FACTS, ("no_wp.title", "printed"), BOTH, ()),
    Field("ZQ03", FACTS, ("no_wp.title", "description_da"), BOTH, ()),
    Field("ZQ04", FACTS, ("no_wp.title", "description_en"), BOTH, ()),
    Field("ZQ05", FACTS, ("no_wp.title", "note"), BOTH, ()),
    # codebook: a question, an answer label, a scale name, a population, a battery stem.
    Field("ZQ11", CODEBOOK, ("variables", "cult_renew", "question", "da"), DA, LABEL_PAGES),
    Field("ZQ12", CODEBOOK, ("variables", "cult_renew", "question", "en"), EN, LABEL_PAGES),
    Field("ZQ13", CODEBOOK, ("scales", "agree4", "codes", 4, "da"), DA, LABEL_PAGES),
    Field("ZQ14", CODEBOOK, ("scales", "agree4", "codes", 4, "en"), EN, LABEL_PAGES),
    Field("ZQ15", CODEBOOK, ("scales", "agree4", "da"), DA, ()),
    Field("ZQ16", CODEBOOK, ("scales", "agree4", "en"), EN, ()),
    Field("ZQ17", CODEBOOK, ("populations", "role_asked", "da"), DA, ("codebook",)),
    Field("ZQ18", CODEBOOK, ("populations", "role_asked", "en"), EN, ("codebook",)),
    Field("ZQ19", CODEBOOK, ("batteries", "trigger", "da"), DA, ("figures",)),
    Field("ZQ20", CODEBOOK, ("batteries", "trigger", "en"), EN, ("figures",)),
    # figures.yaml: fig-02's title (appendix heading; the chart's aria-label) and note, the
    # infographic's line of text (drawn by Vega: an image in the PDF), a question text.
    Field("ZQ21", FIGURES, ("fig-02", "title", "da"), DA, ("figures",)),
    Field("ZQ22", FIGURES, ("fig-02", "title", "en"), EN, ("figures",)),
    Field("ZQ23", FIGURES, ("fig-02", "note", "da"), DA, ("leadership",)),
    Field("ZQ24", FIGURES, ("fig-02", "note", "en"), EN, ("leadership",)),
    Field("ZQ25", FIGURES, ("info-1", "text", "da"), DA, ("leadership",), pdf=False),
    Field("ZQ26", FIGURES, ("info-1", "text", "en"), EN, ("leadership",), pdf=False),
    Field("ZQ27", FIGURES, ("fig-02", "question", "da"), DA, ("leadership",), pdf=False),   # the Sources tab
    Field("ZQ28", FIGURES, ("fig-02", "question", "en"), EN, ("leadership",), pdf=False),
    # published.csv: the printed words of a row the reconciliation appendix lists as
    # inconsistent (its `note` is for reviewers of the file, shown nowhere); the explanation
    # readers see comes from inconsistencies.yaml.
    Field("ZQ31", PUBLISHED, ("fig16.dk", "printed"), BOTH, ("reconciliation",)),
    Field("ZQ32", PUBLISHED, ("fig16.dk", "note"), BOTH, ()),
    Field("ZQ33", INCONSISTENCIES, ("fig16.dk", "da"), DA, ("reconciliation",)),
    Field("ZQ34", INCONSISTENCIES, ("fig16.dk", "en"), EN, ("reconciliation",)),
]
# Payloads that fill a whole cell of a CSV download (the codebook, a figure's data, the
# reconciliation), so its formula must be guarded; a spreadsheet runs a cell starting with these.
CSV_TAGS = {"ZQ11", "ZQ12", "ZQ13", "ZQ14", "ZQ31"}
FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _set_yaml(node, path: tuple, value: str) -> None:
    for k in path[:-1]:
        if isinstance(node, list):   # a list of variables (by id) or of codes (by code)
            node = next(x for x in node if x.get("id", x.get("code")) == k)
        else:
            node = node[k]
    node[path[-1]] = value


def _inject(root: Path) -> None:
    for file in {f.file for f in FIELDS}:
        fields = [f for f in FIELDS if f.file == file]
        path = root / file
        if file.endswith(".csv"):
            with path.open(encoding="utf-8", newline="") as fh:
                rows = list(csv.DictReader(fh))
            id_col = next(iter(rows[0]))
            for f in fields:
                row = next(r for r in rows if r[id_col] == f.key[0])
                row[f.key[1]] = payload(f.tag)
            out = io.StringIO()
            writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
            writer.writeheader()
            writer.writerows(rows)
            path.write_text(out.getvalue(), encoding="utf-8")
        else:
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            for f in fields:
                _set_yaml(data, f.key, payload(f.tag))
            path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


QUOTES = str.maketrans({c: '"' for c in "“”„«»"} | {c: "'" for c in "‘’‚"})


def _flat(text: str) -> str:
    """Text without spaces, line breaks or soft hyphens (the PDF and the charts wrap lines inside
    a payload), with straight quotes (Pandoc's `smart` and Typst set quotes typographically: that
    is typesetting, not markup)."""
    return re.sub(r"\s+", "", text.replace("\u00ad", "").translate(QUOTES))


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = copy_project(tmp_path_factory.mktemp("escaping") / "arena")
    _inject(root)
    proc = run_build(root, "--engine", "embedded", "--quiet")
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return root / "_site"


@pytest.fixture(scope="module")
def server(site: Path):
    yield from serve(site)


@pytest.fixture(scope="module")
def browser():
    yield from chromium()


def _attribute(path: Path, element_id: str, name: str) -> str | None:
    """An attribute as the served HTML has it (vega-embed replaces the live chart's label)."""
    found: list[str | None] = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            if dict(attrs).get("id") == element_id:
                found.append(dict(attrs).get(name))

    Parser().feed(path.read_text(encoding="utf-8"))
    assert len(found) == 1, f"{path}: {len(found)} elements with id {element_id}"
    return found[0]


def _pdf_text(site: Path, lang: str) -> str:
    (pdf,) = (site / lang).glob("*.pdf")
    return subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"], capture_output=True, text=True,
                          check=True).stdout


# What an injected payload would leave in the DOM if it were taken as markup.
INJECTED = """() => {
  const onAttr = [...document.querySelectorAll('*')].filter(e =>
      [...e.attributes].some(a => a.name.startsWith('on') && a.value.includes('alert')));
  const runnable = [...document.scripts].filter(s =>
      (!s.type || /javascript|module/.test(s.type)) && s.text.includes('alert(1)'));
  return {
    on_handlers: onAttr.map(e => e.outerHTML.slice(0, 80)),
    scripts: runnable.map(s => s.text.slice(0, 80)),
    img_x: document.querySelectorAll('img[src="x"]').length,
    javascript_links: [...document.querySelectorAll('a[href]')]
        .filter(a => a.getAttribute('href').trim().toLowerCase().startsWith('javascript:')).length,
    bold: [...document.querySelectorAll('em, strong, b, i')].filter(e => e.textContent === 'bold').length,
  };
}"""
CLEAN = {"on_handlers": [], "scripts": [], "img_x": 0, "javascript_links": 0, "bold": 0}


def test_payloads_show_as_text_and_never_run(site: Path, server: str, browser) -> None:
    csv_tags: set[str] = set()
    for lang in BOTH:
        for name in sorted({p for f in FIELDS if lang in f.langs for p in f.pages}):
            rel = f"{lang}/{PAGES[name][lang]}"
            page = browser.new_page()
            dialogs: list[str] = []
            page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
            try:
                page.goto(f"{server}/{rel}", wait_until="load")
                page.wait_for_load_state("networkidle")
                for i in range(page.locator(".arena-chart").count()):   # Vega has drawn the labels
                    page.locator(".arena-chart").nth(i).locator("svg, canvas").first.wait_for(
                        state="attached", timeout=10_000)
                page.wait_for_timeout(300)   # an <img onerror> fires after its failed load
                assert dialogs == [], f"{rel}: a payload ran: {dialogs}"
                assert page.evaluate(INJECTED) == CLEAN, rel
                # The visible text, and the figure panels' tabs that are not selected (hidden).
                panels = page.eval_on_selector_all("[data-arena-panel]", "es => es.map(e => e.textContent)")
                text = _flat(page.inner_text("body") + " ".join(panels))
                for f in FIELDS:
                    if lang in f.langs and name in f.pages:
                        assert _flat(payload(f.tag)) in text, f"{rel}: {f.file} {f.key} not shown as written"
                if name == "leadership":   # the chart's accessible label is title + note, as written
                    title, note = {"da": ("ZQ21", "ZQ23"), "en": ("ZQ22", "ZQ24")}[lang]
                    label = _attribute(site / rel, "fig-02-chart", "aria-label")
                    # (the note may go on: how many values the chart draws as assumed)
                    assert label.startswith(f"{payload(title)}. {payload(note)}"), rel
                bodies = [urllib.parse.unquote(href.split(",", 1)[1]) for href in
                          page.eval_on_selector_all('a[href^="data:text/csv"]', "as => as.map(a => a.href)")]
                # The figures' CSV files (their Download tab), read as a spreadsheet would.
                for href in page.eval_on_selector_all('a[download$=".csv"]:not([href^="data:"])',
                                                      "as => as.map(a => a.getAttribute('href'))"):
                    bodies.append(((site / rel).parent / href).resolve().read_text(encoding="utf-8"))
                for body in bodies:
                    sep = ";" if body.startswith("\ufeff") else ","      # the Danish files: Excel's way
                    for cell in (c for row in csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=sep) for c in row):
                        for tag in re.findall(r"ZQ\d\d", cell):
                            assert payload(tag) in cell, f"{rel}: CSV cell {cell[:40]!r}"
                            assert not cell.startswith(FORMULA), f"{rel}: CSV cell not guarded: {cell[:40]!r}"
                            if cell == "'" + payload(tag):
                                csv_tags.add(tag)
            finally:
                page.close()
    assert csv_tags >= CSV_TAGS, f"no CSV download carried {sorted(CSV_TAGS - csv_tags)}"


def test_payloads_in_the_pdf_as_written(site: Path) -> None:
    for lang in BOTH:
        text = _flat(_pdf_text(site, lang))
        for f in FIELDS:
            if lang in f.langs and f.pages and f.pdf:
                assert _flat(payload(f.tag)) in text, f"{lang} PDF: {f.file} {f.key} not shown as written"


def test_fields_declared_unshown_appear_nowhere(site: Path) -> None:
    output = "".join(p.read_text(encoding="utf-8") for p in site.rglob("*.html"))
    output += "".join(_pdf_text(site, lang) for lang in BOTH)
    for f in FIELDS:
        if not f.pages:
            assert f.tag not in output, f"{f.file} {f.key} is now shown: declare its pages in FIELDS"
