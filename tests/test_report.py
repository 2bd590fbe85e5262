"""The chapter API and the reconciliation, checked against independent pandas counts."""
from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from analysis import figures
from arena.chapter import nearest_fraction
from conftest import chapter_report as Report

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw" / "survey.csv"
NBSP = "\u00a0"


@pytest.fixture(scope="module")
def raw():
    return pd.read_csv(RAW)


def test_numbers_are_recomputed_and_formatted_per_language(raw):
    agree = raw["cult_renew"].isin([3, 4]).sum()
    expected = int(100 * agree / len(raw) + 0.5)  # half up, by hand
    assert Report("da").num("fig02.agree", plain=True) == f"{expected}{NBSP}%"
    assert Report("en").num("fig02.agree", plain=True) == f"{expected}%"
    assert Report("da").num("tab1.resp_total", plain=True) == "608"
    assert Report("en").num("tab1.rate_mun", plain=True) == "22.7%"      # 552 / 2,432 invited
    assert Report("da").num("tab1.rate_mun", plain=True) == f"22,7{NBSP}%"


def test_fraction_and_counts(raw):
    r = Report("da")
    assert r.count("info1.active", plain=True) == str(int((raw.active == 1).sum()))
    assert r.base("info1.active", plain=True) == "608"
    assert r.fraction("info1.active", plain=True) == "3 ud af 4"
    assert Report("en").fraction("info1.active", plain=True) == "3 out of 4"
    assert nearest_fraction(66.4) == (2, 3)
    assert nearest_fraction(9.8) == (1, 10)


def test_group_difference_states_significance(raw):
    text = Report("en").test("fig17.signif_majority", plain=True)
    assert text.startswith("statistically significant (")
    assert "p " in text
    da = Report("da").test("fig17.signif_majority", plain=True)
    assert da.startswith("statistisk signifikant")


def test_figure_base_and_note(raw):
    r = Report("da")
    assert r.n("fig-08") == str(int((raw.role != 0).sum()))   # not asked = innovation plays no role
    assert r.n("info-2") == "575"
    note = r.figure_record("fig-02")["langs"]["da"]["note"]
    hidden = int(100 * raw.cult_renew.isin([7, 8]).sum() / len(raw) + 0.5)
    assert f"{hidden}{NBSP}%" in note and "{" not in note


def test_charts_get_aggregated_tables_only():
    r = Report("en")
    for fig_id in ("fig-02", "fig-05", "fig-18", "fig-17"):
        spec = figures.build_chart(r.figure_record(fig_id)["langs"]["en"]["chart"], "en").to_dict()
        text = repr(spec)
        assert "resp_id" not in text
        rows = sum(len(v) for v in spec.get("datasets", {}).values())
        assert rows < 200, fig_id   # a few rows per item, never one per respondent


def test_every_published_number_reconciles():
    table = Report("da").reconciliation()
    counts = table["status"].value_counts()
    assert counts.get("differs", 0) == 0, table[table.status == "differs"].to_string()
    assert counts["printed"] > 200
    assert counts["inconsistent"] >= 5
    # Figures and prose agree: the figure's own table was checked for many rows.
    assert table["figure_value"].notna().sum() > 100
