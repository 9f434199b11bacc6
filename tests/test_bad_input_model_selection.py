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
from sklearn.metrics import mean_absolute_error
from sklearn.preprocessing import StandardScaler
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
# compare_estimators: arguments
# ---------------------------------------------------------------------------

SPLIT = (np.arange(30), np.arange(30, 40))


@pytest.mark.parametrize(
    "estimators, exc, match",
    [
        ({"ols": LinearRegression()}, ValueError, "at least two estimators, got 1"),
        ({}, ValueError, "estimators must contain at least two estimators, got 0"),
        (
            [("a", LinearRegression()), ("a", DummyRegressor())],
            ValueError,
            r"estimators has duplicate names: \['a', 'a'\]",
        ),
        (
            [LinearRegression(), DummyRegressor()],
            ValueError,
            r"estimators must map names \(str\) to estimators: a dict, or a list",
        ),
        (
            {1: LinearRegression(), 2: DummyRegressor()},
            ValueError,
            "estimators must map names .* got the name 1",
        ),
        (
            {"ols": LinearRegression, "mean": DummyRegressor()},
            ValueError,
            r"estimators\['ols'\] is the class LinearRegression, not an estimator",
        ),
        (
            {"scale": StandardScaler(), "mean": DummyRegressor()},
            ValueError,
            r"estimators\['scale'\] has no predict",
        ),
        (
            {"ols": LinearRegression(), "b": "nope"},
            ValueError,
            r"estimators\['b'\] has no fit/predict/get_params",
        ),
        ("ols", IPE, "'estimators' parameter of compare_estimators"),
        (None, IPE, "'estimators' parameter of compare_estimators"),
    ],
)
def test_compare_rejects_estimators(estimators, exc, match):
    raises_exactly(exc, match, compare_estimators, estimators, X, Y)


@pytest.mark.parametrize(
    "X_, y_, exc, match",
    [
        (None, Y, IPE, "'X' parameter of compare_estimators"),
        (X, None, IPE, "'y' parameter of compare_estimators"),
        (X, Y[:-1], ValueError, "X and y must have the same length, got 40 and 39"),
        (X, np.r_[Y[:-1], np.nan], ValueError, "y contains NaN"),
        (X, np.r_[Y[:-1], np.inf], ValueError, "y contains infinite values"),
        (X, np.array(["1.0"] * 40), ValueError, "y must hold real numbers"),
        (X, np.zeros((40, 2, 2)), ValueError, r"y must have shape \(n_samples,\)"),
        (X, np.zeros((40, 0)), ValueError, r"y must have shape .* n_outputs >= 1"),
        (X[:0], Y[:0], ValueError, "X and y must have at least 2 samples for a"),
        (X[:1], Y[:1], ValueError, "X and y must have at least 2 samples for a"),
    ],
)
def test_compare_rejects_data(X_, y_, exc, match):
    raises_exactly(exc, match, compare_estimators, ESTIMATORS, X_, y_)


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"cv": 1}, IPE, "'cv' parameter of compare_estimators"),
        ({"cv": "5"}, IPE, "'cv' parameter of compare_estimators"),
        ({"cv": 2.5}, IPE, "'cv' parameter of compare_estimators"),
        ({"cv": 41}, ValueError, "at least 41 samples for cv=41 folds, got 40"),
        ({"cv": []}, ValueError, r"cv must yield at least one \(train, test\) split"),
        ({"cv": [(np.arange(40), [])]}, ValueError, "cv yields a split without test"),
        ({"cv": [(np.arange(30), [35, 40])]}, ValueError, "cv yields indices outside"),
        ({"cv": 3, "test_data": (X, Y)}, ValueError, "mutually exclusive"),
        ({"n_runs": 0}, ValueError, "n_runs must be an integer >= 1, got 0"),
        ({"n_runs": -2}, ValueError, "n_runs must be an integer >= 1, got -2"),
        ({"n_runs": 2.0}, IPE, "'n_runs' parameter of compare_estimators"),
        ({"n_runs": "5"}, IPE, "'n_runs' parameter of compare_estimators"),
        ({"correction": "fdr"}, ValueError, "correction must be one of"),
        ({"correction": None}, IPE, "'correction' parameter of compare_estimators"),
        ({"confidence_level": 95}, ValueError, "confidence_level must be in"),
        ({"confidence_level": "high"}, IPE, "'confidence_level' parameter of comp"),
        ({"n_jobs": "2"}, IPE, "'n_jobs' parameter of compare_estimators"),
        ({"n_jobs": 1.5}, IPE, "'n_jobs' parameter of compare_estimators"),
        ({"n_jobs": 0}, ValueError, "n_jobs == 0"),  # joblib's message
        ({"random_state": "seed"}, IPE, "'random_state' parameter of compare_est"),
        ({"test_data": X}, IPE, "'test_data' parameter of compare_estimators"),
        ({"test_data": (X, Y, Y)}, ValueError, r"test_data must be a pair \(X_test"),
        (
            {"test_data": (X[:5], Y[:4])},
            ValueError,
            r"test_data\[0\] and test_data\[1\] must have the same length",
        ),
        (
            {"test_data": (X[:2], [1.0, np.nan])},
            ValueError,
            r"test_data\[1\] contains NaN",
        ),
        ({"test_data": (X[:0], Y[:0])}, ValueError, "test_data must not be empty"),
        (
            {"test_data": (X[:5, :3], Y[:5])},
            ValueError,
            r"test_data\[0\] has 3 features but X has 4",
        ),
        (
            {"test_data": (X[:5], np.zeros((5, 2)))},
            ValueError,
            r"test_data\[1\] has 2 output\(s\) but y has 1",
        ),
    ],
)
def test_compare_rejects_parameters(kwargs, exc, match):
    raises_exactly(exc, match, compare_estimators, ESTIMATORS, X, Y, **kwargs)


# ---------------------------------------------------------------------------
# compare_estimators: the error argument (issue 11)
# ---------------------------------------------------------------------------


def test_error_string_not_an_option_lists_the_options():
    # Before: int('a') failed inside the column-group parser.
    err = raises_exactly(
        IPE, "'error' parameter of compare_estimators must be a str among",
        compare_estimators, ESTIMATORS, X, Y, error="abs",
    )
    assert "'absolute'" in str(err) and "'squared'" in str(err)


@pytest.mark.parametrize(
    "error, exc, match",
    [
        (5, IPE, "'error' parameter of compare_estimators"),
        ([[0, 5]], ValueError, r"error must be 'absolute', .*\(integers in \[-1, 0\]\)"),
        ([], ValueError, "error must be 'absolute', 'squared', a callable"),
        ([[]], ValueError, "error must be 'absolute', 'squared', a callable"),
        ([["a"]], ValueError, "error must be 'absolute', 'squared', a callable"),
        ([[0.5]], ValueError, "error must be 'absolute', 'squared', a callable"),
        (
            lambda y, p: np.abs(y - p)[:-1],
            ValueError,
            r"error\(y_true, y_pred\) must return one number per test sample, "
            r"shape \(8,\), got shape \(7,\)",
        ),
        (
            mean_absolute_error,
            ValueError,
            r"error\(y_true, y_pred\) must return one number .* got shape \(\)",
        ),
        (
            lambda y, p: np.c_[y, p],
            ValueError,
            r"error\(y_true, y_pred\) must return one number .* got shape \(8, 2\)",
        ),
        (
            lambda y, p: np.full(len(y), np.nan),
            ValueError,
            r"error\(y_true, y_pred\) returned NaN or infinite values",
        ),
        (
            lambda y, p: np.full(len(y), "big"),
            ValueError,
            r"error\(y_true, y_pred\) must hold real numbers",
        ),
    ],
)
def test_compare_rejects_error(error, exc, match):
    raises_exactly(exc, match, compare_estimators, ESTIMATORS, X, Y, error=error)


def test_error_callable_with_column_output_is_accepted():
    def error(y_true, y_pred):
        return np.abs(y_true - y_pred).reshape(-1, 1)

    custom = compare_estimators(ESTIMATORS, X, Y, n_runs=2, random_state=0, error=error)
    plain = compare_estimators(ESTIMATORS, X, Y, n_runs=2, random_state=0)
    assert custom.error == "custom"
    assert_allclose(custom.errors["ols"], plain.errors["ols"], rtol=1e-12)


# ---------------------------------------------------------------------------
# compare_estimators: unusual but valid inputs give the same numbers
# ---------------------------------------------------------------------------


def reference():
    return compare_estimators(ESTIMATORS, X, Y, n_runs=2, random_state=0)


@pytest.mark.parametrize(
    "transform",
    [
        lambda e, X, y: (list(e.items()), X, y),  # list of pairs
        lambda e, X, y: (tuple(e.items()), X, y),  # tuple of pairs
        lambda e, X, y: (e, X, y.reshape(-1, 1)),  # y of shape (n, 1)
        lambda e, X, y: (e, X.tolist(), y.tolist()),  # nested lists
    ],
)
def test_compare_equivalent_inputs(transform):
    ref = reference()
    res = compare_estimators(*transform(ESTIMATORS, X, Y), n_runs=2, random_state=0)
    for name in ref.names:
        assert_allclose(res.errors[name], ref.errors[name], rtol=1e-12)


def test_compare_accepts_pandas():
    pd = pytest.importorskip("pandas")
    ref = reference()
    res = compare_estimators(
        ESTIMATORS, pd.DataFrame(X), pd.Series(Y), n_runs=2, random_state=0
    )
    assert_allclose(res.errors["ols"], ref.errors["ols"], rtol=1e-12)


def test_compare_cv_iterable_is_reused_in_every_run():
    # A generator of splits is read once; every run gets the same split.
    res = compare_estimators(
        ESTIMATORS, X, Y, cv=(s for s in [SPLIT]), n_runs=3, random_state=0
    )
    assert res.errors["mean"].shape == (30,)
    assert len(np.unique(res.run_mean_errors["mean"])) == 1


def test_compare_one_run_has_nan_std():
    res = compare_estimators(ESTIMATORS, X, Y, n_runs=1, random_state=0)
    assert np.isnan(res.std_errors["ols"]) and res.n_runs == 1


# ---------------------------------------------------------------------------
# ComparisonResult.to_frame and plot
# ---------------------------------------------------------------------------


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
