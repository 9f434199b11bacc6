"""The warnings of a GUM fit about its EM: not converged, or a mixture
that cannot tell inliers from outliers."""

import warnings

import numpy as np
from sklearn.exceptions import ConvergenceWarning

from .exceptions import DegenerateMixtureWarning
from ._mixture import _weighted_median, rounding_variance
from ._weighted_fit import linear_dof

COLLAPSED_INLIER_PRIOR = 0.01
UNDECIDED_MARGIN = 0.05


def warn_if_not_converged(result, max_iter, advice):
    """One ``ConvergenceWarning`` when the EM stopped at ``max_iter``."""
    if not result.converged and result.n_iter >= max_iter:
        warnings.warn(
            f"EM did not converge in max_iter={max_iter} iterations. {advice}",
            ConvergenceWarning,
        )


def warn_if_degenerate(result):
    """A :class:`~sklearn_gum.exceptions.DegenerateMixtureWarning` per group
    whose kept mixture cannot tell inliers from outliers."""
    for k, (params, keep) in enumerate(zip(result.params, result.has_outliers)):
        if not keep:
            continue
        name = "the mixture" if len(result.groups) == 1 else f"group {k}'s mixture"
        inliers, parameters = result.resp[:, k].sum(), linear_dof(result.estimator)
        if (params.inlier_prior > COLLAPSED_INLIER_PRIOR and parameters > 0
                and inliers <= parameters + 1):
            warnings.warn(
                f"The inliers of {name} hold {inliers:.3g} samples, no more than "
                f"the regressor's {parameters:g} parameters + 1: the linear fit "
                "interpolates them, and the mixture has collapsed onto a few "
                "samples: its flags do not tell inliers from outliers. "
                "outlier_component='never' gives the plain fit.",
                DegenerateMixtureWarning,
            )
        elif params.inlier_prior <= COLLAPSED_INLIER_PRIOR:
            warnings.warn(
                f"The inlier share of {name} collapsed to {params.inlier_prior:.2g}: "
                "the uniform explains every sample. The starting fit may be far "
                "from the inliers: try init='subsets' or a robust init regressor, "
                "or outlier_component='auto'.",
                DegenerateMixtureWarning,
            )
        elif _at_floor(params.covariance, result.variance_floor, result.groups[k]):
            warnings.warn(
                f"The inlier variance of {name} is at the resolution of y (a grid "
                "step delta gives delta^2 / 12): the Gaussian is as narrow as the "
                "recorded targets allow, and its flags may be samples off the "
                "grid's fit rather than outliers.",
                DegenerateMixtureWarning,
            )
        elif np.all(np.abs(result.resp[:, k] - 0.5) < UNDECIDED_MARGIN):
            warnings.warn(
                f"Every outlier probability of {name} is within "
                f"{UNDECIDED_MARGIN} of 0.5: the Gaussian and the uniform overlap "
                "everywhere and cannot be told apart. Lower reg_covar, pass a "
                "larger fixed uniform volume, or use outlier_component='auto'.",
                DegenerateMixtureWarning,
            )


def _at_floor(covariance, floor, columns):
    """Whether some variance of a group sits at the targets' resolution."""
    if floor is None:
        return False
    return bool(np.any(np.diag(covariance) <= np.asarray(floor)[columns] * (1 + 1e-9)))


def warn_if_weights_below_dof(sample_weight, dof):
    """A ``UserWarning`` when frequency weights leave less than one
    observation beyond the regressor's degrees of freedom where the rows
    would leave one: ``Sigma`` then gets no degrees-of-freedom correction
    (see :func:`sklearn_gum._mixture.weighted_covariance`) because of the
    weights' scale alone."""
    total = float(sample_weight.sum())
    if total - dof < 1 <= np.count_nonzero(sample_weight) - dof:
        warnings.warn(
            f"sample_weight sums to {total:.3g}, less than one observation beyond "
            f"the regressor's {dof:g} degrees of freedom. GUMRegressor reads "
            "sample_weight as frequency weights (scikit-learn's convention: a "
            "weight of 2 counts as two samples), so Sigma gets no "
            "degrees-of-freedom correction and is biased low. To weight samples "
            "by their relative importance, scale the weights to a mean of one "
            "(sample_weight * n_samples / sample_weight.sum()).",
            UserWarning,
        )


def warn_if_interpolated(residuals, targets, sample_weight):
    """A :class:`~sklearn_gum.exceptions.DegenerateMixtureWarning` when a
    flexible regressor reproduces targets that vary: in every output, at
    least half of the weighted rows have residuals below ``sqrt(eps)``
    times the root mean square of the targets (the rounding noise of a fit,
    :func:`sklearn_gum._mixture.rounding_variance`), and the targets do
    not. Such residuals cannot show an outlier: a fully grown tree or a
    distance-weighted k-NN fits every label, wrong or not, exactly. (Least
    squares on the inputs fits exact data exactly, and leaves a residual at
    any label off them: it is not asked.)"""
    rounding = rounding_variance(targets, sample_weight)
    medians = np.array([_weighted_median(column**2, sample_weight)
                        for column in residuals.T])
    total = sample_weight.sum()
    spread = sample_weight @ (targets - sample_weight @ targets / total) ** 2 / total
    if not np.all((medians <= rounding) & (rounding < spread)):
        return
    warnings.warn(
        "The regressor reproduces its training targets: the median residual on "
        "the training rows is at float64 rounding, so no outlier can show in its "
        "residuals, and GUMRegressor returns the plain fit. Limit what it can "
        "memorise (max_depth or min_samples_leaf for a tree, weights='uniform' "
        "for k nearest neighbours).",
        DegenerateMixtureWarning,
    )
