"""Provenance: data modes, statuses, the step graph's caching, and the direction of imports.

Expected values are counted here from the CSV files with the standard library, never taken
from the program's artifacts.
"""
from __future__ import annotations

import ast
import csv
import io
import json
import os
import re
import subprocess
import sys
import urllib.parse
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import pytest

from conftest import REPO, copy_project, tree_hashes


def arena(root: Path, *args: str, cwd: Path | None = None, env: dict | None = None,
          timeout: int = 600) -> subprocess.CompletedProcess:
    """`arena ...` as a user runs it: from inside the project, no ARENA_ROOT."""
    environ = {k: v for k, v in os.environ.items() if k != "ARENA_ROOT"}
    environ.update(env or {})
    return subprocess.run([sys.executable, "-m", "arena.cli", *args], cwd=cwd or root, env=environ,
                          capture_output=True, text=True, timeout=timeout)


def half_up(x: float) -> int:
    return int(Decimal(str(x)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def read_rows(path: Path) -> tuple[list[str], list[dict]]:
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        return reader.fieldnames, list(reader)


def write_rows(path: Path, header: list[str], rows: list[dict]) -> None:
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, header, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)


def move_answers(root: Path, variable: str, old: str, new: str, k: int) -> None:
    header, rows = read_rows(root / "data/raw/survey.csv")
    moved = 0
    for row in rows:
        if moved < k and row[variable] == old:
            row[variable], moved = new, moved + 1
    assert moved == k
    write_rows(root / "data/raw/survey.csv", header, rows)


def set_mode(root: Path, mode: str) -> None:
    cfg = root / "_quarto.yml"
    text = cfg.read_text(encoding="utf-8")
    cfg.write_text(re.sub(r"data-mode: \w+", f"data-mode: {mode}", text), encoding="utf-8")


def shares(root: Path, variable: str) -> dict[str, int]:
    """Whole per cent of each code of a variable among everyone who answered it."""
    _, rows = read_rows(root / "data/raw/survey.csv")
    values = [r[variable] for r in rows if r[variable] != ""]
    return {c: half_up(100 * values.count(c) / len(values)) for c in sorted(set(values))}


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    return copy_project(tmp_path / "arena")


# ---------------------------------------------------------------- data modes

@pytest.mark.slow
def test_survey_export_with_moved_segments_builds_in_survey_mode(project: Path) -> None:
    # Ten answers move from "strongly agree" (4) to "partly agree" (3): the printed nets hold.
    move_answers(project, "cult_renew", "4", "3", 10)
    before = shares(REPO, "cult_renew")
    after = shares(project, "cult_renew")
    assert after["3"] != before["3"] and after["4"] != before["4"]

    # The swap without telling the project: a clear error, nothing built.
    proc = arena(project, "build", "--quiet", "--lang", "en", "--format", "html")
    assert proc.returncode == 1
    assert "data/raw/survey.meta.json" in proc.stderr and "import-survey" in proc.stderr
    assert "Traceback" not in proc.stderr and not (project / "_site").exists()

    assert arena(project, "import-survey", "data/raw/survey.csv").returncode == 0
    # The metadata says survey, the configuration still says reconstruction: a clear error.
    proc = arena(project, "build", "--quiet", "--lang", "en", "--format", "html")
    assert proc.returncode == 1 and "arena.data-mode" in proc.stderr and "Traceback" not in proc.stderr

    set_mode(project, "survey")
    proc = arena(project, "reconcile", "--strict")
    assert proc.returncode == 0, proc.stderr
    assert "0 differs" in proc.stdout

    # Built from a subdirectory: the project is found upwards.
    proc = arena(project, "build", "--quiet", "--lang", "en", "--format", "html", cwd=project / "chapters" / "en")
    assert proc.returncode == 0, proc.stderr
    import yaml

    said = yaml.safe_load((REPO / "analysis/words.yaml").read_text(encoding="utf-8"))
    front = (project / "_site/en/index.html").read_text(encoding="utf-8").replace("\u2019", "'")
    assert said["data.survey"]["en"].split(".")[0] in front             # the site says which data it shows
    assert said["data.reconstruction"]["en"].split(":")[0] not in front
    page = (project / "_site/en/chapters/en/04-political-leadership.html").read_text(encoding="utf-8")
    assert 'href="../../downloads/figures/figure-02.csv"' in page              # the figure's Download tab
    table = list(csv.DictReader(io.StringIO((project / "_site/en/downloads/figures/figure-02.csv")
                                            .read_text(encoding="utf-8"))))
    shown = {r["Answer"]: r for r in table}
    assert half_up(float(shown["Partly agree"]["Per cent"])) == after["3"]
    assert half_up(float(shown["Strongly agree"]["Per cent"])) == after["4"]
    # In survey mode nothing is assumed: the segments the source does not print are data.
    assert {r["Status"] for r in table} <= {"Reproduced", "Derived"}
    assert shown["Partly agree"]["Rests on"] == "data"
    # Cells of fewer than five respondents: no count, no share, in the download and Appendix B.
    _, rows = read_rows(project / "data/raw/survey.csv")
    active_regional = [r for r in rows if r["active"] == "1" and r["council"] == "2"]
    state = sum(r["collab_state"] == "1" for r in active_regional)
    assert 0 < state < 5                       # the regional politicians who worked with the state
    page = (project / "_site/en/chapters/en/06-three-sectors.html").read_text(encoding="utf-8")
    figure10 = (project / "_site/en/downloads/figures/figure-10.csv").read_text(encoding="utf-8")
    cells = [r for r in csv.DictReader(io.StringIO(figure10)) if r["Group"] == "Regional politicians"]
    assert [(r["Count"], r["Per cent"], r["CI low"]) for r in cells] == [("< 5", "", "")]
    assert str(state) not in {r["Count"] for r in cells}
    spec = json.loads(re.search(r'<script type="application/json" id="fig-10-chart-spec">(.*?)</script>',
                                page, re.S).group(1))
    drawn = [row for rows in spec.get("datasets", {}).values() for row in rows] + (spec.get("data") or {}).get("values", [])
    assert drawn and not [row for row in drawn if row.get("group") == "Regional politicians"]
    appendix = (project / "_site/en/chapters/en/17-appendix-figures.html").read_text(encoding="utf-8")
    assert "&lt; 5" in appendix


def _expected_display(root: Path, published: list[dict]) -> dict[str, str]:
    """Whole per cent of every simple share about cult_renew, counted here with pandas' own query
    (not the program's evaluator); differences as whole points."""
    import pandas as pd

    df = pd.read_csv(root / "data/raw/survey.csv")

    def share(pop: str, num: str) -> float:
        base = df.query(pop) if pop else df
        return 100 * len(base.query(num)) / len(base)

    out = {}
    for r in published:
        if "cult_renew" not in r["population"] + r["numerator"] + r["group"]:
            continue
        if r["unit"] == "pct":
            out[r["claim_id"]] = str(half_up(share(r["population"], r["numerator"])))
        elif r["unit"] == "diff_gt":
            pop = f"({r['population']}) and " if r["population"] else ""
            inside = share(f"{pop}({r['group']})", r["numerator"])
            outside = share(f"{pop}not ({r['group']})", r["numerator"])
            out[r["claim_id"]] = str(half_up(abs(inside - outside))) + ("" if inside > outside else " (reversed)")
    return out


@pytest.mark.slow
def test_data_update_that_moves_printed_numbers_is_reported_not_refused(project: Path) -> None:
    import shutil

    # Edition 1 of a survey export (the shipped answers), released ...
    shutil.rmtree(project / "editions")
    assert arena(project, "import-survey", "data/raw/survey.csv").returncode == 0
    set_mode(project, "survey")
    assert arena(project, "reconcile").returncode == 0
    assert arena(project, "release").returncode == 0
    _, published = read_rows(REPO / "data/published/published.csv")
    before = _expected_display(project, published)
    # ... then edition 2 with an updated export: seventy answers move from "strongly agree"
    # to "strongly disagree", so the nets move.
    cfg = project / "_quarto.yml"
    cfg.write_text(cfg.read_text(encoding="utf-8").replace("edition: {number: 1}", "edition: {number: 2}"), encoding="utf-8")
    move_answers(project, "cult_renew", "4", "1", 70)
    assert arena(project, "import-survey", "data/raw/survey.csv").returncode == 0
    after = _expected_display(project, published)
    moved = {k for k in after if after[k] != before[k]}
    printed = {r["claim_id"]: r["value"] for r in published}
    assert {"fig02.agree", "fig02.disagree"} <= moved

    proc = arena(project, "build", "--quiet")
    assert proc.returncode == 0, proc.stderr                  # moved numbers never stop a build
    # The reconciliation names exactly the printed numbers that moved away from the print.
    proc = arena(project, "reconcile", "--strict")
    assert proc.returncode == 4
    named = set(re.findall(r"^differs (\S+)", proc.stderr, re.M))
    units = {r["claim_id"]: r["unit"] for r in published}
    status = {r["claim_id"]: r["status"] for r in published}
    # A share differs when its whole per cent is not the printed one; a "more often" claim when
    # the direction of the difference turned.
    published_moved = {k for k in moved if status[k] == "published" and (
        after[k] != str(int(float(printed[k]))) if units[k] == "pct" else after[k].endswith("(reversed)"))}
    assert named == published_moved, (named, published_moved)
    # The "what changed" page lists exactly the numbers whose display moved.
    changes = json.loads((project / "build/artifacts/changes/changes.json").read_text(encoding="utf-8"))
    moved_display = {k for k in moved if after[k].split()[0] != before[k].split()[0] or units[k] != "diff_gt"}
    assert {c["key"] for c in changes["numbers"]} == moved_display
    # The new values are on the pages and in the PDFs, in both languages.
    agree = after["fig02.agree"]
    pages = {"da": "chapters/da/04-politisk-ledelse.html", "en": "chapters/en/04-political-leadership.html"}
    for lang, sign in (("da", "\u00a0%"), ("en", "%")):
        html = (project / "_site" / lang / pages[lang]).read_text(encoding="utf-8")
        assert f"{agree}{sign}" in html
        pdf = next((project / "_site" / lang).glob("*.pdf"))
        text = subprocess.run(["pdftotext", str(pdf), "-"], capture_output=True, text=True).stdout
        assert re.search(rf"{agree}\s?%", text)
        changed_page = (project / "_site" / lang / pages[lang].replace(pages[lang].split("/")[-1],
                        "20-bilag-aendringer.html" if lang == "da" else "20-appendix-changes.html"))
        assert changed_page.exists()
    assert before["fig02.agree"] != agree


def test_reconstruction_statuses_follow_published_csv(project: Path) -> None:
    from arena import steps
    from arena.project import Project

    steps.run_all(Project.load(project), ("survey", "numbers"))
    numbers = json.loads((project / "build/artifacts/numbers/numbers.json").read_text(encoding="utf-8"))
    _, published = read_rows(project / "data/published/published.csv")
    want = {"published": "printed", "assumption": "assumed", "inconsistent": "inconsistent"}
    assert {r["claim_id"]: want[r["status"]] for r in published} == {k: n["status"] for k, n in numbers.items()}


# ---------------------------------------------------------------- the step graph

CHANGES = {
    # input -> (how to change it, the steps that read it)
    "survey data": (lambda r: move_answers(r, "cult_renew", "4", "3", 1), {"survey"}),
    "codebook": (lambda r: _append(r / "data/codebook/codebook.yaml", "\n# a comment\n"), {"survey"}),
    "published.csv": (lambda r: _append(r / "data/published/published.csv", ""), {"numbers"}),
    "figures.yaml": (lambda r: _append(r / "analysis/figures.yaml", "\n# a comment\n"), {"figures"}),
    "expectations": (lambda r: _append(r / "expectations/values.json", "\n"), {"validation"}),
    "analysis code": (lambda r: _append(r / "analysis/tables.py", "\n# a comment\n"), {"numbers", "figures"}),
    "configuration": (lambda r: (r / "_quarto.yml").write_text(
        (r / "_quarto.yml").read_text(encoding="utf-8").replace("suppress-below: 5", "suppress-below: 3"),
        encoding="utf-8"), {"numbers", "figures"}),
}


def _append(path: Path, text: str) -> None:
    data = path.read_text(encoding="utf-8")
    path.write_text(data + (text or data.splitlines()[-1].replace(data.splitlines()[-1].split(",")[0],
                                                                   "zz.extra", 1) + "\n"), encoding="utf-8")


def _explain(root: Path, valid: bool = True) -> dict[str, str]:
    """`python -m arena.steps --explain` (what Quarto's pre-render runs): step -> "ran"/"kept"."""
    environ = {k: v for k, v in os.environ.items() if k != "ARENA_ROOT"}
    proc = subprocess.run([sys.executable, "-m", "arena.steps", "--explain"], cwd=root, env=environ,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == (0 if valid else 1), proc.stderr
    return {m.group(2): m.group(1) for m in re.finditer(r"^(ran|kept)\s+(\w+)", proc.stdout, re.M)}


def test_each_input_reruns_the_steps_that_read_it(project: Path) -> None:
    from arena import steps
    from arena.project import Project

    first = _explain(project)
    assert set(first.values()) == {"ran"} and set(first) == set(steps.ORDER)
    assert set(_explain(project).values()) == {"kept"}
    for what, (change, reran) in CHANGES.items():
        saved = {p: p.read_bytes() for p in project.rglob("*") if p.is_file() and "build" not in p.parts}
        change(project)
        if what == "survey data":   # a new export, registered as the author would
            assert arena(project, "import-survey", "data/raw/survey.csv").returncode == 0
            set_mode(project, "survey")
        # A hand-edited suite no longer matches the codebook: validation runs and says so.
        ran = {name for name, how in _explain(project, valid=what != "expectations").items() if how == "ran"}
        # The steps that read the input run, and so does every step whose artifact they change;
        # none that reads neither.
        assert reran <= ran, (what, ran)
        downstream = {n for n in steps.ORDER if any(u in ran for u in steps.STEPS[n].upstream)}
        assert ran <= reran | downstream | {"manifest"}, (what, ran)
        for path, data in saved.items():
            path.write_bytes(data)
        _explain(project)   # back to the original inputs
    # A package version is part of every step's key.
    env = dict(steps.environment(), pandas="0.0-test")
    graph = steps.Graph(Project.load(project), env=env)
    assert all(graph.decide(n).run for n in steps.ORDER)
    assert any(r.startswith("environment changed: pandas") for r in graph.decisions["survey"].reasons)


def test_quarto_pre_render_makes_the_artifacts(project: Path) -> None:
    import shlex

    import yaml

    command = yaml.safe_load((project / "_quarto.yml").read_text(encoding="utf-8"))["project"]["pre-render"]
    argv = shlex.split(command)
    assert argv[0] == "python"
    environ = {k: v for k, v in os.environ.items() if k != "ARENA_ROOT"}
    proc = subprocess.run([sys.executable, *argv[1:]], cwd=project, env=environ, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr
    for name in ("numbers/numbers.json", "figures/figures.json", "reconciliation/reconciliation.csv",
                 "validation/validation.json", "manifest/manifest.json", "changes/changes-da.md"):
        assert (project / "build/artifacts" / name).is_file(), name
    manifest = json.loads((project / "build/artifacts/manifest/manifest.json").read_text(encoding="utf-8"))
    assert manifest["inputs"]["data/raw/survey.csv"] == __import__("hashlib").sha256(
        (project / "data/raw/survey.csv").read_bytes()).hexdigest()
    assert manifest["installed"]["pandas"] == __import__("pandas").__version__


def test_an_export_with_fewer_respondents_is_valid(project: Path) -> None:
    header, rows = read_rows(project / "data/raw/survey.csv")
    write_rows(project / "data/raw/survey.csv", header, rows[:-8])     # eight fewer respondents
    assert arena(project, "import-survey", "data/raw/survey.csv").returncode == 0
    set_mode(project, "survey")
    proc = arena(project, "validate")
    assert proc.returncode == 0, proc.stderr
    assert f"{len(rows) - 8} rows" in proc.stdout
    proc = arena(project, "reconcile", "--strict")
    assert proc.returncode == 4 and "differs tab1.resp_total" in proc.stderr   # the count is reconciled


def test_data_replaced_between_steps_leaves_nothing_stale(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "arena")
    reference = copy_project(tmp_path / "reference")
    assert arena(reference, "reconcile").returncode == 0
    original = (project / "data/raw/survey.csv").read_bytes()
    original_meta = (project / "data/raw/survey.meta.json").read_bytes()
    flag = tmp_path / "go"
    environ = {k: v for k, v in os.environ.items() if k != "ARENA_ROOT"}
    environ["ARENA_TEST_PAUSE"] = f"survey:{flag}"
    proc = subprocess.Popen([sys.executable, "-m", "arena.steps"], cwd=project, env=environ,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    for _ in range(1200):
        if Path(str(flag) + ".paused").exists():
            break
        proc.poll()
        assert proc.returncode is None, proc.stderr.read()
        import time

        time.sleep(0.05)
    # Replaced while the build waits between its first and second step ...
    move_answers(project, "cult_renew", "4", "1", 30)
    assert arena(project, "import-survey", "data/raw/survey.csv").returncode == 0
    flag.touch()
    assert proc.wait(timeout=300) == 0, proc.stderr.read()
    # ... the build finished on the snapshot it took (the original data) ...
    snap = (project / "build/artifacts/survey/survey.csv").read_bytes()
    assert snap == original
    # ... and, with the original restored, the next build holds exactly the original's numbers.
    (project / "data/raw/survey.csv").write_bytes(original)
    (project / "data/raw/survey.meta.json").write_bytes(original_meta)
    assert arena(project, "reconcile").returncode == 0
    for name in ("numbers/numbers.json", "figures/figures.json", "reconciliation/reconciliation.csv"):
        assert (project / "build/artifacts" / name).read_bytes() == (reference / "build/artifacts" / name).read_bytes()
    # The replaced data was seen: a build with it in place reruns the survey step.
    move_answers(project, "cult_renew", "4", "1", 30)
    assert arena(project, "import-survey", "data/raw/survey.csv").returncode == 0
    from arena import steps
    from arena.project import Project

    assert steps.Graph(Project.load(project)).decide("survey").run


# ---------------------------------------------------------------- direction of the code

def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = set()
    for node in ast.walk(tree):   # every level: imports inside functions count too
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
            out |= {f"{node.module}.{a.name}" for a in node.names}
    return out


def test_analysis_never_imports_arena() -> None:
    offenders = {p.name: sorted(m for m in _imports(p) if m == "arena" or m.startswith("arena."))
                 for p in (REPO / "analysis").glob("*.py")}
    assert not {k: v for k, v in offenders.items() if v}


def test_project_import_graph_has_no_cycle() -> None:
    modules = {}
    for pkg in ("analysis", "arena", "arena/render"):
        for p in (REPO / pkg).glob("*.py"):
            name = ".".join(p.relative_to(REPO).with_suffix("").parts)
            modules[name.removesuffix(".__init__")] = p
    graph = {m: {i for i in _imports(p) if i in modules and i != m} for m, p in modules.items()}
    state: dict[str, int] = {}

    def visit(m: str, trail: list[str]) -> None:
        state[m] = 1
        for n in graph[m]:
            if state.get(n) == 1:
                raise AssertionError(" -> ".join(trail + [m, n]))
            if n not in state:
                visit(n, trail + [m])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [])


@pytest.mark.slow
@pytest.mark.parametrize("what, change, executed", [
    ("chapter prose", lambda r: _append(r / "chapters/en/01-about.qmd", "\nOne more sentence.\n"), False),
    ("templates", lambda r: _append(r / "arena/render/templates/style.css", "\n/* a comment */\n"), False),
    ("chapter code", lambda r: _append(r / "chapters/en/01-about.qmd", "\nSays `{python} 'x' + 'y'`.\n"), True),
])
def test_render_inputs_rerun_the_render_only(built_project: Path, tmp_path: Path, what, change, executed) -> None:
    root = copy_project(tmp_path / "explain", built_project, with_outputs=True)
    change(root)
    proc = arena(root, "build", "--engine", "embedded", "--quiet", "--explain",
                 env={"ARENA_ROOT": str(root), "PYTHONPATH": str(root)})
    assert proc.returncode == 0, proc.stderr
    lines = [l for l in proc.stderr.splitlines() if l.startswith(("ran ", "kept "))]
    steps_ran = [l for l in lines if l.startswith("ran ") and "render" not in l]
    assert not steps_ran, (what, steps_ran)                       # no step reads prose or templates
    render = [l for l in lines if "render" in l]
    assert any("en:" in l for l in render), (what, render)
    assert any(("chapter(s) executed" in l) == executed for l in render if "en:" in l), (what, render)
