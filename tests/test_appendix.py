"""Appendix B: the figure tables as a reader sees them, checked against counts made here."""
from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest
from statsmodels.stats.proportion import proportion_confint

from analysis import appendix
from analysis.report import Report

RAW = Path(__file__).resolve().parent.parent / "data" / "raw" / "survey.csv"


@pytest.fixture(scope="module")
def raw():
    return pd.read_csv(RAW)


def rows(markdown: str) -> tuple[list[str], list[list[str]]]:
    """Header and body cells of the one pipe table in `markdown`."""
    lines = [l for l in markdown.splitlines() if l.startswith("|")]
    cells = [[c.strip() for c in l.strip("|").split(" | ")] for l in lines]
    return cells[0], cells[2:]


def test_shared_question_stands_once_and_numbers_are_danish(raw):
    md = appendix.figure_table(Report("da"), "fig-02")
    lead, table = md.split("\n\n", 1)
    assert lead.startswith("*Spørgsmål:* Kommunalbestyrelsen/regionsrådet arbejder på at forny")
    head, body = rows(table)
    assert head[0] == "Svar" and "Spørgsmål" not in head
    agree = int((raw["cult_renew"] == 4).sum())      # "Helt enig"
    row = next(r for r in body if r[0] == "Helt enig")
    lo, hi = proportion_confint(agree, len(raw), alpha=0.05, method="wilson")
    share = f"{100 * agree / len(raw):.1f}".replace(".", ",")
    ci = f"{100 * lo:.1f}–{100 * hi:.1f}".replace(".", ",")
    assert row[1:5] == [str(agree), str(len(raw)), share, ci]
    assert head[4] == "95\u00a0%-KI"
    assert "True" not in md and "False" not in md


def test_english_uses_points_and_english_headers(raw):
    md = appendix.figure_table(Report("en"), "fig-02")
    head, body = rows(md.split("\n\n", 1)[1])
    assert head[:5] == ["Answer", "Count", "Base", "Per cent", "95% CI"]
    agree = int((raw["cult_renew"] == 4).sum())
    row = next(r for r in body if r[0] == "Strongly agree")
    assert row[3] == f"{100 * agree / len(raw):.1f}"


def test_flags_become_marks():
    # fig-10 is split by council: the regional politicians are a base under 50 (by hand: 44
    # innovation-active regional politicians), and several of their cells hold 1 to 4 answers.
    head, body = rows(appendix.figure_table(Report("en"), "fig-10"))
    assert head[-1] == "Note"
    i_count, i_base = head.index("Count"), head.index("Base")
    for r in body:
        count, base = int(r[i_count].replace(",", "")), int(r[i_base].replace(",", ""))
        assert ("†" in r[-1]) == (base < 50), r
        assert ("‡" in r[-1]) == (0 < count < 5), r
    assert any("†" in r[-1] for r in body)


def test_repeated_question_is_shown_on_its_first_row_only():
    head, body = rows(appendix.figure_table(Report("da"), "fig-03"))
    assert head[0] == "Spørgsmål"
    shown = [r[0] for r in body if r[0]]
    assert len(shown) == len(set(shown)) == 2          # fig-03 asks about two statements
    assert body[0][0] == shown[0]
