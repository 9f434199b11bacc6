"""Redundant columns in y or X (issue 19).

Outputs that repeat one another, and features that repeat one another, add
no information: the flags and the inlier scale must be those of the data
without the repeats. Data: test_ransac.py's line (400 rows, 160 of them
shifted by 50-60 in both x and y), with ``y`` stacked as several outputs.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from _ransac_line import ransac_line
from sklearn_gum import GUMRegressor, _span

X, y, outliers = ransac_line()
SHIFTED = np.zeros(len(X), dtype=bool)
SHIFTED[outliers] = True
NOISE = np.random.RandomState(2).normal(scale=0.5, size=len(X))


def test_the_line_has_160_shifted_rows():
    assert SHIFTED.sum() == 160


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
def test_an_output_stacked_three_times_flags_the_160(covariance_type):
    # with "full", the start raised "not positive definite"
    gum = GUMRegressor(covariance_type=covariance_type, random_state=0).fit(
        X, np.c_[y, y, y])
    assert_array_equal(gum.inlier_mask_, ~SHIFTED)
    assert_allclose(gum.inlier_prior_, 0.6)


def test_a_noisy_output_stacked_three_times_is_one_output():
    # the same noise in every copy: with "full" the pure Gaussian's density
    # in the two directions the residuals do not span was bounded only by
    # reg_covar, and nothing was flagged (has_outliers_ False)
    one = GUMRegressor(random_state=0, tol=1e-10).fit(X, y + NOISE)
    three = GUMRegressor(random_state=0, tol=1e-10).fit(X, np.c_[y, y, y] + NOISE[:, None])
    assert three.has_outliers_
    assert_array_equal(three.inlier_mask_, one.inlier_mask_)
    assert SHIFTED[~three.inlier_mask_].sum() == 160
    # the monotone EM keeps the box of its own path (three columns take
    # other steps than one): the mixtures agree to 1%
    assert_allclose(three.inlier_prior_, one.inlier_prior_, rtol=1e-2)
    assert_allclose(three.covariance_, np.full((3, 3), one.covariance_[0, 0]), rtol=1e-2)


def test_an_exact_and_a_noisy_copy_flag_the_160():
    gum = GUMRegressor(random_state=0).fit(X, np.c_[y, y + NOISE])
    assert_array_equal(gum.inlier_mask_, ~SHIFTED)


def test_copies_with_independent_noise_flag_what_diag_flags():
    other = np.random.RandomState(1).normal(scale=0.5, size=len(X))
    Y = np.c_[y + NOISE, y + other]
    full = GUMRegressor(random_state=0).fit(X, Y)
    diag = GUMRegressor(covariance_type="diag", random_state=0).fit(X, Y)
    assert_array_equal(full.inlier_mask_, diag.inlier_mask_)
    assert SHIFTED[~full.inlier_mask_].sum() == 160
    assert (~full.inlier_mask_).sum() == 161  # one clean row beyond 2.7 sd


def test_spanning_columns_leave_out_repeats_and_sums():
    residuals = np.random.RandomState(0).normal(size=(50, 3))
    weights = np.ones(50)
    resolution = np.full(5, 1e-6)
    stacked = np.c_[residuals[:, :2], residuals[:, 0], residuals.sum(axis=1),
                    residuals[:, 2]]
    kept = _span.spanning_columns(stacked, weights, resolution)
    assert_array_equal(kept, [0, 1, 3])
    # within the resolution: a copy with noise of variance 1e-8 is a repeat,
    # one with variance 1e-4 is not
    for scale, expected in ((1e-4, [0]), (1e-2, [0, 1])):
        copy = residuals[:, 0] + scale * np.random.RandomState(1).normal(size=50)
        kept = _span.spanning_columns(np.c_[residuals[:, 0], copy], weights,
                                         resolution)
        assert_array_equal(kept, expected)
    # zero-weight rows do not count
    noisy = np.c_[residuals[:, 0], np.r_[residuals[:49, 0], 1e3]]
    assert_array_equal(_span.spanning_columns(noisy, np.r_[np.ones(49), 0.0],
                                                 resolution), [0])


# -- redundant features --------------------------------------------------------

RNG = np.random.RandomState(0)
X2 = RNG.normal(size=(400, 2))
Y2 = X2 @ [1.0, 2.0] + RNG.normal(size=400)
Y2[:80] += 15 * np.sign(RNG.normal(size=80))


@pytest.mark.parametrize("extra", [
    X2[:, 0], np.ones(400), X2[:, 0] + X2[:, 1],
], ids=["repeat", "constant", "sum"])
@pytest.mark.parametrize("init", ["auto", None])
def test_a_redundant_feature_leaves_sigma_as_it_is(extra, init):
    # the degrees of freedom are the rank of the design (LinearRegression's
    # rank_ plus the intercept), not the number of coefficients: Sigma was
    # 0.4% too large here (400 rows, 2 of 3 parameters)
    reference = GUMRegressor(init=init, random_state=0).fit(X2, Y2)
    gum = GUMRegressor(init=init, random_state=0).fit(np.c_[X2, extra], Y2)
    assert gum.estimator_.rank_ == 2
    assert_allclose(gum.covariance_, reference.covariance_, rtol=1e-10)
    assert_array_equal(gum.inlier_mask_, reference.inlier_mask_)
    assert (~gum.inlier_mask_[:80]).all()


def test_a_shared_shift_of_eight_sd_on_two_noisy_copies_is_flagged():
    # 40% of the rows shifted by 8 noise sd in both copies (independent noise,
    # sd 0.5): full and diagonal covariances flag every shifted row
    rng = np.random.RandomState(0)
    line = np.arange(-200, 200)[:, None].astype(float)
    shifted = rng.rand(400) < 0.4
    targets = 0.2 * line + 20 + rng.normal(scale=0.5, size=(400, 2))
    targets[shifted] += 4.0
    full = GUMRegressor(random_state=0).fit(line, targets)
    diag = GUMRegressor(covariance_type="diag", random_state=0).fit(line, targets)
    for gum in (full, diag):
        assert gum.has_outliers_
        assert (~gum.inlier_mask_)[shifted].all()
        assert (~gum.inlier_mask_)[~shifted].mean() < 0.12
