"""Predictions of the training rows of a support vector regressor from its
kernel matrix.

Every E-step of the EM predicts the training rows. For ``SVR`` and
``NuSVR`` that prediction, ``sum_i a_i K(x, s_i) + b`` over the support
vectors ``s_i``, is libsvm's kernel evaluation one row at a time: about
half the time of a fit at 1000 x 8, so that with its refits an SVR cost
twice as many fits as it refitted. The same sum is a product of the kernel
matrix (``sklearn.metrics.pairwise.pairwise_kernels``, with the fitted
``gamma``, ``degree`` and ``coef0``) and the dual coefficients, in blocks of
rows that keep that matrix under ``BLOCK_ELEMENTS`` numbers; it agrees with
``predict`` to rounding (1e-12 relative). Only these predictions of the
training rows take this route; the fitted estimator and its ``predict``
are untouched.
"""

import numpy as np
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.svm import SVR, NuSVR
from sklearn.utils import gen_batches

KERNEL_PARAMS = {
    "linear": (), "rbf": ("gamma",), "poly": ("gamma", "degree", "coef0"),
    "sigmoid": ("gamma", "coef0"),
}
BLOCK_ELEMENTS = 2**22


def dual_prediction(estimator, X):
    """``estimator.predict(X)`` from the kernel matrix for a fitted ``SVR``
    or ``NuSVR`` (exactly those classes) with a built-in kernel, fitted on
    and predicting a dense float array; None for anything else."""
    if (type(estimator) not in (SVR, NuSVR) or estimator.kernel not in KERNEL_PARAMS
            or getattr(estimator, "_sparse", True) or not isinstance(X, np.ndarray)
            or X.ndim != 2 or X.dtype.kind != "f"
            or X.shape[1] != estimator.support_vectors_.shape[1]):
        return None
    fitted = {"gamma": estimator._gamma, "degree": estimator.degree,
              "coef0": estimator.coef0}
    params = {name: fitted[name] for name in KERNEL_PARAMS[estimator.kernel]}
    vectors = estimator.support_vectors_
    coef = estimator.dual_coef_[0]
    prediction = np.empty(len(X))
    size = max(1, BLOCK_ELEMENTS // max(1, len(vectors)))
    for block in gen_batches(len(X), size):
        kernel = pairwise_kernels(X[block].astype(np.float64, copy=False), vectors,
                                  metric=estimator.kernel, **params)
        prediction[block] = kernel @ coef
    return prediction + estimator.intercept_[0]
