"""What an OutlierDisplay shows: the checked arrays of one group.

:func:`select_group` turns the inputs of ``OutlierDisplay.from_predictions``
(targets, predictions and a fitted mixture over all outputs) into the
arguments of one display: the residuals, predictions, outlier probability
and mixture parameters of one group of columns. :func:`check_display_values`
checks the arguments a display was built with before it is drawn.
"""

import numpy as np

from .._validation import check_groups
from ._checks import check_in_interval, check_index, check_number, check_real_array


def _check_group_list(groups, n_outputs):
    """``groups`` as a list of non-empty arrays of column indices."""
    return check_groups(groups, n_outputs, name="groups", cover=False)


def _group_columns(groups, outlier_proba, n_outputs):
    """Columns of each group, inferred from the shape of ``outlier_proba`` when
    ``groups`` is None: one group of all columns, or one group per column."""
    if groups is not None:
        groups = _check_group_list(groups, n_outputs)
        n_proba = 1 if outlier_proba.ndim == 1 else outlier_proba.shape[1]
        if n_proba != len(groups):
            raise ValueError(
                f"outlier_proba has {n_proba} column(s), one per group, but "
                f"groups has {len(groups)} group(s)."
            )
        return groups
    if outlier_proba.ndim == 1 or outlier_proba.shape[1] == 1:
        return [np.arange(n_outputs)]
    if outlier_proba.shape[1] == n_outputs:
        return [np.array([column]) for column in range(n_outputs)]
    raise ValueError(
        f"outlier_proba has {outlier_proba.shape[1]} groups for {n_outputs} "
        "outputs; pass groups, the target columns of each group."
    )


def _select_group(values, group, n_groups, name):
    """The entry of a per-group parameter (a scalar when there is one group)."""
    values = check_real_array(values, name, ndims=(0, 1), allow_inf=True)
    if values.ndim == 0:
        if n_groups != 1:
            raise ValueError(f"{name} must have one value per group ({n_groups}).")
        return float(values)
    if values.shape[0] != n_groups:
        raise ValueError(
            f"{name} has {values.shape[0]} values for {n_groups} groups."
        )
    return float(values[group])


def _select_dims(columns, dims):
    """The (at most two) columns of the group to show."""
    if dims is None:
        return columns[:2]
    if len(columns) < 2:
        raise ValueError(
            f"dims selects two columns of a group; this group has {len(columns)}."
        )
    if isinstance(dims, str) or not hasattr(dims, "__len__") or len(dims) != 2:
        raise ValueError(f"dims must be a pair of positions in the group; got {dims!r}.")
    first, second = (check_index(dim, "dims", len(columns)) for dim in dims)
    if first == second:
        raise ValueError(f"dims must be two different positions; got {dims!r}.")
    return columns[[first, second]]


def _check_targets(y_true, y_pred, outlier_proba):
    """``y_true`` and ``y_pred`` as (n_samples, n_outputs) arrays, and the
    outlier probabilities, all finite and describing the same samples."""
    y_true = check_real_array(y_true, "y_true")
    y_pred = check_real_array(y_pred, "y_pred")
    proba = check_real_array(outlier_proba, "outlier_proba")
    if len(y_true) == 0:
        raise ValueError("y_true has no samples.")
    y_true = y_true.reshape(len(y_true), -1)
    if y_pred.size != y_true.size or len(y_pred) != len(y_true) or len(proba) != len(y_true):
        raise ValueError(
            f"y_true {y_true.shape}, y_pred {y_pred.shape} and outlier_proba "
            f"{proba.shape} must describe the same samples and outputs."
        )
    check_in_interval(proba, "outlier_proba", 0, 1)
    return y_true, y_pred.reshape(y_true.shape), proba


def select_group(
    y_true, y_pred, *, outlier_proba, inlier_prior, covariance, uniform_volume,
    groups, group, dims,
):
    """The keyword arguments of an OutlierDisplay of group ``group``."""
    y_true, y_pred, proba = _check_targets(y_true, y_pred, outlier_proba)
    n_outputs = y_true.shape[1]
    all_groups = _group_columns(groups, proba, n_outputs)
    group = check_index(group, "group", len(all_groups))
    columns = _select_dims(all_groups[group], dims)
    covariance = _square_covariance(covariance, n_outputs, f"{n_outputs} output(s)")
    n_groups = len(all_groups)
    return dict(
        residuals=(y_true - y_pred)[:, columns],
        y_pred=y_pred[:, columns],
        outlier_proba=proba if proba.ndim == 1 else proba[:, group],
        inlier_prior=_select_group(inlier_prior, group, n_groups, "inlier_prior"),
        covariance=covariance[np.ix_(columns, columns)],
        uniform_volume=_select_group(uniform_volume, group, n_groups, "uniform_volume"),
        columns=columns,
    )


def _square_covariance(covariance, size, what):
    """``covariance`` as a real ``(size, size)`` array (a scalar or any shape
    with ``size**2`` values is reshaped); ``what`` names the size in the error."""
    covariance = check_real_array(covariance, "covariance", ndims=(0, 1, 2))
    if covariance.size != size**2:
        raise ValueError(
            f"covariance must be of shape ({size}, {size}) for {what}; got shape "
            f"{covariance.shape}."
        )
    return covariance.reshape(size, size)


def _check_covariance(covariance, n_columns):
    """``Sigma`` of the shown columns: symmetric, positive semi-definite, with
    positive variances."""
    covariance = _square_covariance(covariance, n_columns, f"{n_columns}-D residuals")
    if not np.allclose(covariance, covariance.T):
        raise ValueError(f"covariance must be symmetric; got {covariance.tolist()}.")
    if np.any(np.diag(covariance) <= 0):
        raise ValueError(f"covariance must have positive variances; got {covariance.tolist()}.")
    eigenvalues = np.linalg.eigvalsh(covariance)
    if eigenvalues[0] < -1e-12 * eigenvalues[-1]:
        raise ValueError(
            f"covariance must be positive semi-definite; got {covariance.tolist()}."
        )
    return covariance


def check_display_values(display):
    """The arrays and numbers of ``display``, checked: residuals and
    predictions as (n_samples, n_columns) arrays, the outlier probabilities,
    ``rho``, ``Sigma``, ``gamma`` and the threshold."""
    residuals = check_real_array(display.residuals, "residuals")
    if len(residuals) == 0:
        raise ValueError("residuals has no samples.")
    residuals = residuals.reshape(len(residuals), -1)
    y_pred = check_real_array(display.y_pred, "y_pred")
    proba = check_real_array(display.outlier_proba, "outlier_proba", ndims=(1,))
    if y_pred.size != residuals.size or len(y_pred) != len(residuals):
        raise ValueError(
            f"y_pred {y_pred.shape} must have the shape of residuals {residuals.shape}."
        )
    if len(proba) != len(residuals):
        raise ValueError(
            f"outlier_proba has {len(proba)} values for {len(residuals)} residuals."
        )
    check_in_interval(proba, "outlier_proba", 0, 1)
    volume = check_number(
        display.uniform_volume, "uniform_volume", low=0, high=np.inf, allow_inf=True
    )
    if volume == 0:
        raise ValueError("uniform_volume must be positive; got 0.0.")
    columns = display.columns
    if columns is not None and np.size(columns) != residuals.shape[1]:
        raise ValueError(
            f"columns has {np.size(columns)} entries for {residuals.shape[1]} "
            "columns of residuals."
        )
    return dict(
        residuals=residuals,
        y_pred=y_pred.reshape(residuals.shape),
        outlier_proba=proba,
        inlier_prior=check_number(display.inlier_prior, "inlier_prior", low=0, high=1),
        covariance=_check_covariance(display.covariance, residuals.shape[1]),
        uniform_volume=volume,
        threshold=check_number(display.threshold, "threshold", low=0, high=1),
    )
