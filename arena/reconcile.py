"""`arena reconcile`: every published number against the recomputed one → CSV + HTML page.

Exit status 1 when any row is a MISMATCH (a published number the data does not reproduce and
that is not documented as a source inconsistency).
"""
from __future__ import annotations

import sys
from pathlib import Path

from analysis.escape import html_attr


def write_html(table, path: Path, counts: dict[str, int]) -> None:
    e = html_attr   # cells and the class attribute alike
    rows = "".join(
        f"<tr class=\"{e(r.status.replace(' ', '-'))}\"><td><code>{e(r.claim_id)}</code></td><td>{e(r.figure or '')}</td>"
        f"<td>{e(r.source)}</td><td>{e(str(r.printed))}</td><td>{e(str(r.published_value))}</td>"
        f"<td>{'' if r.recomputed is None or r.recomputed != r.recomputed else e(str(r.recomputed))}</td>"
        f"<td>{e(r.status)}</td><td>{e(r.detail or '')}</td></tr>"
        for r in table.itertuples(index=False))
    summary = ", ".join(f"{n} {s}" for s, n in counts.items())
    path.write_text(f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Reconciliation</title>
<style>body{{font-family:system-ui,sans-serif;max-width:80rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%;font-size:.9em}}td,th{{border-bottom:1px solid #ddd;padding:.25rem;text-align:left}}
tr.MISMATCH{{background:#fdd}}tr.inconsistent{{background:#fff4d6}}</style></head><body>
<h1>Reconciliation with the printed report</h1><p>{e(summary)}.</p>
<table><thead><tr><th>claim</th><th>figure</th><th>source line</th><th>printed</th><th>value</th>
<th>recomputed</th><th>status</th><th>detail</th></tr></thead><tbody>{rows}</tbody></table></body></html>
""", encoding="utf-8")


def main(args) -> int:
    from analysis import reconcile
    from arena import paths

    out = Path(args.out) if getattr(args, "out", None) else Path(paths.ROOT) / "build" / "reconciliation"
    out.mkdir(parents=True, exist_ok=True)
    table = reconcile.reconcile()
    counts = reconcile.summary(table)
    from analysis.display import frame_to_csv

    (out / "reconciliation.csv").write_text(frame_to_csv(table), encoding="utf-8")   # formula-guarded
    write_html(table, out / "reconciliation.html", counts)
    print(", ".join(f"{n} {s}" for s, n in counts.items()) + f"; wrote {out / 'reconciliation.csv'}")
    if counts["MISMATCH"]:
        for r in table[table.status == "MISMATCH"].itertuples(index=False):
            print(f"MISMATCH {r.claim_id} ({r.source}): printed {r.printed!r}, recomputed {r.recomputed} {r.detail}",
                  file=sys.stderr)
        return 1
    return 0
