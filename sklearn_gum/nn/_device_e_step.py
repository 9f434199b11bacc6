"""The E-step of the mixture in torch, where a network's residuals live.

Private: :func:`torch_e_step` is public from :mod:`sklearn_gum.nn`.
"""

import functools
import math

import numpy as np
import torch
from threadpoolctl import ThreadpoolController

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
    log_outlier = math.log1p(-params.inlier_prior) + _outlier_log_density(
        mahalanobis, log_peak, params)
    log_lik = torch.logaddexp(log_inlier, log_outlier)
    return torch.exp(log_inlier - log_lik), log_lik


def _outlier_log_density(mahalanobis, log_peak, params):
    """:func:`sklearn_gum._mixture.outlier_log_density` in torch."""
    scale = params.outlier_scale
    if math.isfinite(scale):
        n_columns = len(params.covariance)
        return log_peak - 0.5 * n_columns * math.log(scale) - 0.5 * mahalanobis / scale
    return torch.full_like(mahalanobis, -params.log_volume)


def score_on_device(residuals, groups, params):
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


@functools.cache
def _threadpools():
    """The process's BLAS and OpenMP pools (inspected once)."""
    return ThreadpoolController()


def one_blas_thread():
    """Context in which BLAS runs on one thread.

    The mixture's maths on the host handle ``n x d`` arrays with a few
    columns per group, where BLAS threads only wait for each other: on a
    busy CPU, two OpenBLAS threads made the decision of a 5-landmark net
    four times slower than its training epoch.
    """
    return _threadpools().limit(limits=1, user_api="blas")


def to_host(residuals):
    return residuals.detach().cpu().numpy().astype(np.float64)
