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


def _strings_as_markdown() -> None:
    """A str result of a chapter (an inline `{python}` number with its traced span, a link) is
    Markdown: tell the kernel's formatter. Real Quarto inserts a text/markdown result as it is
    and escapes a text/plain one (quarto-cli src/core/jupyter/jupyter-inline.ts); the embedded
    renderer takes text/markdown first too (arena/render/execute.py)."""
    import sys

    ipython = sys.modules.get("IPython")   # loaded in a kernel; not imported elsewhere
    shell = ipython.get_ipython() if ipython else None
    if shell is not None:
        shell.display_formatter.formatters["text/markdown"].for_type(str, lambda s: s)


_strings_as_markdown()

SIGNIFICANCE_LEVEL = 0.05
# Simple fractions for verbal quantities ("3 ud af 4"): the nearest with a small denominator.
_FRACTION_DENOMINATORS = (2, 3, 4, 5, 10)


DOWNLOAD_COLUMNS = ("item", "group", "answer", "count", "base", "percent", "ci_low", "ci_high", "small_base",
                    "small_cell", "status", "rests_on")


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


def locale_csv(frame, lang: str) -> str:
    """A table as CSV for the page's locale: Danish with `;`, decimal comma and a byte-order mark
    (what Danish spreadsheets expect), English with `,` and a decimal point; formula-guarded."""
    import csv
    import io

    from analysis.escape import csv_cell

    def cell(v):
        if v is None or (isinstance(v, float) and v != v):
            return ""
        if isinstance(v, bool):
            return words.get(lang, "yes" if v else "no")
        if isinstance(v, float):
            return fmt.decimal(v, lang, 1)
        return csv_cell(v)

    out = io.StringIO()
    writer = csv.writer(out, delimiter=";" if lang == "da" else ",", lineterminator="\n")
    writer.writerow([csv_cell(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False):
        writer.writerow([cell(v) for v in row])
    return ("\ufeff" if lang == "da" else "") + out.getvalue()


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


class Unsupported(ValueError):
    """A survey chapter asked for a number its data cannot support (the build names the line)."""


KINDS = ("survey", "other")


class Report:
    """`Report(kind="survey")` in a chapter that presents survey results: with the shipped
    reconstruction such a chapter may print only what the source prints. A number the
    reconstruction assumed, or a test or number that rests on assumed values, is refused with
    `Unsupported`, so the build stops at that line. With a survey export everything is data."""

    def __init__(self, lang: str | None = None, project: Project | None = None, kind: str = "other"):
        from analysis.display import current_lang

        if kind not in KINDS:
            raise ValueError(f"kind must be one of {KINDS}, not {kind!r}")
        self.lang = lang or current_lang()
        self.kind = kind
        self.project = project or Project.find()
        self.numbers = artifact(self.project, "numbers", "numbers.json")

    def _supported(self, key: str, v: dict, what: str) -> dict:
        if self.kind != "survey" or self.data_mode == "survey":
            return v
        if v["status"] == "assumed" or v["rests_on"] == "assumed":
            reason = ("the source does not print it: the reconstruction assumed it"
                      if v["status"] == "assumed" else "it rests on values the reconstruction assumed")
            raise Unsupported(f"{what}({key!r}) in a survey chapter: {reason} (status {v['status']}, rests on "
                              f"{v['rests_on']}). Print what the source prints instead, attributed to it; with a "
                              "survey export (arena.data-mode: survey) the data supports it.")
        return v

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

    @staticmethod
    def _traced(key: str, text: str, status: str, plain: bool) -> str:
        """The number as an element a reader can trace (site: a popover with its provenance;
        PDF: just the text). A Pandoc span, so both renderers and both formats read it."""
        if plain:
            return text
        return f'[{text}]{{.arena-num data-claim="{key}" data-status="{status}"}}'

    def _counted(self, key: str, which: str) -> int:
        """A share's count or base; in a survey chapter only where the source prints it."""
        v = self._supported(key, self.value(key), f"r.{which}")
        if self.kind == "survey" and self.data_mode != "survey" and not v.get(f"{which}_printed"):
            raise Unsupported(f"r.{which}({key!r}) in a survey chapter: the source does not print this "
                              f"{'number of people' if which == 'base' else 'count'}, so with the "
                              "reconstruction it says nothing about the real politicians. Leave it out, or "
                              "build with a survey export (arena.data-mode: survey).")
        return v[which]

    def num(self, key: str, plain: bool = False) -> str:
        """The number as the report prints it; `plain=True` for a table cell or a computation."""
        v = self._supported(key, self.value(key), "r.num")
        return self._traced(key, format_number(v, self.lang), v["status"], plain)

    def count(self, key: str, plain: bool = False) -> str:
        """The numerator count behind a share ("462")."""
        text = fmt.number(self._counted(key, "count"), self.lang)
        return self._traced(key, text, "printed" if self.value(key)["count_printed"] else "derived", plain)

    def base(self, key: str, plain: bool = False) -> str:
        """The base (n) behind a share ("608")."""
        text = fmt.number(self._counted(key, "base"), self.lang)
        return self._traced(key, text, "printed" if self.value(key)["base_printed"] else "derived", plain)

    def fraction(self, key: str, plain: bool = False, of: int | None = None, cap: bool = False) -> str:
        """A share as a simple fraction: "3 ud af 4" / "3 out of 4"; with `of` (the source's
        denominator) in words, as the source writes it: of=10 gives "otte ud af ti" / "eight in
        ten"; `cap=True` at the start of a sentence. The numerator is computed from the value, so in
        survey mode it follows the data."""
        v = self._supported(key, self.value(key), "r.fraction")
        if of is not None:
            text = fmt.verbal_fraction(v["value"], of, self.lang)
            return self._traced(key, text[:1].upper() + text[1:] if cap else text, v["status"], plain)
        k, n = nearest_fraction(v["value"])
        return self._traced(key, fmt.count_of(k, n, self.lang), v["status"], plain)

    def test(self, key: str, plain: bool = False) -> str:
        """Whether a group difference is statistically significant, with the test and p."""
        v = self._supported(key, self.value(key), "r.test")
        if v["p"] is None:
            raise ValueError(f"{key}: not a comparison between groups")
        verdict = "significant" if v["p"] < SIGNIFICANCE_LEVEL else "not_significant"
        text = f"{words.get(self.lang, verdict)} ({words.get(self.lang, v['test'] or 'chi2')}, " \
               f"{fmt.p_value(v['p'], self.lang)})"
        return self._traced(key, text, "derived", plain)

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
        table = self.download_table(fig_id)
        fig = Figure.from_chart(chart, texts["alt"], lang=self.lang, table=self._readable(table), fig_id=fig_id,
                                note=texts["note"], panels=self._panels(fig_id, rec, table))
        page = self._appendix_b_page()
        if page:
            from analysis import appendix

            fig.appendix_link = (f"{page}#{appendix.appendix_b_anchor(fig_id)}",
                                 words.get(self.lang, "float.to_appendix", n=appendix.appendix_b_number(self, fig_id),
                                           letter=self.appendix_letter("sec-bilag-figurer")))
        return fig

    def _readable(self, table):
        """The figure's values as the Table tab shows them: decimals and yes/no in the language."""
        import numpy as np

        def cell(v):
            if isinstance(v, (bool, np.bool_)):
                return words.get(self.lang, "yes" if v else "no")
            if isinstance(v, float):
                return "" if v != v else fmt.number(v, self.lang, 1)
            return v

        return table.apply(lambda col: col.map(cell)) if len(table) else table

    def _panels(self, fig_id: str, rec: dict, table) -> dict:
        """What the figure's panel shows beside the chart: its sources and its downloads."""
        w = lambda k, **v: words.get(self.lang, f"panel.{k}", **v)  # noqa: E731
        texts = rec["langs"][self.lang]
        survey = self.survey_meta()
        kind = "infographic" if fig_id.startswith("info") else "figure"
        number = rec.get("number") or int(fig_id.rsplit("-", 1)[1])   # infographics count on their own
        base = f"{w(f'file.{kind}')}-{int(number):02d}"
        where = "../../downloads/figures/"
        repo = self.project.repository.rstrip("/")
        sources = [(w("question"), texts.get("question", ""), ""),
                   (w("asked"), f"{rec.get('population', {}).get(self.lang, '')} ({fmt.number(texts['n'], self.lang)})", "")]
        if rec.get("number") and rec.get("source_line"):
            sources.append((w("source"), w("source_text", number=fmt.number(rec["number"], self.lang),
                                           line=str(rec["source_line"])), ""))
        sources.append((w("data"), w("data_text", file=survey["file"], origin=w(f"origin.{survey['origin']}"),
                                     sha=survey["sha256"][:12] + "…"), ""))
        code = "analysis/figures.py, analysis/figures.yaml"
        sources.append((w("code"), f"{code} ({fig_id})", f"{repo}/blob/main/analysis/figures.yaml" if repo else ""))
        reconciliation = self._page_of("sec-bilag-afstemning")
        if reconciliation:   # the figure's own rows there
            from analysis.anchors import appendix_c_anchor

            sources.append((w("reconciliation"), w("reconciliation_text"), f"{reconciliation}#{appendix_c_anchor(fig_id)}"))
        labels = {k: w(k) for k in ("chart", "table", "sources", "download", "png")}
        downloads = [(w("csv"), f"{where}{base}.csv", f"{base}.csv"), (w("meta"), f"{where}{base}.json", f"{base}.json"),
                     (w("svg"), f"{where}{base}.svg", f"{base}.svg"), (w("spec"), f"{where}{base}.vl.json", f"{base}.vl.json")]
        pub = self.publication()
        meta = {"title": texts["title"], "question": texts.get("question", ""), "note": texts["note"],
                "base": texts["n"], "asked": rec.get("population", {}).get(self.lang, ""),
                "source": {"report": pub.original.get("title", ""), "publisher": pub.original.get("publisher", ""),
                           "figure": rec.get("number"), "line": rec.get("source_line")},
                "data": {"file": survey["file"], "sha256": survey["sha256"], "origin": survey["origin"]},
                "edition": {"number": pub.edition, "date": pub.date}, "licence": pub.licence_text,
                "columns": list(table.columns), "language": self.lang}
        return {"labels": labels, "sources": sources, "downloads": downloads, "base": base,
                "csv": locale_csv(table, self.lang), "meta": meta}

    def _page_of(self, section_id: str) -> str:
        """The page (a file name beside this chapter's) that holds a section, or ""."""
        for path in sorted((self.project.root / "chapters" / self.lang).glob("*.qmd")):
            if "{#" + section_id + "}" in path.read_text(encoding="utf-8").split("\n", 1)[0]:
                return path.with_suffix(".html").name
        return ""

    def appendix_letter(self, section_id: str) -> str:
        """The letter the book gives the appendix whose title carries `section_id` (its place
        under `book: appendices:` in the language's profile, as Quarto letters them), or ""."""
        from arena.render import config

        apx = [c for c in config.load(self.project.root, self.lang).chapters() if c.appendix]
        for i, ch in enumerate(apx):
            first = (self.project.root / ch.path).read_text(encoding="utf-8").split("\n", 1)[0]
            if "{#" + section_id + "}" in first:
                return chr(ord("A") + i)
        return ""

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
        frame = frame[[c for c in DOWNLOAD_COLUMNS if c in frame]]   # the artifact's JSON sorts keys
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

    def publication(self):
        """This edition's publication details in the page's language (arena/publication.py)."""
        from arena.publication import Publication
        from arena.render import config

        proj = config.load(self.project.root, self.lang)
        return Publication.from_config(self.lang, proj.book, proj.config.get("arena") or {},
                                       self.project.edition.number, f"{proj.output_file}.pdf")

    def citation_markdown(self) -> str:
        """How to cite this edition: the reference as text and the files for reference software."""
        from analysis.escape import md_text

        pub = self.publication()
        return (f"{md_text(words.get(self.lang, 'publication.cite_intro'))}\n\n> {md_text(pub.citation_text())}\n\n"
                f"{md_text(words.get(self.lang, 'publication.cite_files'))} [BibTeX](cite/arena-{self.lang}.bib), "
                f"[CSL-JSON](cite/arena-{self.lang}.json).\n")

    def figure_records(self) -> dict:
        return artifact(self.project, "figures", "figures.json")
