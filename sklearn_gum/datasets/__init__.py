"""Data sets for robust regression, with ground-truth outlier masks.

Two kinds of data live here:

- generators of contaminated data in the style of
  :func:`sklearn.datasets.make_regression`: :func:`make_contaminated_regression`
  draws a linear regression problem and replaces a share of it by outliers, and
  :func:`contaminate_targets` corrupts given (e.g. landmark) targets with the
  protocols of the DeepGUM paper;
- loaders of the classic small robust-regression data sets shipped with the
  package as CSV files (:func:`load_hbk`, :func:`load_stackloss`,
  :func:`load_stars_cyg`, :func:`load_wood`), each with the outliers known from
  the literature.
"""

from ._classic import (
    load_hbk,
    load_stackloss,
    load_stars_cyg,
    load_wood,
)
from ._regression import REGRESSION_KINDS, make_contaminated_regression
from ._targets import TARGET_KINDS, contaminate_targets

__all__ = [
    "contaminate_targets",
    "load_hbk",
    "load_stackloss",
    "load_stars_cyg",
    "load_wood",
    "make_contaminated_regression",
]
