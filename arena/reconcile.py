"""`arena reconcile`: every printed number against the value the data in hand gives.

Runs the build's steps up to the reconciliation (arena/steps.py) and prints the counts per
status. Numbers that moved are reported, never refused: exit 0. With `--strict` any number that
differs from the printed report exits with EXIT_DIFFERS, listing each (the README's test command
runs it on the shipped data).
"""
from __future__ import annotations

import shutil
import sys
from pathlib import Path

EXIT_DIFFERS = 4


def main(args) -> int:
    import pandas as pd

    from arena import steps
    from arena.project import Project, ProjectError

    try:
        project = Project.find()
        graph = steps.Graph(project)
        for name in ("survey", "numbers", "figures", "reconciliation"):
            graph.run(name)
    except (steps.InputError, ProjectError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    folder = graph.folder("reconciliation")
    table = pd.read_csv(folder / "reconciliation.csv", dtype=str, keep_default_na=False)
    counts = table["status"].value_counts()
    print(", ".join(f"{int(counts.get(s, 0))} {s}" for s in steps.STATUS_ORDER)
          + f"; data: {project.data_mode}; {project.show(folder / 'reconciliation.csv')}")
    if getattr(args, "out", None):
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        shutil.copy2(folder / "reconciliation.csv", out / "reconciliation.csv")
    differs = table[table["status"] == "differs"]
    for r in differs.itertuples(index=False):
        print(f"differs {r.claim_id} ({r.source}): printed {r.printed!r}, now {r.recomputed} {r.detail}".rstrip(),
              file=sys.stderr)
    if getattr(args, "strict", False) and len(differs):
        print(f"{len(differs)} number(s) differ from the printed report (--strict)", file=sys.stderr)
        return EXIT_DIFFERS
    return 0
