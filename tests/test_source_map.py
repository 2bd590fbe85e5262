"""Everything the source report holds has a place on the site: data/published/source-map.yaml maps
each heading, figure, infographic, table, box, case and recommendation of the source to a page and
section in both languages. The items are parsed here from the source text itself (not from the
project's registry), so an item the map forgets, or a section that no longer exists, fails."""
from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
SEEDS = Path(os.environ.get("ARENA_SEEDS", ROOT.parent / "shared" / "seeds"))
MAP = ROOT / "data" / "published" / "source-map.yaml"
# The source's recurring boxes open with one of these words
BOXES = ("COI-indsigter", "COI sammenfatter", "COI fremhæver", "Indspark udefra", "Politikeren siger",
         "Forskeren siger")
RECOMMENDATION = re.compile(r"(Tre (anbefalinger|ideer|gode budskaber)|Styrk )")


def parse_seed(text: str) -> list[dict]:
    """The source's items in order: figures ("FIGUR 5"), tables ("Tabel 2: …"), cases ("CASE …"),
    boxes, recommendations, infographics (a headline number standing alone, explained by a
    "Figuren viser" note just below) and headings (a line that opens a page: one leading space, a
    capital letter, short, not ending a sentence)."""
    lines = text.splitlines()
    items: list[dict] = []
    infographics = 0
    for i, line in enumerate(lines, 1):
        s = line.strip()
        if not s:
            continue
        if m := re.fullmatch(r"FIGUR (\d+)", s):
            items.append({"line": i, "kind": "figure", "number": int(m.group(1))})
        elif m := re.match(r"Tabel (\d+):", s):
            items.append({"line": i, "kind": "table", "number": int(m.group(1))})
        elif s.startswith("CASE ") and s == s.upper():
            items.append({"line": i, "kind": "case"})
        elif s.startswith(BOXES):
            items.append({"line": i, "kind": "box"})
        elif RECOMMENDATION.match(s):
            items.append({"line": i, "kind": "recommendation"})
        elif re.fullmatch(r"\d+ ud af \d+|\d+ %", s) and any(
                l.startswith("Figuren viser") for l in lines[i:i + 6]):
            infographics += 1
            items.append({"line": i, "kind": "infographic", "number": infographics})
        elif (re.match(r" \S", line) and s[0].isupper() and len(s) < 90
              and not s.endswith((".", ",", ";"))):
            items.append({"line": i, "kind": "heading"})
    return items


@pytest.fixture(scope="module")
def seed_items() -> list[dict]:
    seed = next(SEEDS.glob("001_*.txt"), None) if SEEDS.exists() else None
    if seed is None:
        pytest.skip("the source report (shared/seeds/001_*.txt) is not next to the repository")
    return parse_seed(seed.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def source_map() -> list[dict]:
    return yaml.safe_load(MAP.read_text(encoding="utf-8"))


def test_the_map_covers_every_item_of_the_source(seed_items, source_map):
    mapped = {(e["line"], e["kind"], e.get("number")) for e in source_map}
    missing = [i for i in seed_items if (i["line"], i["kind"], i.get("number")) not in mapped]
    assert not missing, f"items of the source with no place in {MAP.name}: {missing}"
    kinds = {i["kind"] for i in seed_items}
    assert {"heading", "figure", "table", "box", "case", "recommendation", "infographic"} <= kinds


def test_every_target_section_exists_in_both_languages(source_map):
    problems = []
    for e in source_map:
        for lang in ("da", "en"):
            page, _, sec = str(e.get(lang, "")).partition("#")
            path = ROOT / page
            if not page.startswith(f"chapters/{lang}/") or not path.is_file():
                problems.append(f"line {e['line']}: {lang} page {page!r} is not a chapter of that language")
            elif not re.search(r"\{#" + re.escape(sec) + r"[\s}]", path.read_text(encoding="utf-8")):
                problems.append(f"line {e['line']}: {page} has no section {sec!r}")
    assert not problems, "\n".join(problems)


def test_figures_and_tables_map_to_the_section_that_shows_them(source_map):
    for e in source_map:
        if e["kind"] not in ("figure", "infographic"):
            continue
        label = f"fig-{e['number']:02d}" if e["kind"] == "figure" else f"inf-{e['number']}"
        for lang in ("da", "en"):
            page, _, sec = e[lang].partition("#")
            text = (ROOT / page).read_text(encoding="utf-8")
            at = re.search(r"(label: |\{#)" + label + r"\b", text)
            assert at, f"{page}: {label} is not on the page the map names"
            above = re.findall(r"^#+ .*\{#(sec-[\w-]+)", text[:at.start()], re.M)
            assert above and above[-1] == sec, f"{page}: {label} stands under {above[-1:]} not {sec}"


def test_the_parser_finds_each_kind():
    text = ("\n Forord\n\nbrødtekst, der fortsætter.\n FIGUR 3\nTabel 2: x\n CASE KOLDING KOMMUNE\n"
            " COI-indsigter\nTre anbefalinger til y\n3 ud af 4\n\nFiguren viser noget.\n")
    kinds = [(i["kind"], i.get("number")) for i in parse_seed(text)]
    assert kinds == [("heading", None), ("figure", 3), ("table", 2), ("case", None), ("box", None),
                     ("recommendation", None), ("infographic", 1)]
