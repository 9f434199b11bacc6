"""The independence of the outliers from the inputs, tested before a
flexible regressor keeps an outlier component (sklearn_gum._coherence)."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import sparse
from sklearn.base import clone
from sklearn.datasets import make_friedman3
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.neighbors import KNeighborsRegressor, NearestNeighbors

from sklearn_gum import GUMRegressor, _coherence

RNG = np.random.RandomState(0)
INPUTS = RNG.uniform(-1, 1, size=(500, 3))


def test_flags_of_one_region_are_clustered():
    assert _coherence.clustered(INPUTS, INPUTS[:, 0] < -0.6)  # a fifth of the rows


def test_flags_spread_at_random_are_not_clustered():
    # a test at the 1% level: at most one of 20 random draws refused
    draws = [_coherence.clustered(INPUTS, RNG.uniform(size=500) < 0.2) for _ in range(20)]
    assert sum(draws) <= 1


def test_a_single_flag_is_not_tested():
    flags = np.zeros(500, dtype=bool)
    flags[0] = True
    assert not _coherence.clustered(INPUTS, flags)


def test_numeric_inputs_are_standardised_without_constant_columns():
    X = np.c_[np.arange(4.0), np.ones(4), [1.0, 1.0, 3.0, 3.0]]
    inputs = _coherence.numeric_inputs(X)
    assert inputs.shape == (4, 2)
    assert_allclose(inputs.mean(axis=0), 0, atol=1e-12)
    assert_allclose(inputs.std(axis=0), 1)
    assert _coherence.numeric_inputs(sparse.csr_matrix(X)) is None
    assert _coherence.numeric_inputs(np.array([["a", "b"], ["c", "d"]])) is None
    assert _coherence.numeric_inputs(np.array([[np.nan, 1.0], [0.0, 2.0]])) is None
    assert _coherence.numeric_inputs(np.ones((3, 2))) is None


def test_a_flexible_regressor_keeps_no_outliers_where_its_fit_fails():
    """Mutant: the test left out of the decision.

    Clean friedman3 labels (noise a tenth of the target's sd): k nearest
    neighbours leave large residuals where the target is steep, a uniform
    is kept there and flags a fifth of the rows; those rows are neighbours.
    """
    X, y = make_friedman3(300, noise=0.0, random_state=0)
    y = y + RNG.normal(scale=0.1 * y.std(), size=300)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    y = (y - y.mean()) / y.std()
    gum = GUMRegressor(KNeighborsRegressor(n_neighbors=10)).fit(X, y)
    assert not gum.has_outliers_[0]
    assert gum.outlier_evidence_ > 0
    assert_allclose(gum.predict(X), KNeighborsRegressor(n_neighbors=10).fit(X, y).predict(X))


def test_boosting_refused_after_its_first_stage_returns_its_plain_fit():
    """Mutant: the refused run returns the first stage's model. Histogram
    boosting keeps a uniform on its first stage's residuals; the EM's flags
    are a region, and the answer is the plain fit, made then."""
    X, y = make_friedman3(300, noise=0.0, random_state=0)
    y = y + RNG.normal(scale=0.1 * y.std(), size=300)
    X = (X - X.mean(axis=0)) / X.std(axis=0)
    boosting = HistGradientBoostingRegressor(max_iter=30, random_state=0)
    with warnings.catch_warnings():  # no warning about the EM it did not return
        warnings.simplefilter("error", ConvergenceWarning)
        gum = GUMRegressor(boosting).fit(X, y)
    assert not gum.has_outliers_[0] and gum.outlier_evidence_ > 0
    plain = clone(boosting).fit(X, y)
    assert gum.estimator_.n_iter_ == 30 and not gum.estimator_.warm_start
    assert_allclose(gum.predict(X), plain.predict(X))


def test_label_errors_of_a_flexible_regressor_are_kept():
    X = RNG.uniform(-1, 1, size=(400, 3))
    y = np.sin(3 * X[:, 0]) + X[:, 1] ** 2 + 0.1 * RNG.normal(size=400)
    bad = RNG.uniform(size=400) < 0.15
    y[bad] += RNG.choice([-1, 1], bad.sum()) * RNG.uniform(3, 6, bad.sum())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gum = GUMRegressor(KNeighborsRegressor(n_neighbors=10)).fit(X, y)
    assert gum.has_outliers_[0]
    assert np.mean(~gum.inlier_mask_[bad]) > 0.9 and np.mean(~gum.inlier_mask_[~bad]) < 0.02


def test_join_count_moments_match_random_flags():
    inputs = INPUTS[:300]
    search = NearestNeighbors(n_neighbors=6).fit(inputs)
    neighbours = search.kneighbors(inputs, return_distance=False)[:, 1:]
    rng = np.random.RandomState(1)
    counts = []
    for _ in range(3000):
        flags = np.zeros(300, dtype=bool)
        flags[rng.choice(300, 60, replace=False)] = True
        counts.append(flags[neighbours[flags]].sum())
    mean, sd = _coherence.join_count_moments(neighbours, 60)
    assert mean == pytest.approx(np.mean(counts), rel=0.01)
    assert sd == pytest.approx(np.std(counts), rel=0.05)


def test_a_few_neighbours_among_scattered_flags_are_not_a_region():
    """Mutant: significance alone. 15% of the rows flagged at random and
    the 5% of one edge: the flagged rows' neighbours are flagged 1.6 times
    as often as chance (z about 15), under the ratio of 2 asked for; the
    edge alone is a region."""
    rng = np.random.RandomState(2)
    inputs = rng.uniform(-1, 1, size=(2000, 2))
    edge = inputs[:, 0] < -0.9
    assert not _coherence.clustered(inputs, (rng.uniform(size=2000) < 0.15) | edge)
    assert _coherence.clustered(inputs, edge)


def test_rows_with_equal_inputs_are_neighbours_in_random_order():
    """Mutant: the rows kept in their order. Two binary inputs, four cells
    of about 75 equal rows; the first 20 rows flagged are spread over the
    cells, but the neighbour search would name the first rows of a cell,
    all flagged."""
    codes = (RNG.uniform(-1, 1, size=(300, 2)) > 0).astype(float)
    flags = np.arange(300) < 20
    assert not _coherence.clustered(_coherence.numeric_inputs(codes), flags)


@pytest.mark.parametrize("n_flagged", [2, 4])
def test_join_count_moments_are_exact(n_flagged):
    """Mutants: any term of Cliff and Ord's moments. Every way of flagging
    2 or 4 of 8 rows of a small neighbour graph (with mutual pairs),
    enumerated (with 2 the variance is below 1)."""
    from itertools import combinations

    neighbours = np.array([[1, 2], [0, 3], [0, 1], [4, 5], [3, 6], [6, 7], [5, 0],
                           [2, 5]])
    counts = []
    for chosen in combinations(range(8), n_flagged):
        flags = np.zeros(8, dtype=bool)
        flags[list(chosen)] = True
        counts.append(flags[neighbours[flags]].sum())
    mean, sd = _coherence.join_count_moments(neighbours, n_flagged)
    assert_allclose(mean, np.mean(counts), rtol=1e-12)
    assert_allclose(sd, np.std(counts), rtol=1e-12)
    assert_allclose(_coherence.join_count_mean(8, 2, n_flagged), mean, rtol=1e-12)


def test_a_large_set_is_tested_on_an_evenly_spaced_sample(rows_seen):
    """Mutant: every row searched. 5,000 rows: at most 2,000 (every third
    row) reach the neighbour search, and a region is still found."""
    searched = rows_seen(NearestNeighbors, "fit")
    inputs = np.random.RandomState(3).uniform(-1, 1, size=(5000, 2))
    assert _coherence.clustered(inputs, inputs[:, 0] < -0.6)
    assert searched == [1667]


def test_a_handful_of_rows_is_searched_for_fewer_neighbours():
    """Mutant: more neighbours than the other rows. Six rows, two flagged
    at one end: five neighbours each, and no region can be significant."""
    inputs = np.arange(6.0)[:, None]
    assert not _coherence.clustered(inputs, np.arange(6) < 2)


def test_scattered_flags_are_answered_from_the_flagged_rows_neighbours(rows_seen):
    """Mutants: the early answer off (every row searched), or taken at the
    chance count instead of MIN_RATIO times it. Label errors (20% of 2,000
    rows at random; the neighbours of flagged rows are flagged 1.08 times
    as often as chance, 2.2 sd above it): only the flagged rows are
    searched; a region (4.6 times chance) has all rows searched and is
    found."""
    queried = rows_seen(NearestNeighbors, "kneighbors")
    rng = np.random.RandomState(4)
    inputs = rng.uniform(-1, 1, size=(2000, 2))
    errors = rng.uniform(size=2000) < 0.2
    assert not _coherence.clustered(inputs, errors)
    assert queried == [errors.sum()]
    region = (inputs[:, 0] < -0.8) | (rng.uniform(size=2000) < 0.05)
    assert _coherence.clustered(inputs, region)
    assert queried[1:] == [region.sum(), 2000]


def test_a_count_above_twice_chance_but_within_one_sd_is_no_region():
    """Mutant: the moments' screen answering yes. Four of 300 rows flagged
    at random: one flagged neighbour among them is 2.5 times the chance
    count (0.40) but within one standard deviation of it (0.84), where
    the early answer does not apply and the screen must."""
    rng = np.random.RandomState(0)
    inputs = rng.uniform(-1, 1, size=(300, 2))
    flags = np.zeros(300, dtype=bool)
    flags[rng.choice(300, 4, replace=False)] = True
    assert not _coherence.clustered(inputs, flags)
