"""Statistical comparison of regressors: Wilcoxon tests and median CIs.

A single run's mean error proves nothing. The protocol implemented here:
train each method several times, compare methods on *paired per-sample*
errors with the Wilcoxon signed-rank test, and report the distribution-free
confidence interval of each method's median error.

Public functions
----------------
median_confidence_interval
    Order-statistic (binomial) confidence interval of a median.
paired_wilcoxon
    Wilcoxon signed-rank test with the Hodges-Lehmann shift estimate, its
    confidence interval and the matched-pairs rank-biserial effect size.
compare_estimators
    Repeated fits of several estimators, pairwise tests with a
    multiple-comparison correction, and a printable/plottable summary.

Only numpy, scipy and scikit-learn are needed; pandas (``to_frame``) and
matplotlib (``plot``) are imported lazily.
"""

import copy
import html
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import special, stats
from sklearn.base import clone
from sklearn.model_selection import KFold, ShuffleSplit, check_cv
from sklearn.utils import _safe_indexing, check_random_state
from sklearn.utils.parallel import Parallel, delayed
from sklearn.utils.validation import _num_samples

__all__ = [
    "ComparisonResult",
    "MedianCI",
    "WilcoxonResult",
    "compare_estimators",
    "median_confidence_interval",
    "paired_wilcoxon",
]

_ALTERNATIVES = ("two-sided", "less", "greater")
_CORRECTIONS = ("holm", "bonferroni", "none")
# n <= _EXACT_MAX: exact signed-rank distribution (as scipy.stats.wilcoxon).
_EXACT_MAX = 50
# Walsh-sum selection: values drawn per sampling round.
_SAMPLE_SIZE = 1 << 16


# --------------------------------------------------------------------------
# Result objects
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class MedianCI:
    """Median and its distribution-free confidence interval.

    Attributes
    ----------
    median : float
        Sample median.
    low, high : float
        Order statistics bounding the interval; ``-inf``/``inf`` when the
        sample is too small to reach the requested level.
    coverage : float
        Achieved (binomial) coverage of ``[low, high]``, at least
        ``confidence_level``.
    confidence_level : float
        Requested coverage.
    n : int
        Sample size.
    """

    median: float
    low: float
    high: float
    coverage: float
    confidence_level: float
    n: int


@dataclass(frozen=True)
class WilcoxonResult:
    """Result of :func:`paired_wilcoxon`.

    Attributes
    ----------
    statistic : float
        Signed-rank statistic as :func:`scipy.stats.wilcoxon` reports it:
        ``min(R+, R-)`` for a two-sided test, ``R+`` otherwise.
    pvalue : float
        p-value of the test.
    estimate : float
        Hodges-Lehmann estimate of the shift ``a - b`` (median of the Walsh
        averages of the differences).
    low, high : float
        Confidence interval of the shift (one-sided alternatives give an
        infinite bound).
    effect_size : float
        Matched-pairs rank-biserial correlation ``(R+ - R-) / (R+ + R-)``
        in [-1, 1]; negative when ``a`` tends to be smaller than ``b``.
    n : int
        Number of pairs.
    n_zeros : int
        Zero differences, dropped from the test (Wilcoxon's convention)
        but kept in the Hodges-Lehmann estimate.
    coverage : float
        Achieved coverage of ``[low, high]``.
    method : str
        How the p-value was computed: "exact", "permutation" (exact
        conditional on ties) or "asymptotic".
    alternative : str
        Alternative hypothesis about ``a - b``.
    confidence_level : float
        Requested coverage of the interval.
    note : str
        Empty, or why a result is degenerate.
    """

    statistic: float
    pvalue: float
    estimate: float
    low: float
    high: float
    effect_size: float
    n: int
    n_zeros: int
    coverage: float
    method: str
    alternative: str
    confidence_level: float
    note: str = ""


# --------------------------------------------------------------------------
# Input validation
# --------------------------------------------------------------------------


def _as_errors(values, name):
    """Return ``values`` as a non-empty finite 1-D float array."""
    arr = np.asarray(values, dtype=float)
    if arr.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional, got shape {arr.shape}.")
    if arr.size == 0:
        raise ValueError(f"{name} must not be empty.")
    if np.isnan(arr).any():
        raise ValueError(f"{name} contains NaN.")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name} contains infinite values.")
    return arr


def _check_level(confidence_level):
    if not (isinstance(confidence_level, numbers.Real) and 0 < confidence_level < 1):
        raise ValueError(
            f"confidence_level must be in (0, 1), got {confidence_level!r}."
        )
    return float(confidence_level)


def _check_choice(value, name, choices):
    if value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}.")
    return value


# --------------------------------------------------------------------------
# Median confidence interval
# --------------------------------------------------------------------------


def _median_ci_ranks(n, confidence_level):
    """1-based ranks of the order statistics bounding the median.

    Returns ``(lower, upper, coverage)``; ``lower = 0`` means the level
    cannot be reached: the interval is infinite.
    """
    tail = (1 - confidence_level) / 2
    # The largest rank l with P(B <= l - 1) <= tail, B ~ Binomial(n, 1/2).
    cdf = stats.binom.cdf(np.arange(n), n, 0.5)
    lower = int(np.searchsorted(cdf, tail * (1 + 1e-12), side="right"))
    if lower == 0:
        return 0, n + 1, 1.0
    return lower, n + 1 - lower, float(1 - 2 * cdf[lower - 1])


def median_confidence_interval(errors, confidence_level=0.95):
    """Distribution-free confidence interval of the median.

    Parameters
    ----------
    errors : array-like of shape (n_samples,)
        Sample, typically per-sample prediction errors.
    confidence_level : float, default=0.95
        Requested coverage.

    Returns
    -------
    result : MedianCI
        Median, order-statistic bounds and achieved coverage.

    See Also
    --------
    scipy.stats.quantile_test : gives the same exact interval.

    Notes
    -----
    With ``B ~ Binomial(n, 1/2)`` the number of observations below the
    median, ``P(x_(l) <= median <= x_(n+1-l)) >= 1 - 2 P(B <= l - 1)`` for
    any continuous distribution. ``l`` is the largest rank whose coverage
    is at least ``confidence_level``; the achieved coverage is returned.
    When even ``[x_(1), x_(n)]`` falls short (``n <= 5`` at 95%), the
    interval is infinite with coverage 1.

    References
    ----------
    .. [1] Hollander, Wolfe and Chicken (2014). Nonparametric Statistical
       Methods, 3rd ed., Section 3.6. Wiley.

    Examples
    --------
    >>> from sklearn_gum.model_selection import median_confidence_interval
    >>> ci = median_confidence_interval(range(1, 21))
    >>> ci.median, ci.low, ci.high, round(ci.coverage, 4)
    (10.5, 6.0, 15.0, 0.9586)
    """
    x = np.sort(_as_errors(errors, "errors"))
    confidence_level = _check_level(confidence_level)
    lower, upper, coverage = _median_ci_ranks(x.size, confidence_level)
    low = x[lower - 1] if lower > 0 else -np.inf
    high = x[upper - 1] if lower > 0 else np.inf
    return MedianCI(
        median=float(np.median(x)),
        low=float(low),
        high=float(high),
        coverage=coverage,
        confidence_level=confidence_level,
        n=x.size,
    )


# --------------------------------------------------------------------------
# Signed-rank statistic and p-value
# --------------------------------------------------------------------------


def _signed_rank_pmf(n):
    """Exact null distribution of ``R+`` for ``n`` untied nonzero pairs."""
    counts = np.zeros(n * (n + 1) // 2 + 1)
    counts[0] = 1.0
    for k in range(1, n + 1):  # include rank k or not: counts(s) + counts(s - k)
        counts[k:] = counts[k:] + counts[:-k]
    return counts / 2.0**n


def _signed_ranks(d):
    """``R+`` and the tie term ``sum(t**3 - t)`` of nonzero differences.

    Ties of ``|d|`` get their average rank; sorted ``d`` sorts fastest.
    """
    absd = np.abs(d)
    order = np.argsort(absd)
    sorted_abs = absd[order]
    starts = np.flatnonzero(np.r_[True, sorted_abs[1:] != sorted_abs[:-1]])
    sizes = np.diff(np.r_[starts, d.size]).astype(float)
    ranks = np.repeat(starts + (sizes + 1) / 2, sizes.astype(np.intp))
    r_plus = float(ranks[d[order] > 0].sum())
    return r_plus, float(np.sum(sizes**3 - sizes))


def _asymptotic_pvalue(r_plus, n, tie_term, alternative):
    """Normal approximation with tie and continuity corrections.

    Same formula as ``scipy.stats.wilcoxon(..., correction=True,
    method="asymptotic")``.
    """
    mean = n * (n + 1) / 4
    sd = np.sqrt(n * (n + 1) * (2 * n + 1) / 24 - tie_term / 48)
    z = (r_plus - mean) / sd
    sign = {"greater": 1.0, "less": -1.0}.get(alternative, np.sign(z))
    z -= sign * 0.5 / sd
    if alternative == "greater":
        return float(special.ndtr(-z))
    if alternative == "less":
        return float(special.ndtr(z))
    return float(2 * special.ndtr(-abs(z)))


def _signed_rank_test(d, alternative):
    """Statistic, p-value, effect size and method for nonzero ``d``."""
    n = d.size
    r_plus, tie_term = _signed_ranks(d)
    total = n * (n + 1) / 2
    effect_size = (2 * r_plus - total) / total
    if n > _EXACT_MAX:
        method = "asymptotic"
        pvalue = _asymptotic_pvalue(r_plus, n, tie_term, alternative)
    else:  # scipy's "auto" makes the same choice of method
        method = (
            "exact" if tie_term == 0 else "permutation" if n <= 13 else "asymptotic"
        )
        res = stats.wilcoxon(d, correction=True, alternative=alternative)
        pvalue = float(res.pvalue)
    statistic = min(r_plus, total - r_plus) if alternative == "two-sided" else r_plus
    return float(statistic), pvalue, float(effect_size), method


# --------------------------------------------------------------------------
# Hodges-Lehmann estimate: selection among the n(n+1)/2 Walsh sums
# --------------------------------------------------------------------------


class _Cut(NamedTuple):
    """The Walsh sums ``d_i + d_j`` (``i <= j``) at most ``value``.

    ``idx[i]`` is the end of row ``i``'s prefix: sums with ``i <= j <
    idx[i]`` are inside the cut (``< value`` when ``strict``).
    """

    idx: np.ndarray
    total: int
    value: float
    strict: bool


def _bisect_prefix(d, d_rows, value, inside):
    """Exact prefix ends by vectorised bisection (rows hit by rounding)."""
    lo = np.zeros(d_rows.size, dtype=np.intp)
    hi = np.full(d_rows.size, d.size, dtype=np.intp)
    while np.any(active := lo < hi):
        mid = (lo + hi) // 2
        ok = inside(d_rows + d[np.minimum(mid, d.size - 1)], value)
        lo = np.where(active & ok, mid + 1, lo)
        hi = np.where(active & ~ok, mid, hi)
    return lo


def _cut(d, value, strict=False):
    """Cut of the Walsh sums of sorted ``d`` at ``value``, O(n log n).

    ``searchsorted`` on ``value - d_i`` finds each row's prefix; rows where
    rounding makes it disagree with the computed sum ``d_i + d_j`` are
    bisected, so counts and enumerated sums are exactly consistent.
    """
    n = d.size
    side = "left" if strict else "right"
    inside = np.less if strict else np.less_equal
    rows = np.arange(n)
    idx = rows.copy()
    # A row holds sums inside the cut only if 2 * d_i is inside.
    m = int(np.searchsorted(d, value / 2, side=side))
    head, d_head = idx[:m], d[:m]
    # Ascending keys make searchsorted markedly faster: search reversed rows.
    head[::-1] = np.searchsorted(d, value - d_head[::-1], side=side)
    prev_ok = (head == 0) | inside(d_head + d[np.maximum(head - 1, 0)], value)
    next_ok = (head == n) | ~inside(d_head + d[np.minimum(head, n - 1)], value)
    bad = np.flatnonzero(~(prev_ok & next_ok))
    if bad.size:
        head[bad] = _bisect_prefix(d, d_head[bad], value, inside)
    np.maximum(head, rows[:m], out=head)
    return _Cut(idx, int(np.sum(idx - rows)), float(value), strict)


def _sums_between(d, lo, hi):
    """All Walsh sums inside ``hi`` but not inside ``lo``."""
    width = hi.idx - lo.idx
    rows = np.flatnonzero(width)
    width = width[rows]
    offsets = np.cumsum(width) - width
    row_of = np.repeat(rows, width)
    col_of = np.repeat(lo.idx[rows] - offsets, width) + np.arange(width.sum())
    return d[row_of] + d[col_of]


def _sample_between(d, lo, hi, size, rng):
    """Sorted sample (with replacement) of the Walsh sums between cuts."""
    width = hi.idx - lo.idx
    ends = np.cumsum(width)
    u = np.sort(rng.integers(0, ends[-1], size=size))
    row_of = np.searchsorted(ends, u, side="right")
    col_of = lo.idx[row_of] + u - (ends[row_of] - width[row_of])
    return np.sort(d[row_of] + d[col_of])


def _clusters(left, right):
    """Merge sorted windows ``[left_k, right_k]``; yield (left, right)."""
    breaks = np.flatnonzero(left[1:] > right[:-1]) + 1
    firsts, lasts = np.r_[0, breaks], np.r_[breaks, left.size] - 1
    return [(left[f], right[t]) for f, t in zip(firsts, lasts, strict=True)]


def _sampled_pivots(d, ranks, lo, hi, rng):
    """Pivots bracketing ``ranks`` from sample quantiles (always progress).

    A cluster whose bracket is a single sample value ``v`` gets both
    ``< v`` and ``<= v`` cuts, which resolves heavily tied sums.
    """
    m = _SAMPLE_SIZE
    sample = _sample_between(d, lo, hi, m, rng)
    pos = (ranks - lo.total - 0.5) / (hi.total - lo.total) * m
    half = 3 * np.sqrt(m)  # >= 6 standard deviations of a sample rank
    left = np.floor(pos - half).astype(np.int64)
    right = np.ceil(pos + half).astype(np.int64)
    pivots = []
    for j_lo, j_hi in _clusters(left, right):
        a = sample[j_lo] if j_lo >= 0 else None
        b = sample[j_hi] if j_hi < m else None
        if a is None or b is None or a == b:
            v = sample[m // 2] if a is None and b is None else b if a is None else a
            pivots += [(v, True), (v, False)]
        else:
            pivots += [(a, False), (b, False)]
    return pivots


def _interpolate(ranks, points):
    """Inverse interpolation: value at ``ranks`` through 2 or 3 knots.

    ``points`` holds ``(total, value)`` knots, the bracketing pair first.
    The quadratic is used only where it stays inside the bracket.
    """
    (x0, y0), (x1, y1) = points[:2]
    linear = y0 + (ranks - x0) / (x1 - x0) * (y1 - y0)
    if len(points) < 3:
        return linear
    x2, y2 = points[2]
    quad = (
        y0 * (ranks - x1) * (ranks - x2) / ((x0 - x1) * (x0 - x2))
        + y1 * (ranks - x0) * (ranks - x2) / ((x1 - x0) * (x1 - x2))
        + y2 * (ranks - x0) * (ranks - x1) / ((x2 - x0) * (x2 - x1))
    )
    return np.where((quad > y0) & (quad < y1), quad, linear)


class _WalshSelection:
    """Exact selection among the Walsh sums of sorted ``d`` (see
    :func:`_walsh_order_statistics`); remembers every cut as a knot
    ``(total, value)`` of the count function for later interpolation."""

    def __init__(self, d, cap):
        self.d, self.cap = d, cap
        self.rng = np.random.default_rng(0)
        self.knots = {}

    def cut(self, value, strict):
        cut = _cut(self.d, value, strict)
        if not strict:
            self.knots[cut.total] = cut.value
        return cut

    def third_knot(self, lo, hi):
        """Nearest knot outside ``[lo, hi]`` 1/4 to 4 widths away, or None.

        Closer knots would make the quadratic follow local noise.
        """
        width = hi.total - lo.total
        dist = {
            t: max(lo.total - t, t - hi.total)
            for t, v in self.knots.items()
            if np.isfinite(v) and (t < lo.total or t > hi.total)
        }
        near = [t for t in dist if width / 4 <= dist[t] <= 4 * width]
        return min(near, key=dist.get) if near else None

    def interpolated_pivots(self, ranks, lo, hi):
        """Pivots from the knots; a lone bracket first gets a single probe."""
        if (
            not (np.isfinite(lo.value) and np.isfinite(hi.value))
            or hi.value <= lo.value
        ):
            return []
        points = [(lo.total, lo.value), (hi.total, hi.value)]
        third = self.third_knot(lo, hi)
        if third is None:  # probe: a third knot makes the next guess quadratic
            guess = _interpolate(ranks[[ranks.size // 2]] - 0.5, points)
            return [(g, False) for g in guess if lo.value < g < hi.value]
        guess = _interpolate(ranks - 0.5, [*points, (third, self.knots[third])])
        half = 0.25 * self.cap / (hi.total - lo.total) * (hi.value - lo.value)
        pivots = []
        for t_lo, t_hi in _clusters(guess - half, guess + half):
            pivots += [(t, False) for t in (t_lo, t_hi) if lo.value < t < hi.value]
        return pivots

    def refine(self, ranks, lo, hi, tries=0):
        """Walsh sums of 1-based ``ranks``, all in ``(lo.total, hi.total]``.

        ``tries`` interpolation rounds are allowed before sampling again
        unless a round shrinks the bracket eightfold.
        """
        if lo.value == hi.value and lo.strict and not hi.strict:
            return np.full(ranks.size, hi.value)  # every sum between equals value
        if hi.total - lo.total <= self.cap:
            kth = ranks - lo.total - 1
            return np.partition(_sums_between(self.d, lo, hi), kth)[kth]
        pivots = self.interpolated_pivots(ranks, lo, hi) if tries > 0 else []
        if not pivots:
            pivots, tries = _sampled_pivots(self.d, ranks, lo, hi, self.rng), 3
        # Pivots are sorted by (value, strict first): the cuts are nested.
        cuts = [lo, *(self.cut(v, strict) for v, strict in pivots), hi]
        out = np.empty(ranks.size)
        for a, b in zip(cuts[:-1], cuts[1:], strict=True):
            sel = (ranks > a.total) & (ranks <= b.total)
            if sel.any():
                shrunk = 8 * (b.total - a.total) <= hi.total - lo.total
                out[sel] = self.refine(ranks[sel], a, b, 2 if shrunk else tries - 1)
        return out


def _walsh_order_statistics(d_sorted, ranks, cap=None):
    """Order statistics of the Walsh sums ``d_i + d_j``, ``i <= j``.

    Parameters
    ----------
    d_sorted : ndarray of shape (n,)
        Sorted differences.
    ranks : array-like of int
        1-based ranks among the ``n (n + 1) / 2`` sums.
    cap : int, default=None
        Enumerate the sums once at most ``cap`` remain between two cuts;
        default ``max(2 n, 65536)``.

    Returns
    -------
    sums : ndarray
        The selected sums (twice the Walsh averages), in the order of
        ``ranks``.

    Notes
    -----
    Exact selection in O(n log n) per round without forming the sums:
    a "cut" at value ``t`` counts the sums ``<= t`` row by row with
    ``searchsorted`` on the sorted ``d`` (the sums form a matrix sorted
    along rows and columns). A first round brackets the ranks between
    quantiles of a random sample of sums (Floyd-Rivest); later rounds
    interpolate the count function through the cuts already made (one
    probe, then quadratic), and the few sums left are enumerated and
    partitioned. About nine cuts suffice for smooth data; ties and odd
    shapes fall back on sampling rounds, which always progress. The
    random generator is fixed: results are deterministic.
    """
    n = d_sorted.size
    cap = max(2 * n, 1 << 16) if cap is None else cap
    lo = _Cut(np.arange(n), 0, -np.inf, False)
    hi = _Cut(np.full(n, n), n * (n + 1) // 2, np.inf, False)
    ranks = np.asarray(ranks, dtype=np.int64)
    order = np.argsort(ranks)
    out = np.empty(ranks.size)
    out[order] = _WalshSelection(d_sorted, cap).refine(ranks[order], lo, hi)
    return out


def _walsh_ci_ranks(n, confidence_level, alternative):
    """1-based ranks of the Walsh averages bounding the shift's interval.

    Returns ``(k_low, k_high, coverage)``; ``k_low = 0`` / ``k_high = M +
    1`` (``M = n (n + 1) / 2``) stand for an infinite bound.
    """
    total = n * (n + 1) // 2
    sides = 2 if alternative == "two-sided" else 1
    tail = (1 - confidence_level) / sides
    if n <= _EXACT_MAX:  # largest k with P(R+ <= k - 1) <= tail
        cdf = np.cumsum(_signed_rank_pmf(n))
        k = int(np.searchsorted(cdf, tail * (1 + 1e-12), side="right"))
        miss = cdf[k - 1] if k > 0 else 0.0
    else:  # normal approximation with continuity correction
        sd = np.sqrt(n * (n + 1) * (2 * n + 1) / 24)
        k = max(int(np.floor(total / 2 + 0.5 + special.ndtri(tail) * sd)), 0)
        miss = special.ndtr((k - 0.5 - total / 2) / sd) if k > 0 else 0.0
    k_low = k if alternative != "less" else 0
    k_high = total + 1 - k if alternative != "greater" else total + 1
    if k == 0:
        k_low, k_high = 0, total + 1
    return k_low, k_high, float(1 - sides * miss)


def _hodges_lehmann(d, confidence_level, alternative):
    """Hodges-Lehmann estimate, interval bounds and coverage of sorted ``d``."""
    n = d.size
    total = n * (n + 1) // 2
    k_low, k_high, coverage = _walsh_ci_ranks(n, confidence_level, alternative)
    mid = [(total + 1) // 2, total // 2 + 1]
    wanted = np.unique([k for k in [*mid, k_low, k_high] if 1 <= k <= total])
    sums = dict(zip(wanted.tolist(), _walsh_order_statistics(d, wanted), strict=True))
    estimate = (sums[mid[0]] + sums[mid[1]]) / 4
    low = sums[k_low] / 2 if k_low >= 1 else -np.inf
    high = sums[k_high] / 2 if k_high <= total else np.inf
    return float(estimate), float(low), float(high), coverage


def paired_wilcoxon(
    errors_a, errors_b, *, alternative="two-sided", confidence_level=0.95
):
    """Wilcoxon signed-rank test with Hodges-Lehmann shift and its interval.

    Parameters
    ----------
    errors_a, errors_b : array-like of shape (n_pairs,)
        Paired values, e.g. the per-sample errors of two estimators on the
        same test rows.
    alternative : {"two-sided", "less", "greater"}, default="two-sided"
        Alternative about the shift ``a - b``: "less" means ``a`` tends to
        be smaller than ``b``.
    confidence_level : float, default=0.95
        Coverage of the interval of the shift; one-sided for one-sided
        alternatives.

    Returns
    -------
    result : WilcoxonResult
        Statistic, p-value, Hodges-Lehmann estimate of ``a - b`` with
        ``low``/``high``, rank-biserial effect size, ``n`` and ``n_zeros``.

    See Also
    --------
    scipy.stats.wilcoxon : the test alone.
    median_confidence_interval : interval of a single median.

    Notes
    -----
    Zero differences are dropped before the test (Wilcoxon's method), which
    then runs on the nonzero ones. For up to 50 of them the p-value is
    :func:`scipy.stats.wilcoxon`'s: exact without ties, a complete
    permutation test with ties and at most 13 pairs, otherwise the normal
    approximation with tie and continuity corrections, which is also used
    (vectorised, same formula) above 50 pairs.

    The Hodges-Lehmann estimate is the median of the ``M = n (n + 1) / 2``
    Walsh averages ``(d_i + d_j) / 2``, ``i <= j``, of all ``n``
    differences. The interval is ``[W_(k), W_(M + 1 - k)]`` with ``k`` the
    largest rank such that ``P(R+ <= k - 1) <= (1 - level) / 2`` under
    the null distribution of ``R+`` for ``n`` pairs: exact up to 50 pairs,
    normal (with continuity correction) above. The order statistics are
    selected in O(n log n) per round without forming the Walsh averages,
    so a million pairs take a fraction of a second.

    The effect size is the matched-pairs rank-biserial correlation
    ``r = (R+ - R-) / (R+ + R-)`` (Kerby 2014).

    If all differences are zero the test is undefined: the result has
    p-value 1, statistic 0, estimate and interval 0 and a ``note``.

    References
    ----------
    .. [1] Hollander, Wolfe and Chicken (2014). Nonparametric Statistical
       Methods, 3rd ed., Sections 3.1-3.3. Wiley.
    .. [2] Kerby (2014). The simple difference formula: an approach to
       teaching nonparametric correlation. Comprehensive Psychology 3.

    Examples
    --------
    Hamilton depression scores before (x) and after (y) a tranquilizer
    (Hollander, Wolfe and Chicken, Example 3.1):

    >>> from sklearn_gum.model_selection import paired_wilcoxon
    >>> x = [1.83, 0.50, 1.62, 2.48, 1.68, 1.88, 1.55, 3.06, 1.30]
    >>> y = [0.878, 0.647, 0.598, 2.05, 1.06, 1.29, 1.06, 3.14, 1.29]
    >>> res = paired_wilcoxon(x, y, alternative="greater")
    >>> round(res.pvalue, 5), res.statistic, res.method
    (0.01953, 40.0, 'exact')
    >>> res = paired_wilcoxon(x, y)
    >>> round(res.estimate, 3), round(res.low, 4), round(res.high, 4)
    (0.46, 0.01, 0.786)
    >>> round(res.effect_size, 3), round(res.coverage, 4)
    (0.778, 0.9609)
    """
    a = _as_errors(errors_a, "errors_a")
    b = _as_errors(errors_b, "errors_b")
    if a.size != b.size:
        raise ValueError(
            "errors_a and errors_b must have the same length, "
            f"got {a.size} and {b.size}."
        )
    _check_choice(alternative, "alternative", _ALTERNATIVES)
    confidence_level = _check_level(confidence_level)
    d = np.sort(a - b)
    nonzero = d[d != 0]
    n_zeros = d.size - nonzero.size
    common = dict(
        n=d.size,
        n_zeros=n_zeros,
        alternative=alternative,
        confidence_level=confidence_level,
    )
    estimate, low, high, coverage = _hodges_lehmann(d, confidence_level, alternative)
    if nonzero.size == 0:
        statistic, pvalue, effect_size, method = 0.0, 1.0, 0.0, "none"
        note = "all differences are zero: no test possible"
    else:
        statistic, pvalue, effect_size, method = _signed_rank_test(nonzero, alternative)
        unbounded = (alternative != "less" and low == -np.inf) or (
            alternative != "greater" and high == np.inf
        )
        note = "too few pairs for the confidence level: infinite interval"
        note = note if unbounded else ""
    return WilcoxonResult(
        statistic=statistic,
        pvalue=pvalue,
        estimate=estimate,
        low=low,
        high=high,
        effect_size=effect_size,
        coverage=coverage,
        method=method,
        note=note,
        **common,
    )


# --------------------------------------------------------------------------
# Multiple comparisons
# --------------------------------------------------------------------------


def _adjust_pvalues(pvalues, method):
    """Family-wise adjusted p-values: Holm, Bonferroni or none.

    Holm: with ``p_(1) <= ... <= p_(m)``, ``p~_(i) = max_{j <= i}
    min(1, (m - j + 1) p_(j))``. Matches
    ``statsmodels.stats.multitest.multipletests``.
    """
    p = np.asarray(pvalues, dtype=float)
    m = p.size
    if method == "none" or m == 0:
        return p.copy()
    if method == "bonferroni":
        return np.minimum(1.0, m * p)
    order = np.argsort(p, kind="stable")
    steps = np.maximum.accumulate((m - np.arange(m)) * p[order])
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(1.0, steps)
    return adjusted


def _stars(pvalue):
    """Significance stars: *** p<0.001, ** p<0.01, * p<0.05."""
    for threshold, stars in ((0.001, "***"), (0.01, "**"), (0.05, "*")):
        if pvalue < threshold:
            return stars
    return ""


# --------------------------------------------------------------------------
# Repeated runs
# --------------------------------------------------------------------------


def _check_estimators(estimators):
    """Validate ``estimators`` into a list of ``(name, estimator)``."""
    if isinstance(estimators, Mapping):
        items = list(estimators.items())
    else:
        items = [tuple(item) for item in estimators]
    if len(items) < 2:
        raise ValueError(
            f"estimators must contain at least two estimators, got {len(items)}."
        )
    for item in items:
        if len(item) != 2 or not isinstance(item[0], str):
            raise ValueError("estimators must map names (str) to estimators.")
        if not (hasattr(item[1], "fit") and hasattr(item[1], "predict")):
            raise ValueError(f"estimators[{item[0]!r}] has no fit/predict.")
    names = [name for name, _ in items]
    if len(set(names)) != len(names):
        raise ValueError(f"estimators has duplicate names: {names}.")
    return items


def _seed_params(estimator, seed):
    """Every ``random_state`` / ``*__random_state`` parameter set to ``seed``."""
    params = estimator.get_params(deep=True)
    return {
        key: seed
        for key in params
        if key == "random_state" or key.endswith("__random_state")
    }


def _is_torch_based(estimator):
    """Whether ``estimator`` is or contains a skorch net (seeded by torch)."""
    parts = [estimator, *estimator.get_params(deep=True).values()]
    return any(type(p).__module__.split(".")[0] == "skorch" for p in parts)


def _seeded_clone(estimator, seed):
    """Unfitted copy of ``estimator`` with all its randomness tied to ``seed``."""
    est = clone(estimator)
    est.set_params(**_seed_params(est, seed))
    if _is_torch_based(est):
        import torch

        torch.manual_seed(seed)
    return est


def _per_sample_errors(y_true, y_pred, error):
    """Per-sample errors of one prediction (see ``compare_estimators``)."""
    if callable(error):
        return np.asarray(error(y_true, y_pred), dtype=float).ravel()
    y_true = np.asarray(y_true, dtype=float)
    residual = y_true.reshape(y_true.shape[0], -1) - np.reshape(
        np.asarray(y_pred, dtype=float), (y_true.shape[0], -1)
    )
    if error == "absolute":
        return np.sqrt(np.sum(residual**2, axis=1))
    if error == "squared":
        return np.sum(residual**2, axis=1)
    # Column groups: Euclidean error per group, pooled sample by sample.
    groups = [np.sqrt(np.sum(residual[:, list(g)] ** 2, axis=1)) for g in error]
    return np.column_stack(groups).ravel()


def _fit_and_errors(estimator, X, y, train, test, seed, error, test_data):
    """One independent task: fit a seeded clone, return its test errors."""
    est = _seeded_clone(estimator, seed)
    if test_data is not None:
        est.fit(X, y)
        X_test, y_test = test_data
    else:
        est.fit(_safe_indexing(X, train), _safe_indexing(y, train))
        X_test, y_test = _safe_indexing(X, test), _safe_indexing(y, test)
    return _per_sample_errors(y_test, est.predict(X_test), error)


def _check_error(error, y):
    """Validate ``error`` against the targets' columns."""
    if callable(error) or error in ("absolute", "squared"):
        return error
    n_outputs = 1 if np.ndim(y) == 1 else np.shape(y)[1]
    try:
        groups = [[int(c) for c in group] for group in error]
    except TypeError:
        groups = None
    if not groups or any(
        not g or min(g) < -n_outputs or max(g) >= n_outputs for g in groups
    ):
        raise ValueError(
            "error must be 'absolute', 'squared', a callable or a non-empty "
            f"list of non-empty column groups of y, got {error!r}."
        )
    return groups


def _check_xy(X, y, name_x, name_y):
    """Consistent lengths and NaN-free numeric targets."""
    n_x, n_y = _num_samples(X), _num_samples(y)
    if n_x != n_y:
        raise ValueError(
            f"{name_x} and {name_y} must have the same length, got {n_x} and {n_y}."
        )
    if np.isnan(np.asarray(y, dtype=float)).any():
        raise ValueError(f"{name_y} contains NaN.")


def _run_splits(cv, X, y, seed):
    """Train/test index pairs of one run (see ``compare_estimators``)."""
    if cv is None:
        splitter = ShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)
    elif isinstance(cv, numbers.Integral):
        splitter = KFold(n_splits=cv, shuffle=True, random_state=seed)
    else:
        splitter = copy.deepcopy(check_cv(cv))
        if getattr(splitter, "random_state", 0) is None:
            splitter.random_state = seed
    return list(splitter.split(X, y))


def _check_compare_params(n_runs, cv, test_data, correction, confidence_level):
    if not isinstance(n_runs, numbers.Integral) or n_runs < 1:
        raise ValueError(f"n_runs must be an integer >= 1, got {n_runs!r}.")
    if cv is not None and test_data is not None:
        raise ValueError("cv and test_data are mutually exclusive; give one.")
    if isinstance(cv, numbers.Integral) and cv < 2:
        raise ValueError(f"cv must be at least 2 when an integer, got {cv}.")
    _check_choice(correction, "correction", _CORRECTIONS)
    return _check_level(confidence_level)


def compare_estimators(
    estimators,
    X,
    y,
    *,
    cv=None,
    test_data=None,
    n_runs=5,
    error="absolute",
    random_state=None,
    n_jobs=None,
    correction="holm",
    confidence_level=0.95,
):
    """Compare estimators on paired per-sample errors over repeated runs.

    Every estimator is fitted ``n_runs`` times with run-specific seeds; in
    a run all estimators are evaluated on the same test rows, so their
    per-sample errors are paired. Errors are pooled over runs; each pair
    of estimators is compared with :func:`paired_wilcoxon` and the
    p-values are corrected for multiple comparisons.

    Parameters
    ----------
    estimators : dict of str -> estimator, or list of (str, estimator)
        At least two named regressors; they are cloned, never modified.
    X : array-like of shape (n_samples, n_features)
        Features, passed to the estimators as given (row-indexed).
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
        Targets.
    cv : int, cross-validation splitter or iterable, default=None
        Test rows of each run, ignored when ``test_data`` is given:

        - None: one random 80/20 split per run,
          ``ShuffleSplit(n_splits=1, test_size=0.2, random_state=seed)``;
        - int: ``KFold(cv, shuffle=True, random_state=seed)``, every row
          tested once per run;
        - splitter: used as given, except that a ``random_state`` left to
          None is set to the run's seed (a reshuffle per run).

        Errors of all folds of a run are concatenated.
    test_data : tuple (X_test, y_test), default=None
        If given, every run fits on all of ``X, y`` and is evaluated on
        this held-out set; runs then differ only by the seeds.
    n_runs : int, default=5
        Fits per estimator.
    error : {"absolute", "squared"}, list of column groups or callable, \
            default="absolute"
        Per-sample error. "absolute" is ``|y - y_hat|``, for several
        outputs the Euclidean norm of the residual row; "squared" its
        square. A list of column groups such as ``[[0, 1], [2, 3]]`` gives
        the Euclidean error of each group (e.g. 2-D landmarks), pooled as
        separate samples. A callable ``error(y_true, y_pred)`` must return
        one error per sample.
    random_state : int, RandomState instance or None, default=None
        Draws the run seeds; an int makes the comparison reproducible.
    n_jobs : int, default=None
        Parallel fits through :class:`sklearn.utils.parallel.Parallel`;
        ``joblib.parallel_config(backend="dask")`` (or ray) distributes
        them unchanged.
    correction : {"holm", "bonferroni", "none"}, default="holm"
        Family-wise correction over the pairwise tests.
    confidence_level : float, default=0.95
        Level of the intervals; ``1 - confidence_level`` is the
        significance level for ``significantly_better``.

    Returns
    -------
    result : ComparisonResult
        Per-estimator summaries, pairwise tests and the best estimator.

    See Also
    --------
    paired_wilcoxon : the pairwise test.
    median_confidence_interval : the per-estimator interval.

    Notes
    -----
    Seeding: run ``r`` draws a seed ``s_r`` from ``random_state``. Every
    parameter of ``get_params(deep=True)`` named ``random_state`` or
    ending in ``__random_state`` (nested estimators included) is set to
    ``s_r``, overriding the user's value so that runs differ. Estimators
    that are or contain a skorch net draw their randomness from torch:
    ``torch.manual_seed(s_r)`` is called right before their fit. That
    seed is process-global, so concurrent skorch runs in one process
    (thread-based backends) are not reproducible; use processes.

    Each (estimator, run, fold) fit is an independent, picklable task on
    a fresh ``clone``; splits and seeds are drawn beforehand in the
    calling process, so results do not depend on the backend.

    Pooled errors from several runs reuse test rows and are not
    independent: the p-values and intervals describe these test rows
    under refitting rather than new data.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.dummy import DummyRegressor
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn_gum.model_selection import compare_estimators
    >>> X, y = make_regression(n_samples=100, n_features=3, noise=1.0,
    ...                        random_state=0)
    >>> result = compare_estimators(
    ...     {"ols": LinearRegression(), "mean": DummyRegressor()}, X, y,
    ...     n_runs=3, random_state=0)
    >>> result.best, result.significantly_better
    ('ols', ('mean',))
    >>> result.stars[("ols", "mean")]
    '***'
    """
    items = _check_estimators(estimators)
    confidence_level = _check_compare_params(
        n_runs, cv, test_data, correction, confidence_level
    )
    _check_xy(X, y, "X", "y")
    if test_data is not None:
        _check_xy(*test_data, "test_data[0]", "test_data[1]")
    error = _check_error(error, y)
    rng = check_random_state(random_state)
    seeds = [int(s) for s in rng.randint(np.iinfo(np.int32).max, size=n_runs)]
    tasks = _make_tasks(items, seeds, cv, X, y, test_data)
    results = Parallel(n_jobs=n_jobs)(
        delayed(_fit_and_errors)(est, X, y, train, test, seed, error, test_data)
        for _, _, est, train, test, seed in tasks
    )
    run_errors = _gather_errors(tasks, results, [name for name, _ in items], n_runs)
    return _summarise(run_errors, correction, confidence_level, error)


def _make_tasks(items, seeds, cv, X, y, test_data):
    """``(name, run, estimator, train, test, seed)`` for every fit.

    Splits and seeds are drawn here, in the calling process, so that all
    estimators of a run share the test rows whatever the backend.
    """
    tasks = []
    for run, seed in enumerate(seeds):
        splits = (
            [(None, None)] if test_data is not None else _run_splits(cv, X, y, seed)
        )
        tasks += [
            (name, run, est, train, test, seed)
            for name, est in items
            for train, test in splits
        ]
    return tasks


def _gather_errors(tasks, results, names, n_runs):
    """Per estimator, the list of each run's errors (folds concatenated)."""
    run_errors = {name: [[] for _ in range(n_runs)] for name in names}
    for (name, run, *_), errors in zip(tasks, results, strict=True):
        if np.isnan(errors).any():
            raise ValueError(f"estimators[{name!r}] gives NaN errors in run {run}.")
        run_errors[name][run].append(errors)
    return {
        name: [np.concatenate(folds) for folds in runs]
        for name, runs in run_errors.items()
    }


def _summarise(run_errors, correction, confidence_level, error):
    """Build the :class:`ComparisonResult` from per-run errors."""
    names = tuple(run_errors)
    pooled = {name: np.concatenate(runs) for name, runs in run_errors.items()}
    run_means = {
        name: np.array([e.mean() for e in runs]) for name, runs in run_errors.items()
    }
    medians = {
        n: median_confidence_interval(e, confidence_level) for n, e in pooled.items()
    }
    pairs = [(a, b) for i, a in enumerate(names) for b in names[i + 1 :]]
    tests = {
        (a, b): paired_wilcoxon(pooled[a], pooled[b], confidence_level=confidence_level)
        for a, b in pairs
    }
    adjusted = _adjust_pvalues([tests[p].pvalue for p in pairs], correction)
    adjusted = dict(zip(pairs, adjusted.tolist(), strict=True))
    best = min(names, key=lambda name: medians[name].median)
    better = tuple(
        other
        for other in names
        if other != best and _beats(best, other, tests, adjusted, 1 - confidence_level)
    )
    return ComparisonResult(
        names=names,
        median_errors=medians,
        mean_errors={n: float(m.mean()) for n, m in run_means.items()},
        std_errors={
            n: float(m.std(ddof=1)) if m.size > 1 else float("nan")
            for n, m in run_means.items()
        },
        run_mean_errors=run_means,
        pairwise=tests,
        pvalues_adjusted=adjusted,
        stars={pair: _stars(p) for pair, p in adjusted.items()},
        best=best,
        significantly_better=better,
        errors=pooled,
        n_runs=len(next(iter(run_errors.values()))),
        correction=correction,
        confidence_level=confidence_level,
        error=error
        if isinstance(error, str)
        else "custom"
        if callable(error)
        else "grouped",
    )


def _beats(best, other, tests, adjusted, alpha):
    """Whether ``best`` has significantly smaller errors than ``other``."""
    pair = (best, other) if (best, other) in tests else (other, best)
    sign = -1 if pair[0] == best else 1  # effect size is signed as a - b
    return adjusted[pair] < alpha and sign * tests[pair].effect_size > 0


# --------------------------------------------------------------------------
# Comparison result and its renderings
# --------------------------------------------------------------------------


def _fmt(value):
    return f"{value:.4g}"


def _ci_text(low, high):
    return f"[{_fmt(low)}, {_fmt(high)}]"


@dataclass(frozen=True, eq=False, repr=False)
class ComparisonResult:
    """Result of :func:`compare_estimators`.

    Attributes
    ----------
    names : tuple of str
        Estimator names, in the given order.
    median_errors : dict of str -> MedianCI
        Median pooled error with its confidence interval.
    mean_errors, std_errors : dict of str -> float
        Mean and standard deviation (ddof=1; NaN for one run) over runs of
        each run's mean error.
    run_mean_errors : dict of str -> ndarray of shape (n_runs,)
        Mean error of every run.
    pairwise : dict of (str, str) -> WilcoxonResult
        Test of every pair ``(a, b)``, ``a`` before ``b`` in ``names``;
        the estimate is the shift of ``a``'s errors minus ``b``'s.
    pvalues_adjusted : dict of (str, str) -> float
        p-values after ``correction``.
    stars : dict of (str, str) -> str
        "***" (p < 0.001), "**" (p < 0.01), "*" (p < 0.05) or "", from
        the adjusted p-values.
    best : str
        Estimator with the lowest median error.
    significantly_better : tuple of str
        Estimators ``best`` is significantly better than (adjusted p below
        ``1 - confidence_level`` and smaller ranks of errors).
    errors : dict of str -> ndarray
        Pooled per-sample errors (runs concatenated, paired across names).
    n_runs : int
        Runs per estimator.
    correction : str
        Multiple-comparison correction.
    confidence_level : float
        Level of the intervals.
    error : str
        Error kind: "absolute", "squared", "grouped" or "custom".
    """

    names: tuple
    median_errors: dict
    mean_errors: dict
    std_errors: dict
    run_mean_errors: dict
    pairwise: dict
    pvalues_adjusted: dict
    stars: dict
    best: str
    significantly_better: tuple
    errors: dict
    n_runs: int
    correction: str
    confidence_level: float
    error: str

    def _estimator_rows(self):
        level = f"{self.confidence_level:.0%} CI"
        header = ["estimator", "median", level, "mean (runs)", "std (runs)"]
        rows = [
            [
                name,
                _fmt(ci.median),
                _ci_text(ci.low, ci.high),
                _fmt(self.mean_errors[name]),
                _fmt(self.std_errors[name]),
            ]
            for name, ci in self.median_errors.items()
        ]
        return header, rows

    def _pair_rows(self):
        header = ["a vs b", "HL shift a-b", "CI", "effect r", "p", "p adj", ""]
        rows = [
            [
                f"{a} vs {b}",
                _fmt(res.estimate),
                _ci_text(res.low, res.high),
                f"{res.effect_size:+.3f}",
                f"{res.pvalue:.3g}",
                f"{self.pvalues_adjusted[(a, b)]:.3g}",
                self.stars[(a, b)],
            ]
            for (a, b), res in self.pairwise.items()
        ]
        return header, rows

    def _title(self):
        n = next(iter(self.errors.values())).size
        return (
            f"{len(self.names)} estimators, {self.n_runs} runs, "
            f"{n} paired {self.error} errors each"
        )

    def _footer(self):
        better = ", ".join(self.significantly_better) or "none"
        return f"Best: {self.best}; significantly better than: {better}"

    def __str__(self):
        lines = [self._title(), ""]
        lines += _text_table(*self._estimator_rows())
        lines += ["", f"Wilcoxon signed-rank tests ({self.correction} correction)"]
        lines += _text_table(*self._pair_rows())
        lines += ["", self._footer()]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        return "".join(
            [
                f"<p>{html.escape(self._title())}</p>",
                _html_table(*self._estimator_rows()),
                f"<p>Wilcoxon signed-rank tests ({html.escape(self.correction)}"
                " correction)</p>",
                _html_table(*self._pair_rows()),
                f"<p>{html.escape(self._footer())}</p>",
            ]
        )

    def to_frame(self, kind="estimators"):
        """Summary as a pandas DataFrame.

        Parameters
        ----------
        kind : {"estimators", "pairwise"}, default="estimators"
            One row per estimator (indexed by name) or per pair.

        Returns
        -------
        frame : pandas.DataFrame
        """
        _check_choice(kind, "kind", ("estimators", "pairwise"))
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "ComparisonResult.to_frame requires pandas: pip install pandas"
            ) from exc
        if kind == "estimators":
            rows = {
                name: dict(
                    median=ci.median,
                    low=ci.low,
                    high=ci.high,
                    coverage=ci.coverage,
                    mean=self.mean_errors[name],
                    std=self.std_errors[name],
                )
                for name, ci in self.median_errors.items()
            }
            return pd.DataFrame.from_dict(rows, orient="index")
        rows = [
            dict(
                a=a,
                b=b,
                estimate=r.estimate,
                low=r.low,
                high=r.high,
                effect_size=r.effect_size,
                statistic=r.statistic,
                pvalue=r.pvalue,
                pvalue_adjusted=self.pvalues_adjusted[(a, b)],
                stars=self.stars[(a, b)],
                n=r.n,
                n_zeros=r.n_zeros,
            )
            for (a, b), r in self.pairwise.items()
        ]
        return pd.DataFrame(rows)

    def plot(self, ax=None, **kwargs):
        """Median error and its interval per estimator, as error bars.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.errorbar`.

        Returns
        -------
        ax : matplotlib Axes
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError(
                "ComparisonResult.plot requires matplotlib: pip install matplotlib"
            ) from exc
        if ax is None:
            _, ax = plt.subplots()
        cis = [self.median_errors[name] for name in self.names]
        median = np.array([ci.median for ci in cis])
        low = np.array([ci.low for ci in cis])
        high = np.array([ci.high for ci in cis])
        xerr = np.nan_to_num([median - low, high - median], posinf=0.0)
        position = np.arange(len(self.names))
        kwargs = {"fmt": "o", "capsize": 4, **kwargs}
        ax.errorbar(median, position, xerr=xerr, **kwargs)
        ax.set_yticks(position, labels=self.names)
        ax.invert_yaxis()
        ax.set_xlabel(f"median {self.error} error ({self.confidence_level:.0%} CI)")
        return ax


def _text_table(header, rows):
    """Left-aligned plain-text table lines."""
    table = [header, *rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    return [
        "  ".join(
            str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)
        ).rstrip()
        for row in table
    ]


def _html_table(header, rows):
    """Minimal escaped HTML table."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
