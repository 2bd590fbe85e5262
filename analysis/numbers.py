"""Every number the report can print, by key, with where it comes from and how far it holds.

Keys are the `claim_id`s of `data/published/published.csv`. Each number gets one status:

- printed       the source prints it and the data in hand reproduces it;
- assumed       the source prints nothing; the reconstruction chose it (reconstruction only);
- inconsistent  the source prints it but contradicts itself; `data/published/inconsistencies.yaml`
                explains it and names the number used instead;
- differs       the source prints it, but the data in hand gives another value;
- derived       computed, never printed (a test's p, an interval, a value from a survey export
                that the source does not print), with `rests_on` = printed, assumed or data.

What a number rests on follows the weakest of its inputs: with the reconstruction a test of a
difference rests on `printed` only when both groups' shares are printed numbers themselves.
"""
from __future__ import annotations

import math
import re
from dataclasses import asdict, dataclass

import pandas as pd

from analysis.inputs import BadInput
from analysis.rounding import half_up
from analysis.survey import Survey

STATUSES = ("printed", "assumed", "inconsistent", "differs", "derived")
RESTS_ON = ("printed", "assumed", "data")
MODES = ("reconstruction", "survey")
TESTED_UNITS = ("diff_gt", "signif")
NOT_RECOMPUTED = ("frame", "external")


@dataclass
class Number:
    key: str
    unit: str
    status: str
    rests_on: str
    value: float | None           # per cent (0-100), count, difference in points, or p
    count: int | None = None      # numerator
    base: int | None = None
    ci_low: float | None = None   # Wilson 95 % interval, per cent (shares only)
    ci_high: float | None = None
    p: float | None = None
    test: str | None = None
    reproduces: bool | None = None   # does the data give the printed value (None: not checked)
    printed: str = ""             # the source's words
    printed_value: float | None = None
    source: str = ""              # file:line in the source report
    figure: str = ""
    population: str = ""
    numerator: str = ""
    group: str = ""
    small_base: bool = False
    base_printed: bool = False    # the source prints this share's base (a count of the same people)
    count_printed: bool = False   # ... and its numerator as a count
    suppressed: bool = False      # survey mode: a count under the threshold, not shown
    uses: str = ""                # inconsistent: the keys of the numbers used instead
    explanation_da: str = ""
    explanation_en: str = ""

    def to_dict(self) -> dict:
        return asdict(self)


def reproduces(unit: str, printed_value: float, lo: float, hi: float, value: float, p: float | None) -> bool:
    """Does the recomputed value give the printed one under the row's unit (half-up rounding)?"""
    if unit in ("pct", "pct1", "rate", "nonresponse"):
        digits = 0 if unit == "pct" else 1
        return half_up(value, digits) == round(float(printed_value), digits)
    if unit == "count":
        return value == float(printed_value)
    if unit == "range":
        return lo <= value <= hi
    if unit == "diff_gt":
        return value > 0
    if unit in ("signif", "gof"):
        return p is not None and p < float(printed_value)
    if unit == "gof_ns":
        return p is not None and p >= float(printed_value)
    raise ValueError(unit)


def _num(text) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(value) else value


def compute(survey: Survey, inconsistencies: dict, mode: str, suppress_below: int = 0,
            small_base: int = 50) -> list[Number]:
    """Every row of published.csv as a Number, in the file's order."""
    if mode not in MODES:
        raise ValueError(f"data mode {mode!r} is not one of {MODES}")
    from analysis import stats

    pinned = _printed_shares(survey)
    counted = _printed_counts(survey)
    out: list[Number] = []
    for row in survey.published.itertuples(index=False):
        printed_value = _num(row.value)
        n = Number(key=row.claim_id, unit=row.unit, status="", rests_on="", value=None,
                   printed=row.printed, printed_value=printed_value, source=row.source,
                   figure=row.figure, population=row.population, numerator=row.numerator,
                   group=row.group)
        if row.unit in NOT_RECOMPUTED:
            # About the invited population or from another study: as printed, not recomputed.
            n.value, n.status, n.rests_on = printed_value, "printed", "printed"
            out.append(n)
            continue
        _recompute(n, survey, stats)
        n.reproduces = reproduces(row.unit, printed_value if printed_value is not None else float("nan"),
                                  row.lo, row.hi, n.value, n.p)
        n.small_base = n.base is not None and n.base < small_base
        if row.unit in ("pct", "pct1", "range", "count"):
            pop = survey.mask(row.population)
            n.base_printed = pop.tobytes() in counted
            n.count_printed = (pop & survey.mask(row.numerator)).tobytes() in counted
        if mode == "survey" and suppress_below and n.count is not None and 0 < n.count < suppress_below:
            n.suppressed = True
        if row.status == "inconsistent":
            n.status, n.rests_on = "inconsistent", "printed"
            info = inconsistencies.get(row.claim_id) or {}
            uses = info.get("uses") or []
            n.uses = " ".join([uses] if isinstance(uses, str) else uses)
            n.explanation_da, n.explanation_en = info.get("da", ""), info.get("en", "")
        elif row.status == "assumption":
            # The reconstruction chose it; a survey export measures it (never printed).
            n.status, n.rests_on = ("assumed", "assumed") if mode == "reconstruction" else ("derived", "data")
        else:
            n.status = "printed" if n.reproduces else "differs"
            n.rests_on = "printed" if mode == "reconstruction" else "data"
        if row.unit in TESTED_UNITS and row.status != "inconsistent":
            n.rests_on = _test_rests_on(n, survey, pinned, mode)
        out.append(n)
    return out


def _recompute(n: Number, survey: Survey, stats) -> None:
    unit = n.unit
    if unit in ("pct", "pct1", "range", "count"):
        s = survey.share(n.population, n.numerator)
        n.count, n.base = s.count, s.base
        n.value = float(s.count) if unit == "count" else s.percent
        if unit != "count" and s.base:
            low, high = stats.wilson_ci(s.count, s.base)
            n.ci_low, n.ci_high = 100 * low, 100 * high
        return
    if unit in TESTED_UNITS:
        inside = survey.share(n.population, n.numerator, n.group)
        outside = survey.share(n.population, n.numerator, f"not ({n.group})")
        table = [[inside.count, inside.base - inside.count], [outside.count, outside.base - outside.count]]
        result = stats.compare_groups(table)
        n.test = "fisher" if result.test == "fisher" else ("chi2_yates" if result.correction else "chi2")
        n.value, n.p, n.base = inside.percent - outside.percent, result.p, inside.base + outside.base
        return
    published = survey.published
    if unit in ("rate", "nonresponse"):
        frame = published[(published.unit == "frame") & (published.variable == _variable(survey, n.key))
                          & (published.numerator == n.population)]
        invited = float(frame.iloc[0].value)
        s = survey.share(n.population, n.numerator)
        rate = 100 * s.count / invited
        n.value, n.count, n.base = (rate if unit == "rate" else 100 - rate), s.count, int(invited)
        return
    if unit in ("gof", "gof_ns"):
        groups = _invited_groups(published, _variable(survey, n.key))
        invited = [count for _, count in groups]
        responded = [survey.share("", q).count for q, _ in groups]
        result = stats.compare_groups([responded, [i - r for i, r in zip(invited, responded)]])
        n.test = "fisher" if result.test == "fisher" else ("chi2_yates" if result.correction else "chi2")
        n.value, n.p, n.base = result.p, result.p, len(survey.data)
        return
    raise ValueError(f"{n.key}: unit {unit!r} cannot be recomputed")


def _invited_groups(published: pd.DataFrame, variable: str) -> list[tuple[str, float]]:
    """The frame rows of one variable as (query, invited politicians): counts as printed, or
    shares of all invited (one decimal, summing to 100) turned into whole persons."""
    frame = published[(published.unit == "frame") & (published.variable == variable)
                      & (published.numerator != "")]
    invited = [float(v) for v in frame.value]
    if abs(sum(invited) - 100) < 0.5:
        total = float(published[(published.unit == "frame") & (published.numerator == "")
                                & (published.population == "")].iloc[0].value)
        invited = [half_up(v / 100 * total) for v in invited]
    return list(zip(frame.numerator, invited))


def check_frame(survey: Survey, survey_name: str, published_name: str) -> None:
    """BadInput if a group has more respondents than politicians were invited into it (a frame
    row of published.csv): no share, rate or test of representativeness can be computed then.
    The invited counts are those the rates and tests use (`_invited_groups`)."""
    published = survey.published
    frame = published[published.unit == "frame"]
    checks = [(r.claim_id, "", float(r.value)) for r in frame.itertuples(index=False)
              if r.numerator == "" and r.population == ""]
    for variable in dict.fromkeys(frame.variable):
        groups = dict(_invited_groups(published, variable))
        checks += [(r.claim_id, r.numerator, groups[r.numerator]) for r in frame.itertuples(index=False)
                   if r.variable == variable and r.numerator != ""]
    for claim_id, query, invited in checks:
        responded = int(survey.mask(query).sum())
        if responded > invited:
            who = f"with {query}" if query else "in all"
            raise BadInput(
                f"{survey_name}: {responded} respondents {who}, but {published_name} (claim {claim_id}) "
                f"says {invited:.0f} politicians were invited; rule: respondents cannot exceed the invited "
                "politicians of their population (the frame) — check that the file holds each respondent "
                f"once and is the survey of this report, or correct the frame row in {published_name}")


def _variable(survey: Survey, key: str) -> str:
    return str(survey.claim(key).variable)


# ---------------------------------------------------------------- what a test rests on

def _signature(survey: Survey, population: str, numerator: str) -> tuple[bytes, str]:
    """A share's identity: the rows of its base, and its numerator as written (normalised).

    Bases are compared by their rows (the same people, however the query is written);
    numerators by their text, since two different answers can select the same (empty) rows."""
    return survey.mask(population).tobytes(), re.sub(r"\s+", " ", numerator.strip())


def _printed_shares(survey: Survey) -> set[tuple[bytes, str]]:
    rows = survey.published
    printed = rows[(rows.status == "published") & rows.unit.isin(["pct", "pct1", "count"])]
    return {_signature(survey, r.population, r.numerator) for r in printed.itertuples(index=False)}


def _printed_counts(survey: Survey) -> set[bytes]:
    """The groups of people whose size the source prints (its counts, and everyone)."""
    rows = survey.published
    printed = rows[(rows.status == "published") & (rows.unit == "count")]
    return {(survey.mask(r.population) & survey.mask(r.numerator)).tobytes() for r in printed.itertuples(index=False)}


def _test_rests_on(n: Number, survey: Survey, pinned: set, mode: str) -> str:
    if mode == "survey":
        return "data"
    inside = f"({n.population}) and ({n.group})" if n.population else n.group
    outside = f"({n.population}) and not ({n.group})" if n.population else f"not ({n.group})"
    both = all(_signature(survey, pop, n.numerator) in pinned for pop in (inside, outside))
    return "printed" if both else "assumed"


def to_frame(numbers: list[Number]) -> pd.DataFrame:
    return pd.DataFrame([n.to_dict() for n in numbers])
