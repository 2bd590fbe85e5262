"""Display objects: the bridge between `analysis/` and the two renderers.

A chapter cell ends with a `Figure` or a `Table`. Jupyter asks it for a MIME bundle whose
visible part is ONE `text/markdown` output holding a raw `{=html}` block for the site and a raw
`{=typst}` block for the PDF (each writer keeps its own and drops the other):

* the HTML block: the interactive chart, a `<div>` holding the static SVG (works without
  JavaScript) plus a tiny script that replaces it with `vegaEmbed(...)`. The Vega libraries are
  served by the site itself (`site_libs/vega/vega-bundle.js`), never a CDN.
* the Typst block: the static chart from vl-convert, inline as an SVG image
* `text/plain`: the alternative text

No output carries `text/html` or `application/javascript`: real Quarto (1.10, `widgets.ts`) would
load require.js and jQuery from a public CDN on every page for any such output. Quarto takes
`text/markdown` for HTML (no `text/html` present) and for Typst (first in its list); the embedded
renderer makes the same choice (arena/render/assemble.py).

A figure's note and panel (numbers, sources, downloads) follow the chart in the same output:
Quarto would make the outputs of one figure cell sub-figures "(a)", "(b)", each with the caption.

This module is imported in every chapter kernel, so it imports nothing heavy at module level.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import re
import urllib.parse
from pathlib import Path
from typing import Any

# The escaping lives in analysis.escape; the old names stay importable from here.
from analysis.escape import csv_cell as csv_safe
from analysis.escape import html_attr, html_text, script_json, typst_string, typst_text  # noqa: F401

LANGS = ("da", "en")
_SVG_WIDTH = re.compile(r'<svg[^>]*\swidth="([\d.]+)(?:px)?"')
_MAX_WIDTH_PT = 440.0   # the text width of the PDF's page, as in arena/render/assemble.py
_VEGA_LOCALE = {"da": "da-DK", "en": "en-US"}


FONTS = Path(__file__).with_name("fonts")   # the charts' font, shipped with the project
_fonts_registered = False


def use_project_fonts() -> None:
    """Lay charts out in the project's own font files (the PDF gets the same files), not in
    whatever the machine has installed. Once per process."""
    global _fonts_registered
    if not _fonts_registered:
        import vl_convert as vlc

        vlc.register_font_directory(str(FONTS))
        _fonts_registered = True


def format_locale(lang: str) -> dict:
    """d3-format locale for Vega: Danish gets decimal comma, dot thousands and `76 %`."""
    import vl_convert as vlc

    use_project_fonts()   # every SVG is made after asking for a locale
    loc = dict(vlc.get_format_locale(_VEGA_LOCALE[lang]))
    if lang == "da":
        loc["percent"] = "\u00a0%"
    return loc
NUM = ' class="num"'
def _data_words(lang: str) -> dict[str, str]:
    """The figure's own words (analysis/words.yaml, keys `figure.*`)."""
    from analysis import words

    return words.section(lang, "figure")


def current_lang() -> str:
    """The language the chapter is rendered in: ARENA_LANG, else the Quarto profile, else 'da'."""
    lang = os.environ.get("ARENA_LANG", "")
    if lang in LANGS:
        return lang
    for prof in os.environ.get("QUARTO_PROFILE", "").split(","):
        if prof.strip() in LANGS:
            return prof.strip()
    return "da"


def _strip_xml_prolog(svg: str) -> str:
    return re.sub(r"^\s*<\?xml[^>]*>\s*", "", svg)


class Figure:
    """A chart: Vega-Lite spec + static SVG + alt text (+ the plotted data as CSV)."""

    def __init__(
        self,
        spec: dict,
        svg: str,
        lang: str,
        alt_text: str,
        table_csv: str | None = None,
        fig_id: str | None = None,
        note: str | None = None,
        web: dict | None = None,
        data_html: str | None = None,
        panels: dict | None = None,
    ) -> None:
        if lang not in LANGS:
            raise ValueError(f"lang must be one of {LANGS}, not {lang!r}")
        self.spec = spec
        self.svg = svg
        self.lang = lang
        self.alt_text = alt_text
        self.table_csv = table_csv
        self.note = note
        # The website's layouts (analysis.charts.web_specs): {"wide", "narrow", "wide_min"}.
        self.web = web or {"wide": spec, "narrow": None, "wide_min": 0}
        self.data_html = data_html   # the plotted numbers as a table, under the chart
        # The figure's panel (site only): {"labels": {chart, table, sources, download}, "sources":
        # [(label, text, href)], "downloads": [(label, href, filename)], "base": file name stem}.
        self.panels = panels
        digest = hashlib.sha256(script_json(spec).encode()).hexdigest()[:10]
        self.fig_id = fig_id or f"chart-{digest}"
        self.appendix_link: tuple[str, str] | None = None   # (href, text): its table in Appendix B

    @property
    def element_id(self) -> str:
        """The chart's element id (the figure itself carries `fig_id`)."""
        return f"{self.fig_id}-chart"

    # -- construction from an Altair chart -------------------------------------------------
    @classmethod
    def from_chart(cls, chart: Any, alt_text: str, lang: str | None = None,
                   table: Any = None, fig_id: str | None = None, note: str | None = None,
                   panels: dict | None = None) -> "Figure":
        """Build from an Altair chart (aggregated data only: Altair embeds what it is given)."""
        import vl_convert as vlc

        lang = lang or current_lang()
        # Schema validation costs ~0.15 s a chart; the chart builders are validated in tests.
        spec = chart.to_dict(validate=False)
        svg = vlc.vegalite_to_svg(spec, format_locale=format_locale(lang))
        table_csv = data_html = None
        if table is not None:
            table_csv = frame_to_csv(table)
            data_html = Table(table).to_html(label=_data_words(lang)["table"])
        from analysis import charts   # built the chart, so imported already

        return cls(spec, svg, lang, alt_text, table_csv=table_csv, fig_id=fig_id, note=note,
                   web=charts.web_specs(chart, spec), data_html=data_html, panels=panels)

    # -- Jupyter display -------------------------------------------------------------------
    def _embed_options(self) -> dict:
        # logLevel 1 = vega.Error: no console warning that Altair's Vega-Lite 5 spec compiles
        # to Vega 5 while the bundle carries Vega 6 (it renders the same).
        opts: dict[str, Any] = {"actions": False, "renderer": "svg", "logLevel": 1}
        if self.lang == "da":
            import vl_convert as vlc

            opts["formatLocale"] = format_locale("da")
            opts["timeFormatLocale"] = vlc.get_time_format_locale("da-DK")
        return opts

    def to_html(self) -> str:
        """The static SVG (an image named by the alternative text, focusable: the keyboard reaches
        every chart), the web layouts and a script that draws the right one with vega-embed
        (again when the width crosses `wide_min`) and gives the image its name back afterwards:
        vega-embed would call it "Vega visualization", in English, on every page."""
        el = html_attr(self.element_id)
        alt = html_attr(self.alt_text)
        static = _strip_xml_prolog(self.svg)
        wide, narrow = (dict(s, description=self.alt_text) if s else None
                        for s in (self.web["wide"], self.web["narrow"]))
        parts = [
            f'<div class="arena-chart" id="{el}" role="img" aria-label="{alt}" tabindex="0"'
            f' data-wide-min="{int(self.web["wide_min"])}" data-pagefind-ignore>{static}</div>',
            f'<script type="application/json" id="{el}-spec">{script_json(wide)}</script>',
        ]
        if narrow:
            parts.append(f'<script type="application/json" id="{el}-spec-narrow">{script_json(narrow)}</script>')
        parts += [
            f'<script type="application/json" id="{el}-opts">{script_json(self._embed_options())}</script>',
            "<script>(function(){"
            f'var id={script_json(self.element_id)};'
            "function go(){var el=document.getElementById(id);"
            "function get(k){var n=document.getElementById(id+k);return n?JSON.parse(n.textContent):null;}"
            "var wide=get('-spec'),narrow=get('-spec-narrow'),opts=get('-opts'),mode=null,view=null,t=0;"
            "var min=+el.getAttribute('data-wide-min')||0,alt=el.getAttribute('aria-label');"
            "function draw(){var m=(narrow&&el.clientWidth<min)?narrow:wide;if(m===mode){return;}mode=m;"
            "if(view){view.finalize();}el.innerHTML='';el.classList.add('arena-chart-live');"
            "window.vegaEmbed(el,m,opts).then(function(r){view=r;el.setAttribute('role','img');"
            "el.setAttribute('aria-label',alt);el.removeAttribute('aria-roledescription');"
            "el.setAttribute('data-arena-drawn','');})"
            ".catch(function(e){console.error(e);});}"
            "draw();window.addEventListener('resize',function(){clearTimeout(t);t=setTimeout(draw,150);});}"
            # The bundle is deferred: it has run by DOMContentLoaded (real Quarto inserts it
            # from a script, which has run by the load event).
            "function ready(){if(window.vegaEmbed){go();}else{window.addEventListener('load',go);}}"
            "if(document.readyState==='loading'){document.addEventListener('DOMContentLoaded',ready);}else{ready();}"
            "})();</script>",
        ]
        return "\n".join(parts)

    def note_html(self) -> str:
        """The note, then the figure's panel: the numbers behind the chart, its sources and its
        downloads. Without JavaScript they follow the chart one after the other; the page's
        script makes them tabs (Chart | Table | Sources | Download) around the chart."""
        words = _data_words(self.lang)
        parts = []
        if self.note:
            parts.append(f'<p class="arena-figure-note">{_html_text(self.note)}</p>')
        if not self.panels:   # a figure made outside the report: the table and a CSV link
            if self.data_html:
                parts.append(f'<details class="arena-chart-data" data-pagefind-ignore><summary>{words["table"]}</summary>'
                             f'{self.data_html}</details>')
            if self.table_csv is not None:
                href = "data:text/csv;charset=utf-8," + urllib.parse.quote(self.table_csv)
                parts.append(f'<p class="arena-chart-download" data-pagefind-ignore><a download="{html_attr(self.fig_id)}.csv" '
                             f'href="{href}">{words["csv"]}</a></p>')
            return "\n".join(parts)
        if self.appendix_link:   # the figure's numbered table in Appendix B
            href, text = self.appendix_link
            parts.append(f'<p class="arena-chart-appendix"><a href="{html_attr(href)}">{_html_text(text)}</a></p>')
        labels = self.panels["labels"]
        sections = []
        if self.data_html:
            sections.append(("table", self.data_html))
        rows = "".join(f"<dt>{_html_text(label)}</dt><dd>" + (f'<a href="{html_attr(href)}">{_html_text(text)}</a>'
                                                              if href else _html_text(text)) + "</dd>"
                       for label, text, href in self.panels["sources"])
        sections.append(("sources", f'<dl class="arena-sources">{rows}</dl>'))
        links = "".join(f'<li><a href="{html_attr(href)}" download="{html_attr(name)}">{_html_text(label)}</a></li>'
                        for label, href, name in self.panels["downloads"])
        links += (f'<li><button type="button" class="arena-png" data-chart="{html_attr(self.element_id)}" '
                  f'data-name="{html_attr(self.panels["base"])}.png">{_html_text(labels["png"])}</button></li>')
        sections.append(("download", f'<ul class="arena-downloads">{links}</ul>'))
        body = "".join(f'<section class="arena-panel" data-arena-panel="{name}" aria-label="{html_attr(labels[name])}">'
                       f'<h4 class="arena-panel-heading">{_html_text(labels[name])}</h4>{content}</section>'
                       for name, content in sections)
        parts.append(f'<div class="arena-panels" data-pagefind-ignore data-chart="{html_attr(self.element_id)}" '
                     f'data-labels="{html_attr(script_json(labels))}">{body}</div>')
        return "\n".join(parts)

    def to_typst(self) -> str:
        """The static chart for the PDF: the SVG inline (so Quarto's Typst needs no file), at its
        own size, or the text width when it is wider (as arena/render/assemble.py sizes images)."""
        m = _SVG_WIDTH.search(self.svg)
        width = ""
        if m:
            pt = float(m.group(1)) * 0.75
            width = ", width: 100%" if pt > _MAX_WIDTH_PT else f", width: {pt:.1f}pt"
        return raw_markdown("typst", f"#align(center, image(bytes({typst_string(self.svg)}), format: \"svg\""
                                     f"{width}, alt: {typst_string(self.alt_text)}))")

    def note_typst(self) -> str:
        """The note under the chart in the PDF (self-contained Typst, so Quarto renders it too)."""
        if not self.note:
            return ""
        return raw_markdown("typst", '#block(width: 100%, above: 0.6em, align(left, text(size: 8.5pt, '
                                     f'fill: rgb("#4a5561"))[{typst_text(self.note)}]))')

    FILES_MIME = "application/vnd.arena.figure-files+json"

    def download_files(self) -> dict[str, str]:
        """The figure's downloads as the files' text, by suffix (CSV for the locale, metadata,
        SVG, Vega-Lite spec): made once, with the chapter's outputs, not at every build."""
        def as_json(value) -> str:
            return json.dumps(value, ensure_ascii=False, indent=1, sort_keys=True) + "\n"

        return {".csv": self.panels["csv"], ".json": as_json(self.panels["meta"]), ".svg": self.svg,
                ".vl.json": as_json(self.web["wide"])}

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        # ONE output: Quarto makes sub-figures "(a)", "(b)" of a figure cell's several outputs.
        html = self.to_html()
        if self.note or self.table_csv is not None or self.panels:
            html += "\n" + self.note_html()
        bundle = {
            "text/markdown": "\n\n".join(b for b in (raw_markdown("html", html), self.to_typst(), self.note_typst()) if b),
            "text/plain": self.alt_text,
        }
        if self.panels:   # what the build writes as the figure's downloads (renderers ignore it)
            bundle[self.FILES_MIME] = {"base": self.panels["base"], "files": self.download_files()}
        return bundle

    def _ipython_display_(self) -> None:
        from IPython.display import display

        bundle = self._repr_mimebundle_()
        display(bundle, raw=True)
        root = os.environ.get("QUARTO_PROJECT_ROOT")   # set by real Quarto only
        if root and self.FILES_MIME in bundle:
            # Quarto keeps no outputs for a post-render step to read: hand over the figure's
            # downloads (arena/render/quarto_post.py writes them as the embedded build does).
            folder = Path(root) / ".arena-cache" / "quarto" / self.lang / "figures"
            folder.mkdir(parents=True, exist_ok=True)
            payload = bundle[self.FILES_MIME]
            (folder / f"{payload['base']}.json").write_text(json.dumps(payload, ensure_ascii=False, sort_keys=True),
                                                            encoding="utf-8")

    def __repr__(self) -> str:
        return f"Figure({self.fig_id!r}, {self.alt_text!r})"


def frame_to_csv(frame: Any) -> str:
    """A small DataFrame as CSV text, formula-safe (missing values empty, as in pandas)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([csv_safe(str(c)) for c in frame.columns])
    for row in frame.itertuples(index=False):
        writer.writerow(["" if v is None or (isinstance(v, float) and v != v) else csv_safe(v) for v in row])
    return out.getvalue()


class Table:
    """A small table, written out by us for both formats: HTML for the site and Typst for the PDF.

    Both go to Pandoc as raw blocks, which it passes through untouched: its pipe-table reader
    takes about 2 ms a row, and the appendices have over a thousand rows per language.
    """

    def __init__(self, frame: Any, caption: str | None = None, index: bool = False) -> None:
        self.frame = frame.reset_index() if index else frame
        self.caption = caption

    def _cells(self) -> tuple[list[str], list[list[str]]]:
        head = [str(c) for c in self.frame.columns]
        rows = [["" if v is None else str(v) for v in row] for row in self.frame.itertuples(index=False)]
        return head, rows

    @staticmethod
    def _numeric(text: str) -> bool:
        return bool(re.fullmatch(r"[-−+]?[\d.,\s\u00a0]+%?(–[\d.,]+)?", text.strip())) if text.strip() else False

    def _numeric_columns(self, head: list[str], rows: list[list[str]]) -> list[bool]:
        """Columns where every cell is a number: right-aligned in both formats."""
        return [rows != [] and all(self._numeric(r[i]) for r in rows) for i in range(len(head))]

    def to_html(self, label: str | None = None) -> str:
        """The table in a region of its own: focusable and named (by `label`, else the caption;
        a table with neither is named after the heading above it by arena.render.html), so a
        keyboard can scroll a table wider than the screen."""
        head, rows = self._cells()
        numeric = self._numeric_columns(head, rows)
        name = label or self.caption
        named = f' aria-label="{html_attr(name)}"' if name else ""
        out = [f'<div class="arena-table-wrap" role="region" tabindex="0"{named}><table class="arena-table">']
        if self.caption:
            out.append(f"<caption>{_html_text(self.caption)}</caption>")
        out.append("<thead><tr>" + "".join(
            f'<th{NUM if numeric[i] else ""}>{_html_text(h)}</th>' for i, h in enumerate(head)
        ) + "</tr></thead><tbody>")
        for r in rows:
            out.append("<tr>" + "".join(
                f'<td{NUM if numeric[i] else ""}>{_html_text(c)}</td>' for i, c in enumerate(r)
            ) + "</tr>")
        out.append("</tbody></table></div>")
        return "".join(out)

    def to_typst(self) -> str:
        """The table in Typst, in the shape Pandoc gives its own tables (a `figure` of kind
        table around a centred `table`), so the book template's table rules apply alike."""
        head, rows = self._cells()
        numeric = self._numeric_columns(head, rows)
        # Column widths: a table that fits in a line of text gets automatic widths; a wider one
        # shares the text width in proportion to each column's longest cell, within bounds (so
        # a column of numbers is not as wide as one of questions; +4 is room for cell padding).
        longest = max(len(" | ".join(r)) for r in [head] + rows) + 4
        if longest <= 72:
            columns = str(len(head))
        else:
            sizes = [min(max([len(h), 3] + [len(r[i]) for r in rows]), 32) + 4 for i, h in enumerate(head)]
            columns = "(" + ", ".join(f"{100 * w / sum(sizes):.2f}%" for w in sizes) + ",)"
        align = "(" + ",".join("right" if n else "left" for n in numeric) + ",)"
        lines = ["#figure(", "  align(center)[#table(", f"    columns: {columns},", f"    align: {align},",
                 "    table.header(" + ", ".join(f"[{typst_text(h)}]" for h in head) + ",),",
                 "    table.hline(),"]
        lines += ["    " + ", ".join(f"[{typst_text(c)}]" for c in r) + "," for r in rows]
        lines.append("  )]")
        if self.caption:
            lines.append(f"  , caption: [{typst_text(self.caption)}]")
        lines += ["  , kind: table", "  )"]
        return "\n".join(lines)

    def to_markdown(self) -> str:
        """Markdown carrying the table for both formats (each writer keeps its own raw block)."""
        return raw_markdown("html", self.to_html()) + "\n\n" + raw_markdown("typst", self.to_typst())

    def _repr_mimebundle_(self, include=None, exclude=None) -> dict:
        # One Markdown output for both formats; no text/html (see the module's docstring).
        return {"text/markdown": self.to_markdown(),
                "text/plain": self.frame.to_string(index=False)}


def _html_text(text: str) -> str:
    # An apostrophe in the data is typographic in print (Typst) and should be so here too.
    return html_text(text.replace("'", "\u2019"))


def raw_markdown(fmt: str, text: str) -> str:
    """A Pandoc raw block: `fmt` output gets `text` as it is; other formats drop it."""
    fence = "```"
    while fence in text:
        fence += "`"
    return f"{fence}{{={fmt}}}\n{text}\n{fence}"


# -- smoke-test content (replaced by the real figure registry in analysis/) ----------------
_EXAMPLE = {
    "da": {"title": "Eksempel", "cat": "Gruppe", "share": "Andel", "groups": ["Kommunal", "Regional", "Alle"],
           "alt": "Søjlediagram over et eksempel med tre grupper: Kommunal 62 %, Regional 48 %, Alle 61 %."},
    "en": {"title": "Example", "cat": "Group", "share": "Share", "groups": ["Municipal", "Regional", "All"],
           "alt": "Bar chart of an example with three groups: Municipal 62%, Regional 48%, All 61%."},
}

