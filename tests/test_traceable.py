"""Every number in the text can be traced where it stands: an element with its key and status
that opens its provenance from the keyboard; numbers.csv holds every key the pages use."""
from __future__ import annotations

import csv
import html
import io
import random
import re
import shutil
import urllib.parse
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow
REPO_ROOT = Path(__file__).resolve().parent.parent
PERCENT = re.compile(r"\d+(?:[.,]\d+)?\s?%")
SPAN = re.compile(r'<span class="arena-num" data-claim="([^"]+)" data-status="(printed|assumed|inconsistent|differs|derived)">(.*?)</span>', re.S)


def survey_pages(site: Path, lang: str) -> list[Path]:
    return sorted(p for p in (site / lang / "chapters" / lang).glob("*.html") if 3 <= int(p.name[:2]) <= 13)


def prose(page: str) -> str:
    """The chapter's paragraphs and list items, without figures, tables and notes."""
    main = page.split('<main', 1)[1].split("</main>", 1)[0]
    main = re.sub(r"<figure.*?</figure>|<table.*?</table>|<script.*?</script>|<div class=\"arena-chart.*?</div>", "",
                  main, flags=re.S)
    return "".join(re.findall(r"<(?:p|li)[ >].*?</(?:p|li)>", main, re.S))


def read_numbers(site: Path, lang: str) -> dict[str, dict]:
    text = (site / lang / "downloads" / "numbers.csv").read_text(encoding="utf-8")
    assert text.startswith("\ufeff") == (lang == "da")                         # Danish spreadsheets
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=";" if lang == "da" else ","))
    head = rows[0]
    return {r[0]: dict(zip(head, r)) for r in rows[1:]}


@pytest.mark.parametrize("lang", ["da", "en"])
def test_percentages_in_survey_prose_are_traceable(built_project: Path, lang: str) -> None:
    site = built_project / "_site"
    total = traced = 0
    for path in survey_pages(site, lang):
        text = prose(path.read_text(encoding="utf-8"))
        # text, not markup: Quarto writes a no-break space as "&nbsp;", the embedded site as the character
        inside = sum(len(PERCENT.findall(html.unescape(m.group(3)))) for m in SPAN.finditer(text))
        total += len(PERCENT.findall(html.unescape(re.sub(r"<[^>]+>", "", text))))
        traced += inside
    assert total > 100
    assert traced / total >= 0.95, (traced, total)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_numbers_csv_holds_every_key_on_the_pages(built_project: Path, lang: str) -> None:
    site = built_project / "_site"
    numbers = read_numbers(site, lang)
    used = set()
    for path in (site / lang).rglob("*.html"):
        used |= set(re.findall(r'data-claim="([^"]+)"', path.read_text(encoding="utf-8")))
    assert used and not used - set(numbers)


def test_no_download_holds_respondent_rows(built_project: Path) -> None:
    site = built_project / "_site"
    texts = [p.read_text(encoding="utf-8", errors="replace") for p in site.rglob("*")
             if p.suffix == ".csv" and p.is_file() and "pagefind" not in p.parts]
    for page in site.rglob("*.html"):
        texts += [urllib.parse.unquote(h) for h in re.findall(r'href="data:text/csv[^,]*,([^"]+)"',
                                                               page.read_text(encoding="utf-8"))]
    assert len(texts) > 30
    for text in texts:
        header = re.split(r"[;,]", text.lstrip("\ufeff").split("\n", 1)[0])
        assert "resp_id" not in header           # no table keyed by respondent (the data dictionary names it)
        assert text.count("\n") < 600            # a respondent file has a row per respondent (608)


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["da", "en"])
def test_popovers_from_the_keyboard_show_the_value_numbers_csv_gives(built_project: Path, lang: str) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    site = built_project / "_site"
    numbers = read_numbers(site, lang)
    value_col = {"da": "tal", "en": "number"}[lang]
    spans = []
    for path in survey_pages(site, lang):
        for key in dict.fromkeys(re.findall(r'data-claim="([^"]+)"', path.read_text(encoding="utf-8"))):
            spans.append((path, key))
    sample = random.Random(7).sample(spans, 30)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        for path, key in sample:
            page.goto(path.as_uri())
            el = page.locator(f'.arena-num[data-claim="{key}"]').first
            el.focus()
            assert page.evaluate("document.activeElement.getAttribute('data-claim')") == key
            assert el.get_attribute("role") == "button"
            page.keyboard.press("Enter")
            box = page.locator("#arena-claim-popover")
            assert box.get_attribute("role") == "dialog"
            assert page.evaluate("document.activeElement.id") == "arena-claim-popover"   # announced: focus moved
            rows = box.locator("dt").all_inner_texts(), box.locator("dd").all_inner_texts()
            shown = dict(zip(*rows))
            first_label = rows[0][0]
            assert shown[first_label].replace("\u00a0", " ") == numbers[key][value_col].replace("\u00a0", " "), key
            page.keyboard.press("Escape")
            assert page.locator("#arena-claim-popover").count() == 0
            assert page.evaluate("document.activeElement.getAttribute('data-claim')") == key
        browser.close()


@pytest.mark.parametrize("lang, about", [("da", "15-om-data.html"), ("en", "15-about-the-data.html")])
def test_codebook_and_data_dictionary_downloads(built_project: Path, lang: str, about: str) -> None:
    import yaml

    site = built_project / "_site" / lang
    page = (site / "chapters" / lang / about).read_text(encoding="utf-8")
    for name in ("numbers.csv", "codebook.csv", "data-dictionary.csv"):
        assert f'href="../../downloads/{name}"' in page                 # linked from the about-the-data page
    codebook = yaml.safe_load((REPO_ROOT / "data/codebook/codebook.yaml").read_text(encoding="utf-8"))
    variables = [v["id"] for v in codebook["variables"]]
    sep = ";" if lang == "da" else ","
    book = list(csv.reader(io.StringIO((site / "downloads/codebook.csv").read_text(encoding="utf-8").lstrip("\ufeff")),
                           delimiter=sep))
    assert [r[0] for r in book[1:]] == variables
    first = next(v for v in codebook["variables"])
    assert book[1][1] == first["question"]["da"] and book[1][2] == first["question"]["en"]
    dictionary = list(csv.reader(io.StringIO((site / "downloads/data-dictionary.csv").read_text(encoding="utf-8")
                                             .lstrip("\ufeff")), delimiter=sep))
    header = (REPO_ROOT / "data/raw/survey.csv").read_text(encoding="utf-8").splitlines()[0].split(",")
    assert [r[0] for r in dictionary[1:]] == header                  # every column of the respondent file
