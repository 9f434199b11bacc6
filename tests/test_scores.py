"""Per-sample scores of a fitted GUMRegressor and the shapes of its fitted
attributes, whatever spelled the groups."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from scipy import stats

from sklearn_gum import GUMRegressor

rng = np.random.RandomState(0)
X = rng.normal(size=(200, 2))
Y2 = np.column_stack([X @ [2.0, -1.0], X @ [0.5, 1.0]]) + rng.normal(
    scale=0.1, size=(200, 2))
Y2[:20] += rng.uniform(5, 10, size=(20, 2))
Y1 = Y2[:, 0].copy()


def mixture_log_density(residuals, rho, covariance, volume):
    """log(rho N(e; 0, Sigma) + (1 - rho) / gamma) by scipy.stats."""
    covariance = np.atleast_2d(covariance)
    gauss = stats.multivariate_normal(mean=np.zeros(len(covariance)), cov=covariance)
    return np.log(rho * gauss.pdf(residuals) + (1 - rho) / volume)


def test_log_density_is_the_mixture_log_density():
    gum = GUMRegressor().fit(X, Y1)
    residuals = Y1 - gum.predict(X)
    expected = mixture_log_density(residuals, gum.inlier_prior_, gum.covariance_,
                                   gum.uniform_volume_)
    assert_allclose(gum.log_density(X, Y1), expected, rtol=1e-10)
    # The training log-likelihood is their mean.
    assert gum.log_likelihood_ == pytest.approx(np.mean(expected), rel=1e-8)


def test_log_density_sums_the_groups():
    gum = GUMRegressor(outlier_granularity="output", outlier_component="always").fit(
        X, Y2)
    residuals = Y2 - gum.predict(X)
    expected = sum(
        mixture_log_density(residuals[:, k], gum.inlier_prior_[k],
                            gum.covariance_[k, k], gum.uniform_volume_[k])
        for k in range(2)
    )
    assert_allclose(gum.log_density(X, Y2), expected, rtol=1e-10)


def test_inlier_score_is_the_log_odds_at_the_threshold():
    gum = GUMRegressor(threshold=0.3).fit(X, Y1)
    residuals = Y1 - gum.predict(X)
    rho, volume = gum.inlier_prior_, gum.uniform_volume_
    log_inlier = np.log(rho) + stats.norm(scale=np.sqrt(gum.covariance_[0, 0])).logpdf(
        residuals)
    expected = log_inlier - np.log((1 - rho) / volume) - np.log(0.7 / 0.3)
    scores = gum.inlier_score(X, Y1)
    assert_allclose(scores, expected, rtol=1e-8, atol=1e-8)
    assert_array_equal(scores > 0, gum.outlier_proba(X, Y1) < 0.3)
    assert_array_equal(scores > 0, gum.inlier_mask_)


def test_scores_of_far_residuals():
    gum = GUMRegressor().fit(X, Y1)
    y = Y1.copy()
    y[0] = 1e300
    rho, volume = gum.inlier_prior_, gum.uniform_volume_
    assert gum.log_density(X, y)[0] == pytest.approx(np.log((1 - rho) / volume))
    assert gum.inlier_score(X, y)[0] == -np.inf


def test_scores_without_outliers():
    clean = X @ [2.0, -1.0] + rng.normal(scale=0.1, size=200)
    gum = GUMRegressor().fit(X, clean)
    assert not gum.has_outliers_.any()
    residuals = clean - gum.predict(X)
    expected = stats.norm(scale=np.sqrt(gum.covariance_[0, 0])).logpdf(residuals)
    assert_allclose(gum.log_density(X, clean), expected, rtol=1e-10)
    assert np.all(gum.inlier_score(X, clean) == np.inf)


@pytest.mark.parametrize("granularity, y", [
    ("sample", Y2), ([[0, 1]], Y2), ("output", Y1), ("sample", Y1),
    ("sample", Y1[:, None]), ("output", Y1[:, None]), ([[0]], Y1[:, None]),
])
def test_one_group_gives_the_same_shapes_whatever_its_spelling(granularity, y):
    gum = GUMRegressor(outlier_granularity=granularity).fit(X, y)
    assert len(gum.groups_) == 1
    assert gum.outlier_proba_.shape == (200,)
    assert gum.inlier_mask_.shape == (200,)
    assert isinstance(gum.inlier_prior_, float)
    assert isinstance(gum.uniform_volume_, float)
    assert isinstance(gum.outlier_evidence_, float)
    assert gum.has_outliers_.shape == (1,) and gum.has_outliers_.dtype == bool
    assert gum.outlier_proba(X, y).shape == (200,)
    assert gum.inlier_score(X, y).shape == (200,)
    assert gum.log_density(X, y).shape == (200,)


@pytest.mark.parametrize("granularity", ["output", [[0], [1]]])
def test_several_groups_give_one_column_each(granularity):
    gum = GUMRegressor(outlier_granularity=granularity).fit(X, Y2)
    assert gum.outlier_proba_.shape == (200, 2)
    assert np.shape(gum.inlier_prior_) == (2,)
    assert gum.has_outliers_.shape == (2,) and gum.has_outliers_.dtype == bool
    assert gum.inlier_score(X, Y2).shape == (200, 2)
    assert gum.log_density(X, Y2).shape == (200,)


def test_min_evidence_is_a_margin_on_the_evidence():
    gum = GUMRegressor().fit(X, Y1)
    assert gum.has_outliers_.all()
    per_sample = gum.outlier_evidence_ / 200
    kept = GUMRegressor(min_evidence=0.9 * per_sample).fit(X, Y1)
    dropped = GUMRegressor(min_evidence=1.1 * per_sample).fit(X, Y1)
    assert kept.has_outliers_.all() and not dropped.has_outliers_.any()
    assert dropped.outlier_evidence_ == pytest.approx(gum.outlier_evidence_)


def test_counters_agree_on_clean_data():
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    from sklearn_gum.plotting import ConvergenceDisplay

    clean = X @ [2.0, -1.0] + rng.normal(scale=0.1, size=200)
    for init in ("auto", None):
        gum = GUMRegressor(init=init).fit(X, clean)
        assert not gum.has_outliers_.any()
        # one iteration, the plain fit (scikit-learn wants n_iter_ >= 1)
        assert gum.n_iter_ == 1 and gum.converged_
        assert len(gum.history_["log_likelihood"]) == gum.n_iter_ + 1
        display = ConvergenceDisplay.from_estimator(gum)
        assert display.ax_.get_title() == "EM converged after 1 iterations"
        matplotlib.pyplot.close("all")
    dirty = GUMRegressor().fit(X, Y1)
    assert dirty.n_iter_ >= 1
    assert len(dirty.history_["log_likelihood"]) == dirty.n_iter_ + 1
