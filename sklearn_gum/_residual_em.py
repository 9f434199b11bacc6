"""EM of the mixture over fixed residuals: its starts, and the evidence for
an outlier component.

Where a GUM fit decides whether a group has outliers
(:func:`sklearn_gum._em.decide_outliers`) and where a kept group's EM
starts: the residuals of a fit made without the mixture are fixed, and the
Gaussian's centre is free (a refit of the intercept would move it). The
maths of one E- and M-step lives in :mod:`sklearn_gum._mixture`.
"""

from typing import NamedTuple

import numpy as np
from scipy import special

from ._mixture import (
    DECISION_TOL,
    TINY,
    TUKEY_SCALE,
    GroupParams,
    _weighted_median,
    e_step,
    gaussian_params,
    has_converged,
    keep_better_volume,
    m_step,
    mean_log_likelihood,
    median_consistency,
    outlier_scale_update,
    precision_weights,
    regularised,
    squared_distances,
    uniform_log_volume,
    weighted_covariance,
)
from ._progress import iteration_budget
from ._span import spanning_columns


def robust_start(residuals, sample_weight, *, covariance_type, uniform, reg_covar,
                 floor=0.0, n_steps=3, outlier_model="uniform"):
    """Starting parameters scaled by the best half of the residuals
    (:func:`robust_covariance`); ``rho`` starts at 0.5, and the outlier
    component fits the other half.

    A scale taken from all residuals would be inflated by the outliers and
    make every sample look like an inlier.
    """
    covariance, inside = robust_covariance(
        residuals, sample_weight, covariance_type=covariance_type, reg_covar=reg_covar,
        floor=floor, n_steps=n_steps,
    )
    resp = inside.astype(float)
    if outlier_model == "gaussian":
        scale = outlier_scale_update(residuals, sample_weight * (1 - resp), covariance)
        return GroupParams(0.5, covariance, np.inf, scale)
    log_volume = uniform_log_volume(residuals, resp, sample_weight, covariance,
                                    _widest(uniform), np.maximum(reg_covar, floor))
    return GroupParams(0.5, covariance, log_volume)


def _widest(uniform):
    """The rule of a starting volume: the box over all residuals (the
    ``"range"`` rule) for both rules, or the fixed volume.

    The likelihood favours a smaller box whenever the rest is fixed, so the
    monotone EM (:func:`keep_better_volume`) takes every step of the rule
    that shrinks the box, and one that widens it only when the other
    parameters gained more: started from the widest box, it follows the
    rule down to where the data hold it.
    """
    return "range" if isinstance(uniform, str) else uniform


def robust_covariance(residuals, sample_weight, *, covariance_type="full", reg_covar=0.0,
                      floor=0.0, dof=0.0, n_steps=3):
    """Covariance of the best half of zero-centred residuals, consistent at
    the Gaussian.

    The half of the (weighted) residuals with the smallest Mahalanobis
    distances, refined by ``n_steps`` concentration steps, as in the minimum
    covariance determinant; its second moment is rescaled by the asymptotic
    consistency factor ``0.5 / F_{chi2, d+2}(chi2_{d, 0.5})``. On residuals
    that no search chose (those of one fit) no small-sample factor is
    applied: on clean Gaussian residuals (one or two columns) the median of
    the estimate is 16-29% above the truth at 10-15 samples, 7-13% at
    20-30 and at most 7% from 50 on, its mean 4-5% above at 100
    (``benchmarks/results/simulate_small_sample.md``): a scale too large,
    which errs towards flagging less. The subset start, chosen for its
    small trimmed residuals, is biased the other way and gets a factor
    (:func:`sklearn_gum._start.subset_scale_factor`).

    Returns
    -------
    covariance : ndarray of shape (n_columns, n_columns)
    inside : ndarray of bool of shape (n_samples,)
        The best half.
    """
    n_columns = residuals.shape[1]
    inside = sample_weight > 0
    covariance = weighted_covariance(residuals, sample_weight, covariance_type, reg_covar,
                                     floor=floor)
    consistency = median_consistency(n_columns)
    for _ in range(n_steps):
        distances = squared_distances(residuals, covariance)
        inside = distances <= _weighted_median(distances, sample_weight)
        covariance = regularised(
            consistency * weighted_covariance(
                residuals, sample_weight * inside, covariance_type, 0, dof=dof
            ),
            covariance_type, reg_covar, floor,
        )
    return covariance, inside


def fit_residuals(residuals, sample_weight, *, covariance_type, uniform, reg_covar,
                  floor=0.0, max_iter=100, tol=1e-4, outlier_model="uniform"):
    """EM of the mixture over fixed residuals, up to an offset.

    The Gaussian's centre is free here: a refit of any regressor with an
    intercept would move it, and a start dragged by one-sided outliers
    leaves its inliers off zero. It starts at the weighted median, with
    :func:`robust_start`, and follows the weighted mean of the residuals
    with the weights of :func:`precision_weights` (``sum w r e / sum w r``
    for a uniform). Each iteration keeps the rule's volume unless it
    would lower the likelihood (:func:`keep_better_volume`): the likelihood
    never decreases.

    Returns
    -------
    params : GroupParams
    offset : ndarray of shape (n_columns,)
        The Gaussian's centre.
    resp, log_lik : ndarray of shape (n_samples,)
    n_iter : int
    converged : bool
        Whether the mean log-likelihood changed by at most ``tol``.
    """
    options = dict(covariance_type=covariance_type, uniform=uniform, reg_covar=reg_covar,
                   floor=floor)
    offset = np.array([_weighted_median(column, sample_weight) for column in residuals.T])
    params = robust_start(residuals - offset, sample_weight, outlier_model=outlier_model,
                          **options)
    resp, log_lik = e_step(residuals - offset, params)
    mean = mean_log_likelihood(log_lik, sample_weight)
    converged = False
    budget = iteration_budget(max_iter)
    for n_iter in range(1, max_iter + 1):
        budget.step(n_iter)
        weights = sample_weight * precision_weights(resp[:, None], [params])[:, 0]
        offset = weights @ residuals / max(weights.sum(), TINY)
        centred = residuals - offset
        previous_volume = params.log_volume
        params = m_step(centred, resp, sample_weight, outlier_scale=params.outlier_scale,
                        **options)
        params, resp, log_lik = keep_better_volume(centred, params, previous_volume,
                                                   sample_weight, mean)
        previous, mean = mean, mean_log_likelihood(log_lik, sample_weight)
        converged = has_converged(previous, mean, tol)
        if converged:
            break
    return params, offset, resp, log_lik, n_iter, converged


class ResidualMixture(NamedTuple):
    """The mixture of one group's fixed residuals against a Gaussian.

    Attributes
    ----------
    evidence : float
        NEC evidence for the mixture (:func:`outlier_evidence`).
    params : GroupParams
        The mixture, centred at ``offset``.
    offset : ndarray of shape (n_columns,)
        The Gaussian's centre.
    resp : ndarray of shape (n_samples,)
    n_iter : int
    converged : bool
    likelihood_ratio : float
        ``2 (L_mixture - L_gaussian)``, the evidence before its entropy term.
    n_columns : int or None
        Number of columns that span the residuals and took part in the
        evidence (:func:`sklearn_gum._span.spanning_columns`); None: all of
        the group's.
    """

    evidence: float
    params: GroupParams
    offset: np.ndarray
    resp: np.ndarray
    n_iter: int
    converged: bool
    likelihood_ratio: float = 0.0
    n_columns: int = None


def residual_evidence(residuals, sample_weight, *, covariance_type, uniform,
                      reg_covar, floor=0.0, max_iter=100, tol=1e-4,
                      outlier_model="uniform"):
    """Outlier evidence in fixed residuals of one group.

    EM of the mixture with the given outlier model over the residuals
    (:func:`fit_residuals`) against a Gaussian fitted to them, both with a
    free centre, compared by :func:`outlier_evidence`. With a full
    covariance, only the columns that span the residuals take part
    (:func:`sklearn_gum._span.spanning_columns`): an output that repeats
    another, or a sum of others, would give the Gaussian a density bounded
    only by ``reg_covar`` in a direction where the uniform has none, and the
    evidence would depend on how often an output is repeated. The mixture
    that starts the EM is then completed to every column by an M-step with
    the responsibilities found.

    The EM stops once the mean log-likelihood changes by at most ``tol``
    and the total by at most ``DECISION_TOL`` nats: the evidence is a total,
    compared with thresholds of a few nats at every size. The contaminated
    normal contains the Gaussian (``k = 1``): where its EM stops short of
    it (on clean residuals it crawls towards ``k = 1``), the ratio is 0.

    Returns
    -------
    mixture : ResidualMixture
        The evidence (positive when the data support the outlier component),
        the fitted mixture and the convergence of its EM.
    """
    tol = min(tol, DECISION_TOL / max(sample_weight.sum(), TINY))
    n_columns = residuals.shape[1]
    options = dict(covariance_type=covariance_type, uniform=uniform,
                   reg_covar=np.broadcast_to(reg_covar, (n_columns,)),
                   floor=np.broadcast_to(floor, (n_columns,)))
    kept = np.arange(n_columns)
    if covariance_type == "full":
        kept = spanning_columns(residuals, sample_weight,
                                np.maximum(options["reg_covar"], options["floor"]))
    spanned = {**options, "reg_covar": options["reg_covar"][kept],
               "floor": options["floor"][kept]}
    params, offset, resp, log_lik, n_iter, converged = fit_residuals(
        residuals[:, kept], sample_weight, max_iter=max_iter, tol=tol,
        outlier_model=outlier_model, **spanned,
    )
    centred = residuals[:, kept] - np.average(residuals[:, kept], axis=0,
                                              weights=sample_weight)
    gaussian = gaussian_params(centred, sample_weight, covariance_type,
                               spanned["reg_covar"], spanned["floor"])
    gaussian_log_lik = e_step(centred, gaussian)[1]
    evidence = outlier_evidence(log_lik, gaussian_log_lik, resp, sample_weight)
    ratio = 2 * float(sample_weight @ (log_lik - gaussian_log_lik))
    if outlier_model == "gaussian":
        ratio = max(ratio, 0.0)
    if len(kept) < n_columns:
        weights = sample_weight * precision_weights(resp[:, None], [params])[:, 0]
        offset = weights @ residuals / max(weights.sum(), TINY)
        params = m_step(residuals - offset, resp, sample_weight,
                        outlier_scale=params.outlier_scale, **options)
    return ResidualMixture(evidence, params, offset, resp, n_iter, converged, ratio,
                           len(kept))


def gaussian_start(residuals, sample_weight, *, covariance_type, uniform, reg_covar,
                   floor=0.0, outlier_model="uniform"):
    """A mixture that is almost the Gaussian of the residuals: where the EM
    of a group starts when its outlier component is forced on
    (``outlier_component="always"``) although the residuals do not support
    it.

    The Gaussian is centred at the weighted mean; ``rho = 1 - 1 / n`` and
    the uniform spans all residuals (:func:`_widest`), or the Gaussian
    outliers are Tukey's classical ``k = 9`` (three times the inliers' sd).
    From there the EM gives the outliers only what the data push onto
    them, instead of starting from an overlap of the two components that
    clean residuals cannot tell apart. (On small clean samples the
    Gaussian-uniform likelihood can still prefer a narrower Gaussian and a
    uniform over the tails.)
    """
    offset = np.average(residuals, axis=0, weights=sample_weight)
    centred = residuals - offset
    covariance = weighted_covariance(centred, sample_weight, covariance_type, reg_covar,
                                     floor=floor)
    prior = 1 - 1 / max(np.count_nonzero(sample_weight), 2)
    if outlier_model == "gaussian":
        return GroupParams(prior, covariance, np.inf, TUKEY_SCALE), offset
    resp = np.ones(len(residuals))
    log_volume = uniform_log_volume(centred, resp, sample_weight, covariance,
                                    _widest(uniform), np.maximum(reg_covar, floor))
    return GroupParams(prior, covariance, log_volume), offset


def outlier_evidence(log_lik_mixture, log_lik_gaussian, resp, sample_weight):
    """Evidence for the mixture over a pure Gaussian: the normalised entropy
    criterion (NEC) for one against two components.

    NEC (Celeux and Soromenho 1996, in the form of Biernacki, Celeux and
    Govaert 1999 that also decides between one and two components) prefers
    the mixture when ``E / (L_mix - L_gauss) < 1``: the log-likelihood gained
    must exceed the entropy ``E = sum_n w_n H(r_n)`` of the soft assignments
    it creates. A uniform that overlaps the Gaussian (it would merely reshape
    the tails of clean residuals) leaves samples undecided and pays for them;
    one that isolates gross outliers is decided (``r_n`` near 0 or 1) and
    pays almost nothing. The evidence is returned on the deviance scale,

        2 (L_mix - L_gauss) - 2 sum_n w_n H(r_n),

    with total log-likelihoods ``L`` and the binary entropy ``H``: positive
    exactly when NEC is below 1.
    """
    gain = sample_weight @ (log_lik_mixture - log_lik_gaussian)
    entropy = sample_weight @ (special.entr(resp) + special.entr(1 - resp))
    return float(2 * gain - 2 * entropy)
