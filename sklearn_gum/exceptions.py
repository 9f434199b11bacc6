"""Warnings of :mod:`sklearn_gum`."""

__all__ = ["DegenerateMixtureWarning"]


class DegenerateMixtureWarning(UserWarning):
    """The fitted Gaussian-uniform mixture cannot tell inliers from outliers.

    Raised when the inlier share of a group collapses to zero (the uniform
    explains every sample), when its inliers are no more than a linear
    regressor's parameters + 1 (the fit interpolates them), when its inlier
    variance sits at the resolution of the targets, or when every outlier
    probability sits near 0.5 (the two components overlap everywhere); and
    when the regressor reproduces its training targets (a fully grown tree,
    a distance-weighted k-NN), whose residuals cannot show an outlier. The
    message says what to change.
    """
