"""Guards for the real-Quarto path that run without Quarto (CI).

Quarto 1.10 loads require.js and jQuery from a public CDN on every page of a notebook in which
any display output carries `text/html` or `application/javascript` (quarto-cli
src/core/jupyter/widgets.ts, `extractJupyterWidgetDependencies`). The chapters' outputs are
what Quarto's Jupyter engine would see: the embedded build executes every cell and keeps the
outputs per chapter in `.arena-cache/exec/<lang>/`, so they are read from there.
"""
from __future__ import annotations

import json

import pytest

# What makes Quarto add the CDN scripts (widgets.ts: kApplicationJavascript, kTextHtml).
CDN_TRIGGERS = ("text/html", "application/javascript")


def _outputs(root, lang):
    from arena.render import config

    files = sorted((root / ".arena-cache" / "exec" / lang).glob("*.json"))
    # One result per chapter: the build executed all of them (else the test would prove nothing).
    assert len(files) == len(config.load(root, lang).chapters()), files
    for f in files:
        result = json.loads(f.read_text(encoding="utf-8"))
        for cell, outputs in result.get("cells", {}).items():
            for out in outputs:
                yield f.name, cell, out


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["da", "en"])
def test_no_cell_output_makes_quarto_load_a_cdn(built_project, lang):
    bad, charts = [], 0
    for name, cell, out in _outputs(built_project, lang):
        data = out.get("data") or {}
        bad += [f"{name} cell {cell}: {mime}" for mime in CDN_TRIGGERS if mime in data]
        charts += 'class="arena-chart"' in data.get("text/markdown", "")
    assert not bad, "outputs Quarto would answer with CDN scripts:\n" + "\n".join(bad[:20])
    # The charts still reach the page, through text/markdown (raw HTML + raw Typst).
    assert charts >= 26, charts
