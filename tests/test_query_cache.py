"""The fast paths behind claims.mask: direct evaluation of simple queries and the per-frame cache.

Both must give exactly what `DataFrame.eval` gives, and the cache must never hand out a mask
computed on other data.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import claims, codebook, filters, tables
from analysis.survey import Survey

ROOT = __import__("pathlib").Path(__file__).resolve().parent.parent
FIGURES_FILE = ROOT / "analysis" / "figures.yaml"


def _inputs(root=None):
    s = Survey.from_bytes((ROOT / "data/codebook/codebook.yaml").read_bytes(),
                          (ROOT / "data/raw/survey.csv").read_bytes(),
                          (ROOT / "data/published/published.csv").read_bytes())
    return s.codebook, s.published, s.data


def _root():
    return str(ROOT)


def _pandas_mask(df: pd.DataFrame, query: str) -> np.ndarray:
    """The reference: pandas' own evaluation (what claims.mask did before the fast path)."""
    if not query.strip():
        return np.ones(len(df), dtype=bool)
    result = df.eval(query, engine="python")
    return np.asarray(pd.Series(result, index=df.index).fillna(False), dtype=bool)


def _all_queries(cb: codebook.Codebook, published: pd.DataFrame) -> set[str]:
    queries = set(published["population"]) | set(published["numerator"]) | set(published["group"])
    queries |= {f"not ({g})" for g in published["group"] if g}          # as recompute builds them
    queries |= {p.query for p in cb.populations.values()}
    queries |= {h.get("query", "") for v in cb.variables.values() for h in v.hidden_codes}
    return queries


def test_filter_masks_equal_pandas_eval_on_every_shipped_query():
    cb, published, data = _inputs(_root())
    queries = _all_queries(cb, published)
    assert len(queries) > 100
    for q in sorted(queries):
        assert np.array_equal(filters.parse(q).mask(data), _pandas_mask(data, q)), q


SMALL = pd.DataFrame({
    "a": [1.0, 2.0, np.nan, 4.0, 7.0, 8.0],
    "b": [1, 0, 1, 0, 1, 1],                 # int64: a column without empty cells
    "c": [np.nan, 1.0, 1.0, np.nan, 0.0, 1.0],
    "s": ["x", "y", "z", "x", "y", "z"],     # strings: left to pandas
})


@pytest.mark.parametrize("query", [
    "a == 1", "a != 1", "a >= 2", "a < 4", "a <= 4", "a > -1", "a in [1, 2]", "a in [7, 8]",
    "not a == 1", "not (a in [1, 2])", "a == 1 or c == 1", "a in [1, 2, 3, 4] and b == 1",
    "a + c >= 2", "a + b + c >= 2", "b == 1 and not (c == 1)", "(a == 1 and b == 1) or (c == 0)",
    "c != 1", "a == 2.0", "b in [0]",
])
def test_filter_masks_equal_pandas_eval_with_missing_values(query):
    assert np.array_equal(filters.parse(query).mask(SMALL), _pandas_mask(SMALL, query))


@pytest.mark.parametrize("query, words", [
    ("s == 'x'", "not a number"), ("a == b", "not a number"), ("1 < a < 8", "one comparison"),
    ("a.isna()", "not a comparison"), ("active === 1", "not a valid filter"), ("a in 3", "list of numbers"),
    ("a is None", "not allowed"), ("a * 2 == 4", "column or a sum"), ("__import__('os')", "not a comparison"),
])
def test_anything_outside_the_filter_language_is_refused_with_a_reason(query, words):
    with pytest.raises(filters.FilterError, match=words):
        filters.parse(query)


def test_a_bad_filter_in_the_codebook_or_published_csv_names_the_place(tmp_path):
    import io

    text = (ROOT / "data/codebook/codebook.yaml").read_text(encoding="utf-8").replace(
        "active: {query: \"active == 1\"", "active: {query: \"active === 1\"", 1)
    with pytest.raises(codebook.CodebookError, match=r"population 'active', query: .*not a valid filter"):
        codebook.parse(codebook.load_yaml(text), source="codebook.yaml")
    rows = (ROOT / "data/published/published.csv").read_text(encoding="utf-8").splitlines()
    rows[5] = rows[5].replace("active == 1", "active = 1", 1)
    assert "active = 1" in rows[5]
    with pytest.raises(ValueError, match=r"published.csv, line 6, column \w+ \(p\d+[\w.]*\): .*not a valid filter"):
        claims.load(io.StringIO("\n".join(rows) + "\n"), name="published.csv")


def test_unregistered_frames_are_never_cached():
    df = SMALL.copy()
    first = claims.mask(df, "a == 1")
    df.loc[1, "a"] = 1.0                      # the same object, changed
    assert claims.mask(df, "a == 1").sum() == first.sum() + 1


def test_remembered_masks_are_reused_read_only_and_never_leak_to_other_frames():
    df = SMALL.copy()
    claims.remember_masks(df)
    try:
        m = claims.mask(df, "a in [1, 2]")
        assert claims.mask(df, "a in [1, 2]") is m      # computed once
        with pytest.raises(ValueError):
            m &= np.zeros(len(df), dtype=bool)          # shared: in-place changes must fail
        changed = df.copy()
        changed.loc[0, "a"] = 9.0
        assert claims.mask(changed, "a in [1, 2]").tolist() == [False, True, False, False, False, False]
        assert claims.share(df, "b == 1", "a in [1, 2]", "c == 1").base == 2   # no &= on the cache
    finally:
        claims._REMEMBERED.pop(id(df), None)


def test_asked_matches_evaluating_the_extra_query_on_the_population():
    cb, _, data = _inputs(_root())
    for variable, extra in [("inn_shared_responsibility", "council == 2"), ("cult_majority", None),
                            ("role", "council == 1 and role != 0")]:
        pop = cb.population_of(variable).query
        rows = data[_pandas_mask(data, pop)] if pop.strip() else data
        if extra:
            rows = rows[_pandas_mask(rows, extra)]
        expected = rows[rows[variable].notna()]
        pd.testing.assert_frame_equal(tables.asked(data, cb, variable, extra), expected)


def test_yaml_loader_gives_the_same_objects_as_safe_load():
    for path in (FIGURES_FILE, FIGURES_FILE.parent.parent / "data" / "codebook" / "codebook.yaml"):
        text = path.read_text(encoding="utf-8")
        assert codebook.load_yaml(text) == yaml.safe_load(text)
