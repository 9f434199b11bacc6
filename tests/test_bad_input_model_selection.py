"""Bad and edge inputs to sklearn_gum.model_selection.

Every input gets either an exception of an exact type whose message names
the offending argument, or a result checked against numbers computed here
(scipy, brute force over the Walsh averages, or the public functions on
the errors that are left).

``InvalidParameterError`` (a ValueError and a TypeError) comes from the
``validate_params`` declarations; a plain ValueError from the checks of
values inside the functions.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.dummy import DummyRegressor
from sklearn.linear_model import LinearRegression
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_gum.model_selection import (
    compare_estimators,
    median_confidence_interval,
    paired_wilcoxon,
)
from sklearn_gum.model_selection._rank_tests import _walsh_ci_ranks

BIG = np.finfo(float).max
IPE = InvalidParameterError

RNG = np.random.default_rng(0)
X = RNG.standard_normal((40, 4))
Y = X @ np.array([1.0, -2.0, 0.5, 3.0]) + 0.1 * RNG.standard_normal(40)
ESTIMATORS = {"ols": LinearRegression(), "mean": DummyRegressor()}


def raises_exactly(exc_type, match, func, *args, **kwargs):
    """pytest.raises, and the exception is of exactly ``exc_type``."""
    with pytest.raises(exc_type, match=match) as info:
        func(*args, **kwargs)
    assert type(info.value) is exc_type, type(info.value)
    return info.value


def brute_walsh(d):
    """Sorted Walsh averages (d_i + d_j) / 2, i <= j."""
    i, j = np.triu_indices(d.size)
    return np.sort((d[i] + d[j]) / 2)


def safe_walsh(d):
    """Sorted Walsh averages d_i / 2 + d_j / 2: no overflow, same rounding."""
    i, j = np.triu_indices(d.size)
    return np.sort(d[i] / 2 + d[j] / 2)


# ---------------------------------------------------------------------------
# paired_wilcoxon: differences near the float maximum (issue 11)
# ---------------------------------------------------------------------------


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("n", [20, 400])
@pytest.mark.parametrize("low, high", [(0.5, 0.99), (-0.99, 0.99)])
def test_walsh_averages_near_float_max_do_not_overflow(n, low, high):
    # n=20: exact p-value; n=400: asymptotic, and 80,200 Walsh sums are
    # more than the selection enumerates at once (cuts are made).
    rng = np.random.default_rng(n)
    a = BIG * rng.uniform(low, high, n)
    b = np.zeros(n)
    res = paired_wilcoxon(a, b)
    walsh = safe_walsh(np.sort(a - b))
    m = walsh.size
    k_low, k_high, coverage = _walsh_ci_ranks(n, 0.95, "two-sided")
    median = walsh[(m - 1) // 2] / 2 + walsh[m // 2] / 2
    assert np.isfinite([res.estimate, res.low, res.high]).all()
    assert (res.estimate, res.low, res.high) == (
        median, walsh[k_low - 1], walsh[k_high - 1]
    )
    assert res.note == "" and res.coverage == coverage
    # paired_wilcoxon applies the continuity correction (see its Notes).
    ref = stats.wilcoxon(a, b, correction=True)
    assert_allclose(res.pvalue, ref.pvalue, rtol=1e-10)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_median_near_float_max_does_not_overflow():
    x = BIG * np.array([0.6, 0.9, 0.7, 0.95, 0.8, 1.0])
    ci = median_confidence_interval(x)
    assert ci.median == BIG * 0.8 / 2 + BIG * 0.9 / 2  # sorted x_(3), x_(4)
    assert (ci.low, ci.high) == (BIG * 0.6, BIG)


# ---------------------------------------------------------------------------
# median_confidence_interval
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "errors, level, exc, match",
    [
        ([1.0, np.nan, 2.0], 0.95, ValueError, "errors contains NaN"),
        ([1.0, -np.inf], 0.95, ValueError, "errors contains infinite"),
        ([], 0.95, ValueError, "errors must not be empty"),
        ([[1.0, 2.0]], 0.95, ValueError, "errors must be one-dimensional"),
        (["a", "b"], 0.95, ValueError, "errors must hold real numbers"),
        ([1 + 1j, 2.0], 0.95, ValueError, "errors must hold real numbers"),
        ([[1.0, 2.0], [3.0]], 0.95, ValueError, "errors must hold real numbers"),
        (5.0, 0.95, IPE, "'errors' parameter of median_confidence_interval"),
        (None, 0.95, IPE, "'errors' parameter of median_confidence_interval"),
        ("123", 0.95, IPE, "'errors' parameter of median_confidence_interval"),
        ([1.0, 2.0], 1.5, ValueError, r"confidence_level must be in \(0, 1\)"),
        ([1.0, 2.0], 0.0, ValueError, r"confidence_level must be in \(0, 1\)"),
        ([1.0, 2.0], 1, ValueError, r"confidence_level must be in \(0, 1\)"),
        ([1.0, 2.0], np.nan, ValueError, r"confidence_level must be in \(0, 1\)"),
        ([1.0, 2.0], "0.95", IPE, "'confidence_level' parameter of median_conf"),
        ([1.0, 2.0], None, IPE, "'confidence_level' parameter of median_conf"),
    ],
)
def test_median_ci_rejects(errors, level, exc, match):
    raises_exactly(exc, match, median_confidence_interval, errors, level)


@pytest.mark.parametrize(
    "errors, expected",
    [
        # n = 1: no finite interval reaches 95%.
        ([3.0], (3.0, -np.inf, np.inf, 1.0)),
        # n = 6, all equal: [x_(1), x_(6)] with coverage 1 - 2 / 2**6.
        ([2.0] * 6, (2.0, 2.0, 2.0, 1 - 2 / 64)),
        # Booleans and integers are numbers: 0/1 losses, counts.
        ([True, False, True, True, False, True], (1.0, 0.0, 1.0, 1 - 2 / 64)),
        (list(range(1, 21)), (10.5, 6.0, 15.0, 1 - 2 * 21700 / 2**20)),
    ],
)
def test_median_ci_edge_results(errors, expected):
    ci = median_confidence_interval(errors)
    assert_allclose([ci.median, ci.low, ci.high, ci.coverage], expected)
    if len(errors) > 5:
        x = np.asarray(errors, dtype=float)
        ref = stats.quantile_test(x, q=np.median(x)).confidence_interval(0.95)
        assert (ci.low, ci.high) == (ref.low, ref.high)


# ---------------------------------------------------------------------------
# paired_wilcoxon
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b, kwargs, exc, match",
    [
        ([1.0, 2.0], [1.0], {}, ValueError, "errors_a and errors_b must have the"),
        ([], [], {}, ValueError, "errors_a must not be empty"),
        ([1.0, 2.0], [np.inf, 2.0], {}, ValueError, "errors_b contains infinite"),
        ([[1.0], [2.0]], [1.0, 2.0], {}, ValueError, "errors_a must be one-dim"),
        (["x", "y"], [1.0, 2.0], {}, ValueError, "errors_a must hold real numbers"),
        ([BIG, BIG], [-BIG, -BIG], {}, ValueError, "errors_a - errors_b overflows"),
        (None, [1.0], {}, IPE, "'errors_a' parameter of paired_wilcoxon"),
        ([1.0], "1", {}, IPE, "'errors_b' parameter of paired_wilcoxon"),
        ([1.0], [2.0], {"alternative": "Less"}, ValueError, "alternative must be"),
        ([1.0], [2.0], {"alternative": None}, IPE, "'alternative' parameter"),
        ([1.0], [2.0], {"confidence_level": 2}, ValueError, "confidence_level must"),
        ([1.0], [2.0], {"confidence_level": "x"}, IPE, "'confidence_level' param"),
    ],
)
def test_paired_wilcoxon_rejects(a, b, kwargs, exc, match):
    raises_exactly(exc, match, paired_wilcoxon, a, b, **kwargs)


@pytest.mark.parametrize(
    "d, alternative",
    [
        ([1.0], "two-sided"),  # n = 1
        ([0.0, 0.0, 0.0, 0.0, 5.0], "two-sided"),  # one nonzero among zeros
        ([1, -1, 1, 1, -1, 1, 1, 1], "greater"),  # all |d| tied: permutation test
        ([3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7], "less"),  # integers
        (np.arange(1, 61) * (-1.0) ** np.arange(60), "two-sided"),  # n > 50
    ],
)
def test_paired_wilcoxon_edge_results_match_scipy(d, alternative):
    d = np.asarray(d, dtype=float)
    res = paired_wilcoxon(d, np.zeros_like(d), alternative=alternative)
    ref = stats.wilcoxon(d, alternative=alternative, correction=True)
    assert_allclose(res.pvalue, ref.pvalue, rtol=1e-12)
    if alternative == "two-sided":
        assert res.statistic == ref.statistic
    walsh = brute_walsh(np.sort(d))
    assert_allclose(res.estimate, np.median(walsh), rtol=1e-12)
    assert (res.n, res.n_zeros) == (d.size, np.sum(d == 0))


def test_paired_wilcoxon_all_zero_one_sided():
    e = np.arange(10.0)
    res = paired_wilcoxon(e, e, alternative="less")
    assert (res.pvalue, res.estimate, res.low, res.high) == (1.0, 0.0, -np.inf, 0.0)
    assert "all differences are zero" in res.note


def test_paired_wilcoxon_accepts_pandas():
    pd = pytest.importorskip("pandas")
    a, b = RNG.standard_normal(30), RNG.standard_normal(30)
    assert paired_wilcoxon(pd.Series(a), pd.Series(b)) == paired_wilcoxon(a, b)


# ---------------------------------------------------------------------------
# ComparisonResult.to_frame and plot
# ---------------------------------------------------------------------------


def reference():
    return compare_estimators(ESTIMATORS, X, Y, n_runs=2, random_state=0)



@pytest.mark.parametrize(
    "method, kwargs, match",
    [
        ("to_frame", {"kind": "pairs"}, "'kind' parameter of ComparisonResult.to_frame"),
        ("to_frame", {"kind": None}, "'kind' parameter of ComparisonResult.to_frame"),
        ("plot", {"ax": "axes"}, "'ax' parameter of ComparisonResult.plot"),
        ("plot", {"ax": object()}, "'ax' parameter of ComparisonResult.plot"),
    ],
)
def test_result_methods_reject(method, kwargs, match):
    raises_exactly(IPE, match, getattr(reference(), method), **kwargs)
