"""Half-up rounding: the report's rule, not Python's half-to-even."""
import math
from decimal import Decimal
from fractions import Fraction

import numpy as np
import pytest

from analysis.rounding import half_up, half_up_decimal, pct


@pytest.mark.parametrize("x, expected", [
    (0.5, 1), (1.5, 2), (2.5, 3), (3.5, 4), (0.4999, 0), (49.5, 50), (50.0, 50), (0, 0),
])
def test_whole_numbers_round_half_up(x, expected):
    assert half_up(x) == expected


def test_differs_from_python_round():
    # Python's round is half-to-even: round(2.5) == 2, round(0.5) == 0.
    assert round(2.5) == 2 and half_up(2.5) == 3
    assert round(0.5) == 0 and half_up(0.5) == 1


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


def test_python_round_gets_these_wrong():
    assert round(2.675, 2) == 2.67
    assert round(22.65, 1) == 22.6  # binary 22.6499999...


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
