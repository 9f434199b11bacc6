"""GUMCallback: the DeepGUM EM inside a skorch training run.

Private: import it from :mod:`sklearn_gum.nn`.
"""

from numbers import Integral

import numpy as np
import torch
from sklearn.exceptions import NotFittedError
from sklearn.utils._param_validation import (
    HasMethods,
    StrOptions,
    validate_parameter_constraints,
)
from skorch.callbacks import Callback, PrintLog
from skorch.dataset import get_len
from skorch.utils import is_dataset

from .. import _em, _start
from .._validation import NumberInterval
from .._weighted_fit import WeightedRefit
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


def resolve_warmup(callback, net, has_start):
    """The warm-up epochs of ``callback`` for ``net``, checked.

    With a starting regressor (``has_start``) the first E-step takes its
    residuals before the first epoch, so there is no warm-up.
    """
    if has_start:
        return 0
    warmup = _em.auto_warmup_epochs(callback.warmup_epochs, net.max_epochs)
    if warmup >= net.max_epochs:
        raise ValueError(
            f"warmup_epochs must be below max_epochs; got "
            f"{callback.warmup_epochs!r} with max_epochs={net.max_epochs}."
        )
    return warmup


class GUMCallback(Callback):
    """Trains a :class:`WeightedNeuralNetRegressor` with the DeepGUM EM.

    A thin skorch callback around :class:`GUMCriterion`. It holds settings
    only: the targets come from ``on_train_begin(net, X, y)``, the sample
    weights from the net's ``fit(X, y, sample_weight=...)``, so a net with
    this callback clones and runs inside ``cross_val_score`` or
    ``GridSearchCV`` (tune a setting as
    ``callbacks__<name>__warmup_epochs``). At the start of training the
    net's criterion is wrapped in a fresh :class:`GUMCriterion` (the net's
    elementwise criterion inside, this callback's settings); after each
    epoch the criterion's E-step is taken on its schedule; after the last
    epoch, a final E-step on an eval pass over all rows. The net's own
    criterion is then restored, and the fitted mixture stays in
    :attr:`criterion_`. :class:`~sklearn_gum.GUMRegressor` trains nets this
    way, with its own settings.

    Parameters
    ----------
    outlier_granularity : {"sample", "output"} or list of lists of int, \
            default="sample"
        As in :class:`~sklearn_gum.GUMRegressor`.
    covariance_type : {"full", "diag", "spherical"}, default="full"
        As in :class:`~sklearn_gum.GUMRegressor`.
    uniform : {"moments", "range"} or float, default="moments"
        As in :class:`~sklearn_gum.GUMRegressor`.
    reg_covar : float, default=1e-6
        As in :class:`~sklearn_gum.GUMRegressor`.
    threshold : float, default=0.5
        As in :class:`~sklearn_gum.GUMRegressor`.
    tol : float, default=1e-4
        Absolute change of the mean log-likelihood per row (nats) between
        two E-steps at which the E-steps stop.
    max_iter : int or "auto", default="auto"
        Most E-steps after the first; ``"auto"`` means 100.
    outlier_component : {"auto", "always"}, default="auto"
        As in :class:`~sklearn_gum.GUMRegressor`.
    outlier_model : {"auto", "uniform", "gaussian"}, default="auto"
        As in :class:`GUMCriterion`: ``"auto"`` is the uniform for a network.
    min_evidence : float or "auto", default="auto"
        Margin of the outlier decision per weighted entry (see
        :class:`GUMCriterion`); ``"auto"`` means 0.05.
    warmup_epochs : int or "auto", default="auto"
        Epochs trained with the sample weights alone before the first
        outlier decision, below ``max_epochs``; ``"auto"`` means
        ``max(1, max_epochs // 10)``. Ignored (0) with an ``init``
        regressor.
    estep_every : int, default=1
        Epochs between two E-steps (refreshes of the weights).
    estep_residuals : {"train", "eval"}, default="train"
        Where the residuals of an E-step during training come from:
        ``"train"``, the predictions the epoch's own forward passes made (at
        no extra cost); ``"eval"``, a forward pass over all rows in eval
        mode after the epoch. The final E-step always uses an eval pass.
    loss_normalization : {"first", "mse", "none"}, default="first"
        Constant factor of the loss once the EM runs (see
        :class:`GUMCriterion`).
    init : "auto", None or regressor, default="auto"
        A regressor (fitted or not; fitted on the training data with the
        sample weights when it is not) whose residuals give an E-step
        before the first epoch, without warm-up. ``"auto"`` and None: the
        net's own training run decides, after ``warmup_epochs``.
    verbose : int, default=0
        Print a line per E-step (2 and above).

    Attributes
    ----------
    criterion_ : GUMCriterion
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
    >>> gum = GUMCallback(warmup_epochs=2)
    >>> net = WeightedNeuralNetRegressor(
    ...     torch.nn.Linear, module__in_features=1, module__out_features=1,
    ...     optimizer=torch.optim.Adam, lr=0.1, max_epochs=20, verbose=0,
    ...     callbacks=[("gum", gum)])
    >>> _ = net.fit(X, y)
    >>> crit = gum.criterion_
    >>> int((~crit.inlier_mask_[:20]).sum()), bool(crit.has_outliers_)
    (20, True)
    """

    _parameter_constraints: dict = {
        **_em.PARAMETER_CONSTRAINTS,
        **_em.SCHEDULE_CONSTRAINTS,
        "max_iter": [NumberInterval(Integral, 1, None, closed="left"),
                     StrOptions({"auto"})],
        "init": [None, StrOptions({"auto"}), HasMethods(["predict"])],
    }

    def __init__(self, *, outlier_granularity="sample", covariance_type="full",
                 uniform="moments", reg_covar=1e-6, threshold=0.5, tol=1e-4,
                 max_iter="auto", outlier_component="auto", outlier_model="auto",
                 min_evidence="auto", warmup_epochs="auto", estep_every=1,
                 estep_residuals="train", loss_normalization="first", init="auto",
                 verbose=0):
        self.outlier_granularity = outlier_granularity
        self.covariance_type = covariance_type
        self.uniform = uniform
        self.reg_covar = reg_covar
        self.threshold = threshold
        self.tol = tol
        self.max_iter = max_iter
        self.outlier_component = outlier_component
        self.outlier_model = outlier_model
        self.min_evidence = min_evidence
        self.warmup_epochs = warmup_epochs
        self.estep_every = estep_every
        self.estep_residuals = estep_residuals
        self.loss_normalization = loss_normalization
        self.init = init
        self.verbose = verbose

    def on_train_begin(self, net, X=None, y=None, **kwargs):
        """Wrap the net's criterion in a fresh :class:`GUMCriterion`."""
        if not isinstance(net, WeightedNeuralNetRegressor):
            raise TypeError(
                "GUMCallback trains a sklearn_gum.nn.WeightedNeuralNetRegressor, "
                f"whose batches carry their rows; got {type(net).__name__}."
            )
        settings = self.get_params(deep=False)
        validate_parameter_constraints(self._parameter_constraints, settings,
                                       caller_name="GUMCallback")
        targets = _check_targets(y, X)
        sample_weight = _fit_sample_weight(net, len(targets))
        start = None
        if self.init is not None and not isinstance(self.init, str):
            start = init_residuals(self.init, X, targets, sample_weight)
        criterion_settings = {
            name: settings[name] for name in settings
            if name not in ("estep_residuals", "init")
        }
        criterion_settings["warmup_epochs"] = resolve_warmup(self, net, start is not None)
        self.criterion_ = GUMCriterion(
            len(targets), criterion=net.criterion_, sample_weight=sample_weight,
            **criterion_settings,
        )
        self.net_criterion_, net.criterion_ = net.criterion_, self.criterion_
        self.X_, self.targets_, self.start_ = X, targets, start
        self.epochs_, self.started_ = 0, False
        self.hidden_keys_ = {"gum_covariance"}
        granularity = self.outlier_granularity
        if not isinstance(granularity, str) or granularity == "output":
            self.hidden_keys_.add("gum_inlier_prior")

    def on_epoch_begin(self, net, dataset_train=None, **kwargs):
        """First epoch: the mixture's rows, and the E-step from a start."""
        if self.started_:
            return
        self.started_ = True
        self.criterion_.mixture_rows = train_mask(dataset_train, len(self.targets_))
        _hide_from_print_log(net, self.hidden_keys_)
        # A criterion that LoadInitState restored has taken its start already.
        if self.start_ is not None and self.criterion_.epoch_ == 0:
            start = torch.as_tensor(self.start_, dtype=self._dtype(net), device=net.device)
            self.criterion_.start(start)

    def on_epoch_end(self, net, **kwargs):
        """Take the E-step when one is due; record rho and Sigma."""
        self.epochs_ += 1  # of this fit: a resumed run trains max_epochs more
        last = self.epochs_ >= net.max_epochs
        residuals = None
        if self.estep_residuals == "eval" or not self.criterion_.recorded_all():
            residuals = lambda: self.residuals(net)  # noqa: E731 (only when due)
        refreshed = self.criterion_.end_epoch(residuals, last=last)
        self._record(net, refreshed)

    def on_train_end(self, net, X=None, y=None, **kwargs):
        """Final E-step on an eval pass; restore the net's criterion."""
        try:
            self.criterion_.finish(self.residuals(net))
        finally:
            net.criterion_ = self.net_criterion_
            self.X_ = self.targets_ = self.start_ = None  # no data kept

    def residuals(self, net):
        """``y - f(X)`` of all rows by an eval pass, on the net's device."""
        with torch.no_grad():
            prediction = net.forward(self.X_, training=False, device=net.device)
        if isinstance(prediction, tuple):
            prediction = prediction[0]
        targets = torch.as_tensor(self.targets_, dtype=self._dtype(net),
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
            state = self.criterion_._fitted
        except NotFittedError:  # no E-step yet
            return
        priors = [float(p.inlier_prior) for p in state.params]
        history = net.history
        history.record("gum_inlier_prior", priors[0] if len(priors) == 1 else priors)
        history.record("gum_covariance", state.covariance().tolist())
        history.record("gum_log_likelihood", state.log_likelihood)
        history.record("gum_inlier_share", state.history[-1][1])
        history.record("event_gum_estep", bool(refreshed))


def init_residuals(init, X, targets, sample_weight):
    """Residuals of the ``init`` regressor (fitted here when it is not)."""
    refit = WeightedRefit(init, X, targets, sample_weight, {}, targets.shape[1] == 1)
    start = _start.fitted_or_fit(init, refit)
    residuals = targets - refit.predict(start, source="the init estimator")
    return check_residuals(residuals, targets.shape, "the init regressor's residuals")


def _fit_sample_weight(net, n_rows):
    """The per-row sample weights given to the net's ``fit`` (ones without)."""
    weights = getattr(net, "sample_weight_", None)
    if weights is None:
        return np.ones(n_rows)
    if weights.shape[1] != 1:
        raise ValueError(
            "GUMCallback takes one weight per sample; the net was given weights "
            f"of shape {weights.shape} (one per element)."
        )
    return weights[:, 0]


def _check_targets(targets, X):
    """The targets as a 2-D float array with one row per row of ``X``."""
    if targets is None:
        raise ValueError(
            "GUMCallback needs the targets: call the net's fit(X, y) with y (a "
            "Dataset X without y gives the callback no targets)."
        )
    targets = np.asarray(targets)
    if targets.dtype.kind not in "biuf" or targets.ndim not in (1, 2):
        raise ValueError(
            "y must be a 1-D or 2-D numeric array; got "
            f"dtype {targets.dtype} and shape {targets.shape}."
        )
    targets = targets.astype(np.float64).reshape(len(targets), -1)
    if X is not None:
        n_rows = len(X) if is_dataset(X) else get_len(X)
        if n_rows != len(targets):
            raise ValueError(
                f"y has {len(targets)} rows but the net is trained on "
                f"{n_rows} rows of X."
            )
    if not np.all(np.isfinite(targets)):
        raise ValueError("y contains NaN or infinite values.")
    return targets


def _hide_from_print_log(net, keys):
    """Keep list-valued history keys out of skorch's printed table."""
    for _, callback in net.callbacks_:
        if isinstance(callback, PrintLog):
            callback.keys_ignored_ = set(callback.keys_ignored_) | set(keys)
