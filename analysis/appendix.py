"""Tables for the appendices: codebook, figure tables, reconciliation, data validation."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import fmt, words
from analysis.escape import html_attr, html_text, md_code, md_text
from analysis.tables import SMALL_BASE, SMALL_CELL  # noqa: F401  (the chapters quote the thresholds)

# `r` below is the chapters' Report (arena/chapter.py): the artifacts, read for one language.

def _head(lang: str, prefix: str = "appendix") -> dict[str, str]:
    """Column headings from the words catalogue (analysis/words.yaml)."""
    return words.section(lang, prefix)


def status_word(status: str, lang: str) -> str:
    return words.get(lang, f"status.{status}")


def codebook_table(r) -> pd.DataFrame:
    h = _head(r.lang)
    cb = r.codebook
    rows = []
    for v in cb.variables.values():
        scale = cb.scales[v.scale]
        codes = "; ".join(f"{c.code} = {c.label(r.lang)}" for c in scale.codes)
        pop = cb.populations[v.population]
        rows.append({h["variable"]: v.id, h["question"]: v.question[r.lang],
                     h["asked"]: getattr(pop, r.lang), h["codes"]: codes})
    return pd.DataFrame(rows)


def figure_list(r) -> list[tuple[str, str]]:
    """(figure id, title) in report order."""
    return [(fid, rec["langs"][r.lang]["title"]) for fid, rec in r.figure_records().items()]


CI_LEVEL = 0.95  # Wilson intervals use alpha = 0.05 (analysis.stats.wilson_ci)
# Marks for the flags in the figure tables; the appendix's introduction explains them.
MARKS = {"small_base": "†", "small_cell": "‡"}


def figure_table(r, fig_id: str) -> tuple[str, pd.DataFrame]:
    """One figure's numbers as the appendix prints them: (the question every row shares, or
    "", the table).

    The same numbers as the figure's CSV download, written for reading: a question shared by
    every row stands once above the table, a repeated question or group is shown on its first
    row only, numbers use the report's locale, and the two flags become the marks in MARKS.
    """
    lang, h = r.lang, _head(r.lang, "figtable")
    t = pd.DataFrame(r.figure_record(fig_id)["langs"][lang]["download"])
    shared = ""
    cols: dict[str, list] = {}
    if t["item"].nunique() == 1:
        shared = str(t["item"].iloc[0])
    else:
        cols[h["item"]] = _first_of_run(list(t["item"]))
    if "group" in t:
        cols[h["group"]] = _first_of_run(list(t["group"]), within=list(t["item"]))
    cols[h["answer"]] = list(t["answer"])
    def num(v, digits=0):   # a suppressed cell carries text ("< 5") and no share
        return v if isinstance(v, str) else ("" if v is None or v != v else fmt.number(v, lang, digits))

    cols[h["count"]] = [num(v) for v in t["count"]]
    cols[h["base"]] = [num(v) for v in t["base"]]
    cols[h["percent"]] = [num(v, 1) for v in t["percent"]]
    cols[h["ci"].format(level=fmt.percent(100 * CI_LEVEL, lang))] = [
        f"{num(lo, 1)}–{num(hi, 1)}" if num(lo, 1) else "" for lo, hi in zip(t["ci_low"], t["ci_high"])]
    cols[h["status"]] = [status_word(s, lang) for s in t["status"]]
    notes = [" ".join(mark for flag, mark in MARKS.items() if row[flag]) for _, row in t.iterrows()]
    if any(notes):
        cols[h["note"]] = notes
    return shared, pd.DataFrame(cols)


def figure_table_markdown(r, fig_id: str) -> str:
    """figure_table as Markdown for an `output: asis` cell."""
    from analysis.display import Table

    shared, table = figure_table(r, fig_id)
    lead = f"*{_head(r.lang, 'figtable')['item']}:* {md_text(shared)}\n\n" if shared else ""
    return lead + Table(table).to_markdown()


def _first_of_run(values: list, within: list | None = None) -> list[str]:
    """Blank a value that repeats the row above (within the same `within` value)."""
    out = []
    for i, v in enumerate(values):
        same = i > 0 and v == values[i - 1] and (within is None or within[i] == within[i - 1])
        out.append("" if same or v is None or v != v else str(v))
    return out


def reconciliation_counts(table: pd.DataFrame) -> dict[str, int]:
    from analysis import reconcile

    return reconcile.summary(table)


def reconciliation_table(table: pd.DataFrame, lang: str, statuses: tuple[str, ...]) -> pd.DataFrame:
    h = _head(lang)
    t = table[table["status"].isin(statuses)]
    return pd.DataFrame({
        h["claim"]: t["claim_id"],
        h["source"]: [s.replace("001_59fcf0b10ba7b2e6.txt:", "") for s in t["source"]],
        h["printed"]: t["printed"],
        h["recomputed"]: [_fmt_recomputed(v, u, lang) for v, u in zip(t["recomputed"], t["unit"])],
        h["status"]: [status_word(s, lang) for s in t["status"]],
    })


def inconsistencies_markdown(r) -> str:
    """The source's inconsistencies as a list, each explained in the page's language."""
    items = []
    for n in r.numbers.values():
        if n["status"] != "inconsistent":
            continue
        lines = n["source"].replace("001_59fcf0b10ba7b2e6.txt:", "")
        line_word, printed_word = ("linje", "trykt") if r.lang == "da" else ("line", "printed")
        items.append(f"- **{md_code(n['key'])}** ({line_word} {lines}; {printed_word} «{md_text(n['printed'])}»): "
                     f"{md_text(n['explanation_' + r.lang])}")
    return "\n".join(items)


def _fmt_recomputed(value, unit: str, lang: str) -> str:
    if value is None or value != value:
        return ""
    if unit in ("pct", "range", "diff_gt"):
        return fmt.percent(value, lang, 1)
    if unit in ("pct1", "rate", "nonresponse"):
        return fmt.percent(value, lang, 2)
    if unit in ("signif", "gof", "gof_ns"):
        return fmt.p_value(value, lang)
    return fmt.number(value, lang)


def validation_summary(result, lang: str) -> pd.DataFrame:
    h = _head(lang)
    t = pd.DataFrame(result.results)
    g = t.groupby(["suite", "type"], sort=True).agg(rules=("success", "size"), passed=("success", "sum")).reset_index()
    return pd.DataFrame({h["suite"]: g["suite"], h["type"]: g["type"], h["rules"]: g["rules"],
                         h["passed"]: g["passed"].astype(int)})


class Download:
    """A download link shown on the website only (the PDF cannot carry the file). Given a
    DataFrame, the file is its CSV with spreadsheet formulas neutralised."""

    def __init__(self, text: "str | pd.DataFrame", filename: str, label: str, mime: str = "text/csv"):
        if not isinstance(text, str):
            from analysis.display import frame_to_csv

            text = frame_to_csv(text)
        self.text, self.filename, self.label, self.mime = text, filename, label, mime

    def _repr_mimebundle_(self, include=None, exclude=None):
        import urllib.parse

        href = f"data:{html_attr(self.mime)};charset=utf-8,{urllib.parse.quote(self.text)}"
        # No text/plain: the PDF takes the (empty) Markdown and shows nothing.
        return {"text/html": f'<p class="arena-download"><a download="{html_attr(self.filename)}" '
                             f'href="{href}">{html_text(self.label)}</a></p>',
                "text/markdown": ""}

    def __repr__(self) -> str:
        return f"Download({self.filename!r})"



def ci_level(r) -> str:
    return fmt.percent(100 * CI_LEVEL, r.lang)
