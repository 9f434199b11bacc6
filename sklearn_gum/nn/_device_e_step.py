"""The E-step of the mixture in torch, where a network's residuals live.

Private: :func:`torch_e_step` is public from :mod:`sklearn_gum.nn`.
"""

import functools
import math

import numpy as np
import torch
from threadpoolctl import ThreadpoolController

_LOG_2PI = math.log(2 * math.pi)


def torch_e_step(residuals, inlier_prior, covariance, uniform_volume=None,
                 outlier_scale=None):
    """Inlier responsibilities and log-likelihoods of one group, in torch.

    The E-step of :class:`~sklearn_gum.GUMRegressor` for one group of
    outputs, run wherever ``residuals`` live (the network's device).

    Parameters
    ----------
    residuals : torch.Tensor of shape (n_samples, n_columns)
    inlier_prior : float
        ``rho``, in (0, 1].
    covariance : array-like of shape (n_columns, n_columns)
        ``Sigma``, positive definite.
    uniform_volume : float, default=None
        ``gamma``, the volume of the uniform's box (None: no uniform).
    outlier_scale : float, default=None
        ``k`` of Gaussian outliers ``N(0, k Sigma)`` (None: none); with a
        ``k`` the outliers are this Gaussian, not the uniform.

    Returns
    -------
    resp : torch.Tensor of shape (n_samples,)
        ``r_n = rho N(e_n) / (rho N(e_n) + (1 - rho) q(e_n))``, with ``q``
        the outlier density, ``1 / gamma`` or ``N(e_n; 0, k Sigma)``.
    log_lik : torch.Tensor of shape (n_samples,)
        ``log(rho N(e_n; 0, Sigma) + (1 - rho) q(e_n))``.

    Examples
    --------
    >>> import numpy as np
    >>> import torch
    >>> from scipy.stats import multivariate_normal
    >>> from sklearn_gum.nn import torch_e_step
    >>> residuals = np.array([[0.1, -0.2], [6.0, 5.0]])
    >>> resp, log_lik = torch_e_step(torch.as_tensor(residuals), 0.9, np.eye(2), 100.0)
    >>> resp.numpy().round(4)
    array([0.9929, 0.    ])
    >>> density = 0.9 * multivariate_normal(cov=np.eye(2)).pdf(residuals) + 0.1 / 100
    >>> bool(np.allclose(log_lik.numpy(), np.log(density)))
    True
    """
    log_volume = math.inf if uniform_volume is None else math.log(uniform_volume)
    scale = math.inf if outlier_scale is None else float(outlier_scale)
    return _e_step(residuals, float(inlier_prior), covariance, log_volume, scale)


def _e_step(residuals, inlier_prior, covariance, log_volume, outlier_scale=math.inf):
    """:func:`torch_e_step` with the log of the volume (the core's form)."""
    covariance = torch.as_tensor(covariance, dtype=residuals.dtype,
                                 device=residuals.device)
    cholesky, info = torch.linalg.cholesky_ex(covariance)
    if info.item() != 0:
        raise ValueError(
            "The residual covariance is not positive definite: the residuals "
            "are degenerate. Increase reg_covar."
        )
    whitened = torch.linalg.solve_triangular(cholesky, residuals.T, upper=False)
    log_peak = -0.5 * len(covariance) * _LOG_2PI - torch.log(cholesky.diagonal()).sum()
    mahalanobis = whitened.square().sum(0)
    log_inlier = math.log(inlier_prior) + log_peak - 0.5 * mahalanobis
    if inlier_prior >= 1:
        return torch.ones_like(log_inlier), log_inlier
    log_outlier = math.log1p(-inlier_prior) + _outlier_log_density(
        mahalanobis, log_peak, len(covariance), log_volume, outlier_scale)
    log_lik = torch.logaddexp(log_inlier, log_outlier)
    return torch.exp(log_inlier - log_lik), log_lik


def _outlier_log_density(mahalanobis, log_peak, n_columns, log_volume, outlier_scale):
    """:func:`sklearn_gum._mixture.outlier_log_density` in torch."""
    if math.isfinite(outlier_scale):
        return (log_peak - 0.5 * n_columns * math.log(outlier_scale)
                - 0.5 * mahalanobis / outlier_scale)
    return torch.full_like(mahalanobis, -log_volume)


def score_on_device(residuals, groups, params):
    """The core's E-step of every group, taken by :func:`torch_e_step` where
    the residuals live; numpy copies for the mixture's M-step."""
    results = [
        _e_step(residuals[:, torch.as_tensor(columns, device=residuals.device)],
                group_params.inlier_prior, group_params.covariance,
                group_params.log_volume, group_params.outlier_scale)
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
