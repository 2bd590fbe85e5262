"""A corpus of malformed inputs: every input file kind × the ways it can be broken.

Each case breaks one file in a copy of a built project and runs `arena validate`, `arena
reconcile` and `arena build` (the commands that read that file) as a user would. Each must exit
with the documented code (README, "Exit codes"), print one message naming the file (relative to
the project, never by its absolute path), the place (line, column or key) and the rule, never a
traceback, and a failed build must leave `_site` byte-identical. The cases are listed once in CASES (the matrix is in the module's test ids).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pytest

# YAML reports the broken flow sequence `arena: [` two lines below it (computed: the config grows).
ARENA_LINE = (Path(__file__).resolve().parent.parent / "_quarto.yml").read_text(encoding="utf-8").splitlines().index("arena:") + 1

from conftest import copy_project, run_build, tree_hashes

BAD_INPUT = 1

SURVEY = "data/raw/survey.csv"
META = "data/raw/survey.meta.json"
CODEBOOK = "data/codebook/codebook.yaml"
PUBLISHED = "data/published/published.csv"
INCONSISTENCIES = "data/published/inconsistencies.yaml"
FACTS = "data/context/facts.csv"
FIGURES = "analysis/figures.yaml"
SUITE = "expectations/values.json"
CONFIG = "_quarto.yml"
PROFILE = "_quarto-en.yml"
EDITION = "editions/1/numbers.json"

# The commands that read each kind of file (the others never see it).
READERS = {
    SURVEY: ("validate", "reconcile", "build"), CODEBOOK: ("validate", "reconcile", "build"),
    META: ("reconcile", "build"), PUBLISHED: ("reconcile", "build"),
    INCONSISTENCIES: ("reconcile", "build"), FACTS: ("reconcile", "build"),
    FIGURES: ("reconcile", "build"), SUITE: ("validate", "build"),
    CONFIG: ("validate", "reconcile", "build"), PROFILE: ("build",), EDITION: ("build",),
}


@dataclass
class Case:
    file: str
    failure: str                      # the failure class (syntax, encoding, ...)
    breaks: Callable[[Path], None]    # breaks the file in a project copy
    says: tuple[str, ...]             # the place and the rule, each checked in the message
    register: bool = False            # survey edits: record the new file in survey.meta.json
    commands: tuple[str, ...] = field(default=())
    shown: str = ""                   # the file the message names (a conflict: where it shows)

    def __post_init__(self) -> None:
        self.commands = self.commands or READERS[self.file]
        self.shown = self.shown or self.file


def replace(old: str | bytes, new: str | bytes, count: int = 1):
    """Replace text in the case's file; the replacement must change something."""
    def breaks(path: Path) -> None:
        data = path.read_bytes()
        o = old.encode() if isinstance(old, str) else old
        n = new.encode() if isinstance(new, str) else new
        assert o in data, f"{path}: {old!r} not found (the case would test nothing)"
        path.write_bytes(data.replace(o, n, count))
    return breaks


def write(data: bytes | Callable[[bytes], bytes]):
    def breaks(path: Path) -> None:
        new = data(path.read_bytes()) if callable(data) else data
        assert new != path.read_bytes()
        path.write_bytes(new)
    return breaks


def survey_line(n: int, edit: Callable[[list[str]], list[str]]):
    """Edit the fields of line n (1 = header) of the survey file."""
    def breaks(path: Path) -> None:
        lines = path.read_text(encoding="utf-8").split("\n")
        fields = lines[n - 1].split(",")
        lines[n - 1] = ",".join(edit(fields))
        path.write_text("\n".join(lines), encoding="utf-8")
    return breaks


def json_edit(edit: Callable[[dict], None]):
    def breaks(path: Path) -> None:
        obj = json.loads(path.read_text(encoding="utf-8"))
        edit(obj)
        path.write_text(json.dumps(obj, indent=1), encoding="utf-8")
    return breaks


def cell(col: int, value: str):
    def edit(fields: list[str]) -> list[str]:
        fields[col] = value
        return fields
    return edit


REPO = Path(__file__).resolve().parent.parent
_RAW = (REPO / SURVEY).read_bytes()
_LINE4 = _RAW.split(b"\n")[3]
_LAST_COLUMN = _RAW.split(b"\n")[0].decode().split(",")[-1]
_HALF_LINE = _RAW[: len(_RAW) // 2].count(b"\n") + 1          # where a file cut in half ends
_CB = (REPO / CODEBOOK).read_bytes()
_FIRST_NON_ASCII = _CB[: next(i for i, b in enumerate(_CB) if b >= 0x80)].count(b"\n") + 1


def _repeated(times: int):
    """The survey file with its respondents `times` over (each under a new resp_id)."""
    def edit(data: bytes) -> bytes:
        header, *rows = data.decode().rstrip("\n").split("\n")
        rows = [f"{i}," + row.split(",", 1)[1] for i, row in enumerate(rows * times, start=1)]
        return ("\n".join([header, *rows]) + "\n").encode()
    return edit


# Five times the respondents is more than all invited politicians (the frame's total row).
_RESPONDENTS = _RAW.rstrip(b"\n").count(b"\n")
_TOTAL_ROW = next(l for l in (REPO / PUBLISHED).read_text(encoding="utf-8").splitlines()
                  if l.split(",")[7] == "frame" and l.split(",")[4:7] == ["", "", ""])
_INVITED = int(_TOTAL_ROW.split(",")[8])
assert 5 * _RESPONDENTS > _INVITED


def _line_of(file: str, text: str) -> int:
    data = (REPO / file).read_text(encoding="utf-8")
    return data[: data.index(text)].count("\n") + 1


_SUITE_KWARGS = _line_of(SUITE, '"kwargs": {')
_SUITE_KWARGS_COLUMN = (REPO / SUITE).read_text(encoding="utf-8").splitlines()[_SUITE_KWARGS - 1].index('"kwargs": {') \
    + len('"kwargs" ') + 1
_SUITE_LINES = (REPO / SUITE).read_bytes().count(b"\n")


def _second_edition(path: Path, damage: Callable[[bytes], bytes]) -> None:
    """Make the project's edition 2, so the build compares with the released edition 1, then damage it."""
    config = path.parents[2] / CONFIG
    text = config.read_text(encoding="utf-8")
    assert "edition: {number: 1}" in text
    config.write_text(text.replace("edition: {number: 1}", "edition: {number: 2}"), encoding="utf-8")
    path.write_bytes(damage(path.read_bytes()))


CASES: dict[str, Case] = {
    # ------------------------------------------------------------ the respondent file
    "survey-syntax-extra-field": Case(SURVEY, "syntax", survey_line(5, lambda f: f + ["1"]),
                                      ("line 5", "fields instead of 91", "rule: every row has one field per column"),
                                      register=True),
    "survey-encoding-latin1": Case(SURVEY, "encoding", replace(b"\n" + _LINE4, b"\n" + _LINE4 + b"\xe6"),
                                   ("line 4", "not valid UTF-8", "Latin-1"), register=True),
    "survey-encoding-utf16": Case(SURVEY, "encoding", write(lambda b: b.decode().encode("utf-16")),
                                  ("UTF-16", "rule: input files are UTF-8"), register=True),
    "survey-encoding-binary": Case(SURVEY, "encoding", write(bytes(range(256)) * 64),
                                   ("binary file", "rule: input files are UTF-8 text"), register=True),
    "survey-encoding-nul": Case(SURVEY, "encoding", survey_line(7, cell(2, "1\x002")),
                                ("line 7", "NUL byte", "rule: text holds no NUL bytes"), register=True),
    "survey-missing-column": Case(SURVEY, "missing field", write(
        lambda b: b"\n".join(l.rsplit(b",", 1)[0] for l in b.split(b"\n"))),
        ("line 1", f"column {_LAST_COLUMN}: missing", "rule: the header is resp_id followed by the codebook variables"),
        register=True),
    "survey-wrong-type": Case(SURVEY, "wrong type", survey_line(10, cell(4, "yes")),
                              ("column phase_initiate", "line 10", "'yes' is not a number",
                               "rule: codes are whole numbers"), register=True),
    "survey-decimal": Case(SURVEY, "wrong type", survey_line(11, cell(4, "1.5")),
                           ("column phase_initiate", "line 11", "is a decimal number", "rule: codes are whole numbers"),
                           register=True),
    "survey-beyond-64-bits": Case(SURVEY, "out of range", survey_line(12, cell(4, "9" * 25)),
                                  ("column phase_initiate", "line 12", "out of range", "rule: codes are whole numbers"),
                                  register=True),
    "survey-empty": Case(SURVEY, "empty", write(b""), ("file is empty",), register=True),
    "survey-header-only": Case(SURVEY, "empty", write(lambda b: b.split(b"\n")[0] + b"\n"),
                               ("header but no data rows", "rule: one row per respondent"), register=True),
    "survey-truncated": Case(SURVEY, "truncated", write(lambda b: b[: len(b) // 2]),
                             (f"line {_HALF_LINE}", "fields instead of 91", "truncated or ragged row"), register=True),
    "survey-more-than-invited": Case(SURVEY, "conflicting with another file", write(_repeated(5)),
                                     (f"{5 * _RESPONDENTS} respondents", PUBLISHED, f"claim {_TOTAL_ROW.split(',')[0]}",
                                      f"says {_INVITED} politicians were invited",
                                      "rule: respondents cannot exceed the invited politicians",
                                      "holds each respondent once"), register=True),
    "survey-not-registered": Case(SURVEY, "conflicting with another file", survey_line(3, cell(3, "2")),
                                  ("is not the file data/raw/survey.meta.json describes", "SHA-256",
                                   "arena reconstruct"), commands=("reconcile", "build")),
    # ------------------------------------------------------------ its metadata
    "meta-syntax": Case(META, "syntax", write(b'{"origin": "reconstruction",'), ("not valid JSON", "line 1")),
    "meta-missing-origin": Case(META, "missing field", json_edit(lambda m: m.pop("origin")),
                                ("key origin", "must be one of reconstruction, survey")),
    "meta-wrong-value": Case(META, "wrong type", json_edit(lambda m: m.update(origin=7)),
                             ("key origin", "must be one of reconstruction, survey")),
    "meta-conflicts-config": Case(META, "conflicting with another file", json_edit(lambda m: m.update(origin="survey")),
                                  ("_quarto.yml", "arena.data-mode")),
    # ------------------------------------------------------------ the codebook
    "codebook-syntax": Case(CODEBOOK, "syntax", replace("  agree4:\n    da: Enighed", "  agree4:\n    da: [Enighed"),
                            ("line 14", "flow sequence that starts on line 13", "YAML syntax error",
                             "rule: the file must be valid YAML")),
    "codebook-encoding-latin1": Case(CODEBOOK, "encoding", write(lambda b: b.decode().encode("latin-1", "replace")),
                                     (f"line {_FIRST_NON_ASCII}", "not valid UTF-8", "Latin-1", "rule: input files are UTF-8")),
    "codebook-empty": Case(CODEBOOK, "empty", write(b""), ("the file is empty", "rule: it holds a YAML mapping")),
    "codebook-duplicate-key": Case(CODEBOOK, "duplicate key",
                                   replace("    da: Enighed\n", "    da: Enighed\n    da: Enig\n"),
                                   ("line 14", "key 'da' is given twice", "rule: each key once")),
    "codebook-duplicate-variable": Case(CODEBOOK, "duplicate key",
                                        replace("  - id: active\n", "  - id: council\n"),
                                        ("variable 'council' is defined twice", "rule: each variable once")),
    "codebook-dangling-scale": Case(CODEBOOK, "dangling reference",
                                    replace("  - id: role\n    kind: single\n    scale: role",
                                            "  - id: role\n    kind: single\n    scale: roles"),
                                    ("variable 'role'", "unknown scale 'roles'", "rule: a variable's scale is one of")),
    "codebook-dangling-population-query": Case(CODEBOOK, "dangling reference",
                                               replace('query: "role != 0"', 'query: "rolle != 0"'),
                                               ("population 'role_asked'", "unknown variable(s) rolle",
                                                "rule: a query names variables of the codebook")),
    "codebook-bad-query": Case(CODEBOOK, "syntax", replace('query: "active == 1"', 'query: "active === 1"'),
                               ("population 'active', query", "is not a valid filter")),
    "codebook-missing-question": Case(CODEBOOK, "missing field",
                                      replace("      en: To what extent is innovation part", "      fr: To what extent is innovation part"),
                                      ("variable 'role'", "key question", "rule: question has both da and en")),
    "codebook-wrong-type": Case(CODEBOOK, "wrong type", replace("{code: 1, da: Helt uenig", "{code: one, da: Helt uenig"),
                                ("scale 'agree4'", "'one'", "rule: see docs/data-model.md")),
    "codebook-conflicts-survey": Case(CODEBOOK, "conflicting with another file",
                                      replace("  - id: context\n", "  - id: contexts\n"),
                                      ("line 1", "column context: not in the codebook", "contexts",
                                       "rule: the header is resp_id followed by the codebook variables"),
                                      commands=("reconcile", "build"), shown=SURVEY),
    "codebook-conflicts-suites": Case(CODEBOOK, "conflicting with another file",
                                      replace("  - id: context\n", "  - id: contexts\n"),
                                      ("out of date with the codebook", "rule: suites are generated from the codebook",
                                       "arena validate --write-suites"),
                                      commands=("validate",), shown="expectations/structure.json"),
    # ------------------------------------------------------------ the published numbers
    "published-bad-quote": Case(PUBLISHED, "syntax", replace(",Mere end otte ud af ti,", ',"Mere end" otte ud af ti,'),
                                ("line 2", "CSV syntax error", "rule: a field with commas")),
    "published-extra-field": Case(PUBLISHED, "extra field", replace(",Mere end otte ud af ti,", ",Mere end otte, ud af ti,"),
                                  ("line 2", "16 fields instead of 15", "rule: one field per column")),
    "published-missing-column": Case(PUBLISHED, "missing field", replace("claim_id,figure,", "claim,figure,"),
                                     ("line 1", "missing column(s) claim_id", "rule: the header has")),
    "published-wrong-type": Case(PUBLISHED, "wrong type", replace(",external,80,", ",external,eighty,"),
                                 ("line 2", "column value", "p0009.barometer_8of10", "'eighty' is not a number",
                                  "rule: a number")),
    "published-out-of-range": Case(PUBLISHED, "out of range", replace(",pct,55,,,55 pct.", ",pct,155,,,55 pct."),
                                   ("column value", "outside 0-100", "rule: a percentage lies between 0 and 100")),
    "published-bad-status": Case(PUBLISHED, "wrong type", replace(",,published,,,,,external,80,", ",,publsihed,,,,,external,80,"),
                                 ("column status", "line 2", "'publsihed'", "rule: one of published")),
    "published-duplicate-key": Case(PUBLISHED, "duplicate key", replace("p0022.barometer_2of3,", "p0009.barometer_8of10,"),
                                    ("line 3", "column claim_id", "occurs more than once", "rule: each claim_id once")),
    "published-empty": Case(PUBLISHED, "empty", write(b""), ("the file is empty", "rule: a header line")),
    "published-truncated": Case(PUBLISHED, "truncated", write(lambda b: b[: b.index(b'"', 2000) + 5]),
                                ("CSV syntax error", "unexpected end of data", "rule: a field with commas")),
    "published-dangling-variable": Case(PUBLISHED, "dangling reference", replace("active == 1", "activ == 1"),
                                        (f"line {_line_of(PUBLISHED, 'active == 1')}", "column numerator", "names activ",
                                         "rule: a filter names columns")),
    # ------------------------------------------------------------ the report's contradictions
    "inconsistencies-syntax": Case(INCONSISTENCIES, "syntax", replace("  uses: fig11.reg_municipalities", "  uses: [fig11.reg_municipalities"),
                                   ("YAML syntax error", "line", "rule: the file must be valid YAML")),
    "inconsistencies-duplicate-key": Case(INCONSISTENCIES, "duplicate key", replace("fig16.dk:", "p1153.reg_municipalities:"),
                                          ("key 'p1153.reg_municipalities' is given twice", "rule: each key once")),
    "inconsistencies-dangling-uses": Case(INCONSISTENCIES, "dangling reference",
                                          replace("  uses: fig11.reg_municipalities", "  uses: fig11.no_such_key"),
                                          ("key p1153.reg_municipalities", "'fig11.no_such_key' is not a claim_id",
                                           "rule: uses names the numbers")),
    # ------------------------------------------------------------ numbers from other studies
    "facts-wrong-type": Case(FACTS, "wrong type", replace(",1,Meld. St. 30 (2019–2020),text,", ",one,Meld. St. 30 (2019–2020),text,"),
                             ("line 2", "column line", "rule: a whole number from 1")),
    "facts-extra-column": Case(FACTS, "extra field", replace(",note\n", ",note,remark\n"),
                               ("line 1", "unknown column(s) remark", "rule: the header has exactly")),
    "facts-duplicate-key": Case(FACTS, "duplicate key", replace("no_wp.chapter,", "no_wp.title,"),
                                ("line 3", "'no_wp.title' occurs more than once", "rule: each fact_id once")),
    "facts-bad-quote": Case(FACTS, "syntax", replace('"Official designation', 'Official "designation'),
                            ("line 2", "fields instead of", "rule: one field per column")),
    "facts-nul": Case(FACTS, "encoding", replace("Kapitelnummer", "Kapitel\x00nummer"),
                      ("line 3", "NUL byte", "rule: text holds no NUL bytes")),
    # ------------------------------------------------------------ the figure registry
    "figures-syntax": Case(FIGURES, "syntax", replace("  variables: [active]", "  variables: [active"),
                           ("YAML syntax error", "line", "rule: the file must be valid YAML")),
    "figures-duplicate-key": Case(FIGURES, "duplicate key", replace("  chart: infographic\n", "  chart: infographic\n  chart: bar\n"),
                                  ("key 'chart' is given twice", "rule: each key once")),
    # ------------------------------------------------------------ the validation suites
    # (JSON wants the ':' where the '{' now stands: that line, that column.)
    "suite-syntax": Case(SUITE, "syntax", replace('"kwargs": {', '"kwargs" {'),
                         (f"line {_SUITE_KWARGS}, column {_SUITE_KWARGS_COLUMN}", "JSON syntax error",
                          "rule: a suite is valid JSON", "arena validate --write-suites")),
    "suite-truncated": Case(SUITE, "truncated", write(lambda b: b[: len(b) // 2]),
                            ("line", "JSON syntax error", "rule: a suite is valid JSON")),
    "suite-encoding": Case(SUITE, "encoding", write(lambda b: b + b"\xe6"),
                           (f"line {_SUITE_LINES + 1}, column 1", "not valid UTF-8", "rule: input files are UTF-8")),
    "suite-wrong-shape": Case(SUITE, "wrong type",
                              json_edit(lambda s: s.update(expectations={"council": s["expectations"]})),
                              ("key expectations", "expected a list, found an object",
                               "rule: a suite is an object whose expectations are a list")),
    "suite-expectation-not-object": Case(SUITE, "wrong type", json_edit(lambda s: s["expectations"].insert(2, "x")),
                                         ("key expectations[2]", "expected an object, found a string",
                                          "rule: a suite is an object")),
    # ------------------------------------------------------------ configuration
    "config-syntax": Case(CONFIG, "syntax", replace("arena:\n", "arena: [\n"),
                          (f"line {ARENA_LINE + 2}", "YAML syntax error", "rule: the file must be valid YAML")),
    "config-wrong-value": Case(CONFIG, "wrong type", replace("data-mode: reconstruction", "data-mode: recon"),
                               ("key arena.data-mode", "'recon' is not one of")),
    "profile-syntax": Case(PROFILE, "syntax", replace("lang: en\n", "lang: [en\n"),
                           ("YAML syntax error", "line", "rule: the file must be valid YAML")),
    "edition-truncated": Case(EDITION, "truncated", lambda path: _second_edition(path, lambda b: b[: len(b) // 2]),
                              ("cannot read edition 1's numbers", "line", "rule: a released edition")),
}


def _start(root: Path, command: str) -> subprocess.Popen:
    args = ["build", "--engine", "embedded", "--lang", "en", "--format", "html", "--quiet"] if command == "build" \
        else [command]
    env = dict(os.environ, ARENA_ROOT=str(root), PYTHONPATH=str(root))
    return subprocess.Popen([sys.executable, "-m", "arena.cli", *args], cwd=root, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One copy of the project with the English site built; each case breaks a copy of it."""
    root = copy_project(tmp_path_factory.mktemp("malformed") / "arena")
    proc = run_build(root, "--engine", "embedded", "--lang", "en", "--format", "html", "--quiet")
    assert proc.returncode == 0, proc.stderr
    return root


def test_the_corpus_covers_the_matrix():
    classes = {c.failure for c in CASES.values()}
    assert {"syntax", "encoding", "missing field", "extra field", "wrong type", "out of range", "duplicate key",
            "dangling reference", "empty", "truncated", "conflicting with another file"} <= classes
    assert len(CASES) >= 40
    assert set(READERS) == {c.file for c in CASES.values()}


@pytest.mark.parametrize("name", list(CASES))
def test_malformed_input(name: str, built: Path, tmp_path: Path) -> None:
    case = CASES[name]
    # One broken copy per command, run side by side (each writes its own build/ and caches).
    roots, procs = {}, {}
    for command in case.commands:
        root = roots[command] = tmp_path / command / "arena"
        shutil.copytree(built, root, symlinks=True)
        case.breaks(root / case.file)
        if case.register:
            from arena.project import Project

            Project.load(root).register_raw("reconstruction")
        procs[command] = _start(root, command)
    site_before = tree_hashes(built / "_site")
    for command, proc in procs.items():
        stdout, stderr = proc.communicate(timeout=300)
        out = stdout + stderr
        assert "Traceback" not in out, f"{command}: {out}"
        # Files are named as the author sees them: relative to the project, never absolute.
        for base in {roots[command], roots[command].resolve(), built, built.resolve()}:
            assert str(base) not in out, f"{command}: an absolute path in the message:\n{out}"
        assert proc.returncode == BAD_INPUT, f"{command} exited {proc.returncode}: {out}"
        for fragment in (case.shown, *case.says):
            assert fragment in out, f"{command}: {fragment!r} not in the message:\n{out}"
        if command == "build":
            assert tree_hashes(roots[command] / "_site") == site_before, "a failed build changed _site"


@pytest.mark.parametrize("debug", [False, True])
def test_a_bug_is_one_line_and_exit_3(monkeypatch, capsys, debug):
    """An internal error (not bad input): exit 3, one line asking to report it; the traceback
    only with --debug."""
    from arena import cli, reconcile

    def broken(args):
        raise RuntimeError("a bug\nsecond line")

    monkeypatch.setenv("ARENA_DEBUG", "0")
    monkeypatch.setattr(reconcile, "main", broken)
    code = cli.main(["reconcile", "--debug"] if debug else ["reconcile"])
    err = capsys.readouterr().err
    assert code == 3
    assert "internal error: RuntimeError" in err and "please report it" in err
    assert ("Traceback" in err) == debug
    if not debug:
        assert err.count("\n") == 1 and "--debug" in err


def test_bad_input_raised_anywhere_is_exit_1(monkeypatch, capsys):
    from analysis.inputs import BadInput
    from arena import cli, reconcile

    def bad(args):
        raise BadInput("data/x.csv, line 3: rule: something")

    monkeypatch.setattr(reconcile, "main", bad)
    assert cli.main(["reconcile"]) == 1
    assert capsys.readouterr().err == "error: data/x.csv, line 3: rule: something\n"


def test_reconstruct_names_its_inputs_relative_to_the_project(tmp_path: Path) -> None:
    """`arena reconstruct` (not in the corpus: it rewrites the survey file) names a broken codebook
    as the author sees it, never by its absolute path."""
    root = copy_project(tmp_path / "arena")
    replace("  agree4:\n    da: Enighed", "  agree4:\n    da: [Enighed")(root / CODEBOOK)
    proc = _start(root, "reconstruct")
    stdout, stderr = proc.communicate(timeout=120)
    out = stdout + stderr
    assert proc.returncode == BAD_INPUT, out
    assert f"{CODEBOOK}, line 14" in out and "YAML syntax error" in out and "Traceback" not in out, out
    assert str(root) not in out and str(root.resolve()) not in out, out
