"""Every figure as a panel: Chart | Table | Sources | Download, and downloads that parse."""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from conftest import REPO

pytestmark = pytest.mark.slow
WORDS = yaml.safe_load((REPO / "analysis/words.yaml").read_text(encoding="utf-8"))


def figure_pages(site: Path, lang: str) -> dict[Path, list[str]]:
    out = {}
    for page in sorted((site / lang / "chapters" / lang).glob("*.html")):
        charts = re.findall(r'class="arena-panels"[^>]*data-chart="([^"]+)"', page.read_text(encoding="utf-8"))
        if charts:
            out[page] = charts
    return out


@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_figure_has_its_panel_and_downloads(built_project: Path, lang: str) -> None:
    import vl_convert as vlc

    site = built_project / "_site"
    records = json.loads((built_project / "build/artifacts/figures/figures.json").read_text(encoding="utf-8"))
    pages = figure_pages(site, lang)
    charts = [c for cs in pages.values() for c in cs]
    assert len(charts) == len(records)                                   # every figure, once
    sep, status = (";" if lang == "da" else ","), WORDS["col.status"][lang]
    prefix = {"figure": WORDS["panel.file.figure"][lang], "info": WORDS["panel.file.infographic"][lang]}
    for page, ids in pages.items():
        html = page.read_text(encoding="utf-8")
        for chart in ids:
            panel = html.split(f'data-chart="{chart}"', 1)[1].split('class="arena-panels"', 1)[0]
            for name in ("table", "sources", "download"):
                assert f'data-arena-panel="{name}"' in panel, (page.name, chart, name)
            links = re.findall(r'<a href="([^"]+)" download="([^"]+)"', panel)
            assert {Path(h).suffix for h, _ in links} == {".csv", ".json", ".svg"} | {".json"}
            rec = records[chart.removesuffix("-chart")]
            kind = "info" if rec["id"].startswith("info") else "figure"
            number = rec["number"] or int(rec["id"].rsplit("-", 1)[1])
            for href, name in links:
                assert name == Path(href).name and name.startswith(f"{prefix[kind]}-{number:02d}.")
                data = (page.parent / href).resolve().read_bytes()
                if name.endswith(".csv"):
                    text = data.decode("utf-8")
                    assert text.startswith("\ufeff") == (lang == "da")
                    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff")), delimiter=sep))
                    assert status in rows[0] and len(rows) > 1 and all(len(r) == len(rows[0]) for r in rows)
                    shares = [r[rows[0].index(WORDS["col.percent"][lang])] for r in rows[1:]]
                    decimal = "," if lang == "da" else "."
                    assert all(decimal in s or s.isdigit() or s == "" for s in shares), shares
                    assert "resp_id" not in text
                elif name.endswith(".vl.json"):
                    spec = json.loads(data)
                    assert "vega-lite" in spec["$schema"]
                    vlc.vegalite_to_vega(spec)                           # loads in Vega-Lite
                elif name.endswith(".json"):
                    meta = json.loads(data)
                    assert {"title", "question", "base", "source", "edition", "licence"} <= set(meta)
                    assert meta["base"] == rec["langs"][lang]["n"]
                else:
                    assert ET.fromstring(data).tag.endswith("svg")


@pytest.mark.browser
@pytest.mark.parametrize("lang", ["da", "en"])
def test_tabs_are_reachable_and_work_by_keyboard(built_project: Path, lang: str) -> None:
    playwright = pytest.importorskip("playwright.sync_api")
    chromium = "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else shutil.which("chromium")
    names = [WORDS[f"panel.{k}"][lang] for k in ("chart", "table", "sources", "download")]
    pages = figure_pages(built_project / "_site", lang)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1366, "height": 900})
        for page_path, charts in pages.items():   # every figure of the language
            page.goto(page_path.as_uri())
            _check_tabs(page, charts, names)
        browser.close()


def _check_tabs(page, charts: list[str], names: list[str]) -> None:
    lists = page.locator('[role="tablist"]')
    assert lists.count() == len(charts)
    for i in range(lists.count()):
        tabs = lists.nth(i).locator('[role="tab"]')
        assert tabs.all_inner_texts() == names
        tabs.first.focus()
        for k in range(1, 4):
            page.keyboard.press("ArrowRight")
            current = tabs.nth(k)
            assert current.get_attribute("aria-selected") == "true"
            assert page.evaluate("document.activeElement.getAttribute('role')") == "tab"
            panel = page.locator("#" + current.get_attribute("aria-controls"))
            assert panel.is_visible() and panel.get_attribute("role") == "tabpanel"
        page.keyboard.press("Home")
        assert tabs.first.get_attribute("aria-selected") == "true"
        # the chart itself stays an image named by its alt text inside its tab panel
        assert page.locator("#" + charts[i]).get_attribute("role") == "img"
