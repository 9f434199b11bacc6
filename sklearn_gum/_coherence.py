"""Whether the rows an EM flags are scattered over the inputs.

The mixture's outliers are label errors: whether a row is one does not
depend on its inputs. A flexible regressor also leaves large residuals
where it fails to follow a clean target (a steep region, say), and those
rows are neighbours in the input space. After the EM, among the 10 nearest
neighbours (standardised inputs) of a flagged row, clean friedman3 labels
(``bench_clean_shapes``) flagged 2.8-5.1 times the share that flags spread
at random give (z 11-41), 20-40% label errors on friedman1 0.89-1.11 times
(z -2.4 to 2.2), over six flexible families of ``bench_any_regressor`` and
4 seeds.

:func:`clustered` tests the independence the model assumes: the number of
flagged neighbours of flagged rows against its distribution when as many
flags are spread at random over the same rows (a one-sided permutation
test at ``LEVEL``), and asks for at least ``MIN_RATIO`` times the count
that chance gives, so that label errors are not refused in ``LEVEL`` of
the fits. The join-count moments of that distribution (Cliff and Ord
1981) screen first: below ``SCREEN`` standard deviations above its mean
(a normal tail of 16%) no permutation is drawn. It reads numeric inputs
only (:func:`numeric_inputs`), on an evenly spaced sample of at most
``MAX_ROWS`` rows. Its cost is a nearest-neighbour search of the flagged
rows among at most that many (3 ms for 20% of 2,000 x 8), which answers
label errors (their count is under ``MIN_RATIO`` times chance); only a
count above it searches the other rows too (13 ms at 2,000 x 8). Half as
many rows lose power: on clean friedman3 labels at 4,000 x 8
(``bench_clean_shapes``) histogram boosting kept outliers in 2 of 5 seeds
with a sample of 1,000 rows, in none with 2,000.
"""

import numpy as np
from scipy import sparse
from scipy.special import poch
from sklearn.neighbors import NearestNeighbors

N_NEIGHBORS = 10
MAX_ROWS = 2000
N_PERMUTATIONS = 200
LEVEL = 0.01
SCREEN = 1.0
MIN_RATIO = 2.0


def numeric_inputs(X):
    """``X`` standardised, without its constant columns, as a dense float
    array; None where it is not a finite numeric 2-D array (sparse, text,
    objects): the test then does not apply."""
    if sparse.issparse(X):
        return None
    try:
        X = np.asarray(X, dtype=float)
    except (TypeError, ValueError):
        return None
    if X.ndim != 2 or not np.isfinite(X).all():
        return None
    scale = X.std(axis=0)
    varying = scale > 0
    if not varying.any():
        return None
    X = X[:, varying]
    return (X - X.mean(axis=0)) / scale[varying]


def clustered(inputs, flags, random_state=0):
    """Whether the flagged rows' nearest neighbours are flagged at least
    ``MIN_RATIO`` times as often as flags spread at random would be, and
    significantly more (permutation p-value below ``LEVEL``).

    Parameters
    ----------
    inputs : ndarray of shape (n_samples, n_features)
        From :func:`numeric_inputs`.
    flags : ndarray of bool of shape (n_samples,)
    random_state : int, default=0
        Seed of the row order and the permutations: the test gives one
        answer per data set.

    Returns
    -------
    bool
    """
    rng = np.random.RandomState(random_state)
    rows = np.arange(0, len(flags), -(-len(flags) // MAX_ROWS))
    # in random order: among rows with equal inputs (codes, categories) the
    # neighbour search would otherwise prefer the first rows, flagged or not
    rows = rows[rng.permutation(len(rows))]
    inputs, flags = inputs[rows], np.asarray(flags, dtype=bool)[rows]
    n_flagged = int(flags.sum())
    n_neighbors = min(N_NEIGHBORS, len(flags) - 1)
    if n_flagged < 2 or n_neighbors < 1:
        return False
    search = NearestNeighbors(n_neighbors=n_neighbors + 1, algorithm="brute")
    search.fit(inputs)
    # the flagged rows' neighbours first: below MIN_RATIO times the chance
    # count the answer is no, whatever the rest of the graph
    near_flagged = search.kneighbors(inputs[flags], return_distance=False)[:, 1:]
    observed = flags[near_flagged].sum()
    if observed < MIN_RATIO * join_count_mean(len(flags), n_neighbors, n_flagged):
        return False
    neighbours = search.kneighbors(inputs, return_distance=False)[:, 1:]
    # (among equidistant rows the search may name others for a different
    # query set: the count and its distribution are read on one graph)
    observed = flags[neighbours[flags]].sum()
    mean, sd = join_count_moments(neighbours, n_flagged)
    if observed < max(mean + SCREEN * sd, MIN_RATIO * mean):
        return False
    as_many = 0
    for _ in range(N_PERMUTATIONS):
        spread = np.zeros(len(flags), dtype=bool)
        spread[rng.choice(len(flags), n_flagged, replace=False)] = True
        as_many += spread[neighbours[spread]].sum() >= observed
    return (1 + as_many) / (1 + N_PERMUTATIONS) < LEVEL


def join_count_moments(neighbours, n_flagged):
    """Mean and standard deviation of the flagged-to-flagged neighbour
    count when ``n_flagged`` of the rows are flagged at random (Cliff and
    Ord's join count, sampling without replacement, for the directed
    neighbour graph ``neighbours``, one row of indices per row)."""
    n_rows, k = neighbours.shape
    graph = sparse.csr_matrix(
        (np.ones(n_rows * k), neighbours.ravel(), np.arange(0, n_rows * k + 1, k)),
        shape=(n_rows, n_rows))
    s0 = n_rows * k
    s1 = 2 * s0 + 2 * graph.multiply(graph.T).nnz  # sum of (w_ij + w_ji)^2
    s2 = float(((k + np.asarray(graph.sum(axis=0)).ravel()) ** 2).sum())
    share = [_all_flagged(j, n_rows, n_flagged) for j in (2, 3, 4)]
    mean = s0 * share[0]
    variance = (s1 / 2 * share[0] + (s2 - s1) * share[1]
                + (s0**2 + s1 / 2 - s2) * share[2]) - mean**2
    return mean, np.sqrt(max(variance, 0.0))


def join_count_mean(n_rows, n_neighbors, n_flagged):
    """Mean of the flagged-to-flagged neighbour count when ``n_flagged`` of
    ``n_rows`` rows, each with ``n_neighbors`` neighbours, are flagged at
    random (that of :func:`join_count_moments`, from the counts alone)."""
    return n_rows * n_neighbors * _all_flagged(2, n_rows, n_flagged)


def _all_flagged(j, n_rows, n_flagged):
    """The chance that ``j`` given rows are all flagged: the falling
    factorials ``n(n-1)... / N(N-1)...``."""
    return poch(n_flagged - j + 1, j) / poch(n_rows - j + 1, j)
