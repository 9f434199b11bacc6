"""Checks shared by every path of a GUM fit: targets, weights, groups, and
the numbers that the fit itself produces.

Each check raises a ``ValueError`` or ``TypeError`` whose message names the
argument (or the step of the fit) at fault.
"""

import numbers

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array
from sklearn.utils.metadata_routing import _routing_enabled, process_routing
from sklearn.utils.validation import _check_sample_weight


def check_2d(X):
    """Reject 1-D ``X`` early, with scikit-learn's usual advice."""
    if sp.issparse(X):
        return
    ndim = len(X.shape) if hasattr(X, "shape") else np.asarray(X, dtype=object).ndim
    if ndim < 2:
        raise ValueError(
            "Expected a 2D array for X, got a 1D array instead. Reshape your "
            "data using array.reshape(-1, 1) if it has a single feature or "
            "array.reshape(1, -1) if it contains a single sample."
        )


def check_targets(y, n_samples, name="y"):
    """``y`` as a 2-D float64 array of ``n_samples`` rows, and its ``ndim``."""
    y = check_array(
        y, ensure_2d=False, allow_nd=True, dtype="numeric", input_name=name,
        ensure_all_finite=True,
    )
    if y.ndim > 2:
        raise ValueError(f"{name} must be 1-D or 2-D; got shape {y.shape}.")
    if len(y) != n_samples:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"[{n_samples}, {len(y)}]"
        )
    return y.astype(np.float64).reshape(len(y), -1), y.ndim


def validate_targets(estimator, y, n_samples, sample_weight, fit_params):
    """Checks of ``y``, ``sample_weight`` and fit parameters for every path.

    Returns
    -------
    targets : ndarray of shape (n_samples, n_outputs), float64
    sample_weight : ndarray of shape (n_samples,), float64
    fit_params : dict
        The estimator's own, routed when metadata routing is enabled.
    y_ndim : int
    """
    if y is None:
        raise ValueError(
            f"{type(estimator).__name__} requires y to be passed, but the target "
            "y is None."
        )
    targets, y_ndim = check_targets(y, n_samples)
    sample_weight = _check_sample_weight(
        sample_weight, targets, dtype=np.float64, ensure_non_negative=True
    )
    if _routing_enabled():
        fit_params = process_routing(estimator, "fit", **fit_params).estimator.fit
    return targets, sample_weight, fit_params, y_ndim


def check_groups(groups, n_columns, name="outlier_granularity", cover=True):
    """Column groups as a list of integer index arrays, checked.

    The one validator of column groups: ``outlier_granularity`` of the
    estimators, ``groups`` of :func:`~sklearn_gum.datasets.contaminate_targets`
    and of the displays.

    Parameters
    ----------
    groups : {"sample", "output"} or list of list of int
        ``"sample"``: one group of all columns; ``"output"``: one group per
        column; otherwise non-empty lists of integer column indices in
        ``[0, n_columns)``, each column in at most one group.
    n_columns : int
    name : str, default="outlier_granularity"
        The argument's name, for the error messages.
    cover : bool, default=True
        Whether the groups must use every column.

    Returns
    -------
    groups : list of ndarray of int
    """
    if isinstance(groups, str) and groups in ("sample", "output"):
        if groups == "sample":
            return [np.arange(n_columns)]
        return [np.array([column]) for column in range(n_columns)]
    if not isinstance(groups, (list, tuple)) or len(groups) == 0:
        options = " or one of 'sample', 'output'" if cover else ""
        raise ValueError(
            f"{name} must be a non-empty list of groups (lists of column "
            f"indices){options}; got {groups!r}."
        )
    checked = [_check_group(group, n_columns, name) for group in groups]
    columns = np.concatenate(checked)
    counts = np.bincount(columns, minlength=n_columns)
    if np.any(counts > 1):
        raise ValueError(
            f"{name} must not overlap: column(s) {np.flatnonzero(counts > 1).tolist()} "
            "belong to two groups."
        )
    missing = np.flatnonzero(counts == 0)
    if cover and len(missing):
        raise ValueError(
            f"{name} leaves target column(s) {missing.tolist()} out; the groups "
            f"must cover the columns 0..{n_columns - 1}. Got {groups!r}."
        )
    return checked


def _is_index(value):
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _check_group(group, n_columns, name):
    values = list(group) if isinstance(group, (list, tuple, np.ndarray)) else None
    if not values or not all(_is_index(value) for value in values):
        raise ValueError(
            f"{name} must be a list of non-empty lists of integer column "
            f"indices; got the group {group!r}."
        )
    indices = np.asarray(values, dtype=int)
    if indices.min() < 0 or indices.max() >= n_columns:
        raise ValueError(
            f"{name} hold column indices in [0, {n_columns}); got the group "
            f"{group!r}."
        )
    unique, counts = np.unique(indices, return_counts=True)
    if np.any(counts > 1):
        raise ValueError(
            f"{name} must not repeat a column within a group; column(s) "
            f"{unique[counts > 1].tolist()} appear twice in the group {group!r}."
        )
    return indices


def check_predictions(prediction, n_samples, n_outputs, source):
    """A regressor's predictions as a finite 2-D float array, checked.

    ``source`` says which regressor made them (``"the init estimator"``,
    ``"the refitted estimator"``), for the error message.
    """
    prediction = np.asarray(prediction)
    if prediction.dtype.kind not in "biuf":
        raise ValueError(
            f"{source}'s predictions must be numeric; got dtype {prediction.dtype}."
        )
    prediction = prediction.astype(np.float64, copy=False)
    if prediction.size != n_samples * n_outputs or len(prediction) != n_samples:
        raise ValueError(
            f"{source}'s predictions have shape {prediction.shape}; expected "
            f"{n_samples} rows of {n_outputs} output(s)."
        )
    prediction = prediction.reshape(n_samples, n_outputs)
    if not np.isfinite(prediction).all():
        what = "NaN" if np.isnan(prediction).any() else "infinite values"
        raise ValueError(
            f"{source}'s predictions contain {what}; GUMRegressor needs finite "
            "predictions to compute residuals."
        )
    return prediction
