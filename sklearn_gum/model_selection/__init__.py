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
ComparisonDisplay
    The median errors of a comparison as error bars (what
    ``ComparisonResult.plot`` returns).

Only numpy, scipy and scikit-learn are needed; pandas (``to_frame``) and
matplotlib (``plot``) are imported lazily.
"""

from ._compare import compare_estimators
from ._display import ComparisonDisplay
from ._rank_tests import (
    MedianCI,
    WilcoxonResult,
    median_confidence_interval,
    paired_wilcoxon,
)
from ._report import ComparisonResult

__all__ = [
    "ComparisonDisplay",
    "ComparisonResult",
    "MedianCI",
    "WilcoxonResult",
    "compare_estimators",
    "median_confidence_interval",
    "paired_wilcoxon",
]
