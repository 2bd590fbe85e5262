"""Charts show status: a value the source does not print is drawn as assumed (light, outlined,
no value label), and the figure's note says how many. Checked against the figure tables' own
statuses, which come from the numbers registry, not from the chart code."""
from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path

import pytest
import yaml

from conftest import REPO

PRINTED = {"printed", "differs", "inconsistent"}


def _norm(text: str) -> str:
    """Labels without white space: the charts wrap long labels onto lines."""
    return re.sub(r"\s+", "", str(text))
WORDS = yaml.safe_load((REPO / "analysis" / "words.yaml").read_text(encoding="utf-8"))


def _records(repo_artifacts: Path) -> dict:
    return json.loads((repo_artifacts / "figures" / "figures.json").read_text(encoding="utf-8"))


def _drawn(spec: dict) -> list[dict]:
    """The rows the chart's bars are drawn from (every dataset row with a drawn share)."""
    def walk(node):   # inline `values` and named `datasets` alike: lists of row objects
        if isinstance(node, dict):
            for v in node.values():
                yield from walk(v)
        elif isinstance(node, list):
            for v in node:
                if isinstance(v, dict) and "assumed" in v:
                    yield v
                else:
                    yield from walk(v)
    rows = list(walk(spec))
    return [r for r in rows if isinstance(r, dict) and "assumed" in r]


@pytest.mark.parametrize("lang", ["da", "en"])
def test_assumed_marks_follow_the_figure_tables(repo_artifacts: Path, lang: str) -> None:
    from analysis import figures

    checked = 0
    for fid, rec in _records(repo_artifacts).items():
        texts = rec["langs"][lang]
        chart = texts["chart"]
        if chart["builder"] == "infographic":
            continue
        spec = figures.build_chart(chart, lang).to_dict(validate=False)
        drawn = _drawn(spec)
        # Every assumed value has a status that is not printed in the figure's table, and
        # every value drawn as printed has a printed status there.
        status_of = {}
        for row in texts["download"]:
            key = (row.get("answer"), row.get("group")) if chart["builder"] == "bars" else (row["item"], row["answer"])
            status_of.setdefault(key, set()).add(row["status"])
        for row in drawn:
            if "side" in row:        # a net label, counted below
                continue
            if "x_start" in row:     # a Likert segment: its item and answer
                key = (next(l for v, l in chart["item_labels"].items() if _norm(l) ==
                            _norm(row["item"])), row["category"])
            else:                    # a bar: its answer (and group)
                key = (_norm(row["label"]), row.get("group"))
                key = next((k for k in status_of if k[0] and _norm(k[0]) == key[0]
                            and (key[1] is None or k[1] == key[1])), key)
            if chart["builder"] == "likert":
                key = next((k for k in status_of if _norm(k[0]) == _norm(key[0])
                            and k[1] == key[1]), key)
            statuses = status_of.get(key)
            assert statuses, (fid, key)
            assert row["assumed"] == (not statuses & PRINTED), (fid, key, statuses)
            checked += 1
        # The note says how many values are drawn as assumed (bars, segments and net labels).
        nets = [r for r in drawn if "x_start" not in r and "label" in r and "side" in r]
        announced = re.search(r"\((\d+)\)", texts["note"].split(WORDS["assumed_note"][lang].split("(")[0])[-1]) \
            if WORDS["assumed_note"][lang].split("(")[0] in texts["note"] else None
        count = rec["langs"][lang]["assumed_marks"]
        assert (int(announced.group(1)) if announced else 0) == count, fid
        assert count >= sum(r["assumed"] for r in drawn if "side" not in r), fid
    assert checked > 200


def test_no_assumed_marks_in_survey_mode() -> None:
    from analysis import figures

    rec = _records(REPO / "build" / "artifacts")["fig-02"]
    chart = dict(rec["langs"]["en"]["chart"])
    chart["rows"] = [{**r, "assumed": False} for r in chart["rows"]]   # what survey mode stores
    spec = figures.build_chart(chart, "en").to_dict(validate=False)
    assert not any(r["assumed"] for r in _drawn(spec))


@pytest.mark.slow
@pytest.mark.parametrize("lang", ["da", "en"])
def test_the_assumed_note_stands_under_its_figure_in_the_pdf(built_project: Path, lang: str) -> None:
    pdf = next((built_project / "_site" / lang).glob("*.pdf"))
    text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True, check=True).stdout
    flat = _norm(text)
    start = WORDS["assumed_note"][lang].split("(")[0].strip()
    records = _records(built_project / "build" / "artifacts")
    expected = sum(1 for r in records.values() if r["langs"][lang]["assumed_marks"])
    assert flat.count(_norm(start)) == expected > 10
