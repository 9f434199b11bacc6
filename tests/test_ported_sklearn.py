"""scikit-learn's tests of its robust regressors, ported to GUMRegressor.

``sklearn/linear_model/tests/test_ransac.py`` and ``test_huber.py`` (as of
scikit-learn 1.9), each test kept where its property applies to any robust
regressor, with the same data and assertions (GUM's attribute names:
``inlier_mask_``, ``outlier_proba_``); a property of RANSAC's or Huber's own
machinery is listed and skipped with its reason.
"""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_almost_equal, assert_array_equal
from sklearn.datasets import make_regression
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, OrthogonalMatchingPursuit, Ridge
from sklearn.utils import check_random_state

from _ransac_line import ransac_line
from sklearn_gum import GUMRegressor

SPARSE = [sp.coo_matrix, sp.csr_matrix, sp.csc_matrix, sp.coo_array, sp.csr_array,
          sp.csc_array]

# test_ransac.py's line with faulty data: 200 draws of rows shifted by
# 50-60 in both X and y.
X, y, outliers = ransac_line()
REF_INLIER_MASK = np.ones(len(X), dtype=bool)
REF_INLIER_MASK[outliers] = False


def make_regression_with_outliers(n_samples=50, n_features=20):
    """test_huber.py's data: 10% of the rows of X replaced by noise."""
    rng = np.random.RandomState(0)
    X, y = make_regression(
        n_samples=n_samples, n_features=n_features, random_state=0, noise=0.05
    )
    num_noise = int(0.1 * n_samples)
    random_samples = rng.randint(0, n_samples, num_noise)
    X[random_samples, :] = 2.0 * rng.normal(0, 1, (num_noise, X.shape[1]))
    return X, y, np.unique(random_samples)


def _not_ported(reason):
    return pytest.mark.skip(reason=f"not ported: {reason}")


# -- test_ransac.py ------------------------------------------------------------


def test_ransac_inliers_outliers():
    gum = GUMRegressor(LinearRegression(), random_state=0).fit(X, y)
    assert_array_equal(gum.inlier_mask_, REF_INLIER_MASK)


@_not_ported("RANSAC's is_data_valid hook on minimal samples; GUM has no such hook")
def test_ransac_is_data_valid():
    pass


@_not_ported("RANSAC's is_model_valid hook; GUM has no such hook")
def test_ransac_is_model_valid():
    pass


@_not_ported("RANSAC's max_trials and n_trials_ (random consensus trials)")
def test_ransac_max_trials():
    pass


@_not_ported("RANSAC's stop_n_inliers early stop of its trials")
def test_ransac_stop_n_inliers():
    pass


@_not_ported("RANSAC's stop_score early stop of its trials")
def test_ransac_stop_score():
    pass


def _two_outliers_on_a_flat_line():
    X = np.arange(100)[:, None]
    y = np.zeros((100,))
    y[0] = 1
    y[1] = 100
    return X, y


def test_ransac_score():
    # R^2 of constant targets is 1 only for exact predictions (RANSAC's
    # unweighted refit on the inliers); GUM's weighted solve leaves ~4e-12,
    # so its score is checked through the squared error.
    X, y = _two_outliers_on_a_flat_line()
    gum = GUMRegressor(LinearRegression(), random_state=0).fit(X, y)
    assert np.mean((gum.predict(X[2:]) - y[2:]) ** 2) < 1e-20
    assert gum.score(X[:2], y[:2]) < 1


def test_ransac_predict():
    X, y = _two_outliers_on_a_flat_line()
    gum = GUMRegressor(LinearRegression(), random_state=0).fit(X, y)
    assert_allclose(gum.predict(X), np.zeros(100), atol=1e-10)
    assert_array_equal(gum.inlier_mask_, np.arange(100) >= 2)


@_not_ported("RANSAC's is_data_valid, max_skips and n_skips_* attributes")
def test_ransac_no_valid_data():
    pass


@_not_ported("RANSAC's is_model_valid, max_skips and n_skips_* attributes")
def test_ransac_no_valid_model():
    pass


@_not_ported("RANSAC's max_skips")
def test_ransac_exceed_max_skips():
    pass


@_not_ported("RANSAC's max_skips warning")
def test_ransac_warn_exceed_max_skips():
    pass


@pytest.mark.parametrize("sparse_container", SPARSE)
def test_ransac_sparse(sparse_container):
    gum = GUMRegressor(LinearRegression(), random_state=0)
    gum.fit(sparse_container(X), y)
    assert_array_equal(gum.inlier_mask_, REF_INLIER_MASK)


def test_ransac_none_estimator():
    gum = GUMRegressor(LinearRegression(), random_state=0).fit(X, y)
    gum_none = GUMRegressor(None, random_state=0).fit(X, y)
    assert_array_almost_equal(gum.predict(X), gum_none.predict(X))


@_not_ported("RANSAC's min_samples (size of its random subsets)")
def test_ransac_min_n_samples():
    pass


@pytest.mark.parametrize("covariance_type", ["diag", "spherical"])
def test_ransac_multi_dimensional_targets(covariance_type):
    # (three identical columns with covariance_type="full": issue 19, in the core)
    yyy = np.column_stack([y, y, y])
    gum = GUMRegressor(LinearRegression(), covariance_type=covariance_type,
                       random_state=0).fit(X, yyy)
    assert_array_equal(gum.inlier_mask_, REF_INLIER_MASK)


@_not_ported("RANSAC's loss parameter; GUM's residual model is its mixture")
def test_ransac_residual_loss():
    pass


def test_ransac_default_residual_threshold():
    # GUM's threshold comes from the fitted mixture, with no residual_threshold
    gum = GUMRegressor(random_state=0).fit(X, y)
    assert_array_equal(gum.inlier_mask_, REF_INLIER_MASK)


@_not_ported("_dynamic_max_trials, RANSAC's number of trials")
def test_ransac_dynamic_max_trials():
    pass


def test_ransac_fit_sample_weight():
    # the subset start for both fits: init="auto" counts rows, and the
    # repeated rows are five times as many as the weighted ones
    gum = GUMRegressor(init="subsets", random_state=0)
    n_samples = y.shape[0]
    weights = np.ones(n_samples)
    gum.fit(X, y, sample_weight=weights)
    assert gum.inlier_mask_.shape[0] == n_samples
    assert_array_equal(gum.inlier_mask_, REF_INLIER_MASK)

    # fit(X) = fit([X1, X2, X3], sample_weight=[n1, n2, n3]), Xi repeated ni times
    random_state = check_random_state(0)
    X_ = random_state.randint(0, 200, [10, 1])
    y_ = np.ndarray.flatten(0.2 * X_ + 2)
    sample_weight = random_state.randint(0, 10, 10)
    outlier_X = random_state.randint(0, 1000, [1, 1])
    outlier_weight = random_state.randint(0, 10, 1)
    outlier_y = random_state.randint(-1000, 0, 1)
    X_flat = np.append(np.repeat(X_, sample_weight, axis=0),
                       np.repeat(outlier_X, outlier_weight, axis=0), axis=0)
    y_flat = np.ndarray.flatten(np.append(
        np.repeat(y_, sample_weight, axis=0),
        np.repeat(outlier_y, outlier_weight, axis=0), axis=0))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        gum.fit(X_flat, y_flat)
        ref_coef_ = gum.estimator_.coef_
        sample_weight = np.append(sample_weight, outlier_weight)
        X_ = np.append(X_, outlier_X, axis=0)
        y_ = np.append(y_, outlier_y)
        gum.fit(X_, y_, sample_weight=sample_weight)
    assert_allclose(gum.estimator_.coef_, ref_coef_)

    # an estimator whose fit takes no sample_weight: an error naming it
    estimator = OrthogonalMatchingPursuit()
    err_msg = f"{estimator.__class__.__name__} does not accept sample_weight"
    with pytest.raises(TypeError, match=err_msg):
        GUMRegressor(estimator).fit(X, y, sample_weight=weights)


def test_ransac_final_model_fit_sample_weight():
    # RANSAC's final model is the weighted fit on its inliers; GUM's, when
    # nothing is an outlier (clean data here), is the plain weighted fit.
    X, y = make_regression(n_samples=1000, noise=1.0, random_state=10)
    rng = check_random_state(42)
    sample_weight = rng.randint(1, 4, size=y.shape[0])
    sample_weight = sample_weight / sample_weight.sum()
    gum = GUMRegressor(random_state=0).fit(X, y, sample_weight=sample_weight)
    assert gum.inlier_mask_.all()
    final_model = LinearRegression().fit(X, y, sample_weight=sample_weight)
    assert_allclose(gum.estimator_.coef_, final_model.coef_, atol=1e-12)


def test_perfect_horizontal_line():
    X = np.arange(100)[:, None]
    y = np.zeros((100,))
    gum = GUMRegressor(LinearRegression(), random_state=0).fit(X, y)
    assert_allclose(gum.estimator_.coef_, 0.0)
    assert_allclose(gum.estimator_.intercept_, 0.0)


# -- test_huber.py -------------------------------------------------------------


def test_huber_equals_lr_for_high_epsilon():
    # Huber with a huge epsilon is least squares; GUM on data without
    # outliers is least squares, exactly.
    X, y = make_regression(n_samples=50, n_features=20, random_state=0, noise=0.05)
    lr = LinearRegression().fit(X, y)
    gum = GUMRegressor().fit(X, y)
    assert not gum.has_outliers_
    assert_allclose(gum.estimator_.coef_, lr.coef_, rtol=1e-10)
    assert_allclose(gum.estimator_.intercept_, lr.intercept_, atol=1e-10)


def test_huber_max_iter():
    X, y, _ = make_regression_with_outliers(n_samples=200, n_features=5)
    y[:40] += 50
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        gum = GUMRegressor(max_iter=1).fit(X, y)
    assert gum.n_iter_ == gum.max_iter


@_not_ported("_huber_loss_and_gradient, the gradient of Huber's own objective")
def test_huber_gradient():
    pass


def test_huber_sample_weights():
    X, y, _ = make_regression_with_outliers(n_samples=200, n_features=5)
    y[:30] += 30
    gum = GUMRegressor().fit(X, y)
    coef, intercept = gum.estimator_.coef_, gum.estimator_.intercept_
    scale = max(np.mean(np.abs(coef)), np.mean(np.abs(intercept)))
    gum.fit(X, y, sample_weight=np.ones(y.shape[0]))
    assert_array_almost_equal(gum.estimator_.coef_ / scale, coef / scale)
    assert_array_almost_equal(gum.estimator_.intercept_ / scale, intercept / scale)

    # repeated rows equal integer weights (n=5 rows of 20 features in the
    # original: GUM needs more rows than coefficients to tell outliers)
    X_new = np.vstack((X, np.vstack((X[1], X[1], X[3]))))
    y_new = np.concatenate((y, [y[1]], [y[1]], [y[3]]))
    gum.fit(X_new, y_new)
    coef, intercept = gum.estimator_.coef_, gum.estimator_.intercept_
    sample_weight = np.ones(X.shape[0])
    sample_weight[1] = 3
    sample_weight[3] = 2
    gum.fit(X, y, sample_weight=sample_weight)
    assert_array_almost_equal(gum.estimator_.coef_ / scale, coef / scale)
    assert_array_almost_equal(gum.estimator_.intercept_ / scale, intercept / scale)

    # sparse X with sample weights
    gum_sparse = GUMRegressor().fit(sp.csr_matrix(X), y, sample_weight=sample_weight)
    assert_array_almost_equal(gum_sparse.estimator_.coef_ / scale, coef / scale)


@pytest.mark.parametrize("csr_container", [sp.csr_matrix, sp.csr_array])
def test_huber_sparse(csr_container):
    X, y, _ = make_regression_with_outliers(n_samples=200, n_features=5)
    y[:30] += 30
    gum = GUMRegressor(Ridge(alpha=0.1)).fit(X, y)
    gum_sparse = GUMRegressor(Ridge(alpha=0.1)).fit(csr_container(X), y)
    assert_array_almost_equal(gum_sparse.estimator_.coef_, gum.estimator_.coef_)
    assert_array_equal(gum.inlier_mask_, gum_sparse.inlier_mask_)


def test_huber_scaling_invariant():
    X, y, _ = make_regression_with_outliers(n_samples=200, n_features=5)
    y[:30] += 30
    gum = GUMRegressor(LinearRegression(fit_intercept=False))
    mask_1 = gum.fit(X, y).inlier_mask_
    assert not np.all(mask_1)
    assert_array_equal(gum.fit(X, 2.0 * y).inlier_mask_, mask_1)
    assert_array_equal(gum.fit(2.0 * X, 2.0 * y).inlier_mask_, mask_1)


@_not_ported("Huber's scale_ and SGDRegressor(loss='huber'): the same Huber objective")
def test_huber_and_sgd_same_results():
    pass


@_not_ported("warm_start: GUMRegressor refits from its start every time")
def test_huber_warm_start():
    pass


def test_huber_better_r2_score():
    # test_huber.py's data (rows of X replaced by noise: bad leverage
    # points, for which GUM's documented start is init="subsets")
    X, y, replaced = make_regression_with_outliers()
    gum = GUMRegressor(init="subsets", random_state=0).fit(X, y)
    mask = gum.inlier_mask_
    gum_score = gum.score(X[mask], y[mask])
    gum_outlier_score = gum.score(X[~mask], y[~mask])
    ridge = Ridge(alpha=0.01).fit(X, y)
    assert gum_score > ridge.score(X[mask], y[mask])
    assert ridge.score(X[~mask], y[~mask]) > gum_outlier_score
    assert set(replaced) <= set(np.flatnonzero(~mask))  # every replaced row flagged


def test_huber_bool():
    X, y = make_regression(n_samples=200, n_features=2, noise=4.0, random_state=0)
    X_bool = X > 0
    GUMRegressor().fit(X_bool, y)
