"""GUMCriterion: the DeepGUM loss and its EM for any PyTorch training loop.

Private: import it from :mod:`sklearn_gum.nn`.
"""

from numbers import Integral

import numpy as np
import torch
from sklearn.utils._param_validation import Interval, StrOptions

from .. import _em
from .._validation import check_groups
from ._checks import (
    check_batch_targets,
    check_criterion,
    check_finite_residuals,
    check_idx,
    check_predictions,
    check_residuals,
    check_sample_weight,
    validate_criterion_params,
)
from ._criterion_em import EMStepsMixin
from ._criterion_results import FittedMixtureMixin
from ._criterion_state import BatchCounter, CheckpointMixin
from ._distributed import combine_latest, epoch_flags, process_group_size
from ._losses import mahalanobis_loss

LOSS_NORMALIZATIONS = ("first", "mse", "none")


class GUMCriterion(CheckpointMixin, EMStepsMixin, FittedMixtureMixin,
                   torch.nn.Module):
    """DeepGUM loss and EM for any PyTorch training loop.

    The loss of a batch is the Mahalanobis M-step of the GUM: each element's
    loss of whitened outputs, weighted by the row's sample weight and the
    inlier responsibility of its group. Each call records the batch's
    residuals ``y_true - y_pred``; :meth:`end_epoch` then takes the E-step on
    them and updates the mixture, on the schedule of every network GUM fit
    (see :mod:`sklearn_gum.nn`):

    1. ``warmup_epochs`` epochs of the plain loss (sample weights alone);
    2. after them, and after every ``estep_every`` epochs, the outlier
       decision of :class:`~sklearn_gum.GUMRegressor` (NEC) on the recorded
       residuals, per group, with a margin of ``min_evidence`` per entry.
       While no group keeps its uniform the loss stays the plain one: on
       clean data the model trains exactly as with ``criterion`` alone;
    3. from the first kept group on, the EM: an E-step on the device of the
       residuals, the mixture's M-step, new loss weights and whitening,
       every ``estep_every`` epochs until the EM converges or ``max_iter``
       E-steps ran. Every group is decided again at each E-step: one whose
       outliers are not visible yet stays a Gaussian until they are, and a
       kept uniform is given up when the evidence turns to the Gaussian.

    The mixture is that of :mod:`sklearn_gum`'s EM core; the residual,
    weight and whitening buffers live on the model's device (allocated at
    the first batch), the mixture's parameters on the host.

    Parameters
    ----------
    n_samples : int
        Number of rows of the training set; every batch passes its row
        indices ``idx`` in ``[0, n_samples)``.
    outlier_granularity : {"sample", "output"} or list of lists of int, \
            default="sample"
        Groups of target columns that share one responsibility, as in
        :class:`~sklearn_gum.GUMRegressor` (e.g. ``[[0, 1], [2, 3]]`` for
        two 2-D landmarks).
    covariance_type : {"full", "diag", "spherical"}, default="full"
        Form of each group's ``Sigma``.
    uniform : {"moments", "range"} or float, default="moments"
        Rule of the uniform component's volume, or a fixed volume.
    reg_covar : float, default=1e-6
        Non-negative regularisation added to the diagonal of ``Sigma``.
    threshold : float, default=0.5
        Outlier probability above which ``inlier_mask_`` is False.
    tol : float, default=1e-4
        The E-steps stop once the mean log-likelihood per row changes by at
        most ``tol`` nats between two E-steps (an absolute change).
    max_iter : int or "auto", default="auto"
        Most E-steps after the first; ``"auto"`` means 100.
    outlier_component : {"auto", "always"}, default="auto"
        ``"auto"``: a group keeps its uniform only once its residuals
        support it (NEC); ``"always"``: every group keeps it at the first
        E-step.
    outlier_model : {"auto", "uniform", "gaussian"}, default="auto"
        The outliers' distribution, as in
        :class:`~sklearn_gum.GUMRegressor`: a uniform over a box, or a
        zero-mean Gaussian ``N(0, k Sigma)`` (Gaussian-shaped label noise,
        whose residuals are then weighted by ``r + (1 - r) / k``). For a
        network ``"auto"`` is the uniform: the residuals of a net that has
        not learnt every example yet have heavy tails of their own, which
        the Gaussian model's test would take for label noise.
    min_evidence : float or "auto", default="auto"
        Margin of the decision: a group keeps its uniform once the NEC
        evidence of its residuals (``outlier_evidence_``, deviance scale)
        exceeds ``min_evidence`` per weighted entry (per weighted row and
        per column of the group). ``"auto"`` means 0.05 (0.1 per row of a
        landmark's two coordinates), the rule of networks (0 is that of
        scikit-learn estimators); see Notes.
    warmup_epochs : int or "auto", default="auto"
        Epochs of the plain loss before the first E-step (the residuals of
        a model that has not learnt the inliers yet follow the targets'
        distribution, which can look like a uniform); ``"auto"`` means 5
        (the criterion does not know the number of epochs; a
        :class:`GUMCallback` takes a tenth of ``max_epochs``), 0 with
        :meth:`start`, which takes the first E-step from the residuals of
        an ``init`` regressor.
    estep_every : int, default=1
        Epochs between two E-steps.
    criterion : torch module, default=None
        Elementwise criterion, constructed with ``reduction="none"``
        (e.g. ``torch.nn.SmoothL1Loss(reduction="none")``); None means
        ``torch.nn.MSELoss(reduction="none")``.
    loss_normalization : {"first", "mse", "none"}, default="first"
        Constant factor of the loss after the first E-step; it never moves
        the minimiser, but it sets the size of the optimiser's steps (see
        Notes). ``"first"``: ``tr(Sigma) / d^2`` of the first E-step, then
        held; ``"mse"``: ``tr(Sigma) / d^2`` of the latest E-step; ``"none"``:
        1, the raw Mahalanobis loss of the DeepGUM paper.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each row, in the loss and in the mixture.
    max_staleness : int, default=None
        Rows keep the residual of their latest batch until they come again;
        an E-step refuses (``ValueError``) residuals recorded more than
        ``max_staleness`` epochs before it. None: any age (partial epochs,
        subsampling samplers); 0: every row in every epoch.
    process_group : torch.distributed.ProcessGroup, default=None
        The processes whose residuals ``end_epoch`` combines when
        :mod:`torch.distributed` is initialised; None: the default group.
    verbose : int, default=0
        Print a line per E-step (2 and above).

    Attributes
    ----------
    outlier_proba_ : ndarray of shape (n_samples,) or (n_samples, n_groups)
        ``1 - r_n`` of the latest E-step (one column per group when there
        are several).
    inlier_mask_ : ndarray of bool, same shape
        ``outlier_proba_ < threshold``.
    inlier_prior_ : float or ndarray of shape (n_groups,)
        ``rho``.
    covariance_ : ndarray of shape (n_outputs, n_outputs)
        ``Sigma``, block-diagonal over the groups.
    uniform_volume_ : float or ndarray of shape (n_groups,)
    has_outliers_ : ndarray of bool of shape (n_groups,)
        Whether each group has kept its uniform component.
    outlier_evidence_ : float or ndarray of shape (n_groups,)
        Evidence of the latest decision of each group: a group keeps its
        uniform above the margin (``min_evidence`` per entry) and, once
        kept, gives it up at or below zero.
    log_likelihood_ : float
        Mean log-likelihood per row of the latest E-step.
    n_iter_ : int
        E-steps after the first; while no group keeps its uniform, the
        decisions after the first (each an E-step of a pure Gaussian).
    converged_ : bool
        Whether the EM converged (True while no group keeps its uniform:
        the model is the plain loss's).
    history_ : dict of ndarray
        ``"log_likelihood"`` and ``"inlier_share"`` per E-step:
        ``n_iter_ + 1`` entries.
    groups_ : list of ndarray
        Target columns of each group (from the first batch on).
    epoch_ : int
        Epochs ended so far.
    residual_epoch_ : ndarray of int of shape (n_samples,)
        The epoch (from 1) in which each row's residual was recorded; 0 for
        rows never in a batch.
    mixture_rows : ndarray of bool of shape (n_samples,)
        Rows the mixture is fitted to (all by default). Set it to the
        training rows when validation rows pass through the criterion too:
        they are then scored by the E-step but never fitted.

    See Also
    --------
    sklearn_gum.GUMRegressor : The estimator; it trains skorch nets with this
        criterion through :class:`GUMCallback`.

    Notes
    -----
    For a batch ``B``, with weights ``w_n r_ng`` and the block-diagonal
    whitening ``W = diag(L_g^{-1})``, ``Sigma_g = L_g L_g^T``, the loss is

    .. math::

        c \\cdot \\frac{1}{|B|} \\sum_{n \\in B} \\sum_g w_n r_{ng}\\,
        e_{ng}^T \\Sigma_g^{-1} e_{ng}

    for the squared error (any elementwise criterion applies to the
    whitened outputs ``W y``). Before the first kept group ``W = I``,
    ``r = 1`` and ``c = 1 / d`` (``d`` outputs): the criterion's mean.

    Whitened residuals keep their size (about 1 per inlier element) while
    the fit improves, so with ``"first"`` and ``"none"`` the gradients keep
    their scale as ``Sigma`` shrinks and Adam's steps keep theirs; ``"mse"``
    rescales the loss to the mean squared error of the moment, whose
    gradients shrink with the residuals. ``"first"`` starts the EM at the
    scale of the plain loss (a learning rate tuned for it carries over at
    the switch). With plain SGD, the curvature of the ``"first"`` and
    ``"none"`` losses grows as ``Sigma`` shrinks: use ``"mse"`` there.

    The residuals of a trained network are heavy-tailed even on clean
    data: hard examples, learnt last, sit in the tails. On clean landmark
    data the NEC evidence of a 5-landmark CNN's residuals drifted up to
    +0.05 per sample as training went on, and a plain NEC rule (evidence
    > 0) kept uniforms that flagged those hard examples; label outliers,
    even 1% of uniform ones or 5% of Gaussian displacements, gave +0.15 to
    +3 per sample as soon as the net had learnt the inliers. A margin per
    entry (sample and column of the group), not in total, keeps that
    distinction for any number of rows and of columns per group.

    Under :mod:`torch.distributed` (DDP), every process records the rows of
    its shard, and ``end_epoch`` gives each process, per row, the residual
    of the latest batch over all processes (two all-reduces per E-step,
    nothing per batch; a row padded in by ``DistributedSampler`` counts
    once): every process then takes the E-step of one process that saw all
    rows. The EM (buffers, schedule, decision, mixture, responsibilities)
    is part of ``state_dict()`` through ``get_extra_state``, so checkpoints
    resume it exactly. The criterion holds ``12 d + 29 + 16 G`` bytes per
    row (``d`` outputs, ``G`` groups; see the Lightning page of the
    documentation).

    Inputs are checked batch by batch without synchronising an
    accelerator: targets on the GPU, and the residuals of every row, are
    checked for NaN and infinite values once per epoch, in
    :meth:`end_epoch`, which names the epoch at which training diverged.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sklearn_gum.nn import GUMCriterion
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.rand(200, 1, generator=g) * 2 - 1
    >>> y = 2 * X + 0.1 * torch.randn(200, 1, generator=g)
    >>> y[:20] = torch.rand(20, 1, generator=g) * 10 - 5
    >>> _ = torch.manual_seed(0)
    >>> model = torch.nn.Linear(1, 1)
    >>> optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    >>> crit = GUMCriterion(n_samples=200)
    >>> for epoch in range(40):
    ...     for idx in torch.arange(200).split(50):
    ...         loss = crit(model(X[idx]), y[idx], idx)
    ...         optimizer.zero_grad(); loss.backward(); optimizer.step()
    ...     _ = crit.end_epoch()
    >>> int((~crit.inlier_mask_[:20]).sum()), int((~crit.inlier_mask_[20:]).sum())
    (17, 0)

    (Three of the 20 replaced targets fell within 3 noise sd of the line:
    they are inliers.)
    """

    _parameter_constraints: dict = {
        "n_samples": [Interval(Integral, 1, None, closed="left")],
        **{
            name: _em.PARAMETER_CONSTRAINTS[name]
            for name in ("outlier_granularity", "covariance_type", "uniform",
                         "reg_covar", "threshold", "tol",
                         "outlier_component", "outlier_model", "verbose")
        },
        "max_iter": [Interval(Integral, 1, None, closed="left"), StrOptions({"auto"})],
        **{name: _em.SCHEDULE_CONSTRAINTS[name]
           for name in ("min_evidence", "warmup_epochs", "estep_every",
                        "loss_normalization")},
        "criterion": [callable, None],
        "sample_weight": ["array-like", None],
        "max_staleness": [Interval(Integral, 0, None, closed="left"), None],
        "process_group": "no_validation",
    }

    def __init__(self, n_samples, *, outlier_granularity="sample",
                 covariance_type="full", uniform="moments", reg_covar=1e-6,
                 threshold=0.5, tol=1e-4, max_iter="auto", outlier_component="auto",
                 outlier_model="auto", min_evidence="auto", warmup_epochs="auto",
                 estep_every=1, criterion=None,
                 loss_normalization="first", sample_weight=None, max_staleness=None,
                 process_group=None, verbose=0):
        super().__init__()
        params = dict(locals())
        del params["self"], params["__class__"]
        validate_criterion_params(self._parameter_constraints, params)
        self.n_samples = int(n_samples)
        self.outlier_granularity = outlier_granularity
        self.covariance_type = covariance_type
        self.uniform = uniform
        self.reg_covar = reg_covar
        self.threshold = threshold
        self.tol = tol
        self.max_iter = _em.NETWORK_MAX_ITER if max_iter == "auto" else int(max_iter)
        self.outlier_component = outlier_component
        self.outlier_model = outlier_model
        self.min_evidence = _em.auto_min_evidence(min_evidence, network=True)
        self.warmup_epochs = _em.auto_warmup_epochs(warmup_epochs)
        self.estep_every = int(estep_every)
        self.criterion = check_criterion(criterion)
        self.loss_normalization = loss_normalization
        self.sample_weight = check_sample_weight(sample_weight, self.n_samples)
        if isinstance(max_staleness, (bool, np.bool_)):
            raise TypeError(f"max_staleness must be an int or None; got {max_staleness!r}.")
        self.max_staleness = None if max_staleness is None else int(max_staleness)
        self.process_group = process_group
        self.verbose = verbose
        # "auto": the uniform for a network (see _em.resolve_outlier_model)
        self._base_options = self._options = _em.resolve_outlier_model(
            _em.EMOptions.of(self, network=True), exact=False)
        self._mixture_rows = np.ones(self.n_samples, dtype=bool)
        self.epoch_ = 0
        self._counter = BatchCounter()
        self._epoch_ends = []  # batches counted at the end of each epoch
        self.groups_ = None
        self._decision = self._state = self._gaussian = None
        self._residuals = self._stamps = self._targets_finite = None
        self._loss_weights = self._whitening = self._scale = None

    def extra_repr(self):
        return (f"n_samples={self.n_samples}, outlier_granularity="
                f"{self.outlier_granularity!r}, warmup_epochs={self.warmup_epochs}, "
                f"estep_every={self.estep_every}, epoch_={self.epoch_}")

    @property
    def mixture_rows(self):
        return self._mixture_rows

    @mixture_rows.setter
    def mixture_rows(self, rows):
        rows = np.asarray(rows)
        if rows.dtype != bool or rows.shape != (self.n_samples,):
            raise ValueError(
                f"mixture_rows must be a boolean mask of shape ({self.n_samples},); "
                f"got dtype {rows.dtype} and shape {rows.shape}."
            )
        if not (self.sample_weight * rows).sum() > 0:
            raise ValueError("mixture_rows leaves no row of positive weight to fit.")
        self._mixture_rows = rows

    # -- the loss ------------------------------------------------------------

    def forward(self, y_pred, y_true, idx):
        """Weighted, whitened loss of a batch; records its residuals.

        Parameters
        ----------
        y_pred : torch.Tensor of shape (batch_size, n_outputs)
            The model's output (with its graph); ``(batch_size,)`` for one
            output.
        y_true : torch.Tensor or array-like of shape (batch_size, n_outputs)
            Targets; moved to ``y_pred``'s device.
        idx : torch.Tensor or array-like of int of shape (batch_size,)
            Row indices of the batch in ``[0, n_samples)``; a row may repeat
            (each occurrence counts).

        Returns
        -------
        loss : torch.Tensor of shape ()
        """
        y_pred = check_predictions(y_pred)
        on_host = not isinstance(y_true, torch.Tensor) or y_true.device.type == "cpu"
        y_true = check_batch_targets(y_true, y_pred)
        if self._residuals is None:
            self._allocate(y_pred.device, y_true.shape[1])
        elif self._residuals.device != y_pred.device:  # e.g. after load_state_dict
            self._move_buffers(y_pred.device)
        self._check_widths(y_pred, y_true)
        idx = check_idx(idx, len(y_pred), self.n_samples).to(y_pred.device)
        if not on_host:  # checked once per epoch, without a synchronisation
            self._targets_finite &= torch.isfinite(y_true).all()
        # A few tensor operations per batch, all on the device: the residuals
        # (recorded, and the loss's for the squared error), the row stamps,
        # the rows' loss weights (sample weight, responsibility and the loss
        # factor in one buffer), the whitening, one weighted mean.
        residuals = y_true.to(y_pred.dtype) - y_pred
        self._residuals[idx] = residuals.detach().to(self._residuals.dtype)
        self._stamps.index_fill_(0, idx, self._counter.batches)
        self._counter.batches += 1
        weights = self._loss_weights.index_select(0, idx)
        if type(self.criterion) is not torch.nn.MSELoss:
            return mahalanobis_loss(self.criterion, y_pred, y_true, weights,
                                    self._whitening, 1.0 / y_pred.shape[1])
        if self._whitening is not None:
            residuals = residuals @ self._whitening.T.to(residuals.dtype)
        return (weights * residuals.square()).mean()

    def _allocate(self, device, n_outputs):
        """Buffers on the model's device, at the first batch (or start)."""
        self.groups_ = check_groups(self.outlier_granularity, n_outputs)
        dtype = torch.float32 if device.type == "mps" else torch.float64
        self._residuals = torch.zeros((self.n_samples, n_outputs), dtype=dtype,
                                      device=device)
        # The batch (counted from 0) that recorded each row's residual, -1 for
        # none: the latest residual wins across processes, and its epoch
        # gives its staleness.
        self._stamps = torch.full((self.n_samples,), -1, dtype=torch.int64,
                                  device=device)
        self._device_weights(device)

    def _device_weights(self, device):
        """The sample weights (and, from the first E-step, the loss weights and
        whitening) on ``device``."""
        self._targets_finite = torch.ones((), dtype=torch.bool, device=device)
        self._sample_weight = torch.as_tensor(self.sample_weight, dtype=torch.float32,
                                              device=device)
        n_outputs = self._residuals.shape[1]
        self._loss_weights = self._sample_weight[:, None].expand(-1, n_outputs)
        self._whitening = None
        if self._state is not None:
            self._set_loss(self._state.refit_weights())

    def _move_buffers(self, device):
        self._residuals = self._residuals.to(device)
        self._stamps = self._stamps.to(device)
        self._device_weights(device)

    def _check_widths(self, y_pred, y_true):
        n_outputs = self._residuals.shape[1]
        if y_pred.shape[1] != y_true.shape[1]:
            raise ValueError(
                f"The module's output width is {y_pred.shape[1]} but the targets "
                f"have {y_true.shape[1]} column(s); make the module output one "
                "value per target column."
            )
        if y_true.shape[1] != n_outputs:
            raise ValueError(
                f"The batch has {y_true.shape[1]} target column(s) but GUMCriterion "
                f"was set up for {n_outputs} by its first batch."
            )

    # -- the EM schedule -----------------------------------------------------

    def start(self, residuals):
        """First E-step from a starting regressor's residuals, before any epoch.

        Its decision needs no confirmation: during training a uniform whose
        Gaussian holds a minority of the rows is kept only where the
        previous E-step supported it too (a net's own residuals early in
        training can look like outliers), but the starting regressor's
        residuals are the user's robust start.

        Parameters
        ----------
        residuals : torch.Tensor or array-like of shape (n_samples, n_outputs)
            On the model's device when it is an accelerator.

        Returns
        -------
        self : GUMCriterion
        """
        if callable(residuals) or residuals is None:
            raise TypeError("start needs the residuals array of every training row.")
        tensor = residuals if isinstance(residuals, torch.Tensor) else torch.as_tensor(
            np.asarray(residuals, dtype=np.float64)
        )
        n_outputs = tensor.shape[1] if tensor.ndim == 2 else 1
        if self._residuals is None:
            self._allocate(tensor.device, n_outputs)
        self._e_step(self._checked(tensor, "in the residuals passed to start"),
                     confirm=False)
        return self

    def end_epoch(self, residuals=None, last=False):
        """End an epoch; take an E-step and update the loss when one is due.

        Parameters
        ----------
        residuals : torch.Tensor of shape (n_samples, n_outputs) or callable, \
                default=None
            The residuals of every row, or a function without arguments that
            returns them (called only when an E-step is due); None means
            those the epoch's batches recorded (every row must have been in
            a batch).
        last : bool, default=False
            Count the epoch without an E-step, as the last epoch before
            :meth:`finish`.

        Returns
        -------
        estep : bool
            Whether an E-step was taken.
        """
        self.epoch_ += 1
        self._epoch_ends.append(self._counter.batches)
        when = f"after epoch {self.epoch_}"
        self._check_epoch(when)
        if last or not self._due():
            return False
        self._e_step(self._epoch_residuals(residuals, when))
        return True

    def _check_epoch(self, when):
        """Finite targets and residuals in the epoch just ended, on every
        process (one small all-reduce under torch.distributed), so that
        every process raises the same error."""
        if self._residuals is None:
            return
        targets_ok, residuals_ok = epoch_flags(
            [self._targets_finite, torch.isfinite(self._residuals).all()],
            self.process_group,
        )
        if not targets_ok:
            raise ValueError(
                f"y_true contained NaN or infinite values in epoch {self.epoch_}; "
                "GUMCriterion needs finite targets."
            )
        if not residuals_ok:
            check_finite_residuals(self._residuals, when)
            raise ValueError(
                f"The network's residuals contain NaN or infinite values {when} on "
                "another process: training diverged. Lower the learning rate (or "
                "clip the gradients)."
            )

    def _due(self):
        """Whether an E-step (or, before the uniform is kept, a decision)
        follows the epoch just ended."""
        since_warmup = self.epoch_ - self.warmup_epochs
        if since_warmup < 0 or since_warmup % self.estep_every:
            return False
        if self._state is None:
            return True
        return not (self._state.converged or self._state.n_iter >= self.max_iter - 1)

    def recorded_all(self):
        """Whether the batches have recorded a residual for every row (on
        this process)."""
        return self._stamps is not None and bool((self._stamps >= 0).all())

    def _epoch_residuals(self, residuals, when):
        if callable(residuals):
            residuals = residuals()
        if residuals is not None:
            return self._checked(residuals, when)
        if self._residuals is not None and process_group_size(self.process_group) > 1:
            combine_latest(self._residuals, self._stamps, self.process_group)
        if not self.recorded_all():
            missing = (self.n_samples if self._stamps is None
                       else int((self._stamps < 0).sum()))
            raise ValueError(
                f"end_epoch needs the residuals of every training row, but {missing} "
                f"of the n_samples={self.n_samples} rows were never in a batch: pass "
                "each row index to the criterion at least once, or pass residuals."
            )
        self._check_staleness()
        check_finite_residuals(self._residuals, when)
        return self._residuals

    def _checked(self, residuals, when):
        """User-given residuals on the buffers' device and dtype, checked."""
        if self._residuals is None:
            raise ValueError(
                f"end_epoch got residuals {when} before any batch: the criterion "
                "does not know the model's outputs yet. Pass the batches through "
                "the criterion first, or call start(residuals) for an E-step from "
                "given residuals."
            )
        residuals = check_residuals(residuals, tuple(self._residuals.shape))
        residuals = residuals.to(device=self._residuals.device,
                                 dtype=self._residuals.dtype)
        check_finite_residuals(residuals, when)
        return residuals

    def finish(self, residuals=None):
        """Final E-step, e.g. on the residuals of the trained model in eval mode.

        It counts as an E-step, without the mixture's M-step. Groups that
        have not kept their uniform are decided once more.

        Parameters
        ----------
        residuals : torch.Tensor or array-like of shape (n_samples, n_outputs), \
                default=None
            None means the residuals recorded by the latest batches.

        Returns
        -------
        self : GUMCriterion
        """
        if self._residuals is None:
            raise ValueError(
                "finish needs at least one batch (or start) before it: the "
                "criterion has seen no residuals yet."
            )
        self._e_step(self._epoch_residuals(residuals, "in the final pass"),
                     update=False)
        return self

