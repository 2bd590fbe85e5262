"""Rounding, implemented once: half up (the source report's rule), never Python's half-to-even.

Python's `round(2.5)` is 2 (banker's rounding) and `round(2.675, 2)` is 2.67 (binary floats);
the report prints 3 and 2.68. Everything that displays a number rounds through `half_up`.

"Half up" here means half AWAY FROM ZERO (`decimal.ROUND_HALF_UP`): -0.5 -> -1, -2.5 -> -3.
Negative numbers only occur as differences between shares; rounding them symmetrically keeps
`half_up(-x) == -half_up(x)`.
"""
from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from numbers import Real

__all__ = ["half_up", "half_up_decimal", "pct", "to_decimal"]


def to_decimal(x: Real | Decimal | str) -> Decimal:
    """The decimal number a value was meant to be.

    Floats go through `repr` (the shortest string that round-trips), so 2.675 becomes
    Decimal("2.675"), not the binary 2.67499999999999982236431605997495353221893310546875.
    Fractions are divided exactly at 50 significant digits (more than any survey base needs).
    """
    if isinstance(x, Decimal):
        return x
    if isinstance(x, Fraction):
        return Decimal(x.numerator) / Decimal(x.denominator) if x.denominator != 1 else Decimal(x.numerator)
    if isinstance(x, (bool, int)):
        return Decimal(int(x))
    if isinstance(x, str):
        return Decimal(x)
    return Decimal(repr(float(x)))  # numpy floats too; repr of a numpy float is not plain


def half_up_decimal(x: Real | Decimal | str, ndigits: int = 0) -> Decimal:
    """`x` rounded half away from zero to `ndigits` decimals, as an exact Decimal (for Babel)."""
    d = to_decimal(x)
    if not d.is_finite():
        return d
    return d.quantize(Decimal(1).scaleb(-ndigits), rounding=ROUND_HALF_UP)


def half_up(x: Real | Decimal | str, ndigits: int = 0) -> float:
    """`x` rounded half away from zero to `ndigits` decimals (0.5 -> 1, 2.5 -> 3, 22.65 -> 22.7).

    NaN and infinities pass through unchanged (an empty base has no percentage).
    """
    if isinstance(x, float) and not math.isfinite(x):
        return x
    return float(half_up_decimal(x, ndigits))


def pct(count: Real, base: Real) -> float:
    """Unrounded percentage 100 * count / base (NaN when the base is empty).

    Multiplying first keeps the numerator an exact integer, so the one division is correctly
    rounded and `repr` of the result is the true decimal whenever that is short
    (100 * 453 / 2000 -> 22.65, which then rounds half up to 22.7).
    """
    if base == 0:
        return math.nan
    return 100 * count / base
