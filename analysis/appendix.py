"""Tables for the appendices: codebook, figure tables, reconciliation, data validation."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from analysis import fmt
from analysis.escape import html_attr, html_text, md_code, md_text
from analysis.report import Report, figure_specs
from analysis.tables import SMALL_BASE, SMALL_CELL  # noqa: F401  (the chapters quote the thresholds)

HEAD = {
    "da": {"variable": "Variabel", "question": "Spørgsmål", "asked": "Stillet til", "codes": "Svarkoder",
           "claim": "Nøgle", "source": "Kilde (linje)", "printed": "Trykt", "recomputed": "Genberegnet",
           "status": "Status", "note": "Begrundelse", "suite": "Regelsæt", "rules": "Regler", "passed": "Overholdt",
           "type": "Regeltype"},
    "en": {"variable": "Variable", "question": "Question", "asked": "Asked of", "codes": "Answer codes",
           "claim": "Key", "source": "Source (line)", "printed": "Printed", "recomputed": "Recomputed",
           "status": "Status", "note": "Reasoning", "suite": "Suite", "rules": "Rules", "passed": "Passed",
           "type": "Rule type"},
}
STATUS_WORDS = {
    "da": {"match": "stemmer", "assumption": "antagelse", "inconsistent": "modstrid i kilden",
           "not recomputed": "ikke genberegnet", "MISMATCH": "AFVIGER"},
    "en": {"match": "match", "assumption": "assumption", "inconsistent": "source inconsistency",
           "not recomputed": "not recomputed", "MISMATCH": "MISMATCH"},
}


def codebook_table(r: Report) -> pd.DataFrame:
    h = HEAD[r.lang]
    rows = []
    for v in r.codebook.variables.values():
        scale = r.codebook.scales[v.scale]
        codes = "; ".join(f"{c.code} = {c.label(r.lang)}" for c in scale.codes)
        pop = r.codebook.populations[v.population]
        rows.append({h["variable"]: v.id, h["question"]: v.question[r.lang],
                     h["asked"]: getattr(pop, r.lang), h["codes"]: codes})
    return pd.DataFrame(rows)


def figure_list(r: Report) -> list[tuple[str, str]]:
    """(figure id, title) in report order."""
    return [(fid, spec["title"][r.lang]) for fid, spec in figure_specs().items()]


CI_LEVEL = 0.95  # Wilson intervals use alpha = 0.05 (analysis.stats.wilson_ci)
# Marks for the flags in the figure tables; the appendix's introduction explains them.
MARKS = {"small_base": "†", "small_cell": "‡"}
FIGURE_HEAD = {
    "da": {"item": "Spørgsmål", "group": "Gruppe", "answer": "Svar", "count": "Antal", "base": "Grundlag",
           "percent": "Procent", "ci": "{level}-KI", "note": "Note"},
    "en": {"item": "Question", "group": "Group", "answer": "Answer", "count": "Count", "base": "Base",
           "percent": "Per cent", "ci": "{level} CI", "note": "Note"},
}


def figure_table(r: Report, fig_id: str) -> tuple[str, pd.DataFrame]:
    """One figure's numbers as the appendix prints them: (the question every row shares, or
    "", the table).

    The same numbers as the figure's CSV download, written for reading: a question shared by
    every row stands once above the table, a repeated question or group is shown on its first
    row only, numbers use the report's locale, and the two flags become the marks in MARKS.
    """
    from analysis import figures

    lang, h = r.lang, FIGURE_HEAD[r.lang]
    plain = {v: k for k, v in figures.COLUMN_NAMES[lang].items()}
    t = figures.download_table(fig_id, lang, r).rename(columns=plain)
    shared = ""
    cols: dict[str, list] = {}
    if t["item"].nunique() == 1:
        shared = str(t["item"].iloc[0])
    else:
        cols[h["item"]] = _first_of_run(list(t["item"]))
    if "group" in t:
        cols[h["group"]] = _first_of_run(list(t["group"]), within=list(t["item"]))
    cols[h["answer"]] = list(t["answer"])
    cols[h["count"]] = [fmt.number(v, lang) for v in t["count"]]
    cols[h["base"]] = [fmt.number(v, lang) for v in t["base"]]
    cols[h["percent"]] = [fmt.number(v, lang, 1) for v in t["percent"]]
    cols[h["ci"].format(level=fmt.percent(100 * CI_LEVEL, lang))] = [
        f"{fmt.number(lo, lang, 1)}–{fmt.number(hi, lang, 1)}" for lo, hi in zip(t["ci_low"], t["ci_high"])]
    notes = [" ".join(mark for flag, mark in MARKS.items() if row[flag]) for _, row in t.iterrows()]
    if any(notes):
        cols[h["note"]] = notes
    return shared, pd.DataFrame(cols)


def figure_table_markdown(r: Report, fig_id: str) -> str:
    """figure_table as Markdown for an `output: asis` cell."""
    from analysis.display import Table

    shared, table = figure_table(r, fig_id)
    lead = f"*{FIGURE_HEAD[r.lang]['item']}:* {md_text(shared)}\n\n" if shared else ""
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
    h, words = HEAD[lang], STATUS_WORDS[lang]
    t = table[table["status"].isin(statuses)]
    return pd.DataFrame({
        h["claim"]: t["claim_id"],
        h["source"]: [s.replace("001_59fcf0b10ba7b2e6.txt:", "") for s in t["source"]],
        h["printed"]: t["printed"],
        h["recomputed"]: [_fmt_recomputed(v, u, lang) for v, u in zip(t["recomputed"], t["unit"])],
        h["status"]: [words[s] for s in t["status"]],
    })


def inconsistencies_markdown(table: pd.DataFrame, lang: str) -> str:
    """The inconsistencies as a list (long reasoning reads badly in a narrow table column)."""
    t = table[table["status"] == "inconsistent"]
    items = []
    for row in t.itertuples(index=False):
        lines = row.source.replace("001_59fcf0b10ba7b2e6.txt:", "")
        line_word, printed_word = ("linje", "trykt") if lang == "da" else ("line", "printed")
        items.append(f"- **{md_code(row.claim_id)}** ({line_word} {md_text(lines)}; {printed_word} "
                     f"«{md_text(row.printed)}»): {md_text(row.note)}")
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


def validation_result(root: str):
    """The validation result for the shipped data (cached by data hash; the build ran it)."""
    from arena import validate

    return validate.ensure_valid(Path(root) / "data" / "raw" / "survey.csv")


def validation_summary(result, lang: str) -> pd.DataFrame:
    h = HEAD[lang]
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



def ci_level(r: Report) -> str:
    return fmt.percent(100 * CI_LEVEL, r.lang)
