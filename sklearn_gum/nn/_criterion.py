"""GUMCriterion: the DeepGUM loss and its EM for any PyTorch training loop.

Private: import it from :mod:`sklearn_gum.nn`.
"""

import math

import numpy as np
import torch

from .. import _em
from .._validation import check_groups
from ._losses import mahalanobis_loss

_LOG_2PI = math.log(2 * math.pi)
LOSS_NORMALIZATIONS = ("mse", "none")


def torch_e_step(residuals, params):
    """Inlier responsibilities and log-likelihoods of one group, in torch.

    The twin of :func:`sklearn_gum._mixture.e_step`, run wherever
    ``residuals`` live (the network's device).

    Parameters
    ----------
    residuals : torch.Tensor of shape (n_samples, n_columns)
    params : GroupParams
        ``rho``, ``Sigma`` and the log-volume of the group.

    Returns
    -------
    resp : torch.Tensor of shape (n_samples,)
        ``r_n = rho N(e_n) / (rho N(e_n) + (1 - rho) / volume)``.
    log_lik : torch.Tensor of shape (n_samples,)
        ``log(rho N(e_n; 0, Sigma) + (1 - rho) / volume)``.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sklearn_gum import _mixture
    >>> from sklearn_gum.nn import torch_e_step
    >>> params = _mixture.GroupParams(0.9, np.eye(2), np.log(100.0))
    >>> residuals = np.array([[0.1, -0.2], [6.0, 5.0]])
    >>> resp, _ = torch_e_step(torch.as_tensor(residuals), params)
    >>> resp.numpy().round(4)
    array([0.9929, 0.    ])
    >>> bool(np.allclose(resp.numpy(), _mixture.e_step(residuals, params)[0]))
    True
    """
    covariance = torch.as_tensor(
        params.covariance, dtype=residuals.dtype, device=residuals.device
    )
    cholesky, info = torch.linalg.cholesky_ex(covariance)
    if info.item() != 0:
        raise ValueError(
            "The residual covariance is not positive definite: the residuals "
            "are degenerate. Increase reg_covar."
        )
    whitened = torch.linalg.solve_triangular(cholesky, residuals.T, upper=False)
    log_peak = -0.5 * len(covariance) * _LOG_2PI - torch.log(cholesky.diagonal()).sum()
    mahalanobis = whitened.square().sum(0)
    log_inlier = math.log(params.inlier_prior) + log_peak - 0.5 * mahalanobis
    if params.inlier_prior >= 1:
        return torch.ones_like(log_inlier), log_inlier
    log_outlier = math.log1p(-params.inlier_prior) - params.log_volume
    log_lik = torch.logaddexp(log_inlier, torch.full_like(log_inlier, log_outlier))
    return torch.exp(log_inlier - log_lik), log_lik


def _score_on_device(residuals, groups, params):
    """The core's E-step of every group, taken by :func:`torch_e_step` where
    the residuals live; numpy copies for the mixture's M-step."""
    results = [
        torch_e_step(residuals[:, torch.as_tensor(columns, device=residuals.device)],
                     group_params)
        for columns, group_params in zip(groups, params)
    ]
    resp = torch.stack([resp for resp, _ in results], dim=1)
    log_lik = torch.stack([log_lik for _, log_lik in results], dim=1)
    return resp.cpu().numpy(), log_lik.cpu().numpy()


def _to_host(residuals):
    return residuals.detach().cpu().numpy().astype(np.float64)


class GUMCriterion(torch.nn.Module):
    """DeepGUM loss for any PyTorch training loop.

    The loss of a batch is the Mahalanobis M-step of the GUM: each row's
    elementwise loss of whitened outputs, weighted by its sample weight and
    its inlier responsibility. Each call records the batch's residuals;
    :meth:`end_epoch` then takes the E-step on them and updates the mixture,
    on the schedule of :class:`~sklearn_gum.GUMRegressor` for networks:
    ``warmup_epochs`` epochs of the plain (weighted) loss; after them, the
    outlier decision and the first E-step; then an E-step every
    ``estep_every`` epochs until the EM converges or ``max_iter`` E-steps
    ran. The mixture state lives in :mod:`sklearn_gum`'s one EM core, its
    buffers on the model's device.

    Parameters
    ----------
    n_samples : int
        Number of training rows; batches pass the row indices ``idx``.
    outlier_granularity : {"sample", "output"} or list of lists of int, \
            default="sample"
        As in :class:`~sklearn_gum.GUMRegressor`.
    covariance_type : {"full", "diag", "spherical"}, default="full"
    uniform : {"moments", "range"} or float, default="moments"
    reg_covar : float, default=1e-6
    threshold : float, default=0.5
    tol : float, default=1e-4
    max_iter : int, default=100
        Most E-steps after the first.
    outlier_component : {"auto", "always"}, default="auto"
        ``"auto"``: at the first E-step, a group keeps its uniform only when
        the residuals support it (NEC, as in
        :class:`~sklearn_gum.GUMRegressor`); otherwise its loss stays the
        plain one.
    warmup_epochs : int, default=5
        Epochs of the plain loss before the first E-step; 0 when
        :meth:`start` takes it from a starting regressor's residuals.
    estep_every : int, default=1
        Epochs between two E-steps.
    criterion : torch module, default=None
        Elementwise criterion (``reduction="none"``); ``None`` means
        ``torch.nn.MSELoss(reduction="none")``.
    loss_normalization : {"mse", "none"}, default="mse"
        ``"mse"`` multiplies the loss by ``tr(Sigma) / d^2`` (``1 / d``
        before the first E-step), so that it equals the mean squared error
        when all weights are 1 and ``Sigma`` is isotropic; ``"none"`` leaves
        the raw Mahalanobis loss.
    sample_weight : array-like of shape (n_samples,), default=None
        Non-negative weight of each row, in the loss and in the mixture.
    verbose : int, default=0
        Print a line per E-step (2).

    Attributes
    ----------
    outlier_proba_ : ndarray of shape (n_samples,) or (n_samples, n_groups)
        ``1 - r_n`` of the latest E-step.
    inlier_mask_ : ndarray of bool, same shape
    inlier_prior_ : float or ndarray of shape (n_groups,)
    covariance_ : ndarray of shape (n_outputs, n_outputs)
    uniform_volume_ : float or ndarray of shape (n_groups,)
    has_outliers_ : bool or ndarray of shape (n_groups,)
    outlier_evidence_ : float or ndarray of shape (n_groups,)
    n_iter_ : int
        E-steps after the first.
    converged_ : bool
    history_ : dict of ndarray
        ``"log_likelihood"`` and ``"inlier_share"`` per E-step.
    epoch_ : int
        Epochs ended so far.

    See Also
    --------
    sklearn_gum.GUMRegressor : The estimator, which trains skorch nets with it.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from sklearn_gum.nn import GUMCriterion
    >>> g = torch.Generator().manual_seed(0)
    >>> X = torch.rand(200, 1, generator=g) * 2 - 1
    >>> y = 2 * X
    >>> y[:20] = torch.rand(20, 1, generator=g) * 10 - 5
    >>> model = torch.nn.Linear(1, 1)
    >>> optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
    >>> crit = GUMCriterion(n_samples=200, warmup_epochs=3)
    >>> for epoch in range(40):
    ...     for idx in torch.arange(200).split(50):
    ...         loss = crit(model(X[idx]), y[idx], idx)
    ...         optimizer.zero_grad(); loss.backward(); optimizer.step()
    ...     _ = crit.end_epoch()
    >>> int((~crit.inlier_mask_[:20]).sum()), int((~crit.inlier_mask_[20:]).sum())
    (20, 0)
    """

    def __init__(self, n_samples, *, outlier_granularity="sample",
                 covariance_type="full", uniform="moments", reg_covar=1e-6,
                 threshold=0.5, tol=1e-4, max_iter=100, outlier_component="auto",
                 warmup_epochs=5, estep_every=1, criterion=None,
                 loss_normalization="mse", sample_weight=None, verbose=0):
        super().__init__()
        self.n_samples = _check_count(n_samples, "n_samples", minimum=1)
        self.outlier_granularity = outlier_granularity
        self.covariance_type = covariance_type
        self.uniform = uniform
        self.reg_covar = reg_covar
        self.threshold = threshold
        self.tol = tol
        self.max_iter = _check_count(max_iter, "max_iter", minimum=1)
        self.outlier_component = outlier_component
        self.warmup_epochs = _check_count(warmup_epochs, "warmup_epochs", minimum=0)
        self.estep_every = _check_count(estep_every, "estep_every", minimum=1)
        self.criterion = torch.nn.MSELoss(reduction="none") if criterion is None else criterion
        if loss_normalization not in LOSS_NORMALIZATIONS:
            raise ValueError(
                f"loss_normalization must be one of {LOSS_NORMALIZATIONS}; "
                f"got {loss_normalization!r}."
            )
        self.loss_normalization = loss_normalization
        self.sample_weight = _check_weights(sample_weight, self.n_samples)
        self.verbose = verbose
        self._options = _em.EMOptions.of(self)
        self.mixture_rows = np.ones(self.n_samples, dtype=bool)
        self.epoch_ = 0
        self.groups_ = None
        self._decision = self._state = None
        self._residuals = self._seen = None
        self._loss_weights = self._whitening = None
        self._scale = None

    # -- the loss ------------------------------------------------------------

    def forward(self, y_pred, y_true, idx):
        """Weighted, whitened loss of a batch; records its residuals.

        Parameters
        ----------
        y_pred : torch.Tensor of shape (batch_size, n_outputs)
        y_true : torch.Tensor of shape (batch_size, n_outputs)
        idx : array-like of int of shape (batch_size,)
            Training-row indices of the batch, in ``[0, n_samples)``.

        Returns
        -------
        loss : torch.Tensor of shape ()
        """
        y_pred = y_pred.reshape(len(y_pred), -1)
        y_true = torch.as_tensor(y_true, device=y_pred.device)
        y_true = y_true.reshape(len(y_true), -1)
        if self._residuals is None:
            self._allocate(y_pred, y_true)
        self._check_batch(y_pred, y_true)
        idx = torch.as_tensor(idx, device=y_pred.device).long()
        residuals = y_true.to(self._residuals.dtype) - y_pred.detach().to(
            self._residuals.dtype
        )
        self._residuals[idx] = residuals
        self._seen[idx] = True
        scale = self._scale if self._scale is not None else 1.0 / y_pred.shape[1]
        return mahalanobis_loss(
            self.criterion, y_pred, y_true, self._loss_weights[idx], self._whitening,
            scale,
        )

    def _allocate(self, y_pred, y_true):
        """Buffers on the model's device, at the first batch."""
        n_outputs = y_true.shape[1]
        self.groups_ = check_groups(self.outlier_granularity, n_outputs)
        device = y_pred.device
        dtype = torch.float32 if device.type == "mps" else torch.float64
        self._residuals = torch.zeros((self.n_samples, n_outputs), dtype=dtype,
                                      device=device)
        self._seen = torch.zeros(self.n_samples, dtype=torch.bool, device=device)
        self._sample_weight = torch.as_tensor(self.sample_weight, dtype=torch.float32,
                                              device=device)
        self._loss_weights = self._sample_weight[:, None].expand(-1, n_outputs)

    def _check_batch(self, y_pred, y_true):
        n_outputs = self._residuals.shape[1]
        if y_pred.shape[1] != n_outputs or y_true.shape[1] != n_outputs:
            raise ValueError(
                f"The module's output width is {y_pred.shape[1]} but the targets "
                f"have {y_true.shape[1]} column(s) (GUMCriterion was set up for "
                f"{n_outputs}); make the module output one value per target column."
            )
        if len(y_pred) != len(y_true):
            raise ValueError(
                f"The batch has {len(y_pred)} predictions for {len(y_true)} targets."
            )

    # -- the EM schedule -----------------------------------------------------

    def start(self, residuals):
        """First E-step from a starting regressor's residuals, before any epoch.

        Parameters
        ----------
        residuals : array-like or torch.Tensor of shape (n_samples, n_outputs)
        """
        residuals = torch.as_tensor(residuals)
        if self._residuals is None:
            self._allocate(residuals, residuals.reshape(len(residuals), -1))
        residuals = residuals.reshape(self._residuals.shape).to(
            device=self._residuals.device, dtype=self._residuals.dtype
        )
        self._e_step(residuals)
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
        if last or not self._due():
            return False
        self._e_step(self._epoch_residuals(residuals))
        return True

    def _due(self):
        """Whether an E-step (or, before the uniform is kept, a decision)
        follows the epoch just ended."""
        since_warmup = self.epoch_ - self.warmup_epochs
        if self._state is None:
            return since_warmup >= 0 and since_warmup % self.estep_every == 0
        if self._state.converged or self._state.n_iter >= self.max_iter - 1:
            return False
        return since_warmup % self.estep_every == 0

    def recorded_all(self):
        """Whether the batches have recorded a residual for every row."""
        return self._seen is not None and bool(self._seen.all())

    def _epoch_residuals(self, residuals):
        if callable(residuals):
            residuals = residuals()
        if residuals is not None:
            return torch.as_tensor(residuals, device=self._residuals.device).reshape(
                self._residuals.shape
            ).to(self._residuals.dtype)
        if self._residuals is None or not bool(self._seen.all()):
            raise ValueError(
                "end_epoch needs the residuals of every training row: pass each "
                "row index once per epoch to the criterion, or pass residuals."
            )
        return self._residuals

    def finish(self, residuals=None):
        """Final E-step, e.g. on the residuals of the trained model in eval mode.

        It counts as an E-step. Before the uniform is kept, it is one more
        outlier decision.
        """
        residuals = self._epoch_residuals(residuals)
        if self._state is None:
            self._e_step(residuals, update=False)
        else:
            self._state.iterate(residuals, check=not self._state.converged)
        return self

    def _e_step(self, residuals, update=True):
        """Outlier decision and first E-step, or one EM iteration; then
        (``update``) the M-step of the mixture and the new loss.

        Until a group keeps its uniform, every due E-step is a new decision
        on the residuals of the net trained with the plain loss so far; once
        one does, the decision is fixed and the EM starts.
        """
        if self._state is None:
            host = _to_host(residuals)
            weights = self.sample_weight * self.mixture_rows
            self._decision = _em.decide_outliers(host, weights, self.groups_,
                                                 self._options)
            if not self._decision.keep.any():
                self._plain(residuals, host)
                return
            self._state = _em.EMState(
                self.groups_, weights, self._options, self._decision.keep,
                scorer=_score_on_device,
            )
            self._state.start(residuals, host=host)
        else:
            self._state.iterate(residuals)
        resp = self._state.resp
        if not update:
            return
        if not self._state.converged:
            self._state.m_step(_to_host(residuals))
        self._set_loss(resp)
        if self.verbose >= 2:
            print(f"  GUM E-step {self._state.n_iter} (epoch {self.epoch_}): mean "
                  f"log-likelihood {self._state.log_likelihood:.6g}")

    def _plain(self, residuals, host):
        """No group keeps its uniform (yet): a Gaussian model of the
        residuals; the loss stays the plain one."""
        self._gaussian = _em.EMState(
            self.groups_, self.sample_weight * self.mixture_rows, self._options,
            self._decision.keep, scorer=_score_on_device,
        )
        self._gaussian.start(residuals, host=host)

    def _set_loss(self, resp):
        """Element weights ``w_n r_ng`` and the whitening ``diag(L_g^{-1})``.

        Responsibilities below float32's epsilon become 0: their share of a
        batch's loss is below float32 rounding anyway, and as subnormal
        numbers they would slow the backward pass on CPU by a quarter.
        """
        device = self._residuals.device
        resp = torch.as_tensor(resp, dtype=torch.float32, device=device)
        resp = torch.where(resp < torch.finfo(torch.float32).eps, 0.0, resp)
        n_outputs = self._residuals.shape[1]
        weights = torch.empty((self.n_samples, n_outputs), dtype=torch.float32,
                              device=device)
        whitening = np.zeros((n_outputs, n_outputs))
        for k, (columns, params) in enumerate(zip(self.groups_, self._state.params)):
            index = torch.as_tensor(columns, device=device)
            weights[:, index] = (self._sample_weight * resp[:, k])[:, None]
            whitening[np.ix_(columns, columns)] = np.linalg.inv(
                np.linalg.cholesky(params.covariance)
            )
        self._loss_weights = weights
        self._whitening = torch.as_tensor(whitening, dtype=torch.float32, device=device)
        self._scale = 1.0
        if self.loss_normalization == "mse":
            self._scale = float(np.trace(self._state.covariance())) / n_outputs**2

    # -- results -------------------------------------------------------------

    @property
    def _fitted(self):
        """The state of the latest E-step (the EM's, or the plain Gaussian's)."""
        if self._state is not None:
            return self._state
        if self._decision is not None and hasattr(self, "_gaussian"):
            return self._gaussian
        raise AttributeError(
            "GUMCriterion has taken no E-step yet: train past warmup_epochs and "
            "call end_epoch(), or call finish()."
        )

    def result(self, estimator=None):
        """The EM as an :class:`~sklearn_gum._em.EMResult` (what
        :class:`~sklearn_gum.GUMRegressor` stores)."""
        state = self._fitted
        if state is self._state:
            return state.result(estimator, self._decision)
        return state.result(estimator, self._decision, n_iter=self._decision.n_iter,
                            converged=self._decision.converged)

    def _squeeze(self, values):
        if self.outlier_granularity != "sample":
            return values
        return values[0].item() if np.ndim(values) == 1 else values[:, 0]

    @property
    def outlier_proba_(self):
        return self._squeeze(1 - self._fitted.resp)

    @property
    def inlier_mask_(self):
        return self.outlier_proba_ < self.threshold

    @property
    def inlier_prior_(self):
        return self._squeeze(np.array([p.inlier_prior for p in self._fitted.params]))

    @property
    def uniform_volume_(self):
        return self._squeeze(np.exp([p.log_volume for p in self._fitted.params]))

    @property
    def covariance_(self):
        return self._fitted.covariance()

    @property
    def has_outliers_(self):
        self._fitted  # noqa: B018 (raises before the first E-step)
        return self._squeeze(np.asarray(self._decision.keep))

    @property
    def outlier_evidence_(self):
        self._fitted  # noqa: B018
        return self._squeeze(np.asarray(self._decision.evidence))

    @property
    def n_iter_(self):
        return self.result().n_iter

    @property
    def converged_(self):
        return self.result().converged

    @property
    def log_likelihood_(self):
        return self._fitted.log_likelihood

    @property
    def history_(self):
        return self.result().history


def _check_count(value, name, minimum):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or (
        value < minimum
    ):
        raise ValueError(f"{name} must be an int >= {minimum}; got {value!r}.")
    return int(value)


def _check_weights(sample_weight, n_samples):
    if sample_weight is None:
        return np.ones(n_samples)
    weights = np.asarray(sample_weight, dtype=np.float64)
    if weights.shape != (n_samples,):
        raise ValueError(
            f"sample_weight must have shape ({n_samples},); got {weights.shape}."
        )
    if not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError("sample_weight must be finite and non-negative.")
    return weights
