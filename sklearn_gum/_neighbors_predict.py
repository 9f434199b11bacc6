"""Predictions of the training rows of a k-nearest-neighbours regressor
refitted on some of them.

A ``KNeighborsRegressor`` takes no sample weights: each EM iteration refits
it on the current inliers and predicts every training row from its ``k``
nearest inliers, a neighbour search of all rows (about 15 times its fit,
which only stores the data, at 1000 x 8). Those ``k`` are the first ``k``
inliers of the row's list of nearest rows among all of them: one search of
``LIST_FACTOR * k`` neighbours per row, by the plain fit's own prediction
(a fifth to a half more than a search of ``k`` at 1000 x 8), serves it,
the median start below and every refit; a row with fewer than ``k``
inliers on its list is searched by the refit's own ``kneighbors``. The
mean over the same neighbours, in the same order, is the prediction
``predict`` gives, up to equidistant rows (which either search may order
differently). Only uniform weights (the default) and non-precomputed
metrics take this route; the fitted estimators and their ``predict`` are
untouched.

The same lists give the k-NN's robust start (:func:`median_start`): each
row's prediction as the median label of its ``k`` nearest *other* rows,
which decides about outliers and starts the EM where the plain fit's
residuals keep none (:func:`sklearn_gum._regressor_em._median_decision`).
A gross label error moves the mean of every row that has it among its
``k`` neighbours by ``1/k`` of itself: on 300 x 3 rows with 20% errors of
10-20 (noise 0.3) the residuals of those rows sat between the inliers'
and the errors', and the decision on the plain fit's residuals kept
nothing in 7 of 9 fits at k = 4 to 6 (3 seeds; all 60 errors flagged at
k = 3, 8 and 10). The median of the others does not move while fewer
than half of them are errors: every error flagged at every k from 3 to
10. The row itself is left out: its own label is the median of a list
that holds it in a fifth to a half of the rows, whose residuals are then
exactly zero, a spike a narrow Gaussian fits, and on clean friedman3
labels (200 x 4, k = 5) that start kept a uniform in 19 of 20 seeds (the
region rule refused 16).
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

    The lists are searched once, at the first prediction from them, by the
    latest fit on every base row (the plain fit, whose own prediction is
    the first), instead of each refit's own search.

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
        """``estimator.predict(X)`` from the lists, or None: an estimator
        not recorded, rows beyond ``base``, or no fit on every base row
        alive to search the lists. The plain fit's own prediction searches
        them: the refits and the median start read them too."""
        rows = self._rows.get(estimator)
        if rows is None or not np.all(self._in_base[rows]) or self.lists() is None:
            return None
        position = np.full(len(self.X), -1)
        position[rows] = np.arange(len(rows))
        return self._from_lists(estimator, position)

    def lists(self):
        """Per training row, the ``LIST_FACTOR * k`` nearest base rows
        (indices of ``X``), nearest first, searched once by the latest fit
        on every base row; None where there is none alive."""
        if self._lists is None:
            base_fit = self._base_fit()
            if base_fit is None:
                return None
            n_listed = min(LIST_FACTOR * base_fit.n_neighbors, len(self.base))
            self._lists = self._rows[base_fit][
                base_fit.kneighbors(self.X, n_listed, return_distance=False)]
        return self._lists

    def median_of_others(self, k, targets):
        """Per training row, the median of ``targets`` (one column) over its
        ``k`` nearest base rows other than itself (a twin, a row with the
        same inputs, stays), from the lists."""
        lists = self.lists()
        neighbours = _first_marked(lists, lists != np.arange(len(lists))[:, None], k)
        return np.median(targets[neighbours, 0], axis=1)[:, None]

    def _from_lists(self, estimator, position):
        """The mean target of each row's first ``k`` listed rows that the
        estimator was fitted on; the estimator's own search for the rows
        with fewer on their list."""
        k = estimator.n_neighbors
        fitted = position[self._lists] >= 0
        complete = fitted.sum(axis=1) >= k
        neighbours = position[_first_marked(self._lists[complete], fitted[complete], k)]
        targets = estimator._y.reshape(len(estimator._y), -1)
        prediction = np.empty((len(self.X), targets.shape[1]))
        prediction[complete] = np.mean(targets[neighbours], axis=1)
        if not complete.all():
            rest = estimator.predict(_safe_indexing(self.X, np.flatnonzero(~complete)))
            prediction[~complete] = np.reshape(rest, (-1, targets.shape[1]))
        return prediction.ravel() if estimator._y.ndim == 1 else prediction


def _first_marked(lists, marked, k):
    """Per row of ``lists``, its first ``k`` entries where ``marked`` is
    True, in list order (rows with fewer take unmarked ones after them)."""
    first = np.argsort(~marked, axis=1, kind="stable")[:, :k]
    return np.take_along_axis(lists, first, axis=1)


def median_start(refit):
    """Predictions of a k-NN's robust start: per training row, the median
    label of its ``k`` nearest other rows (see the module's docstring),
    from the lists of the plain fit; None where the refits do not predict
    from neighbour lists, for several outputs, with at most ``k`` weighted
    rows, or without a plain fit alive."""
    lists = refit.neighbours
    if lists is None or refit.targets.shape[1] != 1:
        return None
    k = refit.estimator.n_neighbors
    if len(lists.base) <= k or lists.lists() is None:
        return None
    return lists.median_of_others(k, refit.targets)
