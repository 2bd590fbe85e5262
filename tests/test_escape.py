"""analysis.escape, checked by the parsers that read its output: Pandoc reads md_text back as the
same plain text in one paragraph, and Typst reads typst_string back as the same characters.
(tests/test_escaping.py checks the built site and PDF end to end.)"""
from __future__ import annotations

import html
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from analysis.escape import md_text, typst_string

TEXTS = [
    "- a list?", "+ a list?", "1. a list?", "2019. a year", "iv. a roman list?", "A.  a letter list?",
    "1) a list?", "(@) an example list?", "# a heading?", "> a quote?", "| a | table |", ": a definition?",
    "---", "a -- b", "~~~", "% a title block?", "    an indented code block?",
    "<script>alert(1)</script>", "<!-- a comment -->", "&amp; an entity", "[x](javascript:alert(1))",
    "![i](x.png)", "<http://example.com>", "*bold* **strong** _u_ ~sub~ ^sup^ ~~strike~~", "`code`",
    "$x$ $$y$$ \\(z\\)", "[@cite] @cite", "[span]{.cls} {#id}", "a\\", "x\n- y\n1. z", "back\\slash",
]


def _pandoc_html(markdown: str) -> str:
    import pypandoc

    return pypandoc.convert_text(markdown, "html5", format="markdown", extra_args=["--wrap=none"]).strip()


def _plain(text: str) -> str:
    # What the reader should see: line breaks as spaces, smart quotes straight, one space each.
    text = text.translate(str.maketrans({"“": '"', "”": '"', "‘": "'", "’": "'"}))
    return re.sub(r"\s+", " ", text).strip()


@pytest.mark.parametrize("text", TEXTS)
@pytest.mark.parametrize("before", ["", "Some words "])   # at the start of a line, and inside one
def test_md_text_reads_back_as_the_same_text(text: str, before: str) -> None:
    out = _pandoc_html(before + md_text(text) + "\n")
    assert out.startswith("<p>") and out.endswith("</p>") and out.count("<") == 2, out
    assert _plain(html.unescape(out[3:-4])) == _plain(before + text)


def test_typst_string_reads_back_as_the_same_characters(tmp_path: Path) -> None:
    if not shutil.which("pdftotext"):
        pytest.skip("pdftotext not installed (apt-get install -y poppler-utils)")
    import typst

    text = 'Rådet "siger" \\ #panic("x") ] $ \\u00e6 \n\t\r\x01 {}'
    # Typst prints the code points of the string it read, as numbers: no typesetting in between.
    (tmp_path / "t.typ").write_text(
        "#set page(width: auto, height: auto)\n"
        f"#let s = {typst_string(text)}\n"
        '#s.codepoints().map(c => str(str.to-unicode(c))).join(",")\n', encoding="utf-8")
    typst.compile(str(tmp_path / "t.typ"), output=str(tmp_path / "t.pdf"))
    shown = subprocess.run(["pdftotext", str(tmp_path / "t.pdf"), "-"], capture_output=True, text=True,
                           check=True).stdout
    assert re.sub(r"\s+", "", shown) == ",".join(str(ord(c)) for c in text)
