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


def _frame_counts(rows, variable):
    """Invited councillors per category: counts as printed, or shares of the invited total."""
    frame = [r for r in rows if r["unit"] == "frame" and r["variable"] == variable and r["numerator"]]
    total = next(float(r["value"]) for r in rows if r["unit"] == "frame" and not r["numerator"] and not r["population"])
    values = [float(r["value"]) for r in frame]
    if abs(sum(values) - 100) < 0.5:  # shares in per cent
        values = [v / 100 * total for v in values]
    return frame, values


def test_response_rates():
    df = _data()
    rows = _rows()
    checked = 0
    for r in rows:
        if r["unit"] not in ("rate", "nonresponse") or r["status"] != "published":
            continue
        invited = next(float(f["value"]) for f in rows
                       if f["unit"] == "frame" and f["variable"] == r["variable"] and f["numerator"] == r["population"])
        rate = 100 * len(_subset(_subset(df, r["population"]), r["numerator"])) / invited
        got = rate if r["unit"] == "rate" else 100 - rate
        assert _round_half_up(got, 1) == float(r["value"]), r["claim_id"]
        checked += 1
    assert checked >= 4


def test_representativeness_tests_hold():
    """Tables 1-3: respondents vs non-respondents by council type, gender and region."""
    df = _data()
    rows = _rows()
    tests = [r for r in rows if r["unit"] in ("gof", "gof_ns") and r["status"] == "published"]
    assert len(tests) >= 3
    for t in tests:
        frame, invited = _frame_counts(rows, t["variable"])
        responded = [len(_subset(df, f["numerator"])) for f in frame]
        table = [responded, [i - r for i, r in zip(invited, responded)]]
        p = stats.chi2_contingency(table)[1]
        if t["unit"] == "gof":
            assert p < float(t["value"]), f"{t['claim_id']}: p = {p:.3f}"
        else:
            assert p >= float(t["value"]), f"{t['claim_id']}: p = {p:.3f}"
