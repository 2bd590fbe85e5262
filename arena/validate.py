"""`arena validate`: check data/raw/survey.csv before anything is computed.

Two stages:
1. pre-flight in plain Python/pandas (file, encoding, delimiter, header, ragged rows, non-integer codes):
   problems Great Expectations cannot describe well, reported with line numbers;
2. the Great Expectations suites in expectations/*.json (generated from the codebook by
   arena/expectations.py), run on a typed frame (nullable Int64; empty cell = NA = not asked).

On success a report (build/validation/validation.html + .json) is written. The result, pass or fail,
is cached under .arena-cache/validation/ keyed on sha256(raw CSV + suites + codebook + this code), so
`ensure_valid` (called by the build) skips GE when nothing changed; one validation runs at a time
(a file lock), and a second caller waits for it and reads its result. On failure every broken rule is printed with file,
column, row numbers, line numbers, values and the rule in plain words; exit status 1; nothing is
written into _site.
"""
from __future__ import annotations

import argparse
import csv
import difflib
import hashlib
import io
import json
import os
import re
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable


from analysis.codebook import Codebook, CodebookError
from analysis.codebook import load as load_codebook
from analysis.escape import html_attr
from analysis.inputs import BadInput, decode
from arena import expectations as ex

if TYPE_CHECKING:   # pandas is imported where it is used: the cached path must stay light
    import pandas as pd

_INT = re.compile(r"-?[0-9]+")
_FLOAT = re.compile(r"-?[0-9]*\.[0-9]+|-?[0-9]+\.[0-9]*")
SHOW_VALUES = 5
SHOW_ROWS = 10


@dataclass
class ValidationResult:
    ok: bool
    raw: str
    data_sha256: str
    key: str
    rows: int = 0
    evaluated: int = 0
    passed: int = 0
    problems: list[str] = field(default_factory=list)
    results: list[dict] = field(default_factory=list)  # one per expectation: suite, type, column, rule, success, ...
    seconds: float = 0.0
    cached: bool = False

    def summary(self) -> str:
        if not self.ok:
            return f"{self.raw}: validation FAILED ({len(self.problems)} problem(s))"
        how = " (cached)" if self.cached else f" in {self.seconds:.1f} s"
        return (f"{self.raw}: valid, {self.rows} rows; {self.evaluated} expectations evaluated, "
                f"{self.passed} passed{how}")


class ValidationFailed(Exception):
    def __init__(self, result: ValidationResult):
        super().__init__("\n".join(result.problems))
        self.result = result


# ---------------------------------------------------------------- helpers


def _show(path: Path) -> str:
    # Messages name files as the author sees them: relative to the project root (wherever
    # arena runs from), else to the working folder.
    from arena.project import Project, ProjectError

    try:
        shown = Project.find().show(path)
        if not Path(shown).is_absolute():
            return shown
    except ProjectError:
        pass
    try:
        return str(Path(path).resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def _rows(idx: list[int], lines: list[int], total: int | None = None) -> str:
    """'rows 17, 203 (lines 18, 204)' from 0-based data row indices."""
    idx = sorted(idx)
    total = len(idx) if total is None else total
    shown = idx[:SHOW_ROWS]
    more = f" and {total - len(shown)} more" if total > len(shown) else ""
    word = "row" if total == 1 else "rows"
    rws = ", ".join(str(i + 1) for i in shown)
    lns = ", ".join(str(lines[i]) if i < len(lines) else "?" for i in shown)
    return f"{word} {rws}{more} (line{'s' if len(shown) > 1 else ''} {lns})"


def _vals(values: list) -> str:
    import pandas as pd  # lazily: the build's cached path must not pay for pandas
    uniq = list(dict.fromkeys("empty" if v is None or v is pd.NA or v == "" else str(v) for v in values))
    more = f" and {len(uniq) - SHOW_VALUES} more" if len(uniq) > SHOW_VALUES else ""
    return ", ".join(uniq[:SHOW_VALUES]) + more


# ---------------------------------------------------------------- pre-flight


@dataclass
class Parsed:
    frame: pd.DataFrame  # all str, "" = not asked
    lines: list[int]  # file line number of each data row (0-based row index -> line)


def preflight(raw: Path, cb: Codebook) -> tuple[Parsed | None, list[str]]:
    """Plain checks before GE. Returns (parsed, problems); parsed is None when GE cannot run."""
    import pandas as pd  # lazily: the build's cached path must not pay for pandas
    name = _show(raw)
    if not raw.exists():
        return None, [f"{name}: file not found (expected the respondent file; run `arena reconstruct`)"]
    data = raw.read_bytes()
    if not data.strip():
        return None, [f"{name}: file is empty (expected a header line and one row per respondent)"]
    try:
        text = decode(data, name)
    except BadInput as exc:
        return None, [str(exc)]

    expected = cb.columns
    header_line = text.splitlines()[0] if text.splitlines() else ""
    if "," not in header_line:
        for d, dname in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if d in header_line:
                return None, [f"{name}, line 1: wrong delimiter: the header is separated by {dname}s ({d!r}); "
                              f"rule: fields are separated by commas"]

    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:  # pragma: no cover - empty handled above
        return None, [f"{name}: file is empty"]
    problems = _header_problems(name, header, expected)
    if problems:
        return None, problems

    records, lines, ragged = [], [], []
    for rec in reader:
        line = reader.line_num  # last file line of this record
        if not rec:  # a blank line
            if any(r for r in reader):
                ragged.append(f"{name}, line {line}: blank line inside the data; rule: one row per respondent")
            break
        if len(rec) != len(header):
            rid = rec[0] if rec else ""
            ragged.append(f"{name}, line {line} (row {len(records) + 1}, resp_id {rid or 'empty'}): "
                          f"{len(rec)} fields instead of {len(header)}; rule: every row has one field per column "
                          f"(truncated or ragged row)")
        records.append(rec)
        lines.append(line)
    if ragged:
        return None, ragged
    if not records:
        return None, [f"{name}: header but no data rows; rule: one row per respondent"]

    df = pd.read_csv(io.StringIO(text), dtype=str, keep_default_na=False, na_filter=False)
    problems = []
    for col in expected[1:]:
        s = df[col]
        bad = s[(s != "") & ~s.str.fullmatch(_INT.pattern)]
        scale = cb.scale_of(col)
        floats = bad[bad.str.fullmatch(_FLOAT.pattern)]
        other = bad[~bad.index.isin(floats.index)]
        if not floats.empty:
            problems.append(f"{name}, column {col}, {_rows(list(floats.index), lines)}: value {_vals(list(floats))} "
                            f"is a decimal number; rule: codes are whole numbers of scale {scale.id} "
                            f"(allowed: {', '.join(map(str, scale.values))})")
        # Whole numbers too large for a 64-bit integer: no code is that big.
        huge = s[(s != "") & s.str.fullmatch(_INT.pattern) & (s.str.lstrip("-").str.len() > 18)]
        if not huge.empty:
            problems.append(f"{name}, column {col}, {_rows(list(huge.index), lines)}: value {_vals(list(huge))} "
                            f"is out of range; rule: codes are whole numbers of scale {scale.id} "
                            f"(allowed: {', '.join(map(str, scale.values))})")
        if not other.empty:
            problems.append(f"{name}, column {col}, {_rows(list(other.index), lines)}: value {_vals([repr(v) for v in other])} "
                            f"is not a number; rule: codes are whole numbers of scale {scale.id} "
                            f"(allowed: {', '.join(map(str, scale.values))}); an empty cell means not asked")
    if problems:
        return None, problems
    return Parsed(df, lines), []


def _header_problems(name: str, header: list[str], expected: list[str]) -> list[str]:
    problems = []
    dups = sorted({c for c in header if header.count(c) > 1})
    for c in dups:
        problems.append(f"{name}, line 1, column {c}: the column occurs {header.count(c)} times; rule: each column once")
    missing = [c for c in expected if c not in header]
    extra = [c for c in header if c not in expected]
    renamed = {}
    for c in extra:
        match = difflib.get_close_matches(c, missing, n=1, cutoff=0.6)
        if match and match[0] not in renamed.values():
            renamed[c] = match[0]
    for c, m in renamed.items():
        problems.append(f"{name}, line 1, column {c}: not in the codebook; did you mean {m} (missing)? "
                        f"rule: the header is resp_id followed by the codebook variables")
    for c in missing:
        if c not in renamed.values():
            pos = expected.index(c) + 1
            problems.append(f"{name}, line 1, column {c}: missing (codebook position {pos}); "
                            f"rule: the header is resp_id followed by the codebook variables")
    for c in extra:
        if c not in renamed:
            problems.append(f"{name}, line 1, column {c}: extra column, not in the codebook "
                            f"(position {header.index(c) + 1}); rule: the header is resp_id followed by the codebook variables")
    if not problems and header != expected:
        first = next(i for i, (a, b) in enumerate(zip(header, expected)) if a != b)
        problems.append(f"{name}, line 1, column {header[first]}: out of order at position {first + 1} "
                        f"(expected {expected[first]}); rule: columns follow the codebook order")
    return problems


def read_typed(parsed_or_frame, cb: Codebook) -> pd.DataFrame:
    """The frame GE (and the analysis) sees: coded columns as nullable Int64, "" -> <NA> (not asked).

    Population queries then treat an empty cell as outside the population.
    """
    import pandas as pd  # lazily: the build's cached path must not pay for pandas
    df = parsed_or_frame.frame if isinstance(parsed_or_frame, Parsed) else parsed_or_frame
    out = pd.DataFrame(index=pd.RangeIndex(len(df)))
    out["resp_id"] = df["resp_id"].replace("", None)
    for col in cb.variables:
        s = df[col]
        out[col] = pd.array([None if v == "" else int(v) for v in s], dtype="Int64")
    return out


# ---------------------------------------------------------------- GE


def _needed_columns(e: dict, all_cols: list[str]) -> tuple[str, ...] | None:
    """Columns an expectation needs (None = the whole table)."""
    k = e["kwargs"]
    if e["type"].startswith("expect_table_columns"):
        return None
    cols = []
    if "column" in k:
        cols.append(k["column"])
    cols += list(k.get("column_list") or [])
    cols += ex.query_columns(k.get("row_condition", ""), all_cols)
    if not cols:
        cols = ["resp_id"]
    return tuple(sorted(set(cols), key=all_cols.index))


def _group(exps: list[dict], all_cols: list[str], width: int = 12) -> list[tuple[tuple | None, list[int]]]:
    """Batches of expectations, each with the (few) columns it needs.

    Each GE run has a fixed cost (~0.1 s) and each row_condition a cost that grows with the number of
    columns, so expectations with the same query columns share a run of at most `width` columns.
    """
    by_query: dict[tuple | None, list[int]] = {}
    for i, e in enumerate(exps):
        need = _needed_columns(e, all_cols)
        key = None if need is None else tuple(ex.query_columns(e["kwargs"].get("row_condition", ""), all_cols))
        by_query.setdefault(key, []).append(i)
    groups: list[tuple[tuple | None, list[int]]] = []
    for key, idxs in by_query.items():
        if key is None:
            groups.append((None, idxs))
            continue
        cols: list[str] = []
        batch: list[int] = []
        for i in idxs:
            need = [c for c in _needed_columns(exps[i], all_cols) if c not in cols]
            if batch and len(cols) + len(need) > width:
                groups.append((tuple(sorted(cols, key=all_cols.index)), batch))
                cols, batch = [], []
                need = list(_needed_columns(exps[i], all_cols))
            cols += need
            batch.append(i)
        if batch:
            groups.append((tuple(sorted(cols, key=all_cols.index)), batch))
    return groups


def run_suites(df: pd.DataFrame, suites: dict[str, dict]) -> list[dict]:
    """Run every suite on df with GE; one result dict per expectation, in file order.

    GE applies `row_condition` with DataFrame.query on the whole batch, whose cost grows with the
    number of columns (150 nullable columns: ~0.15 s per expectation). So each group of
    expectations that needs the same columns runs on just those columns; the loaded suites are
    the full JSON files (checked by `ex.to_gx_suite`).
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import logging

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    import great_expectations as gx
    from great_expectations.data_context.types.base import ProgressBarsConfig

    ctx = gx.get_context(mode="ephemeral")
    ctx.variables.progress_bars = ProgressBarsConfig(globally=False)
    batch_def = ctx.data_sources.add_pandas("raw").add_dataframe_asset("survey").add_batch_definition_whole_dataframe("all")
    all_cols = list(df.columns)
    results: list[dict] = []
    runs = iter(range(1, 10**6))

    def run(name: str, full, idxs: list[int], frame: pd.DataFrame, result_format: dict) -> list:
        n = next(runs)
        objs = []
        for i in idxs:
            cfg = full.expectations[i].configuration
            cfg.meta = {**(cfg.meta or {}), "arena_index": i}  # to match results back (not stored in JSON)
            objs.append(cfg.to_domain_obj())
        sub = ctx.suites.add(gx.ExpectationSuite(name=f"{name}-{n}", expectations=objs))
        vd = ctx.validation_definitions.add(gx.ValidationDefinition(name=f"v{n}", data=batch_def, suite=sub))
        res = vd.run(batch_parameters={"dataframe": frame}, result_format=result_format)
        if len(res.results) != len(idxs):
            raise ex.SuiteError(f"expectations/{name}.json: GE evaluated {len(res.results)} of {len(idxs)} expectations")
        # GE may reorder results: match them back by the index in meta
        return [(int(r.expectation_config.meta["arena_index"]), r) for r in res.results]

    for name, data in suites.items():
        full = ex.to_gx_suite(data, source=f"expectations/{name}.json")
        out: list[dict | None] = [None] * len(data["expectations"])
        for cols, idxs in _group(data["expectations"], all_cols):
            frame = df if cols is None else df[list(cols)]
            # Pass/fail first (GE's result details cost half its time), then details for the
            # few that failed, to name their rows and values.
            checked = dict(run(name, full, idxs, frame, {"result_format": "BOOLEAN_ONLY"}))
            failed = [i for i in idxs if not checked[i].success]
            if failed:
                checked.update(run(name, full, failed, frame,
                                   {"result_format": "SUMMARY", "partial_unexpected_count": 20}))
            for i in idxs:
                r, e = checked[i], data["expectations"][i]
                exc = r.exception_info or {}
                raised = exc.get("raised_exception") if isinstance(exc, dict) else False
                out[i] = {
                    "suite": name,
                    "type": e["type"],
                    "column": e["kwargs"].get("column") or ", ".join(e["kwargs"].get("column_list") or []) or None,
                    "row_condition": e["kwargs"].get("row_condition"),
                    "rule": e.get("meta", {}).get("rule", ""),
                    "success": bool(r.success),
                    "result": _jsonable(r.result) if not r.success else {},
                    "error": exc.get("exception_message") if raised else None,
                }
        results.extend(out)  # type: ignore[arg-type]
    return results


def _jsonable(obj):
    import pandas as pd  # lazily: the build's cached path must not pay for pandas
    if isinstance(obj, dict):
        return {str(k): _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if obj is None or obj is pd.NA:
        return None
    if hasattr(obj, "item"):
        return obj.item()
    if isinstance(obj, (str, int, float, bool)):
        return obj
    return str(obj)


def describe_failure(r: dict, name: str, df: pd.DataFrame, lines: list[int]) -> str:
    """One message for one broken rule."""
    res = r.get("result") or {}
    col = r.get("column")
    where = f"{name}, column {col}" if col else name
    if r.get("error"):
        return f"{where}: the check could not run ({r['error']}); rule: {r['rule']}"
    t = r["type"]
    if t == "expect_table_columns_to_match_ordered_list":
        return f"{name}: columns {res.get('observed_value')}; rule: {r['rule']}"
    if t == "expect_table_row_count_to_equal":
        cond = f" where {r['row_condition']}" if r.get("row_condition") else ""
        return f"{name}: {res.get('observed_value')} rows{cond}; rule: {r['rule']}"
    if t == "expect_column_values_to_be_of_type":
        return f"{where}: stored as {res.get('observed_value')}; rule: {r['rule']}"
    idx = [int(i) for i in res.get("partial_unexpected_index_list") or []]
    count = int(res.get("unexpected_count") or len(idx))
    if t == "expect_multicolumn_sum_to_equal":
        cols = col.split(", ")
        selected = sorted({c for i in idx for c in cols[1:] if df.at[i, c] == 1})
        return (f"{name}, column {cols[0]}, {_rows(idx, lines, count)}: selected together with "
                f"{', '.join(selected) or 'another option'}; rule: {r['rule']}")
    values = [df.at[i, col] for i in idx] if col in df.columns else res.get("partial_unexpected_list") or []
    return f"{where}, {_rows(idx, lines, count)}: value {_vals(values)}; rule: {r['rule']}"


# ---------------------------------------------------------------- orchestration


def _sha(*chunks: bytes) -> str:
    h = hashlib.sha256()
    for c in chunks:
        h.update(hashlib.sha256(c).digest())
    return h.hexdigest()


def validate(raw: Path, codebook_path: Path, suites_dir: Path, *, name: str | None = None,
             preflight_passed: Callable[[], None] | None = None, published: Path | None = None,
             published_name: str | None = None) -> ValidationResult:
    """Pre-flight + Great Expectations on `raw`. Never raises for bad data (see .ok); a
    malformed suite file raises `ex.SuiteError` (bad input).
    `preflight_passed` is called once the quick checks passed and only the suites remain.
    With `published` (`arena validate`), no group may have more respondents than were invited
    (the build checks that in its numbers step, which reads published.csv).
    Results are kept by the build's validation step (arena/steps.py), keyed on what it read."""
    name = name or _show(raw)
    data = raw.read_bytes() if raw.exists() else b""
    result = ValidationResult(ok=False, raw=name, data_sha256=hashlib.sha256(data).hexdigest(), key="")
    t0 = time.perf_counter()
    try:
        cb = load_codebook(codebook_path, _show(codebook_path))
    except (OSError, CodebookError) as exc:
        result.problems = [str(exc)]
        return result
    # A broken suite file is bad input, located; only a well-formed one can be out of date.
    suites = {n: ex.read_suite(suites_dir / f"{n}.json", _show(suites_dir / f"{n}.json"))
              for n in ex.SUITE_NAMES if (suites_dir / f"{n}.json").exists()}
    stale = ex.stale_suites(cb, None, suites_dir)
    if stale:
        result.problems = [f"{_show(suites_dir / (s + '.json'))}: out of date with the codebook; rule: "
                           f"suites are generated from the codebook — run `arena validate --write-suites` "
                           f"and review the diff" for s in stale]
        return result
    parsed, problems = preflight(raw, cb)
    if problems:
        for i, p in enumerate(problems):   # the snapshot stands for the file the author gave
            problems[i] = p.replace(_show(raw), name)
        result.problems = problems
        return result
    if published is not None:
        problem = _frame_problem(raw, cb, published, name, published_name or _show(published))
        if problem:
            result.problems = [problem]
            return result
    if preflight_passed:
        preflight_passed()
    df = read_typed(parsed, cb)
    results = run_suites(df, suites)
    result.rows = len(df)
    result.results = results
    result.evaluated = len(results)
    result.passed = sum(r["success"] for r in results)
    result.problems = [describe_failure(r, name, df, parsed.lines) for r in results if not r["success"]]
    result.ok = not result.problems
    result.seconds = round(time.perf_counter() - t0, 2)
    return result


def _frame_problem(raw: Path, cb: Codebook, published: Path, name: str, published_name: str) -> str | None:
    """The message if a group has more respondents than politicians invited into it."""
    if not published.exists():   # no frame known (the build itself needs the file and says so)
        return None
    from analysis import claims, numbers
    from analysis.survey import Survey, read_survey

    try:
        rows = claims.load(published.read_bytes(), name=published_name, known=cb.columns)
        survey = Survey(cb, read_survey(raw.read_bytes(), cb), rows, remember=False)
        numbers.check_frame(survey, name, published_name)
    except BadInput as exc:
        return str(exc)
    except OSError as exc:
        return f"{published_name}: cannot be read ({exc.strerror}); it holds the invited politicians (frame rows)"
    return None


# ---------------------------------------------------------------- report


def write_report(result: ValidationResult, html_path: Path) -> None:
    html_path.parent.mkdir(parents=True, exist_ok=True)
    html_path.with_suffix(".json").write_text(json.dumps(asdict(result), indent=1, ensure_ascii=False) + "\n",
                                              encoding="utf-8")
    e = html_attr   # cells and attributes alike
    rows = []
    for r in result.results:
        ok = "passed" if r["success"] else "FAILED"
        rows.append(f"<tr class=\"{'ok' if r['success'] else 'fail'}\"><td>{e(r['suite'])}</td>"
                    f"<td><code>{e(r['column'] or '(table)')}</code></td><td>{e(r['rule'])}</td>"
                    f"<td><code>{e(r['type'])}</code>"
                    + (f"<br><small>where <code>{e(r['row_condition'])}</code></small>" if r.get("row_condition") else "")
                    + f"</td><td>{ok}</td></tr>")
    problems = "".join(f"<li>{e(p)}</li>" for p in result.problems)
    page = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Data validation</title>
<style>body{{font-family:system-ui,sans-serif;max-width:70rem;margin:2rem auto;padding:0 1rem}}
table{{border-collapse:collapse;width:100%}}td,th{{border-bottom:1px solid #ddd;padding:.3rem;text-align:left;vertical-align:top}}
tr.fail{{background:#fdd}}code{{font-size:.85em}}</style></head><body>
<h1>Data validation</h1>
<p>File <code>{e(result.raw)}</code> (sha256 <code>{e(result.data_sha256)}</code>), {result.rows} rows:
<strong>{"valid" if result.ok else "FAILED"}</strong> — {result.evaluated} expectations evaluated, {result.passed} passed.
The rules are derived from the codebook and the published bases (<code>expectations/*.json</code>) and run with
Great Expectations.</p>
{f"<h2>Problems</h2><ul>{problems}</ul>" if problems else ""}
<table><thead><tr><th>suite</th><th>column</th><th>rule</th><th>expectation</th><th>result</th></tr></thead>
<tbody>{''.join(rows)}</tbody></table></body></html>
"""
    html_path.write_text(page, encoding="utf-8")


def main(args: argparse.Namespace) -> int:
    from arena.project import Project

    project = Project.find()
    if getattr(args, "write_suites", False):
        cb = load_codebook(project.codebook, project.show(project.codebook))
        changed = ex.write_suites(cb, None, project.expectations)
        for p in changed:
            print(f"wrote {project.show(p)}")
        print(f"{len(changed)} suite file(s) changed" if changed else "suites are up to date")
        return 0
    raw = Path(args.raw) if getattr(args, "raw", None) else project.raw
    report = Path(args.report) if getattr(args, "report", None) else project.build_dir / "validation" / "validation.html"
    try:
        result = validate(raw, project.codebook, project.expectations, name=project.show(raw),
                          published=project.published, published_name=project.show(project.published))
    except ex.SuiteError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    if not result.ok:
        for p in result.problems:
            print(p, file=sys.stderr)
        print(result.summary(), file=sys.stderr)
        return 1
    write_report(result, report)
    print(f"{result.summary()}; report {project.show(report)}")
    return 0
