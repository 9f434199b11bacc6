"""The M-theta step: refit a regressor so that it minimises
``sum_n r_n e_n^T Sigma^{-1} e_n`` whatever the regressor is.

Three mechanisms, chosen once per fit:

- *whitening*: with several outputs the regressor is fitted on whitened
  targets ``z = L^{-1} y`` (``Sigma = L L^T``), so that its squared loss is
  the Mahalanobis loss; predictions are mapped back with ``L``;
- *soft weights*: ``sample_weight * r_n`` when the regressor (or the final
  step of a Pipeline) takes ``sample_weight``;
- *hard weights*: a fit on the current inliers alone when it does not.

Per-group responsibilities (one per landmark, say) cannot be passed as sample
weights. The refit then uses the classic majorisation of the weighted squared
loss: each residual group ``g`` of sample ``n`` is shrunk towards the current
prediction, ``y'_ng = r_ng y_ng + (1 - r_ng) f_g(x_n)``, and the regressor is
fitted to ``y'`` with the sample weights alone. Each such fit decreases the
weighted loss, which makes the loop a generalised EM.
"""

import copy

import numpy as np
from scipy import linalg
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing
from sklearn.utils.metadata_routing import _routing_enabled, get_routing_for_object
from sklearn.utils.validation import _check_method_params, has_fit_parameter

from ._validation import check_predictions


def sample_weight_key(estimator):
    """Name under which ``estimator.fit`` takes sample weights, or None.

    A Pipeline takes them as ``<last step>__sample_weight`` when its final
    estimator does (``has_fit_parameter`` is False for any Pipeline). With
    metadata routing enabled, the estimator takes them when it requested them.
    """
    if _routing_enabled():
        routing = get_routing_for_object(estimator)
        return "sample_weight" if routing.consumes("fit", ("sample_weight",)) else None
    if isinstance(estimator, Pipeline):
        name, last = estimator.steps[-1]
        if last is None or last == "passthrough":
            return None
        key = sample_weight_key(last)
        return None if key is None else f"{name}__{key}"
    return "sample_weight" if has_fit_parameter(estimator, "sample_weight") else None


def may_write_inputs(estimator):
    """Whether ``estimator`` (or a nested one) was told it may overwrite its
    input: a parameter ``copy_X`` or ``copy`` set to False."""
    params = estimator.get_params(deep=True) if hasattr(estimator, "get_params") else {}
    return any(
        value is False and name.rsplit("__", 1)[-1] in ("copy_X", "copy")
        for name, value in params.items()
    )


def effective_dof(estimator):
    """Degrees of freedom a fitted regressor spends on its training targets.

    Linear models (alone or as the final step of a Pipeline): the number of
    non-zero coefficients per output, plus one for a fitted intercept, which
    is the trace of the weighted hat matrix of least squares (exact for
    least squares, an upper bound for ridge, the usual estimate for the
    lasso). Trees: the number of leaves. Other regressors: 0, i.e. no
    correction; their inlier scale is then biased low by about their
    effective degrees of freedom over the number of inliers.
    """
    final = estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator
    coef = getattr(final, "coef_", None)
    if coef is not None and np.ndim(coef) in (1, 2):
        nonzero = np.count_nonzero(np.atleast_2d(coef), axis=1).mean()
        return float(nonzero) + float(bool(getattr(final, "fit_intercept", False)))
    if hasattr(final, "get_n_leaves"):
        return float(final.get_n_leaves())
    return 0.0


def whitening_factor(covariance):
    """Lower Cholesky factor ``L`` of ``Sigma``, or None for one output."""
    if covariance.shape[0] == 1:
        return None
    return linalg.cholesky(covariance, lower=True)


def whiten(targets, factor):
    """``targets @ L^{-T}``: rows mapped to ``L^{-1} y``."""
    if factor is None:
        return targets
    return linalg.solve_triangular(factor, targets.T, lower=True).T


def unwhiten(targets, factor):
    """``targets @ L^T``: rows mapped back to ``L z``."""
    if factor is None:
        return targets
    return targets @ factor.T


class WeightedRefit:
    """Refits clones of one regressor with EM weights.

    Parameters
    ----------
    estimator : regressor
        Unfitted template; every refit works on ``clone``-free copies made
        by the caller (``fit`` re-initialises scikit-learn estimators).
    X : array-like
        Training features, handed over untouched.
    targets : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,)
    fit_params : dict
        Further ``fit`` parameters of the estimator.
    ravel : bool
        Whether the estimator is fitted on 1-D targets.
    """

    def __init__(self, estimator, X, targets, sample_weight, fit_params, ravel):
        self.estimator = estimator
        self.X = X
        self.targets = targets
        self.sample_weight = sample_weight
        self.fit_params = fit_params
        self.ravel = ravel
        self.weight_key = sample_weight_key(estimator)
        self.copy_inputs = may_write_inputs(estimator)

    @property
    def weighting(self):
        """``"soft"`` when the estimator takes sample weights, else ``"hard"``."""
        return "soft" if self.weight_key is not None else "hard"

    def fit(self, estimator, weights, rows=None, targets=None, factor=None):
        """Fit ``estimator`` on (whitened) targets with weights, on some rows.

        Returns the fitted estimator. ``weights`` are ignored in hard mode,
        where zero-weight rows are left out instead.
        """
        targets = self.targets if targets is None else targets
        if rows is None:
            rows = np.flatnonzero(weights > 0) if self.weight_key is None else None
        params = self.fit_params
        if self.weight_key is not None:
            params = {**params, self.weight_key: weights}
        X, targets = self.X, whiten(targets, factor)
        if rows is not None and len(rows) < len(targets):
            X, targets = _safe_indexing(X, rows), targets[rows]
            params = _check_method_params(self.X, params, indices=rows)
        elif self.copy_inputs:
            X = copy.deepcopy(X)  # the estimator may write into it
        estimator.fit(X, targets.ravel() if self.ravel else targets, **params)
        return estimator

    def predict(self, estimator, factor=None, source="the refitted estimator"):
        """Predictions of a fitted estimator on the training data as 2-D
        un-whitened targets, checked to be finite (``source`` names the
        estimator in the error)."""
        X = copy.deepcopy(self.X) if self.copy_inputs else self.X
        prediction = check_predictions(
            estimator.predict(X), *self.targets.shape, source=source
        )
        return unwhiten(prediction, factor)
