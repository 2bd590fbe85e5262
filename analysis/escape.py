"""Escaping for text from the data files: one function per place such text can land.

Every text read from `data/` (codebook questions and labels, `facts.csv`, `published.csv`,
`analysis/figures.yaml` titles and notes) is plain text. Before it is put into an output it goes
through the function for that sink, so it shows as written and never acts as markup or code:

    html_text      HTML element content                        <p>…</p>
    html_attr      an HTML attribute value in double quotes    alt="…"
    md_text        Pandoc Markdown running text (inline expressions, `output: asis` cells);
                   Pandoc then writes it to HTML and to Typst with its own escaping
    md_code        a Pandoc Markdown code span                 `…`
    typst_text     Typst markup                                [ … ]
    typst_string   a Typst string literal, quotes included     "…"
    script_json    JSON inside a <script> element (chart specs: Vega then writes the labels
                   and tooltips as text itself)
    csv_cell       a CSV cell a spreadsheet may open (formula guard)

Standard library only: `analysis.display` imports this in every chapter kernel.
"""
from __future__ import annotations

import html
import json
import re
from typing import Any

__all__ = ["html_text", "html_attr", "md_text", "md_code", "typst_text", "typst_string", "script_json",
           "csv_cell"]


def html_text(text: str) -> str:
    return html.escape(str(text), quote=False)


def html_attr(text: str) -> str:
    return html.escape(str(text), quote=True)


# ASCII punctuation Pandoc could read as markup; a backslash escapes any of it
# (all_symbols_escapable). Left alone: . , ; ? / % ' " -- they start nothing inline, and Pandoc's
# `smart` sets quotes, ellipses and the space after "St." in data text as in the prose.
_MD_PUNCT = re.compile(r"""([!#$&()*+\-:<=>@\[\\\]^_`{|}~])""")
# At the start of a line "1. x" or "iv. x" begins a list, and at the start of a document "% x" a
# title block: their last character gets the backslash.
_MD_LINE_START = re.compile(r"^(\d+\.|[A-Za-z]\.|[ivxlcdm]+\.|[IVXLCDM]+\.|%)")


def md_text(text: str) -> str:
    """Plain text as Pandoc Markdown for running text. Line breaks become spaces (a data text must
    not start a block of its own), and surrounding spaces go."""
    out = _MD_PUNCT.sub(r"\\\1", re.sub(r"\s*[\r\n]+\s*", " ", str(text)).strip())
    m = _MD_LINE_START.match(out)
    return out[:m.end() - 1] + "\\" + out[m.end() - 1:] if m else out


def md_code(text: str) -> str:
    """Plain text as a Pandoc code span: fenced by more backticks than the longest run inside
    (a space pads a text that starts or ends with a backtick)."""
    text = re.sub(r"[\r\n]+", " ", str(text))
    fence = "`" * (max((len(run) for run in re.findall(r"`+", text)), default=0) + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


_TYPST_MARKUP = re.compile(r"([\\#\[\]*_`$<>@~/=+\-])")


def typst_text(text: str) -> str:
    """Plain text as Typst markup: each character Typst gives a meaning is escaped. Quotes are
    left to Typst, which sets them typographically, as Pandoc's `smart` extension would."""
    out = _TYPST_MARKUP.sub(r"\\\1", str(text).replace("\n", " "))
    return re.sub(r"^(\d+)\.", r"\1\\.", out)  # "1." at the start would begin a numbered list


_TYPST_STRING_ESCAPES = {"\\": "\\\\", '"': '\\"', "\n": "\\n", "\r": "\\r", "\t": "\\t"}


def typst_string(text: str) -> str:
    """A Typst string literal. Not json.dumps: Typst knows only \\\\ \\" \\n \\r \\t and
    \\u{…}, so JSON's `\\u00e6` would print as those six characters."""
    def esc(ch: str) -> str:
        if ch in _TYPST_STRING_ESCAPES:
            return _TYPST_STRING_ESCAPES[ch]
        return f"\\u{{{ord(ch):x}}}" if ord(ch) < 0x20 or ord(ch) == 0x7F else ch

    return '"' + "".join(esc(ch) for ch in str(text)) + '"'


def script_json(obj: Any) -> str:
    """JSON safe to place inside a <script> element (no `</script>`, no `<!--`)."""
    text = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def csv_cell(value: Any) -> Any:
    """Neutralise spreadsheet formulas in CSV downloads (OWASP CSV injection): a text cell that
    starts with = + - @ tab or CR gets a leading apostrophe. Numbers are left as they are."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value
