"""Checks of what a training loop hands to the GUM criterion, and of the
numbers a network produces.

Private: used by :class:`~sklearn_gum.nn.GUMCriterion`,
:class:`~sklearn_gum.nn.GUMCallback` and the losses. Each check raises a
``TypeError`` or ``ValueError`` whose message names the argument at fault,
before torch would raise something obscure (or nothing at all).

The checks of a batch never synchronise a GPU: a tensor that already lives
on an accelerator is checked for finiteness once per epoch
(:func:`check_finite_residuals`), not per batch.
"""

import numbers

import numpy as np
import torch
from sklearn.utils._param_validation import validate_parameter_constraints

# Positive loss weights (float32, times responsibilities down to 1e-12 and
# losses of any size) stay normal float32 numbers within this range.
FLOAT32_WEIGHTS = (1e-20, 1e20)


def check_sample_weight(sample_weight, n_samples):
    """``sample_weight`` as a float64 array of shape ``(n_samples,)``.

    None means unit weights. The weights must be finite, non-negative and
    not all zero (the mixture's statistics divide by their sum).
    """
    if sample_weight is None:
        return np.ones(n_samples)
    if isinstance(sample_weight, torch.Tensor):
        sample_weight = sample_weight.detach().cpu().numpy()
    try:
        weights = np.asarray(sample_weight, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise TypeError(
            f"sample_weight must be an array of numbers; got {type(sample_weight).__name__}."
        ) from exc
    if weights.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},), one weight per row "
            f"(n_samples={n_samples}); got shape {weights.shape}."
        )
    if not np.all(np.isfinite(weights)):
        raise ValueError("sample_weight contains NaN or infinite values.")
    if np.any(weights < 0):
        raise ValueError("sample_weight must be non-negative; got negative weights.")
    if not weights.sum() > 0:
        raise ValueError("sample_weight sums to zero: at least one row must count.")
    positive = weights[weights > 0]
    low, high = positive.min(), positive.max()
    if not (FLOAT32_WEIGHTS[0] <= low and high <= FLOAT32_WEIGHTS[1]):
        raise ValueError(
            f"sample_weight holds positive weights from {low:.3g} to {high:.3g}: "
            "the loss weighs float32 losses by them, which overflow or underflow "
            f"outside [{FLOAT32_WEIGHTS[0]:.0e}, {FLOAT32_WEIGHTS[1]:.0e}]. Divide "
            "sample_weight by a constant (e.g. its maximum), or set tiny weights to 0."
        )
    return weights


def check_criterion(criterion):
    """The elementwise criterion: ``MSELoss(reduction="none")`` for None.

    A criterion with a ``reduction`` attribute must have ``"none"``: with a
    reduced loss the per-row weights could not be applied.
    """
    if criterion is None:
        return torch.nn.MSELoss(reduction="none")
    if isinstance(criterion, type):
        raise TypeError(
            f"criterion must be an instance, e.g. {criterion.__name__}(reduction='none'); "
            "got the class itself."
        )
    if not callable(criterion):
        raise TypeError(
            f"criterion must be a callable torch module; got {type(criterion).__name__}."
        )
    reduction = getattr(criterion, "reduction", "none")
    if reduction != "none":
        raise ValueError(
            f"criterion must return one loss per element: construct it with "
            f"reduction='none'; got reduction={reduction!r}."
        )
    return criterion


def check_predictions(y_pred):
    """``y_pred`` as a 2-D floating tensor ``(batch_size, n_outputs)``."""
    if not isinstance(y_pred, torch.Tensor):
        raise TypeError(
            "y_pred must be the torch.Tensor that the model returned (with its "
            f"graph); got {type(y_pred).__name__}."
        )
    if not y_pred.is_floating_point():
        raise TypeError(f"y_pred must be a floating tensor; got dtype {y_pred.dtype}.")
    if y_pred.ndim == 0 or len(y_pred) == 0:
        raise ValueError(
            "y_pred must hold at least one row of shape (batch_size, n_outputs); "
            f"got shape {tuple(y_pred.shape)}."
        )
    return y_pred.reshape(len(y_pred), -1)


def check_batch_targets(y_true, y_pred):
    """``y_true`` as a 2-D tensor on ``y_pred``'s device, with as many rows.

    Targets that are not on an accelerator are checked for NaN and infinite
    values here; on an accelerator, once per epoch (no synchronisation per
    batch).
    """
    if not isinstance(y_true, torch.Tensor):
        try:
            y_true = torch.as_tensor(np.asarray(y_true, dtype=np.float64))
        except (TypeError, ValueError) as exc:
            raise TypeError(
                f"y_true must be a tensor or an array of numbers; got "
                f"{type(y_true).__name__}."
            ) from exc
    if y_true.is_complex() or y_true.dtype == torch.bool:
        raise TypeError(f"y_true must hold real numbers; got dtype {y_true.dtype}.")
    if y_true.ndim == 0 or len(y_true) != len(y_pred):
        raise ValueError(
            f"y_true must have one row per prediction: y_pred has {len(y_pred)} "
            f"rows, y_true has shape {tuple(y_true.shape)}."
        )
    if y_true.device.type == "cpu" and not bool(torch.isfinite(y_true).all()):
        raise ValueError(
            "y_true contains NaN or infinite values; GUMCriterion needs finite targets."
        )
    return y_true.reshape(len(y_true), -1).to(device=y_pred.device)


def check_idx(idx, batch_size, n_samples):
    """``idx`` as a 1-D int64 tensor of ``batch_size`` rows in ``[0, n_samples)``.

    Repeated rows are allowed (a sampler with replacement draws them): each
    occurrence counts in the loss, and the residual of the last is recorded.
    """
    if isinstance(idx, torch.Tensor):
        tensor = idx
    else:
        values = np.asarray(idx)
        if values.dtype == object or values.dtype.kind not in "biuf":
            raise TypeError(
                "idx must hold the integer row indices of the batch; got "
                f"{type(idx).__name__} of dtype {values.dtype}."
            )
        if values.dtype.kind == "u":  # torch cannot range-check unsigned tensors
            _check_range(0, int(values.max(initial=0)), n_samples)
            values = values.astype(np.int64)
        tensor = torch.as_tensor(values)
    if tensor.dtype in (torch.uint16, torch.uint32, torch.uint64):
        tensor = tensor.to(torch.int64)
    if tensor.dtype == torch.bool:
        raise TypeError(
            "idx must hold integer row indices, not a boolean mask; use "
            "torch.nonzero(mask) or numpy.flatnonzero(mask)."
        )
    if tensor.is_floating_point() or tensor.is_complex():
        raise TypeError(f"idx must hold integer row indices; got dtype {tensor.dtype}.")
    if tensor.ndim != 1 or len(tensor) != batch_size:
        raise ValueError(
            f"idx must be 1-D with one row index per prediction ({batch_size}); "
            f"got shape {tuple(tensor.shape)}."
        )
    _check_range(*(int(bound) for bound in torch.aminmax(tensor)), n_samples)
    return tensor.long()


def _check_range(low, high, n_samples):
    if low < 0 or high >= n_samples:
        raise ValueError(
            f"idx holds row indices outside [0, n_samples={n_samples}): found "
            f"{low if low < 0 else high}."
        )


def check_residuals(residuals, shape, name="residuals"):
    """Residuals handed over by the user as a tensor of ``shape``."""
    if callable(residuals):
        raise TypeError(f"{name} must be an array or tensor here, not a callable.")
    tensor = residuals if isinstance(residuals, torch.Tensor) else torch.as_tensor(
        np.asarray(residuals, dtype=np.float64)
    )
    n_rows, n_columns = shape
    if tensor.ndim not in (1, 2) or len(tensor) != n_rows or (
        tensor.numel() != n_rows * n_columns
    ):
        raise ValueError(
            f"{name} must have shape ({n_rows}, {n_columns}), one row per training "
            f"row; got shape {tuple(tensor.shape)}."
        )
    return tensor.reshape(n_rows, n_columns)


def check_finite_residuals(residuals, when):
    """Raise a clear error when a network produced NaN or infinite values.

    ``when`` completes the message, e.g. ``"after epoch 3"``.
    """
    if bool(torch.isfinite(residuals).all()):
        return
    what = "NaN" if bool(torch.isnan(residuals).any()) else "infinite values"
    raise ValueError(
        f"The network's residuals contain {what} {when}: training diverged. "
        "Lower the learning rate (or clip the gradients)."
    )


def check_count(value, name, minimum):
    """An integer parameter ``>= minimum`` (bools are refused)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or (
        value < minimum
    ):
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}.")
    return int(value)


def validate_criterion_params(constraints, params):
    """scikit-learn's parameter checks, and no bools where an int is due."""
    validate_parameter_constraints(constraints, params, caller_name="GUMCriterion")
    for name in ("n_samples", "max_iter", "warmup_epochs", "estep_every"):
        if isinstance(params[name], (bool, np.bool_)):
            raise TypeError(f"{name} must be an int; got {params[name]!r}.")


def check_net_X(X):
    """Refuse, for a skorch net, the ``X`` that scikit-learn's estimators
    refuse or that skorch cannot pass to a module.

    NaN or infinity in an array of numbers (a net would train on them, or
    predict NaN), with scikit-learn's words; a DataFrame whose column names
    are not all strings (skorch passes each column to ``module.forward`` as
    a keyword argument named after it).
    """
    columns = getattr(X, "columns", None)
    if columns is not None and hasattr(X, "iloc"):
        if not all(isinstance(name, str) for name in columns):
            raise TypeError(
                "X is a DataFrame with non-string column names: skorch passes each "
                "column of a DataFrame to module.forward as a keyword argument "
                "named after it. Pass X.to_numpy(dtype=np.float32) for a module "
                "that takes one tensor, or name the columns after forward's arguments."
            )
        return
    if isinstance(X, torch.Tensor):
        finite = bool(torch.isfinite(X).all()) if X.is_floating_point() else True
        nan = not finite and bool(torch.isnan(X).any())
    elif isinstance(X, np.ndarray) and X.dtype.kind == "f":
        finite = bool(np.isfinite(X).all())
        nan = not finite and bool(np.isnan(X).any())
    else:
        return
    if not finite:
        raise ValueError(
            f"Input X contains {'NaN' if nan else 'infinity'}. A network would "
            "train on or predict from it; impute or drop those values first "
            "(e.g. sklearn.impute.SimpleImputer)."
        )


def explain_dtype_mismatch(exc, net, X):
    """Raise a ``TypeError`` from ``exc`` (a failed ``net.fit``) when ``X``
    is float64 and the module's parameters are not: skorch hands ``X`` to
    the module as it is, and torch fails deep in its first layer."""
    module = getattr(net, "module_", None)
    parameters = list(module.parameters()) if isinstance(module, torch.nn.Module) else []
    dtype = str(getattr(X, "dtype", ""))
    if parameters and dtype in ("float64", "torch.float64") and (
        parameters[0].dtype != torch.float64
    ):
        raise TypeError(
            f"X is float64 but the network's parameters are {parameters[0].dtype}: "
            "skorch hands X to the module unconverted. Pass X.astype(np.float32) "
            "(or a float64 module)."
        ) from exc
