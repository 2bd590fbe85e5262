"""Real Quarto builds the same site as the embedded renderer (issue 15).

Runs only where `quarto` is on PATH (a render of both profiles takes minutes): builds a copy of
the project with `arena build --engine embedded` and another with `--engine quarto`, pairs the
pages by path and compares what a reader gets (arena/render/parity.py: main-content text,
`data-claim` values, float anchors and numbers, headings, internal links, downloads), and the
two PDFs of each language by the float, chapter and appendix numbers they print.
ARENA_PARITY_REPORT=<file> writes the comparison there (docs/quarto-parity.md is one);
ARENA_TEST_BUILT / ARENA_TEST_QUARTO_BUILT reuse projects built already.
"""
from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from conftest import copy_project, run_build

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("quarto") is None, reason="quarto is not on PATH")]


@pytest.fixture(scope="module")
def quarto_project(tmp_path_factory) -> Path:
    """A copy of the project built by `arena build --engine quarto`; ARENA_TEST_QUARTO_BUILT=<dir>
    uses a project already built so (a render of both profiles takes minutes)."""
    given = os.environ.get("ARENA_TEST_QUARTO_BUILT")
    if given:
        assert (Path(given) / "_site" / "da" / "index.html").exists(), f"{given}: no _site/ built there"
        return Path(given)
    root = copy_project(tmp_path_factory.mktemp("quarto") / "arena")
    proc = run_build(root, "--engine", "quarto", "--quiet", timeout=3600)
    assert proc.returncode == 0, proc.stderr[-4000:]
    return root


def test_quarto_site_matches_the_embedded_site(built_project, quarto_project):
    from arena.render import parity

    emb, qua = built_project / "_site", quarto_project / "_site"
    pairs, unpaired = parity.compare(emb, qua)
    unpaired += parity.downloads(emb, qua)
    text = parity.report(pairs, unpaired, parity.compare_pdfs(emb, qua))
    if os.environ.get("ARENA_PARITY_REPORT"):
        Path(os.environ["ARENA_PARITY_REPORT"]).write_text(text, encoding="utf-8")
    assert len(pairs) == 42, text
    assert not unpaired and all(not p.problems for p in pairs), text


def test_quarto_pdf_numbers_as_the_embedded_pdf(built_project, quarto_project):
    """"Figur 15", not "Figur 8.1"; "Kapitel 4" and "Bilag B", and no numbered sections: every
    number printed with its word, in reading order, is the embedded PDF's."""
    from arena.render import parity

    pdfs = parity.compare_pdfs(built_project / "_site", quarto_project / "_site")
    text = parity.report([], [], pdfs)
    assert [p.lang for p in pdfs] == list(parity.LANGS), text
    assert all(p.numbers and not p.problem for p in pdfs), text


def test_quarto_pages_load_nothing_from_another_host(quarto_project):
    for page in (quarto_project / "_site").rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        remote = re.findall(r'<(?:script|link)\b[^>]*\b(?:src|href)="(?:https?:)?//[^"]*"', html)
        assert not remote, f"{page}: {remote[:3]}"
        # Charts are drawn from the site's own Vega bundle (quarto-header.html loads it).
        if 'class="arena-chart"' in html:
            assert "site_libs/vega/vega-bundle.js" in html and "require.min.js" not in html, page
