"""Tables for the appendices: codebook, figure tables, reconciliation, data validation."""
from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from analysis import fmt, words
from analysis.anchors import appendix_c_anchor
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


FLOAT_KEYS = {"fig": "fig", "info": "inf", "tab": "tbl"}   # registry id prefix -> cross-reference kind


def float_label(fig_id: str) -> str:
    """The cross-reference label of a registry id: fig-05 -> fig-05, info-1 -> inf-1, tab-1 -> tbl-…"""
    kind, _, rest = fig_id.partition("-")
    return f"{FLOAT_KEYS[kind]}-{rest}"


def float_name(r, fig_id: str) -> str:
    """"Figur 5", "Infografik 1", "Tabel 1": numbered as the source numbers them."""
    kind, _, rest = fig_id.partition("-")
    if kind == "fig":
        rest = str(r.figure_record(fig_id)["number"])
    return words.get(r.lang, f"float.{kind}", n=int(rest))


def appendix_b_number(r, fig_id: str) -> int:
    """The figure's table number in Appendix B (B.1, B.2, … in report order)."""
    return [f for f, _ in figure_list(r)].index(fig_id) + 1


def appendix_b_anchor(fig_id: str) -> str:
    return f"bilag-b-{fig_id}"


def figure_table_section(r, fig_id: str, title: str) -> str:
    """One figure's table in Appendix B: a numbered heading, a link back to the figure, the table."""
    n = appendix_b_number(r, fig_id)
    # the letter the book gives this appendix, so "Tabel B.1" follows the appendices' order
    head = f"{words.get(r.lang, 'float.appendix_b', n=n, letter=r.appendix_letter('sec-bilag-figurer'))}: {md_text(title)}"
    back = words.get(r.lang, "float.numbers_behind", ref="@" + float_label(fig_id))
    return f"\n## {head} {{#{appendix_b_anchor(fig_id)}}}\n\n{back}\n\n{figure_table_markdown(r, fig_id)}\n"


def _number_label(r, n: dict) -> tuple[str, str]:
    """(group, what) of a number in the reader's words: the council type it is about, and the
    answer it counts (from the codebook) or, for a count, rate or test, what kind of number it is."""
    from analysis.figures import _label, _simple

    lang = r.lang
    where = f"{n.get('population') or ''} {n.get('numerator') or ''}"
    group = ""
    if re.search(r"council\s*==\s*1\b", where):
        group = words.get(lang, "municipal")
    elif re.search(r"council\s*==\s*2\b", where):
        group = words.get(lang, "regional")
    simple = _simple(n.get("numerator") or "")
    if simple and n["unit"] not in ("count", "frame") and simple[0] in r.codebook.variables:
        var, codes = simple
        v = r.codebook.variables[var]
        if v.kind == "multi_option":
            return group, _label(r, var)
        labels = {c.code: c.label(lang) for c in r.codebook.scale_of(var).codes}
        answer = " + ".join(labels.get(c, str(c)) for c in sorted(codes))
        return group, f"{_label(r, var)}: {answer}"
    return group, words.get(lang, f"rec.unit.{n['unit']}")


def _floats_in_order(r, rec: pd.DataFrame) -> list[str]:
    ids = [f for f, _ in figure_list(r)]
    tabs = sorted(f for f in rec["figure"].unique() if str(f).startswith("tab-"))
    return ids + tabs + [""]


def reconciliation_sections(r, rec: pd.DataFrame) -> str:
    """Appendix C for readers: per figure, infographic and table (then the numbers of the text),
    each number the report prints against the number recomputed from the data, with its status in
    the page's language. Claim ids and source lines stay in the downloadable table."""
    lang, h = r.lang, _head(r.lang)
    shown = ("printed", "inconsistent", "differs")
    out = []
    for fig_id in _floats_in_order(r, rec):
        part = rec[rec["figure"] == fig_id]
        if part.empty:
            continue
        if fig_id == "":
            heading = words.get(lang, "float.prose")
        elif fig_id.startswith("tab-"):
            heading = f"{float_name(r, fig_id)}: {words.get(lang, f'float.{fig_id}')}"
        else:
            heading = f"{float_name(r, fig_id)}: {md_text(r.figure_record(fig_id)['langs'][lang]['title'])}"
        out.append(f"\n### {heading} {{#{appendix_c_anchor(fig_id)}}}\n")
        printed = part[part["status"].isin(shown)]
        assumed = int((part["status"] == "assumed").sum())
        if printed.empty:
            out.append(words.get(lang, "rec.only_assumed", n=assumed) + "\n")
            continue
        if assumed:
            out.append(words.get(lang, "rec.assumed_one" if assumed == 1 else "rec.assumed_many", n=assumed) + "\n")
        labels = [_number_label(r, r.numbers[c]) if c in r.numbers else ("", "") for c in printed["claim_id"]]
        cols = {}
        if any(g for g, _ in labels):
            cols[_head(lang, "figtable")["group"]] = [g for g, _ in labels]
        cols[words.get(lang, "rec.what")] = [w for _, w in labels]
        cols[h["printed"]] = list(printed["printed"])
        cols[h["recomputed"]] = [_fmt_recomputed(v, u, lang) for v, u in zip(printed["recomputed"], printed["unit"])]
        cols[h["status"]] = [status_word(s, lang) for s in printed["status"]]
        from analysis.display import Table

        out.append(Table(pd.DataFrame(cols)).to_markdown() + "\n")
    return "\n".join(out)


def inconsistencies_markdown(r) -> str:
    """The source's inconsistencies as a list, each explained in the page's language and named by
    the figure or table it concerns (as the source numbers them)."""
    items = []
    printed_word = words.get(r.lang, "appendix.printed").lower()
    for n in r.numbers.values():
        if n["status"] != "inconsistent":
            continue
        fig = n.get("figure") or ""
        where = float_name(r, fig) if fig else words.get(r.lang, "float.prose")
        items.append(f"- **{md_text(where)}** ({printed_word} «{md_text(n['printed'])}»): "
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
    """One row per kind of rule, said in plain words, with how many rules of that kind were
    checked and how many held (the rule and suite names of the validation stay out of sight)."""
    h = _head(lang)
    t = pd.DataFrame(result.results)
    g = t.groupby(["suite", "type"], sort=False).agg(rules=("success", "size"), passed=("success", "sum")).reset_index()
    texts = []
    for suite, kind in zip(g["suite"], g["type"]):
        key = f"rule.{kind}.{suite}" if f"rule.{kind}.{suite}" in words.catalogue() else f"rule.{kind}"
        if key not in words.catalogue():
            raise KeyError(f"analysis/words.yaml: no reader's description ({key}) for the validation rule "
                           f"type {kind} of suite {suite}; add one in Danish and English")
        texts.append(words.get(lang, key))
    return pd.DataFrame({h["rule_kind"]: texts, h["rules"]: g["rules"], h["passed"]: g["passed"].astype(int)})


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
        from analysis.display import raw_markdown

        # Site only: a raw HTML block, which Typst drops (no text/html: see analysis/display.py).
        return {"text/markdown": raw_markdown("html", f'<p class="arena-download"><a download="{html_attr(self.filename)}" '
                                                      f'href="{href}">{html_text(self.label)}</a></p>')}

    def __repr__(self) -> str:
        return f"Download({self.filename!r})"



def ci_level(r) -> str:
    return fmt.percent(100 * CI_LEVEL, r.lang)
