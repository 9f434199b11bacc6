"""The independent fits of a repeated-run comparison.

Seeding (nested ``random_state`` parameters and torch), the splits of each
run, and the task that fits one seeded clone and returns its per-sample
test errors. Every task is picklable, so any joblib backend runs it.
"""

import copy
import numbers

import numpy as np
from sklearn.base import clone
from sklearn.model_selection import KFold, ShuffleSplit, check_cv
from sklearn.utils import _safe_indexing


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


def _per_sample_errors(y_true, y_pred, error):
    """Per-sample errors of one prediction (see ``compare_estimators``)."""
    if callable(error):
        return np.asarray(error(y_true, y_pred), dtype=float).ravel()
    y_true = np.asarray(y_true, dtype=float)
    residual = y_true.reshape(y_true.shape[0], -1) - np.reshape(
        np.asarray(y_pred, dtype=float), (y_true.shape[0], -1)
    )
    if error == "absolute":
        return np.sqrt(np.sum(residual**2, axis=1))
    if error == "squared":
        return np.sum(residual**2, axis=1)
    # Column groups: Euclidean error per group, pooled sample by sample.
    groups = [np.sqrt(np.sum(residual[:, list(g)] ** 2, axis=1)) for g in error]
    return np.column_stack(groups).ravel()


def _fit_and_errors(estimator, X, y, train, test, seed, error, test_data):
    """One independent task: fit a seeded clone, return its test errors."""
    est = _seeded_clone(estimator, seed)
    if test_data is not None:
        est.fit(X, y)
        X_test, y_test = test_data
    else:
        est.fit(_safe_indexing(X, train), _safe_indexing(y, train))
        X_test, y_test = _safe_indexing(X, test), _safe_indexing(y, test)
    return _per_sample_errors(y_test, est.predict(X_test), error)



def _run_splits(cv, X, y, seed):
    """Train/test index pairs of one run (see ``compare_estimators``)."""
    if cv is None:
        splitter = ShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)
    elif isinstance(cv, numbers.Integral):
        splitter = KFold(n_splits=cv, shuffle=True, random_state=seed)
    else:
        splitter = copy.deepcopy(check_cv(cv))
        if getattr(splitter, "random_state", 0) is None:
            splitter.random_state = seed
    return list(splitter.split(X, y))



def _make_tasks(items, seeds, cv, X, y, test_data):
    """``(name, run, estimator, train, test, seed)`` for every fit.

    Splits and seeds are drawn here, in the calling process, so that all
    estimators of a run share the test rows whatever the backend.
    """
    tasks = []
    for run, seed in enumerate(seeds):
        splits = (
            [(None, None)] if test_data is not None else _run_splits(cv, X, y, seed)
        )
        tasks += [
            (name, run, est, train, test, seed)
            for name, est in items
            for train, test in splits
        ]
    return tasks


def _gather_errors(tasks, results, names, n_runs):
    """Per estimator, the list of each run's errors (folds concatenated)."""
    run_errors = {name: [[] for _ in range(n_runs)] for name in names}
    for (name, run, *_), errors in zip(tasks, results, strict=True):
        if np.isnan(errors).any():
            raise ValueError(f"estimators[{name!r}] gives NaN errors in run {run}.")
        run_errors[name][run].append(errors)
    return {
        name: [np.concatenate(folds) for folds in runs]
        for name, runs in run_errors.items()
    }

