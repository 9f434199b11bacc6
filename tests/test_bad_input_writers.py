"""Regressors that write into the arrays GUM hands them (issue 19).

A third-party ``fit`` may overwrite its ``X``, ``y`` or ``sample_weight``
(``X *= 2``, ``y[:] = 0``): GUMRegressor must hand it copies, so that
neither the caller's arrays nor GUM's own copy of the targets and weights
change, and the fit is the one of a well-behaved regressor.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.linear_model import LinearRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_gum import GUMRegressor
from sklearn_gum._weighted_fit import keeps_inputs

RNG = np.random.RandomState(0)
X = RNG.normal(size=(80, 2))
Y = X @ [1.0, 2.0] + RNG.normal(scale=0.1, size=80)
Y[:16] += 10
WEIGHTS = np.arange(80) % 3 + 1.0


class Writer(RegressorMixin, BaseEstimator):
    """LinearRegression that then overwrites what it was given."""

    def __init__(self, writes=("X", "y", "sample_weight")):
        self.writes = writes

    def fit(self, X, y, sample_weight=None):
        self.model_ = LinearRegression().fit(X, y, sample_weight=sample_weight)
        if "sample_weight" in self.writes:
            sample_weight[:] = 1
        if "X" in self.writes:
            X *= 2
        if "y" in self.writes:
            y[:] = 0
        return self

    def predict(self, X):
        prediction = self.model_.predict(X)
        if "X in predict" in self.writes:
            X *= 2
        return prediction


def _double_in_place(X):
    X *= 2
    return X / 2


@pytest.mark.parametrize("writes", [
    ("X",), ("y",), ("sample_weight",), ("X", "y", "sample_weight"), ("X in predict",),
])
@pytest.mark.parametrize("init", [None, Writer()])
def test_a_regressor_that_writes_its_inputs_changes_nothing(writes, init):
    X_own, y_own, w_own = X.copy(), Y.copy(), WEIGHTS.copy()
    reference = GUMRegressor(Writer(writes=()), init=init, random_state=0).fit(
        X, Y, sample_weight=WEIGHTS)
    gum = GUMRegressor(Writer(writes), init=init, random_state=0).fit(
        X_own, y_own, sample_weight=w_own)
    assert_array_equal(X_own, X)
    assert_array_equal(y_own, Y)
    assert_array_equal(w_own, WEIGHTS)
    assert_array_equal(gum.inlier_mask_, reference.inlier_mask_)
    assert_array_equal(gum.inlier_mask_, np.arange(80) >= 16)
    assert_allclose(gum.outlier_proba_, reference.outlier_proba_, atol=1e-8)
    assert_allclose(gum.covariance_, reference.covariance_, rtol=1e-8)


@pytest.mark.parametrize("estimator, expected", [
    (LinearRegression(), True),
    (make_pipeline(FunctionTransformer(np.log1p), LinearRegression()), True),
    (LinearRegression(copy_X=False), False),
    (Writer(), False),
    (make_pipeline(FunctionTransformer(_double_in_place), LinearRegression()), False),
    (make_pipeline(FunctionTransformer(), Writer()), False),
])
def test_only_estimators_that_may_write_get_copies(estimator, expected):
    assert keeps_inputs(estimator) is expected
