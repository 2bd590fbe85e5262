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

import re
from dataclasses import dataclass, field

import pandas as pd

from analysis import charts, fmt, tables, words
from analysis.claims import mask
from analysis.rounding import half_up
from analysis.survey import Survey

LANGS = ("da", "en")
COUNCIL_LABELS = {1.0: "municipal", 2.0: "regional"}
# The survey's reference period, as the questionnaire words it (source line 376).
PERIOD = {"da": "2018–2019", "en": "2018–2019"}


@dataclass
class Report:
    """What the figure code needs: the survey, the figure registry and a language.

    `tables` is shared by the views of one survey (the tidy tables do not depend on language)."""
    survey: Survey
    specs: dict
    lang: str
    numbers: dict = field(default_factory=dict)
    tables: dict = field(default_factory=dict)

    @property
    def codebook(self):
        return self.survey.codebook

    @property
    def data(self):
        return self.survey.data

    @property
    def published(self):
        return self.survey.published

    def view(self, lang: str) -> "Report":
        return Report(self.survey, self.specs, lang, self.numbers, self.tables)


def spec_of(r: Report, fig_id: str) -> dict:
    try:
        return r.specs[fig_id]
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
    labels["non_substantive"] = words.get(r.lang, "non_substantive")
    return labels


def _group_label(r: Report, group) -> str:
    return words.get(r.lang, COUNCIL_LABELS[float(group)])


def _options(r: Report, s: dict) -> list[str]:
    group = r.codebook.group(s["question_group"])
    keep = s.get("options") or [v.id for v in group]
    hidden = set(s.get("hide_options") or [])
    return [v for v in keep if v not in hidden]


# ---------------------------------------------------------------- tables

def table(fig_id: str, r: Report) -> pd.DataFrame:
    """The figure's tidy table: item, group, category, count, base, percent, CI, flags."""
    if fig_id not in r.tables:
        r.tables[fig_id] = _table(fig_id, r)
    return r.tables[fig_id]


def _table(fig_id: str, r: Report) -> pd.DataFrame:
    s = spec_of(r, fig_id)
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
        full = _all_options(fig_id, r)
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


def _all_options(fig_id: str, r: Report) -> pd.DataFrame:
    """Every option of a bars figure's question, hidden ones too: the figure's table and its
    note (the shares not drawn) both start from it, so it is computed once. Not to be modified."""
    key = ("options", fig_id)
    if key in r.tables:
        return r.tables[key]
    s = spec_of(r, fig_id)
    by = "council" if s.get("by") == "council" else None
    r.tables[key] = tables.multi_response(r.data, r.codebook, s["question_group"],
                                          _population_query(r, s) or None, by=by)
    return r.tables[key]


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
    s = spec_of(r, fig_id)
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
        full = _all_options(fig_id, r)
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
    return "; ".join(fmt.p_value(r.numbers[k]["p"], r.lang) for k in keys)


def note(fig_id: str, r: Report) -> str:
    return spec_of(r, fig_id)["note"][r.lang].format(**_placeholders(fig_id, r))


def title(fig_id: str, r: Report) -> str:
    return spec_of(r, fig_id)["title"][r.lang]


# ---------------------------------------------------------------- charts

SHOWN_AS_PRINTED = ("printed", "differs", "inconsistent")


def chart_input(fig_id: str, r: Report, suppress_below: int = 0, statuses: list[dict] | None = None) -> dict:
    """What the chart builder of the figure's kind is given: rows (aggregated only) and labels.

    Computed with the survey in hand (the build's figures step) and stored, so a chapter draws
    the chart from the stored rows without the respondent data. With `statuses` (the cells'
    statuses, reconstruction only) every row says whether its value is `assumed`: the source
    does not print it, the reconstruction chose it, and the chart draws it as such."""
    s = spec_of(r, fig_id)
    t = table(fig_id, r).copy()
    t["assumed"] = [st["status"] not in SHOWN_AS_PRINTED for st in statuses] if statuses else False
    kind = s["chart"]
    if kind == "likert":
        var0 = s["variables"][0]
        if "split" in t:
            labels = {item: _split_label(r, item) for item in t["item"].unique()}
        else:
            labels = {v: _label(r, v) for v in t["item"].unique()}
        rows = t.rename(columns={"item": "variable"})[["variable", "category", "code", "kind", "percent", "count",
                                                       "assumed"]].copy()
        if suppress_below:   # survey mode: a segment of too few respondents is not drawn
            rows.loc[(rows["count"] > 0) & (rows["count"] < suppress_below), "percent"] = 0.0
        rows = rows.drop(columns=["count"])
        scale = r.codebook.scale_of(var0)
        nets = {n: [int(c) for c in spec["codes"]] for n, spec in scale.nets.items()}
        return {"builder": "likert", "rows": _records(rows), "item_labels": labels, "net_codes": nets,
                "category_labels": {str(k): v for k, v in _code_labels(r, var0).items()}}
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
    elif kind in ("bars", "grouped_bars"):
        shown = t.copy()
        shown["label"] = [_label(r, v) for v in shown["item"]]
    elif kind == "infographic":
        return {"builder": "infographic", "percent": float(t["percent"].iloc[0]),
                "text": s["text"][r.lang].format(value="").strip()}
    else:
        raise ValueError(kind)
    if suppress_below:       # survey mode: a bar of too few respondents is not drawn
        shown = shown[~((shown["count"] > 0) & (shown["count"] < suppress_below))]
    grouped = bool(shown["group"].notna().any())
    if grouped:
        shown["group_label"] = [_group_label(r, g) for g in shown["group"]]
    cols = ["label", "percent", "assumed"] + (["group_label"] if grouped else [])
    return {"builder": "bars", "rows": _records(shown[cols]), "color_by": "group_label" if grouped else None}


def assumed_marks(inp: dict) -> int:
    """How many values the chart draws as assumed (bars and segments; a Likert net counts too)."""
    if inp["builder"] == "bars":
        return sum(bool(row["assumed"]) for row in inp["rows"])
    if inp["builder"] == "likert":
        from analysis import charts

        return charts.likert_assumed_count(inp["rows"], inp["net_codes"])
    return 0


def build_chart(inp: dict, lang: str):
    """The Altair chart from `chart_input`'s stored rows (no title: the caption carries it)."""
    if inp["builder"] == "likert":
        labels = {(int(k) if k.lstrip("-").isdigit() else k): v for k, v in inp["category_labels"].items()}
        return charts.likert_diverging(pd.DataFrame(inp["rows"]), lang, None, inp["item_labels"], labels,
                                       net_codes=inp.get("net_codes"))
    if inp["builder"] == "bars":
        return charts.bars(pd.DataFrame(inp["rows"]), lang, None, color_by=inp["color_by"])
    if inp["builder"] == "infographic":
        return charts.share_infographic(inp["percent"], lang, inp["text"])
    raise ValueError(inp["builder"])


def _records(frame: pd.DataFrame) -> list[dict]:
    """Rows as JSON-ready dicts: missing values become None, numpy scalars Python ones."""
    out = []
    for row in frame.astype(object).where(frame.notna(), None).to_dict("records"):
        out.append({k: (v.item() if hasattr(v, "item") else v) for k, v in row.items()})
    return out


def _split_label(r: Report, item: str) -> str:
    variable, net = item.split(":")
    head = words.section(r.lang, "split").get(variable) or _label(r, variable)
    return f"{head}: {words.get(r.lang, net)}"


def download_table(fig_id: str, r: Report, statuses: list[dict] | None = None,
                   suppress_below: int = 0) -> pd.DataFrame:
    """What a reader downloads: the plotted numbers with labels, bases, 95 % Wilson CIs and the
    status of each value (columns named in the view's language; statuses as their keys)."""
    lang = r.lang
    s = spec_of(r, fig_id)
    t = table(fig_id, r).copy()
    if statuses is not None:
        t["status"] = [c["status"] for c in statuses]
        t["rests_on"] = [c["rests_on"] for c in statuses]
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
        # an infographic's item names the questions it counts, never their variables
        t["item"] = [" / ".join(_label(r, v) for v in str(i).split("+")) for i in t["item"]]
    if "group" in t and t["group"].notna().any():
        t["group"] = [_group_label(r, g) for g in t["group"]]
    cols = ["item", "group", "answer", "count", "base", "percent", "ci_low", "ci_high", "small_base",
            "small_cell", "status", "rests_on"]
    out = t[[c for c in cols if c in t]].copy()
    if out["group"].isna().all():
        out = out.drop(columns=["group"])
    for c in ("percent", "ci_low", "ci_high"):
        out[c] = out[c].map(lambda x: half_up(x, 1))
    if suppress_below:
        # Survey mode: a cell of fewer respondents than the threshold shows neither its count
        # nor its share (the rule is stated on the about-the-data page).
        hide = (out["count"] > 0) & (out["count"] < suppress_below)
        out["count"] = out["count"].astype(object)
        out.loc[hide, "count"] = f"< {suppress_below}"
        out.loc[hide, ["percent", "ci_low", "ci_high"]] = None
    return out.reset_index(drop=True)


# ---------------------------------------------------------------- statuses of the cells

_SIMPLE = re.compile(r"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*(?:==\s*(\d+)|in\s*\[([\d,\s]+)\])\s*$")


def _simple(numerator: str) -> tuple[str, frozenset] | None:
    """`var == 3` or `var in [3, 4]` as (var, codes); None for anything else."""
    m = _SIMPLE.match(numerator or "")
    if not m:
        return None
    codes = [int(m.group(2))] if m.group(2) else [int(c) for c in m.group(3).split(",")]
    return m.group(1), frozenset(codes)


def cell_queries(fig_id: str, r: Report) -> list[tuple[str, str, frozenset] | None]:
    """For each row of the figure's table: (population query, variable, codes), or None where
    a row is not one share of one question (an infographic's combined value)."""
    s = spec_of(r, fig_id)
    t = table(fig_id, r)
    pop = _population_query(r, s)
    out = []
    for row in t.to_dict("records"):
        if s["chart"] == "infographic":
            out.append(None)
            continue
        where = [pop] if pop else []
        if row.get("group") is not None and row["group"] == row["group"]:
            where.append(f"council == {int(row['group'])}")
        item = str(row["item"])
        if "split" in row and isinstance(row.get("split"), str):
            var = s["variables"][0]
            b, net = item.split(":")
            subst = " and ".join(f"{x} in [1, 2, 3, 4]" for x in s["by"])
            codes_b = list(r.codebook.scale_of(b).nets[net]["codes"])
            where += [subst, f"{b} in {codes_b}"]
        else:
            var = item
        if s["chart"] in ("bars", "grouped_bars"):
            codes = frozenset([1])
        elif s["chart"] == "single":
            codes = frozenset([int(row["category"])])
        else:   # likert: a code, a net or the non-substantive share
            scale = r.codebook.scale_of(var)
            if row["kind"] == "net":
                codes = frozenset(int(c) for c in scale.nets[row["category"]]["codes"])
            elif row["kind"] == "non_substantive":
                codes = frozenset(c.code for c in scale.codes if c.kind != "substantive")
            else:
                codes = frozenset([int(row["code"])])
        out.append((" and ".join(f"({w})" for w in where), var, codes))
    return out


def cell_statuses(fig_id: str, r: Report, claim_index: dict, mode: str) -> list[dict]:
    """The status of every value in the figure's table, from the numbers that pin it.

    A cell is pinned by a number of the registry when both name the same people (the rows of
    the base) and the same answers. Unpinned cells are derived: with the reconstruction they
    rest on what it assumed, with a survey export on the data."""
    out = []
    t = table(fig_id, r)
    for q, percent in zip(cell_queries(fig_id, r), t["percent"].tolist()):
        found = []
        if q is None:   # an infographic's combined value: the number printed for this figure
            found = [n for n in r.numbers.values() if n["figure"] == fig_id and n["unit"] == "pct"
                     and n["value"] is not None and abs(n["value"] - percent) < 1e-9]
        else:
            pop, var, codes = q
            found = claim_index.get((r.survey.mask(pop).tobytes(), var, codes), [])
        if found:
            best = min(found, key=lambda n: _PREFERENCE.index(n["status"]))
            out.append({"status": best["status"], "rests_on": best["rests_on"],
                        "claims": [n["key"] for n in found]})
        else:
            out.append({"status": "derived", "rests_on": "assumed" if mode == "reconstruction" else "data",
                        "claims": []})
    return out


_PREFERENCE = ("printed", "differs", "assumed", "derived", "inconsistent")


def claim_index(survey: Survey, numbers: dict) -> dict:
    """(rows of the base, variable, codes) -> the numbers of that share (simple shares only)."""
    index: dict = {}
    for n in numbers.values():
        if n["unit"] not in ("pct", "range", "pct1"):
            continue
        simple = _simple(n["numerator"])
        if simple is None:
            continue
        key = (survey.mask(n["population"]).tobytes(), *simple)
        index.setdefault(key, []).append(n)
    return index


# ---------------------------------------------------------------- the stored figure

def record(fig_id: str, r: Report, index: dict, mode: str, suppress_below: int = 0) -> dict:
    """Everything a chapter needs to show the figure, in both languages, without the data.

    With `suppress_below` (survey mode) a cell of fewer respondents is neither drawn nor given a
    count or share in the downloads; the note says so. The stored `table` keeps the counts: it is
    an artifact of the build, never published."""
    suppress = suppress_below
    s = spec_of(r, fig_id)
    t = table(fig_id, r)
    statuses = cell_statuses(fig_id, r, index, mode)
    cols = [c for c in ("item", "group", "category", "code", "kind", "split", "count", "base", "percent",
                        "ci_low", "ci_high", "small_base", "small_cell") if c in t]
    rows = _records(t[cols])
    for row, st in zip(rows, statuses):
        row.update(st)
    rec = {"id": fig_id, "number": s.get("number"), "source_line": s.get("source_line"), "chart": s["chart"],
           "population": (r.codebook.populations.get(s.get("population") or "all")), "table": rows, "langs": {}}
    rec["population"] = {lang: getattr(rec["population"], lang) for lang in LANGS} if rec["population"] else {}
    for lang in LANGS:
        v = r.view(lang)
        text = note(fig_id, v)
        drawn = chart_input(fig_id, v, suppress, statuses if mode == "reconstruction" else None)
        assumed = assumed_marks(drawn)
        if assumed:   # the chart draws them light and outlined, without a value: say why
            text += " " + words.get(lang, "assumed_note", n=fmt.number(assumed, lang))
        if suppress and ((t["count"] > 0) & (t["count"] < suppress)).any():
            text += " " + words.get(lang, "suppressed_note", n=fmt.number(suppress, lang))
        dl = download_table(fig_id, v, statuses, suppress_below)
        rec["langs"][lang] = {
            "title": title(fig_id, v), "note": text, "alt": f"{title(fig_id, v)}. {text}",
            "question": (s.get("question") or {}).get(lang, ""), "n": base_n(fig_id, v),
            "chart": drawn, "assumed_marks": assumed, "download": _records(dl),
        }
    return rec
