"""Appendix B: the figure tables as a reader sees them, checked against counts made here."""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from analysis import appendix
from conftest import chapter_report as Report

RAW = Path(__file__).resolve().parent.parent / "data" / "raw" / "survey.csv"


@pytest.fixture(scope="module")
def raw():
    return pd.read_csv(RAW)


def rows(table: pd.DataFrame) -> tuple[list[str], list[list[str]]]:
    return list(table.columns), [list(r) for r in table.itertuples(index=False)]


def test_shared_question_stands_once_and_numbers_are_danish(raw):
    shared, table = appendix.figure_table(Report("da"), "fig-02")
    assert shared.startswith("Kommunalbestyrelsen/regionsrådet arbejder på at forny")
    head, body = rows(table)
    assert head[0] == "Svar" and "Spørgsmål" not in head
    agree = int((raw["cult_renew"] == 4).sum())      # "Helt enig"
    row = next(r for r in body if r[0] == "Helt enig")
    lo, hi = proportion_confint(agree, len(raw), alpha=0.05, method="wilson")
    share = f"{100 * agree / len(raw):.1f}".replace(".", ",")
    ci = f"{100 * lo:.1f}–{100 * hi:.1f}".replace(".", ",")
    assert row[1:5] == [str(agree), str(len(raw)), share, ci]
    assert head[4] == "95\u00a0%-KI"
    md = appendix.figure_table_markdown(Report("da"), "fig-02")
    assert md.startswith("*Spørgsmål:* Kommunalbestyrelsen/regionsrådet")
    assert "True" not in md and "False" not in md


def test_english_uses_points_and_english_headers(raw):
    head, body = rows(appendix.figure_table(Report("en"), "fig-02")[1])
    assert head[:5] == ["Answer", "Count", "Base", "Per cent", "95% CI"]
    agree = int((raw["cult_renew"] == 4).sum())
    row = next(r for r in body if r[0] == "Strongly agree")
    assert row[3] == f"{100 * agree / len(raw):.1f}"


def test_flags_become_marks():
    # fig-10 is split by council: the regional politicians are a base under 50 (by hand: 44
    # innovation-active regional politicians), and several of their cells hold 1 to 4 answers.
    head, body = rows(appendix.figure_table(Report("en"), "fig-10")[1])
    assert head[-1] == "Note"
    i_count, i_base = head.index("Count"), head.index("Base")
    for r in body:
        count, base = int(r[i_count].replace(",", "")), int(r[i_base].replace(",", ""))
        assert ("†" in r[-1]) == (base < 50), r
        assert ("‡" in r[-1]) == (0 < count < 5), r
    assert any("†" in r[-1] for r in body)


def test_repeated_question_is_shown_on_its_first_row_only():
    shared, table = appendix.figure_table(Report("da"), "fig-03")
    head, body = rows(table)
    assert shared == ""
    assert head[0] == "Spørgsmål"
    shown = [r[0] for r in body if r[0]]
    assert len(shown) == len(set(shown)) == 2          # fig-03 asks about two statements
    assert body[0][0] == shown[0]


def test_tables_reach_both_formats_as_raw_blocks_with_text_escaped():
    from analysis.display import Table

    frame = pd.DataFrame({"Answer": ["1. #tag [x] a-b <b>", "politicians' view"], "Per cent": ["45,7", "3,0"]})
    md = Table(frame).to_markdown()
    assert "```{=html}" in md and "```{=typst}" in md and "| " not in md   # no pipe table for Pandoc
    typst_src = md.split("```{=typst}\n", 1)[1]
    assert r"[1\. \#tag \[x\] a\-b \<b\>]" in typst_src
    assert "align: (left,right,)" in typst_src
    html = md.split("```{=html}\n", 1)[1]
    assert "&lt;b&gt;" in html and "politicians\u2019 view" in html and '<td class="num">45,7</td>' in html


def test_a_typst_table_compiles_and_keeps_its_text(tmp_path):
    typst = pytest.importorskip("typst")
    from analysis.display import Table

    frame = pd.DataFrame({"Svar": ["1. Helt uenig", "#3 [x] $5 @a <b> a/b = c+d ~e_f*g`h`\\"], "Antal": ["1.234", "5"]})
    src = tmp_path / "t.typ"
    src.write_text(Table(frame, caption="Tabel").to_typst(), encoding="utf-8")
    pdf = tmp_path / "t.pdf"
    typst.compile(str(src), output=str(pdf), format="pdf")  # a syntax error raises
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext (poppler-utils) is not installed")
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    for cell in ["1. Helt uenig", "#3 [x] $5 @a <b> a/b = c+d ~e_f*g`h`\\", "1.234", "Tabel"]:
        assert cell in text
