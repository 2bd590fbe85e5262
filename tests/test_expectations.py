"""The suites: derived from the codebook, stored without ids, loaded into GE without silent drops."""
from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from analysis.codebook import load
from arena import expectations as ex

REPO = Path(__file__).resolve().parent.parent
SUITE_DIRS = [Path(__file__).parent / "fixtures" / "validation" / "expectations", REPO / "expectations"]

FIXTURE = Path(__file__).parent / "fixtures" / "validation" / "project"



def suite_files():
    return [d / f"{n}.json" for d in SUITE_DIRS for n in ex.SUITE_NAMES if (d / f"{n}.json").exists()]


@pytest.mark.parametrize("path", suite_files(), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_every_expectation_is_loaded_into_ge(path):
    data = ex.read_suite(path)
    suite = ex.to_gx_suite(data, source=str(path))
    assert len(suite.expectations) == len(data["expectations"])
    assert [e.expectation_type for e in suite.expectations] == [e["type"] for e in data["expectations"]]
    # GE kept our kwargs (no default silently replacing a misspelt one)
    for e, g in zip(data["expectations"], suite.expectations):
        kw = g.configuration.kwargs
        for k, val in e["kwargs"].items():
            got = kw.get(k)
            if k == "row_condition" and isinstance(got, dict):  # GE >= 1.9 wraps string conditions
                got = got.get("pass_through_filter")
            assert got == val, (path.name, e["type"], k)


@pytest.mark.parametrize("path", suite_files(), ids=lambda p: f"{p.parent.parent.name}/{p.name}")
def test_suite_json_is_reviewable(path):
    data = json.loads(path.read_text(encoding="utf-8"))
    for e in data["expectations"]:
        assert set(e) == {"type", "kwargs", "meta"}, e  # no random ids
        assert e["meta"]["rule"].strip(), e


def test_invalid_expectation_type_raises_instead_of_dropping():
    data = ex.read_suite(FIXTURE / "expectations" / "values.json")
    data["expectations"].insert(1, {"type": "expect_column_values_to_be_in_sett",
                                    "kwargs": {"column": "council", "value_set": [1, 2]}, "meta": {"rule": "typo"}})
    with pytest.raises(ex.SuiteError, match=r"#2 \(expect_column_values_to_be_in_sett\)"):
        ex.to_gx_suite(data, source="values.json")


def test_invalid_kwargs_raise():
    data = {"name": "x", "expectations": [{"type": "expect_column_values_to_be_in_set",
                                           "kwargs": {"value_set": [1]}, "meta": {"rule": "no column"}}]}
    with pytest.raises(ex.SuiteError):
        ex.to_gx_suite(data)


def test_ids_are_refused():
    data = {"name": "x", "expectations": [{"type": "expect_column_values_to_be_unique", "kwargs": {"column": "resp_id"},
                                           "meta": {"rule": "r"}, "id": "5f3c0a9e-0000-0000-0000-000000000000"}]}
    with pytest.raises(ex.SuiteError, match="no ids"):
        ex.to_gx_suite(data)


def test_fixture_suites_are_up_to_date():
    cb = load(FIXTURE / "data" / "codebook" / "codebook.yaml")
    assert ex.stale_suites(cb, None, FIXTURE / "expectations") == []


def test_shipped_suites_are_up_to_date_with_the_codebook():
    """Fails when the codebook (or published.csv / bases.yaml) changed: run `arena validate --write-suites`."""
    cb = load(REPO / "data/codebook/codebook.yaml")
    stale = ex.stale_suites(cb, None, REPO / "expectations")
    assert stale == [], f"regenerate with `arena validate --write-suites`: {stale}"


def test_suites_cover_every_variable_of_the_fixture():
    cb = load(FIXTURE / "data" / "codebook" / "codebook.yaml")
    s = ex.build_suites(cb, [])
    in_values = {e["kwargs"]["column"] for e in s["values"]["expectations"]}
    assert in_values == set(cb.variables)
    nulls = {e["kwargs"]["column"] for e in s["filters"]["expectations"] if e["type"] == "expect_column_values_to_be_null"}
    assert nulls == {v.id for v in cb.variables.values() if cb.populations[v.population].query}
    kinds = [e["type"] for e in s["filters"]["expectations"]]
    assert kinds.count("expect_multicolumn_sum_to_equal") == 1
    assert kinds.count("expect_column_values_to_not_be_in_set") == 1
    # No printed count is a rule of validity (they are reconciled): the shipped suites have none.
    assert "bases" not in ex.SUITE_NAMES
    assert not any(e["type"] == "expect_table_row_count_to_equal" for e in s["structure"]["expectations"])


def test_query_columns():
    assert ex.query_columns("active == 1 and council in [1, 2]") == ["active", "council"]
    assert ex.query_columns("role != 0 or role.isna()") == ["role"]
    assert ex.query_columns("name == 'council'") == ["name"]


def test_excluded_condition_counts_an_empty_population_cell_as_excluded():
    df = pd.DataFrame({"role": pd.array([0, 1, None, 2], dtype="Int64")})
    q = "role != 0"
    inside = df.query(q, parser="pandas").index.tolist()
    outside = df.query(ex.excluded_condition(q, ["role"]), parser="pandas").index.tolist()
    assert inside == [1, 3] and outside == [0, 2]
    assert sorted(inside + outside) == list(df.index)
