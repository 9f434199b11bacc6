"""Starting fits for the EM: where the first residuals come from.

A plain fit is dragged along by gross leverage outliers, and EM started from
its residuals never recovers. The subset start follows FAST-LTS and RANSAC:
fit many random minimal subsets, improve each by a few concentration steps
(refit on the ``h`` samples with the smallest residuals), and keep the starts
with the smallest trimmed residual scale.
"""

import warnings

import numpy as np
from sklearn.base import clone
from sklearn.exceptions import NotFittedError
from sklearn.utils.validation import _num_features, check_is_fitted

N_SUBSETS = 500
N_CONCENTRATION_STEPS = 2


def fitted_or_fit(regressor, refit):
    """The user's start regressor, fitted on the training data if it is not yet."""
    try:
        check_is_fitted(regressor)
        return regressor
    except NotFittedError:
        return refit.fit(clone(regressor), refit.sample_weight)
    except TypeError:  # not a scikit-learn estimator: trust its predict
        return regressor


def random_half_fit(estimator, refit, random_state):
    """A fit on a random half of the weighted samples, for restarts."""
    candidates = np.flatnonzero(refit.sample_weight > 0)
    size = max(len(candidates) // 2, min(len(candidates), _num_features(refit.X) + 1))
    rows = np.sort(random_state.choice(candidates, size=size, replace=False))
    return refit.fit(clone(estimator), refit.sample_weight, rows=rows)


def _scaled_sq_residuals(refit, estimator, scale):
    residuals = (refit.targets - refit.predict(estimator)) / scale
    return np.sum(residuals**2, axis=1)


def _trimmed_rows(sq_residuals, candidates, h):
    return np.sort(candidates[np.argsort(sq_residuals[candidates])[:h]])


def _concentrated_start(estimator, refit, rows, candidates, h, scale):
    """Fit on ``rows`` then on the ``h`` best-fitting rows, a few times.

    Returns the fitted estimator and its trimmed sum of squares, or
    ``(None, inf)`` when the estimator cannot fit the subset.
    """
    try:
        fitted = refit.fit(clone(estimator), refit.sample_weight, rows=rows)
        for _ in range(N_CONCENTRATION_STEPS):
            sq_residuals = _scaled_sq_residuals(refit, fitted, scale)
            rows = _trimmed_rows(sq_residuals, candidates, h)
            fitted = refit.fit(clone(estimator), refit.sample_weight, rows=rows)
    except (ValueError, np.linalg.LinAlgError, FloatingPointError):
        return None, np.inf
    sq_residuals = _scaled_sq_residuals(refit, fitted, scale)
    return fitted, np.sort(sq_residuals[candidates])[:h].sum()


def subset_starts(estimator, refit, n_starts, random_state):
    """Best ``n_starts`` fits found from random minimal subsets.

    Each subset holds ``n_features + 1`` samples; ``h = (n + n_features + 1) // 2``
    samples are kept in each concentration step, as in least trimmed squares.
    Residuals are scaled per output by the median absolute deviation of the
    targets, so that outputs of different units count alike.
    """
    candidates = np.flatnonzero(refit.sample_weight > 0)
    n_features = _num_features(refit.X)
    subset_size = min(n_features + 1, len(candidates))
    h = min((len(candidates) + n_features + 1) // 2, len(candidates))
    targets = refit.targets[candidates]
    scale = np.median(np.abs(targets - np.median(targets, axis=0)), axis=0)
    scale[scale == 0] = 1.0
    found = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(N_SUBSETS):
            rows = np.sort(random_state.choice(candidates, subset_size, replace=False))
            fitted, score = _concentrated_start(estimator, refit, rows, candidates, h, scale)
            if fitted is not None:
                found.append((score, fitted))
    if not found:
        raise ValueError(
            f"init='subsets' failed: {type(estimator).__name__} could not be "
            "fitted on any minimal subset of the data."
        )
    found.sort(key=lambda item: item[0])
    return [fitted for _, fitted in found[:n_starts]]
