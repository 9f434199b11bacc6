"""The largest-residual test after a least-squares subset start (issue 17).

Each expected number says where it comes from: scipy's t and chi-squared
quantiles, the simulated factors of ``_max_residual.THRESHOLD_FACTORS``, or
a data set built here.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats
from sklearn.linear_model import Ridge

from sklearn_gum import GUMRegressor, _em, _max_residual, _regressor_em, _residual_em, _start


def test_bonferroni_threshold_is_the_t_quantile_of_alpha_over_2n():
    for n, dof in [(12, 3), (25, 3), (1000, 10)]:
        expected = stats.t.isf(0.01 / (2 * n), n - dof)
        assert _max_residual.bonferroni_threshold(n, dof) == pytest.approx(expected)
    # on the degrees of freedom of a scale from 8 of 12 rows
    assert _max_residual.bonferroni_threshold(12, 3, 8) == pytest.approx(
        stats.t.isf(0.01 / 24, 5))


def test_threshold_is_bonferroni_times_the_simulated_factor_between_them_interpolated():
    sizes, dofs = _max_residual.FACTOR_SIZES, _max_residual.FACTOR_DOFS
    table = _max_residual.THRESHOLD_FACTORS
    assert not np.isnan(table[sizes >= 3 * dofs[-1]]).any()
    # the envelope: the largest factor at each size or any larger one
    factors = _max_residual.envelope()
    for j in range(len(dofs)):
        known = ~np.isnan(table[:, j])
        expected = [np.max(table[i:, j][known[i:]]) for i in np.flatnonzero(known)]
        assert_allclose(factors[known, j], expected)
    for i, n in enumerate(sizes):
        for j, dof in enumerate(dofs):
            if n >= 3 * dof:  # never below Bonferroni's
                assert _max_residual.threshold(n, dof) == pytest.approx(
                    max(factors[i, j], 1) * _max_residual.bonferroni_threshold(n, dof))
    # halfway in log n and in dof
    n = int(round(np.sqrt(sizes[3] * sizes[4])))
    factor = np.interp(np.log(n), np.log(sizes[3:5]), [factors[3, 1:3].mean(),
                                                      factors[4, 1:3].mean()])
    assert factor > 1
    assert _max_residual.threshold(n, 3.5) == pytest.approx(
        factor * _max_residual.bonferroni_threshold(n, 3.5), rel=1e-9)
    # beyond the table: the nearest factor, here below one, so Bonferroni's
    assert factors[-1, -1] < 1
    assert _max_residual.threshold(50_000, 40) == pytest.approx(
        _max_residual.bonferroni_threshold(50_000, 40))
    assert _max_residual.threshold(12, 2) == pytest.approx(
        np.interp(np.log(12), np.log([10, 15]), factors[:2, 0])
        * _max_residual.bonferroni_threshold(12, 2))


def test_largest_residual_is_the_largest_deviation_over_the_corrected_scale():
    residuals = np.array([0.5, -1.0, 1.5, -0.5, 0.0, 8.0])
    fitted = np.array([True] * 5 + [False])
    weights = np.ones(6)
    centre = residuals[:5].mean()
    radius = stats.chi2.ppf(0.975, 1)
    consistency = 0.975 / stats.chi2.cdf(radius, 3)
    scale = np.sqrt(consistency * np.mean((residuals[:5] - centre) ** 2))
    assert _max_residual.largest_residual(residuals, weights, fitted) == pytest.approx(
        (8.0 - centre) / scale)
    # a row of zero weight is neither in the scale nor a candidate
    weights[-1] = 0
    assert _max_residual.largest_residual(residuals, weights, fitted) == pytest.approx(
        (1.5 - centre) / scale)
    # fitted rows without spread: any other deviation is infinitely far
    assert _max_residual.largest_residual(np.array([1.0, 1, 1, 2]), np.ones(4),
                                          np.array([True, True, True, False])) == np.inf


def test_evidence_is_positive_exactly_above_the_threshold():
    rng = np.random.RandomState(0)
    residuals = rng.normal(size=40)
    fitted = np.ones(40, dtype=bool)
    statistic = _max_residual.largest_residual(residuals, np.ones(40), fitted)
    evidence = _max_residual.evidence(residuals, np.ones(40), fitted, 3)
    assert evidence == pytest.approx(statistic**2 - _max_residual.threshold(40, 3) ** 2)
    assert evidence < 0
    # a start refitted on 30 rows: the threshold on 27 degrees of freedom;
    # frequency weights count as rows
    fitted[:10] = False
    weights = np.ones(40)
    weights[-1] = 3
    statistic = _max_residual.largest_residual(residuals, weights, fitted)
    assert _max_residual.evidence(residuals, weights, fitted, 3) == pytest.approx(
        statistic**2 - _max_residual.threshold(42, 3, 32) ** 2)
    residuals[7] = 12.0
    assert _max_residual.evidence(residuals, np.ones(40), fitted, 3) > 0


def test_central_radius_is_students_prediction_quantile_and_tends_to_chi2():
    for nu in (4, 10, 30):
        assert _start.central_radius(1, nu) == pytest.approx(stats.t.ppf(0.9875, nu) ** 2)
    for d in (1, 3):
        assert _start.central_radius(d, 1e7) == pytest.approx(stats.chi2.ppf(0.975, d),
                                                              rel=1e-4)
    assert _start.central_radius(2, 10) > stats.chi2.ppf(0.975, 2)


def test_best_half_is_centred_on_its_mean_not_on_a_dragged_median():
    # 8 inliers about 0 and 4 residuals at -10, -12, -14, -16: the median
    # is dragged half an inlier sd down; the best half is the inliers'
    inliers = np.array([-0.6, -0.3, -0.1, 0.0, 0.1, 0.2, 0.4, 0.6])
    residuals = np.r_[inliers, [-10.0, -12, -14, -16]][:, None]
    weights = np.ones(12)
    centred, covariance, inside = _start._best_half(residuals, weights, 0, 0.0, 0.0)
    half = np.flatnonzero(inside)
    assert set(half) <= set(range(8))
    assert_allclose(residuals[:, 0] - centred[:, 0], residuals[half, 0].mean())
    # the median is -0.2, the best half's mean -0.117, the inliers' 0.0375;
    # the spread of the best half about its mean is the smaller (heart's
    # start kept its outliers back with the median's)
    assert np.median(residuals) == pytest.approx(-0.2)
    assert residuals[half, 0].mean() == pytest.approx(-0.7 / 6)
    from sklearn_gum._residual_em import robust_covariance

    about_median, _ = robust_covariance(residuals + 0.2, weights)
    assert covariance[0, 0] < 0.95 * about_median[0, 0]


def one_sided_small(seed, n=12, n_outliers=4, shift=15.0):
    """A heart-like set: ``n`` rows, 2 correlated features, unit noise,
    ``n_outliers`` rows ``shift`` to ``shift + 8`` sd below the fit."""
    rng = np.random.RandomState(seed)
    base = rng.normal(size=n)
    X = np.c_[base, base + 0.3 * rng.normal(size=n)]
    y = X @ [2.0, -1.0] + rng.normal(size=n)
    outliers = np.zeros(n, dtype=bool)
    outliers[rng.choice(n, n_outliers, replace=False)] = True
    y[outliers] -= shift + 8 * rng.uniform(size=n_outliers)
    return X, y, outliers


@pytest.mark.parametrize("seed", range(4))
def test_a_third_of_one_sided_gross_outliers_in_twelve_rows_are_flagged(seed):
    # robustbase's heart (12 rows, 4 outliers below the fit) flagged
    # nothing: the reweighting centred at the median kept the outliers, and
    # the mixture's likelihood ratio (3.7) is far below its 99% quantile
    X, y, outliers = one_sided_small(seed)
    gum = GUMRegressor(random_state=seed).fit(X, y)
    assert gum.has_outliers_
    assert_array_equal(~gum.inlier_mask_, outliers)


def test_the_test_reads_one_column_groups_of_a_refitted_start_only():
    rng = np.random.RandomState(0)
    scaled = rng.normal(size=(30, 3))
    fitted = np.ones(30, dtype=bool)
    groups = [np.array([0]), np.array([1, 2])]
    tests = _regressor_em._largest_residual_tests(scaled, np.ones(30), fitted, groups, 3)
    assert tests[0] == pytest.approx(_max_residual.evidence(scaled[:, 0], np.ones(30),
                                                            fitted, 3))
    assert np.isnan(tests[1])
    assert np.isnan(_regressor_em._largest_residual_tests(
        scaled, np.ones(30), None, groups, 3)).all()


def test_the_uniform_of_a_least_squares_subset_start_is_decided_by_the_test(monkeypatch):
    seen = []
    original = _max_residual.evidence

    def record(*args):
        seen.append(original(*args))
        return seen[-1]

    monkeypatch.setattr(_max_residual, "evidence", record)
    X, y, _ = one_sided_small(0)
    gum = GUMRegressor(random_state=0).fit(X, y)
    assert len(seen) == 1 and gum.outlier_evidence_ == pytest.approx(seen[0])
    seen.clear()
    GUMRegressor(init=None).fit(X, y)
    assert seen == []
    GUMRegressor(Ridge(), init="subsets", random_state=0).fit(X, y)
    assert seen == []


def test_gaussian_shaped_noise_keeps_the_contaminated_normal_when_the_test_fires():
    # 30% of 400 residuals with three times the sd: both models supported
    # once the largest-residual test fires; the uniform's mixture leaves
    # its assignments undecided (NEC evidence below zero) and gives way,
    # as it did when NEC refused it (Vuong's test alone keeps the uniform)
    rng = np.random.RandomState(3)
    residuals = rng.normal(size=(400, 1))
    residuals[rng.rand(400) < 0.3] *= 3
    groups, options = [np.array([0])], _em.EMOptions()
    decision = _em.decide_outliers(residuals, np.ones(400), groups, options,
                                   tests=np.array([5.0]))
    assert decision.keep[0] and decision.models == ["gaussian"]
    uniform = _residual_em.residual_evidence(
        residuals, np.ones(400), outlier_model="uniform", **options.mixture_for([0]))
    assert uniform.evidence < 0
    # no test: the uniform's own tests refuse it, the Gaussian is kept
    assert _em.decide_outliers(residuals, np.ones(400), groups, options).models == [
        "gaussian"]


def test_the_reweighting_counts_frequency_weights_as_rows():
    # a row of weight 3 is three rows: the radius of a scale fitted to
    # them has as many degrees of freedom as the repeated rows give
    rng = np.random.RandomState(0)
    residuals = rng.normal(size=(12, 1))
    weights = np.ones(12)
    weights[:3] = 3
    repeated = np.repeat(residuals, weights.astype(int), axis=0)
    distances, radius = _start._distances(residuals, weights, None, 2, 0.0, None)
    repeated_distances, repeated_radius = _start._distances(
        repeated, np.ones(len(repeated)), None, 2, 0.0, None)
    assert radius == pytest.approx(repeated_radius)
    # and the scale, with its small-sample factor for 18 rows
    first_copy = np.cumsum(weights).astype(int) - weights.astype(int)
    assert_allclose(distances, repeated_distances[first_copy])
    kept = np.ones(12, dtype=bool)
    _, radius = _start._distances(residuals, weights, kept, 2, 0.0, 5.0)
    assert radius == pytest.approx(_start.central_radius(1, 18 - 2))
