"""A skorch regressor whose loss takes per-sample and per-element weights.

Private: import it from :mod:`sklearn_gum.nn`.
"""

import warnings
from typing import NamedTuple

import numpy as np
import torch
from sklearn.base import clone
from skorch import NeuralNetRegressor
from skorch.dataset import get_len
from skorch.utils import is_dataset, to_tensor

from ._criterion import GUMCriterion
from ._losses import mahalanobis_loss


class _WeightedTarget(NamedTuple):
    """A target and its row, so that the loss can look up the row's weights.

    ``torch.utils.data.default_collate`` keeps the named tuple, so a batch
    arrives in ``get_loss`` as ``_WeightedTarget(targets, rows)``.
    """

    target: object
    row: object


class _RowIndexed(torch.utils.data.Dataset):
    """Wraps a dataset of ``(X_i, y_i)`` into ``(X_i, (y_i, i))``."""

    def __init__(self, dataset):
        self.dataset = dataset

    def __len__(self):
        return len(self.dataset)

    def __getitem__(self, i):
        Xi, yi = self.dataset[i]
        return Xi, _WeightedTarget(yi, i)


def _check_loss_weights(sample_weight, n_rows, n_outputs=None):
    """Weights as an (n_rows, 1) or (n_rows, n_outputs) float64 array."""
    if sample_weight is None:
        return np.ones((n_rows, 1))
    weights = np.asarray(sample_weight, dtype=np.float64)
    weights = weights.reshape(len(weights), -1) if 1 <= weights.ndim <= 2 else weights
    columns = (1,) if n_outputs is None else (1, n_outputs)
    if weights.ndim != 2 or len(weights) != n_rows or (
        n_outputs is not None and weights.shape[1] not in columns
    ):
        width = "n_outputs" if n_outputs is None else n_outputs
        raise ValueError(
            f"sample_weight must have shape ({n_rows},) or ({n_rows}, {width}); "
            f"got {np.shape(sample_weight)}."
        )
    if not np.all(np.isfinite(weights.astype(np.float32))) or np.any(weights < 0):
        raise ValueError("sample_weight must be finite and non-negative.")
    return weights


class WeightedNeuralNetRegressor(NeuralNetRegressor):
    """skorch regressor trained with sample weights, alone or inside GUM.

    skorch's ``fit`` passes extra arguments to ``module.forward``, not to the
    loss. This subclass follows skorch's recipe for sample weights instead:
    the dataset carries each row's index next to its target, the criterion
    runs unreduced (``reduction="none"``), and ``get_loss`` looks the rows'
    weights up in a buffer on ``device``. The user's module is unchanged.

    As the estimator of a :class:`~sklearn_gum.GUMRegressor` (or with a
    :class:`GUMCallback` in ``callbacks``), the buffer holds the inlier
    responsibilities, refreshed between epochs, and the loss is the
    Mahalanobis M-step of the GUM (see Notes). The EM's settings
    (``warmup_epochs``, ``estep_every``, ``min_evidence``...) belong to
    the GUM, not to the net: set them on ``GUMRegressor`` or on the
    ``GUMCallback``.

    Parameters
    ----------
    module : torch module (class or instance)
        As in :class:`skorch.NeuralNetRegressor`.
    criterion : torch criterion class, default=torch.nn.MSELoss
        Must accept ``reduction``; it is set to ``"none"`` and must then
        return one loss per element (e.g. ``MSELoss``, :class:`ScaledHuberLoss`).
    train_split : callable or None, default=None
        As in skorch, but without a validation split by default (skorch's is
        ``ValidSplit(5)``): in a GUM fit every row is trained on and scored.
        With a split, the mixture is fitted on the training rows only, and
        the validation rows get responsibilities too, which weight the
        validation loss.
    *args, **kwargs
        The other parameters of :class:`skorch.NeuralNetRegressor`.

    Attributes
    ----------
    loss_weight_ : torch.Tensor of shape (n_rows, 1) or (n_rows, n_outputs)
        The weights during training; None outside ``fit``.
    loss_whitening_ : torch.Tensor of shape (n_outputs, n_outputs) or None
        ``W`` (see Notes) during training; None outside ``fit``.
    loss_scale_ : float or None
        The loss factor ``c`` (see Notes) during training.
    sample_weight_ : ndarray of shape (n_rows, 1) or (n_rows, n_outputs) or None
        The sample weights given to ``fit`` while it runs (what a
        :class:`GUMCallback` reads); None outside ``fit``.

    See Also
    --------
    sklearn_gum.GUMRegressor : Robust regression by EM over a residual mixture.

    Notes
    -----
    For a batch ``B`` with weights ``w_{nj}`` (sample weight times the inlier
    responsibility of the group of output ``j``) and the block-diagonal
    whitening ``W = diag(L_g^{-1})`` with ``Sigma_g = L_g L_g^T``, the loss is

    .. math::

        c \\cdot \\frac{1}{|B|} \\sum_{n \\in B} \\sum_j w_{nj}
        \\ell\\big((W \\hat y_n)_j, (W y_n)_j\\big),

    with the unreduced criterion ``ell``. For the squared error this is
    ``c mean_n sum_g w_n r_{ng} e_{ng}^T Sigma_g^{-1} e_{ng}``. Outside GUM,
    ``W = I`` and ``c = 1 / d``, so
    ``fit(X, y, sample_weight=w)`` minimises ``mean_n w_n mean_j ell_{nj}``,
    skorch's sample-weight recipe. A zero weight takes a row out of the
    gradient.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sklearn_gum.nn import WeightedNeuralNetRegressor
    >>> X = np.random.RandomState(0).normal(size=(100, 3)).astype(np.float32)
    >>> y = X[:, :1] * 2
    >>> net = WeightedNeuralNetRegressor(
    ...     torch.nn.Linear, module__in_features=3, module__out_features=1,
    ...     optimizer=torch.optim.Adam, lr=0.1, max_epochs=5, verbose=0)
    >>> w = np.ones(100)
    >>> w[:10] = 0
    >>> net.fit(X, y, sample_weight=w).predict(X).shape
    (100, 1)
    """

    def __init__(
        self,
        module,
        *args,
        criterion=torch.nn.MSELoss,
        train_split=None,
        **kwargs,
    ):
        super().__init__(
            module, *args, criterion=criterion, train_split=train_split, **kwargs
        )
        self.loss_weight_ = self.loss_whitening_ = self.loss_scale_ = None
        self.sample_weight_ = None

    def initialize_criterion(self):
        """Initialise the criterion with ``reduction="none"``."""
        super().initialize_criterion()
        if not hasattr(self.criterion_, "reduction"):
            raise TypeError(
                f"{type(self.criterion_).__name__} has no 'reduction'; "
                "WeightedNeuralNetRegressor needs a criterion that can return "
                "one loss per element (reduction='none')."
            )
        self.criterion_.reduction = "none"
        return self

    def fit(self, X, y, sample_weight=None, **fit_params):
        """Initialise and fit the module with sample weights.

        Parameters
        ----------
        X : input data
            Anything :class:`skorch.NeuralNetRegressor` accepts.
        y : array-like of shape (n_samples, n_outputs)
            Targets.
        sample_weight : array-like of shape (n_samples,) or \
                (n_samples, n_outputs), default=None
            Non-negative weight of each sample, or of each element.
        **fit_params : dict
            Passed to ``module.forward``, as in skorch.

        Returns
        -------
        self : WeightedNeuralNetRegressor
        """
        if not self.warm_start or not self.initialized_:
            self.initialize()
        return self.partial_fit(
            X, y, sample_weight=sample_weight, _routing_method="fit", **fit_params
        )

    def partial_fit(self, X, y=None, classes=None, sample_weight=None, **fit_params):
        """Continue training with sample weights; see :meth:`fit`."""
        if not self.initialized_:
            self.initialize()
        n_rows = len(X) if is_dataset(X) else get_len(X)
        n_outputs = None if y is None or is_dataset(X) else (
            1 if np.ndim(y) < 2 else int(np.prod(np.shape(y)[1:]))
        )
        weights = _check_loss_weights(sample_weight, n_rows, n_outputs)
        self.set_loss_weights(weights)
        self.sample_weight_ = None if sample_weight is None else weights
        try:
            super().partial_fit(X, y, classes, **fit_params)
        finally:
            self.loss_weight_ = self.loss_whitening_ = self.loss_scale_ = None
            self.sample_weight_ = None
        return self

    def set_loss_weights(self, weights, whitening=None, trace=None):
        """Set the weights and whitening of the loss (used between epochs).

        Parameters
        ----------
        weights : array-like or torch.Tensor of shape (n_rows, 1) or \
                (n_rows, n_outputs)
        whitening : array-like of shape (n_outputs, n_outputs), default=None
            ``W``; None for the identity.
        trace : float, default=None
            ``tr(Sigma)``: the loss factor is then ``tr(Sigma) / d^2``, the
            mean squared error of the moment; None means ``1 / d``.
        """
        weights = torch.as_tensor(weights, dtype=torch.float32)
        self.loss_weight_ = weights.to(self.device)
        self.loss_whitening_ = None if whitening is None else torch.as_tensor(
            whitening, dtype=torch.float32
        ).to(self.device)
        n_outputs = 1 if whitening is None else len(whitening)
        # None: 1 / d, with d known at the first batch
        self.loss_scale_ = None if trace is None else float(trace) / n_outputs**2

    def get_split_datasets(self, X, y=None, **fit_params):
        """Training and validation datasets whose targets carry their row."""
        dataset = _RowIndexed(self.get_dataset(X, y))
        if not self.train_split:
            return dataset, None
        if y is None:
            return self.train_split(dataset, **fit_params)
        return self.train_split(dataset, y, **fit_params)

    def get_loss(self, y_pred, y_true, X=None, training=False):
        """Weighted, whitened loss of a batch (see Notes of the class).

        A target without its rows (outside ``fit``) gets unit weights. While
        a :class:`GUMCallback` trains the net, its :class:`GUMCriterion`
        computes the loss and records the batch's residuals.
        """
        if isinstance(y_pred, tuple):
            y_pred = y_pred[0]
        if not isinstance(y_true, _WeightedTarget):
            return super().get_loss(y_pred, y_true, X=X, training=training).mean()
        target = to_tensor(y_true.target, device=self.device)
        if isinstance(self.criterion_, GUMCriterion):
            return self.criterion_(y_pred, target, y_true.row)
        if self.loss_weight_ is None:
            return super().get_loss(y_pred, target, X=X, training=training).mean()
        weights = self.loss_weight_[torch.as_tensor(y_true.row).to(self.device)]
        scale = self.loss_scale_
        if scale is None:
            scale = 1.0 / target.reshape(len(target), -1).shape[1]
        return mahalanobis_loss(
            self.criterion_, y_pred, target, weights, self.loss_whitening_, scale
        )


def as_weighted_net(net):
    """An unfitted weighted copy of a skorch regressor for a GUM fit.

    A :class:`WeightedNeuralNetRegressor` (or subclass) is cloned as it is,
    its ``train_split`` included. A plain :class:`skorch.NeuralNetRegressor`
    becomes the weighted equivalent with the same parameters (its loss must
    weight each row) and ``train_split=None``; when the plain net had a
    ``train_split`` (skorch's default ``ValidSplit(5)``), a ``UserWarning``
    says so: that split would hide a fifth of the rows from training while
    the E-step scores them all.
    """
    if isinstance(net, WeightedNeuralNetRegressor):
        return clone(net)
    if type(net) is NeuralNetRegressor:
        params = {
            key: value for key, value in net.get_params(deep=False).items()
            if not key.startswith("_")
        }
        if params.get("train_split") is not None:
            warnings.warn(
                f"GUMRegressor trains the NeuralNetRegressor as a "
                f"WeightedNeuralNetRegressor with train_split=None instead of "
                f"{params['train_split']!r}: a validation split (skorch's default "
                "ValidSplit(5) holds out 20% of the rows) would hide rows from "
                "training while the E-step scores them. Pass train_split=None to "
                "the net to silence this warning, or a WeightedNeuralNetRegressor "
                "to keep a split (the mixture is then fitted on its training rows).",
                UserWarning,
            )
        return clone(WeightedNeuralNetRegressor(**{**params, "train_split": None}))
    raise TypeError(
        f"GUMRegressor takes a skorch.NeuralNetRegressor or a "
        f"sklearn_gum.nn.WeightedNeuralNetRegressor; got {type(net).__name__}. "
        "For a customised net, subclass WeightedNeuralNetRegressor, whose "
        "get_loss weights each row."
    )
