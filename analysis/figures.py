"""Figures: for each id in `figures.yaml`, a tidy table (aggregated) and an Altair chart.

Kinds (`chart:` in figures.yaml):
- likert        diverging stacked bars per item (agree/disagree, hindered/promoted,
                politicians/administration), "don't know"/"not relevant" in a panel of their own;
- single        one categorical question as bars (optionally municipal vs regional);
- bars          a multiple-response question: one bar per option, shares of everyone asked;
- grouped_bars  the same, municipal and regional side by side;
- infographic   one headline share.

Charts receive only these aggregated tables, never respondent rows.
"""
from __future__ import annotations

from functools import lru_cache

import pandas as pd

from analysis import charts, fmt, tables
from analysis.claims import mask
from analysis.report import PERIOD, WORDS, Report, figure_specs
from analysis.rounding import half_up

COUNCIL_LABELS = {1.0: "municipal", 2.0: "regional"}


def spec(fig_id: str) -> dict:
    try:
        return figure_specs()[fig_id]
    except KeyError:
        raise KeyError(f"no figure {fig_id!r} in analysis/figures.yaml") from None


def _population_query(r: Report, s: dict) -> str:
    return r.codebook.populations[s.get("population") or "all"].query


def _label(r: Report, variable: str) -> str:
    """Item label: the question text in the report's language; for an option of a
    multiple-response question only the option (the text after the question's dash)."""
    var = r.codebook.variables[variable]
    text = var.question[r.lang]
    if var.kind == "multi_option" and " – " in text:
        return text.rsplit(" – ", 1)[1]
    return text


def _code_labels(r: Report, variable: str) -> dict:
    labels = {c.code: c.label(r.lang) for c in r.codebook.scale_of(variable).codes}
    labels["non_substantive"] = WORDS[r.lang]["non_substantive"]
    return labels


def _group_label(r: Report, group) -> str:
    return WORDS[r.lang][COUNCIL_LABELS[float(group)]]


def _options(r: Report, s: dict) -> list[str]:
    group = r.codebook.group(s["question_group"])
    keep = s.get("options") or [v.id for v in group]
    hidden = set(s.get("hide_options") or [])
    return [v for v in keep if v not in hidden]


# ---------------------------------------------------------------- tables

def table(fig_id: str, r: Report) -> pd.DataFrame:
    """The figure's tidy table: item, group, category, count, base, percent, CI, flags."""
    return _table(fig_id, r.lang, r.root)


@lru_cache(maxsize=128)
def _table(fig_id: str, lang: str, root: str) -> pd.DataFrame:
    r = Report(lang, root)
    s = spec(fig_id)
    kind = s["chart"]
    pop = _population_query(r, s)
    if kind == "likert" and isinstance(s.get("by"), list):
        return _split_likert(r, s)
    if kind == "likert":
        items = [v for v in s["variables"] if v not in set(s.get("hide_variables") or [])]
        t = tables.likert_table(r.data, r.codebook, items, pop or None)
        return t.rename(columns={"variable": "item"}).assign(group=None)
    if kind == "single":
        var = s["variables"][0]
        by = "council" if s.get("by") == "council" else None
        t = tables.distribution(r.data, r.codebook, var, pop or None, by=by)
        return t.rename(columns={"variable": "item", "code": "category"})
    if kind in ("bars", "grouped_bars"):
        full = _all_options(fig_id, lang, root)
        t = full[full["option"].isin(_options(r, s))].rename(columns={"option": "item"})
        if s.get("top"):
            t = (t.sort_values("percent", ascending=False, kind="stable")
                 .groupby("group", dropna=False, sort=False).head(int(s["top"])))
            # keep an option in every group where it is in the top of any group
            everything = full.rename(columns={"option": "item"})
            t = everything[everything["item"].isin(t["item"].unique().tolist())]
        return t.assign(category="1").reset_index(drop=True)
    if kind == "infographic":
        return _infographic_table(r, s)
    raise ValueError(f"{fig_id}: unknown chart kind {kind!r}")


@lru_cache(maxsize=128)
def _all_options(fig_id: str, lang: str, root: str) -> pd.DataFrame:
    """Every option of a bars figure's question, hidden ones too: the figure's table and its
    note (the shares not drawn) both start from it, so it is computed once. Not to be modified."""
    r = Report(lang, root)
    s = spec(fig_id)
    by = "council" if s.get("by") == "council" else None
    return tables.multi_response(r.data, r.codebook, s["question_group"], _population_query(r, s) or None, by=by)


def _split_likert(r: Report, s: dict) -> pd.DataFrame:
    """Figure 17: one Likert item, rows split by the agree/disagree nets of other items."""
    var = s["variables"][0]
    base_pop = _population_query(r, s)
    splits = s["by"]
    # Everyone with a substantive answer to every splitting question (the figure's n).
    substantive = " and ".join(f"{b} in [1, 2, 3, 4]" for b in splits)
    frames = []
    for b in splits:
        for net in ("agree", "disagree"):
            codes = r.codebook.scale_of(b).nets[net]["codes"]
            q = f"({base_pop}) and {substantive} and {b} in {list(codes)}"
            t = tables.likert_table(r.data, r.codebook, [var], q)
            frames.append(t.assign(item=f"{b}:{net}", split=b, split_net=net))
    return pd.concat(frames, ignore_index=True).drop(columns=["variable"]).assign(group=None)


def _infographic_table(r: Report, s: dict) -> pd.DataFrame:
    variables = s["variables"]
    exclude = s.get("base_excludes_codes") or []
    base = pd.Series(True, index=r.data.index)
    for v in variables:
        base &= r.data[v].notna() & ~r.data[v].isin(exclude)
    hit = base.copy()
    codes = s.get("value_codes") or [s.get("value_code", 1)]
    for v in variables:
        hit &= r.data[v].isin(codes)
    n, k = int(base.sum()), int(hit.sum())
    low, high = tables.wilson_ci(k, n)
    return pd.DataFrame([{"item": "+".join(variables), "group": None, "category": "value", "count": k,
                          "base": n, "percent": 100 * k / n, "ci_low": 100 * low, "ci_high": 100 * high,
                          "small_base": n < tables.SMALL_BASE, "small_cell": 0 < k < tables.SMALL_CELL}])


def base_n(fig_id: str, r: Report) -> int:
    t = table(fig_id, r)
    if t["group"].notna().any():
        return int(t.drop_duplicates(["group"])["base"].sum())
    if "split" in t:
        return int(t[t["split"] == t["split"].iloc[0]].drop_duplicates("item")["base"].sum())
    return int(t["base"].max())


# ---------------------------------------------------------------- text

def _placeholders(fig_id: str, r: Report) -> dict:
    s = spec(fig_id)
    t = table(fig_id, r)
    values = {"n": fmt.number(base_n(fig_id, r), r.lang), "period": PERIOD[r.lang], "top": s.get("top") or ""}
    hide = set(s.get("hide_codes") or [])
    if hide and s["chart"] in ("likert", "single"):
        hidden = t[t["code"].isin(hide)] if s["chart"] == "likert" else t[t["category"].isin(hide)]
        per_item = hidden.groupby("item")["percent"].sum()
        # In the figure's item order, one share per item (equal shares are not merged).
        order = [i for i in dict.fromkeys(t["item"]) if i in per_item.index]
        parts = [fmt.percent(per_item[i], r.lang) for i in order]
        values["hidden_pct"] = " / ".join(parts) if parts else fmt.percent(0, r.lang)
    elif s.get("hide_options") and s["chart"] in ("bars", "grouped_bars"):
        full = _all_options(fig_id, r.lang, r.root)
        per_group = []
        for _, g in full.groupby("group", dropna=False, sort=True):
            share = dict(zip(g["option"], g["percent"]))
            per_group.append(" / ".join(fmt.percent(share[o], r.lang) for o in s["hide_options"]))
        values["hidden_pct"] = "; ".join(per_group)
    else:
        values["hidden_pct"] = ""
    if "group" in t and t["group"].notna().any():
        by_group = t.drop_duplicates("group").set_index("group")["base"]
        values["n_municipal"] = fmt.number(int(by_group.get(1.0, 0)), r.lang)
        values["n_regional"] = fmt.number(int(by_group.get(2.0, 0)), r.lang)
    else:
        grp = r.data[mask(r.data, _population_query(r, s))].groupby("council").size()
        values["n_municipal"] = fmt.number(int(grp.get(1.0, 0)), r.lang)
        values["n_regional"] = fmt.number(int(grp.get(2.0, 0)), r.lang)
    if s["chart"] == "infographic":
        values["value"] = fmt.percent(float(t["percent"].iloc[0]), r.lang)
    if fig_id == "fig-17":
        values["p_value"] = _fig17_tests(r)
    return values


def _fig17_tests(r: Report) -> str:
    keys = [c for c in r.published.claim_id if c.startswith("fig17.signif")]
    return "; ".join(fmt.p_value(r.value(k).p, r.lang) for k in keys)


def note(fig_id: str, r: Report) -> str:
    return spec(fig_id)["note"][r.lang].format(**_placeholders(fig_id, r))


def title(fig_id: str, r: Report) -> str:
    return spec(fig_id)["title"][r.lang]


# ---------------------------------------------------------------- charts

def chart(fig_id: str, r: Report):
    s = spec(fig_id)
    t = table(fig_id, r)
    kind = s["chart"]
    ttl = title(fig_id, r)
    if kind == "likert":
        var0 = s["variables"][0]
        if "split" in t:
            labels = {item: _split_label(r, item) for item in t["item"].unique()}
        else:
            labels = {v: _label(r, v) for v in t["item"].unique()}
        return charts.likert_diverging(t.rename(columns={"item": "variable"}), r.lang, ttl, labels,
                                       _code_labels(r, var0))
    if kind == "single":
        var = s["variables"][0]
        labels = _code_labels(r, var)
        hide = set(s.get("hide_codes") or [])
        shown = t[~t["category"].isin(hide)].copy()
        # A "don't know" nobody chose is not drawn; nor is a code a group was never offered.
        used = shown.groupby("category")["count"].transform("sum") > 0
        shown = shown[(shown["kind"] == "substantive") | used]
        for h in r.codebook.variables[var].hidden_codes:
            groups = r.data[mask(r.data, h.get("query", ""))]["council"].dropna().unique()
            shown = shown[~(shown["category"].isin(h["codes"]) & shown["group"].isin(groups))]
        shown["label"] = [labels[int(c)] for c in shown["category"]]
        if shown["group"].notna().any():
            shown["group_label"] = [_group_label(r, g) for g in shown["group"]]
            return charts.bars(shown, r.lang, ttl, color_by="group_label")
        return charts.bars(shown, r.lang, ttl)
    if kind in ("bars", "grouped_bars"):
        shown = t.copy()
        shown["label"] = [_label(r, v) for v in shown["item"]]
        if shown["group"].notna().any():
            shown["group_label"] = [_group_label(r, g) for g in shown["group"]]
            return charts.bars(shown, r.lang, ttl, color_by="group_label")
        return charts.bars(shown, r.lang, ttl)
    if kind == "infographic":
        text = s["text"][r.lang].format(value="").strip()
        return charts.share_infographic(float(t["percent"].iloc[0]), r.lang, text)
    raise ValueError(kind)


def _split_label(r: Report, item: str) -> str:
    variable, net = item.split(":")
    short = {"cult_majority": {"da": "Brede flertal", "en": "Broad majorities"},
             "inn_shared_responsibility": {"da": "Rådet deler ansvaret", "en": "Council shares responsibility"}}
    head = short.get(variable, {}).get(r.lang, _label(r, variable))
    return f"{head}: {WORDS[r.lang][net]}"


def download_table(fig_id: str, lang: str, r: Report) -> pd.DataFrame:
    """What a reader downloads: the plotted numbers with labels, bases and 95 % Wilson CIs."""
    # Asked twice per figure (the chart's CSV link and the appendix table): built once, and
    # each caller gets its own copy.
    return _download_table(fig_id, lang, r.lang, r.root).copy()


@lru_cache(maxsize=128)
def _download_table(fig_id: str, lang: str, labels_lang: str, root: str) -> pd.DataFrame:
    r = Report(labels_lang, root)
    s = spec(fig_id)
    t = table(fig_id, r).copy()
    if s["chart"] == "likert":
        var0 = s["variables"][0]
        labels = _code_labels(r, var0)
        t = t[t["kind"] != "net"]
        t["answer"] = [labels.get(int(c), c) if pd.notna(c) else labels["non_substantive"]
                       for c in t["code"]]
        t["item"] = [_split_label(r, i) if ":" in str(i) else _label(r, i) for i in t["item"]]
    elif s["chart"] == "single":
        labels = _code_labels(r, s["variables"][0])
        t["answer"] = [labels[int(c)] for c in t["category"]]
        t["item"] = [_label(r, i) for i in t["item"]]
    elif s["chart"] in ("bars", "grouped_bars"):
        t["answer"] = [_label(r, i) for i in t["item"]]
        t["item"] = r.codebook.batteries.get(s["question_group"], {}).get(lang, s["question_group"]) \
            if s["question_group"] in r.codebook.batteries else title(fig_id, r)
    else:
        t["answer"] = title(fig_id, r)
    if "group" in t and t["group"].notna().any():
        t["group"] = [_group_label(r, g) for g in t["group"]]
    cols = ["item", "group", "answer", "count", "base", "percent", "ci_low", "ci_high", "small_base", "small_cell"]
    out = t[[c for c in cols if c in t]].copy()
    if out["group"].isna().all():
        out = out.drop(columns=["group"])
    for c in ("percent", "ci_low", "ci_high"):
        out[c] = out[c].map(lambda x: half_up(x, 1))
    return out.reset_index(drop=True).rename(columns=COLUMN_NAMES[lang])


COLUMN_NAMES = {
    "da": {"item": "Spørgsmål", "group": "Gruppe", "answer": "Svar", "count": "Antal", "base": "Grundlag",
           "percent": "Procent", "ci_low": "KI nedre", "ci_high": "KI øvre", "small_base": "Lille grundlag",
           "small_cell": "Lille celle"},
    "en": {"item": "Question", "group": "Group", "answer": "Answer", "count": "Count", "base": "Base",
           "percent": "Per cent", "ci_low": "CI low", "ci_high": "CI high", "small_base": "Small base",
           "small_cell": "Small cell"},
}


def display(fig_id: str, lang: str, r: Report):
    """The figure as placed in a chapter: the caption (Quarto's fig-cap) carries the title, so
    the chart shows no title of its own; the note (base, what is not drawn) follows the chart
    as text, in the website and in the PDF alike: readable at any screen size, found by a
    search, read out by a screen reader (and not measured glyph by glyph by vl-convert)."""
    import altair as alt

    from analysis.display import Figure

    text = note(fig_id, r)
    alt_text = f"{title(fig_id, r)}. {text}"
    c = charts.set_properties(chart(fig_id, r), title=alt.Undefined)  # the caption is the title
    return Figure.from_chart(c, alt_text, lang=lang, table=download_table(fig_id, lang, r),
                             fig_id=fig_id, note=text)

