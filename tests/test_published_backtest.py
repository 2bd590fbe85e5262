"""Backtest: every number the report prints, recomputed from data/raw with a plain pandas count.

Deliberately independent of `analysis/` and `arena/`: its own CSV reading, its own half-up
rounding, its own tests. If the library and this file disagree, one of them is wrong.
"""
from __future__ import annotations

import csv
import math
from pathlib import Path

import pandas as pd
import pytest
from scipy import stats

ROOT = Path(__file__).resolve().parent.parent
RAW = ROOT / "data" / "raw" / "survey.csv"
PUBLISHED = ROOT / "data" / "published" / "published.csv"

pytestmark = pytest.mark.skipif(not (RAW.exists() and PUBLISHED.exists()), reason="data not generated yet")


def _rows():
    with PUBLISHED.open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def _data():
    return pd.read_csv(RAW)  # empty cells (not asked) become NaN


def _round_half_up(x: float, digits: int) -> float:
    scale = 10 ** digits
    return math.floor(x * scale + 0.5 + 1e-9) / scale


def _subset(df, query):
    return df.query(query, engine="python") if query.strip() else df


def _share(df, population, numerator):
    pop = _subset(df, population)
    return len(_subset(pop, numerator)), len(pop)


def _check(df, row) -> tuple[bool, str]:
    unit, value = row["unit"], row["value"]
    if unit in ("pct", "pct1", "count", "range"):
        num, base = _share(df, row["population"], row["numerator"])
        if unit == "count":
            return num == int(float(value)), f"count {num}"
        pct = 100 * num / base
        if unit == "range":
            return float(row["lo"]) <= pct <= float(row["hi"]), f"{pct:.2f} %"
        digits = 0 if unit == "pct" else 1
        return _round_half_up(pct, digits) == float(value), f"{pct:.3f} % of {base}"
    if unit == "diff_gt":
        pop = _subset(df, row["population"])
        inside = _subset(pop, row["group"])
        outside = pop.drop(inside.index)
        a = len(_subset(inside, row["numerator"])) / len(inside)
        b = len(_subset(outside, row["numerator"])) / len(outside)
        return a > b, f"{100 * a:.1f} % vs {100 * b:.1f} %"
    if unit == "signif":
        pop = _subset(df, row["population"])
        in_group = pop.index.isin(_subset(pop, row["group"]).index)
        outcome = pop.index.isin(_subset(pop, row["numerator"]).index)
        table = pd.crosstab(in_group, outcome)
        p = stats.chi2_contingency(table.to_numpy())[1]
        return p < float(value), f"p = {p:.4f}"
    raise AssertionError(f"unit {unit} is not recomputed here")


RECOMPUTED_UNITS = ("pct", "pct1", "count", "range", "diff_gt", "signif")


def test_every_published_number_is_reproduced():
    df = _data()
    failures = []
    checked = 0
    for row in _rows():
        if row["status"] != "published" or row["unit"] not in RECOMPUTED_UNITS:
            continue
        ok, got = _check(df, row)
        checked += 1
        if not ok:
            failures.append(f"{row['claim_id']} ({row['source']}): printed {row['printed']!r}, data gives {got}")
    assert checked > 100
    assert not failures, "\n".join(failures)


def test_assumptions_are_reproduced_too():
    df = _data()
    failures = [r["claim_id"] for r in _rows()
                if r["status"] == "assumption" and r["unit"] in RECOMPUTED_UNITS and not _check(df, r)[0]]
    assert not failures, failures


def test_inconsistent_rows_explain_themselves():
    rows = [r for r in _rows() if r["status"] == "inconsistent"]
    assert rows, "the source has known inconsistencies; they must be recorded"
    for r in rows:
        assert len(r["note"]) > 30, r["claim_id"]
        assert r["source"].startswith("001_"), r["claim_id"]


def test_representativeness_tests_hold():
    """Tables 2 and 3: respondents differ from all councillors by gender and by region."""
    df = _data()
    rows = _rows()
    for gof in (r for r in rows if r["unit"] == "gof" and r["status"] == "published"):
        frame = [r for r in rows if r["unit"] == "frame" and r["variable"] == gof["variable"] and r["numerator"]]
        assert frame, f"no population shares for {gof['variable']}"
        observed = [len(_subset(df, r["numerator"])) for r in frame]
        shares = [float(r["value"]) for r in frame]
        expected = [len(df) * s / sum(shares) for s in shares]
        p = stats.chisquare(observed, expected).pvalue
        assert p < float(gof["value"]), f"{gof['claim_id']}: p = {p:.3f}"
