"""GUMCallback: the DeepGUM EM inside a skorch training run.

Private: import it from :mod:`sklearn_gum.nn`.
"""

import numpy as np
import torch
from skorch.callbacks import Callback, PrintLog

from ._criterion import GUMCriterion
from ._net import WeightedNeuralNetRegressor, _RowIndexed


def train_mask(dataset_train, n_rows):
    """Rows of the training split (all rows without a split)."""
    if isinstance(dataset_train, torch.utils.data.Subset) and isinstance(
        dataset_train.dataset, _RowIndexed
    ):
        mask = np.zeros(n_rows, dtype=bool)
        mask[np.asarray(dataset_train.indices)] = True
        return mask
    return np.ones(n_rows, dtype=bool)


def resolve_schedule(net, has_start):
    """``(warmup_epochs, estep_every)`` of a weighted net, checked.

    With a starting regressor (``has_start``) the first E-step takes its
    residuals before the first epoch, so there is no warm-up.
    """
    if net.estep_residuals not in ("train", "eval"):
        raise ValueError(
            "estep_residuals must be 'train' or 'eval'; got "
            f"{net.estep_residuals!r}."
        )
    every = net.estep_every
    if isinstance(every, bool) or not (isinstance(every, (int, np.integer)) and every >= 1):
        raise ValueError(f"estep_every must be a positive int; got {every!r}.")
    if has_start:
        return 0, int(every)
    warmup = net.warmup_epochs
    if isinstance(warmup, str) and warmup == "auto":
        warmup = max(1, net.max_epochs // 5)
    if isinstance(warmup, bool) or not (
        isinstance(warmup, (int, np.integer)) and 1 <= warmup < net.max_epochs
    ):
        raise ValueError(
            "warmup_epochs must be 'auto' or an int in [1, max_epochs); got "
            f"{net.warmup_epochs!r} with max_epochs={net.max_epochs}."
        )
    return int(warmup), int(every)


class GUMCallback(Callback):
    """Trains a :class:`WeightedNeuralNetRegressor` with the DeepGUM EM.

    At the start of training the net's criterion is wrapped in a
    :class:`GUMCriterion` (the user's elementwise criterion inside); after
    each epoch the criterion's E-step is taken on its schedule; after the
    last epoch, a final E-step on an eval pass over all rows. The fitted
    mixture is then ``criterion`` (a :class:`GUMCriterion`), and the
    criterion of the net is restored.

    Parameters
    ----------
    targets : ndarray of shape (n_samples, n_outputs)
        The training targets, for the residuals of eval passes.
    options : dict
        Keyword arguments of :class:`GUMCriterion` (``outlier_granularity``,
        ``covariance_type``, ``uniform``, ``reg_covar``, ``threshold``,
        ``tol``, ``max_iter``, ``outlier_component``, ``sample_weight``,
        ``verbose``).
    start_residuals : ndarray of shape (n_samples, n_outputs), default=None
        Residuals of a starting regressor, for an E-step before the first
        epoch (no warm-up).

    Attributes
    ----------
    criterion : GUMCriterion
        The EM of the latest training run.

    Notes
    -----
    Each epoch after the first E-step, the net's history records
    ``gum_inlier_prior`` (a list with several groups), ``gum_covariance``
    (``Sigma`` as nested lists), ``gum_log_likelihood``,
    ``gum_inlier_share`` and ``event_gum_estep`` (whether the weights were
    refreshed after that epoch).
    """

    def __init__(self, targets, options, start_residuals=None):
        self.targets = targets
        self.options = options
        self.start_residuals = start_residuals

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Wrap the net's criterion in a fresh :class:`GUMCriterion`."""
        if not isinstance(net, WeightedNeuralNetRegressor):
            raise TypeError(
                "GUMCallback trains a sklearn_gum.nn.WeightedNeuralNetRegressor, "
                f"whose batches carry their rows; got {type(net).__name__}."
            )
        has_start = self.start_residuals is not None
        warmup, every = resolve_schedule(net, has_start)
        self.criterion = GUMCriterion(
            len(self.targets), warmup_epochs=warmup, estep_every=every,
            criterion=net.criterion_, loss_normalization=net.loss_normalization,
            **self.options,
        )
        self._plain_criterion, net.criterion_ = net.criterion_, self.criterion
        self._X, self._started = X, False
        self._hidden = {"gum_covariance"}
        if not isinstance(self.options.get("outlier_granularity"), str) or (
            self.options.get("outlier_granularity") == "output"
        ):
            self._hidden.add("gum_inlier_prior")

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        """First epoch: the mixture's rows, and the E-step from a start."""
        if self._started:
            return
        self._started = True
        self.criterion.mixture_rows = train_mask(dataset_train, len(self.targets))
        _hide_from_print_log(net, self._hidden)
        if self.start_residuals is not None:
            self.criterion.start(torch.as_tensor(
                self.start_residuals, dtype=self._dtype(net), device=net.device
            ))

    def on_epoch_end(self, net, **kwargs):
        """Take the E-step when one is due; record rho and Sigma."""
        last = self.criterion.epoch_ + 1 >= net.max_epochs
        residuals = None
        if net.estep_residuals == "eval" or not self.criterion.recorded_all():
            residuals = lambda: self.residuals(net)  # noqa: E731 (only when due)
        refreshed = self.criterion.end_epoch(residuals, last=last)
        self._record(net, refreshed)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Final E-step on an eval pass; restore the net's criterion."""
        try:
            self.criterion.finish(self.residuals(net))
        finally:
            net.criterion_ = self._plain_criterion

    def residuals(self, net):
        """``y - f(X)`` of all rows by an eval pass, on the net's device."""
        with torch.no_grad():
            prediction = net.forward(self._X, training=False, device=net.device)
        if isinstance(prediction, tuple):
            prediction = prediction[0]
        targets = torch.as_tensor(self.targets, dtype=self._dtype(net), device=net.device)
        return targets - prediction.reshape(len(prediction), -1).to(targets.dtype)

    @staticmethod
    def _dtype(net):
        return torch.float32 if str(net.device).startswith("mps") else torch.float64

    def _record(self, net, refreshed):
        """rho, Sigma and the latest log-likelihood in the net's history."""
        try:
            state = self.criterion._fitted
        except AttributeError:  # no E-step yet
            return
        priors = [float(p.inlier_prior) for p in state.params]
        history = net.history
        history.record("gum_inlier_prior", priors[0] if len(priors) == 1 else priors)
        history.record("gum_covariance", state.covariance().tolist())
        history.record("gum_log_likelihood", state.log_likelihood)
        history.record("gum_inlier_share", state.history[-1][1])
        history.record("event_gum_estep", bool(refreshed))


def _hide_from_print_log(net, keys):
    """Keep list-valued history keys out of skorch's printed table."""
    for _, callback in net.callbacks_:
        if isinstance(callback, PrintLog):
            callback.keys_ignored_ = set(callback.keys_ignored_) | set(keys)
