"""Published numbers (`data/published/published.csv`) and how one is evaluated on respondent data.

A claim is a number the source report prints (or an assumption we made where it prints none).
Each claim names its denominator (`population`) and numerator as pandas query strings over the
columns of `data/raw/survey.csv`, so a reviewer can read exactly which rows make the number.
"""
from __future__ import annotations

import ast
import io
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

COLUMNS = [
    "claim_id", "figure", "status", "variable", "population", "group", "numerator",
    "unit", "value", "lo", "hi", "printed", "base_n", "source", "note",
]
STATUSES = ("published", "assumption", "inconsistent")
UNITS = ("pct", "pct1", "count", "range", "diff_gt", "signif", "rate", "nonresponse", "frame", "gof", "gof_ns", "external")

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_QUERY_WORDS = {"and", "or", "not", "in", "True", "False", "None", "isna", "notna"}


def load(path: Path | io.StringIO) -> pd.DataFrame:
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    # A typo in a reviewer's file must stop everything with its row, not be skipped silently.
    for col, allowed in (("status", STATUSES), ("unit", UNITS)):
        bad = df.index[~df[col].isin(allowed)]
        if len(bad):
            rows = ", ".join(f"{df.at[i, 'claim_id']} (line {i + 2}): {df.at[i, col]!r}" for i in bad[:5])
            raise ValueError(f"{path}, column {col}: {rows} — allowed: {', '.join(allowed)}")
    duplicated = df.loc[df["claim_id"].duplicated(), "claim_id"].tolist()
    if duplicated:
        raise ValueError(f"{path}, column claim_id: repeated keys {duplicated[:5]}")
    for col in ("lo", "hi"):
        df[col] = pd.to_numeric(df[col].replace("", np.nan), errors="coerce")
    return df[COLUMNS]


def names_in(query: str) -> set[str]:
    """Column names a query refers to (strings inside quotes are skipped)."""
    if not query:
        return set()
    without_strings = re.sub(r"(['\"]).*?\1", "", query)
    return {n for n in _NAME.findall(without_strings) if n not in _QUERY_WORDS}


def mask(df: pd.DataFrame, query: str) -> np.ndarray:
    """Rows that satisfy `query` (all rows for an empty query). Missing values never match `==`/`in`.

    On a frame declared unchanging with `remember_masks`, each query is evaluated once per
    process and the (read-only) mask is reused.
    """
    entry = _REMEMBERED.get(id(df))
    if entry is None or entry[0] is not df:
        return _evaluate(df, query)
    masks = entry[1]
    hit = masks.get(query)
    if hit is None:
        hit = _evaluate(df, query)
        hit.flags.writeable = False  # shared by every caller: an in-place `&=` must fail, not leak
        masks[query] = hit
    return hit


# id(frame) -> (frame, {query: mask}). The frame itself is kept, so its id cannot be reused by
# another frame while the entry exists; only frames that are never modified may be registered.
_REMEMBERED: dict[int, tuple[pd.DataFrame, dict[str, np.ndarray]]] = {}


def remember_masks(df: pd.DataFrame) -> None:
    """Declare `df` never modified (the survey as Report loads it): its masks are then cached."""
    if _REMEMBERED.get(id(df), (None,))[0] is not df:
        _REMEMBERED[id(df)] = (df, {})


def _evaluate(df: pd.DataFrame, query: str) -> np.ndarray:
    if not query or not query.strip():
        return np.ones(len(df), dtype=bool)
    fast = _fast_mask(df, query)
    if fast is not None:
        return fast
    # Only the named columns: pandas builds a resolver for every column on each eval.
    cols = [c for c in df.columns if c in names_in(query)]
    result = df[cols].eval(query, engine="python")
    return np.asarray(pd.Series(result, index=df.index).fillna(False), dtype=bool)


# ---------------------------------------------------------------- direct evaluation
# The queries in published.csv and the codebook are comparisons of numeric columns (or sums of
# them) with numbers or lists of numbers, joined by and/or/not. `DataFrame.eval` costs ~5 ms a
# query; the same comparisons on the column arrays cost microseconds. Anything outside this
# small grammar returns None and goes to `DataFrame.eval`. The results are the same as pandas'
# (tests/test_query_cache.py): NaN never equals, is never in a list and never orders, and `!=`
# is True for NaN, exactly like numpy's comparisons.

_COMPARE = {
    ast.Eq: np.equal, ast.NotEq: np.not_equal, ast.Gt: np.greater, ast.GtE: np.greater_equal,
    ast.Lt: np.less, ast.LtE: np.less_equal,
}


class _Unsupported(Exception):
    pass


def _fast_mask(df: pd.DataFrame, query: str) -> np.ndarray | None:
    try:
        tree = ast.parse(query.strip(), mode="eval")
        result = _fast_node(tree.body, df)
    except (SyntaxError, _Unsupported):
        return None
    if not isinstance(result, np.ndarray) or result.dtype != bool or result.shape != (len(df),):
        return None
    return result


def _number(node: ast.AST) -> float | int:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_number(node.operand)
    raise _Unsupported


def _fast_node(node: ast.AST, df: pd.DataFrame) -> np.ndarray:
    if isinstance(node, ast.BoolOp):
        parts = [_fast_node(v, df) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        out = parts[0]
        for p in parts[1:]:
            out = combine(out, p)
        return out
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        return np.logical_not(_fast_node(node.operand, df))
    if isinstance(node, ast.Compare) and len(node.ops) == 1:
        left = _fast_values(node.left, df)
        op, right = node.ops[0], node.comparators[0]
        if isinstance(op, ast.In) and isinstance(right, ast.List):
            return np.isin(left, [_number(e) for e in right.elts])
        if type(op) in _COMPARE:
            return _COMPARE[type(op)](left, _number(right))
    raise _Unsupported


def _fast_values(node: ast.AST, df: pd.DataFrame) -> np.ndarray:
    """A numeric column, or a sum of numeric columns, as a float/int array."""
    if isinstance(node, ast.Name):
        if node.id not in df.columns or not df.columns.is_unique:
            raise _Unsupported
        values = df[node.id].to_numpy()
        if values.dtype.kind not in "iuf":
            raise _Unsupported
        return values
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _fast_values(node.left, df) + _fast_values(node.right, df)
    raise _Unsupported


@dataclass(frozen=True)
class Share:
    count: int
    base: int

    @property
    def percent(self) -> float:
        return 100.0 * self.count / self.base if self.base else float("nan")


def share(df: pd.DataFrame, population: str, numerator: str, group: str = "") -> Share:
    pop = mask(df, population)
    if group:
        pop = pop & mask(df, group)  # not &=: a remembered mask is shared and read-only
    num = pop & mask(df, numerator)
    return Share(int(num.sum()), int(pop.sum()))
