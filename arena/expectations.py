"""Great Expectations suites derived from the codebook and the published bases.

The suites are generated here and stored as reviewed JSON in `expectations/` (one file per concern):

- `structure.json`  columns in codebook order, one row per respondent (the published total), resp_id unique
- `values.json`     every coded column holds whole numbers from its scale's codes
- `filters.json`    "not asked" logic: empty exactly where the population query excludes the respondent,
                    hidden codes never shown to the excluded group, exclusive options never combined

The printed base counts (608 respondents, 552 municipal, 462 active, ...) are not validity rules:
a corrected or real survey export may have other counts. They are reconciliation items
(`arena reconcile`), where a count that moved is reported, not refused.

Each expectation is stored as ``{"type", "kwargs", "meta": {"rule", ...}}`` without GE's random ids, so
the files are stable and diffs are readable. `arena validate --write-suites` regenerates them; the
validator refuses to run on suites that differ from what the codebook says (see `stale_suites`).

This module must not import great_expectations at import time (~3-4 s); only `to_gx_suite` does.
"""
from __future__ import annotations

import csv
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from analysis.inputs import BadInput, decode

from analysis import filters
from analysis.codebook import Codebook

SUITE_NAMES = ("structure", "values", "filters")
PANDAS = "pandas"  # condition_parser for row_condition: pandas DataFrame.query syntax
INT_TYPE = "int64"  # what GE reports for a nullable Int64 column (see arena.validate.read_typed)


class SuiteError(BadInput):
    """A suite file cannot be loaded faithfully into Great Expectations (never drop silently)."""


@dataclass(frozen=True)
class Base:
    query: str  # pandas query; "" = all respondents
    value: int
    label: str
    source: str


# ---------------------------------------------------------------- bases


def query_columns(query: str, columns: list[str] | None = None) -> list[str]:
    """The column names a condition refers to (in order of appearance, no repeats)."""
    names = filters.columns_of(query or "")
    return [n for n in names if n in columns] if columns is not None else names


def _and(*queries: str) -> str:
    parts = [q.strip() for q in queries if q and q.strip()]
    if len(parts) == 1:
        return parts[0]
    return " and ".join(f"({q})" for q in parts)


def load_bases(published: Path | None, bases_yaml: Path | None) -> list[Base]:
    """Counts that must hold in data/raw.

    Rows of `published.csv` with unit `count` and status `published` (condition = population and
    numerator), plus the entries of `expectations/bases.yaml` that published.csv does not already
    give (each with its own source note). The same condition with two different values is an error.
    """
    bases: dict[str, Base] = {}

    def add(b: Base) -> None:
        key = re.sub(r"\s+", " ", b.query.strip())
        old = bases.get(key)
        if old and old.value != b.value:
            raise SuiteError(
                f"base {key or 'all respondents'!r} is {old.value} in {old.source} but {b.value} in {b.source}"
            )
        bases.setdefault(key, Base(key, b.value, b.label, b.source))

    if published is not None and published.exists():
        with published.open(encoding="utf-8", newline="") as fh:
            for row in csv.DictReader(fh):
                if (row.get("unit") or "").strip() != "count" or (row.get("status") or "").strip() != "published":
                    continue
                value = float(row["value"])
                if value != int(value):
                    raise SuiteError(f"{published.name}: count {row['claim_id']} is not a whole number: {row['value']}")
                add(Base(_and(row.get("population", ""), row.get("numerator", "")), int(value),
                         row.get("claim_id", ""), f"published.csv {row.get('claim_id', '')} ({row.get('source', '')})"))
    if bases_yaml is not None and bases_yaml.exists():
        for b in (yaml.safe_load(bases_yaml.read_text(encoding="utf-8")) or {}).get("bases", []):
            add(Base(str(b.get("query") or ""), int(b["value"]), str(b.get("label", "")), str(b.get("source", ""))))
    return list(bases.values())


# ---------------------------------------------------------------- suites


def _exp(expectation_type: str, rule: str, **kwargs: Any) -> dict:
    return {"type": expectation_type, "kwargs": kwargs, "meta": {"rule": rule}}


def _codes(values: list[int]) -> str:
    return ", ".join(str(v) for v in values)


def excluded_condition(query: str, columns: list[str]) -> str:
    """Row condition for respondents OUTSIDE a population (see Filter.excluded_query)."""
    return filters.parse(query).excluded_query()


def build_suites(cb: Codebook, bases: list[Base]) -> dict[str, dict]:
    """The four suites as plain dicts (what goes into expectations/*.json)."""
    cols = cb.columns
    total = next((b for b in bases if not b.query), None)
    skipped: list[str] = []

    structure = [
        _exp("expect_table_columns_to_match_ordered_list",
             "The columns are resp_id followed by the codebook variables, in codebook order.",
             column_list=cols),
        _exp("expect_column_values_to_not_be_null", "Every row has a respondent id.", column="resp_id"),
        _exp("expect_column_values_to_be_unique", "Each respondent id occurs once.", column="resp_id"),
    ]
    if total:
        structure.insert(1, _exp("expect_table_row_count_to_equal",
                                 f"One row per respondent: {total.value} rows ({total.source}).", value=total.value))

    values = []
    for v in cb.variables.values():
        scale = cb.scales[v.scale]
        values.append(_exp("expect_column_values_to_be_of_type",
                           "Codes are stored as whole numbers (an empty cell means not asked).",
                           column=v.id, type_=INT_TYPE))
        values.append(_exp("expect_column_values_to_be_in_set",
                           f"Every non-empty value is a code of scale {scale.id} (allowed: {_codes(scale.values)}).",
                           column=v.id, value_set=scale.values))

    filters = []
    for v in cb.variables.values():
        pop = cb.populations[v.population]
        q = pop.query.strip()
        unknown = [c for c in query_columns(q) if c not in cols]
        if unknown:
            skipped.append(f"{v.id}: population {pop.id} uses column(s) {', '.join(unknown)} not in the codebook")
            continue
        if not q:
            filters.append(_exp("expect_column_values_to_not_be_null",
                                f"Everyone was asked (population {pop.id}): no empty cells.", column=v.id))
        else:
            filters.append(_exp("expect_column_values_to_not_be_null",
                                f"Asked respondents (population {pop.id}: {q}) have a code; an empty cell means "
                                f"'not asked', never 'no answer' (code 9).",
                                column=v.id, row_condition=q, condition_parser=PANDAS))
            filters.append(_exp("expect_column_values_to_be_null",
                                f"Respondents outside population {pop.id} (not {q}) were not asked: the cell is empty.",
                                column=v.id, row_condition=excluded_condition(q, cols), condition_parser=PANDAS))
        for h in v.hidden_codes:
            hq = str(h.get("query") or "").strip()
            codes = [int(c) for c in h.get("codes") or []]
            why = f" ({h['why']})" if h.get("why") else ""
            filters.append(_exp("expect_column_values_to_not_be_in_set",
                                f"Code(s) {_codes(codes)} were not offered where {hq}{why}.",
                                column=v.id, value_set=codes, row_condition=hq, condition_parser=PANDAS))
        if v.kind == "multi_option" and v.exclusive and v.question_group:
            group = [g.id for g in cb.group(v.question_group)]
            others = [g for g in group if g != v.id]
            if others:
                filters.append(_exp("expect_multicolumn_sum_to_equal",
                                    f"Option {v.id} is exclusive: where it is selected, no other option of question "
                                    f"{v.question_group} ({', '.join(others)}) is selected.",
                                    column_list=[v.id, *others], sum_total=1,
                                    row_condition=f"{v.id} == 1", condition_parser=PANDAS))

    base_exps = []
    for b in bases:
        if not b.query:
            continue
        unknown = [c for c in query_columns(b.query) if c not in cols]
        if unknown:
            skipped.append(f"base {b.query} = {b.value}: column(s) {', '.join(unknown)} not in the codebook")
            continue
        base_exps.append(_exp("expect_table_row_count_to_equal",
                              f"{b.value} respondents satisfy {b.query} ({b.source}).",
                              value=b.value, row_condition=b.query, condition_parser=PANDAS))

    note = "Generated by arena/expectations.py from the codebook (and bases); regenerate with `arena validate --write-suites`."
    out = {
        "structure": {"name": "structure", "meta": {"note": note}, "expectations": structure},
        "values": {"name": "values", "meta": {"note": note}, "expectations": values},
        "filters": {"name": "filters", "meta": {"note": note, "skipped": [s for s in skipped if not s.startswith("base ")]},
                    "expectations": filters},
        "bases": {"name": "bases", "meta": {"note": note, "skipped": [s for s in skipped if s.startswith("base ")]},
                  "expectations": base_exps},
    }
    for s in out.values():
        if "skipped" in s["meta"] and not s["meta"]["skipped"]:
            del s["meta"]["skipped"]
    return out


def render(suite: dict) -> str:
    return json.dumps(suite, indent=2, ensure_ascii=False) + "\n"


def suite_texts(cb: Codebook, published: Path | None, suites_dir: Path) -> dict[str, str]:
    """What each expectations/<name>.json should contain for this codebook."""
    # No bases: printed counts are reconciled, not validated (see the module's docstring).
    return {name: render(s) for name, s in build_suites(cb, []).items() if name in SUITE_NAMES}


def write_suites(cb: Codebook, published: Path | None, suites_dir: Path) -> list[Path]:
    """(Re)write the suite files; returns the files whose content changed."""
    suites_dir.mkdir(parents=True, exist_ok=True)
    changed = []
    for name, text in suite_texts(cb, published, suites_dir).items():
        path = suites_dir / f"{name}.json"
        if not path.exists() or path.read_bytes() != text.encode("utf-8"):
            path.write_text(text, encoding="utf-8")
            changed.append(path)
    return changed


def stale_suites(cb: Codebook, published: Path | None, suites_dir: Path) -> list[str]:
    """Names of suite files that are missing or differ from what the generator makes."""
    stale = []
    for name, text in suite_texts(cb, published, suites_dir).items():
        path = suites_dir / f"{name}.json"
        if not path.exists() or path.read_bytes() != text.encode("utf-8"):
            stale.append(name)
    return stale


# ---------------------------------------------------------------- loading into GE


_REGENERATE = "regenerate it with `arena validate --write-suites` (or restore it with `git checkout`)"


def read_suite(path: Path, name: str | None = None) -> dict:
    """A suite file, checked before anything compares or runs it: UTF-8 text, JSON (a syntax
    error located by line and column), an object whose `expectations` is a list of objects with
    a string `type` and optional `kwargs` and `meta` objects. `name` is how messages name it."""
    name = name or str(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SuiteError(f"{name}: cannot be read ({exc.strerror}); rule: a suite file exists for "
                         f"each of {', '.join(SUITE_NAMES)} — {_REGENERATE}") from None
    text = decode(data, name)
    try:
        suite = json.loads(text)
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{name}, line {exc.lineno}, column {exc.colno}: JSON syntax error ({exc.msg}); "
                         f"rule: a suite is valid JSON — {_REGENERATE}") from None

    def wrong(key: str, expected: str, found: str) -> SuiteError:
        return SuiteError(f"{name}, key {key}: expected {expected}, found {found}; rule: a suite is "
                          "an object whose expectations are a list of {type, kwargs, meta} objects — "
                          f"{_REGENERATE}")

    if not isinstance(suite, dict):
        raise wrong("(top level)", "an object", _kind(suite))
    if not isinstance(suite.get("expectations"), list):
        raise wrong("expectations", "a list", _kind(suite.get("expectations")))
    for i, e in enumerate(suite["expectations"]):
        key = f"expectations[{i}]"
        if not isinstance(e, dict):
            raise wrong(key, "an object", _kind(e))
        extra = sorted(set(e) - {"type", "kwargs", "meta"})
        if extra:
            raise wrong(key, "only the keys type, kwargs and meta (no ids)", f"key {extra[0]!r}")
        if not isinstance(e.get("type"), str):
            raise wrong(f"{key}.type", "the name of an expectation", _kind(e.get("type")))
        for part in ("kwargs", "meta"):
            if part in e and not isinstance(e[part], dict):
                raise wrong(f"{key}.{part}", "an object", _kind(e[part]))
    return suite


def _kind(value: Any) -> str:
    if value is None:
        return "nothing"
    return {dict: "an object", list: "a list", str: "a string", bool: "true/false"}.get(
        type(value), f"a number ({value})" if isinstance(value, (int, float)) else type(value).__name__)


def to_gx_suite(data: dict, source: str = "suite"):
    """Build a GE ExpectationSuite from a suite dict, raising on ANY expectation GE would drop.

    GE's own loaders log invalid expectations and carry on; here every expectation is added one by
    one, errors are raised with the file and the position, and the count and types are compared
    after loading.
    """
    import warnings

    import great_expectations as gx
    from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

    # GX >= 1.9 deprecates string row_conditions (Condition objects instead; removal in 2.0). We keep
    # pandas query strings: they are the codebook's own population syntax and readable in the JSON.
    warnings.filterwarnings("ignore", message=".*(condition_parser|row_condition) parameter is deprecated.*",
                            category=DeprecationWarning)
    warnings.filterwarnings("ignore", message="Passing a string to the row_condition.*", category=DeprecationWarning)
    objs = []
    for i, e in enumerate(data["expectations"]):
        if not isinstance(e, dict) or set(e) - {"type", "kwargs", "meta"} or "type" not in e:
            raise SuiteError(f"{source}: expectation #{i + 1} must have only type, kwargs, meta (no ids): {e!r}")
        try:
            cfg = ExpectationConfiguration(type=e["type"], kwargs=dict(e.get("kwargs") or {}), meta=dict(e.get("meta") or {}))
            objs.append(cfg.to_domain_obj())
        except Exception as exc:  # GE raises several unrelated classes here
            raise SuiteError(f"{source}: expectation #{i + 1} ({e.get('type')}) is not valid in Great Expectations: {exc}") from exc
    # Passing the objects at once: suite.add_expectation_configuration() searches the whole suite for a
    # duplicate on every call (quadratic: ~40 s for 1,200 expectations).
    suite = gx.ExpectationSuite(name=str(data.get("name") or source), expectations=objs)
    loaded = [x.expectation_type for x in suite.expectations]
    wanted = [e["type"] for e in data["expectations"]]
    if loaded != wanted:
        raise SuiteError(f"{source}: {len(wanted)} expectations in the file but {len(loaded)} loaded into GE")
    return suite
