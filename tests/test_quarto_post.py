"""The real-Quarto post-render step (arena/render/quarto_post.py) on a stored page of Quarto output.

tests/fixtures/quarto-sample/ holds a page as Quarto 1.10.18 wrote it (`quarto render
chapters/da/08-risikovillighed.qmd --profile da --to html` with ARENA_QUARTO_POST=off; chart SVG
and specs emptied to keep it small). Quarto numbers that chapter's figures 1-5; the book numbers
them 15-19, as the source does. Runs without Quarto.
"""
from __future__ import annotations

import csv
import io
import json
import re
import shutil
from pathlib import Path

from conftest import REPO

SAMPLE = Path(__file__).parent / "fixtures" / "quarto-sample"
PAGE = "chapters/da/08-risikovillighed.html"


def test_post_render_gives_quarto_output_what_the_embedded_site_has(tmp_path, monkeypatch):
    from arena.render import quarto_post

    out = tmp_path / "_site" / "da"
    shutil.copytree(SAMPLE / "da", out)
    before = (out / PAGE).read_text(encoding="utf-8")
    assert 'class="quarto-xref">Figur&nbsp;<span>1</span>' in before   # Quarto's own numbering
    staged = REPO / ".arena-cache" / "quarto" / "da" / "figures"
    staged.mkdir(parents=True, exist_ok=True)
    payload = {"base": "test-figure", "files": {".csv": "a;b\n1;2\n", ".svg": "<svg/>", ".json": '{"k": 1}\n'}}
    (staged / "test-figure.json").write_text(json.dumps(payload), encoding="utf-8")
    monkeypatch.chdir(REPO)
    monkeypatch.setenv("QUARTO_PROJECT_OUTPUT_DIR", str(out))
    monkeypatch.setenv("QUARTO_PROFILE", "da")
    monkeypatch.delenv("ARENA_QUARTO_POST", raising=False)

    assert quarto_post.main() == 0
    page = (out / PAGE).read_text(encoding="utf-8")

    # Figures numbered through the book (the ids carry the source's numbers), in the captions
    # and in the references.
    for n in range(15, 20):
        assert re.search(rf'id="fig-{n}-caption-[^"]*">\s*Figur&nbsp;{n}:', page), n
        assert f'href="#fig-{n}" class="quarto-xref">Figur&nbsp;<span>{n}</span>' in page, n
    # The language switch and hreflang point at the same chapter in English.
    twin = "../../../en/chapters/en/08-risk.html"
    assert f'<link rel="alternate" hreflang="en" href="{twin}">' in page
    assert re.search(rf'<a class="arena-lang-switch" href="{re.escape(twin)}" hreflang="en" lang="en"', page)
    # Charts are drawn from the site's own bundle, and no page asks a CDN for anything.
    assert (out / "site_libs" / "vega" / "vega-bundle.js").stat().st_size > 100_000
    assert not re.search(r'<script[^>]+src="(?:https?:)?//', page)
    # The downloads, numbered like the book: every number of figure 15 says "15".
    rows = list(csv.DictReader(io.StringIO((out / "downloads" / "numbers.csv").read_text(encoding="utf-8-sig")),
                               delimiter=";"))
    fig15 = [r for r in rows if r["nøgle"].startswith("fig15.")]
    assert fig15 and {r["figur"] for r in fig15} == {"15"}
    assert (out / "downloads" / "codebook.csv").exists() and (out / "downloads" / "data-dictionary.csv").exists()
    # The figure files handed over by the kernel, then the hand-over folder is gone.
    assert (out / "downloads" / "figures" / "test-figure.csv").read_text(encoding="utf-8") == "a;b\n1;2\n"
    assert not staged.exists()
    assert (out / "cite" / "arena-da.bib").exists()
    # The reader's tools of the embedded pages: the shared script and stylesheet (copied, and
    # linked relative to the page), and the provenance of exactly the numbers on this page.
    assert '<script src="../../site_libs/arena/reader.js"></script>' in page
    assert '<link rel="stylesheet" href="../../site_libs/arena/reader.css">' in page
    assert (out / "site_libs" / "arena" / "reader.js").exists() and (out / "site_libs" / "arena" / "reader.css").exists()
    blob = re.search(r'<script type="application/json" id="arena-claims">(.*?)</script>', page, re.S)
    assert blob, "no provenance data on the page"
    on_page = set(re.findall(r'data-claim="([^"]+)"', before))
    assert on_page and set(json.loads(blob.group(1))["claims"]) == on_page
    assert re.search(r'<a class="arena-lang-switch"[^>]*data-arena-switch', page)
    # The references' previews (Quarto's own hover is off): each referenced float's caption
    # with the book's number, as the figure on the page prints it.
    previews = re.search(r'<script type="application/json" id="arena-xref-previews">(.*?)</script>', page, re.S)
    assert previews, "no preview data on the page"
    previews = json.loads(previews.group(1))
    referenced = set(re.findall(r'#((?:fig|tbl|inf)-[\w-]+)" class="quarto-xref"', page))
    assert referenced and set(previews) == referenced
    for fid, text in previews.items():
        assert re.fullmatch(rf"Figur {int(fid.split('-')[1])}: \S.*", text), (fid, text)
    # Run twice (Quarto reruns it on every render): nothing is added twice.
    assert quarto_post.main() == 0
    assert (out / PAGE).read_text(encoding="utf-8") == page


def test_references_to_appendices_read_as_the_embedded_site_writes_them():
    """Quarto words a reference to an appendix "Kapitel C" on chapter pages and "Bilag C — Title"
    on the front page; post-render makes both "Bilag C", the letter from the profile's order."""
    import yaml

    from arena.build import book_index
    from arena.render import config, qmd, quarto_post

    profile = yaml.safe_load((REPO / "_quarto-da.yml").read_text(encoding="utf-8"))
    appendices = profile["book"]["appendices"]
    target = next(a for a in appendices if "afstemning" in a)
    letter = "ABCDEFGH"[appendices.index(target)]
    proj = config.load(REPO, "da")
    chapters = proj.chapters()
    docs = [qmd.parse((REPO / ch.path).read_text(encoding="utf-8"), ch.path, "da") for ch in chapters]
    _, refs = book_index(proj, chapters, docs)
    name = Path(target).with_suffix(".html").name
    chapter_page = f'står i <a href="{name}" class="quarto-xref"><span>Kapitel {letter}</span></a>.'
    front_page = (f'i <a href="chapters/da/{name}" class="quarto-xref"><span>Bilag {letter} — '
                  'Afstemning med den trykte rapport</span></a>,')
    chapter_link = '<a href="06-tre-delsektorer.html" class="quarto-xref"><span>Kapitel 6</span></a>'
    html = quarto_post.appendix_references(chapter_page + front_page + chapter_link, refs, "Bilag")
    assert html.count(f"<span>Bilag {letter}</span></a>") == 2, html
    assert chapter_link in html     # a reference to a chapter keeps its word and number


def test_the_home_page_is_named_in_the_page_language():
    """Quarto names index.qmd after its source's first heading (the Danish block's), on the
    English site too; post-render names it as the English home page's own heading."""
    from arena.render import qmd, quarto_post

    text = (REPO / "index.qmd").read_text(encoding="utf-8")
    danish, english = qmd.parse(text, "index.qmd", "da").title, qmd.parse(text, "index.qmd", "en").title
    assert danish != english
    assert quarto_post._source_title(REPO / "index.qmd") == danish
    # Quarto's markup (1.10.18) around the home page's name: sidebar, breadcrumb, previous link.
    page = ('<a href="../../index.html" class="sidebar-item-text sidebar-link">\n <span class="menu-text">{t}</span></a>'
            '<li class="breadcrumb-item"><a href="./index.html">{t}</a></li>'
            '<a href="../../index.html" class="pagination-link" aria-label="{t}">'
            '<i class="bi bi-arrow-left-short"></i> <span class="nav-page-text">{t}</span></a>'
            '<p>{t} is a word in the text.</p>')
    fixed = quarto_post.home_title(page.format(t=danish), danish, english)
    assert fixed == page.format(t=english).replace(f"<p>{english} is", f"<p>{danish} is")
    assert quarto_post.home_title(page.format(t=danish), danish, danish) == page.format(t=danish)
