"""Bad and edge inputs of sklearn_gum.datasets.

Every bad input must raise the exact exception type with a message that
names the offending argument; every edge input that is accepted must give
the right numbers. No input may end in a traceback from numpy's internals or
in a silently wrong data set (e.g. samples marked as outliers whose values
equal the clean ones).
"""

import math
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_gum.datasets import (
    REGRESSION_KINDS,
    TARGET_KINDS,
    contaminate_targets,
    load_hbk,
    load_stackloss,
    load_stars_cyg,
    load_starsCYG,
    load_wood,
    make_contaminated_regression,
)

LOADERS = [load_hbk, load_stackloss, load_stars_cyg, load_wood]

# Four target columns; column 4 of Y_CONST is constant.
Y = np.random.RandomState(0).normal(size=(20, 4))
Y_CONST = np.c_[Y, np.ones(20)]


def _assert_raises(exc_type, match, func, *args, **kwargs):
    """``func`` raises exactly ``exc_type`` (not a subclass) matching ``match``."""
    with pytest.raises(exc_type, match=match) as info:
        func(*args, **kwargs)
    assert type(info.value) is exc_type, repr(info.value)


def _clean_and_contaminated(**params):
    """(X, y, mask, coef) without and with contamination, same seed."""
    params = {"random_state": 0, "return_outlier_mask": True, "coef": True, **params}
    clean = make_contaminated_regression(**{**params, "contamination": 0.0})
    return clean, make_contaminated_regression(**params)


# --------------------------------------------------------------------------
# make_contaminated_regression
# --------------------------------------------------------------------------

# params -> message; all rejected by parameter validation.
MAKE_INVALID = [
    ({"n_samples": 0}, "'n_samples' parameter"),
    ({"n_samples": -5}, "'n_samples' parameter"),
    ({"n_samples": 10.0}, "'n_samples' parameter"),
    ({"n_samples": "10"}, "'n_samples' parameter"),
    ({"n_samples": True}, "'n_samples' parameter.*Got True"),
    ({"n_features": 0}, "'n_features' parameter"),
    ({"n_features": True}, "'n_features' parameter.*Got True"),
    ({"n_targets": 0}, "'n_targets' parameter"),
    ({"n_targets": 2.5}, "'n_targets' parameter"),
    ({"contamination": 1.0}, "'contamination' parameter"),
    ({"contamination": -0.1}, "'contamination' parameter"),
    ({"contamination": math.nan}, "'contamination' parameter"),
    ({"contamination": "0.1"}, "'contamination' parameter"),
    ({"contamination": True}, "'contamination' parameter"),
    ({"kind": "cauchy"}, "'kind' parameter"),
    ({"kind": "Uniform"}, "'kind' parameter"),
    ({"kind": None}, "'kind' parameter"),
    ({"noise": -1.0}, "'noise' parameter"),
    ({"noise": math.nan}, "'noise' parameter"),
    ({"noise": math.inf}, "'noise' parameter"),
    ({"scale": 0.0}, "'scale' parameter"),
    ({"scale": -1.0}, "'scale' parameter"),
    ({"scale": math.nan}, "'scale' parameter"),
    ({"scale": math.inf}, "'scale' parameter"),
    ({"scale": [1.0, 2.0]}, "'scale' parameter"),
    ({"leverage_distance": 0.0}, "'leverage_distance' parameter"),
    ({"leverage_distance": math.nan}, "'leverage_distance' parameter"),
    ({"leverage_distance": math.inf}, "'leverage_distance' parameter"),
    ({"random_state": "seed"}, "'random_state' parameter"),
    ({"random_state": 1.5}, "'random_state' parameter"),
    ({"random_state": -1}, "'random_state' parameter"),
    ({"return_outlier_mask": "yes"}, "'return_outlier_mask' parameter"),
    ({"coef": 1}, "'coef' parameter"),
]


@pytest.mark.parametrize("params, match", MAKE_INVALID)
def test_make_rejects_invalid_parameter(params, match):
    _assert_raises(
        InvalidParameterError, match, make_contaminated_regression, **params
    )


@pytest.mark.parametrize("kind", REGRESSION_KINDS)
def test_make_single_contaminated_sample_has_no_spread(kind):
    # round(0.6 * 1) = 1 outlier, scaled by the spread of one clean target:
    # zero. The outlier would equal the clean sample (or, for "leverage", lie
    # on the model), so it is an error, not a mask over clean data.
    _assert_raises(
        ValueError,
        r"n_samples > 1 \(got 1\)",
        make_contaminated_regression,
        n_samples=1,
        contamination=0.6,
        kind=kind,
    )


def test_make_single_sample_with_explicit_scale():
    (X0, y0, mask0, coef0), (X, y, mask, coef) = _clean_and_contaminated(
        n_samples=1, contamination=0.6, kind="shift", scale=2.0
    )
    assert_array_equal(mask0, [False])
    assert_array_equal(mask, [True])
    assert_array_equal(X, X0)
    assert_array_equal(coef, coef0)
    assert_allclose(y - y0, [2.0])


@pytest.mark.parametrize(
    "n_samples, contamination, n_outliers",
    [
        (1, 0.4, 0),  # round(0.4) = 0: no outlier, so no spread is needed
        (1, 0.5, 0),  # Python rounds half to even: round(0.5) = 0
        (3, 0.5, 2),  # round(1.5) = 2
        (5, 0.5, 2),  # round(2.5) = 2
        (7, 0.0, 0),
    ],
)
def test_make_outlier_count_edges(n_samples, contamination, n_outliers):
    (_, y0, _, _), (_, y, mask, _) = _clean_and_contaminated(
        n_samples=n_samples, contamination=contamination
    )
    assert mask.sum() == n_outliers
    assert_array_equal(y[~mask], y0[~mask])
    assert np.all(y[mask] != y0[mask])


def test_make_numpy_integer_sizes():
    X, y = make_contaminated_regression(
        np.int64(5), np.int32(2), np.int64(1), random_state=0
    )
    assert X.shape == (5, 2) and y.shape == (5,)


def test_make_noise_free_clean_data_is_exactly_linear():
    X, y, mask, coef = make_contaminated_regression(
        n_samples=50, n_features=3, contamination=0.0, noise=0.0,
        random_state=0, return_outlier_mask=True, coef=True,
    )
    assert not mask.any()
    assert_allclose(y, X @ coef, rtol=0, atol=1e-12)


def test_make_leverage_with_one_feature():
    X, y, mask, coef = make_contaminated_regression(
        n_samples=200, n_features=1, kind="leverage", scale=20.0, noise=0.5,
        leverage_distance=10.0, random_state=0, return_outlier_mask=True,
        coef=True,
    )
    # One feature: the cluster sits at +10 or -10 with spread 0.5.
    assert mask.sum() == 40
    assert_allclose(np.abs(X[mask, 0].mean()), 10, atol=0.2)
    assert np.all(np.abs(np.abs(X[mask, 0]) - 10) < 4 * 0.5)
    assert_allclose((y - X @ coef)[mask].mean(), 20.0, atol=0.2)
