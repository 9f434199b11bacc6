"""Starting fits for the EM: where the first residuals come from.

A plain fit is dragged along by gross leverage outliers, and EM started from
its residuals never recovers. The subset start follows FAST-LTS and RANSAC:
fit many random minimal subsets, improve each by a few concentration steps
(refit on the ``h`` samples with the smallest residuals), and keep the starts
with the smallest trimmed residual scale.
"""

import warnings

import numpy as np
from scipy import stats
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import _num_features, check_is_fitted

from . import _mixture, _residual_em
from ._leverage import frequency_counts
from ._weighted_fit import effective_dof

N_SUBSETS = 500
N_CONCENTRATION_STEPS = 2
N_CONCENTRATED = 10
WORKING_SAMPLE = 1000
# The reweighting step keeps the samples within this central share of the
# start's Gaussian, as reweighted LTS and MCD do.
REWEIGHT_SHARE = 0.975
N_REWEIGHTING_STEPS = 5
# Moves of the first reweighting's centre to the mean of its best half.
N_CENTRE_STEPS = 3
# (a, b, c) of the subset start's small-sample factor 1 + exp(a) dof^c / n^b,
# fitted to simulations (benchmarks/simulate_small_sample.py).
SUBSET_SCALE_BIAS = (1.4119, 1.0030, 1.5502)


def fitted_or_fit(regressor, refit):
    """The user's start regressor, fitted on the training data if it is not
    yet; an object that is not a scikit-learn estimator is trusted as fitted."""
    if not hasattr(regressor, "get_params"):
        return regressor
    try:
        check_is_fitted(regressor)
        return regressor
    except NotFittedError:
        return refit.fit(clone(regressor), refit.sample_weight)


def random_half_fit(estimator, refit, random_state):
    """A fit on a random half of the weighted samples, for restarts."""
    candidates = np.flatnonzero(refit.sample_weight > 0)
    size = max(len(candidates) // 2, min(len(candidates), _num_features(refit.X) + 1))
    rows = np.sort(random_state.choice(candidates, size=size, replace=False))
    return refit.fit(refit.blank(), refit.sample_weight, rows=rows)


def _scaled_sq_residuals(refit, estimator, rows, scale):
    """Squared scaled residuals of ``rows`` (predicting those rows only)."""
    residuals = (refit.targets[rows] - refit.predict(estimator, rows=rows)) / scale
    return np.sum(residuals**2, axis=1)


def _trimmed_fit(estimator, refit, rows, candidates, h, scale):
    """Fit on ``rows``; return the fit, its trimmed sum of squares and the
    ``h`` best-fitting of the ``candidates``, or ``(None, inf, None)`` when
    it cannot fit."""
    try:
        fitted = refit.fit(refit.blank(), refit.sample_weight, rows=rows)
        sq_residuals = _scaled_sq_residuals(refit, fitted, candidates, scale)
    except (ValueError, np.linalg.LinAlgError, FloatingPointError):
        return None, np.inf, None
    order = np.argpartition(sq_residuals, h - 1)[:h] if h < len(sq_residuals) else (
        slice(None)
    )
    return fitted, sq_residuals[order].sum(), np.sort(candidates[order])


def _concentrate(estimator, refit, rows, candidates, h, scale):
    """Fit on ``rows``, then refit on the ``h`` best-fitting candidates a few
    times; return the last fit, its trimmed sum of squares and its rows."""
    fitted, score, rows = _trimmed_fit(estimator, refit, rows, candidates, h, scale)
    for _ in range(N_CONCENTRATION_STEPS):
        if fitted is None:
            break
        fitted, score, rows = _trimmed_fit(estimator, refit, rows, candidates, h, scale)
    return fitted, score, rows


def subset_starts(estimator, refit, n_starts, random_state):
    """Best ``n_starts`` fits found from random minimal subsets (FAST-LTS).

    ``N_SUBSETS`` subsets of ``n_features + 1`` samples are each fitted and
    refined by ``N_CONCENTRATION_STEPS`` concentration steps on a working
    sample of at most ``WORKING_SAMPLE`` rows, and ranked by their trimmed sum
    of squares over half of it (plus ``n_features + 1``), as in least trimmed
    squares. The ``N_CONCENTRATED`` best (at least ``n_starts``) are
    concentrated again on all rows and ranked once more. Residuals are scaled
    per output by the median absolute deviation of the targets, so that
    outputs of different units count alike.
    """
    candidates = np.flatnonzero(refit.sample_weight > 0)
    n_features = _num_features(refit.X)
    subset_size = min(n_features + 1, len(candidates))
    targets = refit.targets[candidates]
    scale = np.median(np.abs(targets - np.median(targets, axis=0)), axis=0)
    scale[scale == 0] = 1.0
    working = candidates
    if len(candidates) > WORKING_SAMPLE:
        working = np.sort(random_state.choice(candidates, WORKING_SAMPLE, replace=False))
    subsets = [
        np.sort(random_state.choice(working, subset_size, replace=False))
        for _ in range(N_SUBSETS)
    ]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ranked = _ranked(estimator, refit, subsets, working, n_features, scale)
        best_rows = [rows for _, _, rows in ranked[: max(N_CONCENTRATED, n_starts)]]
        final = _ranked(estimator, refit, best_rows, candidates, n_features, scale)
    if not final:
        raise ValueError(
            f"init='subsets' failed: {type(estimator).__name__} could not be "
            "fitted on any minimal subset of the data."
        )
    return [fitted for _, fitted, _ in final[:n_starts]]


def _ranked(estimator, refit, starts, pool, n_features, scale):
    """Concentrated fits from each start, best trimmed sum of squares first:
    a list of ``(score, fitted, rows)``."""
    h = min((len(pool) + n_features + 1) // 2, len(pool))
    found = [_concentrate(estimator, refit, rows, pool, h, scale) for rows in starts]
    found = [(score, fitted, rows) for fitted, score, rows in found if fitted is not None]
    return sorted(found, key=lambda item: item[0])


def reweighted(fitted, refit, n_steps=N_REWEIGHTING_STEPS):
    """The refit on the samples a robust start calls inliers (the
    reweighting step of LTS and MCD, repeated).

    The start's residuals are centred on their best half and scaled by its
    covariance (:func:`_best_half`), corrected for the degrees of freedom
    the start spent on that half and by :func:`subset_scale_factor`; the
    samples within the central 97.5% of a new residual (squared
    Mahalanobis distance below :func:`central_radius`, which allows for the
    few degrees of freedom of a scale from few rows) are refitted with
    their sample weights. The step is repeated, up to ``n_steps`` times or
    until the samples kept stay the same, with the scale of the last
    refit's kept residuals (its degrees of freedom and the consistency
    factor of the cut). A start fitted to about half of the samples
    leaves those too close and the others too far, the more so the more
    parameters it has; the refits on the inliers give residuals shaped like
    those of the final model (on clean data, those of the plain fit).

    Returns
    -------
    fitted : estimator
        The last fit that had enough samples.
    kept : ndarray of bool of shape (n_samples,) or None
        The rows ``fitted`` was fitted on; None when it is the start itself.
    """
    weights = refit.sample_weight
    floor = _mixture.variance_floor(refit.targets, weights)
    kept, radius = None, None
    for step in range(n_steps):
        residuals = refit.targets - refit.predict(fitted)
        try:
            distances, radius = _distances(residuals, weights, kept, effective_dof(fitted),
                                           floor, radius)
        except ValueError:  # residuals that are exact, or outputs that repeat
            break
        inside = (distances <= radius) & (weights > 0)
        if len(np.flatnonzero(inside)) <= _num_features(refit.X) + 1:
            break
        if kept is not None and np.array_equal(inside, kept):
            break
        kept = inside
        fitted = refit.fit(refit.blank(), weights, rows=np.flatnonzero(kept))
    return fitted, kept


def central_radius(n_columns, scale_dof):
    """The squared Mahalanobis radius of the central ``REWEIGHT_SHARE`` of
    a new residual when the covariance was estimated on ``scale_dof``
    degrees of freedom: Hotelling's prediction region,
    ``d nu / (nu - d + 1) F_{d, nu - d + 1}``; in one column the square of
    Student's ``t_nu`` quantile. It tends to ``chi2_d`` as ``nu`` grows.

    A scale from a few rows is often too small by chance: with the
    Gaussian's radius the reweighting of 10 clean rows (one feature) left
    2 to 5 of them out in 38% of 200 fits, and the refit on the rest made
    them outliers (``benchmarks/simulate_max_residual.py`` measures how
    often rows are left out now).
    """
    denominator = max(scale_dof - n_columns + 1, 1.0)
    return float(n_columns * scale_dof / denominator
                 * stats.f.ppf(REWEIGHT_SHARE, n_columns, denominator))


def subset_scale_factor(n_samples, dof):
    """Small-sample factor of the subset start's scale.

    The start kept is the one with the smallest trimmed residuals among
    ``N_SUBSETS``: on few samples its residuals are tighter than the errors,
    and the best half's covariance (consistent at the Gaussian for a fit
    that no search chose) is biased low, as that of LTS is (Pison, Van Aelst
    and Willems 2002). Simulated for this start on clean Gaussian data
    (``benchmarks/simulate_small_sample.py``: 2 to 6 parameters, 10 to 200
    samples, one output), the mean of the estimate is ``1 / f`` with
    ``f = 1 + exp(a) dof^c / n^b`` (``SUBSET_SCALE_BIAS``); ``f`` is the
    factor, which tends to one as ``n`` grows.
    """
    a, b, c = SUBSET_SCALE_BIAS
    return 1 + np.exp(a) * max(dof, 1.0)**c / max(n_samples, 1.0)**b


def _distances(residuals, weights, kept, dof, floor, radius):
    """Squared Mahalanobis distances of the residuals and the radius of
    their central share (:func:`central_radius`): scaled by their best half
    at the start (``kept`` None, with :func:`subset_scale_factor`), then by
    the samples kept within the previous ``radius``."""
    reg_covar = 1e-6 * _mixture.residual_scale(residuals, weights)
    n_columns, counts = residuals.shape[1], frequency_counts(weights)
    if kept is None:
        residuals, covariance, inside = _best_half(residuals, weights, dof, reg_covar,
                                                   floor)
        covariance = covariance * subset_scale_factor(counts.sum(), dof)
    else:
        inside = kept
        consistency = _mixture.trimmed_consistency(radius, n_columns)
        covariance = consistency * _mixture.weighted_covariance(
            residuals, weights * kept, "full", 0.0, dof=dof,
        )
        covariance = _mixture.regularised(covariance, "full", reg_covar, floor)
    scale_dof = counts @ inside - dof
    return (_mixture.squared_distances(residuals, covariance),
            central_radius(n_columns, scale_dof))


def _best_half(residuals, weights, dof, reg_covar, floor, n_steps=N_CENTRE_STEPS):
    """Residuals centred on their best half, its covariance and its rows
    (:func:`sklearn_gum._residual_em.robust_covariance`), as the minimum
    covariance determinant takes both.

    The centre starts at the weighted median and moves to the mean of the
    best half: one-sided outliers drag a median (4 of heart's 12 rows, all
    below the fit: the median half a standard deviation off, the scale
    three times too large, and the reweighting took them back in).
    """
    centre = np.array([_mixture._weighted_median(column, weights)
                       for column in residuals.T])
    for step in range(n_steps + 1):
        covariance, inside = _residual_em.robust_covariance(
            residuals - centre, weights, dof=dof, reg_covar=reg_covar, floor=floor,
        )
        if step < n_steps:
            half = weights * inside
            centre = half @ residuals / half.sum()
    return residuals - centre, covariance, inside
