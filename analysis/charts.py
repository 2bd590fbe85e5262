"""Altair charts for the report, built ONLY from aggregated tables (see analysis.tables).

Altair embeds whatever DataFrame it is given, so every builder receives a table of shares,
never respondent rows, and refuses a table with a `resp_id` column.

Numbers printed on charts (value and net labels) are formatted in Python with `analysis.fmt`
(half-up rounding, Babel); only axis ticks are formatted by Vega, with the d3 locale from
`format_locale(lang)` (Danish decimal comma and "50 %" with a no-break space). The HTML
embedding must pass the same locale dict to vega-embed (`formatLocale`).

One theme ("arena", registered and enabled on import) sets the font, sizes and colours for
every chart: readable at 700 px wide on screen and when scaled to A4 text width.
"""
from __future__ import annotations

import re
from numbers import Real
from typing import Mapping

import altair as alt
import pandas as pd
from altair.utils.schemapi import debug_mode

from analysis import fmt

# ---------------------------------------------------------------- theme

FONT = "DejaVu Sans, Verdana, Arial, sans-serif"  # DejaVu is what vl-convert measures with here
# Labels are wrapped here (_wrap) before Vega sees them, so Vega must never cut one short. A limit
# of 0 means none, and it spares Vega the text measurements that a limit costs: a quarter of the
# time vl-convert takes to draw our charts, for byte-identical SVG.
NO_LIMIT = 0
WIDTH = 700  # total width a chart is designed for (the HTML column; ~A4 text width in the PDF)
TEXT_COLOR = "#222222"
MUTED = "#595959"  # 7:1 contrast on white
NON_SUBSTANTIVE_COLOR = "#bdbdbd"

# ColorBrewer RdBu (colour-blind safe): reds = disagree/hindered, blues = agree/promoted.
DIVERGING = {
    2: ["#ca0020", "#0571b0"],
    4: ["#ca0020", "#f4a582", "#92c5de", "#0571b0"],
    5: ["#ca0020", "#f4a582", "#e0e0e0", "#92c5de", "#0571b0"],
    6: ["#b2182b", "#ef8a62", "#fddbc7", "#d1e5f0", "#67a9cf", "#2166ac"],
    7: ["#b2182b", "#ef8a62", "#fddbc7", "#e0e0e0", "#d1e5f0", "#67a9cf", "#2166ac"],
}
# Okabe-Ito (colour-blind safe) for groups such as municipal/regional.
CATEGORICAL = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00"]
SINGLE = "#0072B2"
NET_PAD = 1.5  # percentage points between a bar's end and its net label

class _Texts(dict):
    """The charts' own words, from the catalogue (analysis/words.yaml, keys `chart.*`)."""

    def __missing__(self, lang: str) -> dict:
        from analysis import words

        self[lang] = words.section(lang, "chart")
        return self[lang]


TEXTS = _Texts()   # TEXTS[lang]["tip_item"]: tooltip titles, never our field names

# On the website a chart has two layouts: the designed one (at least WIDE_MIN px of container,
# like the static SVG) and one for narrow screens, with shorter label lines and the container's
# width, so text keeps its size (12 px) instead of the whole drawing being shrunk.
WIDE_MIN = {"likert": WIDTH + 20, "bars": 560}
NARROW_WRAP = {"likert": 40, "bars": 18}


def _tip(field: str, title: str) -> alt.Tooltip:
    return alt.Tooltip(field, title=title)


@alt.theme.register("arena", enable=True)
def arena_theme() -> alt.theme.ThemeConfig:
    return {
        "background": "white",
        "padding": 10,
        "config": {
            "font": FONT,
            "view": {"stroke": None, "continuousWidth": 400, "continuousHeight": 300},
            "title": {"fontSize": 16, "fontWeight": "bold", "anchor": "start", "color": TEXT_COLOR,
                      "subtitleFontSize": 12, "subtitleColor": MUTED, "subtitlePadding": 6, "offset": 14},
            "axis": {"labelFontSize": 12, "titleFontSize": 12, "labelColor": TEXT_COLOR, "titleColor": TEXT_COLOR,
                     "titleFontWeight": "normal", "gridColor": "#e6e6e6", "domainColor": "#8c8c8c",
                     "tickColor": "#8c8c8c", "labelLimit": NO_LIMIT, "aria": False},
            "legend": {"labelFontSize": 12, "titleFontSize": 12, "labelColor": TEXT_COLOR, "symbolType": "square",
                       "orient": "bottom", "direction": "horizontal", "labelLimit": NO_LIMIT, "aria": False},
            "text": {"fontSize": 12, "color": TEXT_COLOR},
            # Marks, axes and legends stay out of the accessibility tree (otherwise a screen
            # reader meets a dump of every label and value); the chart is one image whose name
            # and description are the figure's alternative text (analysis.display).
            "mark": {"aria": False},
            "bar": {"continuousBandSize": 20},
            "concat": {"spacing": 12},
        },
    }


def format_locale(lang: str) -> dict:
    """d3-format locale for Vega (axis ticks): vl-convert's table plus the Danish '50 %'."""
    import vl_convert as vlc

    locale = dict(vlc.get_format_locale({"da": "da-DK", "en": "en-GB"}[lang]))
    locale["percent"] = "\u00a0%" if lang == "da" else "%"  # d3's default has no space
    return locale


# ---------------------------------------------------------------- helpers

def set_properties(chart: alt.TopLevelMixin, **props) -> alt.TopLevelMixin:
    """`chart.properties(**props)`, in place: the same spec, without the copy.

    Altair's `.properties()` copies the chart, and copying a layered or concatenated chart
    re-runs its constructor, which deep-copies every layer (~40 ms a figure, with a schema check
    per property). Only for a chart the caller has just built and holds alone. The builders
    below pass top-level properties to `_layer`/`_hconcat` for the same reason.
    """
    for key, value in props.items():
        setattr(chart, key, value)
    return chart


class _AsBuilt:
    """For the layer and concat charts below: `to_dict` without a schema check of every named
    dataset Altair makes of inline data (~88 a language; the chart's own check, `validate=`, is
    unaffected)."""

    def to_dict(self, *args, **kwargs):
        with debug_mode(False):
            return super().to_dict(*args, **kwargs)


class _LayerChart(_AsBuilt, alt.LayerChart):
    """`alt.LayerChart` that takes its layers as they are: the same spec, without the copies.

    Altair's LayerChart constructor deep-copies every layer twice (to merge selection params,
    which these charts have none of) and lifts data that all layers share to the top; and it runs
    again for every copy of the chart, the one `to_dict` makes included. Only for unit layers
    without params, width, height or view; layers that share data leave it out and it is given
    to the layer chart (`data=`).
    """

    def __init__(self, data=alt.Undefined, layer=(), **kwargs):
        super().__init__(data=data, **kwargs)
        self.layer = list(layer)


class _HConcatChart(_AsBuilt, alt.HConcatChart):
    """`alt.HConcatChart` that takes its charts as they are (see _LayerChart): Altair's
    deep-copies every chart, layers and all, when built and again in `to_dict`."""

    def __init__(self, data=alt.Undefined, hconcat=(), **kwargs):
        super().__init__(data=data, **kwargs)
        self.hconcat = list(hconcat)


def _layer(*layers: alt.Chart, **props) -> alt.LayerChart:
    """`alt.layer(*layers, **props)` without its copies (see _LayerChart)."""
    return _LayerChart(layer=layers, **props)


def _hconcat(*charts: alt.TopLevelMixin, **props) -> alt.HConcatChart:
    """`alt.hconcat(*charts, **props)` without its copies (see _HConcatChart)."""
    return _HConcatChart(hconcat=charts, **props)


def _values(rows: list[dict]) -> dict:
    """Inline data for Altair as rows of plain Python ints, floats and strings: what Altair makes
    of a DataFrame (a sanitised copy, then records), ready-made, since making it cost more than
    the rest of `to_dict`. Equal values give equal dataset names (hashes of the values), so a
    column holds what a DataFrame column would: all ints or all floats (0 is not 0.0), no NaN."""
    return {"values": rows}


def _mark(chart: alt.Chart, mark_type: str, **props) -> alt.Chart:
    """`chart.mark_<mark_type>(**props)` with the mark as a plain dict: the same spec (type first,
    then the properties in Altair's alphabetical order), but a mark that Altair copies with every
    layer and concatenation no longer carries ~90 unset properties."""
    return set_properties(chart.copy(deep=False), mark={"type": mark_type, **dict(sorted(props.items()))})


def _check_aggregated(table: pd.DataFrame) -> None:
    if "resp_id" in table.columns:
        raise ValueError("charts take aggregated tables, not respondent rows (found a resp_id column)")


def _wrap(text: str | None, width: int) -> list[str]:
    """Greedy word wrap that may also break after '/' (Danish: 'kommunalbestyrelsen/regionsrådet').

    Only ordinary spaces break: a NO-BREAK SPACE ('§\u00a017') keeps its words together.
    """
    lines: list[str] = []
    current = ""
    for piece in re.findall(r"[ \t\n]*[^ \t\n/]+/?|[ \t\n]*/", text or ""):
        if current.strip() and len(current + piece.rstrip()) > width:
            lines.append(current.strip())
            current = piece.lstrip()
        else:
            current += piece
    if current.strip():
        lines.append(current.strip())
    return lines


def _line_count(labels) -> int:
    return max([str(label).count("\n") + 1 for label in labels] or [1])


def _row_step(labels, minimum: int) -> int:
    """Band height for one row: enough for its wrapped label lines (15 px per 12 px line)."""
    return max(minimum, 15 * _line_count(labels) + 12)


def _legend_columns(labels: list[str], available: float) -> int:
    """All legend entries on one line if they fit (~7.2 px per character at 12 px), else two
    columns if two of the widest fit side by side (Vega gives every column the widest entry's
    width), else one entry per line."""
    entry = [7.2 * len(label) + 30 for label in labels]
    if sum(entry) <= available:
        return len(labels)
    return min(2, len(labels)) if 2 * max(entry) <= available else 1


def _title(title: str, note: str | None = None, width: int = 64) -> dict:
    """The title as a plain dict: the spec of `alt.TitleParams(text=..., subtitle=...)`, without
    the schema check Altair runs on every TitleParams it is given."""
    lines = _wrap(title, width)
    subtitle = _wrap(note, int(width * 1.3))
    return {"text": lines, "subtitle": subtitle} if subtitle else {"text": lines}


def _split_label_expr() -> str:
    # Labels are pre-wrapped with "\n"; Vega renders an array as one line per element.
    return "split(datum.label, '\\n')"


def _wrapped(label: str, width: int = 34) -> str:
    return "\n".join(_wrap(label, width)) or label


def _lang(lang: str) -> str:
    fmt.locale(lang)  # a clear error for an unknown language
    return lang


# ---------------------------------------------------------------- Likert: diverging bars

def _category_label(labels: Mapping, code: int) -> str:
    return str(labels.get(code, labels.get(str(code), code)))


def _rows(table: pd.DataFrame, kind: str) -> list[tuple]:
    """(variable, code, percent) of the table's rows of one kind, as plain Python values."""
    columns = (table[c].tolist() for c in ("kind", "variable", "code", "percent"))
    return [row[1:] for row in zip(*columns) if row[0] == kind]


# Values the source does not print (the reconstruction assumed them) are drawn light with a
# dashed outline and carry no value label: not told apart by colour alone.
ASSUMED_OPACITY = 0.3


def _assumed_style() -> dict:
    # Channel objects, not plain dicts: Altair resolves a dict's class by validating it against
    # the schema's alternatives, ~1.5 s of a kernel's CPU over the book's charts.
    cond = "datum.assumed"
    return {"fillOpacity": alt.FillOpacityValue(condition={"test": cond, "value": ASSUMED_OPACITY}, value=1),
            "strokeDash": alt.StrokeDashValue(condition={"test": cond, "value": [3, 2]}, value=[1, 0]),
            "stroke": alt.StrokeValue(condition={"test": cond, "value": "#3b4650"}, value=None),
            "strokeWidth": alt.StrokeWidthValue(condition={"test": cond, "value": 1}, value=0)}


def _assumed_cells(table: pd.DataFrame, net_codes: Mapping | None) -> tuple[set, dict]:
    """({(variable, code)} of assumed segments, {(variable, frozenset(codes)): assumed} of nets)."""
    if "assumed" not in table:
        return set(), {}
    rows = list(zip(table["kind"].tolist(), table["variable"].tolist(), table["code"].tolist(),
                    table["category"].tolist(), table["assumed"].tolist()))
    segments = {(v, int(c)) for k, v, c, _, a in rows if k == "substantive" and a}
    nets = {(v, frozenset(net_codes[cat])): bool(a) for k, v, _, cat, a in rows
            if k == "net" and net_codes and cat in net_codes}
    return segments, nets


def likert_assumed_count(rows: list[dict], net_codes: Mapping | None) -> int:
    """How many values a Likert chart from these rows draws as assumed: segments and net labels."""
    seg, nets, _ = _diverging_segments(pd.DataFrame(rows), {}, {}, "en", net_codes=net_codes)
    return sum(r["assumed"] for r in seg) + sum(n["assumed"] for n in nets)


def _diverging_segments(table: pd.DataFrame, item_labels: Mapping[str, str],
                        category_labels: Mapping, lang: str, wrap: int = 34,
                        net_codes: Mapping | None = None) -> tuple[list[dict], list[dict], list[int]]:
    """Segment start/end per item and code: negative codes left of 0, positive right.

    With an odd number of substantive codes the middle (neutral) one straddles 0.
    Returns (segment rows, net label rows, substantive codes in scale order).
    """
    rows = _rows(table, "substantive")
    substantive = list(dict.fromkeys(int(code) for _, code, _ in rows))  # scale order
    shares: dict = {}  # variable -> {code: percent}, in table order
    for variable, code, percent in rows:
        shares.setdefault(variable, {})[int(code)] = percent
    half = len(substantive) // 2
    left = substantive[:half][::-1]  # from zero outwards: partly, then strongly disagree
    right = substantive[len(substantive) - half:]
    middle = substantive[half] if len(substantive) % 2 else None
    assumed_segments, assumed_nets = _assumed_cells(table, net_codes)
    segments, nets = [], []
    variable_of = {}
    for variable, share in shares.items():
        item = _wrapped(item_labels.get(variable, variable), wrap)
        variable_of[item] = variable
        mid = share.get(middle, 0.0) if middle is not None else 0.0
        if middle is not None:
            segments.append((item, middle, -mid / 2, mid / 2, share[middle]))
        edge = -mid / 2
        for code in left:
            segments.append((item, code, edge - share[code], edge, share[code]))
            edge -= share[code]
        edge = mid / 2
        for code in right:
            segments.append((item, code, edge, edge + share[code], share[code]))
            edge += share[code]
        # Net labels: summed unrounded, rounded once (half up) when formatted. A net the source
        # does not print (or, without one, a side made of assumed segments) gets no label.
        neg, pos = sum(share[c] for c in left), sum(share[c] for c in right)
        for side, codes, x, value in (("left", left, -mid / 2 - neg - NET_PAD, neg),
                                      ("right", right, mid / 2 + pos + NET_PAD, pos)):
            key = (variable, frozenset(codes))
            assumed = assumed_nets[key] if key in assumed_nets else (
                bool(assumed_segments) and all((variable, c) in assumed_segments for c in codes))
            nets.append({"item": item, "x": x, "label": "" if assumed else fmt.percent(value, lang),
                         "side": side, "assumed": assumed})
    seg = [{"item": item, "code": code, "x_start": start, "x_end": end, "percent": percent,
            "category": _category_label(category_labels, code), "value": fmt.percent(percent, lang),
            "assumed": (variable_of[item], code) in assumed_segments}
           for item, code, start, end, percent in segments]
    return seg, nets, substantive


def likert_diverging(
    table: pd.DataFrame,
    lang: str,
    title: str,
    item_labels: Mapping[str, str],
    category_labels: Mapping,
    note: str | None = None,
    show_non_substantive: bool = True,
    net_codes: Mapping | None = None,
) -> alt.HConcatChart | alt.LayerChart:
    """Robbins-Heiberger diverging stacked bars from `tables.likert_table`, one row per item.

    Disagree/hindered codes to the left of 0, agree/promoted to the right (bars are shares of
    everyone asked); net labels ("45 %" | "52 %") at the ends; the non-substantive share
    (not relevant / don't know) as a separate small grey bar on the right.
    `category_labels` maps codes (int or str) to labels.
    """
    _check_aggregated(table)
    lang = _lang(lang)
    seg, nets, substantive = _diverging_segments(table, item_labels, category_labels, lang, net_codes=net_codes)
    items = list(dict.fromkeys(row["item"] for row in seg))
    order = [_category_label(category_labels, c) for c in substantive]
    palette = DIVERGING.get(len(substantive)) or alt.Undefined
    reach = max(max(abs(row["x"]) for row in nets) + 12, 50)  # room for the net labels beyond the longest bar
    reach = -(-reach // 10) * 10
    height = _row_step(items, 36) * len(items)
    main_width = WIDTH - 270 - (110 if show_non_substantive else 0)
    y = alt.Y("item:N", sort=items, title=None,
              axis={"domain": False, "labelExpr": _split_label_expr(), "labelLimit": NO_LIMIT, "labelPadding": 8,
                    "ticks": False})
    base = alt.Chart(_values(seg)).encode(y=y)
    bars = _mark(base, "bar", height={"band": 0.62}).encode(
        **_assumed_style(),
        x=alt.X("x_start:Q", title=None, scale={"domain": [-reach, reach], "nice": False},
                axis={"domain": False, "grid": True, "labelExpr": "format(abs(datum.value) / 100, '.0%')",
                      "values": _ticks(reach)}),
        x2=alt.X2("x_end:Q"),
        color=alt.Color("category:N", sort=order, scale={"domain": order, "range": palette},
                        legend={"columns": _legend_columns(order, main_width), "direction": "horizontal",
                                "labelLimit": NO_LIMIT, "orient": "bottom", "symbolLimit": 0, "title": None}),
        order=alt.Order("code:Q"),
        tooltip=_likert_tooltip(lang),
    )
    zero = _mark(alt.Chart(_values([{"x": 0}])), "rule", color="#333333", strokeWidth=1).encode(x=alt.X("x:Q"))
    net_text = [
        _mark(alt.Chart(_values([row for row in nets if row["side"] == side])), "text",
              fontWeight="bold", align=align).encode(
            y=alt.Y("item:N", sort=items), x=alt.X("x:Q"), text=alt.Text("label:N"))
        for side, align in (("left", "right"), ("right", "left"))
    ]
    narrow = _likert_narrow(table, lang, item_labels, category_labels, show_non_substantive, net_codes)
    if not show_non_substantive:
        return _with_narrow(_layer(bars, zero, *net_text, width=main_width, height=height,
                                   title=_title(title, note)), narrow, "likert")
    main = _layer(bars, zero, *net_text, width=main_width, height=height)
    side = _non_substantive_panel(table, items, item_labels, lang, height, category_labels)
    # The spec of `.resolve_scale(y="shared", color="independent").properties(title=...)`, without
    # the two copies (see set_properties).
    return _with_narrow(_hconcat(main, side, spacing=6, title=_title(title, note),
                                 resolve={"scale": {"color": "independent", "y": "shared"}}), narrow, "likert")


def _likert_tooltip(lang: str) -> list:
    t = TEXTS[lang]
    return [_tip("item:N", t["tip_item"]), _tip("category:N", t["tip_answer"]), _tip("value:N", t["tip_share"])]


def _with_narrow(chart: alt.TopLevelMixin, narrow: alt.TopLevelMixin | None, kind: str) -> alt.TopLevelMixin:
    """Attach the narrow-screen layout to a chart (read by `web_specs`). Kept off Altair's
    properties (`chart.x = …` would become part of the spec)."""
    object.__setattr__(chart, "_arena_narrow", (narrow, kind))
    return chart


def web_specs(chart: alt.TopLevelMixin, spec: dict) -> dict:
    """The chart's layouts for the website, from its static spec (`spec`, as drawn in the SVG).

    {"wide": spec, "narrow": spec or None, "wide_min": px}: the wide layout fills its container
    where the design allows (`width: "container"` on a single view), the narrow one always does;
    the page draws the narrow layout when the container is narrower than `wide_min`.
    """
    narrow, kind = chart.__dict__.get("_arena_narrow", (None, None))
    wide = dict(spec)
    if narrow is None:
        return {"wide": wide, "narrow": None, "wide_min": 0}
    if "layer" in wide and isinstance(wide.get("width"), (int, float)):
        wide.update(width="container", autosize={"type": "fit-x", "contains": "padding"})
    small = narrow.to_dict(validate=False)
    small.pop("title", None)
    if "title" in spec:
        small["title"] = spec["title"]
    return {"wide": wide, "narrow": small, "wide_min": WIDE_MIN[kind]}


def _likert_narrow(table: pd.DataFrame, lang: str, item_labels: Mapping[str, str], category_labels: Mapping,
                   show_non_substantive: bool, net_codes: Mapping | None = None) -> alt.LayerChart:
    """The diverging bars for a narrow screen: each item's label on its own lines above its bar,
    the non-substantive share as a line of text under it, the legend on top; as wide as the
    container (at 390 px a side-by-side label column would leave the bars a hundred pixels)."""
    seg, nets, substantive = _diverging_segments(table, item_labels, category_labels, lang, NARROW_WRAP["likert"],
                                                 net_codes=net_codes)
    items = list(dict.fromkeys(row["item"] for row in seg))
    order = [_category_label(category_labels, c) for c in substantive]
    palette = DIVERGING.get(len(substantive)) or alt.Undefined
    reach = max(max(abs(row["x"]) for row in nets) + 20, 50)  # net labels need more room when narrow
    lines = _line_count(items)
    bar_h, label_h = 16, 15 * lines
    ns_h = 15 if show_non_substantive else 0
    step = 6 + label_h + 4 + bar_h + ns_h + 14
    # Offsets from the middle of an item's band (where marks on a band scale sit).
    bar_dy = 6 + label_h + 4 + bar_h / 2 - step / 2
    y = alt.Y("item:N", sort=items, title=None, axis=None, scale={"paddingInner": 0, "paddingOuter": 0})
    x = alt.X("x:Q", title=None, axis=None, scale={"domain": [-reach, reach], "nice": False})
    bars = _mark(alt.Chart(_values(seg)).encode(y=y), "bar", height=bar_h, yOffset=bar_dy).encode(
        **_assumed_style(),
        x=alt.X("x_start:Q", title=None, axis=None, scale={"domain": [-reach, reach], "nice": False}),
        x2=alt.X2("x_end:Q"),
        color=alt.Color("category:N", sort=order, scale={"domain": order, "range": palette},
                        legend={"columns": _legend_columns(order, 320), "direction": "horizontal",
                                "labelLimit": NO_LIMIT, "orient": "top", "symbolLimit": 0, "title": None}),
        order=alt.Order("code:Q"),
        tooltip=_likert_tooltip(lang),
    )
    heads = [{"item": item} for item in items]
    label = _mark(alt.Chart(_values(heads)).encode(y=y), "text", align="left", baseline="top",
                  lineBreak="\n", lineHeight=15, x=0, yOffset=6 - step / 2).encode(text=alt.Text("item:N"))
    zero = _mark(alt.Chart(_values([{"item": item, "x": 0} for item in items])).encode(y=y), "tick",
                 orient="vertical", color="#333333", thickness=1, size=bar_h + 6, yOffset=bar_dy).encode(x=x)
    net_text = [
        _mark(alt.Chart(_values([row for row in nets if row["side"] == side])).encode(y=y), "text",
              fontWeight="bold", align=align, baseline="middle", yOffset=bar_dy).encode(x=x, text=alt.Text("label:N"))
        for side, align in (("left", "right"), ("right", "left"))
    ]
    layers = [bars, zero, label, *net_text]
    if show_non_substantive:
        name = category_labels.get("non_substantive", TEXTS[lang]["non_substantive"])
        ns = [{"item": _wrapped(item_labels.get(v, v), NARROW_WRAP["likert"]), "line": f"{name}: {fmt.percent(p, lang)}"}
              for v, _, p in _rows(table, "non_substantive")]
        layers.append(_mark(alt.Chart(_values(ns)).encode(y=y), "text", align="left", baseline="top", fontSize=11,
                            color=MUTED, x=0, yOffset=bar_dy + bar_h / 2 + 3).encode(text=alt.Text("line:N")))
    return _layer(*layers, width="container", height=step * len(items),
                  autosize={"type": "fit-x", "contains": "padding"})


def _ticks(reach: float) -> list[int]:
    step = 25 if reach <= 60 else 50  # "100 %" labels 25 points apart collide at 400 px
    return [v for v in range(-100, 101, step) if abs(v) <= reach]


def _non_substantive_panel(table, items, item_labels, lang, height, category_labels) -> alt.LayerChart:
    data = [{"item": _wrapped(item_labels.get(v, v)), "percent": p, "value": fmt.percent(p, lang)}
            for v, _, p in _rows(table, "non_substantive")]
    percents = [row["percent"] for row in data]
    label = category_labels.get("non_substantive", TEXTS[lang]["non_substantive"])
    top = max(25.0, max(percents, default=0.0) * 1.9)  # room for the label right of the bar
    base = alt.Chart().encode(y=alt.Y("item:N", sort=items, title=None, axis=None))
    bar = _mark(base, "bar", color=NON_SUBSTANTIVE_COLOR, height={"band": 0.62}).encode(
        x=alt.X("percent:Q", title=_wrap(label, 15), scale={"domain": [0, top], "nice": False},
                axis={"domain": False, "grid": False, "labels": False, "orient": "top", "ticks": False,
                      "titleColor": MUTED, "titleFontSize": 11}),
        tooltip=[_tip("item:N", TEXTS[lang]["tip_item"]), _tip("value:N", label)],
    )
    text = _mark(base, "text", align="left", dx=3, color=MUTED).encode(x=alt.X("percent:Q"), text=alt.Text("value:N"))
    return _layer(bar, text, data=_values(data), width=100, height=height)


# ---------------------------------------------------------------- bars (multiple response)

def bars(
    table: pd.DataFrame,
    lang: str,
    title: str,
    value_col: str = "percent",
    label_col: str = "label",
    color_by: str | None = None,
    note: str | None = None,
    color_labels: Mapping | None = None,
    digits: int = 0,
) -> alt.LayerChart:
    """Horizontal bars sorted by value (descending), value labels per locale.

    `value_col` holds per cent (0-100). With `color_by` (e.g. a municipal/regional column)
    the groups are side-by-side bars with a legend; `color_labels` maps group values to
    legend labels. Rows are sorted by their largest value across groups. `digits`: decimals
    of the value labels (the report prints whole per cent).
    """
    _check_aggregated(table)
    lang = _lang(lang)
    wide = _bars(table, lang, value_col, label_col, color_by, color_labels, digits, 36, WIDTH - 300,
                 _title(title, note))
    narrow = _bars(table, lang, value_col, label_col, color_by, color_labels, digits, NARROW_WRAP["bars"],
                   "container", alt.Undefined)
    return _with_narrow(wide, narrow, "bars")


def _bars(table, lang, value_col, label_col, color_by, color_labels, digits, wrap, width, title) -> alt.LayerChart:
    assumed = table["assumed"].tolist() if "assumed" in table else [False] * len(table)
    data = [{"label": _wrapped(str(label), wrap), "value": value, "assumed": bool(a),
             "text": "" if a else fmt.percent(value, lang, digits)}    # an assumed bar has no value label
            for label, value, a in zip(table[label_col].tolist(), table[value_col].tolist(), assumed)]
    largest: dict = {}  # label -> its largest value, labels in table order
    for row in data:
        largest[row["label"]] = max(largest.get(row["label"], row["value"]), row["value"])
    order = sorted(largest, key=largest.get, reverse=True)  # stable: ties keep table order
    top = float(max(largest.values()))
    y = alt.Y("label:N", sort=order, title=None,
              axis={"domain": False, "labelExpr": _split_label_expr(), "labelLimit": NO_LIMIT, "labelPadding": 6,
                    "ticks": False})
    x = alt.X("value:Q", title=None, scale={"domain": [0, top * 1.15 + 1], "nice": False}, axis=None)
    encoding = {"y": y, "x": x}
    t = TEXTS[lang]
    tooltip = [_tip("label:N", t["tip_answer"]), _tip("text:N", t["tip_share"])]
    if color_by:
        for row, g in zip(data, table[color_by].tolist()):
            row["group"] = str((color_labels or {}).get(g, g))
        groups = list(dict.fromkeys(row["group"] for row in data))
        encoding["yOffset"] = alt.YOffset("group:N", sort=groups)
        legend = {"direction": "horizontal", "orient": "top", "title": None}
        if width == "container":   # narrow: the entries on as many lines as a phone needs
            legend["columns"] = len(groups) if _legend_columns(groups, 300) == len(groups) else 1
        color = alt.Color("group:N", sort=groups, scale={"domain": groups, "range": CATEGORICAL[:len(groups)]},
                          legend=legend)
        step = max(16 * len(groups) + 10, _row_step(order, 0))
        tooltip.insert(1, _tip("group:N", t["tip_group"]))   # which group a bar belongs to
    else:
        color = alt.ColorValue(SINGLE)  # what alt.value(SINGLE) becomes, without a schema lookup
        step = _row_step(order, 30)
    base = alt.Chart().encode(**encoding)
    bar = _mark(base, "bar", height={"band": 0.85} if color_by else {"band": 0.7}).encode(
        color=color, tooltip=tooltip, **_assumed_style())
    text = _mark(base, "text", align="left", dx=4, fontSize=11 if color_by else 12).encode(text=alt.Text("text:N"))
    height = step * len(order)
    props = {"autosize": {"type": "fit-x", "contains": "padding"}} if width == "container" else {}
    return _layer(bar, text, data=_values(data), width=width, height=height, title=title, **props)


# ---------------------------------------------------------------- infographic

def share_infographic(value: Real | tuple[int, int] | str, lang: str, text: str) -> alt.LayerChart:
    """A big number with a line of text: 65 (per cent) -> '65 %', (3, 4) -> '3 ud af 4'.

    Numbers and (k, n) pairs also get a thin bar showing the share; a string is shown as given.
    """
    lang = _lang(lang)
    if isinstance(value, tuple):
        k, n = value
        big, share = fmt.count_of(k, n, lang), 100 * k / n
    elif isinstance(value, str):
        big, share = value, None
    else:
        big, share = fmt.percent(value, lang), float(value)
    lines = _wrap(text, 40)
    width, text_top = 320, 96
    layers = [
        _mark(
            alt.Chart(_values([{"t": big}])), "text",
            fontSize=48, fontWeight="bold", color=SINGLE, align="left", baseline="alphabetic", x=0, y=52,
        ).encode(text=alt.Text("t:N")),
        _mark(
            alt.Chart(_values([{"t": lines}])), "text",
            fontSize=14, align="left", baseline="top", x=0, y=text_top, lineHeight=19,
        ).encode(text=alt.Text("t:N")),
    ]
    if share is not None:
        bar = [{"start": 0.0, "end": 100.0, "part": "all"}, {"start": 0.0, "end": share, "part": "share"}]
        layers.insert(0, _mark(alt.Chart(_values(bar)), "bar", height=8, cornerRadius=2).encode(
            x=alt.X("start:Q", scale={"domain": [0, 100]}, axis=None), x2=alt.X2("end:Q"),
            color=alt.Color("part:N", scale={"domain": ["all", "share"], "range": ["#e6e6e6", SINGLE]},
                            legend=None),
            y=alt.YValue(70),
        ))
    height = text_top + 19 * max(1, len(lines))
    return _layer(*layers, width=width, height=height)


# ---------------------------------------------------------------- rendering

def vl_version() -> str:
    """The Vega-Lite version Altair writes ('v5.20.1' -> '5.20'), for vl-convert."""
    major, minor = alt.SCHEMA_VERSION.lstrip("v").split(".")[:2]
    return f"{major}.{minor}"


def to_svg(chart: alt.TopLevelMixin, lang: str) -> str:
    """Static SVG (for the PDF) with the language's number format."""
    import vl_convert as vlc

    return vlc.vegalite_to_svg(chart.to_dict(), vl_version=vl_version(), format_locale=format_locale(lang))


def to_png(chart: alt.TopLevelMixin, lang: str, scale: float = 2) -> bytes:
    """PNG (for previews and checks by eye)."""
    import vl_convert as vlc

    return vlc.vegalite_to_png(chart.to_dict(), vl_version=vl_version(), scale=scale,
                               format_locale=format_locale(lang))
