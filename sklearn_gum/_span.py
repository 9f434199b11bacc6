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
    if residuals.shape[1] == 1:  # the first column is always kept
        return np.array([0])
    scaled = _weighted_rows(residuals, sample_weight)
    kept = []
    for j in range(residuals.shape[1]):
        pivot = np.linalg.qr(scaled[:, kept + [j]], mode="r")[-1, -1]
        if pivot**2 > resolution[j]:
            kept.append(j)
    return np.array(kept or [0])


def conditional_coordinates(residuals, covariance, sample_weight, resolution):
    """Residuals with each column that the residuals do not span replaced by
    its conditional coordinate under the Gaussian.

    With the Cholesky factor ``Sigma = L L^T`` and ``M = L diag(L)^{-1}``
    (unit lower triangular), ``u = M^{-1} e`` holds in column ``j`` column
    ``j`` less its linear prediction from the earlier columns under
    ``Sigma``. Only the columns whose weighted residuals have a conditional
    variance given the earlier columns of at most ``resolution[j]`` (a
    repeat of earlier outputs, or a sum of them) take ``u_j``; the others
    keep ``e_j``, so that the uniform's box stays axis-aligned on outputs
    that carry their own errors. Either way the map from ``e`` is unit lower
    triangular, of determinant one: a box in the returned coordinates has
    the volume of its parallelepiped in ``e``.

    Returns
    -------
    coordinates : ndarray of shape (n_samples, n_columns)
    variances : ndarray of shape (n_columns,)
        The Gaussian's variance along each coordinate: ``Sigma_jj`` for a
        column kept, the conditional variance ``D_j = L_jj^2`` for one
        replaced.
    """
    variances = np.diag(covariance).copy()
    if len(variances) == 1:  # one column spans its residuals
        return residuals, variances
    redundant = _redundant_columns(residuals, sample_weight, resolution)
    if not redundant.any() or np.count_nonzero(covariance - np.diag(variances)) == 0:
        return residuals, variances
    cholesky = linalg.cholesky(covariance, lower=True)
    pivots = np.diag(cholesky)
    conditional = linalg.solve_triangular(cholesky / pivots, residuals.T, lower=True,
                                          unit_diagonal=True).T
    coordinates = residuals.copy()
    coordinates[:, redundant] = conditional[:, redundant]
    variances[redundant] = pivots[redundant]**2
    return coordinates, variances


def _redundant_columns(residuals, sample_weight, resolution):
    """Columns whose weighted residuals have a conditional variance given all
    earlier columns of at most ``resolution`` (one QR decomposition)."""
    if residuals.shape[1] < 2:
        return np.zeros(residuals.shape[1], dtype=bool)
    scaled = _weighted_rows(residuals, sample_weight)
    pivots = np.abs(np.diag(np.linalg.qr(scaled, mode="r")))
    if len(pivots) < residuals.shape[1]:
        pivots = np.r_[pivots, np.zeros(residuals.shape[1] - len(pivots))]
    redundant = pivots**2 <= np.broadcast_to(resolution, pivots.shape)
    redundant[0] = False
    return redundant


def _weighted_rows(residuals, sample_weight):
    """The weighted rows ``sqrt(w_n / sum w) e_n``: their Gram matrix is the
    weighted second moment of the residuals."""
    rows = sample_weight > 0
    return residuals[rows] * np.sqrt(sample_weight[rows] / sample_weight[rows].sum())[
        :, None]
