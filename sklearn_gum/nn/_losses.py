"""Regression losses as torch modules: robust baselines and the GUM M-step loss.

Private: import them from :mod:`sklearn_gum.nn`, the package's only door to
torch.
"""

import math
import numbers

import torch
from torch import nn

MAD_CONSISTENCY = 1.4826
_REDUCTIONS = ("mean", "sum", "none")


def mad_scale(residuals, min_scale=1e-8):
    """Median absolute deviation of each column of a batch of residuals.

    Parameters
    ----------
    residuals : torch.Tensor of shape (batch_size, ...)
        Residuals; the median is taken over the first (batch) dimension.
    min_scale : float, default=1e-8
        Floor of the scale, for batches whose residuals mostly coincide
        (at least the smallest normal number of the dtype: half precision
        works in float32 for the medians, and its floor is 6.1e-5).

    Returns
    -------
    scale : torch.Tensor of shape (1, ...)
        ``1.4826 * median(|r - median(r)|)``, detached from the graph. The
        medians interpolate like :func:`numpy.median`.
    """
    dtype = residuals.dtype
    residuals = residuals.detach()
    if dtype in (torch.float16, torch.bfloat16):  # torch.quantile needs float32+
        residuals = residuals.float()
    median = torch.quantile(residuals, 0.5, dim=0, keepdim=True)
    deviation = torch.quantile((residuals - median).abs(), 0.5, dim=0, keepdim=True)
    floor = max(min_scale, torch.finfo(dtype).tiny)  # 1e-8 is 0 in float16
    return (MAD_CONSISTENCY * deviation).to(dtype).clamp_min(floor)


def _positive(value):
    """Whether ``value`` is a finite positive real number (not a bool)."""
    return (isinstance(value, numbers.Real) and not isinstance(value, bool)
            and math.isfinite(value) and value > 0)


def _reduce(loss, reduction):
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


class _ScaledRobustLoss(nn.Module):
    """``s^2 rho((y_pred - y) / s)`` with a robust ``rho`` and a scale ``s``."""

    def __init__(self, scale="mad", reduction="mean"):
        super().__init__()
        if reduction not in _REDUCTIONS:
            raise ValueError(
                f"reduction must be one of {_REDUCTIONS}; got {reduction!r}."
            )
        if not (isinstance(scale, str) and scale == "mad") and not _positive(scale):
            raise ValueError(f"scale must be 'mad' or a positive float; got {scale!r}.")
        self.scale = scale
        self.reduction = reduction

    def forward(self, input, target):
        """Loss of a batch of predictions ``input`` against ``target``.

        Both must have the same shape: a ``(batch_size, 1)`` prediction
        against ``(batch_size,)`` targets would broadcast to a square.
        """
        if input.shape != target.shape:
            raise ValueError(
                f"input and target must have the same shape; got "
                f"{tuple(input.shape)} and {tuple(target.shape)}."
            )
        residuals = input - target
        if isinstance(self.scale, str):
            scale = mad_scale(residuals)
        else:
            scale = torch.as_tensor(float(self.scale), dtype=residuals.dtype,
                                    device=residuals.device)
        return _reduce(scale**2 * self.rho(residuals / scale), self.reduction)

    def extra_repr(self):
        return f"scale={self.scale!r}, reduction={self.reduction!r}"


class ScaledHuberLoss(_ScaledRobustLoss):
    """Huber loss of scaled residuals, usable as a skorch criterion.

    Named apart from :class:`torch.nn.HuberLoss`, which it equals only with
    ``delta=1.0, scale=1.0``: by default the residuals are divided by their
    batch MAD scale and ``delta`` is 1.345.

    Parameters
    ----------
    delta : float, default=1.345
        Where the loss turns from quadratic to linear, in units of the scale;
        1.345 gives 95% efficiency at the Gaussian.
    scale : "mad" or float, default="mad"
        Scale ``s`` of the residuals: ``"mad"`` for ``1.4826`` times the
        median absolute deviation of each output over the batch (see
        :func:`mad_scale`), or a fixed positive float.
    reduction : {"mean", "sum", "none"}, default="mean"
        Reduction over the elements, as in :class:`torch.nn.MSELoss`.

    Notes
    -----
    With ``u = (y_pred - y) / s``, the loss of each element is
    ``s^2 rho(u)`` with

    .. math::

        \\rho(u) = u^2 / 2 \\text{ if } |u| \\le \\delta, \\quad
        \\delta (|u| - \\delta / 2) \\text{ otherwise}.

    The factor ``s^2`` keeps the loss in the units of the squared error:
    small residuals cost ``(y_pred - y)^2 / 2`` whatever the scale. The scale
    is a constant of the gradient. ``ScaledHuberLoss(delta=1.0, scale=1.0)`` equals
    :class:`torch.nn.HuberLoss`.

    Examples
    --------
    >>> import torch
    >>> from sklearn_gum.nn import ScaledHuberLoss
    >>> loss = ScaledHuberLoss(delta=1.0, scale=1.0, reduction="none")
    >>> loss(torch.tensor([0.5, 3.0]), torch.zeros(2))
    tensor([0.1250, 2.5000])
    """

    def __init__(self, delta=1.345, scale="mad", reduction="mean"):
        super().__init__(scale=scale, reduction=reduction)
        if not _positive(delta):
            raise ValueError(f"delta must be a positive float; got {delta!r}.")
        self.delta = delta

    def rho(self, u):
        """Huber's ``rho`` of standardised residuals ``u``."""
        absolute = u.abs()
        linear = self.delta * (absolute - self.delta / 2)
        return torch.where(absolute <= self.delta, u**2 / 2, linear)


class TukeyBiweightLoss(_ScaledRobustLoss):
    """Tukey's biweight loss of MAD-scaled residuals, usable as a skorch criterion.

    The robust baseline of Belagiannis et al. for deep regression: residuals
    beyond ``c`` scales cost a constant, so they give no gradient at all.

    Parameters
    ----------
    c : float, default=4.685
        Rejection point in units of the scale; 4.685 gives 95% efficiency
        at the Gaussian.
    scale : "mad" or float, default="mad"
        Scale ``s`` of the residuals: ``"mad"`` for ``1.4826`` times the
        median absolute deviation of each output over the batch (see
        :func:`mad_scale`), or a fixed positive float.
    reduction : {"mean", "sum", "none"}, default="mean"
        Reduction over the elements.

    Notes
    -----
    With ``u = (y_pred - y) / s``, the loss of each element is
    ``s^2 rho(u)`` with

    .. math::

        \\rho(u) = \\frac{c^2}{6} \\left(1 - (1 - (u / c)^2)^3\\right)
        \\text{ if } |u| \\le c, \\quad \\frac{c^2}{6} \\text{ otherwise}.

    Small residuals cost about ``(y_pred - y)^2 / 2``, as for
    :class:`ScaledHuberLoss`. The MAD is taken per output over the batch, so a
    batch should hold well over twice as many inliers as outliers.

    References
    ----------
    V. Belagiannis, C. Rupprecht, G. Carneiro and N. Navab, "Robust
    Optimization for Deep Regression", ICCV 2015.

    Examples
    --------
    >>> import torch
    >>> from sklearn_gum.nn import TukeyBiweightLoss
    >>> loss = TukeyBiweightLoss(scale=1.0, reduction="none")
    >>> loss(torch.tensor([0.0, 10.0]), torch.zeros(2))
    tensor([0.0000, 3.6582])
    """

    def __init__(self, c=4.685, scale="mad", reduction="mean"):
        super().__init__(scale=scale, reduction=reduction)
        if not _positive(c):
            raise ValueError(f"c must be a positive float; got {c!r}.")
        self.c = c

    def rho(self, u):
        """Tukey's biweight ``rho`` of standardised residuals ``u``."""
        plateau = self.c**2 / 6
        inside = plateau * (1 - (1 - (u / self.c) ** 2) ** 3)
        return torch.where(u.abs() <= self.c, inside, torch.full_like(u, plateau))


def mahalanobis_loss(elementwise_criterion, y_pred, y_true, weights, whitening=None,
                     scale=1.0):
    """Weighted, whitened loss of a batch: the GUM M-step of a network.

    Parameters
    ----------
    elementwise_criterion : callable
        Unreduced criterion (``reduction="none"``) returning one loss per
        element, e.g. ``torch.nn.MSELoss(reduction="none")``.
    y_pred, y_true : torch.Tensor of shape (batch_size, n_outputs)
    weights : torch.Tensor of shape (batch_size, n_outputs) or (batch_size, 1)
        Weight of each element (or sample): the sample weight times the
        inlier responsibility of the element's group.
    whitening : torch.Tensor of shape (n_outputs, n_outputs), default=None
        ``W``, block-diagonal over the groups with blocks ``L_g^{-1}``, where
        ``Sigma_g = L_g L_g^T``; None for the identity.
    scale : float, default=1.0
        Positive constant factor; it does not move the minimiser.

    Returns
    -------
    loss : torch.Tensor of shape ()

    Notes
    -----
    Predictions and targets are whitened, ``z = W y``, and the loss is

    .. math::

        \\text{scale} \\cdot \\frac{1}{B} \\sum_n \\sum_j w_{nj}\\,
        \\ell(z^{pred}_{nj}, z_{nj}).

    For the squared error, ``sum_{j in g} (z^{pred}_{nj} - z_{nj})^2 =
    e_{ng}^T Sigma_g^{-1} e_{ng}``, so the loss is the Mahalanobis M-step
    ``mean_n sum_g w_n r_{ng} e_{ng}^T Sigma_g^{-1} e_{ng}``.
    """
    y_pred = y_pred.reshape(len(y_pred), -1)
    y_true = y_true.reshape(len(y_true), -1).to(y_pred.dtype)
    batch_size, n_outputs = y_pred.shape
    if y_true.shape != y_pred.shape:
        raise ValueError(
            f"y_pred and y_true must have the same shape; got {tuple(y_pred.shape)} "
            f"and {tuple(y_true.shape)}."
        )
    if weights.ndim != 2 or len(weights) != batch_size or (
        weights.shape[1] not in (1, n_outputs)
    ):
        raise ValueError(
            f"weights must have shape ({batch_size}, 1) or ({batch_size}, "
            f"{n_outputs}); got {tuple(weights.shape)}."
        )
    if whitening is not None:
        if tuple(whitening.shape) != (n_outputs, n_outputs):
            raise ValueError(
                f"whitening must have shape ({n_outputs}, {n_outputs}); got "
                f"{tuple(whitening.shape)}."
            )
        whitening = whitening.to(y_pred.dtype)  # a float64 model, float32 buffers
        y_pred, y_true = y_pred @ whitening.T, y_true @ whitening.T
    elementwise = elementwise_criterion(y_pred, y_true)
    if elementwise.shape != y_pred.shape:
        raise ValueError(
            "The criterion must return one loss per element with "
            f"reduction='none'; got shape {tuple(elementwise.shape)} for "
            f"predictions of shape {tuple(y_pred.shape)}."
        )
    return scale * (weights * elementwise).sum(dim=1).mean()
