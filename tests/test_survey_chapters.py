"""Survey chapters say only what the data in hand supports.

With the reconstruction, a chapter that presents survey results (chapters 3-13, marked by
`Report(kind="survey")`) prints no number the reconstruction assumed and no test or count that
rests on assumed values; the chapter API refuses them at build time, naming file and line."""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from conftest import REPO, copy_project, run_build

SURVEY_CHAPTERS = sorted(p for lang in ("da", "en") for p in (REPO / "chapters" / lang).glob("*.qmd")
                         if 3 <= int(p.name[:2]) <= 13)
CALL = re.compile(r"""r\.(num|count|base|fraction|test)\(\s*["']([^"']+)["']\s*[,)]""")   # r.fraction(key, of=10) too


def test_every_survey_chapter_is_marked() -> None:
    assert len(SURVEY_CHAPTERS) == 22
    for path in SURVEY_CHAPTERS:
        assert re.search(r'^r = Report\(kind="survey"\)', path.read_text(encoding="utf-8"), re.M), path.name


def test_no_survey_chapter_prints_what_rests_on_assumptions(repo_artifacts: Path) -> None:
    numbers = json.loads((repo_artifacts / "numbers" / "numbers.json").read_text(encoding="utf-8"))
    published = {}
    import csv

    with (REPO / "data/published/published.csv").open(encoding="utf-8", newline="") as fh:
        for row in csv.DictReader(fh):
            published[row["claim_id"]] = row["status"]
    problems = []
    for path in SURVEY_CHAPTERS:
        for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            for fn, key in CALL.findall(line):
                if published[key] == "assumption":   # the source file's own word: not printed
                    problems.append(f"{path.name}:{i} {fn}({key}) is an assumption")
                elif fn == "test" and numbers[key]["rests_on"] != "printed":
                    problems.append(f"{path.name}:{i} test({key}) rests on {numbers[key]['rests_on']}")
                elif fn in ("count", "base") and not numbers[key][f"{fn}_printed"]:
                    problems.append(f"{path.name}:{i} {fn}({key}) is not printed by the source")
    assert not problems, problems


@pytest.mark.slow
def test_a_test_resting_on_assumptions_stops_the_build_and_survey_mode_prints_it(tmp_path: Path) -> None:
    root = copy_project(tmp_path / "arena")
    chapter = root / "chapters/en/09-competences.qmd"
    text = chapter.read_text(encoding="utf-8")
    sentence = 'The difference is `{python} r.test("p2340.active_more_self_comp")`.'
    chapter.write_text(text + "\n" + sentence + "\n", encoding="utf-8")
    line = len(text.splitlines()) + 2
    proc = run_build(root, "--engine", "embedded", "--quiet", "--lang", "en", "--format", "html")
    assert proc.returncode == 1
    assert f"chapters/en/09-competences.qmd:{line}" in proc.stderr, proc.stderr
    assert "rests on values the reconstruction assumed" in proc.stderr
    assert "Traceback" not in proc.stderr.split("\n")[0]
    assert not (root / "_site").exists()
    # The same sentence with a survey export: the data supports it, and the test is printed.
    import subprocess
    import sys

    env = {k: v for k, v in __import__("os").environ.items() if k != "ARENA_ROOT"}
    subprocess.run([sys.executable, "-m", "arena.cli", "import-survey", "data/raw/survey.csv"], cwd=root,
                   env=env, check=True, capture_output=True)
    cfg = root / "_quarto.yml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("data-mode: reconstruction", "data-mode: survey"),
                   encoding="utf-8")
    proc = run_build(root, "--engine", "embedded", "--quiet", "--lang", "en", "--format", "html")
    assert proc.returncode == 0, proc.stderr
    page = re.sub(r"<[^>]+>", "", (root / "_site/en/chapters/en/09-competences.html").read_text(encoding="utf-8"))
    assert re.search(r"The difference is (not )?statistically significant \((chi-square|Fisher)[^)]*p [=&lt;]", page)


@pytest.mark.slow
@pytest.mark.parametrize("lang, reconciliation", [("da", "18-bilag-afstemning.html"),
                                                  ("en", "18-appendix-reconciliation.html")])
def test_front_page_says_how_this_edition_was_made(built_project: Path, lang: str, reconciliation: str) -> None:
    import yaml

    words = yaml.safe_load((REPO / "analysis/words.yaml").read_text(encoding="utf-8"))
    page = (built_project / "_site" / lang / "index.html").read_text(encoding="utf-8").replace("\u2019", "'")
    text = re.sub(r"<[^>]+>", "", page)
    statement = words["data.reconstruction"][lang]
    assert statement.split(":")[0] in text and statement.split(":")[1].split(".")[0].strip() in text
    assert re.search(rf'href="chapters/{lang}/{reconciliation}"', page)
