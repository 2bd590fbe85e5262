"""Published numbers (`data/published/published.csv`) and how one is evaluated on respondent data.

A claim is a number the source report prints (or an assumption we made where it prints none).
Each claim names its denominator (`population`) and numerator as pandas query strings over the
columns of `data/raw/survey.csv`, so a reviewer can read exactly which rows make the number.
"""
from __future__ import annotations

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


def load(path: Path | None = None) -> pd.DataFrame:
    from arena import paths

    path = path or paths.PUBLISHED
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
    """Rows that satisfy `query` (all rows for an empty query). Missing values never match `==`/`in`."""
    if not query or not query.strip():
        return np.ones(len(df), dtype=bool)
    # Only the named columns: pandas builds a resolver for every column on each eval.
    cols = [c for c in df.columns if c in names_in(query)]
    result = df[cols].eval(query, engine="python")
    return np.asarray(pd.Series(result, index=df.index).fillna(False), dtype=bool)


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
        pop &= mask(df, group)
    num = pop & mask(df, numerator)
    return Share(int(num.sum()), int(pop.sum()))
