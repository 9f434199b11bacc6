"""The outlier decision's false-alarm rate on clean data, by simulation.

Whether a group keeps its uniform component is decided on fixed residuals
by the EM of the mixture against a Gaussian
(:func:`sklearn_gum._residual_em.residual_evidence`), with two statistics:

- the NEC evidence ``2 (L_mixture - L_gaussian) - 2 sum_n w_n H(r_n)``:
  the likelihood gained net of the entropy of the assignments. On clean
  data of a few hundred samples or more it is far below zero, but on small
  samples it is often positive (a third of clean 10-sample sets in one
  column, nine in ten in three columns): a mixture overfits a few points;
- the likelihood ratio ``2 (L_mixture - L_gaussian)``, whose distribution
  on clean Gaussian residuals depends on the number of samples ``n`` and
  of columns ``d`` alone (the EM over the residuals is affine
  equivariant), and varies little with ``n``.

The uniform is kept when the NEC evidence is positive *and* the likelihood
ratio exceeds its ``1 - FALSE_ALARM_RATE`` quantile on clean residuals of
the same size (:func:`calibrated_evidence`): on clean Gaussian residuals
the uniform is kept with probability at most ``FALSE_ALARM_RATE`` at every
``n``. The quantiles below come from ``benchmarks/bench_calibration.py``
(standard Gaussian residuals, the default mixture settings, ``DRAWS`` draws
per cell); the same script measures the false-alarm rate of whole fits per
number of samples and features.

The contaminated normal (Gaussian outliers ``N(0, k Sigma)``) overlaps the
inliers by design: NEC, which charges for every undecided assignment,
would refuse it on any data. It is kept when its likelihood ratio alone
exceeds its own simulated 99% quantile (``GAUSSIAN_QUANTILES``, from 8 to
20,000 samples: that ratio's null distribution does not settle at the
sizes where NEC decides the uniform's).
"""

import numpy as np
from scipy import stats

FALSE_ALARM_RATE = 0.01
DRAWS = 400
SIZES = np.array([8, 10, 15, 20, 30, 40, 60, 100])
# QUANTILES[i, d - 1]: the 99% quantile of the likelihood ratio of SIZES[i]
# clean residuals in d columns (nan: not simulated, too few samples for d).
QUANTILES = np.array([
    [13.61, np.nan, np.nan],
    [16.42, 32.08, 47.39],
    [15.77, 28.43, 40.43],
    [17.89, 29.63, 41.26],
    [19.08, 28.47, 42.68],
    [16.91, 25.19, 40.09],
    [14.00, 25.09, 35.62],
    [np.nan, 24.73, 31.14],
])
GAUSSIAN_SIZES = np.array([8, 10, 15, 20, 30, 40, 60, 100, 200, 500, 1000, 3000, 10000,
                           20000])
# GAUSSIAN_QUANTILES[i, d - 1]: the same for the contaminated normal, from
# its own EM (a ratio below 0, where the EM stopped short of k = 1, is 0).
# A 99% quantile of 400 draws is the fourth largest: noisy by about 1. The
# threshold is the largest quantile at this size or any larger one (a
# non-increasing envelope in n), which errs on the side of fewer alarms.
GAUSSIAN_QUANTILES = np.array([
    [9.05, np.nan, np.nan],
    [7.51, 11.95, np.nan],
    [9.91, 10.81, 9.46],
    [9.49, 8.54, 9.51],
    [8.18, 7.86, 9.05],
    [9.45, 7.29, 7.12],
    [9.75, 5.83, 5.13],
    [8.34, 5.47, 5.25],
    [6.19, 4.68, 6.08],
    [5.04, 4.15, 5.45],
    [6.52, 4.26, 5.69],
    [5.23, 4.87, 3.77],
    [5.51, 4.32, 6.70],
    [4.51, 7.59, 5.30],
])
TABLES = {"uniform": (SIZES, QUANTILES), "gaussian": (GAUSSIAN_SIZES, GAUSSIAN_QUANTILES)}


def likelihood_ratio_threshold(n_samples, n_columns, outlier_model="uniform"):
    """The ``1 - FALSE_ALARM_RATE`` quantile of the likelihood ratio of
    clean Gaussian residuals for an outlier model.

    Interpolated linearly in ``log n`` between the simulated sizes (for
    the contaminated normal, their non-increasing envelope); below the
    smallest size the first simulated value holds, beyond the largest the
    last one (for the uniform the NEC evidence decides alone there;
    the contaminated normal is simulated up to the largest sample the
    decision of a tabular fit sees). Beyond three columns the uniform's is
    extrapolated linearly in ``d`` from two and three columns (its volume
    has a width per column); the contaminated normal's is the largest of
    the three (``rho`` and ``k`` whatever ``d``).

    Parameters
    ----------
    n_samples : float
        The total sample weight of the residuals.
    n_columns : int
        Number of columns of the group.
    outlier_model : {"uniform", "gaussian"}, default="uniform"

    Returns
    -------
    threshold : float
    """
    sizes, quantiles = TABLES[outlier_model]
    n_known = quantiles.shape[1]
    if n_columns > n_known and outlier_model == "gaussian":
        # two parameters beyond the Gaussian's whatever d: the largest
        return max(likelihood_ratio_threshold(n_samples, d, outlier_model)
                   for d in range(1, n_known + 1))
    if n_columns > n_known:
        last, before = (likelihood_ratio_threshold(n_samples, d, outlier_model)
                        for d in (n_known, n_known - 1))
        return last + (n_columns - n_known) * (last - before)
    column = quantiles[:, n_columns - 1]
    known = ~np.isnan(column)
    column, sizes = column[known], sizes[known]
    if outlier_model == "gaussian":
        column = np.maximum.accumulate(column[::-1])[::-1]
    log_n = np.log(max(n_samples, 1.0))
    return float(np.interp(log_n, np.log(sizes), column))


def calibrated_evidence(mixture, n_samples, n_columns, outlier_model="uniform"):
    """Evidence for the outlier component of one group, positive when the
    calibrated tests keep it.

    The uniform: ``min(NEC evidence, likelihood ratio - threshold)``, both
    tests. The contaminated normal: ``likelihood ratio - threshold`` alone;
    NEC would reject it by design, its two Gaussians overlap and leave
    every assignment uncertain.

    Parameters
    ----------
    mixture : ResidualMixture
        From :func:`sklearn_gum._residual_em.residual_evidence`.
    n_samples : float
        The total sample weight of the residuals.
    n_columns : int
    outlier_model : {"uniform", "gaussian"}, default="uniform"

    Returns
    -------
    evidence : float
    """
    threshold = likelihood_ratio_threshold(n_samples, n_columns, outlier_model)
    if outlier_model == "gaussian":
        return mixture.likelihood_ratio - threshold
    return min(mixture.evidence, mixture.likelihood_ratio - threshold)


def significantly_better(log_lik, baseline_log_lik, sample_weight):
    """Whether a model explains residuals significantly better than a
    baseline model of as many parameters: Vuong's (1989) test for
    non-nested models, one-sided at ``FALSE_ALARM_RATE``.

    With ``d_n`` the per-sample differences of log-likelihood, the
    statistic ``sum_n w_n d_n / sqrt(sum_n w_n (d_n - mean d)^2)`` is
    standard normal when the two models are equally close to the data.

    Parameters
    ----------
    log_lik, baseline_log_lik : ndarray of shape (n_samples,)
    sample_weight : ndarray of shape (n_samples,)
        Scaled to a mean of one over the weighted samples.

    Returns
    -------
    better : bool
    """
    differences = log_lik - baseline_log_lik
    total = sample_weight.sum()
    mean = sample_weight @ differences / total
    spread = np.sqrt(total * (sample_weight @ (differences - mean) ** 2) / total)
    if not spread > 0:
        return bool(mean > 0)
    return bool(total * mean / spread > stats.norm.isf(FALSE_ALARM_RATE))
