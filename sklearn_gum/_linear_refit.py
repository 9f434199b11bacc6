"""Least-squares refits from sufficient statistics, for ``LinearRegression``
and ``Ridge``.

A weighted least-squares refit is a solve of the normal equations
``(X1^T W X1 + P) b = X1^T W z`` (``X1``: the features and a column of
ones; ``P``: ridge's ``alpha`` on the diagonal of the features, 0 for the
intercept and for least squares): one pass over the data to build the Gram
matrix, about a fifth of a plain ``LinearRegression`` fit (an SVD-based
least-squares solve). Ridge's own solvers reach the same unique minimiser
(``sum_n w_n (z_n - x_n b - c)^2 + alpha |b|^2``), the iterative ones to
their ``tol``. The features are centred and scaled once, so that the Gram
matrix stays well conditioned whatever the units; above ``MAX_CONDITION``
the refits fall back to the estimator's own ``fit``.

The final estimator has the attributes its own ``fit`` would set from the
last weights (``coef_``, ``intercept_``, ``n_features_in_``, in the dtype
of ``X``; a ``LinearRegression``'s ``rank_`` and ``singular_``, a
``Ridge``'s ``n_iter_`` and ``solver_``), built from the last solution when
its Gram matrix is well conditioned (up to ``MAX_CONDITION_FINAL``: the
coefficients then agree with an SVD solve to about 1e-10), and fitted by
its own ``fit`` otherwise, and whenever no group keeps outliers, so that a
fit of clean data is exactly the estimator's own
(:meth:`LinearRefit.materialize`).
"""

import functools
import numbers

import numpy as np
from scipy import sparse
from scipy.linalg import lapack
from sklearn.base import clone
from sklearn.linear_model import LinearRegression, Ridge

from ._pipeline_refit import PipelineRefit, supports_transform_once
from ._weighted_fit import WeightedRefit, whiten

# Above this condition number of the Gram matrix the normal equations lose
# too many digits: that refit falls back to LinearRegression.fit.
MAX_CONDITION = 1e10
MAX_CONDITION_FINAL = 1e6
SCALE_SAMPLE = 10_000
# A sparse X of at most this many entries (8 MB as float64) is densified for
# the normal equations; a larger one is refitted by the estimator's own fit.
MAX_DENSIFIED = 1_000_000


def supports_sufficient_statistics(estimator, X, fit_params):
    """Whether refits of ``estimator`` on ``X`` can be normal-equation solves:
    a plain ``LinearRegression`` or ``Ridge`` with one ``alpha`` for every
    output (neither ``positive``) on a dense float array or a sparse one of
    at most ``MAX_DENSIFIED`` entries, without other fit parameters."""
    return (
        ridge_penalty(estimator) is not None
        and (isinstance(X, np.ndarray) or _small_sparse(X))
        and X.ndim == 2
        and X.dtype.kind == "f"
        and not fit_params
        and X.shape[0] > X.shape[1] + 1
        and _moderate(dense_features(X))
    )


def _small_sparse(X):
    return sparse.issparse(X) and X.shape[0] * X.shape[1] <= MAX_DENSIFIED


def dense_features(X):
    """``X`` as a dense array: a sparse ``X`` densified (a copy), a dense
    one as it is."""
    return X.toarray() if sparse.issparse(X) else X


def ridge_penalty(estimator):
    """``alpha`` of a ``Ridge`` (one for every output, not ``positive``), 0 for
    a ``LinearRegression`` (not ``positive``); None for any other estimator
    or parameters, which its own ``fit`` handles (or rejects)."""
    if type(estimator) is LinearRegression and estimator.positive is False:
        return 0.0
    if type(estimator) is not Ridge or estimator.positive is not False:
        return None
    alpha = estimator.alpha
    if np.ndim(alpha) == 1 and len(alpha) == 1:
        alpha = alpha[0]
    if not isinstance(alpha, numbers.Real) or np.ndim(alpha) != 0:
        return None
    return float(alpha) if 0 <= alpha < np.inf else None


def _moderate(X):
    """Whether every feature is finite and zero or of a magnitude within
    ``[1e-100, 1e100]``: the centring, scaling and Gram matrix of the normal
    equations square the features, which must neither overflow nor lose
    their digits (``LinearRegression.fit`` handles the others, and says what
    is wrong with NaN or infinity)."""
    magnitude = np.abs(X).max(axis=0).astype(np.float64)
    moderate = (magnitude >= 1e-100) & (magnitude <= 1e100)
    return bool(np.all(moderate | (magnitude == 0)))


class LinearSolution:
    """Coefficients of one normal-equation refit, and how to redo it.

    Attributes
    ----------
    coef_ : ndarray of shape (n_outputs, n_features)
        Of the (whitened) targets, on the original features.
    intercept_ : ndarray of shape (n_outputs,)
    fit_intercept : bool
    inputs : tuple
        ``(weights, rows, targets, factor)`` of the refit, for
        :meth:`LinearRefit.materialize`.
    gram : ndarray of shape (n_columns, n_columns)
        ``X1^T W X1`` (plus the penalty) on the centred, scaled features.
    """

    def __init__(self, coef, intercept, fit_intercept, inputs, gram):
        self.coef_ = coef
        self.intercept_ = intercept
        self.fit_intercept = fit_intercept
        self.inputs = inputs
        self.gram = gram

    @functools.cached_property
    def condition(self):
        """The condition number of ``gram`` (read once, when the estimator
        is built from the solution)."""
        eigenvalues = np.linalg.eigvalsh(self.gram)
        return eigenvalues[-1] / eigenvalues[0] if eigenvalues[0] > 0 else np.inf

    def predict(self, X):
        return X @ self.coef_.T + self.intercept_


def solve_normal_equations(gram, moment):
    """The solution of ``gram b = moment`` by Cholesky's factor, or None
    where ``gram`` is not positive definite or its condition number is
    above ``MAX_CONDITION``.

    The condition is LAPACK's estimate from the factor (``pocon``) of the
    condition in the 1-norm, which for a symmetric matrix lies between the
    2-norm's and ``n_columns`` times it (the estimate is a lower bound of
    it, in practice within a factor of 3). Factor, estimate and solve take
    a fifth of the time of the eigenvalues of a 65 x 65 matrix.
    """
    factor, info = lapack.dpotrf(gram, lower=False, clean=True)
    if info != 0:  # not positive definite (or not finite)
        return None
    reciprocal = lapack.dpocon(factor, np.abs(gram).sum(axis=0).max())[0]
    if not reciprocal > 1 / MAX_CONDITION:
        return None
    return lapack.dpotrs(factor, moment)[0]


class LinearRefit(WeightedRefit):
    """:class:`WeightedRefit` whose refits solve the normal equations.

    The features are centred (with ``fit_intercept``) and scaled once
    (``Xs``); with ``fit_intercept`` a column of ones is appended. A small
    sparse ``X`` is densified once for the refits and their predictions
    (``features``); the estimator's own fits see ``X`` as given.
    """

    def __init__(self, estimator, X, targets, sample_weight, fit_params, ravel):
        super().__init__(estimator, X, targets, sample_weight, fit_params, ravel)
        self.features = dense_features(X)
        self.fit_intercept = estimator.fit_intercept
        self.alpha = ridge_penalty(estimator)
        self._design = None

    @property
    def design(self):
        """``Xs1``, built at the first refit."""
        if self._design is None:
            X = self.features
            # a sample of the rows sets the centre and scale (any values
            # near them condition the Gram matrix as well)
            sample = X[:: max(1, len(X) // SCALE_SAMPLE)]
            if self.fit_intercept:
                self._mean = sample.mean(axis=0)
                scale = sample.std(axis=0)
            else:  # no intercept to absorb a centring
                self._mean = np.zeros(X.shape[1])
                scale = np.sqrt(np.mean(sample**2, axis=0))
            self._scale = np.where(scale > 0, scale, 1.0)
            n_features = X.shape[1]
            design = np.empty((len(X), n_features + self.fit_intercept))
            np.subtract(X, self._mean, out=design[:, :n_features])
            design[:, :n_features] /= self._scale
            if self.fit_intercept:
                design[:, n_features] = 1.0
            self._design = design
        return self._design

    def fit(self, estimator, weights, rows=None, targets=None, factor=None):
        """A :class:`LinearSolution` of the weighted least-squares refit of a
        clone of the template (which is not touched); any other estimator
        (an ``init`` regressor) is fitted by its own ``fit``."""
        if not self._is_template(estimator):
            return super().fit(estimator, weights, rows, targets, factor)
        inputs = (weights, rows, targets, factor)
        targets = whiten(self.targets if targets is None else targets, factor)
        design = self.design
        if rows is not None:
            design, targets, weights = design[rows], targets[rows], weights[rows]
        gram = self.penalized(self._gram(design, weights))
        moment = design.T @ (weights[:, None] * targets)
        solution = solve_normal_equations(gram, moment)
        if solution is None:
            # ill-conditioned or rank-deficient: the estimator's own solver
            return super().fit(clone(self.estimator), *inputs)
        return self._solution(solution, inputs, gram)

    def penalized(self, gram):
        """``gram`` (of the scaled design) plus ridge's penalty: ``alpha``
        on the original coefficients is ``alpha / scale^2`` on the scaled
        ones; the intercept is not penalised."""
        if not self.alpha:
            return gram
        penalty = np.append(self.alpha / self._scale**2, [0.0] * self.fit_intercept)
        return gram + np.diag(penalty)

    def _is_template(self, estimator):
        # an unfitted clone has the template's parameters and nothing else
        return estimator is self.estimator or (
            type(estimator) is type(self.estimator) and vars(estimator) == vars(self.estimator)
        )

    def blank(self):
        """The template itself: the normal equations never fit it."""
        return self.estimator

    @staticmethod
    def _gram(design, weights):
        """``X^T W X`` from ``Z = sqrt(W) X`` (numpy's matmul of ``Z.T @ Z``
        computes one triangle)."""
        scaled = design * np.sqrt(weights)[:, None]
        return scaled.T @ scaled

    def _solution(self, solution, inputs, gram):
        """Coefficients on the original features from those on ``Xs1``."""
        n_features = len(self._mean)
        slopes = solution[:n_features] / self._scale[:, None]
        intercept = np.zeros(solution.shape[1])
        if self.fit_intercept:
            intercept = solution[n_features] - self._mean @ slopes
        return LinearSolution(slopes.T, intercept, self.fit_intercept, inputs, gram)

    def predict(self, estimator, factor=None, source="the refitted estimator",
                rows=None):
        if not isinstance(estimator, LinearSolution):
            return super().predict(estimator, factor=factor, source=source, rows=rows)
        X = self.features if rows is None else self.features[rows]
        return self.checked(estimator.predict(X), len(X), factor, source)

    def materialize(self, estimator, exact=False):
        """The estimator of a :class:`LinearSolution`: built from it when its
        Gram matrix is well conditioned, else (or when ``exact``) fitted by
        its own ``fit`` with the same weights, rows and targets."""
        if not isinstance(estimator, LinearSolution):
            return estimator
        if exact or not estimator.condition <= MAX_CONDITION_FINAL:
            weights, rows, targets, factor = estimator.inputs
            return WeightedRefit.fit(self, clone(self.estimator), weights, rows,
                                     targets, factor)
        return self.as_estimator(estimator)

    def as_estimator(self, solution):
        """A clone of the template with the fitted attributes that its own
        ``fit`` sets for the solution's weighted data: ``LinearRegression``'s
        ``rank_`` and ``singular_``, ``Ridge``'s ``n_iter_`` (None) and
        ``solver_`` (``"cholesky"``, the solve done here). On sparse
        ``X`` a ``LinearRegression`` (an LSQR solve) sets neither ``rank_``
        nor ``singular_``, and neither does this."""
        fitted = clone(self.estimator)
        dtype = self.X.dtype
        fitted.coef_ = solution.coef_.astype(dtype)
        fitted.intercept_ = solution.intercept_.astype(dtype)
        if not self.fit_intercept:
            fitted.intercept_ = 0.0
        elif self.ravel:
            fitted.intercept_ = fitted.intercept_[0]
        if self.ravel:
            fitted.coef_ = fitted.coef_[0]
        if type(fitted) is Ridge:
            fitted.n_iter_, fitted.solver_ = None, "cholesky"
        elif not sparse.issparse(self.X):
            singular = self._singular_values(solution.gram)
            fitted.rank_ = int(np.sum(singular > self._rank_cutoff(solution) * singular[0]))
            fitted.singular_ = singular.astype(dtype)
        fitted.n_features_in_ = self.X.shape[1]
        return fitted

    def _rank_cutoff(self, solution):
        """The relative cutoff of ``scipy.linalg.lstsq`` in the installed
        ``LinearRegression.fit``: its ``tol`` (scikit-learn 1.7 on), else
        ``max(n_rows, n_features) * eps`` (scikit-learn 1.6)."""
        tol = getattr(self.estimator, "tol", None)
        if tol is not None:
            return tol
        rows = solution.inputs[1]
        n_rows = self.X.shape[0] if rows is None else len(rows)
        return max(n_rows, self.X.shape[1]) * np.finfo(self.X.dtype).eps

    def _singular_values(self, gram):
        """Singular values, largest first, of the weighted features as
        ``LinearRegression.fit`` solves for them: ``sqrt(W) (X - xbar_w)``
        (``sqrt(W) X`` without an intercept), from the Gram matrix of the
        centred, scaled design."""
        n_features = len(self._mean)
        # normalised first, so that huge weights or units cannot overflow
        size, largest = np.max(np.abs(gram)), np.max(self._scale)
        if not size > 0:
            return np.zeros(n_features)
        gram = gram / size
        features = gram[:n_features, :n_features]
        if self.fit_intercept:  # the Schur complement centres at the weighted mean
            cross = gram[:n_features, n_features]
            features = features - np.outer(cross, cross) / gram[n_features, n_features]
        scale = self._scale / largest  # D S D, D = diag(scale)
        eigenvalues = np.linalg.eigvalsh(features * np.outer(scale, scale))[::-1]
        return np.sqrt(np.clip(eigenvalues, 0, None)) * np.sqrt(size) * largest


def make_refit(estimator, X, targets, sample_weight, fit_params, ravel):
    """A :class:`LinearRefit` when the normal equations can stand in for the
    refits of ``estimator`` (see :func:`supports_sufficient_statistics`),
    a :class:`~sklearn_gum._pipeline_refit.PipelineRefit` for a Pipeline
    whose transformers need fitting once (see
    :func:`~sklearn_gum._pipeline_refit.supports_transform_once`; its final
    step solves the normal equations on the kept features where it can),
    else a :class:`WeightedRefit`."""
    if supports_sufficient_statistics(estimator, X, fit_params):
        return LinearRefit(estimator, X, targets, sample_weight, fit_params, ravel)
    if supports_transform_once(estimator, targets):
        return PipelineRefit(estimator, X, targets, sample_weight, fit_params, ravel,
                             final_refit=_final_refit)
    return WeightedRefit(estimator, X, targets, sample_weight, fit_params, ravel)


def _final_refit(final_step, features, targets, sample_weight, fit_params, ravel):
    """A :class:`LinearRefit` of a Pipeline's final step on its transformed
    features, where the normal equations can stand in for its refits."""
    if not supports_sufficient_statistics(final_step, features, fit_params):
        return None
    return LinearRefit(final_step, features, targets, sample_weight, fit_params, ravel)
