"""``GUMRegressor.fit`` for a skorch network: one warm-EM training run.

Private: :func:`sklearn_gum.nn.fit_network_gum` is the entry point.
"""

import warnings
from contextlib import nullcontext

import numpy as np
import torch
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data
from skorch.dataset import get_len
from skorch.utils import is_dataset

from . import _mixture, _start
from ._gum import _EMFit, _resolve_groups, validate_targets
from ._nn_em import NetworkEM, resolve_schedule
from ._nn_net import as_weighted_net
from ._weighted_fit import WeightedRefit


def fit_network_gum(gum, X, y, sample_weight, fit_params):
    """Fit ``gum`` whose estimator is a skorch network (warm EM).

    Called by :meth:`GUMRegressor.fit <sklearn_gum.GUMRegressor.fit>`; sets
    the same fitted attributes as the numpy path.

    Parameters
    ----------
    gum : GUMRegressor
        With a :class:`skorch.NeuralNetRegressor` or
        :class:`~sklearn_gum.nn.WeightedNeuralNetRegressor` as estimator.
    X : input data
        Anything the net accepts, handed over untouched.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like of shape (n_samples,) or None
    fit_params : dict
        Parameters of the net's ``fit`` (passed to ``module.forward``).

    Returns
    -------
    gum : GUMRegressor
        Fitted.

    Notes
    -----
    One training run of ``max_epochs`` epochs (per ``n_init``): warm-up
    epochs with the sample weights alone, then an E-step every
    ``estep_every`` epochs (see :mod:`sklearn_gum.nn`). ``n_iter_`` counts
    the E-steps after the first, the final one on the trained net included;
    refreshing stops once the mean log-likelihood changes by at most
    ``tol * (1 + |L|)`` between two E-steps, or after ``max_iter`` of them.
    A ``ConvergenceWarning`` is raised only when ``max_iter`` E-steps ran
    without converging; when the epochs run out first, ``converged_`` is
    False without a warning (the epoch budget is the user's choice).
    """
    targets, sample_weight, fit_params = _validate(gum, X, y, sample_weight, fit_params)
    gum.groups_ = _resolve_groups(gum.outlier_granularity, targets.shape[1])
    gum.weighting_ = "soft"
    template = as_weighted_net(gum._get_estimator())
    start = _start_residuals(gum, X, targets, sample_weight)
    random_state = check_random_state(gum.random_state)
    runs = []
    for run in range(gum.n_init):
        seed = None if gum.random_state is None else random_state.randint(2**31 - 1)
        net_start = start if run == 0 else None
        runs.append(_train(gum, template, X, targets, sample_weight, fit_params,
                           net_start, seed))
    best, residuals, weights = max(runs, key=lambda run: run[0].log_likelihood)
    if gum.verbose:
        print(f"GUM: kept the run with mean log-likelihood {best.log_likelihood:.6g}")
    _store(gum, *_decide_outliers(gum, best, residuals, weights))
    return gum


def _n_rows(X):
    return len(X) if is_dataset(X) else get_len(X)


def _validate(gum, X, y, sample_weight, fit_params):
    """The checks of the numpy path, for any input a net takes."""
    validate_data(gum, X, skip_check_array=True)
    targets, sample_weight, fit_params, y_ndim = validate_targets(
        gum, y, _n_rows(X), sample_weight, fit_params
    )
    if gum.init == "subsets":
        raise ValueError(
            "init='subsets' is not available for networks (it would train "
            "hundreds of them); use init=None or a regressor."
        )
    gum._y_ndim = y_ndim
    return targets, sample_weight, fit_params


def _start_residuals(gum, X, targets, sample_weight):
    """Residuals of ``gum.init`` (fitted here when it is not), or None."""
    if gum.init is None:
        return None
    refit = WeightedRefit(gum.init, X, targets, sample_weight, {}, gum._y_ndim == 1)
    start = _start.fitted_or_fit(gum.init, refit)
    return targets - refit.predict(start)


def _seeded(seed, device):
    """Fork torch's random state and seed it (no global side effect)."""
    if seed is None:
        return nullcontext()
    devices = []
    if str(device).startswith("cuda") and torch.cuda.is_available():
        index = torch.device(device).index
        devices = [torch.cuda.current_device() if index is None else index]
    return torch.random.fork_rng(devices=devices)


def _train(gum, template, X, targets, sample_weight, fit_params, start, seed):
    """One training run with E-steps between epochs.

    Returns
    -------
    state : _EMFit
    residuals : ndarray of shape (n_samples, n_outputs)
        Final residuals.
    weights : ndarray of shape (n_samples,)
        Sample weights of the rows the mixture was fitted on.
    """
    net = clone(template)
    schedule = resolve_schedule(net, has_start=start is not None)
    em = NetworkEM(gum, X, targets, sample_weight, schedule, start)
    with _seeded(seed, net.device):
        if seed is not None:
            torch.manual_seed(seed)
        net.gum_em_ = em
        try:
            net.fit(X, targets.astype(np.float32), sample_weight=sample_weight,
                    **fit_params)
        finally:
            net.gum_em_ = None
        resp, log_lik, residuals = em.finish(net)
    state = _EMFit(
        net, None, em.params, resp, log_lik, em.fit_state[2],
        n_iter=em.n_iter, converged=em.converged, history=em.history,
    )
    return state, residuals, em.weights


def _decide_outliers(gum, state, residuals, weights):
    """Keep the uniform of the groups whose final residuals support it.

    The mixture is compared with a pure Gaussian on the same final residuals
    (:func:`sklearn_gum._mixture.outlier_evidence`); a group that loses
    becomes that Gaussian (``rho = 1``). The net is not retrained.
    """
    gaussian = [
        _mixture.gaussian_params(
            residuals[:, columns], weights, gum.covariance_type, gum.reg_covar
        )
        for columns in gum.groups_
    ]
    _, gaussian_log_lik = gum._e_step(residuals, gaussian)
    evidence = np.array([
        _mixture.outlier_evidence(
            state.log_lik[:, k], gaussian_log_lik[:, k], state.resp[:, k], weights
        )
        for k in range(len(gum.groups_))
    ])
    keep = evidence > 0
    if gum.outlier_component == "always" or keep.all():
        return state, evidence, np.ones_like(keep)
    for k in np.flatnonzero(~keep):
        state.params[k] = gaussian[k]
        state.resp[:, k] = 1.0
        state.log_lik[:, k] = gaussian_log_lik[:, k]
    state.log_likelihood = _mixture.mean_log_likelihood(
        state.log_lik.sum(axis=1), weights
    )
    return state, evidence, keep


def _store(gum, state, evidence, keep):
    """``gum._store``, and a convergence warning only when ``max_iter``
    E-steps ran out (running out of epochs is not worth one; see
    :func:`fit_network_gum`)."""
    gum._store(state, evidence, keep)
    if not state.converged and state.n_iter >= gum.max_iter:
        warnings.warn(
            f"EM did not converge in max_iter={gum.max_iter} E-steps. Increase "
            "max_iter or tol, or estep_every of the net.",
            ConvergenceWarning,
        )
