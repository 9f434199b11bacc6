"""GUMCallback: the DeepGUM EM inside a skorch training run.

Private: import it from :mod:`sklearn_gum.nn`.
"""

import numpy as np
import torch
from skorch.callbacks import Callback, PrintLog
from skorch.dataset import get_len
from skorch.utils import is_dataset

from ._checks import check_residuals
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
        warmup = max(1, net.max_epochs // 10)
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

    A thin skorch callback around :class:`GUMCriterion`. At the start of
    training the net's criterion is wrapped in a fresh :class:`GUMCriterion`
    (the net's elementwise criterion inside, the net's ``warmup_epochs``,
    ``estep_every``, ``min_evidence`` and ``loss_normalization``); after each epoch the
    criterion's E-step is taken on its schedule; after the last epoch, a
    final E-step on an eval pass over all rows. The net's own criterion is
    then restored, and the fitted mixture stays in :attr:`criterion`.
    :class:`~sklearn_gum.GUMRegressor` trains nets this way.

    Parameters
    ----------
    targets : array-like of shape (n_samples,) or (n_samples, n_outputs)
        The training targets, for the residuals of eval passes; the ``y``
        given to ``fit``.
    options : dict, default=None
        Keyword arguments of :class:`GUMCriterion` other than those the net
        sets: ``outlier_granularity``, ``covariance_type``, ``uniform``,
        ``reg_covar``, ``threshold``, ``tol``, ``max_iter``,
        ``outlier_component``, ``sample_weight`` and ``verbose``.
    start_residuals : array-like of shape (n_samples, n_outputs), default=None
        Residuals of a starting regressor, for an E-step before the first
        epoch (and no warm-up).

    Attributes
    ----------
    criterion : GUMCriterion
        The EM of the latest training run, with its fitted attributes
        (``outlier_proba_``, ``inlier_mask_``, ``covariance_``, ...).

    See Also
    --------
    GUMCriterion : The loss and EM for any PyTorch training loop.
    sklearn_gum.GUMRegressor : The estimator that uses this callback.

    Notes
    -----
    The criterion's EM is part of its ``state_dict``, which skorch's
    :class:`~skorch.callbacks.Checkpoint` saves (``f_criterion``) and
    :class:`~skorch.callbacks.LoadInitState` restores: put this callback
    before both in ``callbacks``, so that an epoch's E-step is taken before
    the checkpoint and the restored state lands in the GUM criterion. A
    resumed ``fit`` trains ``max_epochs`` more epochs, as skorch does, and
    the EM goes on from the saved epoch.

    With a ``train_split``, the mixture is fitted on the training rows
    only; the validation rows get responsibilities too, which weight the
    validation loss. Each epoch after the first E-step, the net's history
    records ``gum_inlier_prior`` (a list with several groups),
    ``gum_covariance`` (``Sigma`` as nested lists), ``gum_log_likelihood``,
    ``gum_inlier_share`` and ``event_gum_estep`` (whether the weights were
    refreshed after that epoch).

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sklearn_gum.nn import GUMCallback, WeightedNeuralNetRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.uniform(-1, 1, size=(200, 1)).astype(np.float32)
    >>> y = 2 * X
    >>> y[:20] = 5.0
    >>> gum = GUMCallback(y)
    >>> net = WeightedNeuralNetRegressor(
    ...     torch.nn.Linear, module__in_features=1, module__out_features=1,
    ...     optimizer=torch.optim.Adam, lr=0.1, max_epochs=20, verbose=0,
    ...     callbacks=[("gum", gum)])
    >>> _ = net.fit(X, y)
    >>> int((~gum.criterion.inlier_mask_[:20]).sum()), bool(gum.criterion.has_outliers_)
    (20, True)
    """

    def __init__(self, targets, options=None, start_residuals=None):
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
        self._targets = _check_targets(self.targets, X)
        options = _check_options(self.options)
        start = self.start_residuals
        if start is not None:
            start = check_residuals(start, self._targets.shape, "start_residuals")
        warmup, every = resolve_schedule(net, start is not None)
        self.criterion = GUMCriterion(
            len(self._targets), warmup_epochs=warmup, estep_every=every,
            criterion=net.criterion_, loss_normalization=net.loss_normalization,
            min_evidence=net.min_evidence, **options,
        )
        self._start = start
        self._plain_criterion, net.criterion_ = net.criterion_, self.criterion
        self._X, self._started, self._epochs = X, False, 0
        self._hidden = {"gum_covariance"}
        granularity = options.get("outlier_granularity", "sample")
        if not isinstance(granularity, str) or granularity == "output":
            self._hidden.add("gum_inlier_prior")

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        """First epoch: the mixture's rows, and the E-step from a start."""
        if self._started:
            return
        self._started = True
        self.criterion.mixture_rows = train_mask(dataset_train, len(self._targets))
        _hide_from_print_log(net, self._hidden)
        # A criterion that LoadInitState restored has taken its start already.
        if self._start is not None and self.criterion.epoch_ == 0:
            self.criterion.start(self._start.to(dtype=self._dtype(net), device=net.device))

    def on_epoch_end(self, net, **kwargs):
        """Take the E-step when one is due; record rho and Sigma."""
        self._epochs += 1  # of this fit: a resumed run trains max_epochs more
        last = self._epochs >= net.max_epochs
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
        targets = torch.as_tensor(self._targets, dtype=self._dtype(net),
                                  device=net.device)
        prediction = prediction.reshape(len(prediction), -1)
        if prediction.shape != targets.shape:
            raise ValueError(
                f"The module's output width is {prediction.shape[1]} but the "
                f"targets have {targets.shape[1]} column(s); make the module "
                "output one value per target column."
            )
        return targets - prediction.to(targets.dtype)

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


_OPTIONS = ("outlier_granularity", "covariance_type", "uniform", "reg_covar",
            "threshold", "tol", "max_iter", "outlier_component", "outlier_model",
            "sample_weight", "verbose")
_NET_OPTIONS = ("warmup_epochs", "estep_every", "criterion", "loss_normalization",
                "min_evidence")


def _check_options(options):
    """The callback's ``options``: a dict of known GUMCriterion arguments."""
    if options is None:
        return {}
    if not isinstance(options, dict):
        raise TypeError(f"options must be a dict; got {type(options).__name__}.")
    for key in options:
        if key in _NET_OPTIONS:
            raise ValueError(
                f"options cannot set {key!r}: it is taken from the net (set "
                f"{key} on the WeightedNeuralNetRegressor)."
            )
        if key not in _OPTIONS:
            raise ValueError(
                f"options has an unknown key {key!r}; the GUMCriterion options "
                f"are {list(_OPTIONS)}."
            )
    return dict(options)


def _check_targets(targets, X):
    """The targets as a 2-D float array with one row per row of ``X``."""
    targets = np.asarray(targets)
    if targets.dtype.kind not in "biuf" or targets.ndim not in (1, 2):
        raise ValueError(
            "targets must be a 1-D or 2-D numeric array, the y given to fit; got "
            f"dtype {targets.dtype} and shape {targets.shape}."
        )
    targets = targets.astype(np.float64).reshape(len(targets), -1)
    if X is not None:
        n_rows = len(X) if is_dataset(X) else get_len(X)
        if n_rows != len(targets):
            raise ValueError(
                f"targets has {len(targets)} rows but the net is trained on "
                f"{n_rows}; pass the y given to fit."
            )
    if not np.all(np.isfinite(targets)):
        raise ValueError("targets contains NaN or infinite values.")
    return targets


def _hide_from_print_log(net, keys):
    """Keep list-valued history keys out of skorch's printed table."""
    for _, callback in net.callbacks_:
        if isinstance(callback, PrintLog):
            callback.keys_ignored_ = set(callback.keys_ignored_) | set(keys)
