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
from sklearn.model_selection import ShuffleSplit
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.dummy import DummyRegressor
from sklearn.exceptions import FitFailedWarning
from sklearn.linear_model import LinearRegression
from sklearn.metrics import mean_absolute_error
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_gum.model_selection import (
    compare_estimators,
    median_confidence_interval,
    paired_wilcoxon,
)
from sklearn_gum.model_selection._compare import _adjust_pvalues
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


def run_seeds(random_state, n_runs):
    """The documented seeds: run r's seed is the r-th draw of random_state."""
    rng = np.random.RandomState(random_state)
    return [int(s) for s in rng.randint(np.iinfo(np.int32).max, size=n_runs)]


class FlakyRegressor(RegressorMixin, BaseEstimator):
    """Least squares that raises in fit when seeded with one of ``fail_seeds``."""

    def __init__(self, fail_seeds=(), random_state=None, exc=None):
        self.fail_seeds = fail_seeds
        self.random_state = random_state
        self.exc = exc

    def fit(self, X, y):
        if self.fail_seeds == "all" or self.random_state in self.fail_seeds:
            raise self.exc if self.exc is not None else RuntimeError("boom")
        self.coef_ = np.linalg.lstsq(X, y, rcond=None)[0]
        return self

    def predict(self, X):
        return X @ self.coef_


class ConstantRegressor(RegressorMixin, BaseEstimator):
    """Predicts ``value`` with shape ``shape`` (default: one per row)."""

    def __init__(self, value=0.0, shape=None):
        self.value = value
        self.shape = shape

    def fit(self, X, y):
        return self

    def predict(self, X):
        return np.full(self.shape or len(X), self.value)


class NeedsRows(RegressorMixin, BaseEstimator):
    """Predicts the training mean; raises in fit on fewer than ``min_rows`` rows."""

    def __init__(self, min_rows=0):
        self.min_rows = min_rows

    def fit(self, X, y):
        if len(X) < self.min_rows:
            raise ValueError(f"{len(X)} rows, {self.min_rows} needed")
        self.mean_ = np.mean(y)
        return self

    def predict(self, X):
        return np.full(len(X), self.mean_)


class TwoArgError(Exception):
    def __init__(self, code, reason):
        super().__init__(code, reason)


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
        (X[:0], Y[:0], ValueError, r"X and y must have at least 5 samples for "
         r"cv=None \(5 folds\)"),
        (X[:4], Y[:4], ValueError, r"X and y must have at least 5 samples for "
         r"cv=None \(5 folds\), got 4"),
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
        ({"error_score": "ignore"}, IPE, "'error_score' parameter of compare_est"),
        ({"error_score": np.inf}, ValueError, "error_score must be 'raise', NaN or"),
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
        ([[0, 5]], ValueError, r"error must be .* pass column groups as output_groups"),
        ([], ValueError, "error must be 'absolute', 'squared' or a callable"),
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


@pytest.mark.parametrize("groups", [[[0, 5]], [], [[]], [["a"]], [[0.5]]])
def test_compare_rejects_output_groups(groups):
    raises_exactly(
        ValueError, r"output_groups must be a non-empty list of non-empty column "
        r"groups of y \(integers in \[-1, 0\]\)",
        compare_estimators, ESTIMATORS, X, Y, output_groups=groups,
    )


@pytest.mark.parametrize("error_score", ["raise", np.nan])
def test_faulty_error_callable_raises_whatever_error_score(error_score):
    # A faulty error callable is not a failing estimator: it always raises.
    raises_exactly(
        ValueError, r"error\(y_true, y_pred\) must return",
        compare_estimators, ESTIMATORS, X, Y,
        error=lambda y, p: np.zeros(3), error_score=error_score,
    )


def test_error_callable_with_column_output_is_accepted():
    def error(y_true, y_pred):
        return np.abs(y_true - y_pred).reshape(-1, 1)

    custom = compare_estimators(ESTIMATORS, X, Y, n_runs=2, random_state=0, error=error)
    plain = compare_estimators(ESTIMATORS, X, Y, n_runs=2, random_state=0)
    assert custom.error == "custom"
    assert_allclose(custom.errors["ols"], plain.errors["ols"], rtol=1e-12)


# ---------------------------------------------------------------------------
# compare_estimators: estimators that fail or predict nonsense
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "estimator, X_, match",
    [
        (ConstantRegressor(np.nan), X, r"estimators\['bad'\] gives NaN errors in"),
        (
            ConstantRegressor(np.inf),
            X,
            r"estimators\['bad'\] gives infinite errors in run 0: its predictions",
        ),
        (
            ConstantRegressor(1e200),
            X,
            r"estimators\['bad'\] gives infinite errors in run 0: its residuals",
        ),
        (
            ConstantRegressor(0.0, shape=3),
            X,
            r"estimators\['bad'\] predicts the wrong shape in run 0: \(3,\) for test",
        ),
        (
            LinearRegression(),
            X[:, 0],
            r"estimators\['bad'\] failed in run 0: ValueError: Expected 2D array",
        ),
    ],
)
def test_compare_names_the_estimator_that_fails(estimator, X_, match):
    estimators = {"mean": DummyRegressor(), "bad": estimator}
    raises_exactly(
        ValueError, match, compare_estimators, estimators, X_, Y,
        n_runs=1, cv=ONE_SPLIT, error="squared",
    )


# ---------------------------------------------------------------------------
# compare_estimators: error_score (issue 11)
# ---------------------------------------------------------------------------

SEEDS = run_seeds(0, 3)
# The 80/20 split per run these tests count on (cv=None is 5-fold).
ONE_SPLIT = ShuffleSplit(n_splits=1, test_size=0.2)


def flaky_estimators(fail_seeds, **kwargs):
    return {
        "ols": LinearRegression(),
        "mean": DummyRegressor(),
        "boom": FlakyRegressor(fail_seeds=fail_seeds, **kwargs),
    }


def test_failing_fit_raises_naming_estimator_and_run():
    # Before: the bare "RuntimeError: boom", without estimator or run.
    err = raises_exactly(
        RuntimeError, r"^estimators\['boom'\] failed in run 1: RuntimeError: boom$",
        compare_estimators, flaky_estimators([SEEDS[1]]), X, Y,
        n_runs=3, cv=ONE_SPLIT, random_state=0,
    )
    assert type(err.__cause__) is RuntimeError and str(err.__cause__) == "boom"


@pytest.mark.parametrize(
    "original, raised",
    [
        (ValueError("bad X"), ValueError),  # the type is kept where possible
        (KeyError("col"), RuntimeError),  # str(KeyError) would quote the message
        (TwoArgError(3, "disk"), RuntimeError),  # cannot be made from a message
        (IPE("The 'alpha' parameter of Ridge must be"), ValueError),
    ],
)
def test_failing_fit_reraised_type(original, raised):
    err = raises_exactly(
        raised, r"estimators\['boom'\] failed in run 0, fold 0: ",
        compare_estimators, flaky_estimators("all", exc=original), X, Y,
        cv=[SPLIT, SPLIT], n_runs=1,
    )
    # clone copies the exception parameter: the cause is an equal copy.
    assert type(err.__cause__) is type(original) and err.__cause__.args == original.args
    # The original message, unchanged (validate_params renames no estimator).
    assert str(err).endswith(f"{type(original).__name__}: {original}")


def test_error_score_nan_leaves_failed_run_out_and_keeps_the_rest():
    with pytest.warns(FitFailedWarning) as record:
        res = compare_estimators(
            flaky_estimators([SEEDS[1]]), X, Y,
            n_runs=3, cv=ONE_SPLIT, random_state=0, error_score=np.nan,
        )
    # One warning, naming estimator, run and original error, at the caller.
    [warning] = [w for w in record if w.category is FitFailedWarning]
    assert str(warning.message).startswith(
        "estimators['boom'] failed in run 1: RuntimeError: boom. "
        "Its test errors there are set to error_score=nan."
    )
    assert warning.filename == __file__
    assert res.failed_runs == {"ols": (), "mean": (), "boom": (1,)}
    # 3 runs x 8 test rows; run 1 of boom is NaN, the rest are real errors.
    boom, ols, mean = res.errors["boom"], res.errors["ols"], res.errors["mean"]
    runs = np.repeat([0, 1, 2], 8)
    assert np.isnan(boom[runs == 1]).all() and np.isfinite(boom[runs != 1]).all()
    assert res.pairwise[("ols", "mean")] == paired_wilcoxon(ols, mean)
    kept = paired_wilcoxon(ols[runs != 1], boom[runs != 1])
    test = res.pairwise[("ols", "boom")]
    assert test.pvalue == kept.pvalue and test.estimate == kept.estimate
    assert test.n == 16 and test.note == "8 of 24 pairs left out (failed fits)"
    assert res.median_errors["boom"] == median_confidence_interval(boom[runs != 1])
    assert np.isnan(res.run_mean_errors["boom"][1])
    assert_allclose(res.mean_errors["boom"], boom[runs != 1].mean())
    raw = [t.pvalue for t in res.pairwise.values()]
    assert_allclose(list(res.pvalues_adjusted.values()), _adjust_pvalues(raw, "holm"))
    assert res.best == "ols" and "mean" in res.significantly_better
    assert "Failed fits: boom in run 1" in str(res)
    assert "Failed fits: boom in run 1" in res._repr_html_()


def test_error_score_nan_estimator_failing_every_run_is_untested():
    with pytest.warns(FitFailedWarning):
        res = compare_estimators(
            flaky_estimators("all"), X, Y, n_runs=2, cv=ONE_SPLIT, random_state=0,
            error_score=np.nan,
        )
    assert res.failed_runs["boom"] == (0, 1)
    for pair in [("ols", "boom"), ("mean", "boom")]:
        test = res.pairwise[pair]
        assert np.isnan([test.pvalue, test.estimate, test.low, test.high]).all()
        assert test.n == 0
        assert test.note == "no test: 16 of 16 pairs left out (failed fits)"
        assert np.isnan(res.pvalues_adjusted[pair]) and res.stars[pair] == ""
    # The one test left is a family of one: Holm leaves its p-value alone.
    complete = res.pairwise[("ols", "mean")]
    assert complete == paired_wilcoxon(res.errors["ols"], res.errors["mean"])
    assert res.pvalues_adjusted[("ols", "mean")] == complete.pvalue
    assert res.median_errors["boom"].n == 0 and np.isnan(res.mean_errors["boom"])
    assert res.best == "ols" and res.significantly_better == ("mean",)
    frame = pytest.importorskip("pandas") and res.to_frame("pairwise")
    assert frame["pvalue"].isna().sum() == 2


def test_error_score_number_counts_as_the_error():
    with pytest.warns(FitFailedWarning, match=r"set to error_score=1000\.0"):
        res = compare_estimators(
            flaky_estimators([SEEDS[0]]), X, Y, n_runs=2, cv=ONE_SPLIT, random_state=0,
            error_score=1000.0,
        )
    boom = res.errors["boom"]
    assert_array_equal(boom[:8], 1000.0) and res.failed_runs["boom"] == (0,)
    test = res.pairwise[("ols", "boom")]
    assert test == paired_wilcoxon(res.errors["ols"], boom)
    assert res.run_mean_errors["boom"][0] == 1000.0


def test_error_score_failing_fold_only():
    # Fold 0 trains on 30 rows, fold 1 on 35: only fold 0 fails.
    cv = [SPLIT, (np.arange(5, 40), np.arange(5))]
    estimators = {"ols": LinearRegression(), "picky": NeedsRows(32)}
    with pytest.warns(FitFailedWarning) as record:
        res = compare_estimators(estimators, X, Y, cv=cv, error_score=np.nan)
    messages = [str(w.message) for w in record]
    assert len(messages) == 5  # one per run
    assert messages[0].startswith(
        "estimators['picky'] failed in run 0, fold 0: ValueError: 30 rows"
    )
    picky = res.errors["picky"].reshape(5, 15)
    assert np.isnan(picky[:, :10]).all() and np.isfinite(picky[:, 10:]).all()
    assert res.failed_runs["picky"] == (0, 1, 2, 3, 4)
    test = res.pairwise[("ols", "picky")]
    assert test.n == 25 and test.note == "50 of 75 pairs left out (failed fits)"
    # A run with a failed fold has no run mean.
    assert np.isnan(res.run_mean_errors["picky"]).all()
    assert np.isnan(res.mean_errors["picky"])


def test_all_fits_failing_raises():
    estimators = {"a": FlakyRegressor("all"), "b": ConstantRegressor(np.nan)}
    raises_exactly(
        ValueError, r"All 4 fits failed, nothing to compare. The first failure: "
        r"estimators\['a'\] failed in run 0: RuntimeError: boom",
        compare_estimators, estimators, X, Y, n_runs=2, cv=ONE_SPLIT, error_score=np.nan,
    )


def test_error_score_threads_equal_serial():
    joblib = pytest.importorskip("joblib")
    kwargs = dict(n_runs=3, cv=ONE_SPLIT, random_state=0, error_score=np.nan)
    with pytest.warns(FitFailedWarning):
        serial = compare_estimators(flaky_estimators([SEEDS[2]]), X, Y, **kwargs)
    with joblib.parallel_config(backend="threading"):
        with pytest.warns(FitFailedWarning):
            threaded = compare_estimators(
                flaky_estimators([SEEDS[2]]), X, Y, n_jobs=2, **kwargs
            )
    assert_array_equal(serial.errors["boom"], threaded.errors["boom"])
    assert serial.pairwise == threaded.pairwise


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
    # the frame's values reach the solver in another memory order: the
    # last digits of the least-squares fit differ (1.4e-12 relative seen)
    assert_allclose(res.errors["ols"], ref.errors["ols"], rtol=1e-10)


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
        ("to_frame", {"kind": "pairs"}, "'kind' parameter of ComparisonResult.to_fr"),
        ("to_frame", {"kind": None}, "'kind' parameter of ComparisonResult.to_frame"),
        ("plot", {"ax": "axes"}, "'ax' parameter of ComparisonDisplay.plot"),
        ("plot", {"ax": object()}, "'ax' parameter of ComparisonDisplay.plot"),
    ],
)
def test_result_methods_reject(method, kwargs, match):
    raises_exactly(IPE, match, getattr(reference(), method), **kwargs)
