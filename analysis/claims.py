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

COLUMNS = [
    "claim_id", "figure", "status", "variable", "population", "group", "numerator",
    "unit", "value", "lo", "hi", "printed", "base_n", "source", "note",
]
STATUSES = ("published", "assumption", "inconsistent")
UNITS = ("pct", "pct1", "count", "range", "diff_gt", "signif", "rate", "nonresponse", "frame", "gof", "gof_ns", "external")



def load(path: Path | io.StringIO, name: str | None = None) -> pd.DataFrame:
    """published.csv, checked: columns, statuses, units, unique keys, every filter parsed.
    `name` is how messages name the file (for bytes already read)."""
    name = name or str(path)
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"{name}: missing columns {missing}")
    # A typo in a reviewer's file must stop everything with its row, not be skipped silently.
    for col, allowed in (("status", STATUSES), ("unit", UNITS)):
        bad = df.index[~df[col].isin(allowed)]
        if len(bad):
            rows = ", ".join(f"{df.at[i, 'claim_id']} (line {i + 2}): {df.at[i, col]!r}" for i in bad[:5])
            raise ValueError(f"{name}, column {col}: {rows} — allowed: {', '.join(allowed)}")
    for i, row in df.iterrows():   # every filter in the one language, or a located error
        for col in ("population", "numerator", "group"):
            try:
                filters.parse(row[col])
            except filters.FilterError as exc:
                raise ValueError(f"{name}, line {i + 2}, column {col} ({row['claim_id']}): {exc}") from None
    duplicated = df.loc[df["claim_id"].duplicated(), "claim_id"].tolist()
    if duplicated:
        raise ValueError(f"{name}, column claim_id: repeated keys {duplicated[:5]}")
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
