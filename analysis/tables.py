"""Tidy tables from respondent rows and the codebook: the numbers behind every figure.

Bases follow the source report (docs/data-model.md):
- the base of a variable is everyone in its population (the codebook's "who was asked", AND an
  optional extra `population_query`) who has a value; an EMPTY cell means "not asked" and is
  left out of the base;
- "don't know", "not relevant" and "no answer" are codes and are INCLUDED in the base;
- percentages are unrounded (0-100); nets are summed from counts before anything is rounded;
- confidence intervals are Wilson intervals, in per cent.

Every table carries two warning flags:
- `small_base`: base < SMALL_BASE. 50 rather than the common 30 so that the 44 regional
  politicians (the smallest group the report breaks out) are always flagged: a share of 44 has a
  95 % interval up to +-15 points;
- `small_cell`: 0 < count < SMALL_CELL (5), the cells no published number may rest on without
  a warning (GUIDE.md section 3). Zero is not flagged: it discloses nothing.
"""
from __future__ import annotations

from typing import Iterable, Iterator, NamedTuple, Sequence

import pandas as pd

from analysis.claims import mask
from analysis.codebook import Codebook, Scale
from analysis.rounding import pct
from analysis.stats import wilson_ci

SMALL_BASE = 50
SMALL_CELL = 5
SELECTED = 1  # the "selected" scale: 1 = option chosen, 0 = not chosen
NON_SUBSTANTIVE = "non_substantive"

__all__ = [
    "SMALL_BASE", "SMALL_CELL", "Net", "asked", "distribution", "net", "multi_response",
    "likert_table", "likert_wide",
]


class Net(NamedTuple):
    count: int
    base: int
    percent: float


# ---------------------------------------------------------------- who is in the base

def asked(df: pd.DataFrame, codebook: Codebook, variable: str, population_query: str | None = None) -> pd.DataFrame:
    """Rows in the variable's population (and the extra query) that have a value for it."""
    # Both queries are evaluated on the whole frame (their conditions are per row), so the
    # masks of the loaded survey are reused across variables (claims.remember_masks).
    keep = mask(df, codebook.population_of(variable).query)
    if population_query and population_query.strip():
        keep = keep & mask(df, population_query)
    return df[keep & df[variable].notna().to_numpy()]


def _codes_of(values: pd.Series, scale: Scale, variable: str) -> pd.Series:
    """The values as ints, failing loudly on anything the scale does not define."""
    if not (values == values.round()).all():
        raise ValueError(f"{variable}: non-integer codes {sorted(values[values != values.round()].unique())}")
    codes = values.astype(int)
    unknown = sorted(set(codes) - set(scale.values))
    if unknown:
        raise ValueError(f"{variable}: codes {unknown} are not on scale {scale.id!r} {scale.values}")
    return codes


def _groups(rows: pd.DataFrame, by: str | None) -> Iterator[tuple[object, pd.DataFrame]]:
    if by is None:
        yield None, rows
        return
    for key, part in rows.groupby(by, sort=True, dropna=True):
        yield (int(key) if float(key).is_integer() else key), part


# ---------------------------------------------------------------- derived columns

def _with_shares(table: pd.DataFrame) -> pd.DataFrame:
    """Add percent, Wilson interval (per cent) and the small-base/small-cell flags."""
    table = table.copy()
    table["percent"] = [pct(c, b) for c, b in zip(table["count"], table["base"])]
    ci = [wilson_ci(int(c), int(b)) for c, b in zip(table["count"], table["base"])]
    table["ci_low"] = [100 * lo for lo, _ in ci]
    table["ci_high"] = [100 * hi for _, hi in ci]
    table["small_base"] = table["base"] < SMALL_BASE
    table["small_cell"] = (table["count"] > 0) & (table["count"] < SMALL_CELL)
    return table


# ---------------------------------------------------------------- single-choice variables

def distribution(
    df: pd.DataFrame,
    codebook: Codebook,
    variable: str,
    population_query: str | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """Count and share of every code of the variable's scale (0-count codes too, scale order).

    Columns: variable, group, code, count, base, percent, ci_low, ci_high, kind, small_base,
    small_cell. `group` is the value of the `by` column (None without `by`).
    """
    scale = codebook.scale_of(variable)
    rows = asked(df, codebook, variable, population_query)
    codes = _codes_of(rows[variable], scale, variable)
    records = []
    for group, part in _groups(rows, by):
        counts = codes.loc[part.index].value_counts()
        for code in scale.codes:
            records.append({
                "variable": variable, "group": group, "code": code.code,
                "count": int(counts.get(code.code, 0)), "base": len(part), "kind": code.kind,
            })
    columns = ["variable", "group", "code", "count", "base", "kind"]
    table = _with_shares(pd.DataFrame.from_records(records, columns=columns))
    return table[["variable", "group", "code", "count", "base", "percent", "ci_low", "ci_high",
                  "kind", "small_base", "small_cell"]]


def _net_codes(scale: Scale, codes: str | Iterable[int]) -> list[int]:
    if isinstance(codes, str):
        if codes not in scale.nets:
            raise KeyError(f"scale {scale.id!r} has no net {codes!r} (nets: {sorted(scale.nets)})")
        return [int(c) for c in scale.nets[codes]["codes"]]
    codes = [int(c) for c in codes]
    for c in codes:
        scale.code(c)  # KeyError for a code the scale does not have
    return codes


def net(
    df: pd.DataFrame,
    codebook: Codebook,
    variable: str,
    codes: str | Iterable[int],
    population_query: str | None = None,
) -> Net:
    """(count, base, percent) of a set of codes, summed from counts BEFORE any rounding.

    `codes` is a list of codes or the name of one of the scale's nets ("agree").
    """
    scale = codebook.scale_of(variable)
    wanted = _net_codes(scale, codes)
    rows = asked(df, codebook, variable, population_query)
    values = _codes_of(rows[variable], scale, variable)
    count = int(values.isin(wanted).sum())
    return Net(count, len(rows), pct(count, len(rows)))


# ---------------------------------------------------------------- multiple response

def multi_response(
    df: pd.DataFrame,
    codebook: Codebook,
    question_group: str,
    population_query: str | None = None,
    by: str | None = None,
) -> pd.DataFrame:
    """One row per option of a multiple-response question (shares may sum to over 100).

    The base of an option is everyone asked it: in the population with a value in that option's
    column. Usually the same for every option; an option not offered to part of the population
    (an empty cell) gets the smaller base it was actually offered to.
    Columns: option, group, count, base, percent, ci_low, ci_high, exclusive, small_base, small_cell.
    """
    options = codebook.group(question_group)
    if not options:
        raise KeyError(f"no variables in question_group {question_group!r}")
    records = []
    for option in options:
        rows = asked(df, codebook, option.id, population_query)
        codes = _codes_of(rows[option.id], codebook.scales[option.scale], option.id)
        for group, part in _groups(rows, by):
            records.append({
                "option": option.id, "group": group,
                "count": int((codes.loc[part.index] == SELECTED).sum()), "base": len(part),
                "exclusive": option.exclusive,
            })
    table = _with_shares(pd.DataFrame.from_records(records))
    if by is not None:  # groups together, options in questionnaire order within each
        order = {o.id: i for i, o in enumerate(options)}
        table = table.sort_values(["group", "option"], key=lambda s: s.map(order) if s.name == "option" else s,
                                  kind="stable").reset_index(drop=True)
    return table[["option", "group", "count", "base", "percent", "ci_low", "ci_high", "exclusive",
                  "small_base", "small_cell"]]


# ---------------------------------------------------------------- Likert batteries

def likert_table(
    df: pd.DataFrame,
    codebook: Codebook,
    variables: Sequence[str],
    population_query: str | None = None,
) -> pd.DataFrame:
    """Long table per item: every code, every net of the scale, and the non-substantive share.

    Columns: variable, category, code, kind, count, base, percent, ci_low, ci_high,
    small_base, small_cell.
    - code rows: category = str(code), kind = the code's kind (substantive, dont_know, ...);
    - net rows: category = net id ("agree"), kind = "net", code = NA;
    - one row category = kind = "non_substantive": not relevant + don't know + no answer.
    """
    records = []
    for variable in variables:
        scale = codebook.scale_of(variable)
        rows = asked(df, codebook, variable, population_query)
        codes = _codes_of(rows[variable], scale, variable)
        counts = codes.value_counts()
        base = len(rows)
        for code in scale.codes:
            records.append((variable, str(code.code), code.code, code.kind, int(counts.get(code.code, 0)), base))
        for net_id, spec in scale.nets.items():
            count = int(sum(counts.get(int(c), 0) for c in spec["codes"]))
            records.append((variable, net_id, pd.NA, "net", count, base))
        other = [c.code for c in scale.codes if c.kind != "substantive"]
        records.append((variable, NON_SUBSTANTIVE, pd.NA, NON_SUBSTANTIVE,
                        int(sum(counts.get(c, 0) for c in other)), base))
    table = pd.DataFrame.from_records(records, columns=["variable", "category", "code", "kind", "count", "base"])
    table["code"] = table["code"].astype("Int64")
    return _with_shares(table)


def likert_wide(table: pd.DataFrame, value: str = "percent") -> pd.DataFrame:
    """One row per item, one column per category (for reading; charts use the long table)."""
    wide = table.pivot(index="variable", columns="category", values=value)
    order = list(dict.fromkeys(table["category"]))
    wide = wide[order].reindex(list(dict.fromkeys(table["variable"])))
    wide.insert(0, "base", table.groupby("variable", sort=False)["base"].first())
    wide.columns.name = None
    return wide
