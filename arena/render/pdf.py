"""Pandoc -> Typst -> PDF: one PDF per language with every chapter.

Each chapter is converted to Typst as its own document (footnote labels and heading ids stay per
chapter; all in one Pandoc process, see html.convert) and the pieces are placed into
`templates/book.typ` (title page, contents, page numbers, language words).
Typst is compiled by the `typst` package with its embedded fonts only and a fixed timestamp, so
the PDF is byte-identical from build to build and machine to machine.
"""
from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

from analysis.escape import typst_string
from arena import interrupt
from arena.render.html import TEMPLATES, fill

MONTHS = {
    "da": ["januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
           "oktober", "november", "december"],
    "en": ["January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December"],
}


class TypstFailure(RuntimeError):
    pass


def book_date(value: object) -> dt.date:
    """The report's date: SOURCE_DATE_EPOCH if set, else book.date, else 1 Jan 2025."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if epoch:
        return dt.datetime.fromtimestamp(int(epoch), dt.timezone.utc).date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        return dt.date(2025, 1, 1)


def long_date(day: dt.date, lang: str) -> str:
    month = MONTHS[lang][day.month - 1]
    return f"{day.day}. {month} {day.year}" if lang == "da" else f"{day.day} {month} {day.year}"


def build_pdf(*, lang: str, words: dict, book: dict, chapters_typst: list[str], workdir: Path,
              out_pdf: Path, publication=None) -> None:
    import typst

    day = book_date(book.get("date"))
    values = {
        "lang_str": typst_string(lang),
        "title_str": typst_string(str(book.get("title", "ARENA"))),
        "subtitle_str": typst_string(str(book.get("subtitle", ""))),
        "author_str": typst_string(", ".join(publication.authors) if publication else str(book.get("author", ""))),
        "edition_str": typst_string(publication.edition_line if publication else ""),
        "licence_str": typst_string(publication.licence_line if publication else ""),
        "credit_str": typst_string(publication.credit_line if publication else ""),
        "date_str": typst_string(long_date(day, lang)),
        "date_typst": f"datetime(year: {day.year}, month: {day.month}, day: {day.day})",
        "chapter_word_str": typst_string(words["chapter"]),
        "apx_word_str": typst_string(words["apx"]),
        "appendices_word_str": typst_string(words["appendices"]),
        "contents_word_str": typst_string(words["contents"]),
        "body": "\n\n".join(chapters_typst),
    }
    source = fill(TEMPLATES / "book.typ", values)
    workdir.mkdir(parents=True, exist_ok=True)
    main = workdir / "book.typ"
    main.write_text(source, encoding="utf-8")
    stamp = dt.datetime(day.year, day.month, day.day, tzinfo=dt.timezone.utc)
    interrupt.pause("pdf")
    try:
        from analysis.display import FONTS   # the charts' font: the PDF draws them alike

        pdf = typst.compile(str(main), root=str(workdir), ignore_system_fonts=True, font_paths=[str(FONTS)],
                            timestamp=int(stamp.timestamp()), format="pdf")
    except Exception as exc:  # typst.TypstError carries the message with file and line
        raise TypstFailure(f"Typst failed for {lang} ({main}): {exc}") from None
    interrupt.check()   # Typst runs in this process and cannot be stopped: drop its result
    out_pdf.parent.mkdir(parents=True, exist_ok=True)
    out_pdf.write_bytes(pdf)
