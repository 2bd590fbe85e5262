"""`arena validate` on the synthetic fixture project (tests/fixtures/validation/project) and corrupted copies.

Every bad-input test: exit status 1, the message names the file, the column (where there is one), the
row and line numbers and the rule; the data and the suites are byte-identical afterwards and no
report is written for bad data.
"""
from __future__ import annotations

import json

import importlib.util
import os
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest

from arena import cli
from arena import validate as v

FIXTURE = Path(__file__).parent / "fixtures" / "validation"
REPO = Path(__file__).resolve().parent.parent
RAW_NAME = "data/raw/survey.csv"


def _synth():
    spec = importlib.util.spec_from_file_location("validation_synth", FIXTURE / "synth.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def point_paths(monkeypatch, root: Path) -> None:
    """The project under test: ARENA_ROOT names it (arena finds its files from there)."""
    if not (root / "_quarto.yml").exists():
        (root / "_quarto.yml").write_text("project:\n  type: book\n", encoding="utf-8")
    monkeypatch.setenv("ARENA_ROOT", str(root))
    monkeypatch.chdir(root)


def snapshot(d: Path) -> dict[str, bytes]:
    return {str(p.relative_to(d)): p.read_bytes() for p in sorted(d.rglob("*")) if p.is_file()}


def inputs(root: Path) -> dict[str, bytes]:
    """What `arena validate` reads and could damage: the data and the suites (only
    `--write-suites` may write these)."""
    return {**snapshot(root / "data"), **{f"expectations/{k}": v for k, v in snapshot(root / "expectations").items()}}


def replace_in(path: Path, old: str, new: str) -> None:
    """Edit a file; the edit must change it (else the test would test the unchanged file)."""
    text = path.read_text(encoding="utf-8")
    assert old in text, f"{path}: {old!r} not found"
    path.write_text(text.replace(old, new), encoding="utf-8")


@pytest.fixture
def project(tmp_path, monkeypatch):
    root = tmp_path / "proj"
    shutil.copytree(FIXTURE / "project", root, ignore=shutil.ignore_patterns("build", ".arena-cache"))
    site = root / "_site"
    site.mkdir(exist_ok=True)
    (site / "index.html").write_text("<p>published site</p>\n", encoding="utf-8")
    (site / "en").mkdir(exist_ok=True)
    (site / "en" / "validation.html").write_bytes(b"old report \xc3\xa6\n")
    point_paths(monkeypatch, root)
    return root


def raw(root: Path) -> Path:
    return root / RAW_NAME


def frame(root: Path) -> pd.DataFrame:
    return pd.read_csv(raw(root), dtype=str, keep_default_na=False)


def save(root: Path, df: pd.DataFrame) -> None:
    df.to_csv(raw(root), index=False, lineterminator="\n")


def first_row(df: pd.DataFrame, mask) -> int:
    """0-based index of the first row matching mask."""
    return int(df.index[mask][0])


def run_cli(capsys, *argv) -> tuple[int, str]:
    rc = cli.main(["validate", *argv])
    out = capsys.readouterr()
    return rc, out.out + out.err


def assert_fails(root, capsys, *must_contain: str, column: str | None = None, rows=(), lines=()):
    before = inputs(root)
    rc, msg = run_cli(capsys)
    assert rc == 1, msg
    assert RAW_NAME in msg, msg
    if column:
        assert f"column {column}" in msg, msg
    for r in rows:
        assert str(r) in msg, msg
    for ln in lines:
        assert f"line {ln}" in msg or f"lines {ln}" in msg or f", {ln}" in msg, msg
    assert "rule" in msg, msg
    for s in must_contain:
        assert s in msg, msg
    assert inputs(root) == before
    assert not (root / "build" / "validation" / "validation.html").exists()   # no report of bad data
    return msg


# ---------------------------------------------------------------- the good file


def test_fixture_passes_and_writes_report(project, capsys):
    before = inputs(project)
    rc, msg = run_cli(capsys)
    assert rc == 0, msg
    assert "valid, 40 rows" in msg and "expectations evaluated" in msg
    report = project / "build" / "validation" / "validation.html"
    data = (project / "build" / "validation" / "validation.json").read_text(encoding="utf-8")
    page = report.read_text(encoding="utf-8")
    assert "Respondents outside population active" in page and "FAILED" not in page
    assert '"ok": true' in data
    assert inputs(project) == before


def test_stale_suites_refuse_to_run(project, capsys):
    cb = project / "data" / "codebook" / "codebook.yaml"
    replace_in(cb, "- {code: 4, da: Helt enig", "- {code: 5, da: Helt enig")
    rc, msg = run_cli(capsys)
    assert rc == 1 and "out of date" in msg and "--write-suites" in msg
    rc, msg = run_cli(capsys, "--write-suites")
    assert rc == 0 and "values.json" in msg


# ---------------------------------------------------------------- bad input, one kind per test


def test_missing_file(project, capsys):
    raw(project).unlink()
    before = inputs(project)
    rc, msg = run_cli(capsys)
    assert rc == 1 and RAW_NAME in msg and "file not found" in msg
    assert inputs(project) == before


def test_empty_file(project, capsys):
    raw(project).write_bytes(b"")
    before = inputs(project)
    rc, msg = run_cli(capsys)
    assert rc == 1 and RAW_NAME in msg and "empty" in msg
    assert inputs(project) == before


def test_wrong_delimiter(project, capsys):
    raw(project).write_text(raw(project).read_text(encoding="utf-8").replace(",", ";"), encoding="utf-8")
    assert_fails(project, capsys, "wrong delimiter", "semicolon", lines=[1])


def test_latin1_encoding(project, capsys):
    lines = raw(project).read_bytes().split(b"\n")
    lines[3] = lines[3].replace(b",", "ø,".encode("latin-1"), 1)  # data row 3 = line 4
    raw(project).write_bytes(b"\n".join(lines))
    assert_fails(project, capsys, "not valid UTF-8", "Latin-1", lines=[4])


def test_utf8_bom(project, capsys):
    raw(project).write_bytes(b"\xef\xbb\xbf" + raw(project).read_bytes())
    assert_fails(project, capsys, "byte-order mark", lines=[1])


def test_missing_column(project, capsys):
    save(project, frame(project).drop(columns="cult_trust"))
    assert_fails(project, capsys, "missing", column="cult_trust", lines=[1])


def test_extra_column(project, capsys):
    df = frame(project)
    df["weight"] = "1"
    save(project, df)
    assert_fails(project, capsys, "extra column", column="weight", lines=[1])


def test_renamed_column(project, capsys):
    save(project, frame(project).rename(columns={"cult_renew": "cult_renw"}))
    assert_fails(project, capsys, "did you mean cult_renew", column="cult_renw", lines=[1])


def test_duplicate_resp_id(project, capsys):
    df = frame(project)
    df.loc[4, "resp_id"] = df.loc[3, "resp_id"]  # rows 4 and 5 share an id
    save(project, df)
    assert_fails(project, capsys, "rows 4, 5 (lines 5, 6)", "occurs once", column="resp_id")


def test_unknown_code(project, capsys):
    df = frame(project)
    df.loc[16, "cult_renew"] = "6"
    save(project, df)
    assert_fails(project, capsys, "row 17 (line 18): value 6", "scale agree4 (allowed: 1, 2, 3, 4, 7, 8, 9)",
                 column="cult_renew")


def test_non_numeric_value(project, capsys):
    df = frame(project)
    df.loc[2, "cult_trust"] = "agree"
    save(project, df)
    assert_fails(project, capsys, "row 3 (line 4)", "'agree'", "not a number", column="cult_trust")


def test_truncated_row(project, capsys):
    lines = raw(project).read_text(encoding="utf-8").split("\n")
    lines[10] = ",".join(lines[10].split(",")[:5])  # data row 10
    raw(project).write_text("\n".join(lines), encoding="utf-8")
    assert_fails(project, capsys, "line 11 (row 10", "5 fields instead of 13", "truncated")


def test_too_many_fields(project, capsys):
    lines = raw(project).read_text(encoding="utf-8").split("\n")
    lines[7] += ",1"
    raw(project).write_text("\n".join(lines), encoding="utf-8")
    assert_fails(project, capsys, "line 8 (row 7", "14 fields instead of 13")


def test_filtered_question_answered_by_not_asked(project, capsys):
    df = frame(project)
    i = first_row(df, df.active != "1")
    df.loc[i, "act_effect"] = "3"
    save(project, df)
    assert_fails(project, capsys, f"row {i + 1} (line {i + 2}): value 3", "were not asked: the cell is empty",
                 column="act_effect")


def test_role_filter_answered_by_not_asked(project, capsys):
    df = frame(project)
    i = first_row(df, df.role == "0")
    df.loc[i, "role_lead"] = "8"
    save(project, df)
    assert_fails(project, capsys, f"row {i + 1} (line {i + 2}): value 8", "population role_asked",
                 column="role_lead")


def test_asked_respondent_with_empty_cell(project, capsys):
    df = frame(project)
    i = first_row(df, df.active == "1")
    df.loc[i, "act_effect"] = ""
    save(project, df)
    assert_fails(project, capsys, f"row {i + 1} (line {i + 2}): value empty", "never 'no answer'",
                 column="act_effect")


def test_hidden_code_shown_to_excluded_group(project, capsys):
    df = frame(project)
    i = first_row(df, df.council == "2")
    df.loc[i, "org_form"] = "3"
    save(project, df)
    assert_fails(project, capsys, f"row {i + 1} (line {i + 2}): value 3", "not offered where council == 2",
                 column="org_form")


def test_exclusive_option_combined(project, capsys):
    df = frame(project)
    i = first_row(df, df.phase_dk == "1")
    df.loc[i, "phase_develop"] = "1"
    save(project, df)
    assert_fails(project, capsys, f"row {i + 1} (line {i + 2}): selected together with phase_develop",
                 "exclusive", column="phase_dk")


@pytest.mark.parametrize("value", ["3.0", "3.5"])
def test_float_in_coded_column(project, capsys, value):
    df = frame(project)
    df.loc[5, "cult_renew"] = value
    save(project, df)
    assert_fails(project, capsys, f"row 6 (line 7): value {value}", "decimal number", "whole numbers",
                 column="cult_renew")


def test_out_of_order_columns(project, capsys):
    df = frame(project)
    cols = list(df.columns)
    cols[4], cols[5] = cols[5], cols[4]
    save(project, df[cols])
    assert_fails(project, capsys, "out of order at position 5", column="cult_trust", lines=[1])


# ---------------------------------------------------------------- the shipped data


def test_shipped_survey_passes():
    result = v.validate(REPO / "data/raw/survey.csv", REPO / "data/codebook/codebook.yaml", REPO / "expectations")
    assert result.ok, "\n".join(result.problems)
    assert result.rows == 608


# ---------------------------------------------------------------- timing (608 x 150, opt-in)


def make_big_project(root: Path, n: int = 608, n_vars: int = 150) -> None:
    """A synthetic project shaped like the real survey: 3 background columns + singles + multi-option groups."""
    import yaml

    from analysis.codebook import parse
    from arena import expectations as ex

    base = yaml.safe_load((FIXTURE / "project" / "data" / "codebook" / "codebook.yaml").read_text(encoding="utf-8"))
    variables = base["variables"][:3]
    pops = ["all", "active", "role_asked"]
    i = 0
    while len(variables) < n_vars:
        if i % 10 == 9:  # a multi-option question with 5 options, the last exclusive
            for k in range(5):
                variables.append({"id": f"q{i}_opt{k}", "kind": "multi_option", "question_group": f"q{i}",
                                  "scale": "selected", "population": "active", "exclusive": k == 4,
                                  "question": {"da": "x", "en": "x"}})
        else:
            var = {"id": f"q{i}", "kind": "single", "scale": "agree4", "population": pops[i % 3],
                   "question": {"da": "x", "en": "x"}}
            if i % 10 == 4:
                var["hidden_codes"] = [{"query": "council == 2", "codes": [3], "why": "not offered"}]
            variables.append(var)
        i += 1
    base["variables"] = variables[:n_vars]
    (root / "data" / "codebook").mkdir(parents=True, exist_ok=True)
    (root / "data" / "raw").mkdir(parents=True, exist_ok=True)
    (root / "expectations").mkdir(parents=True, exist_ok=True)
    (root / "data" / "codebook" / "codebook.yaml").write_text(yaml.safe_dump(base, allow_unicode=True), encoding="utf-8")
    cb = parse(base)
    synth = _synth()
    df = synth.make_frame(cb, n, seed=3)
    df.to_csv(root / "data" / "raw" / "survey.csv", index=False, lineterminator="\n")
    qs = ["", "council == 1", "council == 2", "active == 1", "active == 1 and council == 1", "role != 0"]
    c = synth.counts(df, qs)
    (root / "expectations" / "bases.yaml").write_text(
        yaml.safe_dump({"bases": [{"query": q, "value": c[q], "source": "synthetic"} for q in qs]}), encoding="utf-8")
    ex.write_suites(cb, None, root / "expectations")


@pytest.mark.skipif(not os.environ.get("ARENA_BENCH"), reason="timing run: set ARENA_BENCH=1")
def test_timing_608_by_150(tmp_path, monkeypatch, capsys):
    make_big_project(tmp_path)
    point_paths(monkeypatch, tmp_path)
    t = time.perf_counter()
    rc, msg = run_cli(capsys)
    elapsed = time.perf_counter() - t
    t = time.perf_counter()
    rc2, msg2 = run_cli(capsys)
    cached = time.perf_counter() - t
    print(f"\narena validate 608x150: {elapsed:.1f} s; cached: {cached:.2f} s; {msg.strip()}")
    assert rc == 0 and rc2 == 0, msg
