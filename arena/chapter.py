"""The chapters' API: numbers, figures and appendix tables, read from the build's artifacts.

A chapter computes nothing. It asks for a number by key or a figure by id:

    from arena.chapter import Report
    r = Report()                       # language from ARENA_LANG / QUARTO_PROFILE
    r.num("fig02.agree")               # "52 %" (da) / "52%" (en)
    r.fraction("p0380.three_of_four")  # "3 ud af 4" / "3 out of 4"
    r.test("p1807.majority_more_risk") # "statistisk signifikant (χ²-test, p < 0,001)"
    r.figure("fig-02")                 # the chart (interactive in HTML, SVG in the PDF)

Keys are the `claim_id`s of data/published/published.csv; the values, their statuses and what
they rest on come from build/artifacts/numbers/numbers.json, which the build's steps wrote
(arena/steps.py). The artifacts are found from the working folder (the project root, where
both renderers run chapters) or ARENA_ROOT.
"""
from __future__ import annotations

import json
import math
from functools import lru_cache
from pathlib import Path

from analysis import fmt, words
from arena.project import Project

SIGNIFICANCE_LEVEL = 0.05
# Simple fractions for verbal quantities ("3 ud af 4"): the nearest with a small denominator.
_FRACTION_DENOMINATORS = (2, 3, 4, 5, 10)


class Value(dict):
    """A number of the registry (one row of numbers.json); fields read as attributes."""

    def __getattr__(self, name: str):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


@lru_cache(maxsize=8)
def _load(path: str, digest: str) -> dict:
    return json.loads(Path(path).read_text(encoding="utf-8"))


def artifact(project: Project, step: str, name: str) -> dict:
    path = project.artifacts / step / name
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise FileNotFoundError(f"{project.show(path)} is missing: chapters read the build's artifacts; "
                                "run `arena build` (or `python -m arena.steps`) first") from None
    return _load(str(path), f"{stat.st_mtime_ns}:{stat.st_size}")


def nearest_fraction(percent: float) -> tuple[int, int]:
    best = min(((round(percent / 100 * d), d) for d in _FRACTION_DENOMINATORS),
               key=lambda kd: (abs(100 * kd[0] / kd[1] - percent), kd[1]))
    k, d = best
    g = math.gcd(k, d) or 1
    return k // g, d // g


def format_number(v: dict, lang: str) -> str:
    """A number as the report prints it (per cent, count, p-value), rounded half up."""
    unit, value = v["unit"], v["value"]
    if v.get("suppressed"):
        return words.get(lang, "fewer_than", n=fmt.number(v.get("suppress_below") or 5, lang))
    if unit in ("pct", "range"):
        return fmt.percent(value, lang)
    if unit in ("pct1", "rate", "nonresponse"):
        return fmt.percent(value, lang, 1)
    if unit in ("frame", "external"):
        if any(m in str(v["printed"]).lower() for m in ("%", "pct", "procent", "percent")):
            return fmt.percent(value, lang, 0 if float(value).is_integer() else 1)
        return fmt.number(value, lang, 0 if float(value).is_integer() else 1)
    if unit == "count":
        return fmt.number(value, lang)
    if unit == "diff_gt":
        return fmt.percent(abs(value), lang)
    if unit in ("signif", "gof", "gof_ns"):
        return fmt.p_value(v["p"], lang)
    return fmt.number(value, lang, 0 if float(value).is_integer() else 1)


class Report:
    def __init__(self, lang: str | None = None, project: Project | None = None):
        from analysis.display import current_lang

        self.lang = lang or current_lang()
        self.project = project or Project.find()
        self.numbers = artifact(self.project, "numbers", "numbers.json")

    @property
    def root(self) -> str:
        return str(self.project.root)

    @property
    def data_mode(self) -> str:
        return artifact(self.project, "survey", "survey.json")["origin"]

    def data_statement(self) -> str:
        """Which data this edition shows, in a sentence or two (the project's data mode)."""
        return words.get(self.lang, f"data.{self.data_mode}")

    # -- numbers ---------------------------------------------------------------------------
    def value(self, key: str) -> Value:
        try:
            return Value(self.numbers[key])
        except KeyError:
            raise KeyError(f"no number with key {key!r} in data/published/published.csv") from None

    def claim(self, key: str) -> Value:
        """The number as the source prints it (`printed`, `printed_value`, `source`)."""
        v = self.value(key)
        return Value({**v, "value": v["printed_value"]})

    def num(self, key: str) -> str:
        return format_number(self.value(key), self.lang)

    def count(self, key: str) -> str:
        """The numerator count behind a share ("462")."""
        return fmt.number(self.value(key)["count"], self.lang)

    def base(self, key: str) -> str:
        """The base (n) behind a share ("608")."""
        return fmt.number(self.value(key)["base"], self.lang)

    def fraction(self, key: str) -> str:
        """A share as a simple fraction: "3 ud af 4" / "3 out of 4"."""
        k, n = nearest_fraction(self.value(key)["value"])
        return fmt.count_of(k, n, self.lang)

    def test(self, key: str) -> str:
        """Whether a group difference is statistically significant, with the test and p."""
        v = self.value(key)
        if v["p"] is None:
            raise ValueError(f"{key}: not a comparison between groups")
        verdict = "significant" if v["p"] < SIGNIFICANCE_LEVEL else "not_significant"
        return f"{words.get(self.lang, verdict)} ({words.get(self.lang, v['test'] or 'chi2')}, " \
               f"{fmt.p_value(v['p'], self.lang)})"

    def fact(self, key: str) -> str:
        """A number from another study (data/context/facts.csv), formatted for the language, as
        Markdown: a chapter puts it into its text, and a `text` fact is data, never markup."""
        from analysis import context
        from analysis.escape import md_text

        facts = artifact(self.project, "numbers", "facts.json")
        try:
            return md_text(context.format_row(facts[key], self.lang))
        except KeyError:
            raise KeyError(f"no fact with key {key!r} in data/context/facts.csv") from None

    # -- figures ---------------------------------------------------------------------------
    def figure_record(self, fig_id: str) -> dict:
        figures = artifact(self.project, "figures", "figures.json")
        try:
            return figures[fig_id]
        except KeyError:
            raise KeyError(f"no figure {fig_id!r} in analysis/figures.yaml") from None

    def figure(self, fig_id: str):
        """The figure as placed in a chapter: the caption carries the title, so the chart has
        none; the note follows the chart as text on the site and in the PDF."""
        import altair as alt

        from analysis import charts, figures
        from analysis.display import Figure

        rec = self.figure_record(fig_id)
        texts = rec["langs"][self.lang]
        chart = charts.set_properties(figures.build_chart(texts["chart"], self.lang), title=alt.Undefined)
        fig = Figure.from_chart(chart, texts["alt"], lang=self.lang, table=self.download_table(fig_id),
                                fig_id=fig_id, note=texts["note"])
        page = self._appendix_b_page()
        if page:
            from analysis import appendix

            fig.appendix_link = (f"{page}#{appendix.appendix_b_anchor(fig_id)}",
                                 words.get(self.lang, "float.to_appendix", n=appendix.appendix_b_number(self, fig_id)))
        return fig

    def _appendix_b_page(self) -> str | None:
        """File name of the page (same folder as every chapter) that holds Appendix B's tables."""
        for qmd in sorted((self.project.root / "chapters" / self.lang).glob("*.qmd")):
            if "{#sec-bilag-figurer}" in qmd.read_text(encoding="utf-8"):
                return qmd.with_suffix(".html").name
        return None

    def download_table(self, fig_id: str):
        """The figure's values as a reader downloads them: labels, base, count, share, interval,
        flags and the status of each value, with column names and statuses in the language."""
        import pandas as pd

        rows = self.figure_record(fig_id)["langs"][self.lang]["download"]
        frame = pd.DataFrame(rows)
        for col, prefix in (("status", "status."), ("rests_on", "rests_on.")):
            if col in frame:
                frame[col] = [words.get(self.lang, prefix + s) if s else "" for s in frame[col]]
        return frame.rename(columns={c: words.get(self.lang, f"col.{c}") for c in frame.columns})

    def table(self, fig_id: str):
        from analysis.display import Table

        return Table(self.download_table(fig_id))

    def figure_title(self, fig_id: str) -> str:
        return self.figure_record(fig_id)["langs"][self.lang]["title"]

    def n(self, fig_id: str) -> str:
        return fmt.number(self.figure_record(fig_id)["langs"][self.lang]["n"], self.lang)

    # -- the other artifacts (appendices) --------------------------------------------------
    def reconciliation(self):
        import pandas as pd

        path = self.project.artifacts / "reconciliation" / "reconciliation.csv"
        return pd.read_csv(path, dtype={"figure": str, "source": str, "printed": str}, keep_default_na=False,
                           na_values={"recomputed": [""], "figure_value": [""], "printed_value": [""]})

    def validation(self) -> Value:
        return Value(artifact(self.project, "validation", "validation.json"))

    def survey_meta(self) -> Value:
        return Value(artifact(self.project, "survey", "survey.json"))

    @property
    def codebook(self):
        """The codebook as the survey step read it (its snapshot)."""
        from analysis import codebook

        if not hasattr(self, "_codebook"):
            self._codebook = codebook.load(self.project.artifacts / "survey" / "codebook.yaml")
        return self._codebook

    def changes_markdown(self) -> str:
        """What changed since the last released edition, as Markdown in the page's language."""
        return (self.project.artifacts / "changes" / f"changes-{self.lang}.md").read_text(encoding="utf-8")

    @property
    def edition(self) -> Value:
        """This edition: its number and its release date, formatted for the language."""
        e = self.project.edition
        return Value({"number": fmt.number(e.number, self.lang), "date": fmt.date(e.date, self.lang)})

    def figure_records(self) -> dict:
        return artifact(self.project, "figures", "figures.json")
