"""Charts: only aggregated data inside, locale-correct labels, disagree to the left of zero."""
import re

import altair as alt
import pandas as pd
import pytest

from analysis import charts, tables
from analysis import codebook as cbm

NBSP = "\u00a0"
Q = {"da": "spørgsmål", "en": "question"}
LABELS = {
    "da": {1: "Helt uenig", 2: "Delvist uenig", 3: "Delvist enig", 4: "Helt enig"},
    "en": {1: "Strongly disagree", 2: "Partly disagree", 3: "Partly agree", 4: "Strongly agree"},
}
ITEMS = {
    "da": {"renew": "Kommunalbestyrelsen/regionsrådet arbejder på at forny måden, vi arbejder på som politikere",
           "climate": "Godt samarbejdsklima på tværs af partiskel"},
    "en": {"renew": "The council is working to renew the way we work as politicians",
           "climate": "A good climate of cooperation across party lines"},
}
AGGREGATED = {"item", "code", "x_start", "x_end", "percent", "category", "value", "x", "label", "side",
              "text", "group", "t", "start", "end", "part", "assumed"}


@pytest.fixture(scope="module")
def codebook():
    codes = [{"code": c, "da": LABELS["da"][c], "en": LABELS["en"][c]} for c in (1, 2, 3, 4)]
    codes += [{"code": 7, "da": "Ikke relevant", "en": "Not relevant", "kind": "not_relevant"},
              {"code": 8, "da": "Ved ikke", "en": "Don't know", "kind": "dont_know"}]
    return cbm.parse({
        "scales": {"agree4": {"codes": codes, "nets": {"disagree": {"codes": [1, 2]}, "agree": {"codes": [3, 4]}}}},
        "populations": {"all": {"query": ""}},
        "variables": [{"id": v, "scale": "agree4", "population": "all", "question": Q} for v in ("renew", "climate")],
    })


@pytest.fixture(scope="module")
def likert(codebook):
    # renew: 45 % disagree (15 + 30), 52 % agree (37 + 15), 3 % don't know; climate: 16 / 84 / 0.
    df = pd.DataFrame({
        "resp_id": range(100),
        "renew": [1] * 15 + [2] * 30 + [3] * 37 + [4] * 15 + [8] * 3,
        "climate": [1] * 6 + [2] * 10 + [3] * 44 + [4] * 40,
    })
    return tables.likert_table(df, codebook, ["renew", "climate"])


def chart_rows(chart: alt.TopLevelMixin) -> list[dict]:
    spec = chart.to_dict()
    return [r for rows in spec.get("datasets", {}).values() for r in rows]


def svg_texts(svg: str) -> list[str]:
    return re.findall(r"<text[^>]*>([^<]*)</text>", svg)


def diverging(likert, lang):
    return charts.likert_diverging(likert, lang, "Titel" if lang == "da" else "Title",
                                   ITEMS[lang], LABELS[lang], note="n=100.")


# ---------------------------------------------------------------- aggregated data only

@pytest.mark.parametrize("lang", ["da", "en"])
def test_likert_chart_embeds_only_aggregated_columns(likert, lang):
    rows = chart_rows(diverging(likert, lang))
    assert rows
    columns = set().union(*rows)
    assert "resp_id" not in columns
    assert columns <= AGGREGATED


def test_bars_embed_only_aggregated_columns():
    table = pd.DataFrame({"label": ["A", "B"], "percent": [10.0, 20.0], "count": [1, 2], "base": [10, 10]})
    columns = set().union(*chart_rows(charts.bars(table, "da", "T")))
    assert columns == {"label", "value", "text", "assumed"}   # `assumed`: the value's status, drawn


def test_respondent_rows_are_refused():
    rows = pd.DataFrame({"resp_id": [1, 2], "label": ["a", "b"], "percent": [1.0, 2.0]})
    with pytest.raises(ValueError, match="aggregated"):
        charts.bars(rows, "da", "T")


# ---------------------------------------------------------------- diverging geometry

def test_disagree_left_of_zero_agree_right(likert):
    rows = [r for r in chart_rows(diverging(likert, "da")) if "x_start" in r]
    for r in rows:
        if r["code"] in (1, 2):
            assert r["x_end"] <= 0 and r["x_start"] < 0
        else:
            assert r["x_start"] >= 0 and r["x_end"] > 0
    renew = {r["code"]: r for r in rows if r["item"].startswith("Kommunal")}
    # partly disagree next to zero, strongly disagree outside it
    assert renew[2]["x_end"] == 0 and renew[2]["x_start"] == -30
    assert renew[1]["x_start"] == -45 and renew[4]["x_end"] == 52


def test_neutral_middle_category_straddles_zero():
    table = pd.DataFrame({
        "variable": ["v"] * 6, "category": ["1", "2", "3", "4", "5", "non_substantive"],
        "code": pd.array([1, 2, 3, 4, 5, pd.NA], dtype="Int64"),
        "kind": ["substantive"] * 5 + ["non_substantive"],
        "percent": [10.0, 20.0, 20.0, 30.0, 20.0, 0.0],
    })
    labels = {1: "a", 2: "b", 3: "neutral", 4: "d", 5: "e"}
    rows = [r for r in chart_rows(charts.likert_diverging(table, "en", "T", {"v": "Item"}, labels))
            if "x_start" in r]
    by_code = {r["code"]: r for r in rows}
    assert (by_code[3]["x_start"], by_code[3]["x_end"]) == (-10, 10)
    assert by_code[1]["x_start"] == -40 and by_code[5]["x_end"] == 60


# ---------------------------------------------------------------- rendered labels per language

def test_danish_svg_has_danish_labels_and_percent_with_no_break_space(likert):
    texts = svg_texts(charts.to_svg(diverging(likert, "da"), "da"))
    assert "Helt uenig" in texts and "Delvist enig" in texts
    assert f"45{NBSP}%" in texts and f"52{NBSP}%" in texts  # net labels
    assert f"3{NBSP}%" in texts  # don't know shown apart
    assert f"50{NBSP}%" in texts  # axis ticks through the d3 locale
    assert "Strongly disagree" not in texts
    assert not any(re.fullmatch(r"\d+%", t) for t in texts)


def test_english_svg_has_english_labels(likert):
    texts = svg_texts(charts.to_svg(diverging(likert, "en"), "en"))
    assert "Strongly disagree" in texts and "Partly agree" in texts
    assert "45%" in texts and "52%" in texts and "50%" in texts
    assert "Helt uenig" not in texts


def test_net_labels_are_rounded_half_up():
    # 12.5 % + 0 % agree -> "13 %" (Python's round would give 12).
    table = pd.DataFrame({
        "variable": ["v"] * 5, "category": ["1", "2", "3", "4", "non_substantive"],
        "code": pd.array([1, 2, 3, 4, pd.NA], dtype="Int64"),
        "kind": ["substantive"] * 4 + ["non_substantive"],
        "percent": [40.0, 47.5, 12.5, 0.0, 0.0],
    })
    rows = chart_rows(charts.likert_diverging(table, "en", "T", {"v": "Item"}, LABELS["en"]))
    labels = {r["label"] for r in rows if "side" in r}
    assert labels == {"88%", "13%"}


def test_bars_decimal_comma_and_descending_order():
    table = pd.DataFrame({"label": ["Lille", "Stor", "Mellem"], "percent": [5.0, 22.65, 12.0]})
    chart = charts.bars(table, "da", "Titel", digits=1)
    texts = svg_texts(charts.to_svg(chart, "da"))
    assert f"22,7{NBSP}%" in texts and f"5,0{NBSP}%" in texts
    layer = chart.to_dict()["layer"][0]
    assert layer["encoding"]["y"]["sort"] == ["Stor", "Mellem", "Lille"]
    assert "22.7%" in svg_texts(charts.to_svg(charts.bars(table, "en", "Title", digits=1), "en"))


def test_grouped_bars_have_a_legend():
    table = pd.DataFrame({"label": ["A", "A", "B", "B"], "percent": [10.0, 30.0, 20.0, 5.0],
                          "council": [1, 2, 1, 2]})
    chart = charts.bars(table, "en", "Title", color_by="council",
                        color_labels={1: "Municipal", 2: "Regional"})
    texts = svg_texts(charts.to_svg(chart, "en"))
    assert "Municipal" in texts and "Regional" in texts
    assert chart.to_dict()["layer"][0]["encoding"]["y"]["sort"] == ["A", "B"]  # A's 30 beats B's 20


@pytest.mark.parametrize("value, lang, expected", [
    ((3, 4), "da", "3 ud af 4"), ((3, 4), "en", "3 out of 4"),
    (65.4, "da", f"65{NBSP}%"), (64.5, "en", "65%"),
])
def test_share_infographic(value, lang, expected):
    texts = svg_texts(charts.to_svg(charts.share_infographic(value, lang, "af politikerne"), lang))
    assert expected in texts
    assert "af politikerne" in texts


# ---------------------------------------------------------------- rendering setup

def test_vl_version_matches_altair_and_vl_convert():
    import vl_convert as vlc

    assert alt.SCHEMA_VERSION.lstrip("v").startswith(charts.vl_version())
    assert charts.vl_version() in vlc.get_vegalite_versions()


def test_format_locale():
    assert charts.format_locale("da")["decimal"] == ","
    assert charts.format_locale("da")["percent"] == f"{NBSP}%"
    assert charts.format_locale("en")["decimal"] == "."


def test_theme_is_applied():
    spec = charts.bars(pd.DataFrame({"label": ["a"], "percent": [1.0]}), "en", "T").to_dict()
    assert spec["config"]["font"] == charts.FONT


def test_long_labels_wrap_at_slash_and_spaces():
    lines = charts._wrap("Kommunalbestyrelsen/regionsrådet arbejder på at forny", 22)
    assert lines == ["Kommunalbestyrelsen/", "regionsrådet arbejder", "på at forny"]
    assert charts._wrap(f"projektudvalg (§{NBSP}17, stk. 4)", 16) == ["projektudvalg", f"(§{NBSP}17, stk. 4)"]
