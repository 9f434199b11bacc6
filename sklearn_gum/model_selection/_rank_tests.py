"""Distribution-free tests and intervals on paired per-sample errors.

The order-statistic interval of a median, and the Wilcoxon signed-rank test
with the Hodges-Lehmann shift, its interval and the rank-biserial effect
size.
"""

from dataclasses import dataclass
from numbers import Real

import numpy as np
from scipy import special, stats
from sklearn.utils._param_validation import validate_params

from ._checks import _ALTERNATIVES, _as_errors, _check_choice, _check_level
from ._walsh import _walsh_order_statistics

# n <= _EXACT_MAX: exact signed-rank distribution (as scipy.stats.wilcoxon).
_EXACT_MAX = 50


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


def _median(x):
    """:func:`numpy.median` of sorted ``x``, halving first where it overflows."""
    with np.errstate(over="ignore"):
        median = float(np.median(x))
    if np.isfinite(median):
        return median
    return float(x[(x.size - 1) // 2]) / 2 + float(x[x.size // 2]) / 2


@validate_params(
    {"errors": ["array-like"], "confidence_level": [Real]},  # in (0, 1): checked
    prefer_skip_nested_validation=True,
)
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
        median=_median(x),
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


def _walsh_scale(d):
    """Power of two keeping the Walsh sums of ``scale * d`` and their sums finite.

    1 unless ``max |d| > max_float / 4``. A power-of-two factor is exact
    (except on subnormal values), so the order statistics selected on
    ``scale * d`` and divided by ``scale`` are those of ``d``, rounded once.
    """
    return 1.0 if np.max(np.abs(d)) <= np.finfo(float).max / 4 else 0.25


def _hodges_lehmann(d, confidence_level, alternative):
    """Hodges-Lehmann estimate, interval bounds and coverage of sorted ``d``."""
    n = d.size
    total = n * (n + 1) // 2
    k_low, k_high, coverage = _walsh_ci_ranks(n, confidence_level, alternative)
    mid = [(total + 1) // 2, total // 2 + 1]
    wanted = np.unique([k for k in [*mid, k_low, k_high] if 1 <= k <= total])
    scale = _walsh_scale(d)
    selected = _walsh_order_statistics(scale * d, wanted)
    sums = dict(zip(wanted.tolist(), selected, strict=True))
    # Walsh average = sum / 2; the estimate averages the two middle ones.
    estimate = (sums[mid[0]] + sums[mid[1]]) / (4 * scale)
    low = sums[k_low] / (2 * scale) if k_low >= 1 else -np.inf
    high = sums[k_high] / (2 * scale) if k_high <= total else np.inf
    return float(estimate), float(low), float(high), coverage


def _sorted_differences(errors_a, errors_b):
    """Sorted ``errors_a - errors_b``, both checked, the differences finite."""
    a = _as_errors(errors_a, "errors_a")
    b = _as_errors(errors_b, "errors_b")
    if a.size != b.size:
        raise ValueError(
            "errors_a and errors_b must have the same length, "
            f"got {a.size} and {b.size}."
        )
    with np.errstate(over="ignore"):  # reported just below
        d = np.sort(a - b)
    if not np.isfinite(d).all():
        raise ValueError(
            "errors_a - errors_b overflows: the differences are not finite; "
            "rescale both errors."
        )
    return d


@validate_params(
    {
        "errors_a": ["array-like"],
        "errors_b": ["array-like"],
        "alternative": [str],  # one of _ALTERNATIVES: checked in the function
        "confidence_level": [Real],  # in (0, 1): checked in the function
    },
    prefer_skip_nested_validation=True,
)
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
    d = _sorted_differences(errors_a, errors_b)
    _check_choice(alternative, "alternative", _ALTERNATIVES)
    confidence_level = _check_level(confidence_level)
    nonzero = d[d != 0]
    common = dict(
        n=d.size,
        n_zeros=d.size - nonzero.size,
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
