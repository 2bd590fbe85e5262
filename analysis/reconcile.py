"""Reconciliation: every number the source prints against the value the data in hand gives.

One row per number of the registry that the source prints (statuses printed, differs,
inconsistent) or that the reconstruction assumed. Its status is the number's own (the
vocabulary of analysis/numbers.py). For a share that a figure also shows, the figure's own
table (what the chart draws) is compared with it, so a chart cannot silently disagree with the
number in the text: a disagreement makes the row `differs`.
"""
from __future__ import annotations

import pandas as pd

from analysis.numbers import STATUSES

ORDER = STATUSES


def _figure_values(figures: dict) -> dict[str, list[float]]:
    """key of a number -> the values of the figure cells it pins."""
    out: dict[str, list[float]] = {}
    for rec in figures.values():
        for row in rec["table"]:
            for key in row.get("claims") or []:
                out.setdefault(key, []).append(row["percent"])
    return out


def reconcile(numbers: dict, figures: dict) -> pd.DataFrame:
    cells = _figure_values(figures)
    out = []
    for n in numbers.values():
        status, detail = n["status"], ""
        figure_value = None
        shown = cells.get(n["key"]) or []
        if shown and n["value"] is not None:
            figure_value = shown[0]
            if any(abs(v - n["value"]) > 1e-9 for v in shown):
                status, detail = "differs", f"figure {n['figure']} shows {shown[0]:.3f}"
        recomputed = n["p"] if n["unit"] in ("signif", "gof", "gof_ns") else n["value"]
        if n["unit"] in ("frame", "external"):
            recomputed = None
        out.append({
            "claim_id": n["key"], "figure": n["figure"], "source": n["source"], "unit": n["unit"],
            "printed": n["printed"], "printed_value": n["printed_value"],
            "recomputed": None if recomputed is None else round(float(recomputed), 4),
            "figure_value": None if figure_value is None else round(float(figure_value), 4),
            "status": status, "rests_on": n["rests_on"], "recomputed_from_data": n["unit"] not in ("frame", "external"),
            "detail": detail, "uses": n["uses"],
        })
    return pd.DataFrame(out)


def summary(table: pd.DataFrame) -> dict[str, int]:
    counts = table["status"].value_counts()
    return {s: int(counts.get(s, 0)) for s in ORDER}


def differing(table: pd.DataFrame) -> pd.DataFrame:
    return table[table["status"] == "differs"]
