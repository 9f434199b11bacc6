"""The largest residual of a robust least-squares start: an outlier test.

After a least-squares subset start (``init="subsets"``) the decision tests
for the uniform of a one-column group with the classical outlier test on
the largest studentized residual (the Bonferroni outlier test) instead of
the mixture's likelihood ratio, computed against the robust start rather
than a plain fit, which masks clustered outliers. On a few dozen rows with a handful of gross
outliers the mixture's ratio has little power (its null distribution is
wide: a mixture can fit a tight Gaussian to any few rows), while one row
five standard deviations from the fit of the others is already rare on
clean data.

The start is a least-squares fit to the rows ``K`` it calls inliers
(:func:`sklearn_gum._start.reweighted`); its residuals, studentized by
their leverage (:func:`sklearn_gum._leverage.studentized`), have the
errors' variance, estimated from the rows in ``K`` (their second moment
about their mean, corrected for the 97.5% cut that chose them). The
statistic is the largest studentized residual over that scale,

    T = max_n |e_n - m_K| / s_K.

For one fit to all rows ``T`` is the externally studentized residual test
with Bonferroni's threshold ``t_{n - p}^{-1}(1 - alpha / (2 n))``. A start
refitted on ``m`` rows has a scale of ``m - p`` degrees of freedom, and
Bonferroni's threshold is taken on those (``t_{m - p}``): a start that left
clean rows out by chance, its scale from the rest too small, is judged
with the wider threshold that its few degrees of freedom ask for. The
robust start was also chosen for its small trimmed residuals among
hundreds, which makes ``T`` larger on clean data; the threshold is
Bonferroni's times a factor simulated on clean data for that start
(``benchmarks/simulate_max_residual.py``, ``THRESHOLD_FACTORS``), so that
``T`` exceeds it with probability ``FALSE_ALARM_RATE`` at every simulated
size. Beyond the simulated sizes the factor of the largest holds (the
start's scale converges, and the factor with it).
"""

import numpy as np
from scipy import stats

from ._calibration import FALSE_ALARM_RATE, SUBSET_MIN_ROWS_PER_PARAMETER, interpolate_table
from ._leverage import frequency_counts
from ._mixture import trimmed_consistency
from ._start import REWEIGHT_SHARE

FACTOR_SIZES = np.array([10, 15, 20, 30, 50, 100, 300, 1000])
FACTOR_DOFS = np.array([2, 3, 4, 6, 10])
# THRESHOLD_FACTORS[i, j]: the 99% quantile of T on clean data over
# Bonferroni's threshold, FACTOR_SIZES[i] rows, FACTOR_DOFS[j] parameters
# (nan: fewer than 3 rows per parameter), from
# benchmarks/simulate_max_residual.py (benchmarks/results/
# simulate_max_residual_normal.md).
THRESHOLD_FACTORS = np.array([
    [1.4457, 1.8322, np.nan, np.nan, np.nan],
    [1.2376, 1.3696, 2.1291, np.nan, np.nan],
    [1.2281, 1.5457, 1.4879, 1.3956, np.nan],
    [1.1015, 1.1803, 1.3232, 1.3608, 1.3872],
    [1.1829, 1.1174, 1.1083, 1.2454, 1.4099],
    [1.0446, 1.0711, 1.0631, 1.0997, 1.0710],
    [1.0177, 0.9410, 0.9850, 0.9823, 0.9944],
    [0.9664, 0.9725, 1.0401, 0.9596, 0.9515],
])
MIN_ROWS_PER_PARAMETER = SUBSET_MIN_ROWS_PER_PARAMETER  # the cells simulated


def largest_residual(studentized, sample_weight, fitted_rows):
    """``T``, the largest studentized residual over the scale of the rows
    the start was fitted on (see the module docstring).

    Parameters
    ----------
    studentized : ndarray of shape (n_samples,)
        Residuals of the start studentized by their leverage.
    sample_weight : ndarray of shape (n_samples,)
    fitted_rows : ndarray of bool of shape (n_samples,)

    Returns
    -------
    statistic : float
        ``inf`` where the fitted rows have no spread and another row does.
    """
    weighted = sample_weight > 0
    inside = sample_weight * (fitted_rows & weighted)
    centre = inside @ studentized / inside.sum()
    deviations = np.abs(studentized - centre)
    consistency = trimmed_consistency(stats.chi2.ppf(REWEIGHT_SHARE, 1), 1)
    scale = np.sqrt(consistency * (inside @ deviations**2) / inside.sum())
    largest = deviations[weighted].max()
    if scale == 0:
        return np.inf if largest > 0 else 0.0
    return float(largest / scale)


def bonferroni_threshold(n_samples, dof, n_fitted=None):
    """Bonferroni's threshold for the largest of ``n_samples`` studentized
    residuals of a fit with ``dof`` parameters to ``n_fitted`` of them (all
    by default): Student's ``t`` on the ``n_fitted - dof`` degrees of
    freedom of the scale."""
    n_fitted = n_samples if n_fitted is None else n_fitted
    return float(stats.t.isf(FALSE_ALARM_RATE / (2 * n_samples),
                             max(n_fitted - dof, 1)))


def envelope():
    """``THRESHOLD_FACTORS`` made non-increasing in ``n`` per number of
    parameters: each factor is the largest at its size or any larger one.
    A 99% quantile of a heavy tail is noisy (the eighth largest of 800
    draws); the search's selection can only weigh less as rows are added,
    and the envelope errs on the side of fewer alarms."""
    factors = THRESHOLD_FACTORS.copy()
    for column in factors.T:
        known = ~np.isnan(column)
        column[known] = np.maximum.accumulate(column[known][::-1])[::-1]
    return factors


def threshold(n_samples, dof, n_fitted=None):
    """The ``1 - FALSE_ALARM_RATE`` quantile of ``T`` on clean data after a
    subset start: Bonferroni's threshold times the simulated factor (their
    :func:`envelope`, interpolated by
    :func:`sklearn_gum._calibration.interpolate_table`); never below
    Bonferroni's (from 300 rows the simulated factors are within
    their noise of one).

    Parameters
    ----------
    n_samples : float
        Number of observations (weighted rows, counting frequency weights).
    dof : int
        Parameters of the least-squares fit (features and intercept).
    n_fitted : float, default=None
        Observations the start was refitted on (all by default).

    Returns
    -------
    threshold : float
    """
    factor = interpolate_table(n_samples, dof, FACTOR_SIZES, FACTOR_DOFS, envelope())
    return float(max(factor, 1.0) * bonferroni_threshold(n_samples, dof, n_fitted))


def evidence(studentized, sample_weight, fitted_rows, dof):
    """The test's evidence for the uniform on the deviance scale,
    ``T^2 - threshold^2``: positive when ``T`` exceeds its threshold. The
    number of observations tested counts frequency weights
    (:func:`sklearn_gum._leverage.frequency_counts`): a row of weight 2 is
    two rows with the same residual."""
    counts = frequency_counts(sample_weight)
    statistic = largest_residual(studentized, sample_weight, fitted_rows)
    return statistic**2 - threshold(counts.sum(), dof, counts @ fitted_rows)**2
