"""GUMRegressor on dask arrays and data frames, without collecting X.

The fit is the two-stage EM of :mod:`sklearn_gum._regressor_em`: the
starts, the outlier decision and the EM runs take place on an evenly spaced
sample of about ``EM_SAMPLE`` rows, computed from the dask collection (all
rows up to ``EM_SAMPLE``, where the fit is exactly the in-memory one). The
kept run then finishes with full-data iterations, each ONE pass over the
chunks on the active dask scheduler: a chunk computes its E-step and the
sums of both M-steps (:mod:`sklearn_gum._chunk_stats`); the client adds
them, updates the mixture and solves the normal equations of the refit.
``LinearRegression`` and ``Ridge`` (whose refits are such solves) are
supported, for one output.

``outlier_proba_``, ``inlier_mask_``, :meth:`GUMRegressor.predict` and
:meth:`GUMRegressor.outlier_proba` are lazy dask arrays with the input's
row chunks: nothing of size ``n_samples`` is held on the client.
"""

import copy
import dataclasses

import dask
import dask.array as da
import numpy as np
from sklearn.base import clone

from . import _chunk_stats, _em, _regressor_em, _warm_em
from ._linear_refit import (LinearRefit, LinearSolution, ridge_penalty,
                            solve_normal_equations)
from ._progress import iteration_budget
from ._validation import check_groups
from ._weighted_fit import effective_dof

# The in-memory sample: a pass over dask data costs far more than an EM
# over this many rows in memory, and a sample closer to the full data
# leaves fewer full-data iterations (each one pass) to converge.
SAMPLE = 200_000
SUPPORTED = "LinearRegression (not positive) or Ridge (scalar alpha, not positive)"


def check_supported(estimator, fit_params):
    """A ``TypeError`` unless ``estimator`` refits from sufficient statistics."""
    if ridge_penalty(estimator) is None:
        raise TypeError(
            f"GUMRegressor fits dask inputs with {SUPPORTED} inside: their refits "
            "are normal-equation solves, one pass over the chunks each. Got "
            f"{estimator!r}. Use one of these, or fit on an in-memory sample "
            "(e.g. X[::k].compute())."
        )
    if fit_params:
        raise TypeError(
            "GUMRegressor takes no fit parameters besides sample_weight with dask "
            f"inputs; got {sorted(fit_params)}."
        )


def as_arrays(X, y, sample_weight):
    """``X`` (2-D, one chunk of columns), ``y`` and ``sample_weight`` as dask
    arrays with the same row chunks, and the feature names of a data frame.

    Data frames are turned into arrays with their partition lengths
    (computed once: one pass over a data frame that is not in memory)."""
    names, lengths = None, True
    if _is_frame(X):
        if len(X.columns) and all(isinstance(c, str) for c in X.columns):
            names = np.asarray(X.columns, dtype=object)
        lengths = tuple(X.map_partitions(len).compute())
        X = X.to_dask_array(lengths=lengths)
    y, sample_weight = (
        values.to_dask_array(lengths=lengths)
        if _is_frame(values) or _is_series(values) else values
        for values in (y, sample_weight)
    )
    if X.ndim != 2 or 0 in X.shape:
        raise ValueError(
            f"X must be a 2-D array of shape (n_samples, n_features) with at "
            f"least one sample and one feature; got shape {X.shape}."
        )
    if X.dtype.kind != "f":
        X = X.astype(np.float64)
    X = X.rechunk({1: -1})
    rows = X.chunks[0]
    y = _aligned(y, rows, "y")
    if y.ndim == 2 and y.shape[1] != 1 or y.ndim > 2:
        raise ValueError(
            f"GUMRegressor fits dask inputs with one output; y has shape {y.shape}."
        )
    if sample_weight is not None:
        sample_weight = _aligned(sample_weight, rows, "sample_weight")
    return X, y, sample_weight, names


def _is_frame(data):
    return hasattr(data, "to_dask_array") and hasattr(data, "columns")


def _is_series(data):
    return hasattr(data, "to_dask_array") and not hasattr(data, "columns")


def _aligned(values, rows, name):
    """``values`` as a dask array chunked like ``rows``."""
    if values is None:
        raise ValueError(f"GUMRegressor requires {name} to be passed; it is None.")
    if not isinstance(values, da.Array):
        values = da.from_array(np.asarray(values), chunks=-1)
    if values.shape[0] != sum(rows):
        raise ValueError(
            f"{name} has {values.shape[0]} samples, X has {sum(rows)}."
        )
    return values.rechunk({0: rows, **{k: -1 for k in range(1, values.ndim)}})


def fit(gum, X, y, sample_weight, fit_params):
    """Fit ``gum`` on dask inputs; its fitted attributes hold lazy arrays.
    Warns as the in-memory fit does (a degenerate mixture, no convergence)."""
    estimator = gum._get_estimator()
    check_supported(estimator, fit_params)
    X, y, sample_weight, names = as_arrays(X, y, sample_weight)
    n_samples = X.shape[0]
    step = -(-n_samples // SAMPLE)
    weights = None if sample_weight is None else sample_weight[::step]
    X_sample, y_sample, w_sample = dask.compute(X[::step], y[::step], weights)
    refit, y_ndim = gum._prepare(X_sample, y_sample, w_sample, {})
    groups = check_groups(gum.outlier_granularity, refit.targets.shape[1])
    sampled, options = _fit_sample(gum, refit, groups, n_samples)
    if step == 1:  # every row is in the sample: the in-memory fit itself
        result = warning = sampled
    else:
        finish = ChunkedFinish(estimator, X, y, sample_weight, refit, gum.threshold)
        result, warning = finish.run(sampled, options, gum.verbose)
    gum._y_ndim = y_ndim
    resp = lazy_resp(X, y, result.estimator, result.params, groups)
    gum._store(dataclasses.replace(result, resp=resp, log_lik=None))
    if names is not None:
        gum.feature_names_in_ = names
    _em.warn_if_degenerate(warning)
    _em.warn_if_not_converged(warning, options.max_iter,  # max_iter="auto" resolved
                              "Increase max_iter or tol, or try n_init > 1.")


def _fit_sample(gum, refit, groups, n_total):
    """The in-memory fit of the sample (:func:`fit_regressor_em`, itself in
    two stages above ``EM_SAMPLE`` rows) and its scaled options; ``n_total``
    rows in all decide ``init="auto"`` as in memory."""
    n_samples = len(refit.targets)
    rows = np.arange(0, n_samples, -(-n_samples // _regressor_em.EM_SAMPLE))
    first = refit if len(rows) == n_samples else refit.subset(rows)
    init = _regressor_em.resolve_init(gum.init, first, n_total)
    options, first.max_refits = _warm_em.resolve_options(_em.EMOptions.of(gum), first)
    result, options = _regressor_em._fit(
        first, groups, options, init, gum.n_init, gum._random_state(), gum.verbose,
    )
    if len(rows) < n_samples:
        result = _regressor_em._finish(refit, result, options, gum.verbose)
    else:  # without outliers the answer is the estimator's own plain fit
        estimator = refit.materialize(result.estimator,
                                      exact=not result.has_outliers.any())
        result = dataclasses.replace(result, estimator=estimator)
    return result, options


class ChunkedFinish:
    """The full-data iterations of the two-stage EM, one pass each.

    Parameters
    ----------
    estimator : LinearRegression or Ridge
        The template.
    X, y, sample_weight : dask arrays
    refit : WeightedRefit
        The sample's; its centring and scaling of the features build the
        design of the normal equations.
    threshold : float
    """

    def __init__(self, estimator, X, y, sample_weight, refit, threshold):
        self.estimator = estimator
        # the chunks as blockwise arrays: dask fuses their making with the
        # statistics, one task per chunk, on the worker that holds it
        self.arrays = [X, "ij", y.reshape(-1, 1) if y.ndim == 1 else y, "ik"]
        if sample_weight is not None:
            self.arrays += [sample_weight, "i"]
        self.solver = LinearRefit(clone(estimator), refit.X, refit.targets,
                                  refit.sample_weight, {}, refit.ravel)
        self.solver.design  # centre and scale from the sample
        self.threshold = threshold
        self.all_gram = None  # the Gram of w, the same in every pass

    def pass_(self, coef, intercept, *candidates, residual_moments=False):
        """One pass over the chunks: the summed :func:`chunk_stats`, one dict
        per candidate mixture (a list of GroupParams, or None for none)."""
        model = _chunk_stats.ChunkModel(
            coef, intercept, candidates, self.solver._mean, self.solver._scale,
            self.solver.fit_intercept, self.threshold, all_gram=self.all_gram is None,
        )
        # concatenate=False: a chunk's one block of columns is handed over
        # as it is, where concatenating would copy it
        blocks = da.blockwise(
            _stats_block, "i", *self.arrays, model=model,
            residual_moments=residual_moments, adjust_chunks={"i": 1},
            meta=np.empty(0, dtype=object),
            concatenate=False,
        ).to_delayed().ravel()
        # the sums reach the client; each chunk's (r, e) pairs stay on its
        # worker until the outliers' mean gives its pulled extremes
        delayed = dask.delayed
        totals = delayed(_chunk_stats.combine_candidates)(
            [delayed(_sums)(b) for b in blocks])
        centres = delayed(_chunk_stats.candidate_centres)(totals)
        extremes = [delayed(_extremes)(block, centres) for block in blocks]
        found = delayed(_chunk_stats.candidates_with_span)(totals, extremes).compute()
        found = [self._with_all_gram(stats, params)
                 for stats, params in zip(found, candidates)]
        finite = all(np.isfinite(stats[name]).all() for stats in found
                     for name in ("gram", "moment", "gram_all", "moment_all", "ll",
                                  "in_ee")
                     if name in stats)
        if not finite or found[0]["negative"]:
            raise ValueError(
                "The residuals of the chunks are not finite, or some sample "
                "weights are negative: check X, y and sample_weight for NaN, "
                "infinity or negative values."
            )
        return found

    def _with_all_gram(self, stats, params):
        """``stats`` with the Gram of ``w`` where ``params`` has Gaussian
        outliers: summed in the first such pass, kept for the next ones."""
        if params is None or not np.isfinite(params[0].outlier_scale):
            return stats
        if "gram_all" in stats:
            self.all_gram = stats["gram_all"], stats["moment_all"]
        return dict(stats, gram_all=self.all_gram[0], moment_all=self.all_gram[1])

    def solve(self, stats, params=None):
        """The refit's coefficients from the summed normal equations (of the
        M-step that gave ``params``, :func:`_chunk_stats.normal_equations`)."""
        gram, moment = _chunk_stats.normal_equations(stats, params)
        gram = self.solver.penalized(gram)
        solution = solve_normal_equations(gram, moment)
        if solution is None:
            raise ValueError(
                "The weighted Gram matrix of the features is singular or "
                "ill-conditioned (collinear or constant features): drop the "
                "redundant columns of X."
            )
        return self.solver._solution(solution, (None, None, None, None), gram)

    def run(self, sampled, options, verbose):
        """The sample's kept run finished on all rows, as :func:`_finish` does
        in memory: ``(EMResult, EMResult for the warnings)``.

        An iteration is :meth:`EMState.m_step`, the refit and
        :meth:`EMState.iterate` from sums: the mixture's M-step (the
        contaminated normal's for Gaussian outliers), the refit from the
        normal equations weighted for that M-step, then one pass that
        scores the new residuals (:meth:`_e_step`). Convergence is on the
        objective (:meth:`EMState.objective`), recorded in the history.
        """
        decision = _em.Decision(sampled.evidence, sampled.has_outliers, [],
                                sampled.n_iter, sampled.converged)
        if not sampled.has_outliers.any():
            return self._plain(sampled, options, decision)
        state = _em.EMState(sampled.groups, None, options, sampled.has_outliers)
        state.params, state.n_iter = sampled.params, sampled.n_iter
        state.dof = effective_dof(sampled.estimator)  # as _finish: the objective's
        history = _regressor_em._history_rows(sampled.history)[:-1]
        estimator, whitening = sampled.estimator, sampled.whitening
        coef, intercept = _coefficients(estimator)
        [stats] = self.pass_(coef, intercept, state.params)
        self._record(state, stats, history)
        dof = state.dof
        mixture = options.mixture_for(sampled.groups[0])
        # at least one full-data refit, as in memory (_regressor_em._iterate)
        max_iter = max(options.max_iter, state.n_iter + 1)
        budget = iteration_budget(max_iter)
        while state.n_iter < max_iter:
            old = state.params[0]
            state.dof = dof  # the objective's dof: the M-step's (EMState.m_step)
            state.params = [_chunk_stats.m_step_from_stats(
                stats, dof=dof, outlier_scale=old.outlier_scale, **mixture)]
            estimator = self.solve(stats, state.params)
            coef, intercept = _coefficients(estimator)
            dof = effective_dof(estimator)
            reached = history[-1][2]
            stats = self._e_step(state, coef, intercept, old.log_volume, reached)
            self._record(state, stats, history)
            state.n_iter += 1
            state.converged = _em._mixture.has_converged(reached, history[-1][2],
                                                         options.tol)
            if verbose >= 2:
                print(f"  EM iteration {state.n_iter} (full data): mean "
                      f"log-likelihood {state.log_likelihood:.6g}, objective "
                      f"{history[-1][2]:.6g}")
            if state.converged:
                break
            budget.step(state.n_iter)
        state.history = history
        result = state.result(self.materialize(estimator), decision,
                              whitening=whitening, weighting="soft")
        # all(|r - 0.5| < margin) holds exactly when it holds for the largest
        extreme = np.array([[0.5 + stats["undecided"]]])
        return result, dataclasses.replace(result, resp=extreme)

    def _e_step(self, state, coef, intercept, previous_volume, reached):
        """The pass after an M-step: the sums of the E-step of
        ``state.params``, as :meth:`EMState.e_step` takes it.

        Where the M-step changed the uniform's volume, the same pass also
        scores the residuals under the previous volume: when the rule's
        volume would lower the objective below ``reached`` (the previous
        E-step's) and the previous volume explains the residuals better,
        ``state.params`` takes the previous volume and its sums are returned
        (:meth:`EMState._keep_better_volumes`).
        """
        params = state.params
        if params[0].log_volume == previous_volume:
            [stats] = self.pass_(coef, intercept, params)
            return stats
        previous = [dataclasses.replace(params[0], log_volume=previous_volume)]
        stats, other = self.pass_(coef, intercept, params, previous)
        rule = _em.objective(stats["ll"] / stats["sw"], params, state.dof, stats["sw"])
        if _em._mixture.not_lower(rule, reached) or not other["ll"] > stats["ll"]:
            return stats
        state.params = previous
        return other

    def _record(self, state, stats, history):
        """The E-step of a pass, as :meth:`EMState.e_step` records it: the
        mean log-likelihood, the inlier share and the objective."""
        state.log_likelihood = float(stats["ll"] / stats["sw"])
        objective = _em.objective(state.log_likelihood, state.params, state.dof,
                                  stats["sw"])
        history.append((state.log_likelihood, float(stats["inliers"] / stats["sw"]),
                        objective))

    def _plain(self, sampled, options, decision):
        """No outliers in the sample: the plain weighted least-squares fit of
        all rows, and the Gaussian of its residuals (two passes)."""
        [stats] = self.pass_(np.zeros(self.solver.X.shape[1]), 0.0, None)
        estimator = self.solve(stats)
        coef, intercept = _coefficients(estimator)
        [stats] = self.pass_(coef, intercept, None, residual_moments=True)
        state = _em.EMState(sampled.groups, None, options, sampled.has_outliers)
        mixture = options.mixture_for(sampled.groups[0])
        covariance = _chunk_stats.covariance_from_moments(
            stats["in_ee"], stats["sw"], options.covariance_type,
            mixture["reg_covar"], floor=mixture["floor"],
        )
        state.params = [_em._mixture.GroupParams(1.0, covariance, np.inf)]
        # the mean log-density of N(0, Sigma) over residuals with second
        # moment S: log N(0; 0, Sigma) - tr(Sigma^-1 S) / 2
        mahalanobis = np.trace(np.linalg.solve(covariance, stats["in_ee"])) / stats["sw"]
        state.log_likelihood = float(
            _em._mixture.log_gaussian_peak(covariance) - 0.5 * mahalanobis)
        state.history = [(state.log_likelihood, 1.0, state.log_likelihood)]
        result = state.result(self.materialize(estimator), decision, weighting="soft",
                              n_iter=sampled.n_iter, converged=sampled.converged)
        return result, dataclasses.replace(result, resp=np.ones((1, 1)))

    def materialize(self, estimator):
        """The final ``LinearRegression`` or ``Ridge`` of a solution."""
        if not isinstance(estimator, LinearSolution):
            return estimator  # a fitted estimator of the sample's refits
        return self.solver.as_estimator(estimator)


def _stats_block(X, y, w=None, *, model, residual_moments):
    """:func:`chunk_stats` of one chunk (``X`` and ``y`` as lists of their
    one block of columns), as a one-element object array."""
    [X], [y] = X, y
    block = np.empty(1, dtype=object)
    block[0] = _chunk_stats.chunk_stats(X, y, w, model, residual_moments)
    return block


def _sums(block):
    return [{name: value for name, value in stats.items() if name != "pairs"}
            for stats in block[0]]


def _extremes(block, centres):
    return _chunk_stats.candidate_extremes(block[0], centres)


def _coefficients(estimator):
    """``(coef, intercept)`` of a one-output linear model or solution."""
    return np.ravel(estimator.coef_), float(np.ravel(estimator.intercept_)[0])


def lazy_resp(X, y, estimator, params, groups):
    """The inlier responsibilities of the training rows, lazily."""
    return da.map_blocks(
        _resp_block, X, y.reshape(-1, 1) if y.ndim == 1 else y,
        estimator=estimator, params=params, groups=groups,
        chunks=(X.chunks[0], (len(groups),)), dtype=float,
    )


def _resp_block(X, y, *, estimator, params, groups):
    residuals = y.reshape(len(X), -1) - np.reshape(estimator.predict(X), (len(X), -1))
    return _em.score_groups(residuals, groups, params)[0]


def predict(gum, X):
    """Lazy predictions of a dask array or data frame, chunked like its rows."""
    X = _checked_features(gum, X)
    shape = (X.chunks[0],) if gum._y_ndim == 1 else (X.chunks[0], (1,))
    return da.map_blocks(_predict_block, X, gum=_light(gum), chunks=shape,
                         drop_axis=None if gum._y_ndim == 2 else 1, dtype=float)


def _predict_block(X, *, gum):
    return gum.predict(X)


def outlier_proba(gum, X, y):
    """Lazy :meth:`GUMRegressor.outlier_proba` of dask inputs."""
    X = _checked_features(gum, X)
    if _is_frame(y) or _is_series(y):
        y = y.to_dask_array()
    y = _aligned(y, X.chunks[0], "y") if not np.isnan(X.shape[0]) else y
    n_groups = len(gum.groups_)
    one = np.ndim(gum.outlier_proba_) == 1
    return da.map_blocks(
        _proba_block, X, y.reshape(-1, 1) if y.ndim == 1 else y, gum=_light(gum),
        chunks=(X.chunks[0],) if one else (X.chunks[0], (n_groups,)),
        drop_axis=1 if one else None, dtype=float,
    )


def _proba_block(X, y, *, gum):
    return gum.outlier_proba(X, y)


def _light(gum):
    """A copy of the fitted ``gum`` that predicts in memory, for the blocks:
    without its lazy attributes (``outlier_proba`` reads only the number of
    dimensions of ``outlier_proba_``) nor feature names (blocks are arrays)."""
    light = copy.copy(gum)
    light.outlier_proba_ = np.empty((0,) * np.ndim(gum.outlier_proba_))
    light.inlier_mask_ = light.outlier_proba_ < gum.threshold
    vars(light).pop("feature_names_in_", None)
    return light


def _checked_features(gum, X):
    """``X`` as a dask array with one chunk of columns, checked against the
    features seen in ``fit``."""
    names = getattr(gum, "feature_names_in_", None)
    if _is_frame(X):
        if names is not None and list(X.columns) != list(names):
            raise ValueError(
                "The feature names should match those that were passed during fit."
            )
        X = X.to_dask_array()
    if X.ndim != 2 or X.shape[1] != gum.n_features_in_:
        raise ValueError(
            f"X has shape {X.shape}, but GUMRegressor is expecting "
            f"{gum.n_features_in_} features as input."
        )
    return X.rechunk({1: -1})
