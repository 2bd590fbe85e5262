"""The registry of figures and numbers, and the small API the chapters call.

A chapter never computes anything. It asks for a number by key or a figure by id:

    from analysis.report import Report
    r = Report()                      # language from ARENA_LANG / QUARTO_PROFILE
    r.num("fig02.agree")              # "52 %" (da) / "52%" (en), recomputed from data/raw
    r.fraction("p0380.three_of_four") # "3 ud af 4" / "3 out of 4", from the recomputed share
    r.test("p1807.majority_more_risk")# "statistisk signifikant (χ²-test, p < 0,001)"
    r.figure("fig-02")                # the chart (interactive in HTML, SVG in the PDF)

Number keys are the `claim_id`s of `data/published/published.csv`: each names its population
and numerator as queries over the respondent data, so a reviewer can trace a printed number to
the rows behind it. Figures are described in `analysis/figures.yaml`.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import numpy as np
import pandas as pd

from analysis import claims as claims_mod
from analysis import codebook as codebook_mod
from analysis import fmt
from analysis.rounding import half_up

FIGURES_FILE = Path(__file__).with_name("figures.yaml")
# The survey's reference period, as the questionnaire words it (source line 376).
PERIOD = {"da": "2018–2019", "en": "2018–2019"}
SIGNIFICANCE_LEVEL = 0.05

WORDS = {
    "da": {
        "significant": "statistisk signifikant",
        "not_significant": "ikke statistisk signifikant",
        "chi2": "χ²-test",
        "chi2_yates": "χ²-test med kontinuitetskorrektion",
        "fisher": "Fishers eksakte test",
        "municipal": "Kommunalpolitikere",
        "regional": "Regionspolitikere",
        "agree": "enig",
        "disagree": "uenig",
        "non_substantive": "Ikke relevant / ved ikke",
        "small_base": "Få svar: tolk med forsigtighed.",
    },
    "en": {
        "significant": "statistically significant",
        "not_significant": "not statistically significant",
        "chi2": "chi-square test",
        "chi2_yates": "chi-square test with continuity correction",
        "fisher": "Fisher's exact test",
        "municipal": "Municipal politicians",
        "regional": "Regional politicians",
        "agree": "agree",
        "disagree": "disagree",
        "non_substantive": "Not relevant / don't know",
        "small_base": "Few respondents: interpret with care.",
    },
}


# ---------------------------------------------------------------- inputs (read once per process)

@lru_cache(maxsize=4)
def _inputs(root: str) -> tuple[codebook_mod.Codebook, pd.DataFrame, pd.DataFrame]:
    base = Path(root)
    cb = codebook_mod.load(base / "data" / "codebook" / "codebook.yaml")
    published = claims_mod.load(base / "data" / "published" / "published.csv")
    data = read_survey(base / "data" / "raw" / "survey.csv", cb)
    # Nothing modifies the survey once loaded, so the rows of a query are computed once.
    claims_mod.remember_masks(data)
    return cb, published, data


def read_survey(path: Path, cb: codebook_mod.Codebook) -> pd.DataFrame:
    """Respondent rows as floats: an empty cell (not asked) becomes NaN, never a code."""
    df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    for col in cb.columns:
        df[col] = pd.to_numeric(df[col].replace("", np.nan))
    # The column-by-column assignment leaves one block per column; a copy consolidates them
    # (one block per dtype), which makes every selection of rows ~10x faster. Same values.
    return df.copy()


@lru_cache(maxsize=1)
def figure_specs() -> dict[str, dict]:
    return codebook_mod.load_yaml(FIGURES_FILE.read_text(encoding="utf-8"))


def _root() -> str:
    from arena import paths

    return str(paths.ROOT)


# ---------------------------------------------------------------- numbers

@dataclass(frozen=True)
class Value:
    """A recomputed number with what it rests on."""
    claim_id: str
    unit: str
    value: float          # per cent (0-100), count, or p-value
    count: int | None
    base: int | None
    p: float | None = None
    test: str | None = None
    printed_as_percent: bool = False


def _mask(data: pd.DataFrame, query: str) -> np.ndarray:
    # Cached per query when `data` is the survey `_inputs` loaded (claims.remember_masks).
    return claims_mod.mask(data, query)


def _share(data: pd.DataFrame, population: str, numerator: str, group: str = "") -> claims_mod.Share:
    pop = _mask(data, population)
    if group:
        pop = pop & _mask(data, group)
    num = pop & _mask(data, numerator)
    return claims_mod.Share(int(num.sum()), int(pop.sum()))


def recompute(claim: pd.Series, data: pd.DataFrame, published: pd.DataFrame) -> Value:
    """The value of one published row, recomputed from respondent data."""
    unit = claim.unit
    cid = claim.claim_id
    if unit in ("pct", "pct1", "range", "count"):
        s = _share(data, claim.population, claim.numerator)
        value = float(s.count) if unit == "count" else s.percent
        return Value(cid, unit, value, s.count, s.base)
    if unit in ("diff_gt", "signif"):
        from analysis import stats  # scipy (~2 s to import): only for the tests, not for shares

        inside = _share(data, claim.population, claim.numerator, claim.group)
        outside = _share(data, claim.population, claim.numerator, f"not ({claim.group})")
        table = [[inside.count, inside.base - inside.count], [outside.count, outside.base - outside.count]]
        result = stats.compare_groups(table)
        test = "fisher" if result.test == "fisher" else ("chi2_yates" if result.correction else "chi2")
        diff = inside.percent - outside.percent
        return Value(cid, unit, diff, None, inside.base + outside.base, p=result.p, test=test)
    if unit in ("rate", "nonresponse"):
        frame = published[(published.unit == "frame") & (published.variable == claim.variable)
                          & (published.numerator == claim.population)]
        invited = float(frame.iloc[0].value)
        s = _share(data, claim.population, claim.numerator)
        rate = 100 * s.count / invited
        return Value(cid, unit, rate if unit == "rate" else 100 - rate, s.count, int(invited))
    if unit in ("gof", "gof_ns"):
        from analysis import stats

        frame = published[(published.unit == "frame") & (published.variable == claim.variable)
                          & (published.numerator != "")]
        total = float(published[(published.unit == "frame") & (published.numerator == "")
                                & (published.population == "")].iloc[0].value)
        invited = [float(v) for v in frame.value]
        if abs(sum(invited) - 100) < 0.5:  # shares in per cent → counts of all invited
            # Shares of all invited → whole persons (the printed shares have one decimal).
            invited = [half_up(v / 100 * total) for v in invited]
        responded = [_share(data, "", q).count for q in frame.numerator]
        result = stats.compare_groups([responded, [i - r for i, r in zip(invited, responded)]])
        test = "fisher" if result.test == "fisher" else ("chi2_yates" if result.correction else "chi2")
        return Value(cid, unit, result.p, None, len(data), p=result.p, test=test)
    if unit in ("frame", "external"):
        as_percent = bool(re.search(r"%|pct|procent|percent", str(claim.printed), re.I))
        return Value(cid, unit, float(claim.value), None, None, printed_as_percent=as_percent)
    raise ValueError(f"{cid}: unit {unit!r} cannot be recomputed")


def format_value(v: Value, lang: str) -> str:
    if v.unit in ("pct", "range"):
        return fmt.percent(v.value, lang)
    if v.unit in ("pct1", "rate", "nonresponse"):
        return fmt.percent(v.value, lang, 1)
    if v.unit in ("frame", "external") and v.printed_as_percent:
        return fmt.percent(v.value, lang, 0 if float(v.value).is_integer() else 1)
    if v.unit in ("count", "frame"):
        return fmt.number(v.value, lang, 0 if float(v.value).is_integer() else 1)
    if v.unit in ("diff_gt",):
        return fmt.percent(abs(v.value), lang)
    if v.unit in ("signif", "gof", "gof_ns"):
        return fmt.p_value(v.p, lang)
    return fmt.number(v.value, lang, 0 if float(v.value).is_integer() else 1)


# Simple fractions for verbal quantities ("3 ud af 4"): the nearest with a small denominator.
_FRACTION_DENOMINATORS = (2, 3, 4, 5, 10)


def nearest_fraction(percent: float) -> tuple[int, int]:
    best = min(((round(percent / 100 * d), d) for d in _FRACTION_DENOMINATORS),
               key=lambda kd: (abs(100 * kd[0] / kd[1] - percent), kd[1]))
    k, d = best
    g = math.gcd(k, d) or 1
    return k // g, d // g


# ---------------------------------------------------------------- the chapter API

class Report:
    def __init__(self, lang: str | None = None, root: str | None = None):
        from analysis.display import current_lang

        self.lang = lang or current_lang()
        self.root = root or _root()
        self.codebook, self.published, self.data = _inputs(self.root)
        self._claims: pd.DataFrame | None = None   # indexed on first use: most Reports only draw

    # -- numbers ---------------------------------------------------------------------------
    def claim(self, key: str) -> pd.Series:
        if self._claims is None:
            self._claims = self.published.set_index("claim_id", drop=False)
        try:
            return self._claims.loc[key]
        except KeyError:
            raise KeyError(f"no number with key {key!r} in data/published/published.csv") from None

    def value(self, key: str) -> Value:
        return recompute(self.claim(key), self.data, self.published)

    def num(self, key: str) -> str:
        """The recomputed number, formatted for the language (per cent, count, p-value)."""
        return format_value(self.value(key), self.lang)

    def count(self, key: str) -> str:
        """The numerator count behind a share ("462")."""
        return fmt.number(self.value(key).count, self.lang)

    def base(self, key: str) -> str:
        """The base (n) behind a share ("608")."""
        return fmt.number(self.value(key).base, self.lang)

    def fraction(self, key: str) -> str:
        """A share as a simple fraction: "3 ud af 4" / "3 out of 4"."""
        k, n = nearest_fraction(self.value(key).value)
        return fmt.count_of(k, n, self.lang)

    def test(self, key: str) -> str:
        """Whether a group difference is statistically significant, with the test and p."""
        v = self.value(key)
        if v.p is None:
            raise ValueError(f"{key}: not a comparison between groups")
        words = WORDS[self.lang]
        verdict = words["significant"] if v.p < SIGNIFICANCE_LEVEL else words["not_significant"]
        return f"{verdict} ({words[v.test or 'chi2']}, {fmt.p_value(v.p, self.lang)})"

    def fact(self, key: str) -> str:
        """A number from another study (data/context/facts.csv), formatted for the language, as
        Markdown: a chapter puts it into its text, and a `text` fact is data, never markup."""
        from analysis import context
        from analysis.escape import md_text

        return md_text(context.format_fact(key, self.lang, self.root))

    # -- figures ---------------------------------------------------------------------------
    def figure(self, fig_id: str):
        from analysis import figures

        return figures.display(fig_id, self.lang, self)

    def table(self, fig_id: str):
        from analysis import figures
        from analysis.display import Table

        return Table(figures.download_table(fig_id, self.lang, self))

    def figure_title(self, fig_id: str) -> str:
        return figure_specs()[fig_id]["title"][self.lang]

    def n(self, fig_id: str) -> str:
        from analysis import figures

        return fmt.number(figures.base_n(fig_id, self), self.lang)
