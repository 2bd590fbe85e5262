"""The `arena` command: one entry point, one subcommand per step of the pipeline."""
from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from arena.errors import debug_wanted, internal_error


def _cmd_reconstruct(args: argparse.Namespace) -> int:
    from arena import reconstruct

    return reconstruct.main(args)


def _cmd_validate(args: argparse.Namespace) -> int:
    from arena import validate

    return validate.main(args)


def _cmd_reconcile(args: argparse.Namespace) -> int:
    from arena import reconcile

    return reconcile.main(args)


def _cmd_import_survey(args: argparse.Namespace) -> int:
    import shutil

    from arena.project import Project, ProjectError

    try:
        project = Project.find()
    except ProjectError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    source = Path(args.file)
    if not source.is_file():
        print(f"error: {source}: no such file", file=sys.stderr)
        return 1
    if source.resolve() != project.raw.resolve():
        shutil.copyfile(source, project.raw)
    meta = project.register_raw("survey", args.description or f"Survey export {source.name}")
    print(f"{project.show(project.raw)}: {meta['rows']} rows, {meta['columns']} columns, "
          f"sha256 {meta['sha256'][:12]}…; wrote {project.show(project.raw_meta)} (origin: survey)")
    if project.data_mode != "survey":
        print(f"next: set `data-mode: survey` under `arena:` in {project.show(project.config_file)}, "
              "then `arena build`", file=sys.stderr)
    return 0


def _cmd_build(args: argparse.Namespace) -> int:
    from arena import build

    return build.main(args)


def _cmd_serve(args: argparse.Namespace) -> int:
    from arena import serve

    return serve.main(args)


def _port(text: str) -> int:
    """--port: 0-65535 (0 lets the system pick a free port); anything else is a usage error."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port number (0-65535)")
    return port


def make_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="arena", description=__doc__)
    parser.add_argument("--debug", action="store_true", default=False,
                        help="on an internal error, print the traceback (also ARENA_DEBUG=1)")
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)   # `arena build --debug` works too
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    add_parser = sub.add_parser
    sub.add_parser = lambda *a, **k: add_parser(*a, parents=[common], **k)   # type: ignore[method-assign]

    p = sub.add_parser("reconstruct", help="generate data/raw/survey.csv from the codebook and the published numbers")
    p.add_argument("--check", action="store_true", help="only check that the shipped file is what the generator makes")
    p.set_defaults(func=_cmd_reconstruct)

    p = sub.add_parser("validate", help="run the Great Expectations suites on data/raw and write a validation report")
    p.add_argument("--raw", help="respondent file to validate (default data/raw/survey.csv)")
    p.add_argument("--report", help="where to write the HTML validation report")
    p.add_argument("--write-suites", action="store_true", help="regenerate expectations/*.json from the codebook and bases")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("reconcile", help="recompute every published number and compare")
    p.add_argument("--out", help="also copy reconciliation.csv into this directory")
    p.add_argument("--strict", action="store_true",
                   help="exit 4 if any printed number differs from what the data gives")
    p.set_defaults(func=_cmd_reconcile)

    p = sub.add_parser("import-survey", help="take a survey export as the respondent file (data/raw/survey.csv)")
    p.add_argument("file", help="the export, a CSV with the codebook's columns")
    p.add_argument("--description", default="", help="what the export is (kept in survey.meta.json)")
    p.set_defaults(func=_cmd_import_survey)

    p = sub.add_parser("build", help="render the bilingual site and PDFs into _site/")
    p.add_argument("--lang", choices=["da", "en"], action="append", help="language(s) to build (default both)")
    p.add_argument("--format", choices=["html", "pdf"], action="append", help="format(s) to build (default both)")
    p.add_argument("--engine", choices=["auto", "quarto", "embedded"], default="auto")
    p.add_argument("--quiet", action="store_true", help="no progress bar (CI)")
    p.add_argument("--no-cache", action="store_true", help="ignore the content-hash cache")
    p.add_argument("--explain", action="store_true", help="list which steps ran and why")
    p.add_argument("--no-wait", action="store_true",
                   help="if another build of this project is running, exit 1 instead of waiting for it")
    p.set_defaults(func=_cmd_build)

    p = sub.add_parser("release", help="freeze this edition's numbers into editions/<n>/")
    p.add_argument("--force", action="store_true", help="overwrite a released edition that differs")
    p.set_defaults(func=lambda a: __import__("arena.editions", fromlist=["x"]).main_release(a))

    p = sub.add_parser("diff", help="numbers and figures that changed since the last released edition")
    p.add_argument("--since", type=int, help="compare with this edition instead of the last one")
    p.set_defaults(func=lambda a: __import__("arena.editions", fromlist=["x"]).main_diff(a))

    p = sub.add_parser("serve", help="serve _site/ on localhost")
    p.add_argument("--port", type=_port, default=8000, help="port to listen on (default 8000)")
    p.add_argument("--host", help="address to listen on (default 127.0.0.1: this machine only)")
    p.set_defaults(func=_cmd_serve)
    return parser


# Exit codes (the README's table): what a script calling `arena` can tell apart.
EXIT_BAD_INPUT = 1      # an input file (or the project) cannot be used: the message says why
EXIT_USAGE = 2          # argparse's own code for a wrong command line
EXIT_INTERNAL = 3       # a bug in arena: one line asking to report it (--debug: the traceback)
# 4: `arena reconcile --strict` found printed numbers that differ (arena/reconcile.py)


def main(argv: list[str] | None = None) -> int:
    from arena.project import Project, ProjectError

    try:   # the project's own analysis/ is importable from here on (it is not installed)
        Project.find().on_sys_path()
    except ProjectError:
        pass   # each command says so itself where it needs a project
    args = make_parser().parse_args(argv)
    debug = args.debug or debug_wanted([])
    if debug:
        os.environ["ARENA_DEBUG"] = "1"   # the build's threads report their own errors
    try:
        return int(args.func(args) or 0)
    except Exception as exc:   # noqa: BLE001 - the one place a traceback is kept from the user
        from arena.steps import InputError

        bad_input = isinstance(exc, (InputError, ProjectError))
        if not bad_input:   # the loaders' error class (analysis/inputs.py), once importable
            bad = getattr(sys.modules.get("analysis.inputs"), "BadInput", None)
            bad_input = bad is not None and isinstance(exc, bad)
        if bad_input:
            print(f"error: {exc}", file=sys.stderr)
            return EXIT_BAD_INPUT
        print(internal_error(exc, debug), file=sys.stderr)
        return EXIT_INTERNAL


if __name__ == "__main__":
    sys.exit(main())
