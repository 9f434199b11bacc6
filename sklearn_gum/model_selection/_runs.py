"""The independent fits of a repeated-run comparison.

Seeding (nested ``random_state`` parameters and torch), the splits of each
run, and the task that fits one seeded clone and returns its per-sample
test errors. Every task is picklable, so any joblib backend runs it; an
estimator that fails is reported back as a :class:`_Failure`, so that the
calling process decides what to do with it.
"""

import copy
import numbers
from typing import NamedTuple

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold, check_cv
from sklearn.utils import _safe_indexing
from sklearn.utils._param_validation import InvalidParameterError
from sklearn.utils.validation import _num_samples

from ._checks import _as_float_array


class _Task(NamedTuple):
    """One fit: estimator ``name`` in ``run`` on fold ``fold`` of ``n_folds``."""

    name: str
    run: int
    fold: int
    n_folds: int
    estimator: object
    train: object
    test: object
    seed: int


class _Failure(NamedTuple):
    """What a task returns when its estimator failed (see ``error_score``).

    ``n_errors`` is the number of per-sample errors the task stands for.
    """

    message: str
    n_errors: int


class _BadPredictions(ValueError):
    """Predictions that give no usable errors: ``args = (verb, detail)``."""


# --------------------------------------------------------------------------
# Seeding
# --------------------------------------------------------------------------


def _seed_params(estimator, seed):
    """Every ``random_state`` / ``*__random_state`` parameter set to ``seed``."""
    params = estimator.get_params(deep=True)
    return {
        key: seed
        for key in params
        if key == "random_state" or key.endswith("__random_state")
    }


def _is_torch_based(estimator):
    """Whether ``estimator`` is or contains a skorch net (seeded by torch)."""
    parts = [estimator, *estimator.get_params(deep=True).values()]
    return any(type(p).__module__.split(".")[0] == "skorch" for p in parts)


def _seeded_clone(estimator, seed):
    """Unfitted copy of ``estimator`` with all its randomness tied to ``seed``."""
    est = clone(estimator)
    est.set_params(**_seed_params(est, seed))
    if _is_torch_based(est):
        import torch

        torch.manual_seed(seed)
    return est


# --------------------------------------------------------------------------
# Splits and tasks
# --------------------------------------------------------------------------


def _check_splits(splits, n_samples):
    """Every split tests some rows, and indexes only rows of ``X``."""
    if not splits:
        raise ValueError("cv must yield at least one (train, test) split.")
    for train, test in splits:
        test = np.asarray(test)
        if test.size == 0 or test.dtype == bool and not test.any():
            raise ValueError("cv yields a split without test rows.")
        for rows in (np.asarray(train), test):
            if rows.dtype.kind in "iu" and rows.size and (
                rows.max() >= n_samples or rows.min() < -n_samples
            ):
                raise ValueError(
                    f"cv yields indices outside the {n_samples} rows of X."
                )


def _run_splits(cv, X, y, seed):
    """Train/test index pairs of one run (see ``compare_estimators``)."""
    if cv is None or isinstance(cv, numbers.Integral):  # None: 5-fold
        splitter = KFold(n_splits=5 if cv is None else cv, shuffle=True,
                         random_state=seed)
    else:
        splitter = copy.deepcopy(check_cv(cv))
        if getattr(splitter, "random_state", 0) is None:
            splitter.random_state = seed
    splits = list(splitter.split(X, y))
    _check_splits(splits, len(y))
    return splits


def _make_tasks(items, seeds, cv, X, y, test_data):
    """A :class:`_Task` for every fit.

    Splits and seeds are drawn here, in the calling process, so that all
    estimators of a run share the test rows whatever the backend.
    """
    tasks = []
    for run, seed in enumerate(seeds):
        splits = (
            [(None, None)] if test_data is not None else _run_splits(cv, X, y, seed)
        )
        tasks += [
            _Task(name, run, fold, len(splits), est, train, test, seed)
            for name, est in items
            for fold, (train, test) in enumerate(splits)
        ]
    return tasks


# --------------------------------------------------------------------------
# Per-sample errors
# --------------------------------------------------------------------------


def _callable_errors(error, y_true, y_pred):
    """``error(y_true, y_pred)``, checked to be one finite number per sample."""
    name = "error(y_true, y_pred)"
    values = _as_float_array(error(y_true, y_pred), name)
    n = len(y_true)
    if values.shape not in ((n,), (n, 1)):
        raise ValueError(
            f"{name} must return one number per test sample, shape ({n},), "
            f"got shape {values.shape}."
        )
    if not np.isfinite(values).all():
        raise ValueError(f"{name} returned NaN or infinite values.")
    return values.ravel()


def _per_sample_errors(y_true, y_pred, error):
    """Per-sample errors of one prediction (see ``compare_estimators``);
    ``error`` is an ``ErrorSpec``, or its loss alone."""
    if hasattr(error, "groups"):
        if error.groups is None:
            return _per_sample_errors(y_true, y_pred, error.loss)
        y_true = np.asarray(y_true).reshape(len(y_true), -1)
        y_pred = np.asarray(y_pred).reshape(len(y_true), -1)
        # the loss of each group, pooled sample by sample
        return np.column_stack([
            _per_sample_errors(y_true[:, g], y_pred[:, g], error.loss)
            for g in error.groups
        ]).ravel()
    if callable(error):
        return _callable_errors(error, y_true, y_pred)
    y_true = np.asarray(y_true, dtype=float)
    residual = y_true.reshape(y_true.shape[0], -1) - np.reshape(
        np.asarray(y_pred, dtype=float), (y_true.shape[0], -1)
    )
    with np.errstate(over="ignore"):  # an overflow is reported by the caller
        if error == "absolute":
            return np.sqrt(np.sum(residual**2, axis=1))
        return np.sum(residual**2, axis=1)  # "squared"


# --------------------------------------------------------------------------
# One task
# --------------------------------------------------------------------------


def _checked_predictions(y_pred, y_test):
    """``y_pred`` as floats, one finite prediction per test target."""
    y_pred = np.asarray(y_pred, dtype=float)
    if y_pred.shape[:1] != y_test.shape[:1] or y_pred.size != y_test.size:
        raise _BadPredictions(
            "predicts the wrong shape",
            f"{y_pred.shape} for test targets of shape {y_test.shape}",
        )
    if np.isnan(y_pred).any():
        raise _BadPredictions("gives NaN errors", "its predictions contain NaN")
    if not np.isfinite(y_pred).all():
        raise _BadPredictions("gives infinite errors", "its predictions contain inf")
    return y_pred


def _fit_predict(task, X, y, test_data):
    """Fit a seeded clone on the task's rows; float test targets, predictions."""
    est = _seeded_clone(task.estimator, task.seed)
    if test_data is not None:
        est.fit(X, y)
        X_test, y_test = test_data
    else:
        est.fit(_safe_indexing(X, task.train), _safe_indexing(y, task.train))
        X_test, y_test = _safe_indexing(X, task.test), _safe_indexing(y, task.test)
    y_test = np.asarray(y_test, dtype=float)
    return y_test, _checked_predictions(est.predict(X_test), y_test)


def _failure_message(task, exc):
    """``estimators['name'] failed in run r: ExcType: message``."""
    where = f"in run {task.run}"
    if task.n_folds > 1:
        where += f", fold {task.fold}"
    if isinstance(exc, _BadPredictions):
        verb, detail = exc.args
    else:
        verb, detail = "failed", f"{type(exc).__name__}: {exc}"
    return f"estimators[{task.name!r}] {verb} {where}: {detail}"


def _raised_again(exc, message):
    """An exception of ``exc``'s type with ``message``, where one can be made.

    Bad predictions and parameter errors become a ValueError (the latter so
    that ``validate_params`` does not rename the estimator in the message);
    types that cannot carry a plain message become a RuntimeError.
    """
    invalid = isinstance(exc, _BadPredictions | InvalidParameterError)
    cls = ValueError if invalid else type(exc)
    try:
        new = cls(message)
    except Exception:
        return RuntimeError(message)
    return new if str(new) == message else RuntimeError(message)


def _n_errors(task, test_data, error):
    """Number of per-sample errors of a task: test rows times column groups."""
    if test_data is not None:
        n_test = _num_samples(test_data[1])
    else:
        test = np.asarray(task.test)
        n_test = np.count_nonzero(test) if test.dtype == bool else test.size
    groups = getattr(error, "groups", None)
    return n_test * (1 if groups is None else len(groups))


def _fit_failed(task, exc, error_score, n_errors):
    """Raise ``exc`` again naming estimator and run, or return a _Failure."""
    message = _failure_message(task, exc)
    if error_score == "raise":
        raise _raised_again(exc, message) from exc
    return _Failure(message, n_errors)


def _fit_and_errors(task, X, y, error, test_data, error_score):
    """One independent task: fit a seeded clone, return its test errors.

    If the estimator fails (``fit`` or ``predict`` raises, or it predicts
    non-finite values or the wrong shape), the exception is raised again
    with the estimator's name and run when ``error_score="raise"``, and a
    :class:`_Failure` is returned otherwise. A faulty ``error`` callable
    always raises.
    """
    n_errors = _n_errors(task, test_data, error)
    try:
        y_test, y_pred = _fit_predict(task, X, y, test_data)
    except Exception as exc:
        return _fit_failed(task, exc, error_score, n_errors)
    errors = _per_sample_errors(y_test, y_pred, error)
    if not np.isfinite(errors).all():  # only a built-in error gets here
        overflow = _BadPredictions(
            "gives infinite errors", "its residuals overflow the error"
        )
        return _fit_failed(task, overflow, error_score, n_errors)
    return errors
