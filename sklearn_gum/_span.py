"""The directions that residuals span, for a full covariance.

Outputs that repeat one another (or sums of others) leave their residuals
in a subspace. There the Gaussian's density is bounded only by
``reg_covar`` while a uniform box over every column has none, so that the
mixture would depend on how often an output is repeated. Two tools let
:mod:`sklearn_gum._mixture` work on the subspace the residuals span:
:func:`spanning_columns` for the outlier decision, and
:func:`conditional_coordinates` for the uniform's box.
"""

import numpy as np
from scipy import linalg


def spanning_columns(residuals, sample_weight, resolution):
    """Columns whose weighted residuals are not linear combinations of the
    earlier ones.

    Column ``j`` is left out when the weighted variance of its residuals
    about their linear prediction from the columns kept before it is at
    most ``resolution[j]`` (``reg_covar`` relative to the column's scale,
    or the variance the targets resolve): the residuals do not span that
    direction. The conditional variances are the squared diagonal of the
    triangular factor of a QR decomposition, accurate to the rounding of
    the residuals themselves (a Gram matrix would lose half of the digits).

    Returns
    -------
    kept : ndarray of int
    """
    rows = sample_weight > 0
    scaled = residuals[rows] * np.sqrt(sample_weight[rows] / sample_weight[rows].sum())[
        :, None]
    kept = []
    for j in range(residuals.shape[1]):
        pivot = np.linalg.qr(scaled[:, kept + [j]], mode="r")[-1, -1]
        if pivot**2 > resolution[j]:
            kept.append(j)
    return np.array(kept or [0])


def conditional_coordinates(residuals, covariance):
    """Residuals in the Gaussian's conditional coordinates.

    With the Cholesky factor ``Sigma = L L^T`` and ``M = L diag(L)^{-1}``
    (unit lower triangular), ``u = M^{-1} e``: column ``j`` less its linear
    prediction from the earlier columns under ``Sigma``.

    Returns
    -------
    coordinates : ndarray of shape (n_samples, n_columns)
    variances : ndarray of shape (n_columns,)
        The conditional variances ``D_j = L_jj^2``.
    """
    if np.count_nonzero(covariance - np.diag(np.diag(covariance))) == 0:
        return residuals, np.diag(covariance)
    cholesky = linalg.cholesky(covariance, lower=True)
    pivots = np.diag(cholesky)
    unit = cholesky / pivots
    coordinates = linalg.solve_triangular(unit, residuals.T, lower=True,
                                          unit_diagonal=True).T
    return coordinates, pivots**2
