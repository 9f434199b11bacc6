"""The EM maths on residual arrays, checked against scipy and hand formulas."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import special, stats

from sklearn_gum import _mixture

RNG = np.random.RandomState(0)
RESIDUALS_2D = RNG.multivariate_normal([0, 0], [[1.0, 0.6], [0.6, 2.0]], size=500)
COVARIANCE_2D = np.array([[1.0, 0.6], [0.6, 2.0]])


def test_gaussian_log_density_matches_scipy():
    expected = stats.multivariate_normal(mean=[0, 0], cov=COVARIANCE_2D).logpdf(
        RESIDUALS_2D
    )
    assert_allclose(_mixture.gaussian_log_density(RESIDUALS_2D, COVARIANCE_2D), expected)
    assert_allclose(
        _mixture.log_gaussian_peak(COVARIANCE_2D),
        stats.multivariate_normal(mean=[0, 0], cov=COVARIANCE_2D).logpdf([0, 0]),
    )


def test_e_step_is_the_posterior_of_the_gaussian_component():
    params = _mixture.GroupParams(0.8, COVARIANCE_2D, np.log(40.0))
    resp, log_lik = _mixture.e_step(RESIDUALS_2D, params)
    gaussian = 0.8 * stats.multivariate_normal(mean=[0, 0], cov=COVARIANCE_2D).pdf(
        RESIDUALS_2D
    )
    uniform = 0.2 / 40.0
    assert_allclose(resp, gaussian / (gaussian + uniform))
    assert_allclose(log_lik, np.log(gaussian + uniform))


def test_e_step_of_a_pure_gaussian_group_gives_unit_responsibilities():
    params = _mixture.GroupParams(1.0, COVARIANCE_2D, np.inf)
    resp, log_lik = _mixture.e_step(RESIDUALS_2D, params)
    assert_allclose(resp, 1.0)
    assert_allclose(log_lik, _mixture.gaussian_log_density(RESIDUALS_2D, COVARIANCE_2D))


@pytest.mark.parametrize(
    "covariance_type, expected",
    [
        ("full", [[5.0, 2.5], [2.5, 2.5]]),
        ("diag", [[5.0, 0.0], [0.0, 2.5]]),
        ("spherical", [[3.75, 0.0], [0.0, 3.75]]),
    ],
)
def test_weighted_covariance_types(covariance_type, expected):
    residuals = np.array([[1.0, 2.0], [3.0, 1.0], [5.0, 5.0]])
    weights = np.array([1.0, 1.0, 0.0])
    # sum w e e^T / sum w = ([1 2; 2 4] + [9 3; 3 1]) / 2
    covariance = _mixture.weighted_covariance(residuals, weights, covariance_type, 0.0)
    assert_allclose(covariance, expected)


def test_moment_volume_recovers_a_uniform_box():
    rng = np.random.RandomState(1)
    residuals = rng.uniform([-3, -1], [5, 3], size=(20000, 2))
    resp = np.zeros(len(residuals))
    log_volume = _mixture.uniform_log_volume(
        residuals, resp, np.ones(len(residuals)), np.eye(2), "moments"
    )
    # the box is 8 x 4; its support floor (span) and the moments agree
    assert_allclose(np.exp(log_volume), 32.0, rtol=0.01)


def test_range_volume_is_the_span_of_weighted_residuals():
    residuals = np.array([[-2.0], [0.0], [3.0], [100.0]])
    sample_weight = np.array([1.0, 1.0, 1.0, 0.0])
    log_volume = _mixture.uniform_log_volume(
        residuals, np.ones(4), sample_weight, np.eye(1) * 1e-4, "range"
    )
    assert_allclose(np.exp(log_volume), 5.0)


def test_uniform_floors_prevent_a_collapse_onto_the_centre():
    """A moment estimate from central residuals would put a narrow, dense box
    over the centre; the floors widen it to span what it explains and keep its
    density below the Gaussian's peak."""
    rng = np.random.RandomState(2)
    residuals = rng.normal(size=(400, 1))
    central = np.abs(residuals[:, 0]) < 0.2
    resp = np.where(central, 0.0, 1.0)  # the uniform explains the centre
    covariance = np.array([[4.0]])
    log_volume = _mixture.uniform_log_volume(
        residuals, resp, np.ones(400), covariance, "moments"
    )
    narrow = 2 * np.sqrt(3 * residuals[central].var())
    assert np.exp(log_volume) > 10 * narrow
    assert -log_volume <= _mixture.log_gaussian_peak(covariance) + 1e-12
    assert_allclose(np.exp(log_volume), np.sqrt(2 * np.pi * 4.0))


def test_fixed_volume_is_kept_above_the_floor():
    covariance = np.array([[1.0]])
    log_volume = _mixture.uniform_log_volume(
        np.zeros((3, 1)), np.ones(3), np.ones(3), covariance, 7.0
    )
    assert_allclose(log_volume, np.log(7.0))
    tiny = _mixture.uniform_log_volume(
        np.zeros((3, 1)), np.ones(3), np.ones(3), covariance, 1e-3
    )
    assert_allclose(tiny, -_mixture.log_gaussian_peak(covariance))


def test_m_step_weights_by_sample_weight_and_responsibility():
    residuals = np.array([[1.0], [-1.0], [3.0], [10.0]])
    resp = np.array([1.0, 1.0, 0.5, 0.0])
    sample_weight = np.array([1.0, 2.0, 2.0, 1.0])
    params = _mixture.m_step(
        residuals, resp, sample_weight, covariance_type="full",
        uniform="moments", reg_covar=0.0,
    )
    # rho = (1 + 2 + 1) / 6; Sigma = (1 + 2 + 9) / 4
    assert_allclose(params.inlier_prior, 4 / 6)
    assert_allclose(params.covariance, [[3.0]])
    pure = _mixture.m_step(
        residuals, resp, sample_weight, covariance_type="full",
        uniform="moments", reg_covar=0.0, mixture=False,
    )
    assert pure.inlier_prior == 1.0


def test_robust_start_scale_ignores_gross_outliers():
    rng = np.random.RandomState(3)
    residuals = rng.normal(scale=2.0, size=(1000, 1))
    residuals[:300] = rng.uniform(-100, 100, size=(300, 1))
    params = _mixture.robust_start(
        residuals, np.ones(1000), covariance_type="full", uniform="moments",
        reg_covar=0.0,
    )
    # the best half of 70% N(0, 4) and 30% U(-100, 100) gives a variance a
    # few times 4 (EM then refines it); all residuals give 0.3 * 100^2 / 3
    assert 4.0 < params.covariance[0, 0] < 12.0
    assert np.var(residuals) > 500
    assert params.inlier_prior == 0.5


def test_robust_start_is_consistent_at_the_gaussian():
    rng = np.random.RandomState(4)
    residuals = rng.multivariate_normal([0, 0], COVARIANCE_2D, size=20000)
    params = _mixture.robust_start(
        residuals, np.ones(len(residuals)), covariance_type="full",
        uniform="moments", reg_covar=0.0,
    )
    assert_allclose(params.covariance, COVARIANCE_2D, rtol=0.06, atol=0.05)


def test_outlier_evidence_is_positive_exactly_when_nec_is_below_one():
    rng = np.random.RandomState(5)
    log_lik_mixture = rng.normal(size=50) + 0.5
    log_lik_gaussian = rng.normal(size=50)
    resp = rng.uniform(size=50)
    weights = rng.randint(1, 3, size=50).astype(float)
    entropy = np.sum(weights * (special.entr(resp) + special.entr(1 - resp)))
    gain = np.sum(weights * (log_lik_mixture - log_lik_gaussian))
    evidence = _mixture.outlier_evidence(log_lik_mixture, log_lik_gaussian, resp, weights)
    assert_allclose(evidence, 2 * gain - 2 * entropy)
    assert (evidence > 0) == (entropy / gain < 1)
    decided = np.where(resp > 0.5, 1.0, 0.0)  # no entropy: the gain decides
    assert_allclose(
        _mixture.outlier_evidence(log_lik_mixture, log_lik_gaussian, decided, weights),
        2 * gain,
    )


def test_fit_residuals_finds_the_uniform_share():
    rng = np.random.RandomState(6)
    residuals = np.concatenate([rng.normal(size=900), rng.uniform(-50, 50, size=100)])
    params, offset, resp, log_lik, n_iter, converged = _mixture.fit_residuals(
        residuals[:, None], np.ones(1000), covariance_type="full",
        uniform="moments", reg_covar=1e-6,
    )
    assert converged and 1 <= n_iter < 100
    # about 2% of the uniform draws land inside the Gaussian's bulk
    assert_allclose(params.inlier_prior, 0.902, atol=0.01)
    assert_allclose(params.covariance, [[1.0]], rtol=0.1)
    assert_allclose(np.exp(params.log_volume), 100.0, rtol=0.05)
    assert (resp[900:] < 0.5).mean() > 0.88  # 6% of U(-50, 50) lies in (-3, 3)
    assert abs(offset[0]) < 0.1
    assert_allclose(log_lik, _mixture.e_step(residuals[:, None] - offset, params)[1])


def test_fit_residuals_centres_the_gaussian_on_dragged_inliers():
    """A start dragged by one-sided outliers leaves its inliers off zero."""
    rng = np.random.RandomState(7)
    residuals = np.concatenate([rng.normal(-9, 0.5, size=800), rng.normal(36, 0.5, size=200)])
    params, offset, resp, _, _, _ = _mixture.fit_residuals(
        residuals[:, None], np.ones(1000), covariance_type="full",
        uniform="moments", reg_covar=1e-6,
    )
    assert_allclose(offset, [-9.0], atol=0.05)
    assert_allclose(params.covariance, [[0.25]], rtol=0.15)
    assert (resp[800:] < 0.5).all() and (resp[:800] < 0.5).mean() < 0.005
    mixture = _mixture.residual_evidence(
        residuals[:, None], np.ones(1000), covariance_type="full",
        uniform="moments", reg_covar=1e-6,
    )
    assert mixture.evidence > 1000
    assert_allclose(mixture.offset, offset)
    assert_allclose(mixture.resp, resp)
