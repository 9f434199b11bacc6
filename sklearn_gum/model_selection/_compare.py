"""Repeated-run comparison of estimators on paired per-sample errors."""

import dataclasses
import warnings
from collections.abc import Mapping
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import FitFailedWarning
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions, validate_params
from sklearn.utils.parallel import Parallel, delayed

from .._progress import Progress
from ._checks import _ERRORS, _check_compare_inputs, _check_compare_params
from ._rank_tests import (
    MedianCI,
    WilcoxonResult,
    median_confidence_interval,
    paired_wilcoxon,
)
from ._report import ComparisonResult
from ._runs import _Failure, _fit_and_errors, _make_tasks

# Frames between the warning and the caller: _warn_failures, _gather_errors,
# compare_estimators, validate_params' wrapper.
_WARN_STACKLEVEL = 5


@validate_params(
    {
        "estimators": [Mapping, list, tuple],
        "X": ["array-like", "sparse matrix"],
        "y": ["array-like"],
        "cv": ["cv_object"],
        "test_data": [tuple, list, None],
        "n_runs": [Integral],  # >= 1, checked with the values below
        "error": [StrOptions(set(_ERRORS)), callable, list, tuple],
        "output_groups": [list, tuple, None],
        "random_state": ["random_state"],
        "n_jobs": [Integral, None],
        "correction": [str],
        "confidence_level": [Real],
        "error_score": [StrOptions({"raise"}), Real],
        "verbose": ["verbose"],
    },
    prefer_skip_nested_validation=False,  # the estimators are not validated yet
)
def compare_estimators(
    estimators,
    X,
    y,
    *,
    cv=None,
    test_data=None,
    n_runs=5,
    error="absolute",
    output_groups=None,
    random_state=None,
    n_jobs=None,
    correction="holm",
    confidence_level=0.95,
    error_score="raise",
    verbose=0,
):
    """Compare estimators on paired per-sample errors over repeated runs.

    Every estimator is fitted ``n_runs`` times with run-specific seeds; in
    a run all estimators are evaluated on the same test rows, so their
    per-sample errors are paired. Errors are pooled over runs; each pair
    of estimators is compared with :func:`paired_wilcoxon` and the
    p-values are corrected for multiple comparisons.

    Parameters
    ----------
    estimators : dict of str -> estimator, or list of (str, estimator)
        At least two named regressors; they are cloned, never modified.
    X : array-like of shape (n_samples, n_features)
        Features, passed to the estimators as given (row-indexed).
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Finite numeric targets.
    cv : int, cross-validation splitter or iterable, default=None
        Test rows of each run, ignored when ``test_data`` is given:

        - None: 5-fold, as everywhere in scikit-learn:
          ``KFold(5, shuffle=True, random_state=seed)``;
        - int: ``KFold(cv, shuffle=True, random_state=seed)``, every row
          tested once per run;
        - splitter: used as given, except that a ``random_state`` left to
          None is set to the run's seed (a reshuffle per run);
        - iterable of (train, test) index arrays: the same splits in
          every run.

        Errors of all folds of a run are concatenated.
    test_data : tuple (X_test, y_test), default=None
        If given, every run fits on all of ``X, y`` and is evaluated on
        this held-out set; runs then differ only by the seeds.
    n_runs : int, default=5
        Fits per estimator (at most 10,000).
    error : {"absolute", "squared"} or callable, default="absolute"
        Per-sample loss. "absolute" is ``|y - y_hat|``, for several
        outputs the Euclidean norm of the residual row; "squared" its
        square. A callable ``error(y_true, y_pred)`` is called with float
        arrays and must return one finite number per test sample (shape
        ``(n_test,)`` or ``(n_test, 1)``).
    output_groups : list of lists of int, default=None
        Groups of target columns, e.g. ``[[0, 1], [2, 3]]`` for two 2-D
        landmarks: ``error`` is taken on each group's columns (the
        Euclidean error of each landmark), and the groups' errors are
        pooled as separate samples. None: one error per sample over all
        columns.
    random_state : int, RandomState instance or None, default=None
        Draws the run seeds; an int makes the comparison reproducible.
    n_jobs : int, default=None
        Parallel fits through :class:`sklearn.utils.parallel.Parallel`;
        ``joblib.parallel_config(backend="dask")`` (or ray) distributes
        them unchanged.
    correction : {"holm", "bonferroni", "none"}, default="holm"
        Family-wise correction over the pairwise tests.
    confidence_level : float, default=0.95
        Level of the intervals; ``1 - confidence_level`` is the
        significance level for ``significantly_better``.
    error_score : "raise" or float, default="raise"
        What happens when an estimator fails in a run: ``fit`` or
        ``predict`` raises, or it predicts NaN, infinite values or the
        wrong shape. "raise" raises the error again (same type where
        possible, the original chained as its cause) with the estimator's
        name and the run in the message. A number is recorded as the error
        of every test sample of the failed fit and a
        :class:`~sklearn.exceptions.FitFailedWarning` names the estimator,
        the run and the original error; see Notes. NaN is the natural
        choice; infinite values are not allowed.
    verbose : int, default=0
        Print progress lines: the fits done, the time elapsed and an
        estimate of the time left (at most one line a second). Without it,
        a ``UserWarning`` after the first fits says how long the rest will
        take when that is over an hour.

    Returns
    -------
    result : ComparisonResult
        Per-estimator summaries, pairwise tests and the best estimator.

    See Also
    --------
    paired_wilcoxon : the pairwise test.
    median_confidence_interval : the per-estimator interval.

    Notes
    -----
    Seeding: run ``r`` draws a seed ``s_r`` from ``random_state``. Every
    parameter of ``get_params(deep=True)`` named ``random_state`` or
    ending in ``__random_state`` (nested estimators included) is set to
    ``s_r``, overriding the user's value so that runs differ. Estimators
    that are or contain a skorch net draw their randomness from torch:
    ``torch.manual_seed(s_r)`` is called right before their fit. That
    seed is process-global, so concurrent skorch runs in one process
    (thread-based backends) are not reproducible; use processes.

    Each (estimator, run, fold) fit is an independent, picklable task on
    a fresh ``clone``; splits and seeds are drawn beforehand in the
    calling process, so results do not depend on the backend.

    Pooled errors from several runs reuse test rows and are not
    independent: the p-values and intervals describe these test rows
    under refitting rather than new data.

    Failed fits with a numeric ``error_score``: the failed fit's errors
    are set to ``error_score`` in ``errors`` and ``run_mean_errors``, and
    its runs are listed in ``failed_runs``. A finite ``error_score`` then
    counts as a real error in every statistic, as in
    :func:`sklearn.model_selection.cross_validate`. NaN marks the errors
    as missing: the median interval of an estimator uses its other
    errors; ``mean_errors`` and ``std_errors`` use the runs without a
    failure; a pairwise test uses only the pairs where neither estimator
    failed, and its ``note`` says how many were left out. A pair with no
    such pair left has NaN for its statistic, p-value, estimate and
    interval; its p-value is left out of the correction (NaN adjusted
    p-value, no stars), and an estimator without any error cannot be
    ``best``. If every fit fails, a ValueError is raised.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.dummy import DummyRegressor
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn_gum.model_selection import compare_estimators
    >>> X, y = make_regression(n_samples=100, n_features=3, noise=1.0,
    ...                        random_state=0)
    >>> result = compare_estimators(
    ...     {"ols": LinearRegression(), "mean": DummyRegressor()}, X, y,
    ...     n_runs=3, random_state=0)
    >>> result.best, result.significantly_better
    ('ols', ('mean',))
    >>> result.stars[("ols", "mean")]  # p < (1 - confidence_level) / 50
    '***'
    """
    cv, confidence_level = _check_compare_params(
        n_runs, cv, test_data, correction, confidence_level, error_score
    )
    items, error = _check_compare_inputs(estimators, X, y, cv, test_data, error,
                                         output_groups)
    rng = check_random_state(random_state)
    seeds = [int(s) for s in rng.randint(np.iinfo(np.int32).max, size=n_runs)]
    tasks = _make_tasks(items, seeds, cv, X, y, test_data)
    results = _run_tasks(tasks, X, y, error, test_data, error_score, n_jobs, verbose)
    run_errors, failed_runs = _gather_errors(
        tasks, results, [name for name, _ in items], n_runs, error_score
    )
    return _summarise(run_errors, failed_runs, correction, confidence_level, error)


def _run_tasks(tasks, X, y, error, test_data, error_score, n_jobs, verbose):
    """Every fit, in task order, with progress lines (``verbose``) or a
    warning when the fits left would take over an hour."""
    progress = Progress("compare_estimators: fit", len(tasks), verbose,
                        "Lower n_runs")
    results = []
    outputs = Parallel(n_jobs=n_jobs, return_as="generator")(
        delayed(_fit_and_errors)(task, X, y, error, test_data, error_score)
        for task in tasks
    )
    for done, result in enumerate(outputs, start=1):
        results.append(result)
        progress.step(done)
    return results


# --------------------------------------------------------------------------
# Failed fits
# --------------------------------------------------------------------------


def _warn_failures(failures, error_score):
    for failure in failures:
        warnings.warn(
            f"{failure.message}. Its test errors there are set to "
            f"error_score={error_score!r}.",
            FitFailedWarning,
            stacklevel=_WARN_STACKLEVEL,
        )


def _gather_errors(tasks, results, names, n_runs, error_score):
    """Per estimator, each run's errors (folds concatenated), and failed runs.

    A failed task warns and gives ``error_score`` for each of its errors.
    """
    failures = [r for r in results if isinstance(r, _Failure)]
    if len(failures) == len(results):
        raise ValueError(
            f"All {len(results)} fits failed, nothing to compare. "
            f"The first failure: {failures[0].message}."
        )
    _warn_failures(failures, error_score)
    run_errors = {name: [[] for _ in range(n_runs)] for name in names}
    failed = {name: set() for name in names}
    for task, result in zip(tasks, results, strict=True):
        if isinstance(result, _Failure):
            result = np.full(result.n_errors, float(error_score))
            failed[task.name].add(task.run)
        run_errors[task.name][task.run].append(result)
    pooled = {
        name: [np.concatenate(folds) for folds in runs]
        for name, runs in run_errors.items()
    }
    return pooled, {name: tuple(sorted(runs)) for name, runs in failed.items()}


# --------------------------------------------------------------------------
# Summary: tolerant of NaN errors of failed fits
# --------------------------------------------------------------------------


def _adjust_pvalues(pvalues, method):
    """Family-wise adjusted p-values: Holm, Bonferroni or none.

    Holm: with ``p_(1) <= ... <= p_(m)``, ``p~_(i) = max_{j <= i}
    min(1, (m - j + 1) p_(j))``. Matches
    ``statsmodels.stats.multitest.multipletests``. NaN p-values (tests
    that could not be made) stay NaN and do not count in ``m``.
    """
    p = np.asarray(pvalues, dtype=float)
    adjusted = p.copy()
    tested = ~np.isnan(p)
    adjusted[tested] = _adjust_tested(p[tested], method)
    return adjusted


def _adjust_tested(p, method):
    m = p.size
    if method == "none" or m == 0:
        return p.copy()
    if method == "bonferroni":
        return np.minimum(1.0, m * p)
    order = np.argsort(p, kind="stable")
    steps = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(1.0, steps)
    return adjusted


def _stars(pvalue, confidence_level):
    """Significance stars at the level of ``significantly_better``: "*" for
    p below ``alpha = 1 - confidence_level``, "**" below ``alpha / 5``,
    "***" below ``alpha / 50`` (0.05, 0.01 and 0.001 at 95%)."""
    alpha = round(1 - confidence_level, 12)  # 1 - 0.95 is 0.05000000000000004
    for threshold, stars in ((alpha / 50, "***"), (alpha / 5, "**"), (alpha, "*")):
        if pvalue < threshold:
            return stars
    return ""


def _median_ci(errors, confidence_level):
    """Median interval of the errors that are not NaN (all NaN: NaN)."""
    present = errors[~np.isnan(errors)]
    if present.size:
        return median_confidence_interval(present, confidence_level)
    nan = float("nan")
    return MedianCI(nan, nan, nan, nan, confidence_level, 0)


def _untested(confidence_level, note):
    """A :class:`WilcoxonResult` for a pair without any complete pair."""
    nan = float("nan")
    return WilcoxonResult(
        statistic=nan, pvalue=nan, estimate=nan, low=nan, high=nan,
        effect_size=nan, n=0, n_zeros=0, coverage=nan, method="none",
        alternative="two-sided", confidence_level=confidence_level, note=note,
    )


def _pair_test(errors_a, errors_b, confidence_level):
    """:func:`paired_wilcoxon` on the pairs where neither error is NaN."""
    complete = ~(np.isnan(errors_a) | np.isnan(errors_b))
    if complete.all():
        return paired_wilcoxon(errors_a, errors_b, confidence_level=confidence_level)
    left_out = f"{np.sum(~complete)} of {complete.size} pairs left out (failed fits)"
    if not complete.any():
        return _untested(confidence_level, f"no test: {left_out}")
    res = paired_wilcoxon(
        errors_a[complete], errors_b[complete], confidence_level=confidence_level
    )
    return dataclasses.replace(res, note="; ".join(filter(None, [left_out, res.note])))


def _run_summary(run_means):
    """Mean and standard deviation (ddof=1) of the run means that are not NaN."""
    present = run_means[~np.isnan(run_means)]
    mean = float(present.mean()) if present.size else float("nan")
    std = float(present.std(ddof=1)) if present.size > 1 else float("nan")
    return mean, std


def _beats(best, other, tests, adjusted, alpha):
    """Whether ``best`` has significantly smaller errors than ``other``."""
    pair = (best, other) if (best, other) in tests else (other, best)
    sign = -1 if pair[0] == best else 1  # effect size is signed as a - b
    return adjusted[pair] < alpha and sign * tests[pair].effect_size > 0




def _summarise(run_errors, failed_runs, correction, confidence_level, error):
    """Build the :class:`ComparisonResult` from per-run errors."""
    names = tuple(run_errors)
    pooled = {name: np.concatenate(runs) for name, runs in run_errors.items()}
    run_means = {
        name: np.array([e.mean() for e in runs]) for name, runs in run_errors.items()
    }
    summaries = {name: _run_summary(m) for name, m in run_means.items()}
    medians = {n: _median_ci(e, confidence_level) for n, e in pooled.items()}
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    tests = {
        (a, b): _pair_test(pooled[a], pooled[b], confidence_level) for a, b in pairs
    }
    adjusted = _adjust_pvalues([tests[p].pvalue for p in pairs], correction)
    adjusted = dict(zip(pairs, adjusted.tolist(), strict=True))
    candidates = [name for name in names if medians[name].n > 0]
    best = min(candidates, key=lambda name: medians[name].median)
    better = tuple(
        other
        for other in names
        if other != best and _beats(best, other, tests, adjusted, 1 - confidence_level)
    )
    return ComparisonResult(
        names=names,
        median_errors=medians,
        mean_errors={n: mean for n, (mean, _) in summaries.items()},
        std_errors={n: std for n, (_, std) in summaries.items()},
        run_mean_errors=run_means,
        pairwise=tests,
        pvalues_adjusted=adjusted,
        stars={pair: _stars(p, confidence_level) for pair, p in adjusted.items()},
        best=best,
        significantly_better=better,
        errors=pooled,
        n_runs=len(next(iter(run_errors.values()))),
        correction=correction,
        confidence_level=confidence_level,
        error=error.kind,
        output_groups=error.groups,
        failed_runs=failed_runs,
    )
