"""Input checks of the public functions of ``model_selection``.

Types, and options whose message no caller relies on, are declared with
:func:`~sklearn.utils._param_validation.validate_params` on each public
function. Checked here: array contents, consistent sizes, and ranges and
options whose wording ("n_runs must be an integer >= 1", "correction must
be one of ...") is part of the established messages. Every message names
the offending argument.
"""

import numbers
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
from sklearn.model_selection import check_cv
from sklearn.utils.validation import _num_features, _num_samples

_ALTERNATIVES = ("two-sided", "less", "greater")
_CORRECTIONS = ("holm", "bonferroni", "none")
_ERRORS = ("absolute", "squared")
# compare_estimators keeps every run's per-sample errors.
MAX_RUNS = 10_000


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


# --------------------------------------------------------------------------
# compare_estimators
# --------------------------------------------------------------------------


def _check_named_estimator(item):
    """Validate one ``(name, estimator)`` item of ``estimators``."""
    if not (isinstance(item, tuple | list) and len(item) == 2):
        raise ValueError(
            "estimators must map names (str) to estimators: a dict, or a list "
            f"of (name, estimator) pairs; got the item {item!r}."
        )
    name, estimator = item
    if not isinstance(name, str):
        raise ValueError(
            f"estimators must map names (str) to estimators, got the name {name!r}."
        )
    if isinstance(estimator, type):
        raise ValueError(
            f"estimators[{name!r}] is the class {estimator.__name__}, not an "
            f"estimator: pass an instance such as {estimator.__name__}()."
        )
    missing = [m for m in ("fit", "predict", "get_params") if not hasattr(estimator, m)]
    if missing:
        raise ValueError(
            f"estimators[{name!r}] has no {'/'.join(missing)}: a scikit-learn "
            f"regressor is needed, got {estimator!r}."
        )


def _check_estimators(estimators):
    """Validate ``estimators`` into a list of ``(name, estimator)``."""
    if isinstance(estimators, Mapping):
        items = list(estimators.items())
    else:
        items = list(estimators)
    if len(items) < 2:
        raise ValueError(
            f"estimators must contain at least two estimators, got {len(items)}."
        )
    for item in items:
        _check_named_estimator(item)
    names = [name for name, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"estimators has duplicate names: {names}.")
    return [tuple(item) for item in items]


def _n_outputs(y):
    """Number of target columns of a 1-D or 2-D float array."""
    return 1 if y.ndim == 1 else y.shape[1]


def _column_groups(error):
    """``error`` as lists of int column indices, or None if it is not one."""
    try:
        groups = [list(group) for group in error]
    except TypeError:
        return None
    integral = all(
        isinstance(c, numbers.Integral) and not isinstance(c, bool)
        for group in groups
        for c in group
    )
    return [[int(c) for c in group] for group in groups] if integral else None


@dataclass(frozen=True)
class ErrorSpec:
    """The per-sample error of :func:`compare_estimators`: a ``loss``
    ("absolute", "squared" or a callable) over each of ``groups`` (lists
    of target columns; None: all columns)."""

    loss: object
    groups: object = None

    @property
    def kind(self):
        return "custom" if callable(self.loss) else self.loss


def _check_error(error, y):
    """Validate the loss ``error``."""
    if callable(error):
        return error
    return _check_choice(error, "error", _ERRORS)


def _check_groups(output_groups, y):
    """Validate ``output_groups`` against the columns of the float targets."""
    n_outputs = _n_outputs(y)
    groups = _column_groups(output_groups)
    if not groups or any(
        not g or min(g) < -n_outputs or max(g) >= n_outputs for g in groups
    ):
        raise ValueError(
            "output_groups must be a non-empty list of non-empty column groups "
            f"of y (integers in [{-n_outputs}, {n_outputs - 1}]), got "
            f"{output_groups!r}."
        )
    return groups


def _n_samples(X, name):
    try:
        return _num_samples(X)
    except TypeError as exc:
        raise ValueError(f"{name} must be an array-like of samples: {exc}") from exc


def _check_xy(X, y, name_x, name_y):
    """Consistent lengths and finite numeric 1-D or 2-D targets; float ``y``."""
    n_x, n_y = _n_samples(X, name_x), _n_samples(y, name_y)
    if n_x != n_y:
        raise ValueError(
            f"{name_x} and {name_y} must have the same length, got {n_x} and {n_y}."
        )
    y = _as_float_array(y, name_y)
    if y.ndim not in (1, 2) or y.ndim == 2 and y.shape[1] == 0:
        raise ValueError(
            f"{name_y} must have shape (n_samples,) or (n_samples, n_outputs) "
            f"with n_outputs >= 1, got shape {y.shape}."
        )
    if np.isnan(y).any():
        raise ValueError(f"{name_y} contains NaN.")
    if not np.isfinite(y).all():
        raise ValueError(f"{name_y} contains infinite values.")
    return y


def _check_sample_count(n_samples, cv, test_data):
    """Enough samples of ``X`` for the splits (or the fit, with test_data)."""
    if test_data is not None:
        needed, why = 1, "to fit"
    elif cv is None or isinstance(cv, numbers.Integral):
        needed = 5 if cv is None else cv
        why = f"for cv={cv} ({needed} folds)" if cv is None else f"for cv={cv} folds"
    else:
        needed, why = 2, "for a train/test split"
    if n_samples < needed:
        raise ValueError(
            f"X and y must have at least {needed} samples {why}, got {n_samples}."
        )


def _check_test_data(test_data, X, y):
    """``test_data`` is a non-empty ``(X_test, y_test)`` shaped like X, y."""
    if len(test_data) != 2:
        raise ValueError(
            f"test_data must be a pair (X_test, y_test), got {len(test_data)} items."
        )
    X_test, y_test = test_data
    y_test = _check_xy(X_test, y_test, "test_data[0]", "test_data[1]")
    if y_test.shape[0] == 0:
        raise ValueError("test_data must not be empty.")
    if _n_outputs(y_test) != _n_outputs(y):
        raise ValueError(
            f"test_data[1] has {_n_outputs(y_test)} output(s) but y has "
            f"{_n_outputs(y)}."
        )
    try:
        n_features = _num_features(X), _num_features(X_test)
    except (TypeError, IndexError):  # samples without features: not checked
        return
    if n_features[0] != n_features[1]:
        raise ValueError(
            f"test_data[0] has {n_features[1]} features but X has {n_features[0]}."
        )


def _check_error_score(error_score):
    if error_score == "raise" or (
        isinstance(error_score, numbers.Real)
        and (np.isnan(error_score) or np.isfinite(error_score))
    ):
        return error_score
    raise ValueError(
        f"error_score must be 'raise', NaN or a finite number, got {error_score!r}."
    )


def _check_compare_params(
    n_runs, cv, test_data, correction, confidence_level, error_score
):
    """Checks of the scalar parameters; returns ``(cv, confidence_level)``."""
    if not isinstance(n_runs, numbers.Integral) or n_runs < 1:
        raise ValueError(f"n_runs must be an integer >= 1, got {n_runs!r}.")
    if n_runs > MAX_RUNS:
        raise ValueError(
            f"n_runs={n_runs} is more than the {MAX_RUNS} runs compare_estimators "
            "can hold: it keeps every run's per-sample errors in memory, and the "
            "paired tests reach their resolution long before. Lower n_runs."
        )
    if cv is not None and test_data is not None:
        raise ValueError("cv and test_data are mutually exclusive; give one.")
    if cv is not None and not isinstance(cv, numbers.Integral):
        cv = check_cv(cv)  # an iterable of splits is read once, for every run
    _check_choice(correction, "correction", _CORRECTIONS)
    _check_error_score(error_score)
    return cv, _check_level(confidence_level)


def _check_compare_inputs(estimators, X, y, cv, test_data, error, output_groups=None):
    """Validated ``(items, error)`` of :func:`compare_estimators`; ``error``
    as an :class:`ErrorSpec`."""
    items = _check_estimators(estimators)
    y = _check_xy(X, y, "X", "y")
    _check_sample_count(y.shape[0], cv, test_data)
    if test_data is not None:
        _check_test_data(test_data, X, y)
    if not (callable(error) or isinstance(error, str)):
        raise ValueError(
            "error must be 'absolute', 'squared' or a callable, got "
            f"{error!r}; pass column groups as output_groups=[[0, 1], ...]."
        )
    error = _check_error(error, y)
    groups = None if output_groups is None else _check_groups(output_groups, y)
    return items, ErrorSpec(error, groups)
