"""Links that leave the page: `.qmd` links become pages (HTML) or headings (PDF); a PDF has no
relative link (downloaded, it has no site next to it); the search index is there per language.
Static checks of the built copy (the browser tests follow every link on the site itself)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

slow = pytest.mark.slow
LANGS = ("da", "en")


@slow
def test_no_link_to_a_qmd_file_on_the_site(built_project: Path) -> None:
    site = built_project / "_site"
    for lang in LANGS:
        front = (site / lang / "index.html").read_text(encoding="utf-8")
        # the front page's "what you find where" list links to the chapters' pages
        assert f'href="chapters/{lang}/01-' in front
        for page in (site / lang).rglob("*.html"):
            hrefs = re.findall(r'href="([^"]*)"', page.read_text(encoding="utf-8"))
            assert not [h for h in hrefs if re.search(r"\.qmd(#|$)", h)], page


@slow
def test_pdf_links_are_in_document_or_absolute(built_project: Path) -> None:
    for lang in LANGS:
        pdf = (built_project / "_site" / lang / f"arena-{lang}.pdf").read_bytes()
        uris = [u.decode("latin-1") for u in re.findall(rb"/URI\s*\(([^)]*)\)", pdf)]
        assert uris, "no link annotation found: has the PDF's structure changed?"
        assert [u for u in uris if not re.match(r"(https?|mailto):", u)] == []
        assert "qmd" not in " ".join(uris)
        # the front page's chapter links became links inside the document (to the chapter heading)
        links = re.findall(rb"<<[^<>]*/Subtype\s*/Link[^<>]*>>", pdf)
        assert any(b"/Dest(sec-om-rapporten)" in link for link in links)


@slow
def test_search_index_per_language(built_project: Path) -> None:
    site = built_project / "_site"
    for lang in LANGS:
        index = site / lang / "pagefind"
        assert (index / "pagefind.js").is_file()
        assert list(index.glob(f"pagefind.{lang}_*.pf_meta")), "indexed in its own language"
        assert not (index / "pagefind-ui.js").exists()     # the page template has its own search box
        page = (site / lang / "index.html").read_text(encoding="utf-8")
        assert 'data-pagefind-body' in page and 'role="search"' in page
