"""The build's steps: each reads declared inputs and writes one artifact into build/artifacts/.

    survey ──► validation
       │
       ├─────► numbers ──► figures ──► reconciliation
       │                                    │
       └──────────────(every artifact)──────┴──► manifest

A step reruns only when something it reads changed: an input file, an upstream artifact, the
code it runs, the project settings it uses, or the environment (package versions). Each step
hashes the bytes it actually read (`Context.read`), so a file replaced while a build runs is
seen by the next build. The survey step snapshots the respondent file and the codebook; every
later step computes from that snapshot, never from data/raw. `arena build --explain` prints
which steps ran and why. Chapters read the artifacts only (arena/chapter.py).
"""
from __future__ import annotations

import hashlib
import json
import os
import platform
import shutil
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from arena.interrupt import check, pause
from arena.project import DATA_MODES, Project
from arena.publish import publish

STATUS_ORDER = ("printed", "assumed", "inconsistent", "differs", "derived")
STATE = "step.json"          # in each artifact folder: the key, what was read, what was written
# Packages whose versions decide what the steps and the renderer produce (the manifest lists
# them; a change reruns every step).
PACKAGES = ("pandas", "numpy", "altair", "vl-convert-python", "great-expectations", "scipy",
            "statsmodels", "babel", "pyyaml", "pypandoc-binary", "typst", "ipykernel", "jupyter-client")
FONT_DIRS = ("/usr/share/fonts", "/usr/local/share/fonts")


class InputError(Exception):
    """An input the build cannot use: the message names the file, the place and the rule."""


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _digest(obj) -> str:
    return sha256(json.dumps(obj, sort_keys=True, ensure_ascii=False).encode("utf-8"))


def _distributions() -> dict[str, str]:
    """Installed distributions, name -> version, from the folders' names (`pandas-2.2.3.dist-info`):
    a directory listing, where importlib.metadata would cost a tenth of a second."""
    out: dict[str, str] = {}
    for entry in sys.path:
        try:
            names = os.listdir(entry or ".")
        except OSError:
            continue
        for name in names:
            if name.endswith(".dist-info"):
                dist, _, version = name[: -len(".dist-info")].partition("-")
                out.setdefault(dist.replace("_", "-").replace(".", "-").lower(), version)
    return out


def environment() -> dict:
    """Versions of what the steps run on: Python, the packages, the fonts charts are drawn with."""
    installed = _distributions()
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        versions[name] = installed.get(name, "not installed")
    fonts = []
    for base in FONT_DIRS:
        for dirpath, _, files in os.walk(base):
            fonts += [f"{Path(dirpath, f).relative_to(base)}:{os.path.getsize(Path(dirpath, f))}"
                      for f in files if f.endswith((".ttf", ".otf", ".ttc"))]
    versions["fonts"] = sha256("\n".join(sorted(fonts)).encode())[:16]
    return versions


@dataclass
class Context:
    """What a running step sees: its project, its output folder, and a reader that records."""
    project: Project
    out: Path
    read_hashes: dict[str, str] = field(default_factory=dict)

    def read(self, path: Path) -> bytes:
        """The bytes of an input file (or an upstream artifact), hashed as read."""
        try:
            data = Path(path).read_bytes()
        except FileNotFoundError:
            raise InputError(f"{self.project.show(path)}: missing (the build needs this file)") from None
        self.read_hashes[self.project.show(path)] = sha256(data)
        return data

    def write(self, name: str, data: bytes | str) -> Path:
        check()     # a stopped build writes nothing more (its folders are being removed)
        path = self.out / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data.encode("utf-8") if isinstance(data, str) else data)
        return path

    def write_json(self, name: str, obj) -> Path:
        return self.write(name, json.dumps(obj, ensure_ascii=False, sort_keys=True, indent=1) + "\n")


@dataclass(frozen=True)
class Step:
    name: str
    inputs: Callable[[Project], list[Path]]     # files it reads (besides upstream artifacts)
    upstream: tuple[str, ...]                   # artifacts it reads
    code: tuple[str, ...]                       # its code: project files (globs) or arena modules
    settings: Callable[[Project], dict]         # the project settings it uses
    run: Callable[[Context], None]


# ---------------------------------------------------------------- the steps

def _run_survey(ctx: Context) -> None:
    p = ctx.project
    data = ctx.read(p.raw)
    meta_bytes = ctx.read(p.raw_meta)
    codebook = ctx.read(p.codebook)
    where = p.show(p.raw_meta)
    try:
        meta = json.loads(meta_bytes.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"{where}: not valid JSON ({exc}); it describes {p.show(p.raw)}") from None
    if not isinstance(meta, dict) or meta.get("origin") not in DATA_MODES:
        raise InputError(f"{where}, key origin: must be one of {', '.join(DATA_MODES)}, "
                         f"found {meta.get('origin') if isinstance(meta, dict) else meta!r}")
    if meta["origin"] != p.data_mode:
        raise InputError(
            f"{where} says the respondent file is a {meta['origin']}, but {p.show(p.config_file)} "
            f"(arena.data-mode) says the report shows a {p.data_mode}. Set arena.data-mode to "
            f"{meta['origin']!r} if that file is what you mean to publish.")
    digest = sha256(data)
    if meta.get("sha256") != digest:
        fix = (f"if it is a survey export, run `arena import-survey {p.show(p.raw)}`; to remake the "
               "reconstruction, run `arena reconstruct`")
        raise InputError(f"{p.show(p.raw)} is not the file {where} describes (its SHA-256 is "
                         f"{digest[:12]}…, the metadata says {str(meta.get('sha256'))[:12]}…): {fix}")
    lines = data.decode("utf-8", errors="replace").splitlines()
    header = lines[0].split(",") if lines else []
    snapshot = ctx.write("survey.csv", data)
    ctx.write("codebook.yaml", codebook)
    _quick_checks(ctx, snapshot)
    ctx.write_json("survey.json", {
        "origin": meta["origin"], "description": meta.get("description", ""),
        "file": p.show(p.raw), "sha256": digest, "rows": max(len(lines) - 1, 0),
        "columns": len(header), "codebook_sha256": sha256(codebook), "data_mode": p.data_mode,
    })


def _quick_checks(ctx: Context, snapshot: Path) -> None:
    """The checks that need no Great Expectations (under a second): the codebook loads, the file
    is UTF-8 CSV with the codebook's columns, every cell a whole number or empty. Nothing
    downstream computes on a file that fails them; the messages name the author's file."""
    from analysis.codebook import CodebookError, load as load_codebook
    from arena import validate

    p = ctx.project
    try:
        cb = load_codebook(ctx.out / "codebook.yaml", p.show(p.codebook))
    except (CodebookError, ValueError, OSError) as exc:
        raise InputError(str(exc)) from None
    _, problems = validate.preflight(snapshot, cb)
    if problems:
        shown = validate._show(snapshot)
        raise InputError("\n".join(m.replace(shown, p.show(p.raw)).replace(str(snapshot), p.show(p.raw))
                                    for m in problems)
                         + f"\n{p.show(p.raw)}: validation FAILED ({len(problems)} problem(s)); nothing was built")


def _run_validation(ctx: Context) -> None:
    from dataclasses import asdict

    from arena import validate

    survey = ctx.out.parent / "survey"
    ctx.read(survey / "survey.csv")
    ctx.read(survey / "codebook.yaml")
    for name in validate.ex.SUITE_NAMES:
        ctx.read(ctx.project.expectations / f"{name}.json")
    result = validate.validate(survey / "survey.csv", survey / "codebook.yaml", ctx.project.expectations,
                               name=ctx.project.show(ctx.project.raw))
    ctx.write_json("validation.json", asdict(result))


_SURVEYS: dict[str, object] = {}    # by the digest of the bytes it was made from (one per build)


def _survey_object(ctx: Context):
    """The survey the numbers and figures steps compute on, made once per build: the two steps
    run one after the other on the same bytes, and parsing them costs about half a second."""
    ctx.project.on_sys_path()
    from analysis.survey import Survey

    survey = ctx.out.parent / "survey"
    parts = (ctx.read(survey / "codebook.yaml"), ctx.read(survey / "survey.csv"), ctx.read(ctx.project.published))
    names = (ctx.project.show(ctx.project.codebook), ctx.project.show(ctx.project.published))
    key = _digest([sha256(b) for b in parts] + list(names))
    if key not in _SURVEYS:
        _SURVEYS.clear()
        _SURVEYS[key] = Survey.from_bytes(*parts, codebook_name=names[0], published_name=names[1])
    return _SURVEYS[key]


def _run_numbers(ctx: Context) -> None:
    from analysis import inputs

    survey = _survey_object(ctx)
    from analysis import numbers

    p = ctx.project
    inconsistencies = inputs.mapping(inputs.load_yaml(ctx.read(p.inconsistencies), p.show(p.inconsistencies),
                                                      allow_empty=True) or {}, p.show(p.inconsistencies))
    _check_inconsistencies(inconsistencies, survey.published, p.show(p.inconsistencies))
    numbers.check_frame(survey, p.show(p.raw), p.show(p.published))
    computed = numbers.compute(survey, inconsistencies, p.data_mode, p.suppress_below)
    rows = {n.key: {**n.to_dict(), "suppress_below": p.suppress_below if p.data_mode == "survey" else 0}
            for n in computed}
    ctx.write_json("numbers.json", rows)
    ctx.write("numbers.csv", numbers.to_frame(computed).to_csv(index=False, lineterminator="\n"))
    # Numbers from other studies, quoted as printed there (chapter 14).
    from analysis import context

    facts = context.parse_facts(ctx.read(p.facts), p.show(p.facts))
    ctx.write_json("facts.json", facts)


def _check_inconsistencies(entries: dict, published, name: str) -> None:
    """Each entry explains an `inconsistent` row of published.csv and names numbers that exist."""
    status = dict(zip(published["claim_id"], published["status"]))
    for key, info in entries.items():
        if status.get(key) != "inconsistent":
            raise InputError(f"{name}, key {key}: no row of published.csv with this claim_id and status "
                             "inconsistent; rule: each entry explains an inconsistent claim")
        if not isinstance(info, dict):
            raise InputError(f"{name}, key {key}: expected a mapping with uses, da and en")
        uses = info.get("uses") or []
        for used in [uses] if isinstance(uses, str) else uses:
            if used not in status:
                raise InputError(f"{name}, key {key}, uses: {used!r} is not a claim_id of published.csv; "
                                 "rule: uses names the numbers the report uses instead")


def _run_figures(ctx: Context) -> None:
    survey = _survey_object(ctx)
    from analysis import figures, inputs

    p = ctx.project
    specs = inputs.mapping(inputs.load_yaml(ctx.read(p.figures_spec), p.show(p.figures_spec)),
                           p.show(p.figures_spec))
    numbers = json.loads(ctx.read(ctx.out.parent / "numbers" / "numbers.json"))
    view = figures.Report(survey, specs, "da", numbers)
    index = figures.claim_index(survey, numbers)
    suppress = p.suppress_below if p.data_mode == "survey" else 0
    records = {fid: figures.record(fid, view, index, p.data_mode, suppress) for fid in specs}
    ctx.write_json("figures.json", records)


def _run_reconciliation(ctx: Context) -> None:
    p = ctx.project
    p.on_sys_path()
    from analysis import reconcile

    numbers = json.loads(ctx.read(ctx.out.parent / "numbers" / "numbers.json"))
    figures = json.loads(ctx.read(ctx.out.parent / "figures" / "figures.json"))
    table = reconcile.reconcile(numbers, figures)
    from analysis.display import frame_to_csv

    ctx.write("reconciliation.csv", frame_to_csv(table))   # formula-guarded: it is downloaded
    ctx.write_json("summary.json", reconcile.summary(table))


def _run_changes(ctx: Context) -> None:
    """What changed since the last released edition (editions/<n>/), for the site's page."""
    from dataclasses import asdict

    from arena import editions

    for f in sorted(ctx.project.editions.glob("*/*.json")):
        ctx.read(f)
    ctx.read(ctx.out.parent / "numbers" / "numbers.json")
    ctx.read(ctx.out.parent / "figures" / "figures.json")
    try:
        changes = editions.diff(ctx.project)
    except editions.EditionError as exc:
        raise InputError(str(exc)) from None
    ctx.write_json("changes.json", {"since": changes.since, "edition": changes.edition,
                                    "numbers": [asdict(c) for c in changes.numbers],
                                    "figures": [asdict(f) for f in changes.figures]})
    for lang in ("da", "en"):
        ctx.write(f"changes-{lang}.md", editions.changes_markdown(changes, lang, heading_level=0))


def _run_manifest(ctx: Context) -> None:
    states = {}
    for name in ORDER[:-1]:
        state = json.loads(ctx.read(ctx.out.parent / name / STATE))
        states[name] = {"inputs": state["read"], "outputs": state["outputs"], "key": state["key"]}
    inputs = {}
    for s in states.values():
        inputs.update({k: v for k, v in s["inputs"].items() if not k.startswith("build/")})
    from importlib import metadata

    installed = {d.metadata["Name"].lower(): d.version for d in metadata.distributions() if d.metadata["Name"]}
    ctx.write_json("manifest.json", {
        "data_mode": ctx.project.data_mode, "edition": vars(ctx.project.edition),
        "inputs": inputs, "steps": states, "environment": environment(),
        "tools": _tool_versions(), "installed": dict(sorted(installed.items())),
    })


def _tool_versions() -> dict:
    """Pandoc and Typst as the renderer runs them (both come from PyPI packages)."""
    out = {}
    try:
        import pypandoc

        out["pandoc"] = pypandoc.get_pandoc_version()
    except Exception as exc:   # recorded, not fatal: the manifest says what it could not learn
        out["pandoc"] = f"unknown ({exc.__class__.__name__})"
    try:
        from importlib import metadata

        out["typst"] = metadata.version("typst")
    except Exception as exc:
        out["typst"] = f"unknown ({exc.__class__.__name__})"
    return out


def _none(_: Project) -> list[Path]:
    return []


def _mode(p: Project) -> dict:
    return {"data_mode": p.data_mode}


def _mode_and_suppression(p: Project) -> dict:
    return {"data_mode": p.data_mode, "suppress_below": p.suppress_below}


ANALYSIS = ("analysis/*.py", "analysis/words.yaml")
STEPS: dict[str, Step] = {s.name: s for s in (
    Step("survey", lambda p: [p.raw, p.raw_meta, p.codebook], (), ("arena.steps",), _mode, _run_survey),
    Step("validation", lambda p: [p.expectations / f"{n}.json" for n in ("structure", "values", "filters")],
         ("survey",), ("arena.validate", "arena.expectations", "analysis/codebook.py"), lambda p: {},
         _run_validation),
    Step("numbers", lambda p: [p.published, p.inconsistencies, p.facts], ("survey",), ANALYSIS,
         _mode_and_suppression, _run_numbers),
    Step("figures", lambda p: [p.figures_spec], ("survey", "numbers"), ANALYSIS, _mode_and_suppression,
         _run_figures),
    Step("reconciliation", _none, ("numbers", "figures"), ("analysis/reconcile.py", "analysis/numbers.py",
         "analysis/survey.py", "analysis/claims.py", "analysis/codebook.py", "analysis/rounding.py"),
         lambda p: {}, _run_reconciliation),
    Step("changes", lambda p: sorted(p.editions.glob("*/*.json")), ("numbers", "figures"),
         ("arena.editions", "analysis/fmt.py"), lambda p: {"edition": vars(p.edition)}, _run_changes),
    Step("manifest", _none, ("survey", "validation", "numbers", "figures", "reconciliation", "changes"),
         ("arena.steps",),
         lambda p: {"edition": vars(p.edition)}, _run_manifest),
)}
ORDER = tuple(STEPS)


# ---------------------------------------------------------------- running them

def _code_files(project: Project, code: tuple[str, ...]) -> list[Path]:
    files: list[Path] = []
    for item in code:
        if "/" in item:
            files += sorted(project.root.glob(item))
        else:
            import importlib.util

            spec = importlib.util.find_spec(item)
            files.append(Path(spec.origin))
    return files


def _hash_files(project: Project, files: list[Path]) -> dict[str, str]:
    out = {}
    for f in files:
        try:
            out[project.show(f)] = sha256(f.read_bytes())
        except FileNotFoundError:
            out[project.show(f)] = "missing"
    return out


@dataclass
class Decision:
    step: str
    run: bool
    reasons: list[str]


class Graph:
    """Plans and runs the steps of one project; remembers why each ran (for --explain)."""

    def __init__(self, project: Project, env: dict | None = None) -> None:
        self.project = project
        project.on_sys_path()   # the steps run the project's own analysis/
        self.env = env if env is not None else environment()
        self.decisions: dict[str, Decision] = {}

    def folder(self, name: str) -> Path:
        return self.project.artifacts / name

    def state(self, name: str) -> dict | None:
        try:
            return json.loads((self.folder(name) / STATE).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None

    def _parts(self, step: Step) -> dict:
        p = self.project
        upstream = {}
        for name in step.upstream:
            state = self.state(name) or {}
            upstream.update({f"{name}/{k}": v for k, v in (state.get("outputs") or {}).items()})
        return {"files": _hash_files(p, step.inputs(p)), "upstream": upstream,
                "code": _hash_files(p, _code_files(p, step.code)), "settings": step.settings(p),
                "env": self.env}

    @staticmethod
    def _key(name: str, parts: dict) -> str:
        return _digest({"step": name, "v": 1, **parts})

    def decide(self, name: str) -> Decision:
        step = STEPS[name]
        parts = self._parts(step)
        old = self.state(name)
        reasons: list[str] = []
        if old is None:
            reasons.append("no earlier result")
        elif old.get("key") != self._key(name, parts):
            before = old.get("parts") or {}
            for kind, label in (("files", "input changed"), ("upstream", "artifact changed"),
                                ("code", "code changed"), ("settings", "setting changed"),
                                ("env", "environment changed")):
                now, was = parts[kind], before.get(kind) or {}
                changed = sorted(k for k in set(now) | set(was) if now.get(k) != was.get(k))
                if changed:
                    reasons.append(f"{label}: {', '.join(changed)}")
            reasons = reasons or ["its record is out of date"]
        elif not all((self.folder(name) / f).exists() for f in old.get("outputs") or {}):
            reasons.append("its artifact is incomplete")
        decision = Decision(name, bool(reasons), reasons or ["up to date"])
        self.decisions[name] = decision
        return decision

    def run(self, name: str, force: bool = False) -> Decision:
        """Run the step if anything it reads changed; return what was decided and why."""
        decision = self.decide(name)
        if force and not decision.run:
            decision = Decision(name, True, ["forced"])
            self.decisions[name] = decision
        if not decision.run:
            return decision
        step = STEPS[name]
        final = self.folder(name)
        tmp = final.with_name(f".{name}.tmp-{os.getpid()}")
        shutil.rmtree(tmp, ignore_errors=True)
        tmp.mkdir(parents=True)
        ctx = Context(self.project, tmp)
        try:
            try:
                step.run(ctx)
            except ValueError as exc:
                # A loader's BadInput (analysis/inputs.py) is bad input, named and located.
                from analysis.inputs import BadInput

                if isinstance(exc, BadInput):
                    raise InputError(str(exc)) from None
                raise
            # The key is made from the bytes the step read, not from the files as they are now:
            # an input replaced during the step makes the next build run it again.
            parts = self._parts(step)
            for kind in ("files", "upstream"):
                for k in parts[kind]:
                    alias = k if kind == "files" else self.project.show(
                        self.project.artifacts / k.split("/", 1)[0] / k.split("/", 1)[1])
                    if alias in ctx.read_hashes:
                        parts[kind][k] = ctx.read_hashes[alias]
            outputs = {str(f.relative_to(tmp)): sha256(f.read_bytes())
                       for f in sorted(tmp.rglob("*")) if f.is_file()}
            state = {"key": self._key(name, parts), "parts": parts, "read": ctx.read_hashes,
                     "outputs": outputs}
            (tmp / STATE).write_text(json.dumps(state, sort_keys=True, indent=1) + "\n", encoding="utf-8")
            publish(tmp, final)     # one atomic swap (arena/publish.py)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
        pause(name)
        return decision

    def outputs_digest(self, names: tuple[str, ...] = ORDER) -> str:
        """One hash of the named artifacts as they are now (what the chapters read)."""
        return _digest({n: (self.state(n) or {}).get("outputs") for n in names})

    def explain(self) -> str:
        lines = []
        for name in ORDER:
            d = self.decisions.get(name)
            if d is None:
                continue
            lines.append(f"{'ran ' if d.run else 'kept'} {name:<15} {'; '.join(d.reasons)}")
        return "\n".join(lines)


def run_all(project: Project, names: tuple[str, ...] = ORDER, force: bool = False) -> Graph:
    graph = Graph(project)
    for name in names:
        graph.run(name, force=force)
    return graph


def main(argv: list[str] | None = None) -> int:
    """`python -m arena.steps`: make every artifact (Quarto's pre-render runs this).
    `--step NAME [--force]` runs one step only (`arena build` runs validation so, in a process of
    its own: Great Expectations is pure Python and would hold the build's GIL for seconds)."""
    args = argv if argv is not None else sys.argv[1:]
    try:
        project = Project.find()
        if "--step" in args:
            name = args[args.index("--step") + 1] if args.index("--step") + 1 < len(args) else ""
            if name not in STEPS:
                print(f"usage: --step takes one of {', '.join(ORDER)}", file=sys.stderr)
                return 2
            try:
                Graph(project).run(name, force="--force" in args)
            except InputError:
                raise
            except Exception as exc:    # a bug: one line (the traceback with --debug), exit 3
                from arena.errors import debug_wanted, internal_error

                print(internal_error(exc, debug_wanted(args)), file=sys.stderr)
                return 3
            return 0
        graph = run_all(project)
    except InputError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if "--explain" in args:
        print(graph.explain())
    result = json.loads((graph.folder("validation") / "validation.json").read_text(encoding="utf-8"))
    if not result["ok"]:
        for problem in result["problems"]:
            print(problem, file=sys.stderr)
        print(f"{result['raw']}: validation FAILED; nothing is built", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
