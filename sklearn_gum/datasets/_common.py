"""Helpers shared by the generators of contaminated data."""


def _n_contaminated(fraction, n):
    """Number of contaminated items: ``round(fraction * n)``."""
    return int(round(fraction * n))
