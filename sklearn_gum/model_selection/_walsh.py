"""Exact selection among the Walsh sums ``d_i + d_j`` without forming them.

The Hodges-Lehmann estimate and its interval are order statistics of the
``n (n + 1) / 2`` Walsh averages; :func:`_walsh_order_statistics` selects
them in O(n log n) per round.
"""

from typing import NamedTuple

import numpy as np

# Values drawn per sampling round.
_SAMPLE_SIZE = 1 << 16


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
    # Near the float maximum a term may overflow: inf or nan is rejected below.
    with np.errstate(over="ignore", invalid="ignore"):
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
