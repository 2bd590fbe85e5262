"""Half-up rounding: the report's rule, not Python's half-to-even."""
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis.rounding import half_up, half_up_decimal, pct


@pytest.mark.parametrize("x, expected", [
    (0.5, 1), (1.5, 2), (2.5, 3), (3.5, 4), (0.4999, 0), (49.5, 50), (50.0, 50), (0, 0),
])
def test_whole_numbers_round_half_up(x, expected):
    assert half_up(x) == expected


@pytest.mark.parametrize("x, expected", [(-0.5, -1), (-1.5, -2), (-2.5, -3), (-0.4, 0)])
def test_negative_halves_round_away_from_zero(x, expected):
    # Documented choice: ROUND_HALF_UP in `decimal` is half AWAY FROM ZERO, so it is symmetric.
    assert half_up(x) == expected
    assert half_up(-x) == -expected or expected == 0


@pytest.mark.parametrize("x, ndigits, expected", [
    (22.65, 1, 22.7),
    (2.675, 2, 2.68),   # binary float is 2.67499999...; round(2.675, 2) == 2.67
    (1.005, 2, 1.01),
    (0.125, 2, 0.13),
    (22.64, 1, 22.6),
    (1234.5, 0, 1235),
])
def test_decimals_use_the_intended_decimal_value(x, ndigits, expected):
    assert half_up(x, ndigits) == expected


def _half_up_exact(numerator: int, denominator: int, ndigits: int) -> Fraction:
    """numerator/denominator rounded half away from zero, in integer arithmetic (independent of
    `decimal`): floor(|q| * 10^nd + 1/2) / 10^nd with the sign of q."""
    q = Fraction(numerator, denominator) * 10 ** ndigits
    r = math.floor(abs(q) + Fraction(1, 2))
    return Fraction(r if q >= 0 else -r, 10 ** ndigits)


@given(st.integers(-10 ** 12, 10 ** 12), st.integers(0, 6), st.integers(0, 4))
def test_half_up_matches_exact_rounding(m, scale, ndigits):
    # A decimal number m / 10^scale (at most 13 significant digits, so its float's repr is the
    # same decimal), written as text, as Decimal and as float.
    text = str(Decimal(m).scaleb(-scale))
    expected = _half_up_exact(m, 10 ** scale, ndigits)
    assert Fraction(half_up_decimal(text, ndigits)) == expected
    assert Fraction(half_up_decimal(Decimal(text), ndigits)) == expected
    assert half_up(float(text), ndigits) == float(expected)
    assert half_up(-float(text), ndigits) == -float(expected)   # symmetric


@given(st.one_of(st.integers(1, 200), st.integers(1, 100_000)).flatmap(
           lambda base: st.tuples(st.integers(0, base), st.just(base))),
       st.integers(0, 2))
def test_percentages_of_counts_round_as_exact_fractions(count_base, ndigits):
    # What the report does with every count: 100 * count / base, then half up. The float
    # division must not move a tie (12.5 %, 22.65 %) to the wrong side.
    count, base = count_base
    assert half_up(pct(count, base), ndigits) == float(_half_up_exact(100 * count, base, ndigits))


def test_percentage_from_counts():
    assert pct(41, 82) == 50.0
    assert pct(453, 2000) == 22.65
    assert half_up(pct(453, 2000), 1) == 22.7
    assert half_up(pct(3, 8)) == 38  # 37.5 -> 38
    assert half_up(pct(1, 8)) == 13  # 12.5 -> 13 (round() would give 12)


def test_pct_of_empty_base_is_nan():
    assert math.isnan(pct(0, 0))
    assert math.isnan(half_up(pct(0, 0)))


def test_exact_inputs():
    assert half_up(Fraction(1, 8) * 100) == 13
    assert half_up(Decimal("2.5")) == 3
    assert half_up_decimal(2.5) == Decimal("3")
    assert half_up_decimal(22.65, 1) == Decimal("22.7")
    assert str(half_up_decimal(5, 2)) == "5.00"


def test_numpy_floats():
    assert half_up(np.float64(2.5)) == 3
    assert half_up(np.float64(22.65), 1) == 22.7
    assert half_up(np.int64(7)) == 7
