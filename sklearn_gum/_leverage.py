"""Residuals of a least-squares fit to some of the rows, on one scale.

A robust start is a least-squares fit to the rows it calls inliers. Its
residuals on those rows are smaller than the errors (the fit chased them:
variance ``sigma^2 (1 - q_n)``), and on the rows it left out larger (they
carry the fit's own error: ``sigma^2 (1 + q_n)``), with ``q_n = x_n^T
(X_K^T W_K X_K)^{-1} x_n`` the leverage of row ``n`` with respect to the
rows ``K`` fitted. On clean data the rows left out are thus farther than
their errors, the more so the more parameters per row, and a test for
outliers calibrated on the residuals of one fit to every row takes the
spread for outliers. Divided by ``sqrt(1 -+ q_n)``, every residual has the
variance of the errors.
"""

import numpy as np
from scipy import linalg
from scipy import sparse as sp

# rows per block of the leverage's quadratic forms
BLOCK_ROWS = 4096


def studentized(residuals, X, sample_weight, fitted_rows, fit_intercept=True):
    """Residuals scaled to the errors' variance (see the module docstring).

    Parameters
    ----------
    residuals : ndarray of shape (n_samples, n_outputs)
    X : ndarray or sparse matrix of shape (n_samples, n_features)
        The design of the fit (without the intercept column).
    sample_weight : ndarray of shape (n_samples,)
        Frequency weights (a weight of 2 is a row fitted twice). Weights that
        sum to fewer observations than weighted rows are no counts: they are
        scaled to a mean of one over the weighted rows.
    fitted_rows : ndarray of bool of shape (n_samples,)
        The rows ``K`` the fit used.
    fit_intercept : bool, default=True

    Returns
    -------
    studentized : ndarray of shape (n_samples, n_outputs)
    """
    design = _equilibrated(X, fit_intercept)
    weights = frequency_counts(sample_weight)
    fitted = design[np.flatnonzero(fitted_rows)]
    if sp.issparse(fitted):
        gram = (fitted.T @ sp.diags(weights[fitted_rows]) @ fitted).toarray()
    else:
        gram = fitted.T @ (fitted * weights[fitted_rows][:, None])
    inverse = linalg.pinvh(gram)
    leverage = np.empty(len(residuals))
    for block in range(0, len(residuals), BLOCK_ROWS):
        rows = design[block:block + BLOCK_ROWS]
        rows = rows.toarray() if sp.issparse(rows) else rows
        leverage[block:block + BLOCK_ROWS] = np.einsum("ij,jk,ik->i", rows, inverse, rows)
    variance = np.where(fitted_rows, 1 - leverage, 1 + leverage)
    return residuals / np.sqrt(np.maximum(variance, np.finfo(float).eps))[:, None]


def frequency_counts(sample_weight):
    """The observations each row counts for: frequency weights (a weight of
    2 is a row fitted twice), or, where the weights sum to fewer
    observations than weighted rows (no counts), the weights scaled to a
    mean of one over the weighted rows."""
    return sample_weight * max(1.0, np.count_nonzero(sample_weight) / sample_weight.sum())


def _equilibrated(X, fit_intercept):
    """``[1, X]`` (or ``X``) with every column scaled to a largest absolute
    value of one: leverage does not change with the columns' units, and so
    the rank of the design does not depend on them either."""
    if sp.issparse(X):
        design = sp.csr_matrix(X, dtype=float)
        if fit_intercept:
            design = sp.hstack([np.ones((design.shape[0], 1)), design], format="csr")
        largest = np.asarray(abs(design).max(axis=0).todense()).ravel()
        return design @ sp.diags(1 / np.where(largest > 0, largest, 1.0))
    design = np.asarray(X, dtype=float)
    if fit_intercept:
        design = np.c_[np.ones(len(design)), design]
    largest = np.max(np.abs(design), axis=0)
    return design / np.where(largest > 0, largest, 1.0)
