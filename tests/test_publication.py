"""Publication details from one place (_quarto.yml and the profiles): on every page, in the
PDF, and in the citation files. Expected values are read from the YAML files here."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import REPO, copy_project, run_build

pytestmark = pytest.mark.slow


def config(lang: str) -> tuple[dict, dict]:
    base = yaml.safe_load((REPO / "_quarto.yml").read_text(encoding="utf-8"))
    profile = yaml.safe_load((REPO / f"_quarto-{lang}.yml").read_text(encoding="utf-8"))
    return {**base["book"], **profile["book"]}, base["arena"]


def metas(page: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for kind, name, content in re.findall(r'<meta (name|property)="([^"]+)" content="([^"]*)">', page):
        out.setdefault(name, []).append(content)
    return out


@pytest.mark.parametrize("lang", ["da", "en"])
def test_every_page_carries_the_publication_details(built_project: Path, lang: str) -> None:
    book, arena = config(lang)
    pages = sorted((built_project / "_site" / lang).rglob("*.html"))
    assert len(pages) > 15
    for path in pages:
        page = path.read_text(encoding="utf-8")
        m = metas(page)
        assert m["citation_author"] == [book["author"]], path.name
        assert m["citation_publication_date"] == [book["date"].replace("-", "/")], path.name
        assert m["citation_title"][0].startswith(book["title"]), path.name
        assert m["description"] == [book["subtitle"]] and m["og:title"][0].endswith(book["title"]), path.name
        assert "og:url" not in m and "citation_pdf_url" not in m        # no site-url configured yet
        footer = page.split('<footer class="site-footer"', 1)[1]
        assert arena["licence"]["text"] in footer and arena["licence"]["code"] in footer
        assert arena["original"]["title"] in footer and book["author"] in footer


@pytest.mark.parametrize("lang", ["da", "en"])
def test_citation_files_and_the_front_page(built_project: Path, lang: str) -> None:
    book, arena = config(lang)
    csl = json.loads((built_project / "_site" / lang / "cite" / f"arena-{lang}.json").read_text(encoding="utf-8"))
    y, m, d = (int(x) for x in book["date"].split("-"))
    assert csl[0]["issued"]["date-parts"] == [[y, m, d]]
    assert csl[0]["author"] == [{"literal": book["author"]}]
    assert csl[0]["edition"] == str(arena["edition"]["number"])
    bib = (built_project / "_site" / lang / "cite" / f"arena-{lang}.bib").read_text(encoding="utf-8")
    assert bib.startswith("@book{") and bib.count("{") == bib.count("}")
    assert f"year = {{{y}}}" in bib and book["author"] in bib
    front = (built_project / "_site" / lang / "index.html").read_text(encoding="utf-8")
    assert f'href="cite/arena-{lang}.bib"' in front and f'href="cite/arena-{lang}.json"' in front
    assert 'id="sec-citer"' in front


@pytest.mark.parametrize("lang", ["da", "en"])
def test_pdf_metadata_title_page_and_fonts(built_project: Path, lang: str) -> None:
    book, arena = config(lang)
    pdf = next((built_project / "_site" / lang).glob("*.pdf"))
    info = subprocess.run(["pdfinfo", str(pdf)], capture_output=True, text=True, check=True).stdout
    fields = dict(re.findall(r"^(\w+):\s+(.*)$", info, re.M))
    assert fields["Title"] == book["title"] and fields["Author"] == book["author"]
    # Tagged for assistive technology (Typst tags unless told `pdf_tags=False`): a structure tree
    assert fields.get("Tagged") == "yes", info
    y, m, d = book["date"].split("-")
    assert re.search(rf"\b{int(d)} 00:00:00 {y}\b", fields["CreationDate"]), fields["CreationDate"]
    first = subprocess.run(["pdftotext", "-f", "1", "-l", "1", str(pdf), "-"], capture_output=True, text=True,
                           check=True).stdout
    flat = re.sub(r"\s+", " ", first)
    assert book["author"] in flat and arena["licence"]["text"] in flat and arena["original"]["foreword"] in flat
    fonts = subprocess.run(["pdffonts", str(pdf)], capture_output=True, text=True, check=True).stdout.splitlines()[2:]
    assert fonts and all(line.split()[-5] == "yes" for line in fonts), fonts     # every font embedded
    # The charts' text is set in the font they were laid out in (shipped in analysis/fonts).
    assert any(re.search(r"\+DejaVuSans\s", line) for line in fonts), fonts


def test_a_site_url_makes_absolute_addresses(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "arena")
    cfg = root / "_quarto.yml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace('site-url: ""', 'site-url: "https://arena.example.org/"'),
                   encoding="utf-8")
    proc = run_build(root, "--engine", "embedded", "--quiet", "--lang", "en", "--format", "html")
    assert proc.returncode == 0, proc.stderr
    m = metas((root / "_site/en/chapters/en/04-political-leadership.html").read_text(encoding="utf-8"))
    assert m["og:url"] == ["https://arena.example.org/en/chapters/en/04-political-leadership.html"]
    assert m["citation_pdf_url"] == ["https://arena.example.org/en/arena-en.pdf"]
    csl = json.loads((root / "_site/en/cite/arena-en.json").read_text(encoding="utf-8"))
    assert csl[0]["URL"] == "https://arena.example.org/en/index.html"
