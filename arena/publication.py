"""Publication details, from one place: who made this edition, when, under which licence, on
what it builds, and how to cite it. Everything comes from the project's configuration:

    book:                      (_quarto.yml, and per language in _quarto-da.yml / _quarto-en.yml)
      title, subtitle, author  the report's title and its authors, in the page's language
      date                     this edition's release date (also the PDF's date)
      site-url                 where the site is published (absolute links, Open Graph); may be empty
    arena:
      edition: {number}
      licence: {text, code}    e.g. CC BY 4.0 for text and figures, MIT for the code
      original: {publisher, title, year, foreword}   the report this one re-publishes

The site's pages (meta tags, footer), the PDF's title page and metadata, and the citation files
(BibTeX, CSL-JSON) are all made from a `Publication`.
"""
from __future__ import annotations

import datetime as dt
import html
import json
from dataclasses import dataclass, field

from analysis import fmt, words

LOCALES = {"da": "da_DK", "en": "en_GB"}


@dataclass(frozen=True)
class Publication:
    lang: str
    title: str
    subtitle: str
    authors: tuple[str, ...]
    date: str                      # ISO date of this edition
    edition: int
    licence_text: str
    licence_code: str
    original: dict = field(default_factory=dict)
    site_url: str = ""
    pdf_name: str = ""

    @classmethod
    def from_config(cls, lang: str, book: dict, settings: dict, edition: int, pdf_name: str = "") -> "Publication":
        author = book.get("author") or []
        authors = tuple(str(a.get("name", a)) if isinstance(a, dict) else str(a)
                        for a in (author if isinstance(author, list) else [author]) if a)
        licence = settings.get("licence") or {}
        return cls(lang=lang, title=str(book.get("title", "")), subtitle=str(book.get("subtitle", "")),
                   authors=authors, date=str(book.get("date", "")), edition=edition,
                   licence_text=str(licence.get("text", "")), licence_code=str(licence.get("code", "")),
                   original=dict(settings.get("original") or {}),
                   site_url=str(book.get("site-url") or "").rstrip("/"), pdf_name=pdf_name)

    # -- words ---------------------------------------------------------------------------------
    def _w(self, key: str, **values) -> str:
        return words.get(self.lang, f"publication.{key}", **values)

    @property
    def long_date(self) -> str:
        return fmt.date(self.date, self.lang)

    @property
    def edition_line(self) -> str:
        return self._w("edition", number=fmt.number(self.edition, self.lang), date=self.long_date)

    @property
    def licence_line(self) -> str:
        return self._w("licence", text=self.licence_text, code=self.licence_code)

    @property
    def credit_line(self) -> str:
        o = self.original
        return self._w("credit", publisher=o.get("publisher", ""), title=o.get("title", ""),
                       year=str(o.get("year", "")), foreword=o.get("foreword", ""))

    def url(self, path: str) -> str:
        """An absolute address on the published site, or "" when no site-url is configured."""
        return f"{self.site_url}/{self.lang}/{path}" if self.site_url else ""

    # -- citation ------------------------------------------------------------------------------
    def citation_text(self) -> str:
        year = self.date[:4]
        where = f" {self.url('index.html')}" if self.site_url else ""
        return (f"{' & '.join(self.authors)} ({year}). {self.title}. {self.subtitle}. "
                f"{self._w('edition_short', number=fmt.number(self.edition, self.lang))}.{where}")

    def bibtex(self) -> str:
        def esc(text: str) -> str:   # BibTeX: braces keep case, and special characters escaped
            return "".join("\\" + c if c in "{}&%$#_" else c for c in text)

        key = f"arena{self.date[:4]}{self.lang}"
        fields = [("title", f"{{{esc(self.title)}: {esc(self.subtitle)}}}"),
                  ("author", " and ".join(f"{{{esc(a)}}}" for a in self.authors)),
                  ("year", self.date[:4]), ("date", self.date), ("edition", str(self.edition)),
                  ("language", {"da": "danish", "en": "english"}[self.lang]),
                  ("note", esc(self.credit_line))]
        if self.site_url:
            fields.append(("url", self.url("index.html")))
        body = ",\n".join(f"  {k} = {{{v}}}" for k, v in fields)
        return f"@book{{{key},\n{body}\n}}\n"

    def csl_json(self) -> list[dict]:
        day = dt.date.fromisoformat(self.date)
        item = {"id": f"arena-{self.date}-{self.lang}", "type": "book", "title": f"{self.title}: {self.subtitle}",
                "author": [{"literal": a} for a in self.authors], "edition": str(self.edition),
                "issued": {"date-parts": [[day.year, day.month, day.day]]}, "language": self.lang,
                "note": self.credit_line}
        if self.site_url:
            item["URL"] = self.url("index.html")
        return [item]

    def csl_json_text(self) -> str:
        return json.dumps(self.csl_json(), ensure_ascii=False, indent=1, sort_keys=True) + "\n"

    # -- the page ------------------------------------------------------------------------------
    def head_meta(self, page_title: str, page_href: str) -> str:
        """Description, Open Graph and Google Scholar (`citation_*`) meta tags, escaped."""
        e = lambda s: html.escape(s, quote=True)  # noqa: E731
        tags = [("name", "description", self.subtitle), ("name", "author", ", ".join(self.authors)),
                ("property", "og:title", f"{page_title} – {self.title}"), ("property", "og:description", self.subtitle),
                ("property", "og:type", "book"), ("property", "og:locale", LOCALES[self.lang]),
                ("property", "og:site_name", self.title),
                ("name", "citation_title", f"{self.title}: {self.subtitle}"),
                *[("name", "citation_author", a) for a in self.authors],
                ("name", "citation_publication_date", self.date.replace("-", "/")),
                ("name", "citation_language", self.lang)]
        if self.site_url:
            tags += [("property", "og:url", self.url(page_href)),
                     ("name", "citation_pdf_url", self.url(self.pdf_name))]
        return "\n".join(f'<meta {kind}="{e(name)}" content="{e(value)}">' for kind, name, value in tags)

    def footer_html(self, offset: str) -> str:
        e = html.escape
        return (f'<p class="publication">{e(self.edition_line)} · {e(", ".join(self.authors))} · '
                f'{e(self.licence_line)}</p>\n<p class="publication">{e(self.credit_line)} · '
                f'<a href="{offset}index.html#sec-citer">{e(self._w("cite"))}</a></p>')
