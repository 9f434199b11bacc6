"""The EM maths on residual arrays, checked against scipy and hand formulas."""

import re
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import special, stats

from sklearn_gum import _mixture, _residual_em, _span

# The maths runs warning-free on ordinary input: no division by zero, no
# deprecated numpy calls.
pytestmark = pytest.mark.filterwarnings("error")

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
    params = _residual_em.robust_start(
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
    params = _residual_em.robust_start(
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
    evidence = _residual_em.outlier_evidence(log_lik_mixture, log_lik_gaussian, resp, weights)
    assert_allclose(evidence, 2 * gain - 2 * entropy)
    assert (evidence > 0) == (entropy / gain < 1)
    decided = np.where(resp > 0.5, 1.0, 0.0)  # no entropy: the gain decides
    assert_allclose(
        _residual_em.outlier_evidence(log_lik_mixture, log_lik_gaussian, decided, weights),
        2 * gain,
    )


def test_fit_residuals_finds_the_uniform_share():
    rng = np.random.RandomState(6)
    residuals = np.concatenate([rng.normal(size=900), rng.uniform(-50, 50, size=100)])
    params, offset, resp, log_lik, n_iter, converged = _residual_em.fit_residuals(
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
    # the decision's tolerance: DECISION_TOL nats in all
    params, offset, resp, _, _, _ = _residual_em.fit_residuals(
        residuals[:, None], np.ones(1000), covariance_type="full",
        uniform="moments", reg_covar=1e-6, tol=_mixture.DECISION_TOL / 1000,
    )
    assert_allclose(offset, [-9.0], atol=0.05)
    assert_allclose(params.covariance, [[0.25]], rtol=0.15)
    assert (resp[800:] < 0.5).all() and (resp[:800] < 0.5).mean() < 0.005
    mixture = _residual_em.residual_evidence(
        residuals[:, None], np.ones(1000), covariance_type="full",
        uniform="moments", reg_covar=1e-6,
    )
    assert mixture.evidence > 1000
    assert_allclose(mixture.offset, offset)
    assert_allclose(mixture.resp, resp)


# ------------------------------------------------------- mutation-tested units
# Closed-form checks added with the mutation run of issue 12
# (benchmarks/results/mutation.md): each pins one number of the maths.


def test_weighted_covariance_defaults_are_full_with_a_tiny_ridge():
    # e = [[1, 2], [3, 1]], w = [1, 3]: sum w e e^T / 4 = [[28, 11], [11, 7]] / 4
    residuals = np.array([[1.0, 2.0], [3.0, 1.0]])
    weights = np.array([1.0, 3.0])
    expected = np.array([[7.0, 2.75], [2.75, 1.75]]) + 1e-6 * np.eye(2)
    assert_allclose(_mixture.weighted_covariance(residuals, weights), expected, rtol=1e-12)


@pytest.mark.parametrize(
    "covariance_type, ridge",
    [("full", [1.0, 3.0]), ("diag", [1.0, 3.0]), ("spherical", [2.0, 2.0])],
)
def test_weighted_covariance_adds_the_per_column_ridge(covariance_type, ridge):
    residuals = np.array([[1.0, 2.0], [3.0, 1.0]])
    weights = np.array([1.0, 3.0])
    plain = _mixture.weighted_covariance(residuals, weights, covariance_type, 0.0)
    ridged = _mixture.weighted_covariance(residuals, weights, covariance_type, [1.0, 3.0])
    # a spherical covariance gets the mean ridge on every column
    assert_allclose(ridged - plain, np.diag(ridge))


@pytest.mark.parametrize(
    "covariance_type, expected",
    [("diag", [7.0, 1.75]), ("spherical", [4.375, 4.375])],
)
def test_diagonal_covariances_divide_by_the_degrees_of_freedom_left(covariance_type,
                                                                    expected):
    residuals = np.array([[1.0, 2.0], [3.0, 1.0]])
    weights = np.array([1.0, 3.0])
    covariance = _mixture.weighted_covariance(
        residuals, weights, covariance_type, 0.0, dof=1.0
    )
    # sum w - dof = 3 instead of 4
    assert_allclose(np.diag(covariance), np.array(expected) * 4 / 3)
    assert_allclose(covariance - np.diag(np.diag(covariance)), 0.0)


def test_weights_summing_below_one_give_the_weighted_mean_square():
    # weights 1/n are no single sample: no correction can apply, and no cap
    # doubles the variance (it did, with sum w - dof capped at sum w / 2)
    residuals = np.array([[1.0], [-1.0], [3.0], [10.0]])
    weights = np.array([0.25, 0.5, 0.25, 0.0])
    covariance = _mixture.weighted_covariance(residuals, weights, "full", 0.0, dof=2.0)
    assert_allclose(covariance, [[0.25 + 0.5 + 0.25 * 9]])


def test_weighted_covariance_of_zero_weights_is_the_ridge():
    # no weighted sample: the second moment is 0 (not 0 / 0), only the ridge stays
    residuals = np.array([[1.0, 2.0], [3.0, 1.0]])
    for covariance_type in ("full", "diag", "spherical"):
        covariance = _mixture.weighted_covariance(
            residuals, np.zeros(2), covariance_type, 0.5, dof=3.0
        )
        assert_allclose(covariance, 0.5 * np.eye(2))


def test_residual_scale_is_the_weighted_median_square_over_its_gaussian_value():
    residuals = np.array([
        [1.0, 0.0, 0.1, 0.0],
        [2.0, 0.0, 0.1, 0.0],
        [3.0, 0.0, 0.2, 0.0],
        [4.0, 3.0, 0.2, 0.0],
    ])
    sample_weight = np.array([1.0, 1.0, 1.0, 3.0])
    scale = _mixture.residual_scale(residuals, sample_weight)
    median_square = 0.4549364231195724  # chi2(1).ppf(0.5)
    assert_allclose(stats.chi2.ppf(0.5, 1), median_square)
    # column 0: squares 1, 4, 9, 16 with weights 1, 1, 1, 3: the weighted
    # median (first cumulative weight >= 3) is 9
    # column 1: median 0, so the weighted mean square 3 * 9 / 6 = 4.5
    # column 2: median 0.04 (below 1, kept)
    # column 3: all zero: 1
    assert_allclose(scale, [9 / median_square, 4.5, 0.04 / median_square, 1.0])


def test_residual_scale_is_at_least_the_rounding_noise_of_the_targets():
    # An exact fit: zero residuals. The scale is eps times the weighted mean
    # square of each target column: (1 * 4 + 3 * 16) / 4 = 13 and 1.
    residuals = np.zeros((2, 2))
    targets = np.array([[2.0, 1.0], [4.0, -1.0]])
    scale = _mixture.residual_scale(residuals, np.array([1.0, 3.0]), targets)
    eps = np.finfo(float).eps
    assert_allclose(scale, [13 * eps, eps], rtol=1e-12)
    # residuals above the rounding noise keep their own scale
    residuals = np.full((2, 2), 0.5)
    scale = _mixture.residual_scale(residuals, np.array([1.0, 3.0]), targets)
    assert_allclose(scale, 0.25 / stats.chi2.ppf(0.5, 1))


def test_a_non_finite_covariance_names_its_cause():
    message = ("The residual covariance is not finite: the squared residuals "
               "overflow float64. Rescale y, or check the estimator's predictions.")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        _mixture.gaussian_log_density(np.zeros((3, 2)), np.array([[np.inf, 0], [0, 1]]))


def test_gaussian_params_default_to_a_full_covariance():
    params = _mixture.gaussian_params(RESIDUALS_2D, np.ones(500))
    assert params.inlier_prior == 1.0 and params.log_volume == np.inf
    expected = RESIDUALS_2D.T @ RESIDUALS_2D / 500 + 1e-6 * np.eye(2)
    assert_allclose(params.covariance, expected, rtol=1e-12)


def test_a_singular_covariance_names_the_remedy():
    message = ("The residual covariance is not positive definite: the residuals "
               "are degenerate. Increase reg_covar.")
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        _mixture.gaussian_log_density(np.zeros((3, 2)), np.zeros((2, 2)))


def test_log_gaussian_peak_of_a_diagonal_covariance():
    # N(0; 0, diag(4, 9)) = 1 / (2 pi * 6)
    assert_allclose(_mixture.log_gaussian_peak(np.diag([4.0, 9.0])), -np.log(12 * np.pi))


def test_moment_box_of_weighted_outliers_by_hand():
    # outliers 2 and 4 with weights 1 and 3: mean 3.5, second moment 13,
    # variance 0.75, box width 2 sqrt(3 * 0.75) = 3 (their span is only 2)
    residuals = np.array([[2.0], [4.0], [0.0]])
    resp = np.array([0.0, 0.0, 1.0])
    sample_weight = np.array([1.0, 3.0, 5.0])
    log_volume = _mixture.uniform_log_volume(
        residuals, resp, sample_weight, np.array([[1e-4]]), "moments"
    )
    assert_allclose(log_volume, np.log(3.0))
    # the same two outliers with half their weight moved onto the inlier
    # responsibility (resp = 0.5 each) give the same mean and variance
    half = _mixture.uniform_log_volume(
        residuals, np.array([0.5, 0.5, 1.0]), sample_weight, np.array([[1e-4]]),
        "moments",
    )
    assert_allclose(half, np.log(3.0))


def test_range_box_has_one_width_per_column():
    residuals = np.array([[-2.0, 10.0], [0.0, 11.0], [3.0, 14.0]])
    log_volume = _mixture.uniform_log_volume(
        residuals, np.ones(3), np.ones(3), 1e-4 * np.eye(2), "range"
    )
    assert_allclose(np.exp(log_volume), 5.0 * 4.0)


def test_explained_span_by_hand():
    residuals = np.array([[0.0], [1.0], [10.0], [12.0]])
    resp = np.array([1.0, 0.5, 0.0, 0.0])
    # outlier weights 0, 0.5, 1, 1: centre (0.5 + 10 + 12) / 2.5 = 9; the
    # residual 1 is pulled halfway to 9 (to 5): span 12 - 5 = 7
    span = _mixture._explained_span(residuals, resp, 1 - resp)
    assert_allclose(span, [7.0])
    # without outlier weight nothing is explained
    assert_allclose(_mixture._explained_span(residuals, np.ones(4), np.zeros(4)), [0.0])


def test_uniform_spans_the_outliers_it_explains():
    # 99 outliers at 0 and one at 10: the moment box (2 sqrt(3 * 0.99) = 3.45
    # wide) would not reach the far one; the box spans all ten units instead
    residuals = np.r_[np.zeros(99), 10.0, 0.5 * np.ones(50)][:, None]
    resp = np.r_[np.zeros(100), np.ones(50)]
    log_volume = _mixture.uniform_log_volume(
        residuals, resp, np.ones(150), np.array([[1e-4]]), "moments"
    )
    assert_allclose(np.exp(log_volume), 10.0)


def test_rows_without_weight_do_not_move_the_uniform():
    rng = np.random.RandomState(8)
    residuals = rng.normal(size=(30, 2)) * [1.0, 5.0]
    resp = rng.uniform(size=30)
    covariance = np.array([[0.5, 0.1], [0.1, 0.4]])
    for uniform in ("moments", "range"):
        expected = _mixture.uniform_log_volume(
            residuals, resp, np.ones(30), covariance, uniform
        )
        padded = _mixture.uniform_log_volume(
            np.r_[residuals, [[1e3, -1e3]]], np.r_[resp, 0.0], np.r_[np.ones(30), 0.0],
            covariance, uniform,
        )
        assert_allclose(padded, expected)


def test_an_empty_uniform_gets_the_floor_of_its_coordinates_without_warnings():
    # no outlier weight (r = 1 everywhere): every side of the axis-aligned box
    # is its floor sqrt(2 pi Sigma_jj), a volume above 1 / N(0; 0, Sigma)
    # (Hadamard); along a repeated column the side is the conditional floor
    # sqrt(2 pi D_j), which makes the volume 1 / N(0; 0, Sigma) exactly
    covariance = np.array([[1.0, 0.9], [0.9, 4.0]])
    residuals = np.random.RandomState(9).normal(size=(20, 2))
    repeated = np.c_[residuals[:, 0], 2 * residuals[:, 0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for uniform in ("moments", "range"):
            log_volume = _mixture.uniform_log_volume(
                residuals, np.ones(20), np.ones(20), covariance, uniform
            )
            conditional = _mixture.uniform_log_volume(
                repeated, np.ones(20), np.ones(20), covariance, uniform, 1e-6
            )
            if uniform == "moments":
                assert_allclose(log_volume, np.log(2 * np.pi * 2.0))
                assert_allclose(conditional, np.log(2 * np.pi * np.sqrt(4 - 0.81)))
            assert log_volume >= -_mixture.log_gaussian_peak(covariance) - 1e-12
    assert_allclose(-_mixture.log_gaussian_peak(covariance),
                    np.log(2 * np.pi * np.sqrt(4 - 0.81)))


def test_the_box_is_conditional_only_along_columns_the_residuals_do_not_span():
    # Sigma = M D M^T with M = [[1, 0], [0.5, 1]], D = (1, 2): u = (e1, e2 - 0.5 e1)
    covariance = np.array([[1.0, 0.5], [0.5, 2.25]])
    residuals = np.random.RandomState(3).uniform(-5, 5, size=(50, 2))
    weights = np.ones(50)
    # residuals that span both columns keep them: the box is axis-aligned
    same, variances = _span.conditional_coordinates(residuals, covariance, weights, 1e-6)
    assert same is residuals
    assert_allclose(variances, [1.0, 2.25])
    log_volume = _mixture.uniform_log_volume(residuals, np.zeros(50), weights,
                                             covariance, "range", 1e-6)
    assert_allclose(log_volume, np.log(np.ptp(residuals, axis=0)).sum())
    # a second column that is half the first (to within the resolution)
    # takes its conditional coordinate e2 - 0.5 e1 and variance D_2
    half = np.c_[residuals[:, 0], 0.5 * residuals[:, 0] + 1e-5 * residuals[:, 1]]
    coordinates, variances = _span.conditional_coordinates(half, covariance, weights,
                                                           1e-6)
    assert_allclose(variances, [1.0, 2.0])
    assert_allclose(coordinates, half - np.c_[0 * half[:, 0], 0.5 * half[:, 0]])
    # the same columns with a coarser noise (variance 3e-4 > 1e-6) span both
    noisy = half + np.c_[0 * half[:, 0], 1e-2 * residuals[:, 1]]
    assert _span.conditional_coordinates(noisy, covariance, weights, 1e-6)[0] is noisy
    # a diagonal Sigma leaves the residuals (and the axis-aligned box) as they are
    same, diagonal = _span.conditional_coordinates(half, np.diag([1.0, 3.0]), weights,
                                                   1e-6)
    assert same is half
    assert_allclose(diagonal, [1.0, 3.0])


def test_a_repeated_column_leaves_the_uniform_density_of_one_column():
    # residuals in three identical columns, Sigma = s J + reg I: the box is
    # as wide as one column's in u_1 and at the Gaussian's floor in the two
    # directions the residuals do not span, where both components then have
    # the same density: the log-density ratio of the components is that of
    # one column
    rng = np.random.RandomState(4)
    one = np.r_[rng.normal(size=300), rng.uniform(20, 40, size=100)][:, None]
    resp = np.r_[np.ones(300), np.zeros(100)]
    weights = np.ones(400)
    single = _mixture.m_step(one, resp, weights, covariance_type="full",
                             uniform="moments", reg_covar=1e-6)
    triple = _mixture.m_step(np.tile(one, 3), resp, weights, covariance_type="full",
                             uniform="moments", reg_covar=1e-6)
    ratio = [_mixture.gaussian_log_density(residuals, params.covariance)
             + params.log_volume
             for residuals, params in ((one, single), (np.tile(one, 3), triple))]
    assert_allclose(ratio[1], ratio[0], rtol=1e-5, atol=1e-5)  # reg_covar = 1e-6


def test_a_pure_gaussian_e_step_does_not_warn():
    params = _mixture.GroupParams(1.0, COVARIANCE_2D, np.inf)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        resp, _ = _mixture.e_step(RESIDUALS_2D, params)
    assert_array_equal(resp, 1.0)


def test_m_step_volume_and_covariance_by_hand():
    residuals = np.array([[1.0], [-1.0], [3.0], [10.0]])
    resp = np.array([1.0, 1.0, 0.5, 0.0])
    sample_weight = np.array([1.0, 2.0, 2.0, 1.0])
    params = _mixture.m_step(
        residuals, resp, sample_weight, covariance_type="full", uniform="moments",
        reg_covar=0.5, dof=1.0,
    )
    # Sigma = (1 + 2 + 9) / (4 - 1) + 0.5
    assert_allclose(params.covariance, [[4.5]])
    # outlier weights 0, 0, 1, 1 on 3 and 10: mean 6.5, variance 12.25, box
    # 2 sqrt(3) 3.5 wide (the span 10 - 4.75 and sqrt(2 pi 4.5) are smaller)
    assert_allclose(params.log_volume, np.log(7 * np.sqrt(3)))
    assert_allclose(params.inlier_prior, 4 / 6)


def test_m_step_keeps_the_inlier_prior_above_its_floor():
    residuals = np.array([[1.0], [-1.0], [3.0]])
    params = _mixture.m_step(
        residuals, np.zeros(3), np.ones(3), covariance_type="full", uniform="moments",
        reg_covar=1.0,
    )
    assert params.inlier_prior == _mixture.MIN_INLIER_PRIOR
    # the Gaussian of no inliers is the ridge alone
    assert_allclose(params.covariance, [[1.0]])


def test_robust_start_by_hand():
    # |e| sorted: 1 1 2 2 3 3 50 60; the weighted median distance is the 4th
    # (the zero-weight 0.5 does not count): the best half is -1, 1, -2, 2
    residuals = np.array([[-1.0], [1.0], [-2.0], [2.0], [3.0], [-3.0], [50.0], [-60.0],
                          [0.5]])
    sample_weight = np.r_[np.ones(8), 0.0]
    params = _residual_em.robust_start(
        residuals, sample_weight, covariance_type="full", uniform="moments",
        reg_covar=0.25,
    )
    # consistency at the Gaussian: E[e^2 | e^2 <= q] = chi2_3.cdf(q) / 0.5
    # for the median q of chi2_1
    consistency = 0.5 / stats.chi2.cdf(stats.chi2.ppf(0.5, 1), 3)
    assert_allclose(consistency, 7.0101, rtol=1e-4)
    assert_allclose(params.covariance, [[consistency * 2.5 + 0.25]])
    assert params.inlier_prior == 0.5
    # the uniform starts over every weighted residual: from -60 to 50
    assert_allclose(np.exp(params.log_volume), 110.0)


def test_robust_start_with_a_diagonal_covariance():
    rng = np.random.RandomState(10)
    residuals = rng.normal(size=(4000, 2)) * [1.0, 3.0]
    params = _residual_em.robust_start(
        residuals, np.ones(4000), covariance_type="diag", uniform="moments",
        reg_covar=0.0,
    )
    assert_allclose(params.covariance, np.diag([1.0, 9.0]), rtol=0.1, atol=1e-12)


def test_fit_residuals_stops_at_max_iter_or_tol():
    rng = np.random.RandomState(6)
    residuals = np.concatenate([rng.normal(size=900), rng.uniform(-50, 50, size=100)])
    options = dict(covariance_type="full", uniform="moments", reg_covar=1e-6)
    *_, n_iter, converged = _residual_em.fit_residuals(
        residuals[:, None], np.ones(1000), max_iter=1, **options
    )
    assert (n_iter, converged) == (1, False)
    *_, n_iter, converged = _residual_em.fit_residuals(
        residuals[:, None], np.ones(1000), tol=np.inf, **options
    )
    assert (n_iter, converged) == (1, True)


def test_fit_residuals_ends_at_a_fixed_point_of_the_em():
    """Converged by the default tol: one more EM step moves the mean
    log-likelihood by at most 1e-4 nats."""
    rng = np.random.RandomState(11)
    residuals = np.concatenate([rng.normal(2.0, 1.0, size=300),
                                rng.uniform(-40, 40, size=60)])[:, None]
    weights = rng.randint(1, 4, size=360).astype(float)
    options = dict(covariance_type="full", uniform="moments", reg_covar=1e-6)
    params, offset, resp, log_lik, n_iter, converged = _residual_em.fit_residuals(
        residuals, weights, **options
    )
    assert converged and n_iter > 1
    assert_allclose(offset, [2.0], atol=0.15)
    before = _mixture.mean_log_likelihood(log_lik, weights)
    inlier_weights = weights * resp
    offset = inlier_weights @ residuals / inlier_weights.sum()
    volume = params.log_volume
    params = _mixture.m_step(residuals - offset, resp, weights, **options)
    params, _, log_lik = _mixture.keep_better_volume(residuals - offset, params, volume,
                                                     weights, before)
    after = _mixture.mean_log_likelihood(log_lik, weights)
    assert 0 <= after - before <= 1e-4


def test_residual_evidence_compares_with_the_weighted_gaussian():
    rng = np.random.RandomState(12)
    residuals = np.concatenate([rng.normal(size=(200, 2)),
                                rng.uniform(-30, 30, size=(30, 2))])
    weights = rng.randint(1, 4, size=230).astype(float)
    mixture = _residual_em.residual_evidence(
        residuals, weights, covariance_type="full", uniform="moments", reg_covar=0.5,
    )
    params, offset, resp, log_lik, n_iter, converged = _residual_em.fit_residuals(
        residuals, weights, covariance_type="full", uniform="moments", reg_covar=0.5,
    )
    mean = np.average(residuals, axis=0, weights=weights)
    covariance = np.cov(residuals.T, aweights=weights, bias=True) + 0.5 * np.eye(2)
    gaussian = stats.multivariate_normal(mean, covariance).logpdf(residuals)
    expected = _residual_em.outlier_evidence(log_lik, gaussian, resp, weights)
    assert_allclose(mixture.evidence, expected)
    assert mixture.evidence > 100
    assert_allclose(mixture.params.covariance, params.covariance)
    assert_allclose(mixture.offset, offset)
    assert_allclose(mixture.resp, resp)
    assert (mixture.n_iter, mixture.converged) == (n_iter, converged)
    short = _residual_em.residual_evidence(
        residuals, weights, covariance_type="full", uniform="moments", reg_covar=1e-3,
        max_iter=1,
    )
    assert (short.n_iter, short.converged) == (1, False)
    # tol=inf: the decision still stops at DECISION_TOL nats of the total
    loose = _residual_em.residual_evidence(
        residuals, weights, covariance_type="full", uniform="moments", reg_covar=1e-3,
        tol=np.inf,
    )
    fine = _residual_em.fit_residuals(
        residuals, weights, covariance_type="full", uniform="moments", reg_covar=1e-3,
        tol=_mixture.DECISION_TOL / weights.sum(),
    )
    coarse = _residual_em.fit_residuals(
        residuals, weights, covariance_type="full", uniform="moments", reg_covar=1e-3,
        tol=np.inf,
    )
    assert (loose.n_iter, loose.converged) == fine[4:] != coarse[4:] == (1, True)


def test_gaussian_start_by_hand():
    residuals = np.array([[1.0], [3.0], [7.0], [100.0], [5.0]])
    sample_weight = np.array([1.0, 1.0, 2.0, 0.0, 4.0])
    params, offset = _residual_em.gaussian_start(
        residuals, sample_weight, covariance_type="full", uniform="moments",
        reg_covar=0.0,
    )
    # weighted mean (1 + 3 + 14 + 20) / 8 = 4.75; four weighted samples
    assert_allclose(offset, [4.75])
    variance = (3.75**2 + 1.75**2 + 2 * 2.25**2 + 4 * 0.25**2) / 8
    assert_allclose(params.covariance, [[variance]])
    assert_allclose(params.inlier_prior, 1 - 1 / 4)
    # a uniform over the weighted residuals, from 1 to 7
    assert_allclose(params.log_volume, np.log(6.0))
    single, _ = _residual_em.gaussian_start(
        residuals, np.r_[1.0, np.zeros(4)], covariance_type="full", uniform="moments",
        reg_covar=1.0,
    )
    assert single.inlier_prior == 0.5


@pytest.mark.parametrize(
    "values, weights, expected",
    [
        ([3.0, 1.0, 2.0, 4.0], [1.0, 1.0, 1.0, 1.0], 2.0),  # the lower median
        ([3.0, 1.0, 2.0], [1.0, 1.0, 5.0], 2.0),
        ([3.0, 1.0, 2.0, 4.0], [1.0, 6.0, 1.0, 1.0], 1.0),
        ([3.0, 1.0, 2.0, 4.0], [1.0, 1.0, 1.0, 6.0], 4.0),
        ([5.0, 3.0, 1.0, 2.0, 4.0], [0.3] * 5, 3.0),  # equal weights, odd count
        ([3.0, 1.0, 2.0, 4.0], [1 / 3] * 4, 2.0),
        ([3.0, 1.0, 2.0, 4.0], [0.0] * 4, 1.0),  # no weight: the smallest
    ],
)
def test_weighted_median(values, weights, expected):
    assert _mixture._weighted_median(np.array(values), np.array(weights)) == expected


def test_weighted_median_of_equal_weights_is_that_of_the_sorted_weights():
    """The equal-weight path (no sort) against the cumulative weights, over
    ties, counts and scales of the weights."""
    rng = np.random.RandomState(0)
    for size in range(1, 40):
        values = rng.randint(0, 5, size).astype(float)
        for scale in (1.0, 0.1, 1 / 3, 7.0):
            weights = np.full(size, scale)
            order = np.argsort(values)
            cumulative = np.cumsum(weights[order])
            at_half = np.searchsorted(cumulative, 0.5 * cumulative[-1] * (1 - 1e-12))
            assert _mixture._weighted_median(values, weights) == values[order][at_half]


def test_has_converged_allows_a_change_of_exactly_tol():
    assert _mixture.has_converged(-3.0, -3.0 + 0.25, 0.25)
    assert _mixture.has_converged(-3.0, -3.0 - 0.25, 0.25)
    assert not _mixture.has_converged(-3.0, -3.5, 0.25)
    assert not _mixture.has_converged(3.0, 3.5, 0.25)


def test_inlier_share_averages_groups_then_weighted_samples():
    # outlier probabilities 1 - r against threshold 0.5, two groups
    resp = np.array([[0.9, 0.2], [0.5, 0.6], [0.1, 0.3]])
    weights = np.array([1.0, 2.0, 1.0])
    # inliers: [1, 0], [0, 1] (0.5 is not below 0.5), [0, 0]
    assert_allclose(_mixture.inlier_share(resp, 0.5, weights), (0.5 + 2 * 0.5) / 4)
    # below 0.75: [1, 0], [1, 1], [0, 1]
    assert_allclose(_mixture.inlier_share(resp, 0.75, weights), (0.5 + 2 + 0.5) / 4)


def test_mean_log_likelihood_is_weighted():
    assert_allclose(
        _mixture.mean_log_likelihood(np.array([-1.0, -4.0]), np.array([3.0, 1.0])), -1.75
    )


@pytest.mark.parametrize("covariance_type", ["full", "diag"])
def test_degrees_of_freedom_leave_at_least_one(covariance_type):
    residuals = np.array([[1.0, 2.0], [3.0, 1.0]])
    weights = np.array([1.0, 1.0])
    plain = _mixture.weighted_covariance(residuals, weights, covariance_type, 0.0)
    for dof in (1.0, 2.0, 1e6):  # sum w - dof <= 1: divided by one
        capped = _mixture.weighted_covariance(residuals, weights, covariance_type, 0.0,
                                              dof=dof)
        assert_allclose(capped, 2 * plain)


def test_gaussian_params_take_the_ridge():
    params = _mixture.gaussian_params(RESIDUALS_2D, np.ones(500), "full", 0.5)
    expected = RESIDUALS_2D.T @ RESIDUALS_2D / 500 + 0.5 * np.eye(2)
    assert_allclose(params.covariance, expected, rtol=1e-12)


# 2 outputs with correlated inliers (COVARIANCE_2D) and 10% gross outliers
_CORRELATED = np.random.RandomState(13)
CORRELATED = np.r_[
    _CORRELATED.multivariate_normal([0, 0], COVARIANCE_2D, size=900),
    _CORRELATED.uniform(-40, 40, size=(100, 2)),
]


def test_full_covariances_keep_the_correlation():
    """Every step of a ``"full"`` group estimates the off-diagonal term."""
    weights = np.ones(1000)
    options = dict(covariance_type="full", uniform="moments", reg_covar=1e-6)
    inliers = np.r_[np.ones(900), np.zeros(100)]
    m_step = _mixture.m_step(CORRELATED, inliers, weights, **options)
    assert_allclose(m_step.covariance, CORRELATED[:900].T @ CORRELATED[:900] / 900
                    + 1e-6 * np.eye(2))
    params, offset, *_ = _residual_em.fit_residuals(CORRELATED, weights, **options)
    assert_allclose(params.covariance, COVARIANCE_2D, rtol=0.15)
    start, start_offset = _residual_em.gaussian_start(CORRELATED[:900], weights[:900],
                                                  **options)
    centred = CORRELATED[:900] - start_offset
    assert_allclose(start.covariance, centred.T @ centred / 900 + 1e-6 * np.eye(2))
    assert start.covariance[0, 1] > 0.4


def test_robust_start_without_concentration_steps():
    # n_steps=0: the weighted covariance of all residuals and an empty uniform
    residuals = np.array([[-1.0], [1.0], [-2.0], [2.0], [30.0]])
    sample_weight = np.array([1.0, 1.0, 1.0, 1.0, 0.0])
    params = _residual_em.robust_start(
        residuals, sample_weight, covariance_type="full", uniform="moments",
        reg_covar=0.5, n_steps=0,
    )
    assert_allclose(params.covariance, [[2.5 + 0.5]])
    assert_allclose(params.log_volume, 0.5 * np.log(2 * np.pi * 3.0))


def test_em_runs_its_default_hundred_iterations_at_most():
    # a negative tol never converges
    residuals = CORRELATED[:, :1]
    options = dict(covariance_type="full", uniform="moments", reg_covar=1e-6, tol=-1.0)
    *_, n_iter, converged = _residual_em.fit_residuals(residuals, np.ones(1000), **options)
    assert (n_iter, converged) == (100, False)
    mixture = _residual_em.residual_evidence(residuals, np.ones(1000), **options)
    assert (mixture.n_iter, mixture.converged) == (100, False)


def test_one_em_step_from_the_robust_start_ignores_gross_outliers():
    """The start is scaled by the best half of the residuals around their
    median, wherever the inliers are centred."""
    rng = np.random.RandomState(14)
    residuals = np.r_[rng.normal(40.0, 1.0, size=800),
                      rng.uniform(-200, 200, size=200)][:, None]
    params, offset, *_ = _residual_em.fit_residuals(
        residuals, np.ones(1000), covariance_type="full", uniform="moments",
        reg_covar=1e-6, max_iter=1,
    )
    assert_allclose(offset, [40.0], atol=0.2)
    assert_allclose(params.covariance, [[1.0]], rtol=0.2)
    assert_allclose(params.inlier_prior, 0.8, atol=0.02)


@pytest.mark.parametrize("tol", [1e-4, 0.3])  # 0.3: converged after one step
def test_rows_without_weight_are_as_if_dropped(tol):
    rng = np.random.RandomState(15)
    residuals = np.r_[rng.normal(size=300), rng.uniform(-30, 30, size=40)][:, None]
    weights = rng.randint(1, 3, size=340).astype(float)
    # far rows of zero weight: they move no statistic and no stopping rule
    padded = np.r_[residuals, rng.uniform(-1e4, 1e4, size=(200, 1))]
    padded_weights = np.r_[weights, np.zeros(200)]
    options = dict(covariance_type="full", uniform="moments", reg_covar=1e-6, tol=tol)
    params, offset, resp, log_lik, n_iter, converged = _residual_em.fit_residuals(
        residuals, weights, **options
    )
    padded_fit = _residual_em.fit_residuals(padded, padded_weights, **options)
    _, padded_offset, padded_resp, padded_log_lik, padded_n_iter, _ = padded_fit
    assert padded_n_iter == n_iter
    assert_allclose(padded_fit[0].covariance, params.covariance)
    assert_allclose(padded_fit[0].log_volume, params.log_volume)
    assert_allclose(padded_offset, offset)
    assert_allclose(padded_resp[:340], resp)
    assert_allclose(padded_log_lik[:340], log_lik)


# Written against the mutation run of the issue-20 round
# (benchmarks/results/mutation.md): each names the mutants it kills.


@pytest.mark.parametrize("covariance_type, expected", [
    ("spherical", [2.0, 5.0]),  # reg_covar 0.2 on both, then floor shortfall 0.8 on both
    ("full", [2.0, 4.3]),       # reg_covar per column, floor on the first column only
])
def test_regularised_adds_reg_covar_then_raises_the_diagonal_to_the_floor(
        covariance_type, expected):
    """Mutants: the spherical test inverted or misspelt, the shortfall
    subtracted."""
    covariance = np.diag([1.0, 4.0])
    result = _mixture.regularised(covariance, covariance_type, np.array([0.1, 0.3]),
                                  np.array([2.0, 0.0]))
    assert_allclose(np.diag(result), expected)
    assert result[0, 1] == 0.0


def test_outlier_scale_update_is_the_outliers_mean_distance_per_column():
    """Mutants: no outlier weight gives 2 instead of 1, or is divided by;
    outlier weight of at most 1 in all is not an empty component."""
    residuals = np.array([[3.0], [0.0]])
    covariance = np.array([[1.0]])
    assert _mixture.outlier_scale_update(residuals, np.array([0.5, 0.0]), covariance) == 9.0
    assert _mixture.outlier_scale_update(residuals, np.zeros(2), covariance) == 1.0
    # at least 1 (mutant: at least 2)
    assert _mixture.outlier_scale_update(np.array([[1.2]]), np.ones(1), covariance) == (
        pytest.approx(1.44))
    assert _mixture.outlier_scale_update(np.array([[0.5]]), np.ones(1), covariance) == 1.0


def test_not_lower_tolerates_a_relative_1e_12_and_no_more():
    """Mutants: the bound itself refused, the tolerance added, divided by
    the scale, or at least 2e-12."""
    bound = 1.0 - 1e-12 * max(1.0, abs(1.0))
    assert _mixture.not_lower(bound, 1.0)
    assert _mixture.not_lower(1.0 - 0.5e-12, 1.0)
    assert not _mixture.not_lower(1.0 - 1.5e-12, 1.0)
    assert _mixture.not_lower(-1e6 - 1e-7, -1e6)  # 1e-12 of 1e6 is 1e-6


def test_a_zero_variance_of_one_column_has_no_cholesky_factor():
    """Mutants: zero accepted, the message lost."""
    with pytest.raises(ValueError, match="residual covariance is not positive definite"):
        _mixture.cholesky_factor(np.array([[0.0]]))
    assert_allclose(_mixture.cholesky_factor(np.array([[4.0]])), [[2.0]])


@pytest.mark.parametrize("covariance", [np.array([[np.inf]]), np.diag([1.0, np.nan])])
def test_a_variance_beyond_float64_says_so_with_its_role(covariance):
    """Mutants: the message of one column's or several columns' infinite
    variance lost, or its role dropped."""
    with pytest.raises(ValueError, match=r"^The residual covariance of group 2 is not "
                                         r"finite: the squared residuals overflow"):
        _mixture.cholesky_factor(covariance, role=" of group 2")


@pytest.mark.parametrize("covariance", [np.array([[-1.0]]), -np.eye(2)])
def test_a_degenerate_variance_says_why_with_its_role(covariance):
    """Mutants: the role or the reason of a degenerate covariance dropped."""
    with pytest.raises(ValueError, match=r"^The residual covariance of group 2 is not "
                                         r"positive definite: all equal\.$"):
        _mixture.cholesky_factor(covariance, role=" of group 2",
                                 degenerate="all equal.")


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
@pytest.mark.parametrize("reg_covar, floor", [(0.5, 0.0), (np.array([0.5]), 2.0),
                                              (0.0, np.array([3.0]))])
def test_one_variance_is_regularised_as_the_diagonal_of_many(covariance_type, reg_covar,
                                                             floor):
    """The one-column shortcut of ``regularised`` gives the numbers (and a
    new array) of the general diagonal update."""
    covariance = np.array([[1.25]])
    result = _mixture.regularised(covariance, covariance_type, reg_covar, floor)
    assert result is not covariance and covariance[0, 0] == 1.25
    expected = max(1.25 + float(np.ravel(reg_covar)[0]), float(np.ravel(floor)[0]))
    assert result.shape == (1, 1) and result[0, 0] == expected


def test_contaminated_m_step_keeps_the_covariance_type_and_the_floor():
    """Mutants: the floor defaulting to 1, dropped, or the covariance type
    not passed on (a diagonal type has no covariance between columns)."""
    residuals = 0.1 * RESIDUALS_2D[:50]
    resp = np.linspace(0.2, 1.0, 50)
    weights = np.ones(50)
    options = dict(covariance_type="diag", reg_covar=0.0)
    plain = _mixture.contaminated_m_step(residuals, resp, weights, 4.0, **options)
    assert plain.covariance[0, 1] == 0.0
    assert np.all(np.diag(plain.covariance) < 0.05)  # no floor of 1
    floored = _mixture.contaminated_m_step(residuals, resp, weights, 4.0,
                                           floor=np.array([0.5, 0.0]), **options)
    assert floored.covariance[0, 0] == 0.5
    assert floored.covariance[1, 1] == plain.covariance[1, 1]


def test_m_step_and_gaussian_params_pass_the_floor_on():
    """Mutants: ``floor`` not passed to the covariance."""
    residuals = 0.1 * RESIDUALS_2D[:50]
    weights, floor = np.ones(50), np.array([0.5, 0.5])
    params = _mixture.m_step(residuals, np.ones(50), weights, covariance_type="full",
                             uniform="moments", reg_covar=0.0, floor=floor,
                             mixture=False)
    assert np.all(np.diag(params.covariance) >= 0.5)
    gaussian = _mixture.gaussian_params(residuals, weights, "full", 0.0, floor=floor)
    assert np.all(np.diag(gaussian.covariance) >= 0.5)


def test_variance_floor_of_a_grid_is_a_twelfth_of_its_squared_step():
    """Mutants: the step's square times 12 or over 13, its cube, twice the
    step; the rows of zero weight read (their grid is finer), or those of
    weight 1 left out."""
    targets = np.array([[0.0], [0.5], [1.0], [1.5], [2.0], [2.5], [3.0], [0.25]])
    weights = np.r_[np.ones(7), 0.0]
    assert_allclose(_mixture.variance_floor(targets, weights), [0.25 / 12])
    halves = np.r_[np.full(7, 0.5), 0.0]
    assert_allclose(_mixture.variance_floor(targets, halves), [0.25 / 12])


def test_a_uniform_log_density_is_one_float_and_e_steps_keep_their_shape():
    """The uniform's density is the same at every residual: one float, which
    the E-step's arrays broadcast (one value per sample each)."""
    params = _mixture.GroupParams(0.5, np.eye(1), np.log(8.0))
    density = _mixture.outlier_log_density(np.zeros(3), 0.0, params)
    assert isinstance(density, float) and density == -np.log(8.0)
    resp, log_lik = _mixture.e_step(np.zeros((3, 1)), params)
    assert resp.shape == log_lik.shape == (3,)
    inlier = 0.5 / np.sqrt(2 * np.pi)
    assert_allclose(resp, inlier / (inlier + 0.5 / 8.0), rtol=1e-15)


def test_keep_better_volume_keeps_a_volume_that_did_not_change(monkeypatch):
    """Mutant: an unchanged volume must also raise the likelihood to stay
    (it then falls back to itself: the same parameters after a second
    E-step). With the previous volume equal to the new one the E-step runs
    once, whatever the likelihood reached before."""
    calls = []
    original = _mixture.e_step
    monkeypatch.setattr(_mixture, "e_step",
                        lambda *args: calls.append(1) or original(*args))
    params = _mixture.GroupParams(0.8, np.eye(1), np.log(20.0))
    kept, _, _ = _mixture.keep_better_volume(RESIDUALS_2D[:40, :1], params,
                                             np.log(20.0), np.ones(40), np.inf)
    assert kept is params and len(calls) == 1


@pytest.mark.parametrize("values, expected", [
    ([0.0, 0.0, 1.0, 1.0, 2.0, 2.0], 1.0),        # three values, step = the MAD
    ([0.0, 0.5, 1.5, 1.0, 0.5, 2.0, np.nan], 0.5),  # a finer step; NaN left out
    ([1000.0] * 20 + [1100.0, 1200.0], 0.0),      # a few far values: outliers
    ([0.0, 1.0], 0.0),                            # two values: no grid
    (list(np.linspace(0.013, 2.9, 40) ** 1.5), 0.0),  # continuous
])
def test_grid_step(values, expected):
    """Mutants: the finite values lost, three gaps asked for, the gaps
    multiplied by the step, the whole-multiple test lost, loosened to 1 or
    added; the spread about the median's opposite; either condition dropped
    or taken strictly; 1 or nothing returned."""
    assert _mixture.grid_step(np.array(values)) == expected


def test_contaminated_normal_outlier_density_matches_scipy():
    """Mutants: any sign or factor of ``log N(e; 0, k Sigma)``."""
    params = _mixture.GroupParams(0.7, COVARIANCE_2D, np.inf, 4.0)
    distances = _mixture.squared_distances(RESIDUALS_2D, COVARIANCE_2D)
    density = _mixture.outlier_log_density(
        distances, _mixture.log_gaussian_peak(COVARIANCE_2D), params)
    expected = stats.multivariate_normal(mean=[0, 0], cov=4.0 * COVARIANCE_2D).logpdf(
        RESIDUALS_2D)
    assert_allclose(density, expected)


def test_precision_weights_of_a_contaminated_normal_and_of_a_uniform():
    """Mutants: ``r - (1 - r) / k``, ``(1 + r)`` or ``(2 - r)``."""
    resp = np.array([[0.5, 0.5], [0.2, 1.0]])
    params = [_mixture.GroupParams(0.7, np.eye(1), np.inf, 4.0),
              _mixture.GroupParams(0.7, np.eye(1), 0.0)]
    assert_allclose(_mixture.precision_weights(resp, params),
                    [[0.5 + 0.5 / 4, 0.5], [0.2 + 0.8 / 4, 1.0]])


def test_contaminated_m_step_is_the_closed_form():
    """Mutants: ``dof`` defaulting to 1, ``(1 + r) / k``, the covariance
    type not passed on (full taken for diagonal), the log-volume not inf."""
    residuals, weights = RESIDUALS_2D[:60], RNG.uniform(0.5, 2.0, size=60)
    resp = np.linspace(0.1, 1.0, 60)
    params = _mixture.contaminated_m_step(residuals, resp, weights, 4.0,
                                          covariance_type="full", reg_covar=0.0)
    precision = weights * (resp + (1 - resp) / 4.0)
    expected = (residuals * precision[:, None]).T @ residuals / weights.sum()
    assert_allclose(params.covariance, expected)
    assert params.covariance[0, 1] != 0.0
    assert params.log_volume == np.inf
    assert params.inlier_prior == pytest.approx(weights @ resp / weights.sum())


def test_weighted_mean_is_numpys_average_to_the_bit():
    """The E-step's weighted means are ``np.average``'s sums, as floats,
    whatever the total weight (one included); zero weight is refused as
    ``np.average`` refuses it."""
    rng = np.random.RandomState(4)
    values = rng.standard_cauchy(1001)
    for weights in (np.ones(1001), rng.uniform(size=1001), np.full(1001, 1 / 1001)):
        mean = _mixture.weighted_mean(values, weights)
        assert type(mean) is float and mean == np.average(values, weights=weights)
    unit = np.zeros(1001)
    unit[7] = 1.0
    assert _mixture.weighted_mean(values, unit) == values[7]
    with pytest.raises(ZeroDivisionError, match="^Weights sum to zero, can't be normalized$"):
        _mixture.weighted_mean(values, np.zeros(1001))


def test_log_gaussian_peak_of_one_column_is_the_normal_density_at_zero():
    for variance in (1e-8, 0.3, 7.0, 1e12):
        assert_allclose(_mixture.log_gaussian_peak(np.array([[variance]])),
                        stats.norm.logpdf(0.0, scale=np.sqrt(variance)), rtol=1e-14)
