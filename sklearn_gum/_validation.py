"""Checks shared by every path of a GUM fit: targets, weights, groups, and
the numbers that the fit itself produces.

Each check raises a ``ValueError`` or ``TypeError`` whose message names the
argument (or the step of the fit) at fault.
"""

import numbers
import sys

import numpy as np
import scipy.sparse as sp
from sklearn.utils import check_array
from sklearn.utils._param_validation import Interval
from sklearn.utils.metadata_routing import _routing_enabled, process_routing
from sklearn.utils.validation import _check_sample_weight

# The EM sums weighted squares and cross-products of residuals. Above
# MAX_WEIGHT_SUM, or with targets beyond magnitude_limit(sample_weight), these
# sums overflow; a target column below SMALLEST_TARGET has squares (and
# rounding floors, eps times them) in the subnormal range, where they lose
# every digit and the mixture cannot tell inliers from outliers.
MAX_WEIGHT_SUM = 1e250
MIN_WEIGHT = 1e-250
SMALLEST_TARGET = float(np.sqrt(np.finfo(np.float64).tiny / np.finfo(np.float64).eps))


class NumberInterval(Interval):
    """An :class:`~sklearn.utils._param_validation.Interval` that refuses bools.

    ``True`` is an ``numbers.Integral``, so a plain ``Interval`` takes
    ``max_iter=True`` for one iteration and ``uniform=True`` for a volume
    of 1; a flag passed by mistake should be an error instead.
    """

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


def check_2d(X):
    """Reject ``X`` that cannot be a table of samples early: None, a scalar,
    a 1-D array (with scikit-learn's usual advice), a ragged list, or no
    samples or features. Arrays of more dimensions are left to the
    estimator."""
    if X is None:
        raise ValueError(
            "X must be an array-like of shape (n_samples, n_features); got None."
        )
    refuse_matrix(X, "X")
    if sp.issparse(X) or hasattr(X, "shape"):
        shape = tuple(X.shape)
    else:
        rows = np.asarray(X, dtype=object)
        if rows.ndim == 1 and any(isinstance(row, (list, tuple, np.ndarray))
                                  for row in rows):
            lengths = sorted({len(row) for row in rows if hasattr(row, "__len__")})
            raise ValueError(
                "X is a ragged nested sequence: its rows have different lengths "
                f"{lengths}; every sample needs the same number of features."
            )
        shape = rows.shape
    if len(shape) == 0:
        raise ValueError(
            f"Expected a 2D array for X, got a scalar ({X!r}) instead. Pass an "
            "array-like of shape (n_samples, n_features)."
        )
    if len(shape) < 2:
        raise ValueError(
            "Expected a 2D array for X, got a 1D array instead. Reshape your "
            "data using array.reshape(-1, 1) if it has a single feature or "
            "array.reshape(1, -1) if it contains a single sample."
        )
    for size, what in zip(shape, ("sample", "feature")):
        if size == 0:
            raise ValueError(
                f"Found array with 0 {what}(s) (shape={shape}) while a minimum "
                "of 1 is required by GUMRegressor."
            )


def refuse_matrix(values, name):
    """scikit-learn's refusal of ``numpy.matrix`` (whose products and
    reductions stay 2-D, against every array computation here)."""
    if isinstance(values, np.matrix):
        raise TypeError(
            f"{name} is a numpy.matrix, which is not supported. Convert it to a "
            f"numpy array with np.asarray({name})."
        )


def check_targets(y, n_samples, name="y"):
    """``y`` as a 2-D float64 array of ``n_samples`` rows, and its ``ndim``.

    Every refusal names ``name``: None, strings, complex or other non-real
    values, a scalar or more than two dimensions, another number of samples,
    no output column, NaN or infinity.
    """
    if y is None:
        raise ValueError(
            f"{name} is required, got None: pass the targets as an array-like "
            "of shape (n_samples,) or (n_samples, n_outputs)."
        )
    refuse_matrix(y, name)
    if sp.issparse(y):  # a few output columns: dense, as the EM needs them
        y = y.toarray()
    try:
        array = np.asarray(y)
    except (ValueError, TypeError) as exc:  # ragged nested lists
        raise ValueError(f"{name} could not be read as an array: {exc}") from exc
    if array.dtype.kind == "c":  # scikit-learn's words, which its checks expect
        raise ValueError(f"Complex data not supported: {name} must hold real numbers.")
    if array.dtype.kind not in "biufO":
        what = {"U": "strings", "S": "bytes"}.get(
            array.dtype.kind, f"values of dtype {array.dtype}"
        )
        raise ValueError(
            f"{name} must hold real numbers; got {what}. GUMRegressor is a "
            "regressor: encode the targets as numbers."
        )
    if array.ndim not in (1, 2):
        raise ValueError(
            f"{name} must be 1-D or 2-D, of shape (n_samples,) or (n_samples, "
            f"n_outputs); got shape {array.shape}."
        )
    if len(array) != n_samples:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"[{n_samples}, {len(array)}] (X has {n_samples}, {name} has "
            f"{len(array)})."
        )
    if array.ndim == 2 and array.shape[1] == 0:
        raise ValueError(
            f"{name} has no output column (shape {array.shape}); at least one "
            "is required."
        )
    try:
        y = check_array(
            y, ensure_2d=False, dtype="numeric", input_name=name,
            ensure_all_finite=True,
        )
    except (ValueError, TypeError) as exc:
        if f"Input {name} " in str(exc):
            raise
        raise ValueError(f"{name} could not be read as numbers: {exc}") from exc
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
    if _routing_enabled():
        fit_params = _routed_fit_params(estimator, sample_weight, fit_params)
    sample_weight = check_sample_weight(sample_weight, targets)
    check_target_scale(targets, sample_weight)
    return targets, sample_weight, fit_params, y_ndim


def _routed_fit_params(estimator, sample_weight, fit_params):
    """The inner estimator's fit parameters under metadata routing.

    Given sample weights go through the routing too, so that an inner
    estimator that neither requested nor refused them gets scikit-learn's
    own error naming the missing ``set_fit_request`` call; the EM passes
    them on itself (multiplied by the responsibilities), so they are not
    returned."""
    given = {} if sample_weight is None else {"sample_weight": sample_weight}
    try:
        routed = process_routing(estimator, "fit", **given, **fit_params).estimator.fit
    except TypeError as exc:
        if given and "sample_weight" in str(exc):
            exc.add_note(
                "The estimator was set not to receive sample_weight; GUMRegressor "
                "passes the weights on, multiplied by the responsibilities: call "
                "set_fit_request(sample_weight=True) on it instead."
            )
        raise
    return {key: value for key, value in routed.items()
            if not (given and key == "sample_weight")}


def check_sample_weight(sample_weight, targets):
    """Non-negative float64 weights, one per row of ``targets``, not all zero,
    whose sum the EM's weighted sums can carry (at most ``MAX_WEIGHT_SUM``)."""
    if sample_weight is not None:
        try:
            kind = np.asarray(sample_weight).dtype.kind
            if kind == "O":
                kind = np.asarray(sample_weight, dtype=np.float64).dtype.kind
        except (ValueError, TypeError) as exc:
            raise ValueError(
                f"sample_weight must hold real, non-negative numbers: {exc}"
            ) from exc
        if kind not in "biuf":
            raise ValueError(
                "sample_weight must hold real, non-negative numbers; got dtype "
                f"{np.asarray(sample_weight).dtype}."
            )
    sample_weight = _check_sample_weight(
        sample_weight, targets, dtype=np.float64, ensure_non_negative=True
    )
    if not np.any(sample_weight):  # scikit-learn's words (its check from 1.7 on)
        raise ValueError("Sample weights must contain at least one non-zero number.")
    check_weight_range(sample_weight)
    return sample_weight


def check_weight_range(sample_weight):
    """Refuse non-negative weights whose sum overflows the EM's weighted
    sums (above ``MAX_WEIGHT_SUM``) or whose positive values, multiplied by
    responsibilities down to 1e-12, underflow to zero (below
    ``MIN_WEIGHT``)."""
    total = sample_weight.sum()
    if not total <= MAX_WEIGHT_SUM:
        raise ValueError(
            f"sample_weight sums to {total:.3g}: the EM's weighted sums of "
            f"squares and log-likelihoods overflow float64 above {MAX_WEIGHT_SUM:.0e}. "
            "Divide sample_weight by a constant (e.g. its maximum)."
        )
    positive = sample_weight[sample_weight > 0]
    if len(positive) and not positive.min() >= MIN_WEIGHT:
        raise ValueError(
            f"sample_weight holds positive weights as small as {positive.min():.3g}: "
            f"below {MIN_WEIGHT:.0e}, their products with the EM's "
            "responsibilities underflow to zero. Multiply sample_weight by a "
            "constant (e.g. divide it by its maximum), or set such weights to 0."
        )


def magnitude_limit(sample_weight):
    """Largest magnitude of targets and predictions whose weighted squares
    and cross-products, summed over the samples, stay finite:
    ``sqrt(max_float / (64 max(sum w, 1)))`` (residuals reach twice the
    magnitude, and the moments of the uniform triple their squares)."""
    total = max(float(sample_weight.sum()), 1.0)
    return float(np.sqrt(np.finfo(np.float64).max / (64 * total)))


def _power_of_ten(value):
    return f"1e{int(np.ceil(np.log10(value)))}"


def check_target_scale(targets, sample_weight, name="y"):
    """Refuse targets whose squares overflow or underflow float64.

    The EM works with squared residuals: targets beyond
    :func:`magnitude_limit` overflow them to infinity, and a column whose
    largest value is below ``SMALLEST_TARGET`` (about 1e-146) has squares in
    the subnormal range, where the mixture silently loses every digit.
    """
    magnitude = np.max(np.abs(targets), axis=0)
    limit = magnitude_limit(sample_weight)
    largest = magnitude.max()
    if largest > limit:
        raise ValueError(
            f"{name} holds values of magnitude up to {largest:.3g}: the EM "
            "squares residuals of that size, which overflows float64 above "
            f"{limit:.3g} (for these sample weights). Rescale {name}, e.g. "
            f"divide it by {_power_of_ten(largest)}, and multiply the "
            "predictions back."
        )
    small = np.flatnonzero((magnitude > 0) & (magnitude < SMALLEST_TARGET))
    if len(small):
        column = small[0]
        where = name if targets.shape[1] == 1 else f"{name} column {column}"
        raise ValueError(
            f"{where} holds values of magnitude at most {magnitude[column]:.3g}: "
            "their squares underflow float64 (below "
            f"{SMALLEST_TARGET:.3g} they lose their digits), and the EM could "
            f"not tell inliers from outliers. Rescale {name}, e.g. multiply "
            f"it by {_power_of_ten(1 / magnitude[column])}, and divide the "
            "predictions back."
        )


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


def check_prediction_scale(prediction, limit, targets, source):
    """Refuse predictions of ``targets`` whose residuals overflow when
    squared: beyond ``limit`` (see :func:`magnitude_limit`)."""
    largest = np.max(np.abs(prediction)) if prediction.size else 0.0
    if not largest <= limit:
        raise ValueError(
            f"The residuals of {source} overflow: its predictions reach "
            f"magnitude {largest:.3g}, and the EM squares residuals of that "
            f"size, which overflows float64 above {limit:.3g}, while the "
            f"targets stay within {np.max(np.abs(targets)):.3g}. Check "
            f"{source}, or rescale X."
        )


def is_skorch_net(estimator):
    """Whether ``estimator`` is a skorch net, without importing skorch."""
    skorch = sys.modules.get("skorch")
    return skorch is not None and isinstance(estimator, skorch.NeuralNet)


def is_dask(data):
    """Whether ``data`` is a dask collection, without importing dask."""
    dask = sys.modules.get("dask")
    return dask is not None and dask.is_dask_collection(data)
