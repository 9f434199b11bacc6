"""Warnings of :mod:`sklearn_gum`."""

__all__ = ["DegenerateMixtureWarning"]


class DegenerateMixtureWarning(UserWarning):
    """The fitted Gaussian-uniform mixture cannot tell inliers from outliers.

    Raised when the inlier share of a group collapses to zero (the uniform
    explains every sample) or when every outlier probability sits near 0.5
    (the two components overlap everywhere). The message says what to
    change.
    """
