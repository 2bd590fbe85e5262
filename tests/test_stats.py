"""Statistics checked against closed-form formulas written out here, not against the library itself."""
import math
from statistics import NormalDist

import pytest

from analysis.stats import TestResult, compare_groups, goodness_of_fit, wilson_ci

Z95 = NormalDist().inv_cdf(0.975)


def wilson_by_hand(k, n, z=Z95):
    p = k / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z / denom * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


@pytest.mark.parametrize("k, n", [(3, 8), (316, 608), (0, 44), (44, 44), (1, 10)])
def test_wilson_matches_closed_form(k, n):
    low, high = wilson_ci(k, n)
    exp_low, exp_high = wilson_by_hand(k, n)
    assert low == pytest.approx(max(0, exp_low), abs=1e-12)
    assert high == pytest.approx(min(1, exp_high), abs=1e-12)


@pytest.mark.parametrize("alpha", [0.05, 0.01, 0.1])
def test_wilson_agrees_with_statsmodels(alpha):
    """The interval is written out (no statsmodels import at build time); statsmodels is the oracle."""
    from statsmodels.stats.proportion import proportion_confint

    for n in (1, 2, 5, 44, 56, 418, 608):
        for k in sorted({0, 1, n // 3, n // 2, n - 1, n}):
            lo, hi = proportion_confint(k, n, alpha=alpha, method="wilson")
            assert wilson_ci(k, n, alpha) == pytest.approx((max(0, lo), min(1, hi)), abs=1e-12), (k, n)


def test_wilson_is_not_the_normal_approximation():
    # statsmodels' default method is "normal"; Wilson never goes below 0 at k = 0... and differs.
    low, high = wilson_ci(0, 20)
    assert low == 0 and high == pytest.approx(0.1611251, abs=1e-6)  # 3.84/(20+3.84)


def test_wilson_other_alpha():
    z = NormalDist().inv_cdf(0.995)
    assert wilson_ci(30, 100, alpha=0.01) == pytest.approx(wilson_by_hand(30, 100, z), abs=1e-12)


def test_wilson_empty_base():
    low, high = wilson_ci(0, 0)
    assert math.isnan(low) and math.isnan(high)


def test_wilson_rejects_impossible_counts():
    with pytest.raises(ValueError):
        wilson_ci(5, 4)


def test_2x2_chi_square_with_yates_by_hand():
    a, b, c, d = 30, 70, 50, 50
    n = a + b + c + d
    yates = n * (abs(a * d - b * c) - n / 2) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
    p = math.erfc(math.sqrt(yates / 2))  # chi-square survival function, 1 degree of freedom
    result = compare_groups([[a, b], [c, d]])
    assert result.test == "chi2"
    assert result.correction is True
    assert result.dof == 1
    assert result.n == 200
    assert result.statistic == pytest.approx(yates, rel=1e-12)
    assert result.p == pytest.approx(p, rel=1e-9)
    assert yates == pytest.approx(722 / 96)  # 200 * 1900^2 / (100 * 100 * 80 * 120)


def test_2xk_chi_square_by_hand_without_correction():
    table = [[20, 30, 50], [30, 30, 40]]
    rows = [sum(r) for r in table]
    cols = [sum(c) for c in zip(*table)]
    n = sum(rows)
    stat = sum((table[i][j] - rows[i] * cols[j] / n) ** 2 / (rows[i] * cols[j] / n)
               for i in range(2) for j in range(3))
    result = compare_groups(table)
    assert (result.test, result.correction, result.dof) == ("chi2", False, 2)
    assert result.statistic == pytest.approx(stat, rel=1e-12)
    assert result.p == pytest.approx(math.exp(-stat / 2), rel=1e-9)  # chi-square sf, 2 dof


def test_small_expected_count_switches_to_fisher():
    # Fisher's tea-tasting table: hypergeometric probabilities 1, 16, 36, 16, 1 (/70);
    # two-sided p = P(tables at most as likely as the observed one) = (1 + 16 + 16 + 1) / 70.
    result = compare_groups([[3, 1], [1, 3]])
    assert result.test == "fisher"
    assert result.p == pytest.approx(34 / 70, rel=1e-12)
    assert result.statistic == pytest.approx(9.0)  # odds ratio 3*3 / (1*1)
    assert result.dof is None and result.correction is False
    assert result.min_expected == pytest.approx(2.0)


def test_larger_table_with_small_expected_keeps_chi_square_and_says_so():
    result = compare_groups([[1, 2, 30], [2, 1, 40]])
    assert result.test == "chi2"
    assert result.min_expected < 5


def test_all_zero_column_is_dropped():
    assert compare_groups([[20, 0, 30], [25, 0, 25]]) == compare_groups([[20, 30], [25, 25]])


def test_invalid_tables():
    with pytest.raises(ValueError):
        compare_groups([[1, 2], [0, 0]])
    with pytest.raises(ValueError):
        compare_groups([1, 2, 3])
    with pytest.raises(ValueError):
        compare_groups([[1.5, 2], [3, 4]])


def test_result_is_frozen():
    result = compare_groups([[30, 70], [50, 50]])
    assert isinstance(result, TestResult)
    with pytest.raises(AttributeError):
        result.p = 0.5


def test_goodness_of_fit_by_hand():
    # Expected 40, 40, 20: chi2 = 10^2/40 + 10^2/40 + 0 = 5, 2 dof, p = exp(-5/2).
    result = goodness_of_fit([50, 30, 20], [0.4, 0.4, 0.2])
    assert result.test == "chi2_gof"
    assert result.statistic == pytest.approx(5.0)
    assert result.dof == 2
    assert result.p == pytest.approx(math.exp(-2.5), rel=1e-9)
    assert result.n == 100


def test_goodness_of_fit_accepts_per_cent_shares():
    assert goodness_of_fit([50, 30, 20], [40, 40, 20]) == goodness_of_fit([50, 30, 20], [0.4, 0.4, 0.2])


def test_goodness_of_fit_checks_lengths():
    with pytest.raises(ValueError):
        goodness_of_fit([1, 2], [0.5, 0.3, 0.2])
