"""Tests for sklearn_gum.model_selection.

Reference numbers are checked against scipy, statsmodels or brute force
(all Walsh averages, all 2**n sign patterns) inside the tests.
"""

import itertools
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.datasets import make_regression
from sklearn.dummy import DummyRegressor
from sklearn.ensemble import BaggingRegressor, RandomForestRegressor
from sklearn.linear_model import HuberRegressor, LinearRegression, SGDRegressor
from sklearn.model_selection import ShuffleSplit
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.tree import DecisionTreeRegressor

from sklearn_gum.model_selection import (
    ComparisonDisplay,
    ComparisonResult,
    MedianCI,
    WilcoxonResult,
    compare_estimators,
    median_confidence_interval,
    paired_wilcoxon,
)
from sklearn_gum.model_selection._compare import _adjust_pvalues, _stars
from sklearn_gum.model_selection._rank_tests import _signed_rank_pmf, _walsh_ci_ranks
from sklearn_gum.model_selection._checks import ErrorSpec
from sklearn_gum.model_selection._runs import _per_sample_errors, _seed_params
from sklearn_gum.model_selection._walsh import _walsh_order_statistics

# Hollander, Wolfe and Chicken (2014), Example 3.1: Hamilton depression
# scale factor IV before (x) and after (y) a tranquilizer, 9 patients.
HAMILTON_X = np.array([1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30])
HAMILTON_Y = np.array([0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29])

X_REG, Y_REG = make_regression(n_samples=300, n_features=10, noise=1.0, random_state=0)


def brute_walsh(d):
    """Sorted Walsh averages (d_i + d_j) / 2, i <= j."""
    i, j = np.triu_indices(len(d))
    return np.sort((d[i] + d[j]) / 2)


def brute_signed_rank_cdf(n):
    """CDF of R+ over all 2**n sign patterns of the ranks 1..n."""
    signs = np.array(list(itertools.product([0, 1], repeat=n)))
    r_plus = signs @ np.arange(1, n + 1)
    counts = np.bincount(r_plus, minlength=n * (n + 1) // 2 + 1)
    return np.cumsum(counts) / 2**n


def exact_k(n, tail):
    """Largest k with P(R+ <= k - 1) <= tail, by brute force."""
    cdf = brute_signed_rank_cdf(n)
    return int(np.sum(cdf <= tail + 1e-15))


# ---------------------------------------------------------------------------
# median_confidence_interval
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("n", [6, 20, 30, 57, 200])
def test_median_ci_matches_quantile_test(n):
    x = np.random.default_rng(n).standard_normal(n)
    ci = median_confidence_interval(x)
    ref = stats.quantile_test(x, q=np.median(x), p=0.5).confidence_interval(0.95)
    assert isinstance(ci, MedianCI)
    assert (ci.low, ci.high) == (ref.low, ref.high)
    assert ci.median == np.median(x) and ci.n == n


def test_median_ci_achieved_coverage_by_hand():
    # n = 20: binom.cdf(5, 20, .5) = 0.02069 <= 0.025 < binom.cdf(6) = 0.0577,
    # so the bounds are x_(6) and x_(15), coverage 1 - 2 * 0.02069.
    ci = median_confidence_interval(np.arange(1.0, 21.0))
    assert (ci.low, ci.high) == (6.0, 15.0)
    assert_allclose(ci.coverage, 1 - 2 * 21700 / 2**20)
    assert_allclose(ci.coverage, 0.958611, atol=1e-6)
    # n = 6 at 95%: [x_(1), x_(6)] with coverage 1 - 2 / 64.
    ci = median_confidence_interval([3.0, 1.0, 2.0, 6.0, 5.0, 4.0])
    assert (ci.low, ci.high, ci.coverage) == (1.0, 6.0, 1 - 2 / 64)


def test_median_ci_too_small_sample_is_infinite():
    ci = median_confidence_interval([1.0, 2.0, 3.0, 4.0, 5.0])
    assert (ci.low, ci.high, ci.coverage, ci.median) == (-np.inf, np.inf, 1.0, 3.0)
    ci = median_confidence_interval([1.0, 2.0, 3.0, 4.0, 5.0], confidence_level=0.9)
    assert (ci.low, ci.high, ci.coverage) == (1.0, 5.0, 1 - 2 / 32)


@pytest.mark.parametrize("n, level", [(15, 0.95), (40, 0.95), (40, 0.8)])
def test_median_ci_coverage_simulation(n, level):
    # Exponential errors, true median log(2); 2000 replications at once.
    rng = np.random.default_rng(n)
    samples = np.sort(rng.exponential(size=(2000, n)), axis=1)
    first = median_confidence_interval(samples[0], confidence_level=level)
    lower = np.flatnonzero(samples[0] == first.low)[0]
    upper = np.flatnonzero(samples[0] == first.high)[0]
    covered = (samples[:, lower] <= np.log(2)) & (np.log(2) <= samples[:, upper])
    se = np.sqrt(first.coverage * (1 - first.coverage) / 2000)
    assert first.coverage >= level
    assert covered.mean() >= level - 3 * se
    assert abs(covered.mean() - first.coverage) < 4 * se


@pytest.mark.parametrize(
    "errors, level, match",
    [
        ([1.0, np.nan, 2.0], 0.95, "errors contains NaN"),
        ([1.0, np.inf], 0.95, "errors contains infinite"),
        ([], 0.95, "errors must not be empty"),
        ([[1.0, 2.0]], 0.95, "errors must be one-dimensional"),
        ([1.0, 2.0], 1.5, "confidence_level must be in"),
    ],
)
def test_median_ci_bad_input(errors, level, match):
    with pytest.raises(ValueError, match=match):
        median_confidence_interval(errors, confidence_level=level)


# ---------------------------------------------------------------------------
# paired_wilcoxon: test statistic and p-values
# ---------------------------------------------------------------------------


def test_hamilton_textbook_example():
    d = HAMILTON_X - HAMILTON_Y
    res = paired_wilcoxon(HAMILTON_X, HAMILTON_Y, alternative="greater")
    # Textbook: T+ = 40, exact one-sided p = 10 / 512 = 0.01953.
    assert isinstance(res, WilcoxonResult)
    assert res.statistic == 40.0 and res.method == "exact"
    assert_allclose(res.pvalue, 10 / 512, rtol=1e-12)
    ref = stats.wilcoxon(HAMILTON_X, HAMILTON_Y, alternative="greater")
    assert_allclose(res.pvalue, ref.pvalue, rtol=1e-12)

    res = paired_wilcoxon(HAMILTON_X, HAMILTON_Y)
    walsh = brute_walsh(d)
    assert walsh.size == 45
    assert_allclose(res.estimate, 0.46, atol=1e-12)  # textbook HL estimate
    assert_allclose(res.estimate, np.median(walsh), rtol=1e-12)
    # P(T+ <= 5) = 10/512 <= 0.025 < P(T+ <= 6): interval [W_(6), W_(40)].
    assert exact_k(9, 0.025) == 6
    assert_allclose([res.low, res.high], [walsh[5], walsh[39]], rtol=1e-12)
    assert_allclose([res.low, res.high], [0.01, 0.786], atol=1e-12)
    assert_allclose(res.coverage, 1 - 2 * 10 / 512)
    assert_allclose(res.pvalue, 20 / 512, rtol=1e-12)
    # R+ = 40, R- = 5: rank-biserial (40 - 5) / 45.
    assert_allclose(res.effect_size, 35 / 45)
    assert (res.n, res.n_zeros, res.note) == (9, 0, "")


def test_signed_rank_pmf_matches_brute_force_and_scipy():
    assert_allclose(np.cumsum(_signed_rank_pmf(12)), brute_signed_rank_cdf(12))
    # n = 30: scipy's exact one-sided p of R+ = r is P(R+ <= r).
    cdf = np.cumsum(_signed_rank_pmf(30))
    ranks = np.arange(1.0, 31.0)
    for r_plus_set in ([1, 2, 3, 4, 5, 6, 7], [30, 29, 1, 2, 3, 4, 5, 6, 7, 8, 9]):
        signs = np.where(np.isin(ranks, r_plus_set), 1.0, -1.0)
        p = stats.wilcoxon(signs * ranks, alternative="less").pvalue
        assert_allclose(cdf[int(np.sum(r_plus_set))], p, rtol=1e-12)


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
@pytest.mark.parametrize("n", [5, 20, 50])
def test_exact_pvalues_match_scipy(n, alternative):
    rng = np.random.default_rng(n)
    a, b = rng.standard_normal(n) + 0.3, rng.standard_normal(n)
    res = paired_wilcoxon(a, b, alternative=alternative)
    ref = stats.wilcoxon(a, b, alternative=alternative, method="exact")
    assert res.method == "exact"
    assert res.statistic == ref.statistic
    assert_allclose(res.pvalue, ref.pvalue, rtol=1e-12)


def test_small_tied_sample_uses_complete_permutation_test():
    a = np.array([3.0, 1.0, 4.0, 1.0, 5.0, 9.0, 2.0, 6.0, 5.0, 3.0])
    b = np.array([2.0, 2.0, 3.0, 2.0, 3.0, 7.0, 1.0, 4.0, 4.0, 4.0])
    res = paired_wilcoxon(a, b)  # |d| has ties (1 appears 6 times)
    assert res.method == "permutation"
    # All 2**10 sign flips of the signed ranks, by brute force.
    d = a - b
    ranks = stats.rankdata(np.abs(d))
    flips = np.array(list(itertools.product([-1, 1], repeat=10)))
    r_plus = ((flips * np.sign(d)) > 0) @ ranks
    observed = ranks[d > 0].sum()
    p_ref = 2 * min(np.mean(r_plus >= observed), np.mean(r_plus <= observed))
    assert_allclose(res.pvalue, min(p_ref, 1.0), rtol=1e-12)
    assert_allclose(res.pvalue, stats.wilcoxon(a, b).pvalue, rtol=1e-12)


@pytest.mark.parametrize("alternative", ["two-sided", "less", "greater"])
@pytest.mark.parametrize("n", [40, 60, 500])
def test_asymptotic_pvalues_match_scipy(n, alternative):
    # Rounded data: ties, and for n=40 a tied sample above the permutation range.
    rng = np.random.default_rng(n)
    a = np.round(rng.standard_normal(n) + 0.2, 1)
    b = np.round(rng.standard_normal(n), 1)
    res = paired_wilcoxon(a, b, alternative=alternative)
    ref = stats.wilcoxon(
        a, b, alternative=alternative, correction=True, method="asymptotic"
    )
    assert res.method == "asymptotic"
    assert_allclose(res.pvalue, ref.pvalue, rtol=1e-10)
    n_zeros = int(np.sum(a == b))
    assert res.n_zeros == n_zeros and res.n == n
    if alternative == "two-sided":
        assert res.statistic == ref.statistic


def test_zero_differences_dropped_from_test_kept_in_estimate():
    rng = np.random.default_rng(3)
    d = np.r_[np.zeros(5), rng.standard_normal(25) + 0.5]
    res = paired_wilcoxon(d, np.zeros_like(d))
    assert (res.n, res.n_zeros) == (30, 5)
    # Zeros dropped first, the 25 others untied: exact test on those.
    assert res.method == "exact"
    assert_allclose(res.pvalue, stats.wilcoxon(d[5:], method="exact").pvalue)
    assert_allclose(res.estimate, np.median(brute_walsh(d)), rtol=1e-12)
    cdf = np.cumsum(_signed_rank_pmf(30))  # 2**30 sign patterns: use the pmf
    k = int(np.sum(cdf <= 0.025 + 1e-15))
    walsh = brute_walsh(d)
    assert_allclose([res.low, res.high], [walsh[k - 1], walsh[walsh.size - k]])


def test_all_zero_differences_give_note_not_crash():
    e = np.arange(10.0)
    res = paired_wilcoxon(e, e)
    assert (res.statistic, res.pvalue, res.estimate) == (0.0, 1.0, 0.0)
    assert (res.low, res.high, res.effect_size) == (0.0, 0.0, 0.0)
    assert (res.n, res.n_zeros) == (10, 10)
    assert "all differences are zero" in res.note
    res = paired_wilcoxon(e, e, alternative="greater")
    assert (res.pvalue, res.estimate, res.low, res.high) == (1.0, 0.0, 0.0, np.inf)


@pytest.mark.parametrize(
    "a, b, kwargs, match",
    [
        ([1.0, 2.0], [1.0], {}, "errors_a and errors_b must have the same length"),
        ([1.0, 2.0], [1.0, np.nan], {}, "errors_b contains NaN"),
        ([np.nan, 2.0], [1.0, 2.0], {}, "errors_a contains NaN"),
        ([1.0, 2.0], [1.0, 3.0], {"alternative": "bigger"}, "alternative must be"),
        ([1.0, 2.0], [1.0, 3.0], {"confidence_level": 0}, "confidence_level"),
    ],
)
def test_paired_wilcoxon_bad_input(a, b, kwargs, match):
    with pytest.raises(ValueError, match=match):
        paired_wilcoxon(a, b, **kwargs)


# ---------------------------------------------------------------------------
# paired_wilcoxon: Hodges-Lehmann estimate and interval
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(4))
def test_exact_hl_interval_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    n = 12
    a, b = rng.standard_normal(n), rng.standard_normal(n)
    walsh = brute_walsh(a - b)
    for level in (0.95, 0.9):
        k = exact_k(n, (1 - level) / 2)
        res = paired_wilcoxon(a, b, confidence_level=level)
        assert_allclose(res.estimate, np.median(walsh), rtol=1e-12)
        assert_allclose([res.low, res.high], [walsh[k - 1], walsh[-k]], rtol=1e-12)
        cdf = brute_signed_rank_cdf(n)
        assert_allclose(res.coverage, 1 - 2 * cdf[k - 1])


def test_one_sided_hl_interval():
    a, b = HAMILTON_X, HAMILTON_Y
    walsh = brute_walsh(a - b)
    k = exact_k(9, 0.05)  # P(T+ <= 8) = 0.0371 <= 0.05 < P(T+ <= 9)
    assert k == 9
    res = paired_wilcoxon(a, b, alternative="greater")
    assert (res.low, res.high) == (walsh[k - 1], np.inf)
    res = paired_wilcoxon(a, b, alternative="less")
    assert (res.low, res.high) == (-np.inf, walsh[-k])
    assert_allclose(res.coverage, 1 - brute_signed_rank_cdf(9)[k - 1])


def test_too_few_pairs_give_infinite_interval():
    res = paired_wilcoxon([1.0, 2.0, 3.5, 4.0], [0.5, 1.0, 1.5, 2.0])
    assert (res.low, res.high, res.coverage) == (-np.inf, np.inf, 1.0)
    assert "infinite interval" in res.note
    assert_allclose(res.estimate, np.median(brute_walsh(np.array([0.5, 1, 2, 2]))))


@pytest.mark.parametrize("n", [120, 400])
def test_asymptotic_hl_interval_matches_brute_force(n):
    rng = np.random.default_rng(n)
    a, b = rng.exponential(size=n), rng.exponential(size=n)
    walsh = brute_walsh(a - b)
    total = walsh.size
    sd = np.sqrt(n * (n + 1) * (2 * n + 1) / 24)
    # Normal approximation with continuity correction, by hand.
    k = int(np.floor(total / 2 + 0.5 - stats.norm.ppf(0.975) * sd))
    res = paired_wilcoxon(a, b)
    assert_allclose(res.estimate, np.median(walsh), rtol=1e-12)
    assert_allclose([res.low, res.high], [walsh[k - 1], walsh[total - k]], rtol=1e-12)
    assert_allclose(res.coverage, 0.95, atol=2e-3)
    assert res.coverage >= 0.95


def _samples(kind, n, rng):
    return {
        "normal": lambda: rng.standard_normal(n),
        "ties": lambda: rng.integers(-3, 4, n).astype(float),
        "zeros": lambda: np.r_[np.zeros(n // 2), rng.standard_normal(n - n // 2)],
        "cauchy": lambda: rng.standard_cauchy(n) * 1e6,
        "rounding": lambda: 1e9 + rng.exponential(size=n) * 1e-7,
        "constant": lambda: np.full(n, 2.5),
    }[kind]()


@pytest.mark.parametrize(
    "kind", ["normal", "ties", "zeros", "cauchy", "rounding", "constant"]
)
@pytest.mark.parametrize("cap", [1, 37, 2000])
def test_fast_walsh_selection_equals_brute_force(kind, cap):
    rng = np.random.default_rng(cap)
    for n in (1, 2, 150, 500):
        d = np.sort(_samples(kind, n, rng))
        i, j = np.triu_indices(n)
        sums = np.sort(d[i] + d[j])
        ranks = np.unique(
            np.r_[
                1,
                sums.size,
                (sums.size + 1) // 2,
                sums.size // 2 + 1,
                rng.integers(1, sums.size + 1, 6),
            ]
        )
        assert_array_equal(_walsh_order_statistics(d, ranks, cap=cap), sums[ranks - 1])


def test_hl_interval_coverage_simulation():
    # Exact interval for n = 15 pairs, symmetric t(3) differences, shift 0.
    n, reps = 15, 2000
    k_low, k_high, coverage = _walsh_ci_ranks(n, 0.95, "two-sided")
    d = np.random.default_rng(0).standard_t(3, size=(reps, n))
    i, j = np.triu_indices(n)
    walsh = np.sort((d[:, i] + d[:, j]) / 2, axis=1)
    covered = (walsh[:, k_low - 1] <= 0) & (0 <= walsh[:, k_high - 1])
    se = np.sqrt(coverage * (1 - coverage) / reps)
    assert abs(covered.mean() - coverage) < 4 * se
    res = paired_wilcoxon(d[0], np.zeros(n))
    assert (res.low, res.high) == (walsh[0, k_low - 1], walsh[0, k_high - 1])


def test_million_pairs():
    rng = np.random.default_rng(0)
    a = rng.standard_normal(1_000_000)
    b = a - 0.1 + rng.standard_normal(1_000_000)
    res = paired_wilcoxon(a, b)
    assert (res.n, res.n_zeros, res.method) == (1_000_000, 0, "asymptotic")
    assert res.low < res.estimate < res.high
    assert_allclose(res.estimate, 0.1, atol=0.005)  # true shift
    assert res.high - res.low < 0.01 and res.pvalue < 1e-100
    assert_allclose(res.coverage, 0.95, atol=1e-6)


# ---------------------------------------------------------------------------
# Multiple comparisons and stars
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["holm", "bonferroni"])
def test_adjusted_pvalues_match_statsmodels(method):
    multitest = pytest.importorskip("statsmodels.stats.multitest")
    rng = np.random.default_rng(0)
    for p in (
        rng.uniform(0, 0.1, 7),
        np.array([0.01, 0.04, 0.04, 0.03, 0.5, 0.01]),
        np.array([0.2]),
    ):
        expected = multitest.multipletests(p, method=method)[1]
        assert_allclose(_adjust_pvalues(p, method), expected, rtol=1e-12)


def test_adjusted_pvalues_by_hand():
    p = np.array([0.01, 0.04, 0.03])
    # Holm: sorted 0.01, 0.03, 0.04 -> 3*0.01, max(0.03, 2*0.03), max(0.06, 0.04).
    assert_allclose(_adjust_pvalues(p, "holm"), [0.03, 0.06, 0.06])
    assert_allclose(_adjust_pvalues(p, "bonferroni"), [0.03, 0.12, 0.09])
    assert_array_equal(_adjust_pvalues(p, "none"), p)


@pytest.mark.parametrize(
    "p, level, stars",
    [
        (0.0009, 0.95, "***"),
        (0.001, 0.95, "**"),
        (0.0099, 0.95, "**"),
        (0.01, 0.95, "*"),
        (0.049, 0.95, "*"),
        (0.05, 0.95, ""),
        (1.0, 0.95, ""),
        # at 90% the stars follow significantly_better's alpha = 0.1
        (0.09, 0.90, "*"),
        (0.019, 0.90, "**"),
        (0.0019, 0.90, "***"),
        (0.011, 0.99, ""),
        (0.009, 0.99, "*"),
        (0.0019, 0.99, "**"),
        (0.00019, 0.99, "***"),
    ],
)
def test_stars_follow_the_confidence_level(p, level, stars):
    assert _stars(p, level) == stars


def test_a_starred_pair_is_significantly_better_at_every_level():
    X, y = make_regression(n_samples=40, n_features=2, noise=20.0, random_state=3)
    ests = {"ols": LinearRegression(), "mean": DummyRegressor()}
    for level in (0.8, 0.95, 0.999):
        res = compare_estimators(ests, X, y, n_runs=1, random_state=0,
                                 confidence_level=level)
        starred = res.stars[("ols", "mean")] != ""
        assert starred == ("mean" in res.significantly_better), level


# ---------------------------------------------------------------------------
# compare_estimators
# ---------------------------------------------------------------------------


class NaNRegressor(RegressorMixin, BaseEstimator):
    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.full(len(X), np.nan)


@pytest.fixture(scope="module")
def regression_result():
    estimators = {
        "LinearRegression": LinearRegression(),
        "DummyRegressor": DummyRegressor(),
        "HuberRegressor": HuberRegressor(),
    }
    # one 80/20 split per run (the default is 5-fold, tested below)
    return compare_estimators(estimators, X_REG, Y_REG, random_state=0,
                              cv=ShuffleSplit(n_splits=1, test_size=0.2))


def test_compare_default_cv_is_five_fold():
    # As everywhere in scikit-learn, cv=None is 5-fold: every row is tested
    # once per run (it was one 80/20 split per run).
    ests = {"ols": LinearRegression(), "mean": DummyRegressor()}
    X, y = X_REG[:50], Y_REG[:50]
    res = compare_estimators(ests, X, y, n_runs=2, random_state=0)
    assert res.errors["ols"].shape == (2 * 50,)
    explicit = compare_estimators(ests, X, y, n_runs=2, random_state=0, cv=5)
    assert_array_equal(np.sort(res.errors["ols"]), np.sort(explicit.errors["ols"]))


def test_compare_regression(regression_result):
    res = regression_result
    assert isinstance(res, ComparisonResult)
    assert res.names == ("LinearRegression", "DummyRegressor", "HuberRegressor")
    assert res.best == "LinearRegression"
    assert "DummyRegressor" in res.significantly_better
    pair = ("LinearRegression", "DummyRegressor")
    assert res.pvalues_adjusted[pair] < 0.001 and res.stars[pair] == "***"
    assert res.pairwise[pair].estimate < 0 and res.pairwise[pair].effect_size < -0.9
    # 5 runs x 60 test rows (20% of 300), paired across estimators.
    assert all(e.shape == (300,) for e in res.errors.values())
    medians = {name: ci.median for name, ci in res.median_errors.items()}
    assert medians["LinearRegression"] < medians["HuberRegressor"] < 1.0
    assert medians["DummyRegressor"] > 50
    # Summaries are consistent with the stored errors.
    ols = res.errors["LinearRegression"]
    assert res.median_errors["LinearRegression"] == median_confidence_interval(ols)
    runs = res.run_mean_errors["LinearRegression"]
    assert_allclose(runs, ols.reshape(5, 60).mean(axis=1))
    assert_allclose(res.mean_errors["LinearRegression"], runs.mean())
    assert_allclose(res.std_errors["LinearRegression"], runs.std(ddof=1))
    for (a, b), test in res.pairwise.items():
        assert test == paired_wilcoxon(res.errors[a], res.errors[b])
    raw = [t.pvalue for t in res.pairwise.values()]
    assert_allclose(list(res.pvalues_adjusted.values()), _adjust_pvalues(raw, "holm"))


def test_compare_renders(regression_result, monkeypatch):
    text = str(regression_result)
    assert repr(regression_result) == text
    assert "Best: LinearRegression; significantly better than: DummyRegressor" in text
    assert "LinearRegression vs DummyRegressor" in text and "***" in text
    html = regression_result._repr_html_()
    assert html.count("<table>") == 2 and "LinearRegression" in html


def test_compare_to_frame(regression_result, monkeypatch):
    pytest.importorskip("pandas")
    frame = regression_result.to_frame()
    assert list(frame.index) == list(regression_result.names)
    assert_allclose(
        frame["median"], [ci.median for ci in regression_result.median_errors.values()]
    )
    pairs = regression_result.to_frame("pairwise")
    assert len(pairs) == 3 and pairs["stars"].iloc[0] == "***"
    monkeypatch.setitem(sys.modules, "pandas", None)
    with pytest.raises(ImportError, match="requires pandas"):
        regression_result.to_frame()


def test_compare_plot(regression_result, monkeypatch):
    pytest.importorskip("matplotlib")
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    display = regression_result.plot()
    assert isinstance(display, ComparisonDisplay)
    ax = display.ax_
    assert display.figure_ is ax.figure
    line = ax.lines[0]
    medians = [ci.median for ci in regression_result.median_errors.values()]
    assert_allclose(line.get_xdata(), medians)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == list(regression_result.names)
    plt.close(ax.figure)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(ImportError, match="requires matplotlib"):
        regression_result.plot()


def test_compare_is_reproducible_and_runs_differ():
    X_test, y_test = X_REG[:50], Y_REG[:50]
    ests = [
        ("rf", RandomForestRegressor(n_estimators=5, random_state=0)),
        ("mean", DummyRegressor()),
    ]
    kwargs = dict(test_data=(X_test, y_test), n_runs=3)
    r1 = compare_estimators(ests, X_REG[50:], Y_REG[50:], random_state=1, **kwargs)
    r2 = compare_estimators(ests, X_REG[50:], Y_REG[50:], random_state=1, **kwargs)
    r3 = compare_estimators(ests, X_REG[50:], Y_REG[50:], random_state=2, **kwargs)
    assert_array_equal(r1.errors["rf"], r2.errors["rf"])
    assert not np.array_equal(r1.errors["rf"], r3.errors["rf"])
    # Same test rows every run: the forests differ only by their seeds,
    # even though the user fixed random_state=0 in the estimator.
    assert len(np.unique(r1.run_mean_errors["rf"])) == 3
    assert len(np.unique(r1.run_mean_errors["mean"])) == 1


def test_seed_params_reach_nested_estimators():
    bagging = BaggingRegressor(DecisionTreeRegressor())
    assert _seed_params(bagging, 7) == {"random_state": 7, "estimator__random_state": 7}
    pipe = Pipeline([("scale", StandardScaler()), ("sgd", SGDRegressor())])
    assert _seed_params(pipe, 3) == {"sgd__random_state": 3}
    assert _seed_params(LinearRegression(), 3) == {}


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_compare_seeds_nested_sgd_in_pipeline():
    pipe = Pipeline(
        [("scale", StandardScaler()), ("sgd", SGDRegressor(max_iter=5, tol=None))]
    )
    res = compare_estimators(
        {"sgd": pipe, "ols": LinearRegression()},
        X_REG[50:],
        Y_REG[50:],
        test_data=(X_REG[:50], Y_REG[:50]),
        n_runs=3,
        random_state=0,
    )
    assert len(np.unique(res.run_mean_errors["sgd"])) == 3
    assert len(np.unique(np.round(res.run_mean_errors["ols"], 12))) == 1


def test_compare_skorch_net_is_seeded_through_torch():
    torch = pytest.importorskip("torch")
    skorch = pytest.importorskip("skorch")
    X = X_REG[:, :3].astype(np.float32)
    y = Y_REG.reshape(-1, 1).astype(np.float32) / 100
    net = skorch.NeuralNetRegressor(
        torch.nn.Linear,
        module__in_features=3,
        module__out_features=1,
        max_epochs=2,
        lr=0.01,
        train_split=None,
        verbose=0,
    )
    ests = {"net": net, "mean": DummyRegressor()}
    kwargs = dict(test_data=(X[:50], y[:50]), n_runs=3)
    r1 = compare_estimators(ests, X[50:], y[50:], random_state=0, **kwargs)
    r2 = compare_estimators(ests, X[50:], y[50:], random_state=0, **kwargs)
    assert_array_equal(r1.errors["net"], r2.errors["net"])
    assert len(np.unique(r1.run_mean_errors["net"])) == 3


def test_compare_cv_options():
    X, y = X_REG[:60], Y_REG[:60]
    ests = {"ols": LinearRegression(), "mean": DummyRegressor()}
    res = compare_estimators(ests, X, y, cv=3, n_runs=2, random_state=0)
    assert res.errors["ols"].shape == (120,)  # every row tested once per run
    cv = ShuffleSplit(n_splits=2, test_size=10)  # random_state None: seeded per run
    r1 = compare_estimators(ests, X, y, cv=cv, n_runs=3, random_state=0)
    r2 = compare_estimators(ests, X, y, cv=cv, n_runs=3, random_state=0)
    assert r1.errors["mean"].shape == (60,)
    assert_array_equal(r1.errors["mean"], r2.errors["mean"])
    assert len(np.unique(r1.run_mean_errors["mean"])) == 3  # reshuffled per run
    assert cv.random_state is None  # the user's splitter is not modified


def test_per_sample_errors_by_hand():
    y_true = np.array([[0.0, 0.0, 0.0, 0.0], [1.0, 1.0, 1.0, 1.0]])
    y_pred = np.array([[3.0, 4.0, 1.0, 0.0], [1.0, 1.0, 1.0, 3.0]])
    assert_allclose(_per_sample_errors(y_true, y_pred, "absolute"), [np.sqrt(26), 2])
    assert_allclose(_per_sample_errors(y_true, y_pred, "squared"), [26, 4])
    grouped = ErrorSpec("absolute", [[0, 1], [2, 3]])
    groups = _per_sample_errors(y_true, y_pred, grouped)
    assert_allclose(groups, [5, 1, 0, 2])  # sample by sample, group by group
    squared = _per_sample_errors(y_true, y_pred, ErrorSpec("squared", [[0, 1], [2, 3]]))
    assert_allclose(squared, [25, 1, 0, 4])
    first = ErrorSpec(lambda t, p: np.abs(t - p)[:, 0], [[0, 1], [2, 3]])
    assert_allclose(_per_sample_errors(y_true, y_pred, first), [3, 1, 0, 0])
    assert_allclose(_per_sample_errors([1.0, -2.0], [0.5, 1.0], "absolute"), [0.5, 3])
    assert_allclose(_per_sample_errors([1.0, -2.0], [0.5, 1.0], "squared"), [0.25, 9])


def test_compare_multi_output_groups():
    X, Y = make_regression(
        n_samples=80, n_features=4, n_targets=4, noise=1.0, random_state=1
    )
    ests = {"ols": LinearRegression(), "mean": DummyRegressor()}
    res = compare_estimators(
        ests, X, Y, output_groups=[[0, 1], [2, 3]], n_runs=2, random_state=0
    )
    # cv=None: 5-fold, every row tested once per run; two groups per row
    assert res.errors["ols"].shape == (2 * 80 * 2,)
    assert res.best == "ols" and res.error == "absolute"
    assert res.output_groups == [[0, 1], [2, 3]]
    squared = compare_estimators(ests, X, Y, output_groups=[[0, 1], [2, 3]],
                                 error="squared", n_runs=2, random_state=0)
    assert_allclose(squared.errors["ols"], res.errors["ols"] ** 2)
    with pytest.raises(ValueError, match="output_groups"):
        compare_estimators(ests, X, Y, error=[[0, 1], [2, 3]])
    sq = compare_estimators(ests, X, Y, error="squared", n_runs=2, random_state=0)
    ab = compare_estimators(ests, X, Y, n_runs=2, random_state=0)
    assert_allclose(sq.errors["ols"], ab.errors["ols"] ** 2)


def test_compare_identical_estimators():
    res = compare_estimators(
        {"a": DummyRegressor(), "b": DummyRegressor()},
        X_REG,
        Y_REG,
        n_runs=2,
        random_state=0,
    )
    test = res.pairwise[("a", "b")]
    assert (test.pvalue, test.statistic, test.estimate) == (1.0, 0.0, 0.0)
    assert test.note and res.stars[("a", "b")] == ""
    assert res.best == "a" and res.significantly_better == ()


@pytest.mark.parametrize("correction, factor", [("bonferroni", 3), ("none", 1)])
def test_compare_corrections(correction, factor):
    ests = {
        "ols": LinearRegression(),
        "mean": DummyRegressor(),
        "median": DummyRegressor(strategy="median"),
    }
    res = compare_estimators(
        ests, X_REG, Y_REG, n_runs=2, random_state=0, correction=correction
    )
    raw = np.array([t.pvalue for t in res.pairwise.values()])
    assert_allclose(list(res.pvalues_adjusted.values()), np.minimum(1, factor * raw))


def test_compare_parallel_threads_equal_serial():
    joblib = pytest.importorskip("joblib")
    # A tree with feature subsampling: seeded, and its predict sums nothing
    # (a forest's threaded sum of trees may differ in the last bit).
    ests = {"tree": DecisionTreeRegressor(max_features=3), "mean": DummyRegressor()}
    serial = compare_estimators(ests, X_REG, Y_REG, n_runs=3, random_state=0)
    with joblib.parallel_config(backend="threading"):
        threaded = compare_estimators(
            ests, X_REG, Y_REG, n_runs=3, random_state=0, n_jobs=2
        )
    assert_array_equal(serial.errors["tree"], threaded.errors["tree"])
    assert len(np.unique(serial.run_mean_errors["tree"])) == 3


def test_compare_on_dask_cluster_equals_serial():
    distributed = pytest.importorskip("distributed")
    joblib = pytest.importorskip("joblib")
    # A tree with feature subsampling: seeded, and its predict sums nothing
    # (a forest's threaded sum of trees may differ in the last bit).
    ests = {"tree": DecisionTreeRegressor(max_features=3), "mean": DummyRegressor()}
    serial = compare_estimators(ests, X_REG, Y_REG, n_runs=3, random_state=0)
    with distributed.Client(
        processes=False, n_workers=2, threads_per_worker=1, dashboard_address=None
    ):
        with joblib.parallel_config(backend="dask"):
            remote = compare_estimators(ests, X_REG, Y_REG, n_runs=3, random_state=0)
    for name in ests:
        assert_array_equal(serial.errors[name], remote.errors[name])
    assert remote.pairwise == serial.pairwise


@pytest.mark.parametrize(
    "estimators, kwargs, match",
    [
        ({"ols": LinearRegression()}, {}, "estimators must contain at least two"),
        ([("a", LinearRegression()), ("a", DummyRegressor())], {}, "duplicate names"),
        ({"a": LinearRegression(), "b": "nope"}, {}, r"estimators\['b'\] has no fit"),
        (None, {"n_runs": 0}, "n_runs must be an integer >= 1"),
        (None, {"cv": 3, "test_data": (X_REG, Y_REG)}, "mutually exclusive"),
        (None, {"correction": "fdr"}, "correction must be one of"),
        (None, {"error": [[0, 5]]}, "error must be"),
        (None, {"confidence_level": 95}, "confidence_level must be in"),
        (None, {"test_data": (X_REG[:5], Y_REG[:4])}, "test_data.0. and test_data.1."),
    ],
)
def test_compare_bad_parameters(estimators, kwargs, match):
    estimators = estimators or {"ols": LinearRegression(), "mean": DummyRegressor()}
    with pytest.raises(ValueError, match=match):
        compare_estimators(estimators, X_REG, Y_REG, **kwargs)


def test_compare_bad_data():
    ests = {"ols": LinearRegression(), "mean": DummyRegressor()}
    with pytest.raises(ValueError, match="X and y must have the same length"):
        compare_estimators(ests, X_REG, Y_REG[:-1])
    y_nan = Y_REG.copy()
    y_nan[3] = np.nan
    with pytest.raises(ValueError, match="y contains NaN"):
        compare_estimators(ests, X_REG, y_nan)
    ests["bad"] = NaNRegressor()
    with pytest.raises(ValueError, match=r"estimators\['bad'\] gives NaN errors"):
        compare_estimators(ests, X_REG, Y_REG, n_runs=1)
