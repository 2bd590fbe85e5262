"""Numbers from other studies (`data/context/facts.csv`), formatted for the report's languages.

The survey's own numbers are recomputed from respondent data (`analysis.numbers`). The related
studies the report discusses (the Norwegian white paper, the Danish top-manager analysis, the
Gentofte slides, the research article on administrative officers) publish only their own
figures, so those are quoted, not recomputed: each is one row of `facts.csv` with the seed file
and line it stands on and the text exactly as printed there (tests/test_context.py checks it).

    from analysis.context import format_fact
    format_fact("no_wp.mayors_insufficient_knowledge", "da")   # '70 %'
    format_fact("no_wp.mayors_insufficient_knowledge", "en")   # '70%'

Chapters call it through `Report.fact(key)`.

Units:
- `pct`   per cent (0-100): `fmt.percent` with as many decimals as `value` is written with;
- `count` a number: `fmt.number` (locale grouping: `1.234` / `1,234`);
- `year`  a calendar year, printed as is (never grouped: `2030`, not `2.030`);
- `text`  a name that contains digits (e.g. the white paper's designation), printed as is.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from functools import lru_cache
from pathlib import Path

import pandas as pd

from analysis import fmt
from analysis.inputs import BadInput, read_csv

FACTS = Path("data") / "context" / "facts.csv"
COLUMNS = ["fact_id", "seed", "line", "value", "unit", "printed",
           "description_da", "description_en", "note"]
UNITS = ("pct", "count", "year", "text")

__all__ = ["FACTS", "COLUMNS", "UNITS", "FactError", "load_facts", "fact", "parse_value",
           "format_fact"]


class FactError(BadInput):
    """A row of facts.csv that cannot be used (bad unit, value, duplicate id, ...)."""


def _root(root: str | Path | None) -> Path:
    # Chapters and steps run with the project root as the working directory.
    return Path(root) if root is not None else Path.cwd()


def parse_value(value: str, unit: str) -> Decimal | str:
    """The value of a fact as a Decimal (pct, count, year) or the text itself (text)."""
    if unit not in UNITS:
        raise FactError(f"unit {unit!r} is not one of {UNITS}")
    text = str(value).strip()
    if unit == "text":
        if not text:
            raise FactError("a text fact needs a value")
        return text
    try:
        number = Decimal(text)
    except InvalidOperation:
        raise FactError(f"value {value!r} is not a number (unit {unit})") from None
    if not number.is_finite():
        raise FactError(f"value {value!r} is not finite")
    if unit == "pct" and not (0 <= number <= 100):
        raise FactError(f"per cent value {value!r} outside 0-100")
    if unit == "count" and number < 0:
        raise FactError(f"count {value!r} is negative")
    if unit == "year" and not (number == number.to_integral_value() and 1800 <= number <= 2100):
        raise FactError(f"year {value!r} is not a plausible calendar year")
    return number


def _digits(number: Decimal) -> int:
    """Decimals as written in facts.csv ('22.7' -> 1, '46' -> 0)."""
    exponent = number.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


@lru_cache(maxsize=8)
def _load(path: str, mtime_ns: int) -> pd.DataFrame:
    return _check(*_read(Path(path).read_bytes(), path), path)


def _read(data: bytes | str, name: str) -> tuple[pd.DataFrame, list[int]]:
    try:
        frame, lines = read_csv(data, name, COLUMNS, exact=True)
    except FactError:
        raise
    except BadInput as exc:
        raise FactError(str(exc)) from None
    return frame[COLUMNS], lines


def _check(frame: pd.DataFrame, lines: list[int], path: str) -> pd.DataFrame:
    duplicated = frame.fact_id[frame.fact_id.duplicated()]
    if len(duplicated):
        raise FactError(f"{path}, line {lines[duplicated.index[0]]}, column fact_id: {duplicated.iloc[0]!r} "
                        "occurs more than once; rule: each fact_id once")
    for i, row in zip(lines, frame.itertuples(index=False)):
        where = f"{path}, line {i}, fact {row.fact_id!r}"
        if not row.fact_id.strip():
            raise FactError(f"{path}, line {i}: a row without fact_id; rule: every fact has a key")
        try:
            parse_value(row.value, row.unit)
        except FactError as exc:
            raise FactError(f"{where}, column value/unit: {exc}") from None
        if not row.line.isdigit() or int(row.line) < 1:
            raise FactError(f"{where}, column line: {row.line!r} is not a line number; rule: a whole number from 1")
        for col in ("seed", "printed", "description_da", "description_en"):
            if not getattr(row, col).strip():
                raise FactError(f"{where}, column {col}: empty; rule: {col} is filled in for every fact")
    return frame.set_index("fact_id", drop=False)


def parse_facts(text: str, name: str = "facts.csv") -> dict[str, dict]:
    """facts.csv as read by the build (validated), by fact_id: every column as text."""
    frame = _check(*_read(text, name), name)
    return {k: dict(row) for k, row in frame.iterrows()}


def format_row(row: dict, lang: str) -> str:
    """A fact (a row of facts.csv) formatted for the language."""
    fmt.locale(lang)  # a clear error for an unknown language
    value = parse_value(row["value"], row["unit"])
    if row["unit"] == "text":
        return str(value)
    if row["unit"] == "year":
        return str(int(value))
    if row["unit"] == "pct":
        return fmt.percent(value, lang, _digits(value))
    return fmt.number(value, lang, _digits(value))


def load_facts(root: str | Path | None = None) -> pd.DataFrame:
    """All facts, indexed by `fact_id` (every column kept as text), validated on load."""
    path = _root(root) / FACTS
    return _load(str(path), path.stat().st_mtime_ns).copy()


def fact(key: str, root: str | Path | None = None) -> pd.Series:
    """One row of facts.csv; a clear KeyError for an unknown key."""
    path = _root(root) / FACTS
    facts = _load(str(path), path.stat().st_mtime_ns)
    try:
        return facts.loc[key]
    except KeyError:
        raise KeyError(f"no fact with key {key!r} in {FACTS}") from None


def format_fact(key: str, lang: str, root: str | Path | None = None) -> str:
    """A fact formatted for the language: '45 %' / '45%', '1.234' / '1,234', '2030', text."""
    fmt.locale(lang)  # a clear error for an unknown language
    row = fact(key, root)
    value = parse_value(row.value, row.unit)
    if row.unit == "text":
        return str(value)
    if row.unit == "year":
        return str(int(value))
    if row.unit == "pct":
        return fmt.percent(value, lang, _digits(value))
    return fmt.number(value, lang, _digits(value))
