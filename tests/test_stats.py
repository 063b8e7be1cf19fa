"""Statistics against hand-computed cases and against scipy/statsmodels called directly."""

import math

import numpy as np
import pytest
from scipy import stats as scipy_stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import proportion_confint

from issue_assets.analysis import stats


@pytest.mark.parametrize(("k", "n"), [(0, 10), (10, 10), (3, 7), (1, 1), (6751, 10000), (1, 24953)])
def test_wilson_interval_matches_statsmodels(k, n):
    low, high = stats.wilson_interval(k, n)
    expected = proportion_confint(k, n, alpha=0.05, method="wilson")
    assert low == pytest.approx(expected[0], abs=1e-12)
    assert high == pytest.approx(expected[1], abs=1e-12)


def test_wilson_interval_contains_the_share_exactly_at_the_edges():
    for n in range(1, 400):
        for k in (0, 1, n - 1, n):
            low, high = stats.wilson_interval(k, n)
            assert 0 <= low <= k / n <= high <= 1
        assert stats.wilson_interval(0, n)[0] == 0.0 and stats.wilson_interval(n, n)[1] == 1.0


def test_wilson_interval_by_hand_and_edges():
    # 0 of 10: upper bound z²/n / (1 + z²/n).
    z2 = stats.Z_95**2
    assert stats.wilson_interval(0, 10) == (0.0, pytest.approx(z2 / 10 / (1 + z2 / 10)))
    assert all(math.isnan(v) for v in stats.wilson_interval(0, 0))
    with pytest.raises(ValueError, match="successes"):
        stats.wilson_interval(11, 10)


def _brute_cliffs(x, y):
    greater = sum(a > b for a in x for b in y)
    less = sum(a < b for a in x for b in y)
    return (greater - less) / (len(x) * len(y))


def test_cliffs_delta_by_hand_and_brute_force():
    # x > y once, x < y six times, two ties of nine pairs.
    assert stats.cliffs_delta([1, 2, 3], [2, 3, 4]) == pytest.approx(-5 / 9)
    assert stats.cliffs_delta([5, 6], [1, 2]) == 1.0
    assert stats.cliffs_delta([1, 1, 1], [1, 1]) == 0.0
    rng = np.random.default_rng(3)
    for _ in range(20):
        x = rng.integers(0, 6, rng.integers(1, 30)).tolist()
        y = rng.integers(0, 6, rng.integers(1, 30)).tolist()
        assert stats.cliffs_delta(x, y) == pytest.approx(_brute_cliffs(x, y))


def test_cliffs_delta_ignores_missing_and_handles_empty():
    assert stats.cliffs_delta([1, None, float("nan"), 3], [2]) == 0.0
    assert math.isnan(stats.cliffs_delta([], [1, 2]))


@pytest.mark.parametrize(("delta", "label"), [(0.0, "negligible"), (-0.146, "negligible"), (0.147, "small"),
                                              (-0.33, "medium"), (0.473, "medium"), (0.474, "large"),
                                              (-1.0, "large")])
def test_cliffs_magnitude_thresholds(delta, label):
    assert stats.cliffs_magnitude(delta) == label
    assert stats.cliffs_magnitude(float("nan")) is None


def test_cohens_d_by_hand_and_edges():
    assert stats.cohens_d([1, 2, 3], [4, 5, 6]) == pytest.approx(-3.0)
    # Pooled variance ((3-1)*1 + (2-1)*0.5) / 3 = 5/6.
    assert stats.cohens_d([1, 2, 3], [0, 1]) == pytest.approx(1.5 / math.sqrt(5 / 6))
    assert math.isnan(stats.cohens_d([2, 2], [2, 2]))  # no spread
    assert math.isnan(stats.cohens_d([1], [2]))  # too few values
    assert math.isnan(stats.cohens_d([], [1, 2, 3]))


def test_rank_sum_by_hand_and_against_scipy():
    # Complete separation of 3 and 3: U = 0, exact two-sided p = 2 / C(6, 3) = 0.1.
    u, p = stats.rank_sum([1, 2, 3], [4, 5, 6])
    assert (u, p) == (0.0, pytest.approx(0.1))
    rng = np.random.default_rng(11)
    x, y = rng.poisson(3, 200), rng.poisson(3.5, 150)  # many ties: normal approximation
    expected = scipy_stats.mannwhitneyu(x, y, alternative="two-sided")
    assert stats.rank_sum(x, y) == (pytest.approx(expected.statistic), pytest.approx(expected.pvalue))


def test_rank_sum_edges():
    assert stats.rank_sum([3, 3, 3], [3, 3]) == (3.0, 1.0)
    assert all(math.isnan(v) for v in stats.rank_sum([], [1]))


def test_compare_groups_collects_everything_with_notes():
    result = stats.compare_groups([1, 2, 3, None], [4, 5, 6])
    assert (result.n_x, result.n_y, result.median_x, result.mean_y) == (3, 3, 2.0, 5.0)
    assert result.cliffs_delta == -1.0 and result.cliffs_magnitude == "large"
    assert result.cohens_d == pytest.approx(-3.0) and result.note is None
    assert stats.compare_groups([1, 1], [1, 1]).note == "every value ties"
    assert stats.compare_groups([], [1]).note == "a group is empty: nothing to compare"
    assert set(result.as_row()) >= {"statistic", "p_value", "cohens_d"}


def test_holm_by_hand_and_against_statsmodels():
    assert stats.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    adjusted = stats.holm([0.01, float("nan"), 0.04])
    assert adjusted[0] == pytest.approx(0.02) and math.isnan(adjusted[1]) and adjusted[2] == pytest.approx(0.04)
    p = np.random.default_rng(5).uniform(0, 0.2, 13)
    assert stats.holm(p) == pytest.approx(multipletests(p, method="holm")[1].tolist())
    assert stats.holm([]) == []


def test_fisher_by_hand_and_against_scipy():
    # The lady tasting tea: 3 of 4 right, two-sided p = 34/70.
    result = stats.fisher_2x2([[3, 1], [1, 3]])
    assert result.p_value == pytest.approx(34 / 70)
    table = [[40, 12], [300, 500]]
    expected = scipy_stats.contingency.odds_ratio(table, kind="conditional")
    result = stats.fisher_2x2(table)
    assert result.odds_ratio == pytest.approx(expected.statistic)
    assert result.p_value == pytest.approx(scipy_stats.fisher_exact(table).pvalue)
    assert result.ci_low < result.odds_ratio < result.ci_high
    empty_row = stats.fisher_2x2([[0, 0], [5, 7]])
    assert empty_row.p_value == 1.0 and math.isnan(empty_row.odds_ratio)
    with pytest.raises(ValueError, match="2x2"):
        stats.fisher_2x2([[1, 2, 3]])


def test_correlation_against_scipy_and_edges():
    rng = np.random.default_rng(2)
    x = rng.normal(size=50)
    y = x + rng.normal(size=50)
    for method, function in (("spearman", scipy_stats.spearmanr), ("pearson", scipy_stats.pearsonr)):
        expected = function(x, y)
        result = stats.correlation(x, y, method)
        assert (result.coefficient, result.p_value, result.n) == (
            pytest.approx(expected.statistic), pytest.approx(expected.pvalue), 50)
    assert stats.correlation([1, 2, 3, 4], [1, 4, 9, 16], "spearman").coefficient == pytest.approx(1.0)
    short = stats.correlation([1, 2, None], [1, 2, 3], "pearson")
    assert short.n == 2 and "at least 3" in short.note
    assert "constant" in stats.correlation([1, 1, 1], [1, 2, 3], "spearman").note
    with pytest.raises(ValueError, match="method"):
        stats.correlation([1], [1], "kendall")


def test_large_tables_get_woolfs_interval_which_agrees_with_the_exact_one():
    from scipy.stats.contingency import odds_ratio

    table = [[2600, 2300], [2100, 2500]]  # every margin above EXACT_CI_MAX_MARGIN
    result = stats.fisher_2x2(table)
    assert result.ci_method == "Woolf (large table)"
    exact = odds_ratio(table, kind="conditional").confidence_interval(0.95)
    assert result.ci_low == pytest.approx(exact.low, rel=1e-3) and result.ci_high == pytest.approx(exact.high, rel=1e-3)
    assert result.ci_low < result.odds_ratio < result.ci_high
    # A small cell keeps the exact interval, however large the table.
    assert stats.fisher_2x2([[3, 4000], [2500, 2600]]).ci_method == "exact conditional"
