"""The one filter language: who is in a population, who gave an answer.

Populations in the codebook and the population, numerator and group of every number in
published.csv are written in one small language, a subset of Python/pandas expressions:

    active == 1                      council in [1, 2]          role != 0
    comp_self in [1, 2, 3, 4]        not (council == 2)         a + b + c >= 4
    (active == 1) and (council == 2 or role in [2, 3])

A column (or a sum of columns) compared with a number or a list of numbers, joined by `and`,
`or`, `not` and parentheses. Anything else is refused when the file is read, with the reason.

A filter is parsed once and then compiled two ways: to row masks over the respondent data
(`Filter.mask`; an empty cell never equals, is never in a list and never orders, and `!=` holds
for it, as in numpy) and to Great Expectations row conditions (`Filter.query`, pandas syntax).
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache

import numpy as np

_COMPARE = {
    ast.Eq: np.equal, ast.NotEq: np.not_equal, ast.Gt: np.greater, ast.GtE: np.greater_equal,
    ast.Lt: np.less, ast.LtE: np.less_equal,
}


class FilterError(ValueError):
    """A filter outside the language; the message says what is not allowed."""


@dataclass(frozen=True)
class Filter:
    text: str
    tree: ast.AST | None = field(compare=False, repr=False)    # None: everyone
    columns: frozenset[str] = frozenset()

    @property
    def everyone(self) -> bool:
        return self.tree is None

    @property
    def query(self) -> str:
        """The filter in pandas query syntax (for Great Expectations' row conditions)."""
        return self.text.strip()

    def mask(self, df) -> np.ndarray:
        """Rows of `df` (a pandas DataFrame) that the filter selects."""
        if self.tree is None:
            return np.ones(len(df), dtype=bool)
        missing = sorted(c for c in self.columns if c not in df.columns)
        if missing:
            raise FilterError(f"{self.text!r}: no column {', '.join(missing)} in the data")
        return np.asarray(_evaluate(self.tree, df), dtype=bool)

    def excluded_query(self) -> str:
        """A row condition for everyone OUTSIDE the filter, in pandas syntax.

        `not (q)` alone misses a row where a column of q is empty (pandas makes both q and
        `not q` false there), so an empty cell in one of its columns counts as outside."""
        columns = [c for c in _names_in_order(self.tree)] if self.tree is not None else []
        return " or ".join([f"not ({self.query})", *[f"{c}.isna()" for c in columns]])


@lru_cache(maxsize=4096)
def parse(text: str) -> Filter:
    """Parse a filter (an empty text selects everyone); FilterError names what is wrong."""
    if not text or not text.strip():
        return Filter(text or "", None, frozenset())
    try:
        tree = ast.parse(text.strip(), mode="eval").body
    except SyntaxError as exc:
        raise FilterError(f"{text!r} is not a valid filter ({exc.msg}); write for example "
                          "`active == 1` or `role in [2, 3]`") from None
    _check(tree, text)
    return Filter(text, tree, frozenset(_names_in_order(tree)))


def _names_in_order(tree: ast.AST) -> list[str]:
    names = sorted((n for n in ast.walk(tree) if isinstance(n, ast.Name)), key=lambda n: (n.lineno, n.col_offset))
    return list(dict.fromkeys(n.id for n in names))


def columns_of(condition: str) -> list[str]:
    """The columns a condition names, in order: a filter, or a row condition compiled from one
    (which may add `column.isna()`)."""
    if not condition or not condition.strip():
        return []
    try:
        return _names_in_order(ast.parse(condition.strip(), mode="eval"))
    except SyntaxError:
        raise FilterError(f"{condition!r} is not a valid condition") from None


def _check(node: ast.AST, text: str) -> None:
    if isinstance(node, ast.BoolOp):
        for v in node.values:
            _check(v, text)
        return
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.Not):
        _check(node.operand, text)
        return
    if isinstance(node, ast.Compare):
        if len(node.ops) != 1:
            raise FilterError(f"{text!r}: one comparison at a time (write `a > 1 and a < 4`)")
        _check_values(node.left, text)
        op, right = node.ops[0], node.comparators[0]
        if isinstance(op, ast.In):
            if not isinstance(right, ast.List) or not right.elts:
                raise FilterError(f"{text!r}: `in` takes a list of numbers, like `in [1, 2]`")
            for e in right.elts:
                _number(e, text)
            return
        if type(op) in _COMPARE:
            _number(right, text)
            return
        raise FilterError(f"{text!r}: the comparison {type(op).__name__} is not allowed "
                          "(use ==, !=, <, <=, >, >= or in [...])")
    raise FilterError(f"{text!r}: {ast.unparse(node)!r} is not a comparison of a column with a number")


def _check_values(node: ast.AST, text: str) -> None:
    if isinstance(node, ast.Name):
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        _check_values(node.left, text)
        _check_values(node.right, text)
        return
    raise FilterError(f"{text!r}: the left side must be a column or a sum of columns, "
                      f"not {ast.unparse(node)!r}")


def _number(node: ast.AST, text: str = "") -> float | int:
    if isinstance(node, ast.Constant) and type(node.value) in (int, float):
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub):
        return -_number(node.operand, text)
    raise FilterError(f"{text!r}: {ast.unparse(node)!r} is not a number")


def _evaluate(node: ast.AST, df) -> np.ndarray:
    if isinstance(node, ast.BoolOp):
        parts = [_evaluate(v, df) for v in node.values]
        combine = np.logical_and if isinstance(node.op, ast.And) else np.logical_or
        out = parts[0]
        for p in parts[1:]:
            out = combine(out, p)
        return out
    if isinstance(node, ast.UnaryOp):
        return np.logical_not(_evaluate(node.operand, df))
    left = _values(node.left, df)
    op, right = node.ops[0], node.comparators[0]
    if isinstance(op, ast.In):
        return np.isin(left, [_number(e) for e in right.elts])
    return _COMPARE[type(op)](left, _number(right))


def _values(node: ast.AST, df) -> np.ndarray:
    if isinstance(node, ast.Name):
        values = df[node.id].to_numpy()
        if values.dtype.kind not in "iuf":
            raise FilterError(f"column {node.id} is not numeric")
        return values
    return _values(node.left, df) + _values(node.right, df)
