"""The two outlier models (issue 18): the uniform of DeepGUM and the broad
Gaussian of the contaminated normal, the choice between them, and the
monotone EM.

The densities are checked against scipy; the recovered parameters against
the ones the data were drawn with.
"""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression

from sklearn_gum import GUMRegressor, _em, _mixture, _residual_em

OPTIONS = dict(covariance_type="full", uniform="moments", reg_covar=1e-6)


def contaminated_normal(n, prior, scale, n_columns=1, seed=0):
    """Residuals from ``prior N(0, I) + (1 - prior) N(0, scale I)``, and
    which rows are outliers."""
    rng = np.random.RandomState(seed)
    outliers = rng.rand(n) > prior
    residuals = rng.normal(size=(n, n_columns))
    residuals[outliers] *= np.sqrt(scale)
    return residuals, outliers


def linear(n, p, seed):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, p))
    coef = rng.uniform(-5, 5, size=p)
    return X, X @ coef, coef, rng


def test_e_step_of_gaussian_outliers_is_the_posterior_of_the_two_gaussians():
    covariance = np.array([[2.0, 0.6], [0.6, 1.0]])
    params = _mixture.GroupParams(0.7, covariance, np.inf, 9.0)
    residuals = np.random.RandomState(1).normal(scale=3, size=(50, 2))
    inlier = 0.7 * stats.multivariate_normal(np.zeros(2), covariance).pdf(residuals)
    outlier = 0.3 * stats.multivariate_normal(np.zeros(2), 9 * covariance).pdf(residuals)
    resp, log_lik = _mixture.e_step(residuals, params)
    assert_allclose(resp, inlier / (inlier + outlier), rtol=1e-10)
    assert_allclose(log_lik, np.log(inlier + outlier), rtol=1e-10)
    assert params.outlier_model == "gaussian"
    assert _mixture.GroupParams(0.7, covariance, 3.0).outlier_model == "uniform"
    assert _mixture.GroupParams(1.0, covariance, np.inf).outlier_model is None


def test_refit_weights_are_the_precision_of_each_residual():
    """``r + (1 - r) / k``: the weight of a residual's squared distance in
    the expected log-likelihood; ``r`` for a uniform."""
    resp = np.array([[1.0, 0.2], [0.0, 0.5], [0.5, 0.0]])
    params = [_mixture.GroupParams(0.5, np.eye(1), np.inf, 4.0),
              _mixture.GroupParams(0.5, np.eye(1), 2.0)]
    assert_allclose(_mixture.precision_weights(resp, params),
                    [[1.0, 0.2], [0.25, 0.5], [0.625, 0.0]])


@pytest.mark.parametrize("n_columns", [1, 2])
def test_em_recovers_the_contaminated_normal(n_columns):
    residuals, outliers = contaminated_normal(20000, 0.7, 16.0, n_columns)
    weights = np.ones(len(residuals))
    params, offset, resp, *_ = _residual_em.fit_residuals(
        residuals, weights, outlier_model="gaussian", **OPTIONS)
    assert_allclose(params.inlier_prior, 0.7, atol=0.02)
    assert_allclose(params.outlier_scale, 16.0, rtol=0.08)
    assert_allclose(params.covariance, np.eye(n_columns), atol=0.05)
    assert_allclose(offset, 0.0, atol=0.05)
    assert np.isinf(params.log_volume)
    # the posterior separates what the two Gaussians can tell apart
    far = np.abs(residuals).max(axis=1) > 4
    assert (resp[far] < 0.05).all()


def test_contaminated_m_step_maximises_each_parameter_given_the_other():
    """ECM: ``Sigma`` for the current ``k`` over all the weight, then ``k``
    as the outliers' mean squared distance per column, at least 1."""
    residuals, _ = contaminated_normal(500, 0.8, 9.0, seed=3)
    resp = np.random.RandomState(4).uniform(size=500)
    weights = np.full(500, 2.0)
    params = _mixture.contaminated_m_step(residuals, resp, weights, 5.0,
                                          covariance_type="full", reg_covar=0.0)
    variance = np.sum(weights * (resp + (1 - resp) / 5.0) * residuals[:, 0] ** 2) / 1000
    assert_allclose(params.covariance, [[variance]])
    outlier = weights * (1 - resp)
    assert_allclose(params.outlier_scale,
                    outlier @ residuals[:, 0] ** 2 / variance / outlier.sum())
    assert_allclose(params.inlier_prior, resp.mean())
    no_tails = _mixture.contaminated_m_step(0.1 * residuals, np.zeros(500), weights,
                                            5.0, covariance_type="full", reg_covar=0.0)
    assert no_tails.outlier_scale >= 1.0


def test_each_model_is_chosen_where_it_fits():
    """The contaminated normal for Gaussian-shaped errors, the uniform for
    gross errors spread over a box, nothing for clean residuals."""
    options = _em.EMOptions()
    groups = [np.array([0])]
    normal, _ = contaminated_normal(2000, 0.8, 9.0, seed=5)
    rng = np.random.RandomState(6)
    gross = rng.normal(size=(2000, 1))
    gross[:300] = rng.uniform(-200, 200, size=(300, 1))
    clean = rng.normal(size=(2000, 1))
    decisions = [_em.decide_outliers(r, np.ones(2000), groups, options)
                 for r in (normal, gross, clean)]
    assert [d.models[0] for d in decisions[:2]] == ["gaussian", "uniform"]
    assert [bool(d.keep[0]) for d in decisions] == [True, True, False]
    # imposed for the other starts of n_init
    imposed = _em.decide_outliers(gross, np.ones(2000), groups, options,
                                  keep=[True], models=["gaussian"])
    assert imposed.models == ["gaussian"] and imposed.keep[0]


def test_outlier_model_restricts_the_candidates():
    normal, _ = contaminated_normal(2000, 0.8, 9.0, seed=5)
    groups = [np.array([0])]
    for model in ("uniform", "gaussian"):
        options = _em.EMOptions(outlier_model=model)
        decision = _em.decide_outliers(normal, np.ones(2000), groups, options)
        assert decision.models == [model]


def test_gum_beats_least_squares_on_gaussian_label_noise():
    """Tukey's contaminated normal: 20% of the targets with errors of three
    times the inliers' sd. The broad Gaussian is kept and its parameters
    recovered; the coefficients are closer than least squares'."""
    X, f, coef, rng = linear(2000, 10, 0)
    noise = rng.normal(scale=0.5, size=2000)
    outliers = rng.rand(2000) < 0.2
    noise[outliers] *= 3
    y = f + noise
    gum = GUMRegressor().fit(X, y)
    assert gum.has_outliers_
    assert_allclose(gum.outlier_scale_, 9.0, rtol=0.3)
    assert_allclose(gum.inlier_prior_, 0.8, atol=0.06)
    assert_allclose(gum.covariance_, [[0.25]], rtol=0.1)
    assert np.isinf(gum.uniform_volume_)
    ols = LinearRegression().fit(X, y).coef_
    assert np.linalg.norm(gum.estimator_.coef_ - coef) < 0.8 * np.linalg.norm(ols - coef)
    # the broad component's rows are weighted down, not dropped
    assert_allclose(gum.outlier_proba(X, y), gum.outlier_proba_)


def test_uniform_model_keeps_the_seed_model():
    X, f, _, rng = linear(500, 3, 1)
    y = f + rng.normal(scale=0.5, size=500)
    y[:50] = rng.uniform(-100, 100, size=50)
    gum = GUMRegressor(outlier_model="uniform").fit(X, y)
    assert np.isinf(gum.outlier_scale_) and np.isfinite(gum.uniform_volume_)
    assert_array_equal(~gum.inlier_mask_[:50], np.abs(y[:50] - f[:50]) > 2)


@pytest.mark.parametrize("seed", range(10))
def test_two_outputs_shifted_converge_with_a_monotone_objective(seed):
    """The case of the issue: 300 x 3, 2 outputs, 10% shifted by (+20, -20).
    The moment rule alone made the log-likelihood alternate with period 2."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(300, 3))
    Y = X @ rng.normal(size=(3, 2)) + rng.normal(size=(300, 2))
    shifted = rng.choice(300, 30, replace=False)
    Y[shifted] += [20, -20]
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        gum = GUMRegressor(outlier_model="uniform").fit(X, Y)
    assert gum.converged_ and gum.n_iter_ < 20
    objective = gum.history_["objective"]
    assert np.all(np.diff(objective) >= -1e-9 * np.abs(objective[:-1]))
    # every shifted row, and at most 2 of the 270 others (their 3-sd tails)
    flagged = np.flatnonzero(~gum.inlier_mask_)
    assert set(shifted) <= set(flagged) and len(flagged) <= 32


@pytest.mark.parametrize("kind", ["uniform", "gaussian", "leverage"])
def test_objective_never_decreases_on_linear_sweeps(kind):
    from sklearn_gum.datasets import make_contaminated_regression

    for contamination, seed, init in [(0.1, 0, "auto"), (0.3, 1, None), (0.5, 2, "auto")]:
        X, y = make_contaminated_regression(600, 5, contamination=contamination,
                                            kind=kind, random_state=seed)
        gum = GUMRegressor(init=init, tol=1e-8).fit(X, y)
        objective = gum.history_["objective"]
        assert np.all(np.diff(objective) >= -1e-9 * np.abs(objective[:-1])), (
            contamination, seed, init)


def test_the_objective_adds_the_restricted_likelihood_term():
    """With a regressor's dof, the M-step of ``Sigma`` divides by
    ``sum w r - dof``: the maximiser of the log-likelihood plus
    ``dof / 2 log |Sigma|``, which the history reports as the objective."""
    X, f, _, rng = linear(300, 4, 2)
    y = f + rng.normal(size=300)
    y[:30] += 40
    gum = GUMRegressor().fit(X, y)
    dof = 5  # four coefficients and the intercept
    log_det = np.log(gum.covariance_[0, 0])
    assert_allclose(gum.history_["objective"][-1],
                    gum.log_likelihood_ + 0.5 * dof * log_det / 300)
    assert_allclose(gum.history_["log_likelihood"][-1], gum.log_likelihood_)


def test_torch_e_step_takes_gaussian_outliers():
    torch = pytest.importorskip("torch")
    from sklearn_gum.nn import torch_e_step

    covariance = np.array([[2.0, 0.6], [0.6, 1.0]])
    residuals = np.random.RandomState(2).normal(scale=3, size=(40, 2))
    params = _mixture.GroupParams(0.7, covariance, np.inf, 9.0)
    resp, log_lik = torch_e_step(torch.as_tensor(residuals), 0.7, covariance,
                                 outlier_scale=9.0)
    expected_resp, expected_log_lik = _mixture.e_step(residuals, params)
    assert_allclose(resp.numpy(), expected_resp, rtol=1e-10)
    assert_allclose(log_lik.numpy(), expected_log_lik, rtol=1e-10)


def test_log_density_of_a_fit_with_gaussian_outliers_matches_scipy():
    X, f, _, rng = linear(2000, 3, 3)
    noise = rng.normal(scale=0.5, size=2000)
    noise[rng.rand(2000) < 0.3] *= 4
    y = f + noise
    gum = GUMRegressor(outlier_model="gaussian").fit(X, y)
    residuals = y - gum.predict(X)
    rho, k, var = gum.inlier_prior_, gum.outlier_scale_, gum.covariance_[0, 0]
    inlier = rho * stats.norm(0, np.sqrt(var)).pdf(residuals)
    outlier = (1 - rho) * stats.norm(0, np.sqrt(k * var)).pdf(residuals)
    assert_allclose(gum.log_density(X, y), np.log(inlier + outlier), rtol=1e-9)
    assert_allclose(gum.outlier_proba(X, y), outlier / (inlier + outlier), rtol=1e-9)
    assert_allclose(gum.inlier_score(X, y), np.log(inlier / outlier), rtol=1e-9)


def test_the_uniform_stays_unless_the_gaussian_is_significantly_better(monkeypatch):
    """Both models pass their tests on gross outliers of a box; the
    contaminated normal must beat the uniform by Vuong's test to be kept."""
    rng = np.random.RandomState(6)
    gross = rng.normal(size=(2000, 1))
    gross[:300] = rng.uniform(-200, 200, size=(300, 1))
    groups, options = [np.array([0])], _em.EMOptions()
    assert _em.decide_outliers(gross, np.ones(2000), groups, options).models == ["uniform"]
    monkeypatch.setattr(_em, "significantly_better", lambda *args: True)
    forced = _em.decide_outliers(gross, np.ones(2000), groups, options)
    assert forced.models == ["gaussian"] and forced.keep[0]
