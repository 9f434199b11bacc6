"""Helpers shared by the generators of contaminated data."""

import numpy as np
from sklearn.utils._param_validation import Interval


class _NumberInterval(Interval):
    """An :class:`~sklearn.utils._param_validation.Interval` that refuses bools.

    ``True`` is an ``numbers.Integral`` (and a ``numbers.Real``), so a plain
    ``Interval`` takes ``n_samples=True`` for one sample and ``fraction=True``
    for 1.0; a flag passed by mistake should be an error instead.
    """

    def is_satisfied_by(self, val):
        return not isinstance(val, (bool, np.bool_)) and super().is_satisfied_by(val)


def _n_contaminated(fraction, n):
    """Number of contaminated items: ``round(fraction * n)``."""
    return int(round(fraction * n))


def _check_spread(spread, columns, what, remedy):
    """Raise if a column whose spread scales the outliers has none.

    ``spread`` holds the spread (standard deviation or range) of each target
    column; outliers scaled by a zero spread would equal the clean values
    while the mask calls them outliers. ``remedy`` ends the message.
    """
    flat = [int(column) for column in columns if spread[column] == 0]
    if flat:
        raise ValueError(
            f"The outliers are scaled by the {what} of the clean targets, and "
            f"target column(s) {flat} have none: the contaminated values would "
            f"equal the clean ones. {remedy}"
        )
