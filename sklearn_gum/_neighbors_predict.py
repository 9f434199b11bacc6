"""Predictions of the training rows of a k-nearest-neighbours regressor
refitted on some of them.

A ``KNeighborsRegressor`` takes no sample weights: each EM iteration refits
it on the current inliers and predicts every training row from its ``k``
nearest inliers, a neighbour search of all rows (about 15 times its fit,
which only stores the data, at 1000 x 8). Those ``k`` are the first ``k``
inliers of the row's list of nearest rows among all of them: one search of
``LIST_FACTOR * k`` neighbours per row, by the plain fit that starts the
EM, at the first refit, serves every refit (a fifth more than one search
of ``k`` at 1000 x 8, k = 10); a row with fewer than ``k`` inliers on its
list is searched by the refit's own ``kneighbors``. A fit that keeps no
outliers searches as before. The mean over the same neighbours, in the
same order, is the prediction ``predict`` gives, up to equidistant rows
(which either search may order differently). Only uniform weights (the default) and non-precomputed
metrics take this route; the fitted estimators and their ``predict`` are
untouched.
"""

import weakref

import numpy as np
from sklearn.neighbors import KNeighborsRegressor
from sklearn.utils import _safe_indexing

LIST_FACTOR = 2
# The lists hold LIST_FACTOR * k row indices per row (3.2 MB at 20,000 rows
# and k = 10; 160 MB at a million, where the EM runs on a sample anyway).
MAX_ROWS = 20_000


def supports_neighbour_lists(estimator, n_rows):
    """Whether the refits of ``estimator`` on ``n_rows`` rows can predict
    the training rows from neighbour lists: a ``KNeighborsRegressor`` with
    uniform weights and a metric on the features, on at most ``MAX_ROWS``
    rows."""
    return (type(estimator) is KNeighborsRegressor and estimator.weights == "uniform"
            and estimator.metric != "precomputed" and n_rows <= MAX_ROWS)


class NeighbourLists:
    """The rows each refit was fitted on, and the neighbour lists of the
    training rows ``X`` among the ``base`` rows (those of positive weight).

    The lists are searched at the first prediction of a refit on some of
    the base rows, by the latest fit on all of them (the plain fit that
    starts the EM), instead of that refit's own search: a fit that keeps
    no outliers searches as before.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    base : ndarray of int
        The rows every refit is fitted on, or on some of.
    """

    def __init__(self, X, base):
        self.X = X
        self.base = base
        self._in_base = np.zeros(len(X), dtype=bool)
        self._in_base[base] = True
        self._rows = weakref.WeakKeyDictionary()
        self._base_fit = lambda: None
        self._lists = None

    def record(self, estimator, rows):
        """``estimator`` was fitted on ``rows`` of ``X``."""
        rows = np.asarray(rows)
        self._rows[estimator] = rows
        if len(rows) == len(self.base) and np.all(self._in_base[rows]):
            self._base_fit = weakref.ref(estimator)

    def predict(self, estimator):
        """``estimator.predict(X)`` from the lists, or None: for a fit on
        every base row (its own search is the shorter one), an estimator
        not recorded, rows beyond ``base``, or no fit on every base row
        alive to search the lists."""
        rows = self._rows.get(estimator)
        if (rows is None or len(rows) == len(self.base)
                or not np.all(self._in_base[rows])):
            return None
        if self._lists is None:
            base_fit = self._base_fit()
            if base_fit is None:
                return None
            n_listed = min(LIST_FACTOR * base_fit.n_neighbors, len(self.base))
            self._lists = self._rows[base_fit][
                base_fit.kneighbors(self.X, n_listed, return_distance=False)]
        position = np.full(len(self.X), -1)
        position[rows] = np.arange(len(rows))
        return self._from_lists(estimator, position)

    def _from_lists(self, estimator, position):
        """The mean target of each row's first ``k`` listed rows that the
        estimator was fitted on; the estimator's own search for the rows
        with fewer on their list."""
        k = estimator.n_neighbors
        fitted = position[self._lists] >= 0
        complete = fitted.sum(axis=1) >= k
        # per row, the list positions of its first k fitted rows, in order
        first = np.argsort(~fitted[complete], axis=1, kind="stable")[:, :k]
        neighbours = position[np.take_along_axis(self._lists[complete], first, axis=1)]
        targets = estimator._y.reshape(len(estimator._y), -1)
        prediction = np.empty((len(self.X), targets.shape[1]))
        prediction[complete] = np.mean(targets[neighbours], axis=1)
        if not complete.all():
            rest = estimator.predict(_safe_indexing(self.X, np.flatnonzero(~complete)))
            prediction[~complete] = np.reshape(rest, (-1, targets.shape[1]))
        return prediction.ravel() if estimator._y.ndim == 1 else prediction
