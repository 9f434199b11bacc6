"""Input checks shared by the public functions of ``model_selection``."""

import numbers
from collections.abc import Mapping

import numpy as np
from sklearn.utils.validation import _num_samples

_ALTERNATIVES = ("two-sided", "less", "greater")
_CORRECTIONS = ("holm", "bonferroni", "none")


def _as_float_array(values, name):
    """``values`` as a float array; a ValueError naming ``name`` if not real."""
    try:
        arr = np.asarray(values)
        if arr.dtype.kind not in "biufO":  # bool, int, uint, float, object
            raise TypeError(f"dtype {arr.dtype} is not real")
        return arr.astype(float)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must hold real numbers: {exc}.") from exc


def _as_errors(values, name):
    """Return ``values`` as a non-empty finite 1-D float array."""
    arr = _as_float_array(values, name)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}.")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty.")
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN.")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains infinite values.")
    return arr


def _check_level(confidence_level):
    if not (isinstance(confidence_level, numbers.Real) and 0 < confidence_level < 1):
        raise ValueError(
            f"confidence_level must be in (0, 1), got {confidence_level!r}."
        )
    return float(confidence_level)


def _check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}.")
    return value



def _check_estimators(estimators):
    """Validate ``estimators`` into a list of ``(name, estimator)``."""
    if isinstance(estimators, Mapping):
        items = list(estimators.items())
    else:
        items = [tuple(item) for item in estimators]
    if len(items) < 2:
        raise ValueError(
            f"estimators must contain at least two estimators, got {len(items)}."
        )
    for item in items:
        if len(item) != 2 or not isinstance(item[0], str):
            raise ValueError("estimators must map names (str) to estimators.")
        if not (hasattr(item[1], "fit") and hasattr(item[1], "predict")):
            raise ValueError(f"estimators[{item[0]!r}] has no fit/predict.")
    names = [name for name, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"estimators has duplicate names: {names}.")
    return items



def _check_error(error, y):
    """Validate ``error`` against the targets' columns."""
    if callable(error) or error in ("absolute", "squared"):
        return error
    n_outputs = 1 if np.ndim(y) == 1 else np.shape(y)[1]
    try:
        groups = [[int(c) for c in group] for group in error]
    except TypeError:
        groups = None
    if not groups or any(
        not g or min(g) < -n_outputs or max(g) >= n_outputs for g in groups
    ):
        raise ValueError(
            "error must be 'absolute', 'squared', a callable or a non-empty "
            f"list of non-empty column groups of y, got {error!r}."
        )
    return groups


def _check_xy(X, y, name_x, name_y):
    """Consistent lengths and NaN-free numeric targets."""
    n_x, n_y = _num_samples(X), _num_samples(y)
    if n_x != n_y:
        raise ValueError(
            f"{name_x} and {name_y} must have the same length, got {n_x} and {n_y}."
        )
    if np.isnan(np.asarray(y, dtype=float)).any():
        raise ValueError(f"{name_y} contains NaN.")



def _check_compare_params(n_runs, cv, test_data, correction, confidence_level):
    if not isinstance(n_runs, numbers.Integral) or n_runs < 1:
        raise ValueError(f"n_runs must be an integer >= 1, got {n_runs!r}.")
    if cv is not None and test_data is not None:
        raise ValueError("cv and test_data are mutually exclusive; give one.")
    if isinstance(cv, numbers.Integral) and cv < 2:
        raise ValueError(f"cv must be at least 2 when an integer, got {cv}.")
    _check_choice(correction, "correction", _CORRECTIONS)
    return _check_level(confidence_level)

