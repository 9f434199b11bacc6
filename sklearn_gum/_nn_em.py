"""The GUM EM inside one skorch training run (warm EM).

Private: :func:`sklearn_gum.nn.fit_network_gum` is the entry point.

A network is not retrained at every EM round. It trains for
``warmup_epochs`` with the sample weights alone; then, every
``estep_every`` epochs, an E-step on the network's device turns the
residuals of all rows into responsibilities, the mixture's M-step (numpy,
:mod:`sklearn_gum._mixture`) updates ``rho``, ``Sigma`` and the uniform
volume, and the net's loss weights and whitening are replaced; training goes
on from the current weights and optimiser state. The epochs between two
E-steps are the M-step of the network.
"""

import math

import numpy as np
import torch
from skorch.callbacks import PrintLog

from . import _mixture
from ._gum import _block_covariance
from ._nn_net import _RowIndexed, _WeightedTarget

_LOG_2PI = math.log(2 * math.pi)


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
    if not (isinstance(every, (int, np.integer)) and every >= 1):
        raise ValueError(f"estep_every must be a positive int; got {every!r}.")
    if has_start:
        return 0, int(every)
    warmup = net.warmup_epochs
    if isinstance(warmup, str) and warmup == "auto":
        warmup = max(1, net.max_epochs // 5)
    if not (isinstance(warmup, (int, np.integer)) and 1 <= warmup < net.max_epochs):
        raise ValueError(
            "warmup_epochs must be 'auto' or an int in [1, max_epochs); got "
            f"{net.warmup_epochs!r} with max_epochs={net.max_epochs}."
        )
    return int(warmup), int(every)


def _train_mask(dataset_train, n_rows):
    """Rows of the training split (all rows without a split)."""
    if isinstance(dataset_train, torch.utils.data.Subset) and isinstance(
        dataset_train.dataset, _RowIndexed
    ):
        mask = np.zeros(n_rows, dtype=bool)
        mask[np.asarray(dataset_train.indices)] = True
        return mask
    return np.ones(n_rows, dtype=bool)


def _hide_from_print_log(net, keys):
    """Keep list-valued history keys out of skorch's printed table."""
    for _, callback in net.callbacks_:
        if isinstance(callback, PrintLog):
            callback.keys_ignored_ = set(callback.keys_ignored_) | set(keys)


class NetworkEM:
    """E-steps of a GUM fit, run by a :class:`WeightedNeuralNetRegressor`.

    The net calls :meth:`on_epoch_begin` and :meth:`on_epoch_end`; after
    training, :meth:`finish` takes the final E-step.

    Parameters
    ----------
    gum : GUMRegressor
        Source of the EM options and of ``groups_``.
    X : input data
        The net's training input, for the residuals.
    targets : ndarray of shape (n_samples, n_outputs)
    sample_weight : ndarray of shape (n_samples,)
    schedule : tuple of int
        ``(warmup_epochs, estep_every)``.
    start_residuals : ndarray of shape (n_samples, n_outputs), default=None
        Residuals of a starting regressor, for an E-step before the first
        epoch.
    """

    def __init__(self, gum, X, targets, sample_weight, schedule, start_residuals=None):
        self.gum = gum
        self.X = X
        self.targets = targets
        self.sample_weight = sample_weight
        self.warmup, self.every = schedule
        self.start_residuals = start_residuals
        self.epoch = 0
        self.params = None
        self.weights = None  # sample weights on the training rows
        self.fit_state = None  # latest (resp, log_lik, log_likelihood)
        self.history = []
        self.n_iter = 0
        self.converged = False

    # -- hooks called by the net ------------------------------------------

    def on_epoch_begin(self, net, dataset_train):
        """First epoch: training rows, device tensors, E-step from a start."""
        if self.weights is not None:
            return
        self._setup(net, _train_mask(dataset_train, len(self.targets)))
        if self.start_residuals is not None:
            residuals = torch.as_tensor(
                self.start_residuals, dtype=self._targets.dtype, device=net.device
            )
            self.e_step(net, residuals)

    def _setup(self, net, train_mask):
        """Mixture weights of the training rows and tensors on the device."""
        self.weights = self.sample_weight * train_mask
        dtype = torch.float32 if str(net.device).startswith("mps") else torch.float64
        self._targets = torch.as_tensor(self.targets, dtype=dtype, device=net.device)
        self._sample_weight = torch.as_tensor(
            self.sample_weight, dtype=torch.float32, device=net.device
        )
        self._prediction = torch.zeros_like(self._targets)
        self._seen = torch.zeros(len(self.targets), dtype=torch.bool, device=net.device)
        hidden = ["gum_covariance"]
        if len(self.gum.groups_) > 1:
            hidden.append("gum_inlier_prior")
        _hide_from_print_log(net, hidden)

    def on_batch_end(self, net, batch, y_pred):
        """Keep the batch's predictions for ``estep_residuals="train"``."""
        if net.estep_residuals != "train" or y_pred is None:
            return
        target = batch[1] if isinstance(batch, (tuple, list)) else None
        if not isinstance(target, _WeightedTarget):
            return
        if isinstance(y_pred, tuple):
            y_pred = y_pred[0]
        rows = torch.as_tensor(target.row, device=self._prediction.device)
        self._prediction[rows] = y_pred.detach().reshape(len(rows), -1).to(
            self._prediction.dtype
        )
        self._seen[rows] = True

    def on_epoch_end(self, net, dataset_train):
        """Refresh the weights when an E-step is due; record rho and Sigma."""
        self.epoch += 1
        refreshed = self._due(net)
        if refreshed:
            self.e_step(net, self._epoch_residuals(net))
        if self.params is not None:
            self._record(net, refreshed)

    def _due(self, net):
        """Whether an E-step follows this epoch.

        None after the last epoch (the final E-step covers it), none once
        converged, and at most ``max_iter - 1`` after the first, so that the
        final one makes ``n_iter_ <= max_iter``.
        """
        if self.converged or self.epoch >= net.max_epochs:
            return False
        if self.params is None:
            return self.epoch == self.warmup
        if self.n_iter >= self.gum.max_iter - 1:
            return False
        return (self.epoch - self.warmup) % self.every == 0

    # -- the EM maths ------------------------------------------------------

    def _epoch_residuals(self, net):
        """Residuals for an E-step during training (see ``estep_residuals``).

        The predictions of the epoch's passes, when every row has one;
        otherwise (``"eval"``, or rows skipped by the loader) an eval pass.
        """
        if net.estep_residuals == "train" and bool(self._seen.all()):
            return self._targets - self._prediction
        return self.residuals(net)

    def residuals(self, net):
        """``y - f(X)`` of all rows by an eval pass, on the net's device."""
        with torch.no_grad():
            prediction = net.forward(self.X, training=False, device=net.device)
        if isinstance(prediction, tuple):
            prediction = prediction[0]
        prediction = prediction.reshape(len(prediction), -1).to(self._targets.dtype)
        return self._targets - prediction

    def e_step(self, net, residuals):
        """E-step, convergence check, mixture M-step and new loss weights."""
        host = residuals.detach().cpu().numpy().astype(np.float64)
        first = self.params is None
        if first:
            self.params = [
                _mixture.robust_start(host[:, columns], self.weights, **self._options())
                for columns in self.gum.groups_
            ]
        resp = self._score(residuals)
        if not first:
            self.n_iter += 1
            self._check_convergence()
        if not self.converged:
            resp_host = self.fit_state[0]
            self.params = [
                _mixture.m_step(host[:, columns], resp_host[:, k], self.weights,
                                **self._options())
                for k, columns in enumerate(self.gum.groups_)
            ]
        self._set_loss_weights(net, resp)
        if self.gum.verbose >= 2:
            print(f"  GUM E-step {self.n_iter} (epoch {self.epoch}): mean "
                  f"log-likelihood {self.fit_state[2]:.6g}")

    def _score(self, residuals):
        """Torch E-step of every group; keeps the host copies and history."""
        results = [
            torch_e_step(residuals[:, torch.as_tensor(columns)], group_params)
            for columns, group_params in zip(self.gum.groups_, self.params)
        ]
        resp = torch.stack([r for r, _ in results], dim=1)
        log_lik = torch.stack([ll for _, ll in results], dim=1).cpu().numpy()
        resp_host = resp.cpu().numpy()
        mean = _mixture.mean_log_likelihood(log_lik.sum(axis=1), self.weights)
        self.fit_state = (resp_host, log_lik, mean)
        share = _mixture.inlier_share(resp_host, self.gum.threshold, self.weights)
        self.history.append((mean, share))
        return resp

    def _check_convergence(self):
        previous, current = self.history[-2][0], self.history[-1][0]
        self.converged = _mixture.has_converged(previous, current, self.gum.tol)

    def _options(self):
        return {
            "covariance_type": self.gum.covariance_type,
            "uniform": self.gum.uniform,
            "reg_covar": self.gum.reg_covar,
        }

    def _set_loss_weights(self, net, resp):
        """Element weights ``w_n r_ng`` and the whitening ``diag(L_g^{-1})``.

        Responsibilities below float32's epsilon become 0: their share of a
        batch's loss is below float32 rounding anyway, and as subnormal
        numbers they would slow the backward pass on CPU by a quarter.
        """
        n_outputs = self.targets.shape[1]
        weights = torch.empty((len(resp), n_outputs), dtype=torch.float32,
                              device=resp.device)
        resp = resp.float()
        resp = torch.where(resp < torch.finfo(torch.float32).eps, 0.0, resp)
        whitening = np.zeros((n_outputs, n_outputs))
        for k, (columns, group_params) in enumerate(zip(self.gum.groups_, self.params)):
            index = torch.as_tensor(columns, device=resp.device)
            weights[:, index] = (self._sample_weight * resp[:, k])[:, None]
            cholesky = np.linalg.cholesky(group_params.covariance)
            whitening[np.ix_(columns, columns)] = np.linalg.inv(cholesky)
        covariance = self.covariance()
        net.set_loss_weights(weights, whitening, trace=np.trace(covariance))

    def covariance(self):
        """Current ``Sigma``, block-diagonal over the groups."""
        return _block_covariance(self.params, self.gum.groups_, self.targets.shape[1])

    def _record(self, net, refreshed):
        """rho, Sigma and the latest log-likelihood in the net's history."""
        priors = [float(p.inlier_prior) for p in self.params]
        history = net.history
        history.record("gum_inlier_prior", priors[0] if len(priors) == 1 else priors)
        history.record("gum_covariance", self.covariance().tolist())
        history.record("gum_log_likelihood", self.fit_state[2])
        history.record("gum_inlier_share", self.history[-1][1])
        history.record("event_gum_estep", bool(refreshed))

    # -- after training ----------------------------------------------------

    def finish(self, net):
        """Final E-step on the trained net.

        It counts as an EM iteration (``n_iter``) and is checked for
        convergence like the others. Should training have stopped before the
        first E-step (e.g. early stopping), it is the first E-step.

        Returns
        -------
        resp, log_lik : ndarray of shape (n_samples, n_groups)
        residuals : ndarray of shape (n_samples, n_outputs)
        """
        if self.weights is None:
            self._setup(net, np.ones(len(self.targets), dtype=bool))
        residuals = self.residuals(net)
        host = residuals.cpu().numpy().astype(np.float64)
        if self.params is None:
            self.params = [
                _mixture.robust_start(host[:, columns], self.weights, **self._options())
                for columns in self.gum.groups_
            ]
            self._score(residuals)
        else:
            self._score(residuals)
            self.n_iter += 1
            if not self.converged:
                self._check_convergence()
        resp, log_lik, _ = self.fit_state
        return resp, log_lik, host
