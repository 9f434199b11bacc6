"""The outlier decision's false-alarm rate on clean data, by simulation.

Whether a group keeps its uniform component is decided on fixed residuals
by the EM of the mixture against a Gaussian
(:func:`sklearn_gum._mixture.residual_evidence`), with two statistics:

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
"""

import numpy as np

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


def likelihood_ratio_threshold(n_samples, n_columns):
    """The ``1 - FALSE_ALARM_RATE`` quantile of the likelihood ratio of
    clean Gaussian residuals.

    Interpolated linearly in ``log n`` between the simulated sizes; below
    the smallest size the first simulated value holds, beyond the largest
    the last one (the NEC evidence decides alone there). Beyond three
    columns it is extrapolated linearly in ``d`` from two and three
    columns.

    Parameters
    ----------
    n_samples : float
        The total sample weight of the residuals.
    n_columns : int
        Number of columns of the group.

    Returns
    -------
    threshold : float
    """
    n_known = QUANTILES.shape[1]
    if n_columns > n_known:
        last, before = (likelihood_ratio_threshold(n_samples, d)
                        for d in (n_known, n_known - 1))
        return last + (n_columns - n_known) * (last - before)
    column = QUANTILES[:, n_columns - 1]
    known = ~np.isnan(column)
    log_n = np.log(max(n_samples, 1.0))
    return float(np.interp(log_n, np.log(SIZES[known]), column[known]))


def calibrated_evidence(mixture, n_samples, n_columns):
    """Evidence for the uniform component of one group, positive when both
    tests keep it: ``min(NEC evidence, likelihood ratio - threshold)``.

    Parameters
    ----------
    mixture : ResidualMixture
        From :func:`sklearn_gum._mixture.residual_evidence`.
    n_samples : float
        The total sample weight of the residuals.
    n_columns : int

    Returns
    -------
    evidence : float
    """
    threshold = likelihood_ratio_threshold(n_samples, n_columns)
    return min(mixture.evidence, mixture.likelihood_ratio - threshold)
