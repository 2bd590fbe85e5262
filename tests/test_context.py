"""Numbers from other studies (data/context/facts.csv): traceable to their seed line, parseable,
formatted per language, and every `r.fact("…")` in a chapter names a fact that exists."""
from __future__ import annotations

import os
import re
from decimal import Decimal
from pathlib import Path

import pytest

from analysis import context
from analysis.context import COLUMNS, UNITS, FactError, format_fact, load_facts, parse_value

ROOT = Path(__file__).resolve().parent.parent
NBSP = "\u00a0"
WINDOW = 1  # `line` may be off by one (a phrase broken over two lines of the extraction)


def _seeds_dir() -> Path | None:
    candidates = [os.environ.get("ARENA_SEEDS"), "/work/shared/seeds", ROOT.parent / "shared" / "seeds"]
    for c in candidates:
        if c and Path(c).is_dir():
            return Path(c)
    return None


def _norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


@pytest.fixture(scope="module")
def facts():
    return load_facts(ROOT)


def test_columns_and_ids(facts):
    assert list(facts.columns) == COLUMNS
    assert facts.index.is_unique
    assert set(facts.unit) <= set(UNITS)
    assert all(re.fullmatch(r"[a-z0-9_]+\.[a-z0-9_]+", k) for k in facts.index), list(facts.index)


def test_values_parse(facts):
    for row in facts.itertuples(index=False):
        value = parse_value(row.value, row.unit)
        if row.unit == "text":
            assert isinstance(value, str) and value
        else:
            assert isinstance(value, Decimal)
        assert row.description_da.strip() and row.description_en.strip(), row.fact_id


def test_printed_text_stands_at_its_seed_line(facts):
    seeds = _seeds_dir()
    if seeds is None:
        pytest.skip("seeds folder not available (set ARENA_SEEDS)")
    problems = []
    for row in facts.itertuples(index=False):
        path = seeds / row.seed
        if not path.is_file():
            problems.append(f"{row.fact_id}: seed file {row.seed} not found")
            continue
        lines = path.read_text(encoding="utf-8").splitlines()
        n = int(row.line)
        if not 1 <= n <= len(lines):
            problems.append(f"{row.fact_id}: line {n} outside {row.seed} ({len(lines)} lines)")
            continue
        window = _norm(" ".join(lines[max(0, n - 1 - WINDOW): n + WINDOW]))
        if _norm(row.printed) not in window:
            problems.append(f"{row.fact_id}: {row.printed!r} not at {row.seed}:{n} (±{WINDOW})")
    assert not problems, "\n".join(problems)


def test_printed_numbers_match_value(facts):
    """Where the printed text carries digits, the value is one of the numbers printed."""
    for row in facts.itertuples(index=False):
        if row.unit == "text":
            assert row.printed == row.value, row.fact_id
            continue
        numbers = [Decimal(d.replace(",", ".")) for d in re.findall(r"\d+(?:[.,]\d+)?", row.printed)]
        if numbers:
            assert parse_value(row.value, row.unit) in numbers, (row.fact_id, row.printed)


def test_format_percent_per_language():
    key = "no_wp.mayors_insufficient_knowledge"
    assert format_fact(key, "da", ROOT) == f"70{NBSP}%"
    assert format_fact(key, "en", ROOT) == "70%"


def test_format_count_year_text():
    assert format_fact("dk_top.interviews", "da", ROOT) == "24"
    assert format_fact("dk_top.interviews", "en", ROOT) == "24"
    # a year is never grouped as a thousand ("2.030")
    assert format_fact("dk_top.climate_target_year", "da", ROOT) == "2030"
    assert format_fact("dk_top.climate_target_year", "en", ROOT) == "2030"
    title = format_fact("no_wp.title", "da", ROOT)
    assert title == format_fact("no_wp.title", "en", ROOT) and title.startswith("Meld. St.")


def test_every_fact_formats_in_both_languages(facts):
    for key in facts.index:
        for lang in ("da", "en"):
            assert format_fact(key, lang, ROOT)


@pytest.mark.parametrize("value, unit, lang, expected", [
    ("45", "pct", "da", f"45{NBSP}%"),
    ("45", "pct", "en", "45%"),
    ("22.7", "pct", "da", f"22,7{NBSP}%"),
    ("22.7", "pct", "en", "22.7%"),
    ("10000", "count", "da", "10.000"),
    ("10000", "count", "en", "10,000"),
])
def test_format_units(tmp_path, value, unit, lang, expected):
    (tmp_path / "data" / "context").mkdir(parents=True)
    (tmp_path / "data" / "context" / "facts.csv").write_text(
        ",".join(COLUMNS) + "\n" + f"x.y,s.txt,1,{value},{unit},{value},a,b,\n", encoding="utf-8")
    assert format_fact("x.y", lang, tmp_path) == expected


def test_bad_rows_fail_loudly(tmp_path):
    (tmp_path / "data" / "context").mkdir(parents=True)
    path = tmp_path / "data" / "context" / "facts.csv"
    path.write_text(",".join(COLUMNS) + "\n" + "x.y,s.txt,1,lots,pct,lots,a,b,\n", encoding="utf-8")
    with pytest.raises(FactError, match="not a number"):
        load_facts(tmp_path)
    with pytest.raises(FactError):
        parse_value("140", "pct")
    with pytest.raises(FactError):
        parse_value("20.5", "year")


def test_unknown_key_and_language():
    with pytest.raises(KeyError, match="no fact"):
        format_fact("no.such_fact", "da", ROOT)
    with pytest.raises(ValueError):
        format_fact("dk_top.interviews", "de", ROOT)


def test_chapters_use_only_known_facts(facts):
    used = set()
    for qmd in sorted((ROOT / "chapters").glob("*/*.qmd")):
        used |= set(re.findall(r"""\.fact\(\s*["']([^"']+)["']\s*\)""", qmd.read_text(encoding="utf-8")))
    unknown = sorted(used - set(facts.index))
    assert not unknown, f"r.fact keys not in data/context/facts.csv: {unknown}"


def test_report_fact_goes_through_context():
    from conftest import chapter_report as Report

    import csv

    with open(ROOT / "data" / "context" / "facts.csv", encoding="utf-8", newline="") as f:
        row = next(r for r in csv.DictReader(f) if r["fact_id"] == "no_wp.local_employees_key_role")
    assert row["unit"] == "pct" and row["value"].isdigit()
    assert Report("en").fact("no_wp.local_employees_key_role") == f"{row['value']}%"
