"""The calibrated outlier decision (issue 17): the likelihood-ratio table,
its interpolation, and the false-alarm rate it buys on clean residuals."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats
from sklearn.linear_model import Ridge

from sklearn_gum import GUMRegressor, _calibration, _em, _mixture, _residual_em, _start


@pytest.mark.parametrize("row", range(len(_calibration.SIZES)))
def test_threshold_at_a_simulated_size_is_its_quantile(row):
    for d in (1, 2, 3):
        expected = _calibration.QUANTILES[row, d - 1]
        if np.isnan(expected):
            continue
        got = _calibration.likelihood_ratio_threshold(_calibration.SIZES[row], d)
        assert_allclose(got, expected)


def test_threshold_interpolates_in_log_n_and_holds_at_the_ends():
    sizes, column = _calibration.SIZES, _calibration.QUANTILES[:, 1]
    # halfway in log n between 10 and 15 samples, two columns
    middle = np.sqrt(sizes[1] * sizes[2])
    assert_allclose(_calibration.likelihood_ratio_threshold(middle, 2),
                    (column[1] + column[2]) / 2)
    # below and beyond the table: the first and last simulated values
    assert_allclose(_calibration.likelihood_ratio_threshold(3, 2), column[1])
    assert_allclose(_calibration.likelihood_ratio_threshold(1e6, 2), column[-1])
    assert_allclose(_calibration.likelihood_ratio_threshold(1e6, 1),
                    _calibration.QUANTILES[-2, 0])


def test_threshold_beyond_three_columns_extends_the_last_step():
    two, three = (_calibration.likelihood_ratio_threshold(30, d) for d in (2, 3))
    assert_allclose(_calibration.likelihood_ratio_threshold(30, 5), three + 2 * (three - two))


def test_calibrated_evidence_needs_both_tests():
    params = _mixture.GroupParams(0.9, np.eye(1), 0.0)
    threshold = _calibration.likelihood_ratio_threshold(20, 1)

    def mixture(evidence, ratio):
        return _residual_em.ResidualMixture(evidence, params, np.zeros(1), np.ones(20), 1,
                                        True, ratio)

    assert _calibration.calibrated_evidence(mixture(5.0, threshold + 2), 20, 1) == 2.0
    assert _calibration.calibrated_evidence(mixture(1.0, threshold + 2), 20, 1) == 1.0
    assert _calibration.calibrated_evidence(mixture(5.0, threshold - 3), 20, 1) == -3.0
    assert _calibration.calibrated_evidence(mixture(-1.0, threshold + 9), 20, 1) == -1.0


def test_clean_small_samples_rarely_keep_the_uniform():
    # NEC alone keeps the uniform of a third of clean 10-sample sets (31% in
    # bench_calibration's 400 draws); the calibrated rule of about 1%
    rng = np.random.RandomState(0)
    options = _em.EMOptions(outlier_model="uniform")
    groups = [np.array([0])]
    nec, kept = 0, 0
    for _ in range(100):
        residuals = rng.normal(size=(10, 1))
        decision = _em.decide_outliers(residuals, np.ones(10), groups, options)
        nec += decision.mixtures[0].evidence > 0
        kept += decision.keep[0]
    assert nec >= 20
    assert kept <= 3


@pytest.mark.parametrize("n", [20, 300])
def test_clean_samples_rarely_keep_gaussian_outliers(n):
    """The contaminated normal's own table: about 1% of clean residual sets
    keep it (at most 3 of 100 here), where its likelihood ratio alone,
    against the uniform's table, would keep more."""
    rng = np.random.RandomState(n)
    options = _em.EMOptions(outlier_model="gaussian")
    groups = [np.array([0])]
    kept, ratios = 0, []
    for _ in range(100):
        residuals = rng.normal(size=(n, 1))
        decision = _em.decide_outliers(residuals, np.ones(n), groups, options)
        kept += decision.keep[0]
        ratios.append(decision.mixtures[0].likelihood_ratio)
    assert kept <= 3
    assert min(ratios) >= 0  # the nested Gaussian bounds the ratio below
    threshold = _calibration.likelihood_ratio_threshold(n, 1, "gaussian")
    assert np.sum(np.array(ratios) > threshold) >= kept


def test_gaussian_thresholds_do_not_grow_with_n_or_d():
    """The envelope of the simulated quantiles: non-increasing in n; beyond
    three columns the largest of the three."""
    for d in (1, 2, 3):
        values = [_calibration.likelihood_ratio_threshold(n, d, "gaussian")
                  for n in (8, 30, 300, 3000, 20000, 10**6)]
        assert np.all(np.diff(values) <= 0)
    assert _calibration.likelihood_ratio_threshold(500, 7, "gaussian") == max(
        _calibration.likelihood_ratio_threshold(500, d, "gaussian") for d in (1, 2, 3))


def test_vuong_prefers_a_model_only_when_it_is_significantly_better():
    """Vuong's one-sided test at 1%: z = sum d / sqrt(sum (d - mean)^2)."""
    rng = np.random.RandomState(0)
    noise = rng.normal(size=400)
    weights = np.ones(400)
    # a mean gain of 0.2 with sd 1: z = 0.2 * sqrt(400) / 1 = 4 > 2.33
    assert _calibration.significantly_better(0.2 + noise, np.zeros(400), weights)
    # a mean gain of 0.05: z about 1 (not significant)
    assert not _calibration.significantly_better(0.05 + noise, np.zeros(400), weights)
    shifted = noise - noise.mean()
    z = lambda gain: gain * 20 / shifted.std()
    assert z(0.12) > 2.3264 > z(0.11)
    assert _calibration.significantly_better(0.12 + shifted, np.zeros(400), weights)
    assert not _calibration.significantly_better(0.11 + shifted, np.zeros(400), weights)
    # equal models, or a constant loss, never
    assert not _calibration.significantly_better(np.zeros(5), np.zeros(5), np.ones(5))


def fisher_gain(prior, scale, n_columns):
    """The gain of contaminated_normal_gain from the Fisher information for
    location of the density itself, integrated on a grid (1 or 2 columns)."""
    width = 12 * np.sqrt(scale)
    axis = np.linspace(-width, width, 1201 if n_columns == 2 else 200001)
    step = axis[1] - axis[0]
    if n_columns == 1:
        points = axis[:, None]
    else:
        points = np.stack(np.meshgrid(axis, axis), axis=-1).reshape(-1, 2)
    inlier = prior * stats.multivariate_normal(np.zeros(n_columns)).pdf(points)
    outlier = (1 - prior) * stats.multivariate_normal(
        np.zeros(n_columns), scale * np.eye(n_columns)).pdf(points)
    density = np.reshape(inlier + outlier, -1)
    score = -points[:, 0] * (inlier + outlier / scale) / density  # d/dx log f
    information = np.sum(score**2 * density) * step**n_columns
    return np.sqrt((prior + (1 - prior) * scale) * information) - 1


@pytest.mark.parametrize("prior, scale, n_columns", [
    (0.6, 1.7, 1), (0.9, 5.0, 1), (0.8, 10.0, 1), (0.4, 10.0, 1), (0.95, 2.1, 1),
    (0.8, 10.0, 2), (0.6, 2.0, 2),
])
def test_contaminated_normal_gain_is_the_efficiency_over_least_squares(prior, scale,
                                                                        n_columns):
    gain = _calibration.contaminated_normal_gain(prior, scale, n_columns)
    assert gain == pytest.approx(fisher_gain(prior, scale, n_columns), rel=2e-3, abs=1e-5)
    assert _calibration.contaminated_normal_gain(1.0, scale, n_columns) == 0.0
    assert _calibration.contaminated_normal_gain(prior, 1.0, n_columns) == 0.0


def test_gaussian_outliers_that_promise_no_accuracy_are_refused():
    """Half the residuals 35% wider than the others (k = 1.82): at 20,000
    rows the likelihood ratio is far beyond its threshold, but the fit
    would be 0.4% more accurate; errors of three times the inliers' sd
    (k = 9) on a fifth of the rows promise 30% and are kept."""
    options = _em.EMOptions(outlier_model="gaussian")
    groups = [np.array([0])]
    rng = np.random.RandomState(3)
    mild = rng.normal(size=(20000, 1)) * np.where(rng.rand(20000, 1) < 0.5, 1.35, 1.0)
    decision = _em.decide_outliers(mild, np.ones(20000), groups, options)
    mixture = decision.mixtures[0]
    threshold = _calibration.likelihood_ratio_threshold(20000, 1, "gaussian")
    assert mixture.likelihood_ratio > threshold + 10
    params = mixture.params
    gain = _calibration.contaminated_normal_gain(params.inlier_prior,
                                                 params.outlier_scale, 1)
    assert gain < _calibration.MIN_GAUSSIAN_GAIN and not decision.keep[0]
    assert decision.evidence[0] == pytest.approx(
        2 * 20000 * (np.log1p(gain) - np.log1p(_calibration.MIN_GAUSSIAN_GAIN)))
    gross = rng.normal(size=(20000, 1)) * np.where(rng.rand(20000, 1) < 0.2, 3.0, 1.0)
    assert _em.decide_outliers(gross, np.ones(20000), groups, options).keep[0]


def test_subset_thresholds_are_the_simulated_quantiles_between_them_interpolated():
    threshold = _calibration.subset_threshold
    for model, table in _calibration.SUBSET_QUANTILES.items():
        for n, row in zip(_calibration.SUBSET_SIZES, table):
            plain = _calibration.likelihood_ratio_threshold(n, 1, model)
            for dof, value in zip(_calibration.SUBSET_DOFS, row):
                if not np.isnan(value):
                    assert threshold(n, dof, model) == pytest.approx(max(value, plain))
                    assert threshold(n, dof, model) >= plain
        # linear in dof between two simulated columns, flat beyond the last
        middle = 0.5 * (table[-1, 2] + table[-1, 3])
        assert threshold(100, 5, model) == pytest.approx(max(
            middle, _calibration.likelihood_ratio_threshold(100, 1, model)))
        assert threshold(100, 40, model) == threshold(100, 10, model)
        assert threshold(5000, 4, model) == pytest.approx(max(
            table[-1, 2], _calibration.likelihood_ratio_threshold(5000, 1, model)))


def test_a_least_squares_subset_start_is_decided_by_its_own_thresholds(monkeypatch):
    seen = []
    original = _em.calibrated_evidence

    def record(mixture, n_samples, n_columns, outlier_model="uniform", **kwargs):
        seen.append((outlier_model, kwargs.get("subset_dof")))
        return original(mixture, n_samples, n_columns, outlier_model, **kwargs)

    monkeypatch.setattr(_em, "calibrated_evidence", record)
    rng = np.random.RandomState(0)
    X, y = rng.normal(size=(30, 3)), rng.normal(size=30)
    GUMRegressor(init="subsets", random_state=0).fit(X, y)
    assert seen == [("uniform", 4), ("gaussian", 4)]
    seen.clear()
    GUMRegressor(init=None).fit(X, y)
    assert seen == [("uniform", None), ("gaussian", None)]
    seen.clear()  # not least squares: the plain thresholds
    GUMRegressor(Ridge(), init="subsets", random_state=0).fit(X, y)
    assert seen[:2] == [("uniform", None), ("gaussian", None)]
    # a subset start that no reweighting step could refit is still one
    seen.clear()
    monkeypatch.setattr(_start, "reweighted", lambda fitted, refit: (fitted, None))
    GUMRegressor(init="subsets", random_state=0).fit(X, y)
    assert seen[:2] == [("uniform", 4), ("gaussian", 4)]


@pytest.mark.parametrize("n, p", [(20, 3), (30, 7)])
def test_clean_small_data_from_subsets_rarely_keeps_an_outlier_component(n, p):
    # 5 and 3.75 rows per parameter: with the plain thresholds 6-10% of such
    # fits kept one (simulate_subset_null); two models at 1% each here
    kept = 0
    for seed in range(40):
        rng = np.random.RandomState(500 + seed)
        X, y = rng.normal(size=(n, p)), rng.normal(size=n)
        kept += GUMRegressor(random_state=seed).fit(X, y).has_outliers_[0]
    assert kept <= 2


def test_auto_searches_subsets_only_where_their_thresholds_were_simulated():
    from sklearn_gum._regressor_em import subsets_calibrated

    # from 3 rows per parameter for up to 10 parameters, from 10 otherwise
    assert subsets_calibrated(30, 10) and subsets_calibrated(9, 3)
    assert not subsets_calibrated(29, 10) and not subsets_calibrated(8, 3)
    assert not subsets_calibrated(109, 11) and subsets_calibrated(110, 11)
    seen = []
    original = _em.calibrated_evidence

    def record(mixture, n_samples, n_columns, outlier_model="uniform", **kwargs):
        seen.append(kwargs.get("subset_dof"))
        return original(mixture, n_samples, n_columns, outlier_model, **kwargs)

    rng = np.random.RandomState(0)
    for n, p, expected in ((60, 13, None), (60, 9, 10)):
        seen.clear()
        _em.calibrated_evidence = record
        try:
            GUMRegressor().fit(rng.normal(size=(n, p)), rng.normal(size=n))
        finally:
            _em.calibrated_evidence = original
        assert seen[:2] == [expected, expected]
