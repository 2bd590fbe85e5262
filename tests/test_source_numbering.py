"""The site numbers figures, infographics and tables as the source does. The source's numbers are
read from the seed text itself ("FIGUR 5" above a figure, "Tabel 2: …" before a table), never from
the project's registry; the registry only says where in the seed each figure stands."""
from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parent.parent
SEED = next(Path(os.environ.get("ARENA_SEEDS", REPO.parent / "shared" / "seeds")).glob("001_*.txt"), None)
WORD = {"da": {"fig": "Figur", "inf": "Infografik", "tbl": "Tabel"},
        "en": {"fig": "Figure", "inf": "Infographic", "tbl": "Table"}}


def seed_floats(text: str) -> tuple[dict[int, int], list[int]]:
    """({line: figure number} of every "FIGUR n" heading, [n of every "Tabel n:" caption])."""
    figures, tables = {}, []
    for i, line in enumerate(text.splitlines(), 1):
        m = re.fullmatch(r"\s*FIGUR (\d+)\s*", line)
        if m:
            figures[i] = int(m.group(1))
        m = re.match(r"\s*Tabel (\d+):", line)
        if m:
            tables.append(int(m.group(1)))
    return figures, tables


@pytest.fixture(scope="module")
def seed() -> str:
    if SEED is None:
        pytest.skip("the source report (shared/seeds/001_*.txt) is not next to the repository")
    return SEED.read_text(encoding="utf-8")


def captions(site: Path, lang: str) -> dict[str, str]:
    """{float id: caption prefix ("Figur 5")} over every page of a language."""
    out = {}
    for page in (site / lang / "chapters" / lang).glob("*.html"):
        for fid, cap in re.findall(r'<figure id="((?:fig|inf|tbl)-[\w-]+)".*?<figcaption>([^:<]+):',
                                   page.read_text(encoding="utf-8"), re.S):
            out[fid] = cap.replace("\u00a0", " ")
    return out


@pytest.mark.parametrize("lang", ["da", "en"])
def test_figure_infographic_and_table_numbers_are_the_sources(seed, built_project, lang):
    figures, tables = seed_floats(seed)
    assert sorted(figures.values()) == list(range(1, len(figures) + 1)) and len(figures) > 20
    registry = yaml.safe_load((REPO / "analysis" / "figures.yaml").read_text(encoding="utf-8"))
    got = captions(built_project / "_site", lang)
    w = WORD[lang]
    expected = {}
    for fig_id, spec in registry.items():
        if fig_id.startswith("fig-"):
            # the number printed above the figure in the seed, at the line the registry names
            expected[fig_id] = f"{w['fig']} {figures[spec['source_line']]}"
            assert spec.get("number") == figures[spec["source_line"]], f"figures.yaml {fig_id}: number"
    infos = sorted(f for f in registry if f.startswith("info-"))
    for i, fig_id in enumerate(sorted(infos, key=lambda f: registry[f]["source_line"]), 1):
        expected[fig_id.replace("info-", "inf-")] = f"{w['inf']} {i}"
    tbl = sorted(f for f in got if f.startswith("tbl-"))
    assert sorted(got[f] for f in tbl) == [f"{w['tbl']} {n}" for n in tables]
    wrong = {f: (got.get(f), want) for f, want in expected.items() if got.get(f) != want}
    assert not wrong, f"{lang}: (site, source) {wrong}"
    assert len([f for f in got if f.startswith("fig-")]) == len(figures)


@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_pdf_numbers_infographics_apart(seed, built_project, lang):
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    pdf = built_project / "_site" / lang / f"arena-{lang}.pdf"
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    text = text.replace("\u00a0", " ")
    figures, _ = seed_floats(seed)
    w = WORD[lang]
    assert f"{w['inf']} 2:" in text
    assert f"{w['fig']} {max(figures.values())}:" in text
    assert f"{w['fig']} {max(figures.values()) + 1}:" not in text


def test_the_seed_parser_reads_numbers_not_positions():
    figures, tables = seed_floats("x\n FIGUR 2 \nTabel 3: y\nFIGUR 12\n")
    assert figures == {2: 2, 4: 12} and tables == [3]


def test_a_custom_kind_without_a_key_is_named_with_its_file(tmp_path):
    from arena.render import config

    for name in ("_quarto.yml", "_quarto-da.yml", "_quarto-en.yml"):
        shutil.copy(REPO / name, tmp_path / name)
    assert config.load(tmp_path, "da").float_kinds == ("fig", "tbl", "inf")
    prof = tmp_path / "_quarto-da.yml"
    prof.write_text(prof.read_text(encoding="utf-8").replace("      key: inf\n", ""), encoding="utf-8")
    with pytest.raises(ValueError, match=r"_quarto-da\.yml: crossref\.custom: each entry needs kind: float and a key"):
        config.load(tmp_path, "da").float_kinds
