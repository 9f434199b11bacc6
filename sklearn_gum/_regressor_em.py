"""The EM of a scikit-learn regressor: the core's driver with weighted refits.

Each EM iteration refits a clone of the regressor with the responsibilities
as weights (:mod:`sklearn_gum._weighted_fit`), then takes the E-step on its
new residuals (:class:`sklearn_gum._em.EMState`).
"""

import dataclasses

import numpy as np
from sklearn.linear_model import LinearRegression
from sklearn.utils import _safe_indexing
from sklearn.utils.validation import _num_features

from . import _coherence, _em, _max_residual, _start, _warm_em
from ._calibration import SUBSET_DOFS, SUBSET_MIN_ROWS_PER_PARAMETER
from ._em_warnings import warn_if_interpolated, warn_if_weights_below_dof
from ._leverage import studentized
from ._neighbors_predict import median_start
from ._progress import Progress
from ._weighted_fit import effective_dof, whitening_factor

# Above this many samples the EM runs on an evenly spaced sample of about
# this many rows first, and finishes on all of them (as FAST-LTS does).
EM_SAMPLE = 20_000
# init="auto" starts from subsets from this many rows per parameter on.
AUTO_SAMPLES_PER_PARAMETER = 10


def fit_regressor_em(refit, groups, options, *, init, n_init, random_state, verbose=0):
    """Every EM run of a GUM fit, the choice among them and the decision.

    Up to ``EM_SAMPLE`` samples, everything runs on all of them. Beyond,
    the starts, the outlier decision and the EM runs take place on an
    evenly spaced (deterministic) sample of about ``EM_SAMPLE`` rows; the
    kept run then finishes on all rows, with full-data iterations until
    the EM converges there. A large data set thus costs a fixed amount
    plus a few full-data refits, and the cost grows linearly with n.

    Parameters
    ----------
    refit : WeightedRefit
        The regressor, the data and the sample weights.
    groups : list of ndarray
    options : EMOptions
    init : None, "auto", "subsets" or regressor
        ``"auto"``: see :func:`resolve_init`.
    n_init : int
    random_state : RandomState
    verbose : int, default=0

    Returns
    -------
    result : EMResult
    """
    # max_iter="auto": the budget of the path (see sklearn_gum._warm_em)
    options, refit.max_refits = _warm_em.resolve_options(options, refit)
    path = _warm_em.em_path(refit)
    n_samples = len(refit.targets)
    init = resolve_init(init, refit, n_samples)
    if n_samples <= EM_SAMPLE or path == "warm":  # a warm run costs one fit
        result, _ = _fit(refit, groups, options, init, n_init, random_state, verbose)
        # without outliers the answer is the estimator's own plain fit
        estimator = refit.materialize(result.estimator,
                                      exact=not result.has_outliers.any())
        result = dataclasses.replace(result, estimator=estimator)
    else:
        sample = np.arange(0, n_samples, -(-n_samples // EM_SAMPLE))
        result, options = _fit(refit.subset(sample), groups, options, init, n_init,
                               random_state, verbose)
        result = _finish(refit, result, options, verbose)
    if result.has_outliers.any():
        _warm_em.warn_if_unsettled(result, refit.max_refits, path)
    else:  # the EM over the plain fit's residuals
        _warm_em.warn_if_unsettled(result, options.max_iter, "exact")
    return result


def resolve_init(init, refit, n_samples):
    """``init`` with ``"auto"`` resolved: ``"subsets"`` for a
    ``LinearRegression`` where the decision after a subset start is
    calibrated (:func:`subsets_calibrated`), at most ``EM_SAMPLE`` rows
    (``n_samples``), whose ``X`` can be indexed by rows, after one plain fit
    of ``refit`` that checks the data as the estimator's own fit does (a
    subset search would only report that no subset could be fitted);
    ``None`` otherwise.
    """
    if init != "auto":
        return init
    n_parameters = _num_features(refit.X) + 1
    if (type(refit.estimator) is not LinearRegression or n_samples > EM_SAMPLE
            or not subsets_calibrated(n_samples, n_parameters)):
        return None
    refit.plain_fit()
    try:  # subsets need X indexable by rows (not a DIA matrix, say)
        _safe_indexing(refit.X, [0])
    except (TypeError, ValueError, NotImplementedError):
        return None
    return "subsets"


def subsets_calibrated(n_samples, n_parameters):
    """Whether the decision after a least-squares subset start with
    ``n_parameters`` is calibrated: from ``AUTO_SAMPLES_PER_PARAMETER`` rows
    per parameter, or from the fewest the simulated thresholds cover
    (:func:`sklearn_gum._calibration.subset_threshold`) for as many
    parameters as they were simulated with.

    With the thresholds of a plain fit's residuals, the decision after the
    subset start kept an outlier component on clean data in 15% of fits at
    20 x 3 and 55% at 50 x 9 before the start's small-sample factor and the
    studentized residuals, and in 2.2-14.2% after them at 10-100 rows and
    3-15 rows per parameter (10.0% at 10 x 2, 14.2% at 30 x 9:
    ``benchmarks/results/simulate_subset_null_normal.md``); with its own
    thresholds, 1% per outlier model.
    """
    if n_samples >= AUTO_SAMPLES_PER_PARAMETER * n_parameters:
        return True
    return (n_samples >= SUBSET_MIN_ROWS_PER_PARAMETER * n_parameters
            and n_parameters <= SUBSET_DOFS[-1])


def _fit(refit, groups, options, init, n_init, random_state, verbose):
    """The runs on the rows of ``refit``: ``(kept EMResult, scaled options)``.

    The starts after the first are fitted one at a time, as their runs
    come, and only the best run so far is kept: ``n_init`` bounds the time,
    not the memory; :class:`~sklearn_gum._progress.Progress` reports it.
    """
    early = _first_stage_decision(refit, groups, options) if init is None else None
    if early is not None:  # a warm run's first stage keeps an outlier component
        first, prediction, options, decision = early
        others = _other_starts(refit, n_init, random_state)
    else:
        first, fitted_rows, others = _starts(refit, init, n_init, random_state)
        if init is None:
            options = _second_look(refit, first, options)
        source = "the estimator" if init is None or isinstance(init, str) else (
            "the init estimator")
        prediction = refit.predict(first, source=source)
        residuals = refit.targets - prediction
        unscaled, options = options, options.scaled(residuals, refit.sample_weight,
                                                     refit.targets)
        decision = _decide(refit, first, residuals, fitted_rows, groups, options,
                           subset_start=isinstance(init, str))
        late = None if init is not None else _median_decision(refit, first, groups,
                                                              unscaled, decision)
        if late is not None:  # a k-NN's median of its neighbours keeps one
            prediction, options, decision = late
    warn_if_weights_below_dof(refit.sample_weight, effective_dof(first))
    if not decision.keep.any():
        if _warm_em.em_path(refit) != "exact":
            warn_if_interpolated(residuals, refit.targets, refit.sample_weight)
        result = _plain_result(refit, groups, options, decision, first, residuals,
                               init)
        return result, options
    progress = Progress("GUM: EM run", n_init, verbose, "Lower n_init")
    best = _run(refit, first, prediction, options, groups, decision, decision, verbose)
    progress.step(1, f"mean log-likelihood {best.log_likelihood:.6g}")
    for done, estimator in enumerate(others, start=2):
        prediction = refit.predict(estimator, source="the estimator")
        start = _em.decide_outliers(refit.targets - prediction, refit.sample_weight,
                                    groups, options, keep=decision.keep,
                                    models=decision.models)
        run = _run(refit, estimator, prediction, options, groups, start, decision,
                   verbose)
        best = _em.best_run([best, run])
        progress.step(done, f"mean log-likelihood {run.log_likelihood:.6g}")
    if verbose:
        print(f"GUM: kept the run with mean log-likelihood {best.log_likelihood:.6g}")
    if _flags_clustered(refit, best, options):
        plain = first if early is None and init is None else refit.plain_fit()
        refused = dataclasses.replace(decision, keep=np.zeros_like(decision.keep))
        return _plain_result(refit, groups, options, refused, plain,
                             refit.targets - refit.predict(plain), None), options
    return best, options


def _flags_clustered(refit, result, options):
    """Whether the rows a flexible regressor's EM flags are neighbours in
    the input space (:func:`sklearn_gum._coherence.clustered`, in any kept
    group): then the plain fit is the answer.

    Label errors do not depend on the inputs; the rows a flexible fit fails
    to follow do. On clean friedman3 labels every flexible family of
    ``bench_clean_shapes`` kept an outlier component, flagged 4-17% of the
    rows and was 1.2-3.0 times worse than its plain fit. The flags are read
    after the EM: at the decision a gross error also flags the neighbours
    whose fit it drags (the other rows of a tree's leaf), and the EM's
    reweighted fits release them. A region of wrong labels looks like a
    region of signal to a flexible regressor: GUM then trusts the labels.
    Least squares on the inputs, whose form is fixed, is not tested (on a
    basis expansion it is); nor are inputs that are not numeric.
    """
    if not (result.has_outliers.any()
            and _flexible_rules(refit, result.estimator, options)):
        return False
    inputs = _coherence.numeric_inputs(refit.X)
    if inputs is None:
        return False
    weighted = refit.sample_weight > 0
    flags = result.resp[weighted] < options.threshold
    return any(_coherence.clustered(inputs[weighted], flags[:, k])
               for k in np.flatnonzero(result.has_outliers))


def _finish(refit, sampled, options, verbose):
    """The run kept on the sample, continued on all rows.

    The sample's regressor and mixture give the first full-data E-step;
    full-data iterations follow until the EM converges. Without outliers,
    the plain fit on all rows. ``n_iter`` and ``history`` count both stages.

    The objective's ``dof`` (:meth:`EMState.objective`) is the regressor's
    from the first full-data E-step on: the sample's regressor spent fewer
    on all rows (its share of them), but an objective whose ``dof`` changes
    between iterations is not one that the EM can raise at each step.
    """
    decision = _em.Decision(sampled.evidence, sampled.has_outliers, [],
                            sampled.n_iter, sampled.converged)
    state = _em.EMState(sampled.groups, refit.sample_weight, options,
                        sampled.has_outliers)
    if not sampled.has_outliers.any():
        plain = refit.plain_fit()
        state.start(refit.targets - refit.predict(plain))
        # the sample's start, then the plain fit on all rows: one iteration
        state.history = _history_rows(sampled.history)[:1] + state.history
        return state.result(plain, decision, weighting=refit.weighting, n_iter=1,
                            converged=True)
    state.params = sampled.params
    state.dof = effective_dof(sampled.estimator)
    prediction = refit.predict(sampled.estimator, factor=sampled.whitening)
    state.e_step(refit.targets - prediction)
    # the full-data E-step stands for the sample's last one
    state.history = _history_rows(sampled.history)[:-1] + state.history[-1:]
    state.n_iter = sampled.n_iter
    estimator, factor, settling = _iterate(
        refit, state, prediction, sampled.estimator, sampled.whitening, state.dof,
        verbose,
    )
    result = state.result(refit.materialize(estimator), decision, whitening=factor,
                          weighting=refit.weighting)
    return settling.record(result)


def _history_rows(history):
    return list(zip(history["log_likelihood"], history["inlier_share"],
                    history["objective"]))


def _plain_result(refit, groups, options, decision, first, residuals, init):
    """No group keeps the uniform: the plain weighted fit, seen as a pure
    Gaussian model of its residuals (those of the first start when it is
    the plain fit)."""
    start = _em.EMState(groups, refit.sample_weight, options, decision.keep)
    start.start(residuals)
    plain = first
    if init is not None:
        plain = refit.plain_fit()
        residuals = refit.targets - refit.predict(plain)
    state = _em.EMState(groups, refit.sample_weight, options, decision.keep)
    state.start(residuals)
    # no EM is returned: one iteration, the plain fit (history_: the start's
    # Gaussian, then the plain fit's), nothing failed to converge
    state.history = start.history + state.history
    return state.result(plain, decision, weighting=refit.weighting, n_iter=1,
                        converged=True)


def _starts(refit, init, n_init, random_state):
    """The fitted estimator whose predictions start the first EM run, the
    rows it was fitted on (None: all of them, or unknown), and an iterator
    over the others (fitted when they are drawn)."""
    template = refit.estimator
    if isinstance(init, str):
        starts = _start.subset_starts(template, refit, n_init, random_state)
        (first, fitted_rows), *others = [_start.reweighted(start, refit)
                                         for start in starts]
        return first, fitted_rows, iter(fitted for fitted, _ in others)
    if init is None:
        first = refit.fit(refit.blank(), refit.sample_weight)
    else:
        first = _start.fitted_or_fit(init, refit)
    return first, None, _other_starts(refit, n_init, random_state)


def _other_starts(refit, n_init, random_state):
    """The starts after the first (``n_init > 1``): fits on random halves,
    fitted when they are drawn."""
    return (_start.random_half_fit(refit.estimator, refit, random_state)
            for _ in range(n_init - 1))


def _first_stage_decision(refit, groups, options):
    """``(stage model, its predictions, scaled options, decision)`` where
    the first stage of a warm run keeps an outlier component
    (:func:`sklearn_gum._warm_em.first_stage`); None where the family does
    not decide on it or the decision keeps nothing (the plain fit decides
    then)."""
    stage = _warm_em.first_stage(refit)
    if stage is None:
        return None
    model, prediction = stage
    residuals = refit.targets - prediction
    options = options.scaled(residuals, refit.sample_weight, refit.targets)
    decision = _decide(refit, model, residuals, None, groups, options, subset_start=False)
    if not decision.keep.any():
        return None
    return model, prediction, options, decision


def _median_decision(refit, plain, groups, options, decision):
    """``(predictions, scaled options, decision)`` of a k-NN's robust start
    (:func:`sklearn_gum._neighbors_predict.median_start`: each row's median
    label of its k nearest other rows) where the plain fit's ``decision``
    kept nothing and the start keeps an outlier component; else None.

    The plain fit decides first: where it keeps a component, the EM starts
    from it as before. A gross error moves the mean of each of its reverse
    neighbours by 1/k of itself, and their residuals fill the gap between
    inliers and errors: there the plain fit's decision can refuse errors
    the median shows. Started from the median on every fit instead, the EM
    also flagged inliers where a k-NN cannot follow a steep target (clean
    friedman3 labels with 10% uniform errors, 3,000 rows, k = 10: 11% of
    the inliers flagged against 5%, test RMSE 1.45-1.63 times the clean-row
    fit's against 1.21-1.32).
    """
    if decision.keep.any():
        return None
    prediction = median_start(refit)
    if prediction is None:
        return None
    residuals = refit.targets - prediction
    options = options.scaled(residuals, refit.sample_weight, refit.targets)
    robust = _decide(refit, plain, residuals, None, groups, options, subset_start=False)
    if not robust.keep.any():
        return None
    return prediction, options, robust


def _second_look(refit, first, options):
    """The options of the plain fit's decision where the plain fit is
    flexible and its residuals have tails of their own: at least a network's
    margin, ``NETWORK_MIN_EVIDENCE`` per weighted entry, for boosting whose
    first stage was taken and kept nothing, and for least squares on a basis
    expansion of the inputs (:func:`_expands_inputs`, with the plain fit
    ``first``).

    The fully trained booster has fitted its training rows closely, and its
    clean residuals have heavy tails of their own, as a net's have: in
    ``bench_any_regressor`` (1,000 x 8, 10 seeds per level) the plain fit's
    decision of histogram boosting found no outliers its first stage had
    missed and kept a uniform on clean data twice (+0.003 and +0.021 per
    row; test RMSE 1.17 and 1.10 times the plain fit's); that of gradient
    boosting found the 20% uniform outliers its ten coarse trees had missed
    in 5 seeds, at +0.22 to +0.37 per row. A spline or polynomial basis
    leaves large residuals where it cannot follow the target (an
    interaction of two inputs, for an additive spline): on clean friedman1
    labels (1,000 x 8) ``Pipeline(SplineTransformer, Ridge)`` kept a
    contaminated normal at +0.002 to +0.009 per row in 5 of 5 seeds, and
    degree-2 polynomial features at +0.007 to +0.016; 5% to 40% of uniform
    or Gaussian-shaped label errors scored +0.29 to +1.43 per row.
    """
    if _warm_em.stage_family(refit) is None and not _expands_inputs(refit, first):
        return options
    return dataclasses.replace(
        options, min_evidence=max(options.min_evidence, _em.NETWORK_MIN_EVIDENCE))


def _decide(refit, estimator, residuals, fitted_rows, groups, options, subset_start):
    """The outlier decision on the first start's residuals.

    For a least-squares start fitted to some of the rows, the decision reads
    the residuals studentized by their leverage
    (:func:`sklearn_gum._leverage.studentized`): on clean data they have the
    errors' variance, and the mixtures fitted to them (where the EM starts)
    the errors' scale. They are still not the i.i.d. residuals of one fit
    (the start was the best of hundreds): after any least-squares subset
    start (``subset_start``), whether its reweighting kept every row, some
    or none could be refitted (``fitted_rows`` None), the tests take the
    thresholds simulated for that start
    (:func:`sklearn_gum._calibration.subset_threshold`).
    """
    subset_dof = tests = None
    scaled = decision_residuals(refit, residuals, fitted_rows)
    if subset_start and _least_squares(refit.estimator):
        subset_dof = _num_features(refit.X) + refit.estimator.fit_intercept
        tests = _largest_residual_tests(scaled, refit.sample_weight, fitted_rows,
                                        groups, subset_dof)
    decision = _em.decide_outliers(scaled, refit.sample_weight, groups, options,
                                   subset_dof=subset_dof, tests=tests)
    if _flexible_rules(refit, estimator, options):
        return _majority_only(decision)
    return decision


def _largest_residual_tests(scaled, sample_weight, fitted_rows, groups, dof):
    """Per group, the evidence of the largest-residual test after a
    least-squares subset start (:mod:`sklearn_gum._max_residual`): for
    groups of one column whose start was refitted on its inliers; NaN (the
    mixture's tests) for the others."""
    tests = np.full(len(groups), np.nan)
    if fitted_rows is None:
        return tests
    for k, columns in enumerate(groups):
        if len(columns) == 1:
            tests[k] = _max_residual.evidence(scaled[:, columns[0]], sample_weight,
                                              fitted_rows, dof)
    return tests


def _flexible_rules(refit, estimator, options):
    """Whether the rules of flexible regressors apply (:func:`_majority_only`,
    :func:`_flags_clustered`): to every refit but weighted least squares on
    the inputs as they are, or mapped to as many columns or fewer (a scaler,
    a projection), unless ``outlier_component="always"`` keeps the mixture
    on. ``estimator`` is a fitted regressor of the refits."""
    flexible = _warm_em.em_path(refit) != "exact" or _expands_inputs(refit, estimator)
    return flexible and options.outlier_component != "always"


def _expands_inputs(refit, estimator):
    """Whether the fitted ``estimator`` ends in a linear model with more
    coefficients per output than the inputs have columns: least squares on
    a basis expansion (splines, polynomial features, kernel features), a
    fit as flexible as its basis. Its misfit is not a label error, and
    clustered wrong labels look like signal to it."""
    coef = getattr(_warm_em.final_step(estimator)[0], "coef_", None)
    return coef is not None and np.shape(coef)[-1] > _num_features(refit.X)


def _majority_only(decision):
    """The decision with a flexible regressor's uniform refused where its
    Gaussian holds a minority of the weight.

    Label errors are a minority whatever the regressor. A uniform that
    explains most of a flexible fit's residuals explains the fit's own
    shape: an SVR's epsilon-insensitive loss leaves its training residuals
    spread evenly within the tube (a clean linear target, standardised:
    a Gaussian of 9 of 1,000 rows and a uniform for the rest, then every
    row flagged and 2.5-3.8 times the plain fit's test RMSE over 5 seeds).
    Least squares keeps such decisions: its residuals have no shape of
    their own (``bench_breakdown`` sweeps up to 60% outliers). Every kept
    decision of ``bench_any_regressor`` has a Gaussian of 55% or more.
    """
    majority = np.array([model != "uniform" or mixture.params.inlier_prior >= 0.5
                         for model, mixture in zip(decision.models, decision.mixtures)])
    return dataclasses.replace(decision, keep=decision.keep & majority)


def decision_residuals(refit, residuals, fitted_rows):
    """The residuals the decision reads: studentized by their leverage after
    a least-squares start fitted to some of the rows (``fitted_rows``),
    else as they are."""
    if (fitted_rows is not None and not fitted_rows.all()
            and _least_squares(refit.estimator)):
        return studentized(residuals, refit.X, refit.sample_weight, fitted_rows,
                           refit.estimator.fit_intercept)
    return residuals


def _least_squares(estimator):
    return type(estimator) is LinearRegression and not estimator.positive


def _run(refit, estimator, prediction, options, groups, start, decision, verbose):
    """One EM run from a starting prediction, as an :class:`EMResult`.

    The EM starts from the mixture ``start`` fitted to the starting
    residuals with a free centre: the prediction is moved by that centre
    (as a refit of the intercept would), and the first refit weights the
    samples by the responsibilities of the tight mode found there. A start
    dragged by one-sided outliers thus still starts from its inliers.
    """
    if _warm_em.warm_family(refit) is not None:  # one training run in stages
        return _warm_em.warm_run(refit, estimator, prediction, options, groups, start,
                                 decision, verbose, refit.max_refits)
    state = _em.EMState(groups, refit.sample_weight, options, decision.keep)
    prediction = prediction + start.offset(groups)
    dof = effective_dof(estimator)
    state.start(refit.targets - prediction, decision=start, dof=dof)
    estimator, factor, settling = _iterate(refit, state, prediction, estimator, None,
                                           dof, verbose)
    result = state.result(estimator, decision, whitening=factor, weighting=refit.weighting)
    return settling.record(result)


def _iterate(refit, state, prediction, estimator, factor, dof, verbose):
    """EM iterations until convergence or ``refit.max_refits`` in all (and
    at least one):
    mixture M-step, weighted refit, E-step. Returns the last regressor, its
    whitening and the run's :class:`~sklearn_gum._warm_em.Settling`; ``dof``
    is that of the regressor behind ``prediction``."""
    residuals = refit.targets - prediction
    # at least one refit: a run finished on all rows must not end on the
    # sample's regressor when the sample used up the budget
    budget = max(refit.max_refits, state.n_iter + 1)
    settling = _warm_em.Settling(state, exact=_warm_em.em_path(refit) == "exact",
                                 verbose=verbose, max_iter=budget)
    while state.n_iter < budget:
        state.m_step(residuals, dof=dof)
        factor = whitening_factor(state.covariance())
        weights, rows, targets = _refit_inputs(refit, state, prediction)
        estimator = refit.fit(
            refit.blank(), weights, rows=rows, targets=targets, factor=factor
        )
        prediction = refit.predict(estimator, factor=factor)
        residuals = refit.targets - prediction
        dof = effective_dof(estimator)
        state.iterate(residuals)
        state.converged = settling.update(state, state.converged,
                                          f"refit {state.n_iter}")
        if state.converged:
            break
    return estimator, factor, settling


def _refit_inputs(refit, state, prediction):
    """Weights, rows and targets of the M-step of the regressor.

    One group: soft weights ``w_n r_n`` (``w_n (r_n + (1 - r_n) / k)`` for
    Gaussian outliers, :meth:`EMState.refit_weights`) or, for an estimator
    without ``sample_weight``, the current inliers. Several groups: targets
    shrunk towards the current prediction by those weights (see
    :mod:`sklearn_gum._weighted_fit`), with the sample weights.
    """
    resp, groups = state.refit_weights(), state.groups
    if len(groups) > 1:
        expanded = np.empty_like(refit.targets)
        for k, columns in enumerate(groups):
            expanded[:, columns] = resp[:, [k]]
        targets = expanded * refit.targets + (1 - expanded) * prediction
        return refit.sample_weight, None, targets
    if refit.weighting == "soft":
        # A floor keeps the weights valid when every sample looks like an
        # outlier (degenerate data); it does not move a non-degenerate fit.
        return refit.sample_weight * np.maximum(resp[:, 0], 1e-12), None, None
    inliers = ((1 - state.resp[:, 0]) < state.options.threshold) & (refit.sample_weight > 0)
    rows = np.flatnonzero(inliers)
    if len(rows) <= refit.targets.shape[1]:
        rows = None
    return refit.sample_weight, rows, None
