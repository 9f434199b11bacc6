"""Bad and edge inputs to sklearn_gum.model_selection.

Every input gets either an exception of an exact type whose message names
the offending argument, or a result checked against numbers computed here
(scipy, or brute force over the Walsh averages).
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import stats

from sklearn_gum.model_selection import median_confidence_interval, paired_wilcoxon
from sklearn_gum.model_selection._rank_tests import _walsh_ci_ranks

BIG = np.finfo(float).max


def safe_walsh(d):
    """Sorted Walsh averages d_i / 2 + d_j / 2: no overflow, same rounding."""
    i, j = np.triu_indices(d.size)
    return np.sort(d[i] / 2 + d[j] / 2)


# ---------------------------------------------------------------------------
# paired_wilcoxon: differences near the float maximum (issue 11)
# ---------------------------------------------------------------------------


@pytest.mark.filterwarnings("error::RuntimeWarning")
@pytest.mark.parametrize("n", [20, 400])
@pytest.mark.parametrize("low, high", [(0.5, 0.99), (-0.99, 0.99)])
def test_walsh_averages_near_float_max_do_not_overflow(n, low, high):
    # n=20: exact p-value; n=400: asymptotic, and 80,200 Walsh sums are
    # more than the selection enumerates at once (cuts are made).
    rng = np.random.default_rng(n)
    a = BIG * rng.uniform(low, high, n)
    b = np.zeros(n)
    res = paired_wilcoxon(a, b)
    walsh = safe_walsh(np.sort(a - b))
    m = walsh.size
    k_low, k_high, coverage = _walsh_ci_ranks(n, 0.95, "two-sided")
    median = walsh[(m - 1) // 2] / 2 + walsh[m // 2] / 2
    assert np.isfinite([res.estimate, res.low, res.high]).all()
    assert (res.estimate, res.low, res.high) == (
        median, walsh[k_low - 1], walsh[k_high - 1]
    )
    assert res.note == "" and res.coverage == coverage
    # paired_wilcoxon applies the continuity correction (see its Notes).
    ref = stats.wilcoxon(a, b, correction=True)
    assert_allclose(res.pvalue, ref.pvalue, rtol=1e-10)


@pytest.mark.filterwarnings("error::RuntimeWarning")
def test_median_near_float_max_does_not_overflow():
    x = BIG * np.array([0.6, 0.9, 0.7, 0.95, 0.8, 1.0])
    ci = median_confidence_interval(x)
    assert ci.median == BIG * 0.8 / 2 + BIG * 0.9 / 2  # sorted x_(3), x_(4)
    assert (ci.low, ci.high) == (BIG * 0.6, BIG)
