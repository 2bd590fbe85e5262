"""The project's typst-show.typ partial (arena/render/templates/quarto-typst/) numbers a Quarto
Typst book as the embedded PDF does, without Quarto: the partial filled by Pandoc as Quarto's
template would fill it, followed by a stored body shaped like Quarto 1.10's single-file book
(tests/fixtures/quarto-typst/book-body.typ: Quarto's per-chapter counter reset, orange-book.lua's
appendix lines), compiled with the `typst` package and read back with pdftotext."""
from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

from arena.render import parity
from arena.render.html import pandoc_path

ROOT = Path(__file__).resolve().parents[1]
PARTIAL = ROOT / "arena" / "render" / "templates" / "quarto-typst" / "typst-show.typ"
BODY = ROOT / "tests" / "fixtures" / "quarto-typst" / "book-body.typ"

pytestmark = pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext (poppler) is not installed")

META = """\
title: Bogen
subtitle: Undertitel
lang: da
mainfont: Libertinus Serif
fontsize: 10.5pt
quarto:
  language:
    crossref-ch-prefix: Kapitel
    crossref-apx-prefix: Bilag
"""


def publication(lang: str):
    from arena.publication import Publication
    from arena.render import config

    merged = config.load(ROOT, lang).config
    settings = merged["arena"]
    return Publication.from_config(lang, merged["book"], settings, int(settings["edition"]["number"])), settings


def render(tmp_path: Path) -> str:
    import typst
    import yaml

    pub, settings = publication("da")
    (tmp_path / "typst-show.typ").write_bytes(PARTIAL.read_bytes())
    (tmp_path / "template.typ").write_text("$typst-show.typ()$\n", encoding="utf-8")
    # Quarto gives the template the project's `arena:` settings and the date as `date-format` says
    meta = yaml.safe_load(META) | {"arena": settings, "date": pub.long_date}
    (tmp_path / "meta.yaml").write_text(yaml.safe_dump(meta, allow_unicode=True), encoding="utf-8")
    (tmp_path / "analysis").mkdir()
    shutil.copy(ROOT / "analysis" / "words.yaml", tmp_path / "analysis" / "words.yaml")
    head = subprocess.run([pandoc_path(), "--from", "markdown", "--to", "typst", "--template",
                           str(tmp_path / "template.typ"), "--metadata-file", str(tmp_path / "meta.yaml")],
                          input="", capture_output=True, text=True, check=True).stdout
    main = tmp_path / "book.typ"
    main.write_text(head + "\n" + BODY.read_text(encoding="utf-8"), encoding="utf-8")
    pdf = tmp_path / "book.pdf"
    pdf.write_bytes(typst.compile(str(main), root=str(tmp_path), ignore_system_fonts=True, format="pdf"))
    return parity.pdf_text(pdf)


def test_floats_through_the_book_chapters_only_appendices_lettered(tmp_path):
    text = render(tmp_path)
    assert parity.pdf_numbers(text) == [
        "Bilag A", "Bilag B",                                # contents: appendices carry their word
        "Kapitel 1", "Bilag B",                              # references from the preface
        "Kapitel 1", "Infografik 1", "Figur 1",              # chapter 1: heading, references
        "Figur 1", "Infografik 1",                           # its captions
        "Kapitel 2", "Figur 2", "Tabel 1",                   # chapter 2: Quarto reset the counters here
        "Figur 2", "Tabel 1",
        "Bilag A", "Figur 3",                                # appendix A refers forward
        "Bilag B", "Figur 3",                                # appendix B, its figure through the book
    ], text
    # number-depth: 1 — sections carry no number ("1.1"), in the contents or the text
    assert "Et afsnit" in text and not re.search(r"\d\.\d\s*Et afsnit", text), text
    # one page for the title, then the contents, then a page per chapter (no blank pages)
    assert text.count("\f") == 8, text


def test_title_page_worded_as_the_embedded_one(tmp_path):
    pub, _ = publication("da")
    page = render(tmp_path).split("\f")[0]
    # one line (the date "6. december" must not start a numbered list in Typst's markup)
    assert pub.edition_line in page.splitlines(), page
    for line in (pub.credit_line, pub.licence_line):   # these wrap
        assert " ".join(line.split()) in " ".join(page.split()), page


@pytest.mark.parametrize("lang", ["da", "en"])
def test_footnote_names_unique_in_the_joined_book(lang):
    """Quarto joins a language's chapters into one document for the PDF: a footnote name used in
    two chapters ([^kilde]) gives both the text of one of them."""
    from arena.render import config

    seen: dict[str, str] = {}
    for ch in config.load(ROOT, lang).chapters():
        for name in re.findall(r"^\[\^([^\]]+)\]:", (ROOT / ch.path).read_text(encoding="utf-8"), re.M):
            assert name not in seen, f"{ch.path}: footnote [^{name}] is also defined in {seen[name]}"
            seen[name] = ch.path
    assert seen


# A joined book as Quarto writes it for the English profile before Pandoc: index.qmd's title taken
# from its first heading (the Danish one), then the English block with its own heading.
JOINED = """\
<!-- quarto-file-metadata: aW5kZXg= -->

# Forord {#forord .unnumbered}

::: {.content-visible when-profile="en"}
# Preface {#preface .unnumbered}

How do local politicians lead innovation?
:::

<!-- quarto-file-metadata: MDE= -->

# About this edition {#sec-about}

::: {.cell}
:::

Text.

::: {.quarto-book-part}
# Appendices {.unnumbered}
:::

# Codebook {#sec-codebook}

Text.
"""


def headings_after_filter(markdown: str) -> list[str]:
    import json

    lua = ROOT / "arena" / "render" / "templates" / "quarto-typst" / "index-title.lua"
    out = subprocess.run([pandoc_path(), "--from", "markdown", "--to", "json", "--lua-filter", str(lua)],
                         input=markdown, capture_output=True, text=True, check=True).stdout
    found = []

    def walk(blocks):
        for b in blocks:
            if b["t"] == "Header":
                found.append(f'{b["c"][0]} {b["c"][1][0]}')
            elif b["t"] == "Div":
                walk(b["c"][1])
    walk(json.loads(out)["blocks"])
    return found


def test_index_title_of_the_other_language_is_dropped():
    assert headings_after_filter(JOINED) == ["1 preface", "1 sec-about", "1 appendices", "1 sec-codebook"]


def test_a_chapter_title_with_its_text_is_kept():
    danish = JOINED.replace("::: {.content-visible when-profile=\"en\"}\n# Preface {#preface .unnumbered}\n", "::: {}\n")
    assert headings_after_filter(danish) == ["1 forord", "1 sec-about", "1 appendices", "1 sec-codebook"]
