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
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils import _safe_indexing
from sklearn.utils.metadata_routing import _routing_enabled, get_routing_for_object
from sklearn.utils.validation import _check_method_params, has_fit_parameter

from ._kernel_predict import dual_prediction
from ._mixture import cholesky_factor
from ._neighbors_predict import NeighbourLists, supports_neighbour_lists
from ._validation import check_prediction_scale, check_predictions, magnitude_limit


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


def may_write_inputs(estimator, params=None):
    """Whether ``estimator`` (or a nested one) was told it may overwrite its
    input: a parameter ``copy_X`` or ``copy`` set to False (``params``: its
    deep parameters, if at hand)."""
    params = _deep_params(estimator) if params is None else params
    return any(
        value is False and name.rsplit("__", 1)[-1] in ("copy_X", "copy")
        for name, value in params.items()
    )


# Estimators from these packages leave their inputs as they are (scikit-learn's
# convention), unless told otherwise by ``copy=False`` or ``copy_X=False``.
TRUSTED_PACKAGES = ("sklearn", "sklearn_gum", "numpy", "scipy")


def _from_trusted_package(value):
    """Whether an estimator (by its class) or a function comes from one of
    ``TRUSTED_PACKAGES``."""
    if isinstance(value, np.ufunc):  # no __module__ before numpy 2
        return True
    is_estimator = hasattr(value, "fit") or hasattr(value, "transform")
    module = getattr(type(value) if is_estimator else value, "__module__", None)
    return str(module).split(".", 1)[0] in TRUSTED_PACKAGES


def keeps_inputs(estimator):
    """Whether ``estimator.fit`` and ``predict`` can be handed GUM's own
    arrays: it and every estimator or function among its parameters come
    from scikit-learn (or numpy, scipy, sklearn-gum), none told to overwrite
    its input. Any other estimator gets copies (a third-party ``fit`` may
    write into ``X``, ``y`` or ``sample_weight``)."""
    params = _deep_params(estimator)
    if may_write_inputs(estimator, params):
        return False
    nested = [
        value for value in params.values()
        if hasattr(value, "fit") or hasattr(value, "transform")
        or (callable(value) and not isinstance(value, type))
    ]
    return all(_from_trusted_package(value) for value in [estimator, *nested])


def _deep_params(estimator):
    return estimator.get_params(deep=True) if hasattr(estimator, "get_params") else {}


def _final_step(estimator):
    """A Pipeline's last step, or the estimator itself."""
    return estimator.steps[-1][1] if isinstance(estimator, Pipeline) else estimator


def linear_dof(estimator):
    """:func:`effective_dof` of a linear regressor (alone or ending a
    Pipeline); 0 for any other."""
    if getattr(_final_step(estimator), "coef_", None) is None:
        return 0.0
    return effective_dof(estimator)


def effective_dof(estimator):
    """Degrees of freedom a fitted regressor spends on its training targets.

    Linear models (alone or as the final step of a Pipeline): the number of
    non-zero coefficients per output, plus one for a fitted intercept, which
    is the trace of the weighted hat matrix of least squares (exact for
    least squares, an upper bound for ridge, the usual estimate for the
    lasso). A least-squares fit that reports the rank of its (centred,
    weighted) design, as ``LinearRegression``'s ``rank_``, spends that many:
    a repeated feature, or a constant one next to the intercept, takes a
    coefficient but no degree of freedom. Trees: the number of leaves.
    Other regressors: 0, i.e. no correction; their inlier scale is then
    biased low by about their effective degrees of freedom over the number
    of inliers.
    """
    final = _final_step(estimator)
    coef = getattr(final, "coef_", None)
    if coef is not None and np.ndim(coef) in (1, 2):
        nonzero = np.count_nonzero(np.atleast_2d(coef), axis=1).mean()
        rank = getattr(final, "rank_", None)
        if isinstance(rank, (int, np.integer)):
            nonzero = min(nonzero, rank)
        return float(nonzero) + float(bool(getattr(final, "fit_intercept", False)))
    if hasattr(final, "get_n_leaves"):
        return float(final.get_n_leaves())
    return 0.0


def whitening_factor(covariance):
    """Lower Cholesky factor ``L`` of ``Sigma``, or None for one output.

    Raises a ``ValueError`` that says why when ``Sigma`` has no such factor.
    """
    if covariance.shape[0] == 1:
        return None
    return cholesky_factor(
        covariance, " that whitens the targets",
        "the residuals of some outputs are linear combinations of the others. "
        "Increase reg_covar, or drop the redundant outputs.",
    )


def whiten(targets, factor):
    """``targets @ L^{-T}``: rows mapped to ``L^{-1} y``."""
    if factor is None:
        return targets
    return linalg.solve_triangular(factor, targets.T, lower=True).T


def unwhiten(targets, factor):
    """``targets @ L^T``: rows mapped back to ``L z``, in the floating dtype
    of ``targets`` (float32 predictions stay float32, as a linear model's
    do; integers become float64)."""
    if factor is None:
        return targets
    dtype = np.result_type(targets.dtype, np.float32)
    return (targets @ factor.T).astype(dtype, copy=False)


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
        self.copy_inputs = not keeps_inputs(estimator)
        # predictions beyond this overflow the EM's squared residuals
        self.limit = magnitude_limit(sample_weight)
        # EM iterations (refits or warm stages) a run may take
        self.max_refits = 100
        self.neighbours = None  # a k-NN's training predictions from lists
        if supports_neighbour_lists(estimator, len(sample_weight)):
            self.neighbours = NeighbourLists(X, np.flatnonzero(sample_weight > 0))

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
        copy_inputs = not keeps_inputs(estimator)
        if rows is None:
            rows = np.flatnonzero(weights > 0) if self.weight_key is None else None
        params = self.fit_params
        # unit weights are no weights (some estimators, e.g. histogram
        # gradient boosting, take a much slower path for any weights)
        if self.weight_key is not None and not np.all(weights == 1):
            params = {**params, self.weight_key: weights}
        X, targets = self.X, whiten(targets, factor)
        if rows is not None and len(rows) < len(targets):
            X, targets = _safe_indexing(X, rows), targets[rows]
            params = _check_method_params(self.X, params, indices=rows)
        elif copy_inputs:  # it may write into them: copies, not GUM's own
            X, targets, params = copy.deepcopy((X, targets, params))
        if copy_inputs:  # the targets may be a view of GUM's own
            targets = np.array(targets, copy=True)
        try:
            estimator.fit(X, targets.ravel() if self.ravel else targets, **params)
        except Exception as exc:
            exc.add_note(
                f"Raised by {type(estimator).__name__}.fit, called by GUMRegressor "
                "for a weighted fit of its EM."
            )
            raise
        if self.neighbours is not None:
            self.neighbours.record(estimator, rows)
        return estimator

    def blank(self):
        """An unfitted copy of the regressor, to be fitted by :meth:`fit`."""
        return clone(self.estimator)

    def subset(self, rows):
        """The same refits restricted to ``rows`` (a new instance)."""
        subset = type(self)(
            self.estimator, _safe_indexing(self.X, rows), self.targets[rows],
            self.sample_weight[rows],
            _check_method_params(self.X, self.fit_params, indices=rows), self.ravel,
        )
        subset.max_refits = self.max_refits
        return subset

    def materialize(self, estimator, exact=False):
        """The fitted estimator to keep (refits here are genuine fits, so
        ``exact`` changes nothing)."""
        return estimator

    def plain_fit(self):
        """The regressor's own fit on all rows with the sample weights: the
        answer when no group keeps the uniform component."""
        return WeightedRefit.fit(self, clone(self.estimator), self.sample_weight)

    def predict(self, estimator, factor=None, source="the refitted estimator",
                rows=None):
        """Predictions of a fitted estimator on the training data (or on
        ``rows`` of it) as 2-D un-whitened targets, checked to be finite
        (``source`` names the estimator in the error)."""
        X = self.X if rows is None else _safe_indexing(self.X, rows)
        if rows is None and not keeps_inputs(estimator):
            X = copy.deepcopy(X)  # its predict may write into it
        n_rows = len(self.targets) if rows is None else len(rows)
        try:
            prediction = None
            if rows is None and self.neighbours is not None:
                prediction = self.neighbours.predict(estimator)  # a k-NN's
            if prediction is None:
                prediction = dual_prediction(estimator, X)  # an SVR's, faster
            if prediction is None:
                prediction = estimator.predict(X)
        except Exception as exc:
            exc.add_note(
                f"Raised by {type(estimator).__name__}.predict ({source}), called "
                "by GUMRegressor on the training data."
            )
            raise
        return self.checked(prediction, n_rows, factor, source)

    def checked(self, prediction, n_rows, factor, source):
        """Raw predictions of ``n_rows`` samples (of whitened targets when
        ``factor`` is given) as finite 2-D float64 predictions of the targets
        whose residuals the EM can square, else a ``ValueError`` naming
        ``source``."""
        prediction = check_predictions(
            prediction, n_rows, self.targets.shape[1], source=source
        )
        with np.errstate(over="ignore"):  # an overflow is reported just below
            prediction = unwhiten(prediction, factor)
        check_prediction_scale(prediction, self.limit, self.targets, source)
        return prediction
