"""Tables on small synthetic frames, with expectations counted by hand."""
import math

import numpy as np
import pandas as pd
import pytest

from analysis import codebook as cbm
from analysis import tables
from analysis.stats import wilson_ci

NA = np.nan
Q = {"da": "spørgsmål", "en": "question"}


@pytest.fixture(scope="module")
def codebook():
    agree = [
        {"code": 1, "da": "Helt uenig", "en": "Strongly disagree"},
        {"code": 2, "da": "Delvist uenig", "en": "Partly disagree"},
        {"code": 3, "da": "Delvist enig", "en": "Partly agree"},
        {"code": 4, "da": "Helt enig", "en": "Strongly agree"},
        {"code": 7, "da": "Ikke relevant", "en": "Not relevant", "kind": "not_relevant"},
        {"code": 8, "da": "Ved ikke", "en": "Don't know", "kind": "dont_know"},
        {"code": 9, "da": "Ikke besvaret", "en": "No answer", "kind": "no_answer"},
    ]
    raw = {
        "scales": {
            "agree4": {"codes": agree, "nets": {
                "disagree": {"codes": [1, 2], "da": "Uenig", "en": "Disagree"},
                "agree": {"codes": [3, 4], "da": "Enig", "en": "Agree"}}},
            "selected": {"codes": [{"code": 1, "da": "Valgt", "en": "Selected"},
                                   {"code": 0, "da": "Ikke valgt", "en": "Not selected"}]},
            "council": {"codes": [{"code": 1, "da": "Kommune", "en": "Municipal"},
                                  {"code": 2, "da": "Region", "en": "Regional"}]},
            "yesno": {"codes": [{"code": 1, "da": "Ja", "en": "Yes"}, {"code": 0, "da": "Nej", "en": "No"}]},
        },
        "populations": {"all": {"query": ""}, "active": {"query": "active == 1"}},
        "variables": [
            {"id": "council", "kind": "background", "scale": "council", "population": "all", "question": Q},
            {"id": "active", "kind": "background", "scale": "yesno", "population": "all", "question": Q},
            {"id": "q_all", "scale": "agree4", "population": "all", "question": Q},
            {"id": "q_act", "scale": "agree4", "population": "active", "question": Q},
            {"id": "m_a", "kind": "multi_option", "question_group": "m", "scale": "selected", "population": "active", "question": Q},
            {"id": "m_b", "kind": "multi_option", "question_group": "m", "scale": "selected", "population": "active", "question": Q},
            {"id": "m_dk", "kind": "multi_option", "question_group": "m", "scale": "selected", "population": "active",
             "exclusive": True, "question": Q},
        ],
    }
    return cbm.parse(raw)


@pytest.fixture
def df():
    # 10 respondents; 8 innovation-active (asked q_act and m_*), 2 not asked (empty cells).
    # q_act among the 8: 4, 3, 3 (3 agree), 8 (1 don't know), 1, 2, 2, 1 (4 disagree).
    return pd.DataFrame({
        "resp_id": range(1, 11),
        "council": [1, 1, 1, 1, 1, 1, 2, 2, 1, 2],
        "active":  [1, 1, 1, 1, 1, 1, 1, 1, 0, 0],
        "q_all":   [4, 4, 3, 3, 3, 2, 1, 7, 8, 4],
        "q_act":   [4, 3, 3, 8, 1, 2, 2, 1, NA, NA],
        "m_a":     [1, 1, 0, 1, 1, 0, 1, 0, NA, NA],
        "m_b":     [1, 0, 0, 1, 0, 0, 1, 0, NA, NA],
        "m_dk":    [0, 0, 1, 0, 0, 0, 0, 1, NA, NA],
    })


def row(table, **where):
    mask = np.ones(len(table), dtype=bool)
    for column, value in where.items():
        mask &= (table[column] == value).to_numpy()
    assert mask.sum() == 1, where
    return table[mask].iloc[0]


# ---------------------------------------------------------------- distribution

def test_distribution_base_excludes_not_asked_but_includes_dont_know(codebook, df):
    t = tables.distribution(df, codebook, "q_act")
    assert list(t["code"]) == [1, 2, 3, 4, 7, 8, 9]  # scale order, 0-count codes included
    assert set(t["base"]) == {8}
    assert list(t["count"]) == [2, 2, 2, 1, 0, 1, 0]
    assert row(t, code=8)["percent"] == 12.5
    assert row(t, code=8)["kind"] == "dont_know"
    assert row(t, code=7)["kind"] == "not_relevant"
    assert t["group"].isna().all()
    assert t["percent"].sum() == pytest.approx(100)


def test_distribution_columns(codebook, df):
    t = tables.distribution(df, codebook, "q_act")
    assert list(t.columns) == ["variable", "group", "code", "count", "base", "percent", "ci_low", "ci_high",
                               "kind", "small_base", "small_cell"]


def test_distribution_wilson_interval_in_per_cent(codebook, df):
    r = row(tables.distribution(df, codebook, "q_act"), code=3)
    low, high = wilson_ci(2, 8)
    assert (r["ci_low"], r["ci_high"]) == pytest.approx((100 * low, 100 * high))
    assert r["ci_low"] < r["percent"] < r["ci_high"]


def test_distribution_flags(codebook, df):
    t = tables.distribution(df, codebook, "q_act")
    assert t["small_base"].all()  # 8 < SMALL_BASE
    assert list(t["small_cell"]) == [True, True, True, True, False, True, False]  # 0 is not flagged


@pytest.mark.parametrize("n, small", [(49, True), (50, False)])
def test_small_base_threshold_is_fifty(codebook, n, small):
    # The module docstring's rule: fewer than 50 respondents is a small base (the 44 regional
    # politicians are flagged, the 418 municipal ones are not).
    frame = pd.DataFrame({"resp_id": range(n), "council": 1, "active": 1, "q_all": 3,
                          "q_act": 3, "m_a": 1, "m_b": 0, "m_dk": 0})
    assert tables.distribution(frame, codebook, "q_all")["small_base"].all() == small


def test_no_small_base_flag_for_large_groups(codebook):
    big = pd.DataFrame({"resp_id": range(60), "council": 1, "active": 1, "q_all": [3] * 40 + [1] * 20,
                        "q_act": 3, "m_a": 1, "m_b": 0, "m_dk": 0})
    t = tables.distribution(big, codebook, "q_all")
    assert not t["small_base"].any()
    assert not t["small_cell"].any()


def test_distribution_extra_population_query(codebook, df):
    t = tables.distribution(df, codebook, "q_act", population_query="council == 1")
    assert set(t["base"]) == {6}
    assert row(t, code=3)["count"] == 2


def test_distribution_by_group(codebook, df):
    t = tables.distribution(df, codebook, "q_all", by="council")
    assert list(t["group"].unique()) == [1, 2]
    assert row(t, group=1, code=3)["base"] == 7  # council 1: 4 4 3 3 3 2 8
    assert row(t, group=1, code=3)["count"] == 3
    assert row(t, group=2, code=7)["percent"] == pytest.approx(100 / 3)
    assert len(t) == 2 * 7


def test_distribution_with_nullable_integers(codebook, df):
    nullable = df.astype({c: "Int64" for c in df.columns if c != "resp_id"})
    assert tables.distribution(nullable, codebook, "q_act").equals(tables.distribution(df, codebook, "q_act"))


def test_unknown_code_fails_loudly(codebook, df):
    df.loc[0, "q_act"] = 5
    with pytest.raises(ValueError, match="not on scale"):
        tables.distribution(df, codebook, "q_act")


# ---------------------------------------------------------------- net

def test_net_counts_and_base(codebook, df):
    assert tables.net(df, codebook, "q_act", "agree") == (3, 8, 37.5)
    assert tables.net(df, codebook, "q_act", [1, 2]) == (4, 8, 50.0)


def test_net_is_summed_before_rounding(codebook):
    # 1 of 8 partly agree (12.5 % -> 13) and 1 of 8 strongly agree (12.5 % -> 13):
    # rounding first would print 26 %, the net is 2 of 8 = 25 %.
    frame = pd.DataFrame({"resp_id": range(8), "council": 1, "active": 1,
                          "q_all": [3, 4, 1, 1, 1, 1, 2, 2], "q_act": 1, "m_a": 0, "m_b": 0, "m_dk": 1})
    from analysis.rounding import half_up
    parts = tables.distribution(frame, codebook, "q_all").set_index("code")["percent"]
    assert half_up(parts[3]) + half_up(parts[4]) == 26
    assert half_up(tables.net(frame, codebook, "q_all", "agree").percent) == 25


def test_net_unknown_name_or_code(codebook, df):
    with pytest.raises(KeyError):
        tables.net(df, codebook, "q_act", "promoted")
    with pytest.raises(KeyError):
        tables.net(df, codebook, "q_act", [5])


# ---------------------------------------------------------------- multiple response

def test_multi_response(codebook, df):
    t = tables.multi_response(df, codebook, "m")
    assert list(t["option"]) == ["m_a", "m_b", "m_dk"]
    assert list(t["count"]) == [5, 3, 2]
    assert set(t["base"]) == {8}
    assert list(t["percent"]) == [62.5, 37.5, 25.0]
    assert t["percent"].sum() > 100  # several options per respondent
    assert list(t["exclusive"]) == [False, False, True]
    assert {"ci_low", "ci_high", "small_base", "small_cell", "group"} <= set(t.columns)


def test_multi_response_by_group(codebook, df):
    t = tables.multi_response(df, codebook, "m", by="council")
    assert list(zip(t["group"], t["option"])) == [(1, "m_a"), (1, "m_b"), (1, "m_dk"),
                                                 (2, "m_a"), (2, "m_b"), (2, "m_dk")]
    assert row(t, group=1, option="m_a")["count"] == 4 and row(t, group=1, option="m_a")["base"] == 6
    assert row(t, group=2, option="m_dk")["count"] == 1 and row(t, group=2, option="m_dk")["base"] == 2


def test_multi_response_option_not_offered_to_some(codebook, df):
    df.loc[df["council"] == 2, "m_b"] = NA  # e.g. not shown to regional politicians
    t = tables.multi_response(df, codebook, "m")
    assert row(t, option="m_b")["base"] == 6
    assert row(t, option="m_a")["base"] == 8


def test_multi_response_unknown_group(codebook, df):
    with pytest.raises(KeyError):
        tables.multi_response(df, codebook, "nope")


# ---------------------------------------------------------------- Likert

def test_likert_table(codebook, df):
    t = tables.likert_table(df, codebook, ["q_act", "q_all"])
    assert list(t["variable"].unique()) == ["q_act", "q_all"]
    act = t[t["variable"] == "q_act"]
    assert list(act["category"]) == ["1", "2", "3", "4", "7", "8", "9", "disagree", "agree", "non_substantive"]
    assert row(act, category="agree")["percent"] == 37.5
    assert row(act, category="disagree")["percent"] == 50.0
    assert row(act, category="non_substantive")["count"] == 1
    assert row(act, category="non_substantive")["percent"] == 12.5
    assert row(act, category="agree")["kind"] == "net"
    assert pd.isna(row(act, category="agree")["code"])
    assert row(act, category="8")["code"] == 8
    q_all = t[t["variable"] == "q_all"]
    assert set(q_all["base"]) == {10}
    assert row(q_all, category="non_substantive")["count"] == 2  # one 7, one 8
    assert {"small_base", "small_cell", "ci_low", "ci_high"} <= set(t.columns)


def test_likert_wide(codebook, df):
    wide = tables.likert_wide(tables.likert_table(df, codebook, ["q_act", "q_all"]))
    assert list(wide.index) == ["q_act", "q_all"]
    assert wide.loc["q_act", "agree"] == 37.5
    assert wide.loc["q_all", "base"] == 10
    assert math.isclose(wide.loc["q_act", ["disagree", "agree", "non_substantive"]].sum(), 100)
