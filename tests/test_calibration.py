"""The calibrated outlier decision (issue 17): the likelihood-ratio table,
its interpolation, and the false-alarm rate it buys on clean residuals."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from sklearn_gum import _calibration, _em, _mixture, _residual_em


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
    assert np.sum(np.array(ratios) > threshold) == kept


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
