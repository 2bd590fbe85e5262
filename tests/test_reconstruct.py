"""The generator: claims hold after rounding, output is deterministic, conflicts are named."""
from __future__ import annotations

import io

import pandas as pd
import pytest

from analysis import claims as claims_mod
from analysis import codebook as codebook_mod
from arena import reconstruct

CODEBOOK = {
    "scales": {
        "yesno": {"codes": [{"code": 1, "da": "Ja", "en": "Yes"}, {"code": 0, "da": "Nej", "en": "No"}]},
        "council": {"codes": [{"code": 1, "da": "K", "en": "M"}, {"code": 2, "da": "R", "en": "R"}]},
        "agree": {"codes": [
            {"code": 1, "da": "u", "en": "d"}, {"code": 2, "da": "du", "en": "pd"},
            {"code": 3, "da": "de", "en": "pa"}, {"code": 4, "da": "e", "en": "a"},
            {"code": 8, "da": "vi", "en": "dk", "kind": "dont_know"},
            {"code": 9, "da": "ib", "en": "na", "kind": "no_answer"}]},
        "selected": {"codes": [{"code": 1, "da": "v", "en": "s"}, {"code": 0, "da": "i", "en": "n"}]},
    },
    "populations": {"all": {"query": ""}, "active": {"query": "active == 1"}},
    "variables": [
        {"id": "council", "kind": "background", "scale": "council", "population": "all", "question": {"da": "r", "en": "c"}},
        {"id": "active", "scale": "yesno", "population": "all", "question": {"da": "a", "en": "a"}},
        {"id": "item", "scale": "agree", "population": "all", "question": {"da": "i", "en": "i"}},
        {"id": "opt_a", "kind": "multi_option", "question_group": "g", "scale": "selected", "population": "active", "question": {"da": "a", "en": "a"}},
        {"id": "opt_dk", "kind": "multi_option", "question_group": "g", "scale": "selected", "population": "active", "exclusive": True, "question": {"da": "d", "en": "d"}},
        {"id": "opt_none", "kind": "multi_option", "question_group": "g", "scale": "selected", "population": "active", "exclusive": True, "question": {"da": "n", "en": "n"}},
    ],
}

CLAIMS = """claim_id,figure,status,variable,population,group,numerator,unit,value,lo,hi,printed,base_n,source,note
n,,published,,,,,count,200,,,,,x:1,
mun,,published,council,,,council == 1,count,180,,,,,x:2,
act,,published,active,,,active == 1,pct,76,,,,,x:3,
act_mun,,published,active,council == 1,,active == 1,count,140,,,,,x:4,
agree,,published,item,,,"item in [3, 4]",pct,52,,,,,x:5,
disagree,,published,item,,,"item in [1, 2]",pct,45,,,,,x:6,
sd,,assumption,item,,,item == 1,pct,15,,,,,x:7,
sa,,assumption,item,,,item == 4,pct,14,,,,,x:8,
dk,,assumption,item,,,item == 8,pct,3,,,,,x:9,
act_if_disagree,,published,active,"item in [1, 2]",,active == 1,pct,64,,,,,x:10,
agree_gt,,published,item,,active == 1,"item in [3, 4]",diff_gt,,,,,,x:11,
opt_a,,published,opt_a,active == 1,,opt_a == 1,range,,40,50,knap halvdelen,,x:12,
opt_dk,,published,opt_dk,active == 1,,opt_dk == 1,pct,5,,,,,x:13,
opt_none,,published,opt_none,active == 1,,opt_none == 1,pct,8,,,,,x:14,
"""


def _inputs(claims_text=CLAIMS):
    cb = codebook_mod.parse(CODEBOOK)
    published = pd.read_csv(io.StringIO(claims_text), dtype=str, keep_default_na=False)
    return cb, published


def _pct(df, population, numerator, group=""):
    # An independent count, written out here rather than through the library.
    pop = df.query(population) if population else df
    if group:
        pop = pop.query(group)
    return 100 * len(pop.query(numerator)) / len(pop)


def _half_up(x):
    return int(x + 0.5)


def test_every_claim_holds_after_half_up_rounding():
    cb, published = _inputs()
    df = reconstruct.reconstruct(cb, published)
    assert len(df) == 200
    assert (df.council == 1).sum() == 180
    assert ((df.council == 1) & (df.active == 1)).sum() == 140
    assert _half_up(_pct(df, "", "active == 1")) == 76
    assert _half_up(_pct(df, "", "item in [3, 4]")) == 52
    assert _half_up(_pct(df, "", "item in [1, 2]")) == 45
    assert _half_up(_pct(df, "", "item == 1")) == 15
    assert _half_up(_pct(df, "", "item == 8")) == 3
    assert _half_up(_pct(df, "item in [1, 2]", "active == 1")) == 64
    assert _pct(df, "", "item in [3, 4]", "active == 1") > _pct(df, "", "item in [3, 4]", "active == 0")
    assert 40 <= _pct(df, "active == 1", "opt_a == 1") <= 50
    assert _half_up(_pct(df, "active == 1", "opt_dk == 1")) == 5


def test_filters_and_exclusive_options():
    cb, published = _inputs()
    df = reconstruct.reconstruct(cb, published)
    assert df.loc[df.active == 0, "opt_a"].isna().all()  # not asked
    assert df.loc[df.active == 1, "opt_a"].notna().all()
    assert not ((df.opt_dk == 1) & (df.opt_a == 1)).any()
    assert not ((df.opt_none == 1) & (df.opt_a == 1)).any()
    assert not ((df.opt_dk == 1) & (df.opt_none == 1)).any()  # two exclusive options never together
    assert not (df["item"] == 9).any()  # no invented item non-response


def test_byte_identical_output():
    cb, published = _inputs()
    a = reconstruct.to_csv_bytes(reconstruct.reconstruct(cb, published), cb.columns)
    b = reconstruct.to_csv_bytes(reconstruct.reconstruct(cb, published), cb.columns)
    assert a == b
    assert a.startswith(b"resp_id,council,active,item,opt_a,opt_dk,opt_none\n")


def test_conflicting_claims_are_named():
    cb, published = _inputs(CLAIMS + "bad,,assumption,item,,,item == 4,pct,40,,,,,x:99,\n")
    with pytest.raises(reconstruct.ReconstructionError, match=r"claim (bad|sa|agree|sd).*x:"):
        reconstruct.reconstruct(cb, published)


def test_unknown_column_in_a_claim_is_an_error():
    cb, published = _inputs(CLAIMS + "typo,,published,item,,,itme == 4,pct,14,,,,,x:98,\n")
    with pytest.raises(reconstruct.ReconstructionError, match="typo.*itme"):
        reconstruct.reconstruct(cb, published)


def test_names_in_query():
    assert claims_mod.names_in("active == 1 and council in [1, 2]") == {"active", "council"}
    assert claims_mod.names_in("") == set()


def test_a_typo_in_published_csv_names_the_row(tmp_path):
    text = CLAIMS.replace("agree,,published,", "agree,,publsihed,")
    path = tmp_path / "published.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=r"column status: agree \(line 6\): 'publsihed'"):
        claims_mod.load(path)
    path.write_text(CLAIMS + CLAIMS.splitlines()[5] + "\n", encoding="utf-8")
    repeated = len((CLAIMS + "x").splitlines())   # the appended copy's line
    with pytest.raises(ValueError, match=rf"line {repeated}, column claim_id: 'agree' occurs more than once"):
        claims_mod.load(path)


# ---------------------------------------------------------------- property: feasible by construction
# A tiny respondent table is drawn first; the numbers a codebook and published.csv would state are
# derived from it, so a solution exists. The reconstruction must then reproduce every stated count
# exactly and every stated share after half-up rounding, and respect the codebook's skip logic.
from fractions import Fraction

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

SMALL_CODEBOOK = {
    # the scales and populations of CODEBOOK above, without the multi-response scale
    "scales": {k: v for k, v in CODEBOOK["scales"].items() if k in ("council", "yesno", "agree")},
    "populations": CODEBOOK["populations"],
    "variables": [
        {"id": "council", "kind": "background", "scale": "council", "population": "all", "question": {"da": "r", "en": "c"}},
        {"id": "active", "scale": "yesno", "population": "all", "question": {"da": "a", "en": "a"}},
        {"id": "item", "scale": "agree", "population": "active", "question": {"da": "i", "en": "i"}},
    ],
}
ANSWERS = [1, 2, 3, 4, 8]   # the reconstruction never invents "no answer" (9), so neither do we


def _rounded(share: Fraction, digits: int) -> Fraction:
    """Half up to `digits` decimals, in exact arithmetic (independent of analysis.rounding)."""
    scale = 10 ** digits
    return Fraction(int(share * scale + Fraction(1, 2)), scale)


def _rows(table: pd.DataFrame, query: str) -> pd.DataFrame:
    return table.query(query) if query else table


@st.composite
def tables_and_claims(draw):
    n = draw(st.integers(4, 30))
    council = draw(st.lists(st.sampled_from([1, 2]), min_size=n, max_size=n))
    active = draw(st.lists(st.sampled_from([0, 1]), min_size=n, max_size=n))
    item = [draw(st.sampled_from(ANSWERS)) if a == 1 else None for a in active]
    table = pd.DataFrame({"council": council, "active": active, "item": item}, dtype=float)

    claims = [("n", "", "", "count"), ("mun", "", "council == 1", "count"),
              ("act_mun", "council == 1", "active == 1", "count")]
    shares = [("act", "", "active == 1"), ("agree_mun", "active == 1 and council == 1", "item in [3, 4]")]
    shares += [(f"item_{c}", "active == 1", f"item == {c}") for c in ANSWERS]
    for key, population, numerator in shares:
        if len(_rows(table, population)):     # a share needs people in its base
            claims.append((key, population, numerator, draw(st.sampled_from(["pct", "pct1"]))))
    rows = []
    for key, population, numerator, unit in claims:
        base = _rows(table, population)
        count = len(_rows(base, numerator))
        if unit == "count":
            value = str(count)
        else:
            digits = 0 if unit == "pct" else 1
            value = f"{float(_rounded(Fraction(100 * count, len(base)), digits)):.{digits}f}"
        rows.append({**dict.fromkeys(claims_mod.COLUMNS, ""), "claim_id": key, "status": "published",
                     "population": population, "numerator": numerator, "unit": unit, "value": value,
                     "source": f"test:{key}"})
    return table, pd.DataFrame(rows, columns=claims_mod.COLUMNS, dtype=str)


@settings(deadline=None, max_examples=30, suppress_health_check=[HealthCheck.too_slow])
@given(tables_and_claims())
def test_reconstruction_reproduces_what_a_feasible_table_states(case):
    _, published = case
    cb = codebook_mod.parse(SMALL_CODEBOOK)
    rebuilt = reconstruct.reconstruct(cb, published)
    for row in published.itertuples(index=False):
        base = _rows(rebuilt, row.population)
        count = len(_rows(base, row.numerator))
        if row.unit == "count":
            assert count == int(row.value), row.claim_id
        else:
            digits = 0 if row.unit == "pct" else 1
            assert _rounded(Fraction(100 * count, len(base)), digits) == Fraction(row.value), row.claim_id
    # Codes from the scales only, and the skip logic: item is empty exactly where it was not asked.
    assert set(rebuilt.council) <= {1, 2} and set(rebuilt.active) <= {0, 1}
    asked = rebuilt.active == 1
    assert rebuilt.loc[~asked, "item"].isna().all()
    assert set(rebuilt.loc[asked, "item"]) <= set(ANSWERS)
