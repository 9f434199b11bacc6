"""Bad and edge inputs of GUMRegressor (issue 11).

Every bad input must raise the exact exception type with a message that
names the offending argument or the step of the fit; every edge input that
is accepted must give the right numbers. No input may end in a traceback
from numpy's or scipy's internals ("array must not contain infs or NaNs", a
raw ``LinAlgError``) or in a silently wrong fit (targets of 1e-200 whose
squares underflow, so that no outlier is found).
"""

import pickle
import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import BaseEstimator, RegressorMixin
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_gum import GUMRegressor
from sklearn_gum._mixture import gaussian_log_density
from sklearn_gum._weighted_fit import whitening_factor

# 60 samples, 3 features; the first 6 targets shifted by +10 (in the first
# output of Y2): the outliers every accepted edge input must still find.
RNG = np.random.RandomState(0)
X = RNG.normal(size=(60, 3))
NOISE = RNG.normal(scale=0.1, size=(60, 2))
Y = X @ [1.0, 2.0, -1.0] + NOISE[:, 0]
Y[:6] += 10
Y2 = np.column_stack([Y, X @ [0.5, -1.0, 2.0] + NOISE[:, 1]])
OUTLIERS = np.arange(60) < 6
REFERENCE = GUMRegressor().fit(X, Y)
REFERENCE2 = GUMRegressor().fit(X, Y2)


def _assert_raises(exc_type, match, func, *args, **kwargs):
    """``func`` raises exactly ``exc_type`` (not a subclass) matching ``match``
    (pytest also matches the notes added to the exception)."""
    with pytest.raises(exc_type, match=match) as info:
        func(*args, **kwargs)
    assert type(info.value) is exc_type, repr(info.value)


def _fit(X_fit=X, y_fit=Y, estimator=None, sample_weight=None, **params):
    gum = GUMRegressor(estimator, **params)
    return gum.fit(X_fit, y_fit, sample_weight=sample_weight)


# --------------------------------------------------------------------------
# Estimators for the tables
# --------------------------------------------------------------------------


class HugePredictions(LinearRegression):
    """Least squares whose predictions are 1e200 times too large."""

    def predict(self, X):
        return super().predict(X) * 1e200


class HugeAfterWeightedFit(LinearRegression):
    """Sane on the starting fit (equal weights); huge once the EM reweights."""

    def fit(self, X, y, sample_weight=None):
        self.reweighted_ = sample_weight is not None and np.ptp(sample_weight) > 0
        return super().fit(X, y, sample_weight=sample_weight)

    def predict(self, X):
        return super().predict(X) * (1e200 if self.reweighted_ else 1.0)


class NaNPredictions(LinearRegression):
    def predict(self, X):
        return np.full(len(X), np.nan)


class TextPredictions(LinearRegression):
    def predict(self, X):
        return np.full(len(X), "a")


class WidePredictions(LinearRegression):
    def predict(self, X):
        return np.column_stack([super().predict(X)] * 3)


class FitRaises(RegressorMixin, BaseEstimator):
    def fit(self, X, y, sample_weight=None):
        raise RuntimeError("boom in fit")

    def predict(self, X):
        return np.zeros(len(X))


class PredictRaises(RegressorMixin, BaseEstimator):
    def fit(self, X, y, sample_weight=None):
        return self

    def predict(self, X):
        raise RuntimeError("boom in predict")


class NoPredict(BaseEstimator):
    def fit(self, X, y):
        return self


# --------------------------------------------------------------------------
# Parameters: wrong type or value
# --------------------------------------------------------------------------

# (parameter, value); all refused by parameter validation, message naming it.
# Bools are refused too: ``True`` is an int, and was taken as 1.
INVALID_PARAMS = [
    ("threshold", 1.5), ("threshold", 0.0), ("threshold", "a"), ("threshold", np.nan),
    ("threshold", True), ("n_init", 0), ("n_init", 1.5), ("n_init", "2"),
    ("n_init", True), ("max_iter", 0), ("max_iter", 2.5), ("max_iter", np.inf),
    ("max_iter", True), ("max_iter", np.True_), ("tol", -1), ("tol", np.nan),
    ("tol", "a"), ("tol", True), ("reg_covar", -1e-6), ("reg_covar", np.inf),
    ("reg_covar", None), ("reg_covar", True), ("uniform", "foo"), ("uniform", 0.0),
    ("uniform", -1.0), ("uniform", np.nan), ("uniform", True),
    ("covariance_type", "tied"), ("covariance_type", "FULL"),
    ("covariance_type", None), ("outlier_granularity", "samples"),
    ("outlier_granularity", None), ("outlier_granularity", 0), ("init", "random"),
    ("init", 1), ("random_state", "a"), ("random_state", -1), ("random_state", 1.5),
    ("verbose", -1), ("verbose", "a"), ("verbose", 1.5),
    ("outlier_component", "never"), ("estimator", "lr"),
    ("estimator", NoPredict()),
    ("estimator", Pipeline([("scale", StandardScaler()), ("fit", "passthrough")])),
]


@pytest.mark.parametrize("name, value", INVALID_PARAMS)
def test_invalid_parameter_is_named(name, value):
    params = {name: value}
    estimator = params.pop("estimator", None)
    _assert_raises(InvalidParameterError, f"The '{name}' parameter of GUMRegressor",
                   _fit, estimator=estimator, **params)


# outlier_granularity for two outputs -> message
INVALID_GROUPS = [
    ([[0], [], [1]], "non-empty lists of integer column indices; got the group \\[\\]"),
    ([[0.7], [1]], "integer column indices; got the group \\[0.7\\]"),
    ([["a"], [1]], "integer column indices; got the group \\['a'\\]"),
    ([0, 1], "integer column indices; got the group 0"),
    ([[0, 0], [1]], r"must not repeat a column within a group; column\(s\) \[0\]"),
    ([[0], [0, 1]], r"must not overlap: column\(s\) \[0\]"),
    ([[0]], r"leaves target column\(s\) \[1\] out"),
    ([[0], [2]], r"column indices in \[0, 2\); got the group \[2\]"),
]


@pytest.mark.parametrize("groups, match", INVALID_GROUPS)
def test_invalid_groups_are_named(groups, match):
    _assert_raises(ValueError, "outlier_granularity .*" + match, _fit, y_fit=Y2,
                   outlier_granularity=groups)


@pytest.mark.parametrize("name", ["estimator", "init"])
def test_a_class_instead_of_an_instance(name):
    params = {name: LinearRegression}
    estimator = params.pop("estimator", None)
    _assert_raises(TypeError, f"{name} must be a regressor instance, not the class "
                   f"LinearRegression; pass {name}=LinearRegression\\(\\)",
                   _fit, estimator=estimator, **params)


# --------------------------------------------------------------------------
# Data: X, y and sample_weight
# --------------------------------------------------------------------------

RAGGED = [[1.0, 2.0, 3.0]] * 59 + [[1.0, 2.0]]

# (X, y, sample_weight, exception type, message)
INVALID_DATA = [
    # X
    (None, Y, None, ValueError, "X must be an array-like .* got None"),
    (3.0, Y, None, ValueError, r"Expected a 2D array for X, got a scalar \(3.0\)"),
    (X[:, 0], Y, None, ValueError, "got a 1D array instead. Reshape your data"),
    (RAGGED, Y, None, ValueError, r"X is a ragged nested sequence.*lengths \[2, 3\]"),
    (np.empty((0, 3)), np.empty(0), None, ValueError,
     r"0 sample\(s\) \(shape=\(0, 3\)\) while a minimum of 1 is required by "
     "GUMRegressor"),
    (np.empty((60, 0)), Y, None, ValueError,
     r"0 feature\(s\) \(shape=\(60, 0\)\) while a minimum of 1 is required by "
     "GUMRegressor"),
    (np.where(np.eye(60, 3, dtype=bool), np.nan, X), Y, None, ValueError,
     "Input X contains NaN"),
    (np.where(np.eye(60, 3, dtype=bool), np.inf, X), Y, None, ValueError,
     "Input X contains infinity"),
    (X + 1j, Y, None, ValueError, "Complex data not supported"),
    (np.full((60, 3), "a"), Y, None, ValueError,
     "(?s)strings.*Raised by LinearRegression.fit, called by GUMRegressor"),
    # y
    (X, None, None, ValueError, "requires y to be passed"),
    (X, np.full(60, "a"), None, ValueError, "y must hold real numbers; got strings"),
    (X, np.full(60, "1.5"), None, ValueError, "y must hold real numbers; got strings"),
    (X, np.full(60, b"1"), None, ValueError, "y must hold real numbers; got bytes"),
    (X, Y + 1j, None, ValueError, "Complex data not supported: y must hold real"),
    (X, Y.reshape(60, 1, 1), None, ValueError,
     r"y must be 1-D or 2-D.* got shape \(60, 1, 1\)"),
    (X, 3.0, None, ValueError, r"y must be 1-D or 2-D.* got shape \(\)"),
    (X, np.empty(0), None, ValueError,
     r"inconsistent numbers of samples: \[60, 0\] \(X has 60, y has 0\)"),
    (X, np.empty((60, 0)), None, ValueError, r"y has no output column \(shape \(60, 0"),
    (X, Y[:-1], None, ValueError, r"inconsistent numbers of samples: \[60, 59\]"),
    (X, np.r_[np.nan, Y[1:]], None, ValueError, "Input y contains NaN"),
    (X, np.r_[np.inf, Y[1:]], None, ValueError, "Input y contains infinity"),
    (X, np.r_[None, Y[1:]].astype(object), None, ValueError, "Input y contains NaN"),
    (X, np.array(["a", *Y[1:]], dtype=object), None, ValueError,
     "y could not be read as numbers: could not convert string to float"),
    (X, [[1.0, 2.0]] * 59 + [[1.0]], None, ValueError, "y could not be read as an"),
    # y whose squares overflow or underflow float64
    (X, Y * 1e200, None, ValueError,
     r"y holds values of magnitude up to 1.69e\+201: the EM squares .* overflows "
     r"float64 above 2.16e\+152 .* divide it by 1e202"),
    (X, np.r_[1e200, Y[1:]], None, ValueError, r"magnitude up to 1e\+200.*Rescale y"),
    (X, Y * 1e160, None, ValueError, r"magnitude up to 1.69e\+161.*overflows float64"),
    (X, np.r_[Y[:30] * 1e200, Y[30:] * 1e-200], None, ValueError,
     r"magnitude up to .*e\+201.*Rescale y"),
    (X, Y * 1e-200, None, ValueError,
     r"y holds values of magnitude at most 1.69e-199: their squares underflow "
     r"float64 .* multiply it by 1e199"),
    (X, np.column_stack([Y, Y2[:, 1] * 1e-200]), None, ValueError,
     "y column 1 holds values of magnitude at most 5.2e-200: their squares underflow"),
    (X, Y * 1e40, np.full(60, 1e240), ValueError,
     r"y holds values of magnitude up to 1.69e\+41.*above 2.16e\+32 \(for these "
     r"sample weights\)"),
    # sample_weight
    (X, Y, np.ones(59), ValueError, r"sample_weight.shape == \(59,\), expected \(60"),
    (X, Y, np.ones((60, 1)), ValueError, "Sample weights must be 1D array or scalar"),
    (X, Y, np.full(60, "a"), ValueError,
     "sample_weight must hold real, non-negative numbers; got dtype <U1"),
    (X, Y, "a", ValueError, "sample_weight must hold real, non-negative numbers"),
    (X, Y, np.ones(60) + 0j, ValueError,
     "sample_weight must hold real, non-negative numbers; got dtype complex128"),
    (X, Y, np.array(["a", *np.ones(59)], dtype=object), ValueError,
     "sample_weight must hold real, non-negative numbers: could not convert"),
    (X, Y, np.r_[np.nan, np.ones(59)], ValueError, "Input sample_weight contains NaN"),
    (X, Y, np.r_[np.inf, np.ones(59)], ValueError,
     "Input sample_weight contains infinity"),
    (X, Y, np.zeros(60), ValueError, "Sample weights must contain at least one non-"),
    (X, Y, np.r_[-1.0, np.ones(59)], ValueError,
     "Negative values in data passed to `sample_weight`"),
    (X, Y, np.full(60, 1e300), ValueError,
     r"sample_weight sums to 6e\+301: .* overflow float64 above 1e\+250. Divide "
     "sample_weight"),
]


@pytest.mark.parametrize("X_bad, y_bad, weights, exc_type, match", INVALID_DATA)
def test_invalid_data_is_named(X_bad, y_bad, weights, exc_type, match):
    _assert_raises(exc_type, match, _fit, X_bad, y_bad, sample_weight=weights)


# --------------------------------------------------------------------------
# The estimator and the init regressor
# --------------------------------------------------------------------------

_PIPE_KNN = make_pipeline(StandardScaler(), KNeighborsRegressor())

# (estimator, params, sample_weight, exception type, message)
INVALID_ESTIMATORS = [
    (HugePredictions(), {}, None, ValueError,
     r"The residuals of the estimator overflow: its predictions reach magnitude "
     r"1e\+201, .* above 2.16e\+152, while the targets stay within 16.9"),
    (None, {"init": HugePredictions()}, None, ValueError,
     "The residuals of the init estimator overflow"),
    (HugeAfterWeightedFit(), {}, None, ValueError,
     "The residuals of the refitted estimator overflow"),
    (NaNPredictions(), {}, None, ValueError, "the estimator's predictions contain NaN"),
    (None, {"init": NaNPredictions().fit(X, Y)}, None, ValueError,
     "the init estimator's predictions contain NaN"),
    (TextPredictions(), {}, None, ValueError,
     "the estimator's predictions must be numeric; got dtype <U1"),
    (WidePredictions(), {}, None, ValueError,
     r"the estimator's predictions have shape \(60, 3\); expected 60 rows of 1"),
    (FitRaises(), {}, None, RuntimeError,
     "(?s)boom in fit.*Raised by FitRaises.fit, called by GUMRegressor"),
    (PredictRaises(), {}, None, RuntimeError,
     r"(?s)boom in predict.*Raised by PredictRaises.predict \(the estimator\)"),
    (None, {"init": LinearRegression().fit(X[:, :2], Y)}, None, ValueError,
     r"(?s)X has 3 features, but LinearRegression is expecting 2.*"
     r"LinearRegression.predict \(the init estimator\)"),
    (KNeighborsRegressor(), {}, np.ones(60), TypeError,
     "KNeighborsRegressor does not accept sample_weight in fit"),
    (_PIPE_KNN, {}, np.ones(60), TypeError, "Pipeline does not accept sample_weight"),
]


@pytest.mark.parametrize("estimator, params, weights, exc_type, match",
                         INVALID_ESTIMATORS)
def test_invalid_estimator_is_named(estimator, params, weights, exc_type, match):
    _assert_raises(exc_type, match, _fit, estimator=estimator, sample_weight=weights,
                   **params)


def test_unknown_fit_parameter_names_the_estimator():
    _assert_raises(TypeError, "LinearRegression.fit.. got an unexpected keyword "
                   "argument 'bogus'", GUMRegressor().fit, X, Y, bogus=1)


# --------------------------------------------------------------------------
# Numbers at the edges of float64: the same fit, rescaled
# --------------------------------------------------------------------------


@pytest.mark.parametrize("scale", [1e150, 1e100, 1e-100, 1e-145])
@pytest.mark.parametrize("y_fit", [Y, Y2], ids=["1 output", "2 outputs"])
def test_targets_near_the_float_limits_give_the_rescaled_fit(scale, y_fit):
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        gum = _fit(y_fit=y_fit * scale)
    reference = REFERENCE if y_fit.ndim == 1 else REFERENCE2
    assert_array_equal(gum.inlier_mask_, reference.inlier_mask_)
    assert_allclose(gum.predict(X) / scale, reference.predict(X), rtol=1e-10,
                    atol=1e-12)
    assert_allclose(gum.covariance_ / scale**2, reference.covariance_, rtol=1e-8)


@pytest.mark.parametrize("scale", [1e300, 1e200, 1e-200])
def test_features_of_any_magnitude_give_the_rescaled_fit(scale):
    # Before, the normal-equation refits squared 1e200 into inf (an overflow
    # RuntimeWarning) before falling back to LinearRegression.fit.
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        gum = _fit(X * scale)
    assert_array_equal(gum.inlier_mask_, ~OUTLIERS)
    assert_allclose(gum.predict(X * scale), REFERENCE.predict(X), atol=1e-12)


def test_huge_weights_with_small_targets_are_frequency_weights():
    # 1e240 copies of each sample: the same fit as one copy, up to the
    # degrees-of-freedom correction of Sigma (about 4 / 60).
    gum = _fit(sample_weight=np.full(60, 1e240))
    assert_array_equal(gum.inlier_mask_, REFERENCE.inlier_mask_)
    assert_allclose(gum.predict(X), REFERENCE.predict(X), atol=1e-3)


# --------------------------------------------------------------------------
# float32 in, float32 out, as LinearRegression does
# --------------------------------------------------------------------------


@pytest.mark.parametrize("estimator", [LinearRegression(), Ridge(alpha=1e-6)],
                         ids=["LinearRegression", "Ridge"])
@pytest.mark.parametrize("y_fit", [Y, Y2], ids=["1 output", "2 outputs"])
@pytest.mark.parametrize("y_dtype", [np.float32, np.float64])
def test_float32_features_give_float32_predictions(estimator, y_fit, y_dtype):
    X32, y_typed = X.astype(np.float32), y_fit.astype(y_dtype)
    expected = type(estimator)().fit(X32, y_typed).predict(X32).dtype
    assert expected == np.float32  # what scikit-learn's linear models do
    gum = _fit(X32, y_typed, estimator=estimator)
    assert gum.predict(X32).dtype == expected
    assert gum.outlier_proba(X32, y_typed).dtype == expected
    assert_array_equal(gum.inlier_mask_, ~OUTLIERS)
    assert_allclose(gum.outlier_proba(X32, y_typed), gum.outlier_proba_, atol=1e-4)
    # float64 features still give float64, whatever the targets
    assert gum.predict(X).dtype == np.float64


# --------------------------------------------------------------------------
# Edge inputs with the right numbers
# --------------------------------------------------------------------------


def _exact_fit(gum, X_fit, y_fit):
    assert_allclose(gum.predict(X_fit), y_fit, atol=1e-10)
    assert_array_equal(gum.outlier_proba_, 0.0)
    assert not np.any(gum.has_outliers_)


_WIDE = RNG.normal(size=(5, 20))
_WIDE_Y = RNG.normal(size=5)

# (X, y, params, sample_weight): fits that interpolate the data exactly
EXACT_FITS = [
    (X[:1], Y[:1], {}, None),  # one sample
    (X[:1], Y[:1], {"init": "subsets", "random_state": 0}, None),
    (X[:1], Y2[:1], {}, None),
    (X[:2], Y[:2], {"n_init": 3, "random_state": 0}, None),
    (X[:4], Y[:4], {}, None),  # as many samples as parameters
    (_WIDE, _WIDE_Y, {}, None),  # fewer samples than features
    (_WIDE, _WIDE_Y, {"init": "subsets", "random_state": 0}, None),
    (np.ones((60, 3)), np.ones(60), {}, None),  # every sample identical
    (X, np.full(60, 5.0), {}, None),  # constant targets
    (X, np.zeros((60, 2)), {}, None),
    (X, X @ [1.0, 2.0, 3.0], {"reg_covar": 0.0}, None),
    (X[:, :1], 3 * X[:, 0] - 1, {}, None),  # a single feature
]


@pytest.mark.parametrize("X_fit, y_fit, params, weights", EXACT_FITS)
def test_exact_data_is_fitted_exactly(X_fit, y_fit, params, weights):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        gum = _fit(X_fit, y_fit, sample_weight=weights, **params)
    _exact_fit(gum, X_fit, y_fit)


# (name, X or y as the user passes it): the same fit as the plain arrays
SAME_FIT = [
    ("list X", lambda: (X.tolist(), Y, None)),
    ("list y", lambda: (X, Y.tolist(), None)),
    ("object y", lambda: (X, Y.astype(object), None)),
    ("object X", lambda: (X.astype(object), Y, None)),
    ("sparse X", lambda: (sp.csr_matrix(X), Y, None)),
    ("sparse array X", lambda: (sp.csr_array(X), Y, None)),
    ("list weights", lambda: (X, Y, [1.0] * 60)),
    ("bool weights", lambda: (X, Y, np.ones(60, dtype=bool))),
    ("object weights", lambda: (X, Y, np.ones(60, dtype=object))),
    ("column y", lambda: (X, Y[:, None], None)),
]


@pytest.mark.parametrize("name, inputs", SAME_FIT, ids=[name for name, _ in SAME_FIT])
def test_other_containers_give_the_same_fit(name, inputs):
    X_fit, y_fit, weights = inputs()
    gum = _fit(X_fit, y_fit, sample_weight=weights)
    prediction = np.ravel(gum.predict(X_fit))
    assert_allclose(prediction, REFERENCE.predict(X), rtol=1e-9, atol=1e-12)
    assert_array_equal(np.ravel(gum.inlier_mask_), ~OUTLIERS)


def test_sparse_features_with_an_estimator_that_takes_them():
    gum = _fit(sp.csr_matrix(X), estimator=Ridge(alpha=1e-6))
    assert_array_equal(gum.inlier_mask_, ~OUTLIERS)
    # the reference starts from subsets, Ridge from the plain fit: the EM
    # keeps the uniform volume of its own path (a monotone EM stops below
    # the moment rule's fixed point), so the fits agree to 1e-4
    assert_allclose(gum.predict(sp.csr_matrix(X)), REFERENCE.predict(X), atol=1e-4)


def test_a_pipeline_gets_the_weights_through_its_last_step():
    pipe = make_pipeline(StandardScaler(), LinearRegression())
    gum = _fit(estimator=pipe, sample_weight=np.ones(60), init="subsets", random_state=0)
    assert gum.weighting_ == "soft"
    assert_array_equal(gum.inlier_mask_, REFERENCE.inlier_mask_)
    # the reference's start, a bare LinearRegression, is studentized for the
    # decision (a Pipeline's is not): the same EM from another start
    assert_allclose(gum.predict(X), REFERENCE.predict(X), atol=1e-4)
    unweighted = _fit(estimator=pipe, init="subsets", random_state=0)
    assert_allclose(gum.predict(X), unweighted.predict(X), atol=1e-10)


# --------------------------------------------------------------------------
# predict and outlier_proba
# --------------------------------------------------------------------------


def _frame_reference():
    pd = pytest.importorskip("pandas")
    return pd, GUMRegressor().fit(pd.DataFrame(X, columns=list("abc")), Y)


# (method, X, y (None for predict), exception type, message)
INVALID_PREDICT = [
    ("predict", X[:, :2], None, ValueError,
     "X has 2 features, but GUMRegressor is expecting 3"),
    ("predict", np.c_[X, X], None, ValueError,
     "X has 6 features, but GUMRegressor is expecting 3"),
    ("predict", X[0], None, ValueError, "Reshape your data"),
    ("predict", np.empty((0, 3)), None, ValueError,
     r"0 sample\(s\) .* required by GUMRegressor"),
    ("predict", np.r_[X[:1] * np.nan, X[1:]], None, ValueError, "Input X contains NaN"),
    ("outlier_proba", X, np.r_[np.nan, Y[1:]], ValueError, "Input y contains NaN"),
    ("outlier_proba", X, Y[:-1], ValueError,
     r"inconsistent numbers of samples: \[60, 59\]"),
    ("outlier_proba", X, None, ValueError, "y is required, got None"),
    ("outlier_proba", X, np.full(60, "a"), ValueError, "y must hold real numbers"),
    ("outlier_proba", X[0], Y[:1], ValueError, "got a 1D array instead"),
    ("outlier_proba", X[:, :2], Y, ValueError, "X has 2 features"),
    ("outlier_proba", X, Y2, ValueError,
     r"y has 2 output\(s\); the model was fitted on 1"),
]


@pytest.mark.parametrize("method, X_bad, y_bad, exc_type, match", INVALID_PREDICT)
def test_invalid_prediction_input_is_named(method, X_bad, y_bad, exc_type, match):
    args = (X_bad,) if method == "predict" else (X_bad, y_bad)
    _assert_raises(exc_type, match, getattr(REFERENCE, method), *args)


def test_outlier_proba_refuses_a_one_column_y_for_two_outputs():
    _assert_raises(ValueError, r"y has 1 output\(s\); the model was fitted on 2",
                   REFERENCE2.outlier_proba, X, Y)


def test_outlier_proba_refuses_nan_predictions():
    gum = _fit()
    gum.estimator_ = NaNPredictions().fit(X, Y)
    _assert_raises(ValueError, r"NaNPredictions.predict returned NaN for 60 sample",
                   gum.outlier_proba, X, Y)


def test_predict_checks_feature_names():
    pd, gum = _frame_reference()
    _assert_raises(ValueError, "The feature names should match",
                   gum.predict, pd.DataFrame(X, columns=list("abd")))


@pytest.mark.parametrize("y_far", [1e300, -1e300, np.finfo(np.float64).max])
@pytest.mark.parametrize("params", [{}, {"covariance_type": "diag"},
                                    {"outlier_granularity": "output",
                                     "outlier_component": "always"}])
def test_outlier_proba_of_astronomical_residuals_is_one(y_far, params):
    # Before: an overflow RuntimeWarning, or scipy's "array must not contain
    # infs or NaNs" when y - f(x) itself overflowed (the float maximum against
    # a prediction of the other sign).
    gum = _fit(y_fit=Y2, **params) if params else REFERENCE2
    X_test, y_test = X[6:9].copy(), Y2[6:9].copy()
    X_test[0] *= 1e306  # predictions of magnitude 1e306 for the first row
    y_test[0] = -np.sign(gum.predict(X_test[:1])[0]) * y_far
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        proba = gum.outlier_proba(X_test, y_test)
    assert_allclose(np.atleast_2d(proba.T).T[0], 1.0)
    assert np.all(np.atleast_2d(proba.T).T[1:] < 0.5)


# --------------------------------------------------------------------------
# The fit's own numbers: covariances without a Cholesky factor
# --------------------------------------------------------------------------

BAD_COVARIANCES = [
    (np.array([[1.0, 1.0], [1.0, 1.0]]), "not positive definite.* Increase reg_covar"),
    (np.array([[np.inf, 0.0], [0.0, 1.0]]), "not finite: the squared residuals"),
    (np.array([[np.nan, 0.0], [0.0, 1.0]]), "not finite"),
]


@pytest.mark.parametrize("covariance, match", BAD_COVARIANCES)
def test_whitening_names_the_covariance(covariance, match):
    # before: a raw LinAlgError, or scipy's "array must not contain infs or NaNs"
    _assert_raises(ValueError, "The residual covariance that whitens the targets is "
                   + match, whitening_factor, covariance)


@pytest.mark.parametrize("covariance", [np.array([[np.inf]]), np.diag([1.0, np.nan])])
def test_mixture_density_names_a_non_finite_covariance(covariance):
    residuals = np.zeros((3, len(covariance)))
    _assert_raises(ValueError, "The residual covariance is not finite: the squared "
                   "residuals overflow float64. Rescale y", gaussian_log_density,
                   residuals, covariance)


def test_degenerate_outputs_without_regularisation_say_so():
    _assert_raises(ValueError, "not positive definite.*Increase reg_covar", _fit,
                   y_fit=np.column_stack([Y, 2 * Y]), reg_covar=0.0)


# --------------------------------------------------------------------------
# Inputs untouched, results reproducible
# --------------------------------------------------------------------------

# (estimator, params, y, sample_weight)
REPRODUCIBLE = [
    (None, {}, Y, np.arange(60) % 3 + 1.0),
    (LinearRegression(copy_X=False), {}, Y, None),
    (make_pipeline(StandardScaler(copy=False), LinearRegression(copy_X=False)), {},
     Y, None),
    (None, {}, Y2, None),
    (None, {"n_init": 3, "random_state": 0}, Y, None),
    (KNeighborsRegressor(), {}, Y, None),
]


@pytest.mark.parametrize("estimator, params, y_fit, weights", REPRODUCIBLE)
def test_inputs_unmodified_results_deterministic_and_pickled_exactly(
    estimator, params, y_fit, weights
):
    inputs = [X.copy(), y_fit.copy(), None if weights is None else weights.copy()]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        first = _fit(inputs[0], inputs[1], estimator, inputs[2], **params)
        second = _fit(inputs[0], inputs[1], estimator, inputs[2], **params)
    X_test = X.copy()
    assert_array_equal(first.predict(X_test), second.predict(X_test))
    assert_array_equal(first.outlier_proba_, second.outlier_proba_)
    assert_array_equal(first.covariance_, second.covariance_)
    loaded = pickle.loads(pickle.dumps(first))
    assert_array_equal(loaded.predict(X_test), first.predict(X_test))
    assert_array_equal(loaded.outlier_proba(X_test, y_fit),
                       first.outlier_proba(X_test, y_fit))
    # neither fit nor predict wrote into the caller's arrays
    for given, original in zip(inputs + [X_test], [X, y_fit, weights, X]):
        if original is not None:
            assert_array_equal(given, original)


def test_copy_x_false_gets_a_copy_and_the_same_fit():
    X_own = X.copy()
    gum = _fit(X_own, estimator=LinearRegression(copy_X=False))
    assert_array_equal(X_own, X)
    assert_allclose(gum.predict(X), REFERENCE.predict(X), atol=1e-10)
