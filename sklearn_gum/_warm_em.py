"""Warm EM for scikit-learn regressors that can continue a fit, and the stop
rule of refits that are not exact maximisers.

A regressor that can continue its own training (``warm_start`` or
``partial_fit``) is trained *once*, in stages, with an E-step between stages: the responsibilities of
the model so far weight the next stage, as the E-steps between a network's
epochs do (:mod:`sklearn_gum.nn`). The final model is that one training run,
so after the starting plain fit (which decides whether outliers are present
at all, and is the answer when they are not) the EM costs about one more
training run of the estimator's full budget. Boosting decides first on the
residuals of the run's first stage, a robust start fitted to the absolute
error before the trees could fit the outliers (:func:`first_stage`); where
that stage keeps an outlier component, no plain fit is made and the run
starts again, from scratch, with the E-step's weights (a tenth of a run,
instead of a plain fit, before the run); where it keeps none, the plain
fit decides as for the others.

What a stage is, per family (``WARM_FAMILIES``):

==============================================  ===============================
regressor (alone or the final step of a         one stage
Pipeline)
==============================================  ===============================
``HistGradientBoostingRegressor``               ``max_iter / n_stages`` boosting
                                                iterations (early stopping off)
``GradientBoostingRegressor``                   ``n_estimators / n_stages``
                                                boosting stages
                                                (``n_iter_no_change`` off)
``RandomForestRegressor``,                      ``n_estimators / n_stages`` new
``ExtraTreesRegressor``                         trees; each tree keeps the
                                                weights of its stage
``MLPRegressor``, ``SGDRegressor``              ``n_epochs / n_stages`` epochs,
                                                one ``partial_fit`` each,
                                                ``n_epochs`` being those of the
                                                starting plain fit (``n_iter_``);
                                                in a Pipeline, a warm ``fit``
                                                of that many epochs
==============================================  ===============================

The early stopping of these estimators holds out a validation split of its
own and stops when its (weighted) validation loss stops improving; between
E-steps the weights, hence that loss, change, so its scores are not
comparable from one stage to the next. Warm EM turns it off and trains the
full budget the estimator was given (``max_iter`` or ``n_estimators``; for
networks and SGD, the epochs the plain fit ran). For boosting this is the
price of accuracy: on 20,000 rows with 20% outliers the plain fit stops
after about 44 of 100 iterations, and a warm run of that length is less
accurate than ``loss="absolute_error"``; the full run is more accurate,
but costs 3.5-4.9 such plain fits (1.9-2.3 of 100 iterations; see
``benchmarks/results/bench_any_regressor.md``).

Every other regressor is refitted from scratch at each EM iteration. Unless
it is weighted least squares (``EXACT_REFITS``), such a refit (a tree, k
nearest neighbours, an SVR) is not an exact maximiser of the M-step, and
the log-likelihood need not settle to ``tol``: those runs also stop when
what the user sees has settled (:class:`Settling`: at most ``FLAG_TOL`` of
the flags changed at the last E-step and the outlier probabilities moved by
at most ``PROBA_TOL`` on average). Each path has its own default budget
(``AUTO_MAX_ITER``), and a run that ends unconverged warns with what it
reached.

Refits from scratch have a budget of 2: the first refit weights the rows by
the E-step on the plain fit's residuals, the second by the E-step on that
reweighted fit's, and the last E-step tells whether the flags settled. Each
refit is a full fit (and an E-step a prediction of every training row), so
5 refits cost 6 to 11 fits; more did not help: at 1000 x 8 with 20-40%
outliers, 3 seeds, SVR's test RMSE (over a fit on the clean rows) was
1.07-1.19 after 2 refits and 1.10-1.29 after 5 (its weighted refits fit the
heavily weighted rows ever tighter, and the flagged share keeps growing),
KNeighbors' 1.02-1.07 and 1.00-1.04.
"""

import dataclasses
import time
import warnings

import numpy as np
from sklearn.ensemble import (
    ExtraTreesRegressor,
    GradientBoostingRegressor,
    HistGradientBoostingRegressor,
    RandomForestRegressor,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, Ridge, SGDRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.pipeline import Pipeline

from . import _em, _warm_hgb
from ._progress import iteration_budget
from ._weighted_fit import effective_dof

# Default refit budget (max_iter="auto") of each path: the normal-equation
# refits of LinearRegression (cheap, exact), refits from scratch of any other
# regressor, and E-steps (stages) of one warm training run.
AUTO_MAX_ITER = {"exact": 100, "refit": 2, "warm": 10}
# The flags have settled when at most this share of them changed at the last
# E-step and the outlier probabilities moved by at most PROBA_TOL on average
# (the largest move is that of a borderline sample, which a refit that is not
# an exact maximiser keeps moving).
FLAG_TOL = 0.002
PROBA_TOL = 0.005


# Regressors whose weighted refit maximises the M-step exactly.
EXACT_REFITS = (LinearRegression, Ridge)


@dataclasses.dataclass(frozen=True)
class WarmFamily:
    """How one family of regressors continues a fit.

    ``count`` is the parameter that sets the size of the training run;
    ``cumulative`` whether a continued ``fit`` trains up to that count
    (boosting, forests) or that many more epochs (networks, SGD).
    ``fixed`` are the parameters set for warm EM; ``method`` continues the
    fit: ``"fit"`` with ``warm_start``, or where the estimator has it
    ``"partial_fit"`` once per epoch, which keeps the optimiser's state and
    SGD's learning-rate schedule (a warm ``fit`` restarts them: a Pipeline,
    which has no ``partial_fit``, continues that way). ``decides_first``:
    the outlier decision reads the residuals of the run's first stage
    before those of a plain fit (:func:`first_stage`).
    """

    count: str
    cumulative: bool
    fixed: dict
    method: str = "fit"
    decides_first: bool = False


WARM_FAMILIES = {
    HistGradientBoostingRegressor: WarmFamily(
        "max_iter", True, {"warm_start": True, "early_stopping": False},
        decides_first=True),
    GradientBoostingRegressor: WarmFamily(
        "n_estimators", True, {"warm_start": True, "n_iter_no_change": None},
        decides_first=True),
    RandomForestRegressor: WarmFamily("n_estimators", True, {"warm_start": True}),
    ExtraTreesRegressor: WarmFamily("n_estimators", True, {"warm_start": True}),
    MLPRegressor: WarmFamily(
        "max_iter", False, {"warm_start": True, "early_stopping": False},
        method="partial_fit"),
    SGDRegressor: WarmFamily(
        "max_iter", False, {"warm_start": True, "early_stopping": False, "tol": None},
        method="partial_fit"),
}


def final_step(estimator):
    """``(final estimator, parameter prefix)``: a Pipeline's last step."""
    if isinstance(estimator, Pipeline):
        name, last = estimator.steps[-1]
        inner, prefix = final_step(last)
        return inner, f"{name}__{prefix}"
    return estimator, ""


def warm_family(refit):
    """The :class:`WarmFamily` of the refits' regressor, or None when the EM
    refits it from scratch: it is not of a family that continues a fit, or
    it takes no sample weights, or it has several outputs (whose whitening
    changes between E-steps)."""
    final, _ = final_step(refit.estimator)
    family = WARM_FAMILIES.get(type(final))
    if family is None or refit.weight_key is None or refit.targets.shape[1] != 1:
        return None
    return family


def stage_family(refit):
    """The :class:`WarmFamily` of ``refit`` where it decides on the first
    stage of its warm run (``WarmFamily.decides_first``: boosting), else
    None."""
    family = warm_family(refit)
    return family if family is not None and family.decides_first else None


def em_path(refit):
    """``"exact"``, ``"warm"`` or ``"refit"``: how the EM of ``refit`` runs.

    Exact: refits that maximise the M-step, weighted least squares
    (``LinearRegression`` or ``Ridge``, alone or ending a Pipeline, with
    soft weights).
    """
    if warm_family(refit) is not None:
        return "warm"
    exact = type(final_step(refit.estimator)[0]) in EXACT_REFITS
    return "exact" if exact and refit.weight_key is not None else "refit"


def resolve_options(options, refit):
    """``(options, budget)``: ``max_iter="auto"`` and ``outlier_model="auto"``
    resolved.

    The options' ``max_iter`` (that of the EM over fixed residuals which
    decides about outliers) becomes 100; the budget is the path's own
    (``AUTO_MAX_ITER``), or the user's ``max_iter`` on every path. The
    outlier model is chosen by the data on the exact path only
    (:func:`sklearn_gum._em.resolve_outlier_model`).
    """
    path = em_path(refit)
    options = _em.resolve_outlier_model(options, exact=path == "exact")
    if options.max_iter != "auto":
        return options, options.max_iter
    budget = AUTO_MAX_ITER[path]
    return dataclasses.replace(options, max_iter=AUTO_MAX_ITER["exact"]), budget


class Settling:
    """Flags and outlier probabilities from one E-step to the next; the
    progress line of each EM iteration.

    Parameters
    ----------
    state : EMState
        Right after its first E-step.
    exact : bool
        Whether the refits are exact maximisers (then only the
        log-likelihood decides convergence).
    verbose : int
    max_iter : int, default=None
        The run's budget of EM iterations, whose time left is checked
        (:func:`sklearn_gum._progress.iteration_budget`); None: not checked.
    """

    def __init__(self, state, exact, verbose, max_iter=None):
        self.exact = exact
        self.verbose = verbose
        self.budget = None if max_iter is None else iteration_budget(max_iter)
        self.clock = time.perf_counter()
        self._last = self._flags(state)
        self.changes = [0]
        self.moves = [0.0]
        self._print(state, "start")

    @staticmethod
    def _flags(state):
        proba = 1 - state.resp
        return proba, proba >= state.options.threshold

    def update(self, state, converged, label):
        """Record the latest E-step; return whether the run has converged."""
        proba, flags = self._flags(state)
        self.changes.append(int(np.sum(flags != self._last[1])))
        self.moves.append(float(np.mean(np.abs(proba - self._last[0]))))
        self._last = proba, flags
        if not self.exact:
            converged = converged or self.settled
        self._print(state, label)
        if self.budget is not None and not converged:
            self.budget.step(state.n_iter)
        return converged

    @property
    def settled(self):
        """At most ``FLAG_TOL`` of the flags changed and the outlier
        probabilities moved by at most ``PROBA_TOL`` on average."""
        n_flags = self._last[1].size
        return self.changes[-1] <= FLAG_TOL * n_flags and self.moves[-1] <= PROBA_TOL

    def _print(self, state, label):
        if self.verbose:
            print(f"GUM {label}: {int(self._last[1].sum())} flagged, "
                  f"{self.changes[-1]} flags changed, mean log-likelihood "
                  f"{state.log_likelihood:.6g}, {time.perf_counter() - self.clock:.2f} s")

    def record(self, result):
        """The result with ``history["flag_changes"]`` (flags changed) and
        ``history["proba_change"]`` (mean move of the outlier probabilities)
        at each E-step, 0 at the start."""
        history = dict(result.history)
        # NaN for E-steps before this run's first (a sample's, see _finish)
        pad = [np.nan] * (len(history["log_likelihood"]) - len(self.changes))
        history["flag_changes"] = np.array(pad + self.changes, dtype=float)
        history["proba_change"] = np.array(pad + self.moves, dtype=float)
        return dataclasses.replace(result, history=history)


def warm_run(refit, estimator, prediction, options, groups, start, decision,
             verbose, budget):
    """One warm EM run: a single training run of a fresh clone, in stages,
    with an E-step after each; as an :class:`EMResult`.

    The EM starts as a run of refits does (see
    :func:`sklearn_gum._regressor_em._run`); ``estimator`` is the start's
    fit, whose ``n_iter_`` gives the epochs of networks and SGD.
    """
    family = warm_family(refit)
    state = _em.EMState(groups, refit.sample_weight, options, decision.keep)
    prediction = prediction + start.offset(groups)
    residuals, dof = refit.targets - prediction, effective_dof(estimator)
    state.start(residuals, decision=start, dof=dof)
    settling = Settling(state, exact=False, verbose=verbose)
    model, sizes = _warm_model(refit, family, estimator, budget)
    _warm_hgb.share_bins(final_step(estimator)[0], final_step(model)[0])
    for stage, size in enumerate(sizes, start=1):
        state.m_step(residuals, dof=dof)
        weights = refit.sample_weight * np.maximum(state.refit_weights()[:, 0], 1e-12)
        _train_stage(refit, family, model, weights, size)
        residuals = refit.targets - _stage_prediction(refit, model)
        dof = effective_dof(model)
        state.iterate(residuals, check=False)
        state.converged = settling.update(state, False, f"stage {stage}/{len(sizes)}")
    return settling.record(state.result(_restore(model, refit.estimator), decision,
                                        weighting=refit.weighting))


def first_stage(refit):
    """The first stage of a warm run, trained with the sample weights alone,
    and its predictions of the training rows; None where the family does
    not decide on it (``WarmFamily.decides_first``).

    Boosting fits its outliers as it goes: by the end of a plain fit, the
    trees have taken in part of them, and at 40% of outliers the decision
    on its residuals keeps nothing. Its first stage (the first tenth of the
    run) has not fitted them yet: on 1,000 x 8 rows with 40% Gaussian-shaped
    outliers histogram boosting's first stage keeps them in 5 of 5 seeds,
    its plain fit in 0; on clean data the first stage kept nothing in 5
    seeds at 1,000 and at 20,000 rows (evidence -120 to -3,500; the plain
    fit kept a uniform in 2 of the 5 at 1,000). Ten trees of depth three,
    gradient boosting's first stage, can be too coarse to show a uniform
    (20% uniform outliers, squared error at the run's rate: 2 of 5 seeds
    missed): where the first stage keeps nothing, the plain fit decides.

    The first stage is boosting's robust start (:func:`_robust_stage`), as
    the subsets are least squares'.
    """
    family = stage_family(refit)
    if family is None:
        return None
    model, sizes = _warm_model(refit, family, None, refit.max_refits)
    model.set_params(**_robust_stage(refit.estimator, sizes))
    _train_stage(refit, family, model, refit.sample_weight, sizes[0])
    return model, _stage_prediction(refit, model)


def _robust_stage(template, sizes):
    """Parameters of a squared-error booster's first stage (of ``sizes[0]``
    of ``sizes[-1]`` iterations) that make it a robust start: the absolute
    error, whose leaves take the median of their residuals, which outliers
    do not move while they are fewer than half of a leaf's rows; and the
    learning rate that shrinks a residual in the stage's iterations as
    much as the run's rate does in all of its (``1 - (1 - rate)^10`` for ten
    stages: 0.65 for the default 0.1), so that the stage reaches the target
    instead of a tenth of the way to it. Other losses are kept as they are.

    At 1,000 x 8 (``bench_any_regressor``'s data, 5 seeds), the squared
    error's first stage was pulled by 40% of uniform outliers, its inliers'
    residuals spread over the targets' range and NEC refused the uniform:
    GUM returned the plain fit, 3.7-4.7 times the test RMSE of a fit to the
    clean rows for histogram boosting (``loss="absolute_error"``: 1.5) and
    2.7-3.3 for gradient boosting; the robust stage keeps the uniform in
    every seed, 1.23-1.35 and 1.05-1.20. At 20% of outliers of either
    shape and at 40% Gaussian-shaped ones histogram boosting's medians went
    from 1.11-1.47 to 1.09-1.17, gradient boosting's from 1.14-1.35 to
    1.07-1.18; on clean data nothing changed. Learning rates of 0.3, 0.5
    and 0.65 for the stage gave the same figures to within 0.05.
    """
    final, prefix = final_step(template)
    if getattr(final, "loss", None) != "squared_error":
        return {}
    rate = min(final.learning_rate, 1.0)
    return {prefix + "loss": "absolute_error",
            prefix + "learning_rate": 1 - (1 - rate) ** (sizes[-1] / sizes[0])}


def _train_stage(refit, family, model, weights, size):
    """Continue the fit of ``model`` by one stage of ``size``."""
    with warnings.catch_warnings():  # each stage is short on purpose
        warnings.simplefilter("ignore", ConvergenceWarning)
        if family.method == "fit" or not hasattr(model, "partial_fit"):
            model.set_params(**{final_step(refit.estimator)[1] + family.count: size})
            refit.fit(model, weights)
            return
        targets = refit.targets.ravel() if refit.ravel else refit.targets
        for _ in range(size):
            model.partial_fit(refit.X, targets, **refit.fit_params,
                              **{refit.weight_key: weights})


def _warm_model(refit, family, start, budget):
    """A fresh clone set up for warm EM, and the count parameter of each of
    its (at most ``budget``) stages."""
    final, prefix = final_step(refit.estimator)
    total = _run_length(family, final, final_step(start)[0])
    n_stages = max(1, min(budget, int(total)))
    ends = np.linspace(0, total, n_stages + 1).round().astype(int)[1:]
    sizes = ends if family.cumulative else np.diff(ends, prepend=0)
    model = refit.blank()
    fixed = {prefix + name: value for name, value in family.fixed.items()}
    if type(final) is MLPRegressor:  # no tol stop within a stage
        fixed[prefix + "n_iter_no_change"] = int(np.max(sizes)) + 1
    model.set_params(**fixed)
    _warm_hgb.staged(final_step(model)[0])
    return model, [int(size) for size in sizes]


def _run_length(family, final, start):
    """The count of a warm run: the estimator's ``max_iter`` or
    ``n_estimators`` (boosting, forests), or for networks and SGD the epochs
    of the plain fit ``start`` (its ``n_iter_``, its own stopping rule's
    choice). Boosting trains its full budget: the plain fit's early stopping
    scores outliers too and stops early (37 to 67 of 100 iterations with 20%
    outliers at 20,000 rows), which cost the warm run half its accuracy."""
    budget = getattr(final, family.count)
    if family.cumulative or type(start) is not type(final):
        return budget
    return getattr(start, "n_iter_", budget)


def _stage_prediction(refit, model):
    """Predictions of the training rows after a stage (for staged histogram
    boosting, from the predictions it keeps)."""
    inner = final_step(model)[0]
    if isinstance(inner, _warm_hgb.StagedBoosting):
        return refit.checked(inner.training_prediction(), len(refit.targets), None,
                             "the refitted estimator")
    return refit.predict(model)


def _restore(model, template):
    """The warm model as the user's class and parameters (``warm_start``,
    early stopping, the count), without the warm run's state."""
    _warm_hgb.unstaged(final_step(model)[0])
    final, prefix = final_step(template)
    family = WARM_FAMILIES[type(final)]
    names = [*family.fixed, family.count] + (
        ["n_iter_no_change"] if type(final) is MLPRegressor else [])
    params = final.get_params(deep=False)
    model.set_params(**{prefix + name: params[name] for name in names})
    return model


def warn_if_unsettled(result, budget, path):
    """One ``ConvergenceWarning`` when the EM did not converge within its
    budget (a warm run: by the end of its training run), saying what it
    reached and what to change."""
    if result.converged or (path != "warm" and result.n_iter < budget):
        return
    history = result.history
    reached = ""
    if "flag_changes" in history and len(history["flag_changes"]) > 1:
        reached = (
            f" At the last E-step {int(history['flag_changes'][-1])} of "
            f"{result.resp.size} flags still changed and the outlier "
            f"probabilities moved by {history['proba_change'][-1]:.3g} on average "
            f"(settled: at most {FLAG_TOL:.1%} of the flags and {PROBA_TOL} on "
            "average)."
        )
    if path == "warm":
        message = (
            f"Warm EM did not settle within its training run of {result.n_iter} "
            f"stages (max_iter={budget}).{reached} Increase max_iter (more, "
            "shorter stages) or the estimator's own training budget."
        )
    else:
        message = (
            f"EM did not converge in max_iter={budget} iterations.{reached} "
            "Increase max_iter or tol, or try init='subsets' or n_init > 1."
        )
    warnings.warn(message, ConvergenceWarning)
