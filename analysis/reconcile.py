"""Reconciliation: every row of data/published/published.csv against the number recomputed here.

For each printed number: its source line, the value as printed, the value recomputed from the
respondent data (through the same registry the chapters use), and a status:

- `match`           a published number that the data reproduces (after half-up rounding);
- `inconsistent`    the source contradicts itself here; the row is documented, not a target;
- `assumption`      a value we chose where the source prints none; reproduced by construction;
- `not recomputed`  a number about the invited population (frame) or from another study;
- `MISMATCH`        anything else: the build must stop.

For figure rows, the figure's own table (what the chart draws) is checked too, so a chart
cannot silently disagree with the number in the text.
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from analysis.report import Report, recompute
from analysis.rounding import half_up

STATUS_ORDER = ("MISMATCH", "match", "assumption", "inconsistent", "not recomputed")
_SIMPLE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:==\s*(\d+)|in\s*\[([\d,\s]+)\])\s*$")


def holds(unit: str, printed_value: float, lo: float, hi: float, v) -> bool:
    """Does the recomputed value v reproduce the printed value under the row's unit?"""
    if unit in ("pct", "pct1", "rate", "nonresponse"):
        digits = 0 if unit == "pct" else 1
        return half_up(v.value, digits) == round(float(printed_value), digits)
    if unit == "count":
        return v.value == float(printed_value)
    if unit == "range":
        return lo <= v.value <= hi
    if unit == "diff_gt":
        return v.value > 0
    if unit in ("signif", "gof"):
        return v.p < float(printed_value)
    if unit == "gof_ns":
        return v.p >= float(printed_value)
    raise ValueError(unit)


def _figure_value(r: Report, row, cells_of: dict | None = None) -> float | None:
    """The share the figure's own table shows for this row, if the row is a simple cell of it.

    `cells_of` keeps each figure's columns as arrays between rows (see `_figure_cells`).
    """
    from analysis import figures

    if not row.figure or row.figure not in figures.figure_specs() or row.unit not in ("pct", "range"):
        return None
    s = figures.spec(row.figure)
    m = _SIMPLE.match(row.numerator or "")
    if not m or s["chart"] not in ("likert", "single", "bars", "grouped_bars"):
        return None
    variable = m.group(1)
    codes = [int(m.group(2))] if m.group(2) else [int(c) for c in m.group(3).split(",")]
    pop = r.codebook.populations[s.get("population") or "all"].query
    if (row.population or "") not in ("", pop):
        return None
    if cells_of is None:
        cells_of = {}
    if row.figure not in cells_of:
        cells_of[row.figure] = _figure_cells(figures.table(row.figure, r), s["chart"])
    cells = cells_of[row.figure]
    if cells is None:
        return None
    items, row_codes, percent = cells
    if s["chart"] in ("likert", "single"):
        hit = (items == variable) & np.isin(row_codes, codes)
    else:
        hit = (items == variable) if codes == [1] else np.zeros(len(items), dtype=bool)
    if not hit.any():
        return None
    # np.nansum: what pandas' Series.sum does (NaN skipped, same summation), without a Series.
    return float(np.nansum(percent[hit]))


def _figure_cells(t: pd.DataFrame, chart: str):
    """(item, code, percent) arrays of a figure's table, or None for a split or grouped figure.

    Filtering arrays instead of the DataFrame for each of the ~500 rows is ~5x faster. Codes
    become floats: a missing code (a net row) is NaN and matches no code, like `isin`.
    """
    if "split" in t or t["group"].notna().any():
        return None
    code_col = {"likert": "code", "single": "category"}.get(chart)
    codes = t[code_col].astype("float64").to_numpy() if code_col else None
    return t["item"].to_numpy(), codes, t["percent"].to_numpy(dtype="float64")


def reconcile(r: Report | None = None) -> pd.DataFrame:
    r = r or Report("da")
    out = []
    cells_of: dict = {}
    for row in r.published.itertuples(index=False):
        recomputed = figure_value = None
        detail = ""
        if row.unit in ("frame", "external"):
            status = "not recomputed"
        else:
            v = recompute(pd.Series(row._asdict()), r.data, r.published)
            recomputed = v.p if v.p is not None and row.unit in ("signif", "gof", "gof_ns") else v.value
            ok = holds(row.unit, row.value, row.lo, row.hi, v)
            figure_value = _figure_value(r, row, cells_of)
            if figure_value is not None and abs(figure_value - v.value) > 1e-9:
                ok = False
                detail = f"figure {row.figure} shows {figure_value:.3f}"
            if row.status == "inconsistent":
                status = "inconsistent"
            elif ok:
                status = "match" if row.status == "published" else "assumption"
            else:
                status = "MISMATCH"
        out.append({
            "claim_id": row.claim_id, "figure": row.figure, "source": row.source, "unit": row.unit,
            "printed": row.printed, "published_value": row.value,
            "recomputed": None if recomputed is None else round(float(recomputed), 4),
            "figure_value": None if figure_value is None else round(figure_value, 4),
            "status": status, "source_status": row.status, "detail": detail, "note": row.note,
        })
    return pd.DataFrame(out)


def summary(table: pd.DataFrame) -> dict[str, int]:
    counts = table["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in STATUS_ORDER}
