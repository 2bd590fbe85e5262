"""Statistics for the report: Wilson intervals, subgroup tests, goodness of fit.

Rules (GUIDE.md section 3 and docs/data-model.md, `signif` rows):
- confidence intervals for proportions are Wilson score intervals (the closed form, checked
  against statsmodels' `proportion_confint(method="wilson")` in the tests);
- a subgroup difference is tested with Pearson's chi-square test of independence; for a 2x2
  table scipy applies Yates' continuity correction (its default) and we record that we did;
- a 2x2 table with an expected count under 5 is tested with Fisher's exact test instead.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist
from typing import Sequence

import numpy as np

# scipy is imported where it is used: importing scipy.stats costs ~0.6 s of CPU, and most
# importers of this module (every kernel, through analysis.tables) never test anything.

# Below this expected count the chi-square approximation is poor (Cochran's rule).
MIN_EXPECTED = 5

__all__ = ["MIN_EXPECTED", "TestResult", "wilson_ci", "compare_groups", "goodness_of_fit"]


@dataclass(frozen=True)
class TestResult:
    """The outcome of one test, with enough detail to report it honestly.

    test: "chi2" (independence), "fisher" (exact, 2x2) or "chi2_gof" (goodness of fit)
    statistic: chi-square statistic; for Fisher the sample odds ratio (scipy's statistic)
    dof: degrees of freedom (None for Fisher)
    correction: whether Yates' continuity correction was applied
    n: number of observations in the table
    min_expected: smallest expected count (why a test was chosen, or a caveat for r x c tables)
    """

    __test__ = False  # not a pytest test class, despite the name

    test: str
    statistic: float
    p: float
    dof: int | None
    correction: bool
    n: int
    min_expected: float | None = None


def wilson_ci(count: int, n: int, alpha: float = 0.05) -> tuple[float, float]:
    """Wilson score interval for count/n, as proportions in [0, 1] (NaN, NaN for n = 0)."""
    if n == 0:
        return (math.nan, math.nan)
    if not 0 <= count <= n:
        raise ValueError(f"count {count} is not between 0 and n={n}")
    # The closed form statsmodels' `proportion_confint(method="wilson")` computes (tests/test_stats.py
    # holds the two together): importing statsmodels means importing scipy.stats, ~0.6 s of CPU in
    # each kernel and in the numbers step, for a few lines of arithmetic.
    z = NormalDist().inv_cdf(1 - alpha / 2)
    p = count / n
    denom = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denom
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denom
    # At count = 0 (or n) the bound is exactly 0 (or 1); the arithmetic leaves noise like 1e-17.
    low = 0.0 if count == 0 else max(0.0, centre - half)
    high = 1.0 if count == n else min(1.0, centre + half)
    return (low, high)


def _as_count_table(table) -> np.ndarray:
    arr = np.asarray(table, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"a contingency table is 2-dimensional, got shape {arr.shape}")
    if (arr < 0).any() or not np.all(arr == np.round(arr)):
        raise ValueError("a contingency table holds non-negative whole counts")
    # A category nobody chose (an all-zero row or column) has expected count 0 and carries
    # no information about independence: drop it rather than fail.
    arr = arr[arr.sum(axis=1) > 0][:, arr.sum(axis=0) > 0]
    if arr.shape[0] < 2 or arr.shape[1] < 2:
        raise ValueError("a test needs at least two non-empty rows and two non-empty columns")
    return arr


def compare_groups(table) -> TestResult:
    """Test independence in a 2 x k table of counts (rows = groups, columns = answers).

    Chi-square (Yates-corrected for 2x2), or Fisher's exact test for a 2x2 table with an
    expected count under `MIN_EXPECTED`. Larger tables with small expected counts keep the
    chi-square test; `min_expected` in the result lets the caller warn about them.
    """
    counts = _as_count_table(table)
    n = int(counts.sum())
    from scipy.stats import chi2_contingency, fisher_exact
    from scipy.stats.contingency import expected_freq

    min_expected = float(expected_freq(counts).min())
    if counts.shape == (2, 2) and min_expected < MIN_EXPECTED:
        odds_ratio, p = fisher_exact(counts.astype(int), alternative="two-sided")
        return TestResult("fisher", float(odds_ratio), float(p), None, False, n, min_expected)
    # scipy corrects only when dof == 1 (the 2x2 case); record what it actually did.
    statistic, p, dof, _ = chi2_contingency(counts, correction=True)
    return TestResult("chi2", float(statistic), float(p), int(dof), int(dof) == 1, n, min_expected)


def goodness_of_fit(observed_counts: Sequence[float], expected_shares: Sequence[float]) -> TestResult:
    """Chi-square goodness of fit of observed counts against population shares.

    E.g. respondents by region against the shares of all councillors. Shares may be given as
    proportions or per cent; they are normalised to sum to 1 (the published shares are rounded).
    """
    observed = np.asarray(observed_counts, dtype=float)
    shares = np.asarray(expected_shares, dtype=float)
    if observed.shape != shares.shape or observed.ndim != 1 or len(observed) < 2:
        raise ValueError("observed counts and expected shares must be two equal-length lists (>= 2 categories)")
    if (shares <= 0).any():
        raise ValueError("every expected share must be positive")
    n = observed.sum()
    expected = n * shares / shares.sum()
    from scipy.stats import chisquare

    statistic, p = chisquare(observed, expected)
    return TestResult("chi2_gof", float(statistic), float(p), len(observed) - 1, False, int(n), float(expected.min()))
