"""Build benchmark: cold build, no-op rebuild and one-chapter edit (median of N runs), peak memory,
and the same for `quarto render` when Quarto is installed.

    python bench/build_bench.py [--runs 3] [--jobs 1,2] [--baseline PATH] [--quarto-runs N]

`--baseline PATH` benchmarks another checkout of the project too (e.g. a `git worktree` of an
earlier commit), run for run beside this one, and prints the ratios: the same machine, the same
moment, so the comparison holds on a noisy machine.

Every run works in a fresh copy of the project in a temporary directory (ARENA_ROOT), so the
real _site/ and .arena-cache/ are never touched. Per run, in order:

  nothing    `arena build` on the fresh copy: nothing on record, so it also validates the data
             (Great Expectations runs while the chapters execute); what `make build` does after
             a data update
  cold       `arena build` again after deleting _site/ and every cached chapter output, Pandoc
             conversion and stamp (kernels start, every chapter executes, every page converts,
             both PDFs compile); the build's artifacts (build/artifacts) are kept
  no-op      `arena build` again, nothing changed
  prose edit one sentence appended to the last English chapter (no code touched)
  code edit  one inline expression added to the last English chapter (that chapter re-executes)

The Vega bundle is made at install time (`make setup`), so it is not part of any of these.
"""
from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns(".venv", ".git", "_site", "._site*", ".arena-cache", "__pycache__",
                                ".pytest_cache", "*.egg-info", "build")


def fresh_copy(base: Path, name: str, repo: Path = REPO) -> Path:
    dest = base / name
    shutil.copytree(repo, dest, ignore=IGNORE)
    return dest


def timed(cmd: list[str], root: Path, env: dict | None = None) -> float:
    e = {**os.environ, **(env or {}), "ARENA_ROOT": str(root), "PYTHONPATH": str(root)}
    t = time.perf_counter()
    proc = subprocess.run(cmd, cwd=root, env=e, capture_output=True, text=True)
    dt = time.perf_counter() - t
    if proc.returncode != 0:
        sys.exit(f"command failed: {' '.join(cmd)}\n{proc.stderr[-3000:]}")
    return dt


def arena_cmd(*extra: str) -> list[str]:
    return [sys.executable, "-m", "arena.cli", "build", "--engine", "embedded", "--quiet", *extra]


def edit_chapter(root: Path, i: int, code: bool = False) -> None:
    ch = sorted((root / "chapters" / "en").glob("*.qmd"))[-1]
    extra = f"\nA code edit: `{{python}} 'run ' + str({i})`.\n" if code else f"\nA prose edit number {i}.\n"
    ch.write_text(ch.read_text(encoding="utf-8") + extra, encoding="utf-8")


STEPS = ("nothing", "cold", "noop", "edit", "code")
LABELS = {"nothing": "from nothing", "cold": "cold", "noop": "no-op", "edit": "prose edit", "code": "code edit"}


def forget_renders(root: Path) -> None:
    """Back to a cold render: no site, no chapter outputs, no conversions (validation kept)."""
    shutil.rmtree(root / "_site", ignore_errors=True)
    for name in ("exec", "pandoc"):
        shutil.rmtree(root / ".arena-cache" / name, ignore_errors=True)
    (root / ".arena-cache" / "stamps.json").unlink(missing_ok=True)


def bench_arena(base: Path, runs: int, jobs: str, repo: Path = REPO,
                out: dict[str, list[float]] | None = None) -> dict[str, list[float]]:
    env = {"ARENA_BUILD_JOBS": jobs}
    out = out if out is not None else {k: [] for k in STEPS}
    for r in range(runs):
        root = fresh_copy(base, f"arena-j{jobs}-{repo.name}-{r}-{len(out['nothing'])}", repo)
        out["nothing"].append(timed(arena_cmd(), root, env))
        forget_renders(root)
        out["cold"].append(timed(arena_cmd(), root, env))
        out["noop"].append(timed(arena_cmd(), root, env))
        edit_chapter(root, r)
        out["edit"].append(timed(arena_cmd(), root, env))
        edit_chapter(root, r, code=True)
        out["code"].append(timed(arena_cmd(), root, env))
        shutil.rmtree(root)
    return out


def bench_quarto(base: Path, runs: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {k: [] for k in STEPS if k != "nothing"}

    def render(root: Path) -> float:
        from arena.build import quarto_env   # the project's Python for Quarto's Jupyter engine

        return sum(timed(["quarto", "render", "--profile", lang], root, quarto_env(lang, root))
                   for lang in ("da", "en"))

    for r in range(runs):
        root = fresh_copy(base, f"quarto-{r}")
        out["cold"].append(render(root))
        out["noop"].append(render(root))
        edit_chapter(root, r)
        out["edit"].append(render(root))
        edit_chapter(root, r, code=True)
        out["code"].append(render(root))
        shutil.rmtree(root)
    return out


def page_weights(site: Path) -> list[tuple[str, int, int]]:
    """(page, its HTML bytes, with the local scripts and styles it loads) for every page."""
    import re

    out = []
    for page in sorted(site.rglob("*.html")):
        html = page.read_text(encoding="utf-8")
        total = len(html.encode("utf-8"))
        for ref in set(re.findall(r'<(?:script[^>]+src|link[^>]+href)="([^"#?]+\.(?:js|css))"', html)):
            asset = (page.parent / ref).resolve()
            if asset.is_file():
                total += asset.stat().st_size
        out.append((str(page.relative_to(site)), len(html.encode("utf-8")), total))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--jobs", default="2", help="ARENA_BUILD_JOBS values to compare, e.g. 2,1 (2 = languages in parallel)")
    ap.add_argument("--baseline", type=Path, help="another checkout to benchmark run for run beside this one")
    ap.add_argument("--quarto-runs", type=int, help="runs of `quarto render` (default: --runs; each run renders "
                    "both profiles four times, ~15 minutes on 2 cores)")
    args = ap.parse_args()
    runs = max(3, args.runs)
    print(f"arena build benchmark: {runs} runs each, {os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    results: dict[str, dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory(prefix="arena-bench-") as tmp:
        base = Path(tmp)
        for jobs in args.jobs.split(","):
            if args.baseline:   # alternate: this, baseline, this, baseline, ...
                mine, theirs = {k: [] for k in STEPS}, {k: [] for k in STEPS}
                for _ in range(runs):
                    bench_arena(base, 1, jobs.strip(), REPO, mine)
                    bench_arena(base, 1, jobs.strip(), args.baseline.resolve(), theirs)
                results[f"embedded (jobs={jobs})"] = mine
                results[f"baseline (jobs={jobs})"] = theirs
            else:
                results[f"embedded (jobs={jobs})"] = bench_arena(base, runs, jobs.strip())
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if shutil.which("quarto"):
            results["quarto render"] = bench_quarto(base, args.quarto_runs or runs)
    print(f"\n{'renderer':<22}" + "".join(f"{LABELS[k]:>12}" for k in STEPS)
          + "   (median seconds, both languages, HTML + PDF)")
    for name, res in results.items():
        print(f"{name:<22}" + "".join(f"{statistics.median(res[k]):>12.2f}" if res.get(k) else f"{'-':>12}"
                                      for k in STEPS))
    print(f"\npeak RSS of the largest child process (build or kernel): {peak_mb:.0f} MB")
    weights_root = fresh_copy(Path(tempfile.mkdtemp(prefix="arena-weight-")), "arena")
    timed(arena_cmd("--format", "html"), weights_root)
    weights = page_weights(weights_root / "_site")
    print(f"\npage weight (KB: the page / with the scripts and styles it loads), {len(weights)} pages:")
    for name, own, total in weights:
        print(f"  {name:<60} {own / 1024:8.1f} {total / 1024:8.1f}")
    shutil.rmtree(weights_root.parent, ignore_errors=True)
    if "quarto render" in results:
        emb = next(iter(results.values()))
        q = results["quarto render"]
        print("quarto / embedded: " + ", ".join(
            f"{LABELS[k]} {statistics.median(q[k]) / statistics.median(emb[k]):.1f}x" for k in STEPS if k in q))
    else:
        print("quarto: not on PATH, no comparison")
    if args.baseline:
        mine, theirs = results[f"embedded (jobs={args.jobs.split(',')[0]})"], results[f"baseline (jobs={args.jobs.split(',')[0]})"]
        print("this / baseline (median): " + ", ".join(
            f"{LABELS[k]} {statistics.median(mine[k]) / statistics.median(theirs[k]):.2f}" for k in STEPS))
    for name, res in results.items():
        print(f"raw {name}: " + "; ".join(f"{k}=" + ",".join(f"{v:.2f}" for v in res[k]) for k in res))
    return 0


if __name__ == "__main__":
    sys.exit(main())
