"""A k-NN's robust start (issue 20): the median label of each row's k
nearest other rows decides about outliers and starts the EM
(sklearn_gum._neighbors_predict.median_start)."""

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.datasets import make_friedman3
from sklearn.neighbors import KNeighborsRegressor

from sklearn_gum import GUMRegressor, _neighbors_predict
from sklearn_gum._neighbors_predict import NeighbourLists, median_start
from sklearn_gum._weighted_fit import WeightedRefit


def _gross_errors(seed):
    """300 x 3 rows of a linear target (noise 0.3), the first 60 moved by
    10 to 20: between the inliers' and the errors' residuals sit the rows
    that have an error among their k neighbours (it moves their mean by
    1/k of itself)."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-2, 2, size=(300, 3))
    y = X @ [1.0, -2.0, 0.5] + rng.normal(scale=0.3, size=300)
    y[:60] += rng.choice([-1, 1], 60) * rng.uniform(10, 20, 60)
    return X, y


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
@pytest.mark.parametrize("seed", [0, 2])
@pytest.mark.parametrize("k", [4, 5, 6])
def test_gross_errors_are_flagged_at_every_k(seed, k):
    """Mutant: the plain fit's residuals decide (no error flagged at these
    k: its decision kept nothing in seeds 0 and 2)."""
    X, y = _gross_errors(seed)
    gum = GUMRegressor(KNeighborsRegressor(n_neighbors=k)).fit(X, y)
    assert (gum.outlier_proba_[:60] > 0.5).all()
    assert (gum.outlier_proba_[60:] > 0.5).sum() <= 2


@pytest.mark.parametrize("seed", [0, 4, 18])
def test_clean_steep_labels_keep_nothing(seed):
    """Mutant: each row's own label among its neighbours. On clean
    friedman3 labels (steep where x1 is small) the median of a list that
    holds the row is its own label in many rows, residuals exactly zero:
    that start kept a uniform in these seeds (20-30% of the rows
    flagged)."""
    X, y = make_friedman3(200, noise=0.1, random_state=seed)
    gum = GUMRegressor(KNeighborsRegressor(n_neighbors=5)).fit(X, y)
    assert not gum.has_outliers_.any() and gum.inlier_mask_.all()


def test_median_of_the_nearest_other_rows():
    """Row 0's nearest others are its twin (row 5, same input) and row 1;
    a row left out of the base (zero weight) keeps its k nearest."""
    X = np.array([[0.0], [1.0], [2.0], [3.0], [10.0], [0.0], [2.5]])
    targets = np.array([[1.0], [5.0], [2.0], [7.0], [100.0], [3.0], [50.0]])
    base = np.arange(6)  # row 6 has no weight
    lists = NeighbourLists(X, base)
    plain = KNeighborsRegressor(n_neighbors=2).fit(X[base], targets[base])
    lists.record(plain, base)
    medians = lists.median_of_others(2, targets)
    # 0: rows 5 and 1 -> (3 + 5) / 2; 1: rows 0/5 (distance 1) and 2 at
    # distance 1 -> the first two listed; 4: rows 3 and 2; 6: rows 2 and 3
    assert medians.shape == (7, 1)
    assert medians[0, 0] == 4.0 and medians[4, 0] == 4.5 and medians[6, 0] == 4.5
    assert medians[3, 0] == np.median(targets[[2, 1], 0])


def test_one_search_and_the_plain_fit_on_clean_data(monkeypatch):
    """A fit that keeps no outliers searches the lists once (2k per row)
    and reads the plain fit's residuals from them: no second search; its
    estimator is the plain fit."""
    rng = np.random.RandomState(1)
    X = rng.normal(size=(300, 3))
    y = X @ [1.0, 2.0, -1.0] + rng.normal(size=300)
    searches = []
    original = KNeighborsRegressor.kneighbors
    monkeypatch.setattr(KNeighborsRegressor, "kneighbors",
                        lambda self, *a, **k: searches.append(a[1:2] or k.get("n_neighbors"))
                        or original(self, *a, **k))
    gum = GUMRegressor(KNeighborsRegressor(n_neighbors=5)).fit(X, y)
    assert not gum.has_outliers_.any()
    assert searches == [(10,)]
    plain = KNeighborsRegressor(n_neighbors=5).fit(X, y)
    X_new = rng.normal(size=(20, 3))
    assert_array_equal(gum.predict(X_new), plain.predict(X_new))


@pytest.mark.parametrize("estimator, n_outputs, n_rows", [
    (KNeighborsRegressor(weights="distance"), 1, 50),
    (KNeighborsRegressor(), 2, 50),
    (KNeighborsRegressor(n_neighbors=5), 1, 5),
])
def test_no_median_start_where_the_lists_do_not_serve(estimator, n_outputs, n_rows):
    """Distance weights (no lists), several outputs, at most k weighted rows
    (k of them: one row's k nearest others would include itself)."""
    rng = np.random.RandomState(0)
    refit = WeightedRefit(estimator, rng.normal(size=(n_rows, 2)),
                          rng.normal(size=(n_rows, n_outputs)), np.ones(n_rows), {},
                          n_outputs == 1)
    plain = refit.fit(refit.blank(), refit.sample_weight)  # kept: the lists need it
    assert plain is not None
    assert median_start(refit) is None


@pytest.mark.parametrize("k", [4, 12])
def test_the_start_reads_the_plain_fits_lists(k):
    """The k nearest others in order, the row itself first on its list
    (lists of 24 entries: an unstable sort would reorder them)."""
    X, y = _gross_errors(1)
    refit = WeightedRefit(KNeighborsRegressor(n_neighbors=k), X, y[:, None],
                          np.ones(300), {}, True)
    assert median_start(refit) is None  # no plain fit yet
    plain = refit.fit(refit.blank(), refit.sample_weight)
    prediction = median_start(refit)
    others = plain.kneighbors(X, k + 1, return_distance=False)
    assert (others[:, 0] == np.arange(300)).all()  # continuous inputs: itself first
    assert_array_equal(prediction[:, 0], np.median(y[others[:, 1:]], axis=1))
    assert _neighbors_predict.LIST_FACTOR * k >= k + 1


def test_the_plain_fit_decides_first(monkeypatch):
    """Where the plain fit's residuals keep an outlier component (k = 10
    on the gross errors) the EM starts from them, as before: no median is
    taken."""
    def refuse(refit):
        raise AssertionError("the median start was taken")

    monkeypatch.setattr("sklearn_gum._regressor_em.median_start", refuse)
    X, y = _gross_errors(0)
    gum = GUMRegressor(KNeighborsRegressor(n_neighbors=10)).fit(X, y)
    assert (gum.outlier_proba_[:60] > 0.5).all()
