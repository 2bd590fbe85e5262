"""Locale formatting of numbers for the report, through Babel only.

Danish: `76 %` (NO-BREAK SPACE before %), `0,05`, `1.234`; English: `76%`, `0.05`, `1,234`.
Every value is rounded with `rounding.half_up_decimal` BEFORE Babel sees it: Babel rounds
half-to-even (2.5 % would print as 2 %), and the report rounds half up. After our rounding
the value has exactly `digits` decimals, so Babel has nothing left to round.

Percentages are passed in per cent (0-100), as the tables in `analysis.tables` hold them.
"""
from __future__ import annotations

import copy
from decimal import Decimal
from functools import lru_cache
from numbers import Real

from babel import Locale
from babel.numbers import NumberPattern

from analysis.rounding import half_up_decimal, to_decimal

LOCALES = {"da": "da_DK", "en": "en_GB"}

# p-values below this are printed as "p < 0,001": more digits suggest a precision a survey
# of 608 respondents does not have.
P_FLOOR = Decimal("0.001")


__all__ = ["LOCALES", "percent", "number", "decimal", "p_value", "count_of", "verbal_fraction", "locale"]


def locale(lang: str) -> Locale:
    """The Babel locale for a report language ('da' or 'en')."""
    try:
        return _locale(LOCALES[lang])
    except KeyError:
        raise ValueError(f"unknown language {lang!r}; expected one of {sorted(LOCALES)}") from None


@lru_cache(maxsize=None)
def _locale(name: str) -> Locale:
    return Locale.parse(name)


@lru_cache(maxsize=None)
def _pattern(lang: str, kind: str, digits: int) -> NumberPattern:
    """The locale's standard decimal/percent pattern with exactly `digits` decimals."""
    loc = locale(lang)
    base = loc.percent_formats[None] if kind == "percent" else loc.decimal_formats[None]
    pattern = copy.copy(base)
    pattern.frac_prec = (digits, digits)
    return pattern


def _check_digits(digits: int) -> int:
    if not isinstance(digits, int) or digits < 0:
        raise ValueError(f"digits must be a non-negative int, got {digits!r}")
    return digits


def percent(value: Real, lang: str, digits: int = 0) -> str:
    """A percentage given in per cent (76.4 -> '76 %' / '76%'), rounded half up."""
    rounded = half_up_decimal(value, _check_digits(digits))
    if not rounded.is_finite():
        raise ValueError(f"cannot format {value!r} as a percentage")
    # The pattern multiplies by 100 (its scale), so give it a fraction; exact in Decimal.
    return _pattern(lang, "percent", digits).apply(rounded / 100, locale(lang))


def number(value: Real, lang: str, digits: int = 0) -> str:
    """A number with the locale's grouping and decimal mark (1234 -> '1.234' / '1,234')."""
    rounded = half_up_decimal(value, _check_digits(digits))
    if not rounded.is_finite():
        raise ValueError(f"cannot format {value!r} as a number")
    return _pattern(lang, "decimal", digits).apply(rounded, locale(lang))


def decimal(value: Real, lang: str, digits: int) -> str:
    """A number with a fixed number of decimals (0.05 -> '0,05' / '0.05')."""
    return number(value, lang, digits)


def p_value(p: Real, lang: str) -> str:
    """'p < 0,001' below 0.001, else 'p = 0,023' (three decimals, half up)."""
    d = to_decimal(p)
    if not (d.is_finite() and 0 <= d <= 1):
        raise ValueError(f"a p-value lies in [0, 1], got {p!r}")
    if d < P_FLOOR:
        return f"p < {decimal(P_FLOOR, lang, 3)}"
    return f"p = {decimal(d, lang, 3)}"


def count_of(k: int, n: int, lang: str) -> str:
    """'3 ud af 4' / '3 out of 4' (numbers grouped per locale)."""
    locale(lang)  # a clear error for an unknown language
    from analysis import words

    return words.get(lang, "count_of", k=number(k, lang), n=number(n, lang))


def verbal_fraction(percent: float, denominator: int, lang: str) -> str:
    """A share in words for a given denominator: 80 % of ten is 'otte ud af ti' / 'eight in ten'.

    The numerator is the share of `denominator` rounded half up, so the words follow the data;
    numbers without a word in the catalogue (above ten) are written as numerals."""
    locale(lang)  # a clear error for an unknown language
    from analysis import words

    if not isinstance(denominator, int) or denominator < 1:
        raise ValueError(f"a verbal fraction needs a whole denominator of at least 1, not {denominator!r}")
    k = int(half_up_decimal(to_decimal(percent) * denominator / 100))

    def word(n: int) -> str:
        try:
            return words.get(lang, f"numeral.{n}")
        except KeyError:
            return number(n, lang)

    return words.get(lang, "verbal_fraction", k=word(k), n=word(denominator))


@lru_cache(maxsize=64)   # every page's footer asks for the edition's date
def date(iso: str, lang: str) -> str:
    """An ISO date written out: '6. december 2026' / '6 December 2026'."""
    import datetime as _dt

    from babel.dates import format_date

    pattern = {"da": "d. MMMM y", "en": "d MMMM y"}[lang]
    return format_date(_dt.date.fromisoformat(iso), pattern, locale=locale(lang))
