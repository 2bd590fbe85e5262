"""Published numbers (`data/published/published.csv`) and how one is evaluated on respondent data.

A claim is a number the source report prints (or an assumption we made where it prints none).
Each claim names its denominator (`population`) and numerator as pandas query strings over the
columns of `data/raw/survey.csv`, so a reviewer can read exactly which rows make the number.
"""
from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import filters
from analysis.inputs import BadInput, read_csv

COLUMNS = [
    "claim_id", "figure", "status", "variable", "population", "group", "numerator",
    "unit", "value", "lo", "hi", "printed", "base_n", "source", "note",
]
STATUSES = ("published", "assumption", "inconsistent")
UNITS = ("pct", "pct1", "count", "range", "diff_gt", "signif", "rate", "nonresponse", "frame", "gof", "gof_ns", "external")



def load(path: Path | io.StringIO | bytes, name: str | None = None,
         known: list[str] | None = None) -> pd.DataFrame:
    """published.csv, checked: columns, statuses, units, numbers, unique keys, every filter parsed.
    `name` is how messages name the file (for bytes already read); with `known` (the survey's
    columns) every filter must name only those. Errors are `BadInput`."""
    name = name or str(path)
    if isinstance(path, bytes):
        data: bytes | str = path
    elif isinstance(path, io.StringIO):
        data = path.getvalue()
    else:
        data = Path(path).read_bytes()
    df, lines = read_csv(data, name, COLUMNS)
    # A typo in a reviewer's file must stop everything with its row, not be skipped silently.
    for col, allowed in (("status", STATUSES), ("unit", UNITS)):
        bad = df.index[~df[col].isin(allowed)]
        if len(bad):
            rows = ", ".join(f"{df.at[i, 'claim_id']} (line {lines[i]}): {df.at[i, col]!r}" for i in bad[:5])
            raise BadInput(f"{name}, column {col}: {rows}; rule: one of {', '.join(allowed)}")
    for i, row in df.iterrows():
        where = f"{name}, line {lines[i]}"
        if not row["claim_id"].strip():
            raise BadInput(f"{where}, column claim_id: empty; rule: every claim has a key")
        for col in ("value", "lo", "hi"):   # numbers or empty
            try:
                number = float(row[col]) if row[col] else 0.0
            except ValueError:
                number = None
            if number is None or not np.isfinite(number):
                raise BadInput(f"{where}, column {col} ({row['claim_id']}): {row[col]!r} is not a number; "
                               "rule: a number written with a decimal point (71.5), or empty")
        if row["base_n"] and not (row["base_n"].isdigit() and len(row["base_n"]) < 10):
            raise BadInput(f"{where}, column base_n ({row['claim_id']}): {row['base_n']!r} is not a count; "
                           "rule: a whole number of respondents (0 or more), or empty")
        if row["unit"] in ("pct", "pct1") and row["value"] and not 0 <= float(row["value"]) <= 100:
            raise BadInput(f"{where}, column value ({row['claim_id']}): {row['value']} is outside 0-100; "
                           "rule: a percentage lies between 0 and 100")
        for col in ("population", "numerator", "group"):   # every filter in the one language
            try:
                names = filters.parse(row[col]).columns
            except filters.FilterError as exc:
                raise BadInput(f"{where}, column {col} ({row['claim_id']}): {exc}") from None
            unknown = sorted(set(names) - set(known)) if known is not None else []
            if unknown:
                raise BadInput(f"{where}, column {col} ({row['claim_id']}): {row[col]!r} names "
                               f"{', '.join(unknown)}, not a variable of the codebook; rule: a filter "
                               "names columns of the respondent file") from None
    duplicated = df["claim_id"][df["claim_id"].duplicated()]
    if len(duplicated):
        i = duplicated.index[0]
        raise BadInput(f"{name}, line {lines[i]}, column claim_id: {df.at[i, 'claim_id']!r} occurs more than "
                       "once; rule: each claim_id once — rename or remove the repeated row")
    for col in ("lo", "hi"):
        df[col] = pd.to_numeric(df[col].replace("", np.nan), errors="coerce")
    return df[COLUMNS]


def names_in(query: str) -> set[str]:
    """Column names a query refers to."""
    return set(filters.parse(query).columns)


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
    return filters.parse(query).mask(df)


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
