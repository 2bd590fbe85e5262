"""Locale formatting: Danish '76 %' (no-break space), '0,05', '1.234'; English '76%', '0.05', '1,234'."""
import pytest
from hypothesis import given
from hypothesis import strategies as st

from analysis import fmt

NBSP = "\u00a0"


def test_locale_separators():
    # Danish groups thousands with '.' and writes decimals with ','; English the other way round.
    assert fmt.number(1234567.5, "da", 1) == "1.234.567,5"
    assert fmt.number(1234567.5, "en", 1) == "1,234,567.5"


def test_percent_danish_has_no_break_space():
    assert fmt.percent(76, "da") == f"76{NBSP}%"
    assert fmt.percent(76, "en") == "76%"


@pytest.mark.parametrize("value, da, en", [
    (0.5, "1", "1"),      # Babel alone (half-even) would print 0 %
    (2.5, "3", "3"),      # Babel alone would print 2 %
    (37.5, "38", "38"),
    (52.4, "52", "52"),
    (100, "100", "100"),
    (0, "0", "0"),
])
def test_percent_rounds_half_up(value, da, en):
    assert fmt.percent(value, "da") == f"{da}{NBSP}%"
    assert fmt.percent(value, "en") == f"{en}%"


@given(st.integers(min_value=0, max_value=999))
def test_every_half_rounds_up(k):
    # k + 0.5 is exact in binary, so only the rounding rule decides: always up, to k + 1.
    assert fmt.percent(k + 0.5, "en") == f"{k + 1:,}%"


def test_percent_with_decimals():
    assert fmt.percent(22.65, "da", 1) == f"22,7{NBSP}%"
    assert fmt.percent(22.65, "en", 1) == "22.7%"
    assert fmt.percent(5, "da", 1) == f"5,0{NBSP}%"


def test_number_grouping():
    assert fmt.number(1234, "da") == "1.234"
    assert fmt.number(1234, "en") == "1,234"
    assert fmt.number(608, "da") == "608"
    assert fmt.number(1234.5, "da") == "1.235"  # half up
    assert fmt.number(1234567.25, "en", 1) == "1,234,567.3"


def test_decimal():
    assert fmt.decimal(0.05, "da", 2) == "0,05"
    assert fmt.decimal(0.05, "en", 2) == "0.05"
    assert fmt.decimal(2.675, "en", 2) == "2.68"
    assert fmt.decimal(-0.125, "da", 2) == "-0,13"


def test_p_value():
    assert fmt.p_value(0.0004, "da") == "p < 0,001"
    assert fmt.p_value(0.0004, "en") == "p < 0.001"
    assert fmt.p_value(0.0234, "da") == "p = 0,023"
    assert fmt.p_value(0.0235, "en") == "p = 0.024"  # half up
    assert fmt.p_value(0.001, "en") == "p = 0.001"
    assert fmt.p_value(1, "en") == "p = 1.000"


def test_p_value_out_of_range():
    with pytest.raises(ValueError):
        fmt.p_value(1.5, "da")
    with pytest.raises(ValueError):
        fmt.p_value(float("nan"), "da")


def test_count_of():
    assert fmt.count_of(3, 4, "da") == "3 ud af 4"
    assert fmt.count_of(3, 4, "en") == "3 out of 4"
    assert fmt.count_of(1234, 2000, "da") == "1.234 ud af 2.000"


def test_unknown_language():
    with pytest.raises(ValueError):
        fmt.percent(5, "de")
    with pytest.raises(ValueError):
        fmt.count_of(1, 2, "de")


def test_nan_is_refused():
    with pytest.raises(ValueError):
        fmt.percent(float("nan"), "da")
