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
sizes where NEC decides the uniform's), *and* when modelling it is
predicted to make the fit measurably more accurate
(:func:`contaminated_normal_gain`, at least ``MIN_GAUSSIAN_GAIN``). The
test alone answers whether the residuals are exactly Gaussian, which
no residuals of a misspecified model are: an additive spline fit of a
function with an interaction leaves residuals whose best contaminated
normal has ``k`` 1.7-2.1 (outliers 30-45% wider than the inliers) and a
third of the rows in the outlier component; at 1,000 rows that passes the
test, flags 7-9% of the clean rows and predicts a fit 0.3% more accurate.
Label noise of three times the inliers' sd on 20-60% of the rows predicts
30-40%.
"""

import numpy as np
from scipy import special, stats

FALSE_ALARM_RATE = 0.01
# The smallest predicted gain in accuracy for which the contaminated normal
# is kept: its fit's standard errors at least 1% below least squares'
# (contaminated_normal_gain).
MIN_GAUSSIAN_GAIN = 0.01
QUADRATURE_NODES = 60
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
        params = mixture.params
        gain = contaminated_normal_gain(params.inlier_prior, params.outlier_scale,
                                        n_columns)
        # on the deviance scale: 2 n log of the ratio of predicted standard
        # errors, over the smallest gain kept
        worth = 2 * n_samples * (np.log1p(gain) - np.log1p(MIN_GAUSSIAN_GAIN))
        return min(mixture.likelihood_ratio - threshold, worth)
    return min(mixture.evidence, mixture.likelihood_ratio - threshold)


def contaminated_normal_gain(inlier_prior, outlier_scale, n_columns):
    """Predicted gain in accuracy of the contaminated normal's fit over least
    squares: the ratio of their standard errors, minus one.

    For errors ``rho N(0, Sigma) + (1 - rho) N(0, k Sigma)`` in ``d``
    columns, independent of the features, least squares' coefficients have
    the errors' covariance ``(rho + (1 - rho) k) Sigma`` in the sandwich;
    the maximum-likelihood fit (the EM's weighted refits, weights
    ``r + (1 - r) / k``) has the inverse Fisher information for location,
    ``Sigma / c`` with ``c = E[g(t)^2 t] / d``, where ``t`` is the squared
    Mahalanobis distance of an error and ``g(t) = r(t) + (1 - r(t)) / k``
    its weight. The gain is ``sqrt((rho + (1 - rho) k) c) - 1``: 0.3% for
    ``rho = 0.6, k = 1.7``, 7% for ``rho = 0.9, k = 5``, 35% for
    ``rho = 0.8, k = 10`` (in one column).

    Parameters
    ----------
    inlier_prior, outlier_scale : float
        ``rho`` and ``k``.
    n_columns : int

    Returns
    -------
    gain : float
        0 for a pure Gaussian (``rho = 1`` or ``k = 1``).
    """
    rho, k, d = float(inlier_prior), float(outlier_scale), n_columns
    if not (0 < rho < 1 and 1 < k < np.inf):
        return 0.0
    log_odds = np.log(rho) - np.log1p(-rho) + 0.5 * d * np.log(k)
    # t = 2 s x, x ~ Gamma(d / 2) for each component (s = 1, k): generalised
    # Gauss-Laguerre nodes of x^(d/2 - 1) e^-x
    nodes, node_weights = special.roots_genlaguerre(QUADRATURE_NODES, d / 2 - 1)
    node_weights = node_weights / special.gamma(d / 2)
    moment = 0.0
    for share, stretch in ((rho, 1.0), (1 - rho, k)):
        t = 2 * stretch * nodes
        resp = special.expit(log_odds - 0.5 * t * (1 - 1 / k))
        weight = resp + (1 - resp) / k
        moment += share * node_weights @ (weight**2 * t)
    return float(np.sqrt((rho + (1 - rho) * k) * moment / d) - 1)


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
