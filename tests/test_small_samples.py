"""Few rows per parameter: the subset start's scale and the decision's
residuals (issue 17)."""

import numpy as np
import pytest
import scipy.sparse as sp
import statsmodels.api as sm
from numpy.testing import assert_allclose
from statsmodels.stats.outliers_influence import OLSInfluence

from sklearn_gum import GUMRegressor
from sklearn_gum.exceptions import DegenerateMixtureWarning
from sklearn_gum._leverage import studentized
from sklearn_gum._start import subset_scale_factor

RNG = np.random.RandomState(0)
X = RNG.normal(size=(30, 3))
Y = X @ [1.0, -2.0, 0.5] + RNG.normal(size=30)


def test_all_rows_fitted_gives_the_internally_studentized_residuals():
    ols = sm.OLS(Y, sm.add_constant(X)).fit()
    scaled = studentized(ols.resid[:, None], X, np.ones(30), np.ones(30, dtype=bool))
    assert_allclose(scaled[:, 0] / np.sqrt(ols.scale),
                    OLSInfluence(ols).resid_studentized_internal)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_rows_left_out_are_scaled_by_their_prediction_variance(fit_intercept):
    fitted = np.arange(30) >= 6
    design = sm.add_constant(X) if fit_intercept else X
    coef = np.linalg.lstsq(design[fitted], Y[fitted], rcond=None)[0]
    residuals = (Y - design @ coef)[:, None]
    leverage = np.einsum("ij,jk,ik->i", design,
                         np.linalg.inv(design[fitted].T @ design[fitted]), design)
    expected = residuals[:, 0] / np.sqrt(np.where(fitted, 1 - leverage, 1 + leverage))
    got = studentized(residuals, X, np.ones(30), fitted, fit_intercept)
    assert_allclose(got[:, 0], expected)
    # weights count as repeated rows (a weight of 2 is a row fitted twice);
    # weights that sum to fewer observations than rows are scaled to a mean
    # of one: their scale changes nothing
    assert_allclose(studentized(residuals, X, np.full(30, 1e-3), fitted, fit_intercept),
                    got)
    # a sparse design gives the same
    assert_allclose(studentized(residuals, sp.csr_matrix(X), np.ones(30), fitted,
                                fit_intercept), got)
    # nor do the features' units, however far from one
    assert_allclose(studentized(residuals, X * [1e300, 1e-300, 1.0], np.ones(30), fitted,
                                fit_intercept), got)
    weights = np.r_[np.full(15, 2.0), np.ones(15)]
    repeated = np.repeat(design, weights.astype(int), axis=0)
    repeated_fitted = np.repeat(fitted, weights.astype(int))
    gram = repeated[repeated_fitted].T @ repeated[repeated_fitted]
    leverage = np.einsum("ij,jk,ik->i", design, np.linalg.inv(gram), design)
    expected = residuals[:, 0] / np.sqrt(np.where(fitted, 1 - leverage, 1 + leverage))
    assert_allclose(studentized(residuals, X, weights, fitted, fit_intercept)[:, 0],
                    expected)


def test_clean_residuals_studentized_have_the_errors_variance():
    # a least-squares fit to 12 of 24 rows, 5 parameters: the raw residuals
    # are 0.6 and 1.4 times the errors' variance on the two halves
    rng = np.random.RandomState(1)
    design = rng.normal(size=(24, 4))
    fitted = np.arange(24) < 12
    raw, scaled = [], []
    for _ in range(2000):
        y = rng.normal(size=24)
        coef = np.linalg.lstsq(sm.add_constant(design)[fitted], y[fitted], rcond=None)[0]
        residuals = (y - sm.add_constant(design) @ coef)[:, None]
        raw.append(residuals[:, 0])
        scaled.append(studentized(residuals, design, np.ones(24), fitted)[:, 0])
    raw_var, scaled_var = np.var(raw, axis=0), np.var(scaled, axis=0)
    assert raw_var[fitted].mean() < 0.7 and raw_var[~fitted].mean() > 1.3
    assert_allclose(scaled_var, 1.0, atol=0.12)


def test_the_small_sample_factor_is_large_on_few_rows_and_vanishes():
    # the simulated means of the start's variance (results/
    # simulate_small_sample.md): 0.37 at 20 rows and 4 parameters, 0.86 at
    # 200 rows and 4 parameters
    assert_allclose(1 / subset_scale_factor(20, 4), 0.37, atol=0.03)
    assert_allclose(1 / subset_scale_factor(200, 4), 0.86, atol=0.03)
    assert subset_scale_factor(20, 6) > subset_scale_factor(20, 4) > subset_scale_factor(20, 2)
    assert subset_scale_factor(10**6, 4) < 1.001


def test_subset_start_rarely_keeps_outliers_in_small_clean_data():
    # 50 x 9 and 100 x 30 (5 and 3 rows per parameter): without the factor
    # and the studentized residuals the decision kept an outlier component
    # in 19 of 20 such fits, with the factor alone in 5 of 20
    kept = 0
    for n, p in ((50, 9), (100, 30)):
        for seed in range(6):
            rng = np.random.RandomState(100 + seed)
            X_clean = rng.normal(size=(n, p))
            y_clean = X_clean @ np.ones(p) + rng.normal(size=n)
            kept += GUMRegressor(init="subsets", random_state=seed).fit(
                X_clean, y_clean).has_outliers_[0]
    assert kept <= 1


def test_a_mixture_collapsed_onto_fewer_inliers_than_parameters_warns():
    # a clean 40 x 3 set (a false alarm of the mixture's likelihood ratio,
    # the decision before the largest-residual test) with the uniform
    # forced on: the EM fits its Gaussian to 1.6 samples with 4 parameters
    # and flags all 40
    rng = np.random.RandomState(1017)
    X_clean = rng.normal(size=(40, 3))
    y_clean = X_clean @ np.ones(3) + rng.normal(size=40)
    with pytest.warns(DegenerateMixtureWarning,
                      match=r"hold 1.5\d samples, no more than the regressor's 4 "):
        gum = GUMRegressor(random_state=17, outlier_component="always").fit(
            X_clean, y_clean)
    assert gum.inlier_prior_ < 0.05
