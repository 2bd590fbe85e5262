"""The filter language (analysis/filters.py) against pandas: random filters over random frames.

The language is a subset of pandas expressions, and its row masks must select exactly the rows
`DataFrame.eval` selects for the same text: an empty cell (NaN) never equals, is never in a list
and never orders, and `!=` holds for it.
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from analysis import filters

COLUMNS = ("a", "b", "c")
cells = st.sampled_from([0.0, 1.0, 2.0, 3.0, 9.0, np.nan])
numbers = st.integers(-1, 10)


@st.composite
def frames(draw):
    n = draw(st.integers(1, 12))
    return pd.DataFrame({c: draw(st.lists(cells, min_size=n, max_size=n)) for c in COLUMNS})


def _side(draw) -> str:
    names = draw(st.lists(st.sampled_from(COLUMNS), min_size=1, max_size=2))
    return " + ".join(names)


@st.composite
def comparisons(draw) -> str:
    left = _side(draw)
    if draw(st.booleans()):
        values = draw(st.lists(numbers, min_size=1, max_size=3))
        return f"{left} in [{', '.join(map(str, values))}]"
    op = draw(st.sampled_from(["==", "!=", "<", "<=", ">", ">="]))
    return f"{left} {op} {draw(numbers)}"


def _combine(children):
    return st.one_of(
        st.tuples(children, st.sampled_from(["and", "or"]), children).map(lambda t: f"({t[0]}) {t[1]} ({t[2]})"),
        children.map(lambda f: f"not ({f})"),
    )


filter_texts = st.recursive(comparisons(), _combine, max_leaves=6)


@settings(max_examples=300, deadline=None)
@given(frames(), filter_texts)
def test_masks_agree_with_pandas_eval(df, text):
    ours = filters.parse(text).mask(df)
    theirs = df.eval(text, engine="python").to_numpy(dtype=bool)
    assert ours.tolist() == theirs.tolist(), text


@given(frames(), comparisons())
def test_not_is_the_complement(df, text):
    mask = filters.parse(text).mask(df)
    assert filters.parse(f"not ({text})").mask(df).tolist() == (~mask).tolist()


@pytest.mark.parametrize("text", ["a === 1", "a == b", "a.sum() > 1", "a in 1", "1 < a < 3", "a == 'x'",
                                  "__import__('os')", "a in []"])
def test_outside_the_language_is_refused(text):
    with pytest.raises(filters.FilterError):
        filters.parse(text)
