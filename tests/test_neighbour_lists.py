"""Predictions of a k-NN's refits from the neighbour lists of the training
rows (issue 20): the same numbers as its ``predict``, for less search."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.neighbors import KNeighborsRegressor
from sklearn.svm import SVR

from sklearn_gum import GUMRegressor
from sklearn_gum._neighbors_predict import (LIST_FACTOR, MAX_ROWS, NeighbourLists,
                                            supports_neighbour_lists)
from sklearn_gum._weighted_fit import WeightedRefit

RNG = np.random.RandomState(0)
X = RNG.normal(size=(400, 4))
Y = np.column_stack([X @ [1.0, -2.0, 0.5, 0.0], np.sin(X[:, 0])]) + RNG.normal(size=(400, 2))


def fitted(estimator, rows, targets):
    return estimator.fit(X[rows], targets[rows])


@pytest.mark.parametrize("estimator", [
    KNeighborsRegressor(), KNeighborsRegressor(n_neighbors=1, algorithm="brute"),
    KNeighborsRegressor(n_neighbors=12, algorithm="kd_tree", p=1),
    KNeighborsRegressor(n_neighbors=8, algorithm="ball_tree", metric="chebyshev"),
])
@pytest.mark.parametrize("n_outputs", [1, 2])
def test_refit_predictions_from_lists_are_its_own_to_the_bit(estimator, n_outputs):
    targets = Y[:, 0] if n_outputs == 1 else Y
    base = np.arange(400)
    lists = NeighbourLists(X, base)
    plain = fitted(KNeighborsRegressor(**estimator.get_params()), base, targets)
    lists.record(plain, base)  # (the lists keep a weak reference to it)
    # a fit on every row: its prediction searches the lists
    assert_array_equal(lists.predict(plain), plain.predict(X))
    for share in (0.95, 0.7, 0.4, 0.1):  # the last: most rows searched again
        rows = np.sort(RNG.choice(400, int(share * 400), replace=False))
        refit = fitted(KNeighborsRegressor(**estimator.get_params()), rows, targets)
        lists.record(refit, rows)
        prediction = lists.predict(refit)
        assert prediction.shape == targets.shape and prediction.dtype == np.float64
        assert_array_equal(prediction, refit.predict(X))


def test_only_rows_with_fewer_than_k_listed_inliers_are_searched_again():
    base = np.arange(400)
    lists = NeighbourLists(X, base)
    plain = fitted(KNeighborsRegressor(n_neighbors=4), base, Y)
    lists.record(plain, base)
    rows = np.flatnonzero(RNG.uniform(size=400) < 0.3)
    refit = fitted(KNeighborsRegressor(n_neighbors=4), rows, Y)
    lists.record(refit, rows)
    searched = []
    own_predict = refit.predict
    refit.predict = lambda queries: searched.append(len(queries)) or own_predict(queries)
    assert_array_equal(lists.predict(refit), own_predict(X))
    listed = plain.kneighbors(X, LIST_FACTOR * 4, return_distance=False)
    short = np.isin(listed, rows).sum(axis=1) < 4
    assert 0 < short.sum() < 400 and searched == [short.sum()]


def test_lists_are_searched_once_by_the_plain_fits_prediction(monkeypatch):
    base = np.arange(400)
    lists = NeighbourLists(X, base)
    plain = fitted(KNeighborsRegressor(n_neighbors=5), base, Y)
    expected = plain.predict(X)
    lists.record(plain, base)
    searches = []
    search = plain.kneighbors
    monkeypatch.setattr(plain, "kneighbors", lambda *a, **k: searches.append(a[1]) or search(*a, **k))
    assert_array_equal(lists.predict(plain), expected)
    assert searches == [LIST_FACTOR * 5]
    for seed in range(3):
        rows = np.sort(np.random.RandomState(seed).choice(400, 300, replace=False))
        refit = fitted(KNeighborsRegressor(n_neighbors=5), rows, Y)
        lists.record(refit, rows)
        assert_array_equal(lists.predict(refit), refit.predict(X))
    assert searches == [LIST_FACTOR * 5]  # once, by the plain fit's prediction


def test_no_lists_once_the_plain_fit_is_gone():
    base = np.arange(400)
    lists = NeighbourLists(X, base)
    lists.record(fitted(KNeighborsRegressor(), base, Y), base)  # not kept
    rows = base[50:]
    refit = fitted(KNeighborsRegressor(), rows, Y)
    lists.record(refit, rows)
    assert lists.predict(refit) is None and lists._lists is None


def test_a_list_is_never_longer_than_the_rows():
    few = np.arange(10)
    lists = NeighbourLists(X[:10], few)
    plain = fitted(KNeighborsRegressor(n_neighbors=5), few, Y)
    lists.record(plain, few)
    rows = np.arange(7)
    refit = fitted(KNeighborsRegressor(n_neighbors=5), rows, Y)
    lists.record(refit, rows)
    assert_array_equal(lists.predict(refit), refit.predict(X[:10]))
    assert lists._lists.shape == (10, 10)


def test_no_lists_without_a_fit_on_every_base_row_or_beyond_the_base():
    base = np.arange(1, 400)  # row 0 has no weight
    lists = NeighbourLists(X, base)
    half = fitted(KNeighborsRegressor(), base[::2], Y)
    lists.record(half, base[::2])
    assert lists.predict(half) is None  # no fit on every base row yet
    plain = fitted(KNeighborsRegressor(), base, Y)
    assert lists.predict(plain) is None  # not recorded
    lists.record(plain, base)
    assert_array_equal(lists.predict(half), half.predict(X))
    beyond = fitted(KNeighborsRegressor(), np.arange(300), Y)
    lists.record(beyond, np.arange(300))
    assert lists.predict(beyond) is None


def test_which_regressors_take_the_lists():
    assert supports_neighbour_lists(KNeighborsRegressor(), MAX_ROWS)
    assert not supports_neighbour_lists(KNeighborsRegressor(), MAX_ROWS + 1)
    assert not supports_neighbour_lists(KNeighborsRegressor(weights="distance"), 400)
    assert not supports_neighbour_lists(KNeighborsRegressor(metric="precomputed"), 400)
    assert not supports_neighbour_lists(SVR(), 400)
    assert WeightedRefit(SVR(), X, Y[:, :1], np.ones(400), {}, True).neighbours is None


def test_gum_fit_with_lists_is_the_fit_without(monkeypatch):
    """Each refit of the EM predicts the training rows from the lists, and
    the fit is the one without them to the bit (both from the plain fit's
    residuals: the median start needs the lists)."""
    y = Y[:, 0].copy()
    y[:80] += RNG.choice([-1, 1], 80) * RNG.uniform(15, 30, 80)
    monkeypatch.setattr("sklearn_gum._regressor_em.median_start", lambda refit: None)
    used = []
    from_lists = NeighbourLists._from_lists
    monkeypatch.setattr(NeighbourLists, "_from_lists",
                        lambda self, est, position: used.append(1)
                        or from_lists(self, est, position))
    with_lists = GUMRegressor(KNeighborsRegressor(n_neighbors=10)).fit(X, y)
    # the plain fit's prediction, then every refit's
    assert with_lists.n_iter_ >= 2 and len(used) == with_lists.n_iter_ + 1
    monkeypatch.setattr("sklearn_gum._weighted_fit.supports_neighbour_lists",
                        lambda estimator, n_rows: False)
    without = GUMRegressor(KNeighborsRegressor(n_neighbors=10)).fit(X, y)
    assert len(used) == with_lists.n_iter_ + 1
    assert_array_equal(with_lists.outlier_proba_, without.outlier_proba_)
    assert_array_equal(with_lists.predict(X), without.predict(X))
    assert with_lists.n_iter_ == without.n_iter_
