"""EM maths of a mixture of inlier and outlier regression residuals.

Pure functions on arrays: no estimator plumbing. A *group* is a set of output
columns that shares one responsibility per sample (all columns for
per-sample granularity, one column per output, or the ``(x, y)`` columns of a
landmark). Each group ``g`` has an inlier prior ``rho``, a zero-mean Gaussian
covariance ``Sigma`` and one of two outlier models. Its residuals ``e_n``
have the density

    p(e_n) = rho N(e_n; 0, Sigma) + (1 - rho) / volume          ("uniform")
    p(e_n) = rho N(e_n; 0, Sigma) + (1 - rho) N(e_n; 0, k Sigma)  ("gaussian")

The uniform over a box of the given volume is DeepGUM's model of gross,
spread-out label errors; the broad Gaussian, ``k >= 1`` times the inliers'
covariance, is Tukey's contaminated normal, the model of Gaussian-shaped
label noise. A group without outliers has ``rho = 1``.
"""

import dataclasses
import math
from dataclasses import dataclass

import numpy as np
from scipy import linalg, special, stats

from ._span import conditional_coordinates

COVARIANCE_TYPES = ("full", "diag", "spherical")
UNIFORM_RULES = ("moments", "range")
OUTLIER_MODELS = ("uniform", "gaussian")
MIN_INLIER_PRIOR = 1e-6
# Tukey's (1960) contaminated normal: outliers with three times the sd.
TUKEY_SCALE = 9.0
# Largest change of a total log-likelihood (nats) at which the EM of an
# outlier decision stops (see residual_evidence).
DECISION_TOL = 0.01
_LOG_2PI = np.log(2 * np.pi)
TINY = np.finfo(float).tiny


@dataclass
class GroupParams:
    """Mixture parameters of one group of output columns.

    Attributes
    ----------
    inlier_prior : float
        Prior probability ``rho`` of the Gaussian (inlier) component.
    covariance : ndarray of shape (n_columns, n_columns)
        Covariance ``Sigma`` of the zero-mean Gaussian component.
    log_volume : float
        Logarithm of the volume ``gamma`` of the uniform (outlier) component;
        ``inf`` without a uniform.
    outlier_scale : float, default=inf
        Factor ``k >= 1`` of the covariance ``k Sigma`` of the Gaussian
        outlier component; ``inf`` without one (its density is then zero).
    """

    inlier_prior: float
    covariance: np.ndarray
    log_volume: float
    outlier_scale: float = np.inf

    @property
    def outlier_model(self):
        """``"gaussian"``, ``"uniform"``, or None for a pure Gaussian."""
        if self.inlier_prior >= 1:
            return None
        return "gaussian" if np.isfinite(self.outlier_scale) else "uniform"


def median_consistency(n_columns):
    """:func:`trimmed_consistency` at the median squared distance
    ``chi2_{d, 0.5}``: the factor of the best half of the residuals."""
    # scipy.stats.chi2.ppf's own formula, without its argument checks
    return trimmed_consistency(2 * special.gammaincinv(n_columns / 2, 0.5), n_columns)


def trimmed_consistency(radius, n_columns):
    """Factor that makes the second moment of Gaussian residuals kept within
    the squared Mahalanobis ``radius`` consistent for their covariance:
    ``F_{chi2, d}(radius) / F_{chi2, d+2}(radius)`` in ``d`` columns (the
    share kept over the share of the second moment kept)."""
    # chdtr is scipy.stats.chi2.cdf's own function, without its checks
    return special.chdtr(n_columns, radius) / special.chdtr(n_columns + 2, radius)


def weighted_covariance(residuals, weights, covariance_type="full", reg_covar=1e-6,
                        dof=0.0, floor=0.0, total=None):
    """Weighted zero-mean second moment ``sum w e e^T / (sum w - dof)`` plus
    ``reg_covar`` on the diagonal.

    Parameters
    ----------
    residuals : ndarray of shape (n_samples, n_columns)
    weights : ndarray of shape (n_samples,)
        Frequency weights: a weight of 2 counts as two samples.
    covariance_type : {"full", "diag", "spherical"}, default="full"
    reg_covar : float or ndarray of shape (n_columns,), default=1e-6
        Non-negative regularisation added to the diagonal (per column).
    dof : float, default=0.0
        Degrees of freedom the regressor spent on these residuals: residuals
        of a fit to the same weighted samples are smaller than the noise by
        that much (``E[sum w e^2] = sigma^2 (sum w - dof)`` for a linear
        least-squares fit with ``dof`` parameters). When fewer than one unit
        of weight would be left, the divisor is ``min(sum w, 1)``: the
        weighted mean square for a total weight below one (weights that sum
        to one are no single sample), one weighted sample's worth above.
    floor : float or ndarray of shape (n_columns,), default=0.0
        Smallest variance of each column (:func:`variance_floor`): the
        diagonal is raised to it where it falls below.
    total : float, default=None
        The weight the second moment is divided by (before ``dof``), when
        it is not ``sum w``: the number of samples, for the inliers'
        covariance of a contaminated normal.

    Returns
    -------
    covariance : ndarray of shape (n_columns, n_columns)
    """
    n_columns = residuals.shape[1]
    total = dof_divisor(weights.sum() if total is None else total, dof)
    if covariance_type == "full":
        covariance = (residuals * weights[:, None]).T @ residuals / total
    else:
        variances = weights @ residuals**2 / total
        if covariance_type == "spherical":
            variances = np.full(n_columns, variances.mean())
        covariance = np.diag(variances)
    return regularised(covariance, covariance_type, reg_covar, floor)


def dof_divisor(total, dof):
    """``sum w - dof``, or ``min(sum w, 1)`` when less than one unit of
    weight would be left (see :func:`weighted_covariance`)."""
    return max(total - dof, min(total, 1.0), TINY)


def regularised(covariance, covariance_type, reg_covar, floor):
    """``covariance`` plus ``reg_covar`` on the diagonal, which is then
    raised to ``floor`` where it falls below (alike for every column of a
    spherical covariance)."""
    if covariance.shape == (1, 1) and covariance.dtype == np.float64:  # on floats
        variance = covariance[0, 0] + np.ravel(reg_covar)[0]
        shortfall = np.ravel(floor)[0] - variance
        return np.array([[variance + np.maximum(shortfall, 0.0)]])
    n_columns = covariance.shape[0]
    diagonal = np.diag_indices(n_columns)
    reg_covar = np.zeros(n_columns) + reg_covar
    if covariance_type == "spherical":
        reg_covar = np.full(n_columns, reg_covar.mean())
    covariance = covariance.copy()
    covariance[diagonal] += reg_covar
    shortfall = floor - covariance[diagonal]
    if covariance_type == "spherical":
        shortfall = np.full(n_columns, shortfall.max())
    covariance[diagonal] += np.maximum(shortfall, 0.0)
    return covariance


def variance_floor(targets, sample_weight):
    """Per-column variance that residuals of ``targets`` cannot go below.

    Two limits of what recorded targets can resolve:

    - a *grid*: targets recorded to a step ``delta`` (rounded to 4 digits,
      integers) carry a rounding error uniform over ``delta``, of variance
      ``delta^2 / 12``; a Gaussian narrower than that fits the grid, not
      the noise;
    - *rounding*: residuals below ``eps`` times the mean square of the
      targets are the float64 noise of a fit.

    The grid step is the smallest gap between distinct values of a column
    when every gap is a whole multiple of it (to 1e-3); otherwise the
    column is continuous and only the rounding limit applies.

    Returns
    -------
    floor : ndarray of shape (n_columns,)
    """
    seen = targets[sample_weight > 0]
    steps = np.array([grid_step(column) for column in seen.T])
    return np.maximum(rounding_variance(targets, sample_weight), steps**2 / 12)


def rounding_variance(targets, sample_weight):
    """Per column, ``eps`` times the weighted mean square of ``targets``:
    the variance of the float64 rounding noise in a fit to them."""
    total = max(sample_weight.sum(), TINY)
    return np.finfo(float).eps * (sample_weight @ targets**2) / total


def grid_step(values):
    """The step of the grid the finite ``values`` lie on, or 0 when they do
    not lie on one: fewer than three distinct values, gaps that are not
    whole multiples of the smallest one, or a step beyond the median
    absolute deviation of the values (a few values far from a constant bulk
    are outliers, not a grid)."""
    finite = values[np.isfinite(values)]
    distinct = np.unique(finite)
    gaps = np.diff(distinct)
    if len(gaps) < 2:
        return 0.0
    step = gaps.min()
    multiples = gaps / step
    on_grid = np.all(np.abs(multiples - np.round(multiples)) < 1e-3)
    spread = np.median(np.abs(finite - np.median(finite)))
    return float(step) if on_grid and step <= spread else 0.0


def residual_scale(residuals, sample_weight, targets=None):
    """Per-column variance scale of residuals, for the relative floors.

    The weighted median of ``e_j^2`` divided by its value at the standard
    Gaussian (``chi2_1`` median, 0.455): robust to half of the samples being
    outliers. Residuals smaller than ``sqrt(eps)`` times the root mean
    square of the ``targets`` are rounding noise of a fit (a constant or
    exactly fitted column): the scale is at least that. Without targets, a
    zero median falls back to the mean square, then to 1.

    Returns
    -------
    scale : ndarray of shape (n_columns,)
    """
    squares = residuals**2
    scale = np.array([_weighted_median(column, sample_weight) for column in squares.T])
    scale = scale / stats.chi2.ppf(0.5, 1)
    if targets is not None:
        scale = np.maximum(scale, rounding_variance(targets, sample_weight))
    total = max(sample_weight.sum(), TINY)
    mean_square = sample_weight @ squares / total
    scale = np.where(scale > 0, scale, mean_square)
    return np.where(scale > 0, scale, 1.0)


def gaussian_params(residuals, sample_weight, covariance_type="full", reg_covar=1e-6,
                    floor=0.0):
    """A pure Gaussian group (``rho = 1``, no uniform) fitted to residuals."""
    covariance = weighted_covariance(residuals, sample_weight, covariance_type, reg_covar,
                                     floor=floor)
    return GroupParams(1.0, covariance, np.inf)


def cholesky_factor(covariance, role="",
                    degenerate="the residuals are degenerate. Increase reg_covar."):
    """Lower Cholesky factor of a residual covariance, or a ``ValueError``
    that says why there is none (``role`` and ``degenerate`` complete it)."""
    if covariance.shape == (1, 1):  # one column: no factorisation to call
        variance = covariance[0, 0]
        if not math.isfinite(variance):
            raise ValueError(_not_finite(role))
        if not variance > 0:
            raise ValueError(_not_positive(role, degenerate))
        return np.sqrt(covariance)
    if not np.isfinite(covariance).all():
        raise ValueError(_not_finite(role))
    try:
        return linalg.cholesky(covariance, lower=True)
    except linalg.LinAlgError as exc:
        raise ValueError(_not_positive(role, degenerate)) from exc


def _not_finite(role):
    return (f"The residual covariance{role} is not finite: the squared residuals "
            "overflow float64. Rescale y, or check the estimator's predictions.")


def _not_positive(role, degenerate):
    return f"The residual covariance{role} is not positive definite: {degenerate}"


def gaussian_log_density(residuals, covariance):
    """Log-density of ``N(0, covariance)`` at each row of ``residuals``."""
    return log_gaussian_peak(covariance) - 0.5 * squared_distances(residuals, covariance)


def squared_distances(residuals, covariance, cholesky=None):
    """Squared Mahalanobis distance of each row of ``residuals`` under
    ``covariance`` (whose :func:`cholesky_factor` may be passed)."""
    if cholesky is None:
        cholesky = cholesky_factor(covariance)
    if cholesky.shape == (1, 1):
        return (residuals[:, 0] / cholesky[0, 0]) ** 2
    whitened = linalg.solve_triangular(cholesky, residuals.T, lower=True)
    return np.sum(whitened**2, axis=0)


def log_gaussian_peak(covariance, cholesky=None):
    """Log-density of ``N(0, covariance)`` at zero (``cholesky``: its
    :func:`cholesky_factor`, if at hand)."""
    if cholesky is None:
        cholesky = cholesky_factor(covariance)
    if cholesky.shape == (1, 1):  # the sum of one log, without the array calls
        log_det = 2 * np.log(cholesky[0, 0])
    else:
        log_det = 2 * np.sum(np.log(np.diag(cholesky)))
    return -0.5 * (covariance.shape[0] * _LOG_2PI + log_det)


def _log_box_widths(residuals, outlier_weights, sample_weight, uniform):
    """Per-column log-width of the uniform box from one of the update rules."""
    if uniform == "range":
        support = residuals[sample_weight > 0]
        widths = support.max(axis=0) - support.min(axis=0)
    else:
        # Moments of a uniform on [a, b]: b - a = 2 sqrt(3 (C2 - C1^2)).
        total = max(outlier_weights.sum(), TINY)
        first = outlier_weights @ residuals / total
        second = outlier_weights @ residuals**2 / total
        widths = 2 * np.sqrt(3 * np.maximum(second - first**2, 0))
    with np.errstate(divide="ignore"):
        return np.log(widths)


def _explained_span(residuals, resp, outlier_weights):
    """Per column, the span of the residuals the uniform explains, each
    pulled towards the outliers' mean by its inlier responsibility.

    A residual with ``r_n = 0`` counts fully, one with ``r_n = 1`` not at
    all: the span moves continuously with the responsibilities. A hard rule
    (span of the residuals with ``r_n < 0.5``) jumps when one residual
    crosses 0.5, and the EM can then cycle between two boxes.
    """
    if not outlier_weights.any():
        return np.zeros(residuals.shape[1])
    centre = outlier_weights @ residuals / outlier_weights.sum()
    pulled = centre + (1 - resp)[:, None] * (residuals - centre)
    pulled = pulled[outlier_weights > 0]
    return pulled.max(axis=0) - pulled.min(axis=0)


def uniform_log_volume(residuals, resp, sample_weight, covariance, uniform,
                       resolution=0.0):
    """Log-volume of the uniform component, kept a model of spread-out outliers.

    The box is axis-aligned, except along the columns that the residuals do
    not span (an output that repeats others, or their sum, to within
    ``resolution``): there it lives in the Gaussian's *conditional
    coordinate* ``u_j``, the part of column ``j`` that the Gaussian does not
    predict linearly from the earlier columns
    (:func:`sklearn_gum._span.conditional_coordinates`). The change of
    coordinates has determinant one, so the box has the volume of its
    parallelepiped in ``e``. (A box in the conditional coordinates of every
    column tilts with the inliers' correlation, which lets outliers that
    share it, such as a shift of several outputs at once, look like inliers.)

    The rule (``"moments"``, ``"range"`` or a fixed positive volume) gives a
    first volume. For the rules, each side of the box is then widened to span
    the residuals the uniform explains (each pulled towards the outliers'
    mean by its inlier responsibility, so that the box moves continuously
    with the responsibilities) and to at least ``sqrt(2 pi var_j)`` (the
    Gaussian's variance along the coordinate), so that no density of the
    uniform along it exceeds the Gaussian's. Whatever
    the rule, the volume is at least ``1 / N(0; 0, Sigma)``: the uniform
    density never exceeds the Gaussian's peak. Without these floors the
    moment rule can collapse onto the centre of clean residuals, and a
    constant output column (zero residual spread) would make the uniform
    infinitely dense. A direction the residuals do not span (an output that
    repeats another, or a sum of others) gets ``u_j = 0`` for every sample:
    there both components have the Gaussian's density, and the mixture is
    that of the outputs that span the residuals.

    Parameters
    ----------
    residuals : ndarray of shape (n_samples, n_columns)
    resp : ndarray of shape (n_samples,)
        Inlier responsibilities ``r_n``.
    sample_weight : ndarray of shape (n_samples,)
    covariance : ndarray of shape (n_columns, n_columns)
    uniform : {"moments", "range"} or float
    resolution : float or ndarray of shape (n_columns,), default=0.0
        The residual variance below which a column counts as not spanned
        (``reg_covar`` or the variance floor of the targets' grid).

    Returns
    -------
    log_volume : float
    """
    floor = -log_gaussian_peak(covariance)
    if not isinstance(uniform, str):
        return max(np.log(uniform), floor)
    coordinates, variances = conditional_coordinates(residuals, covariance,
                                                     sample_weight, resolution)
    outlier_weights = sample_weight * (1 - resp)
    log_widths = _log_box_widths(coordinates, outlier_weights, sample_weight, uniform)
    with np.errstate(divide="ignore"):
        log_widths = np.maximum(log_widths, np.log(_explained_span(coordinates, resp,
                                                                   outlier_weights)))
    # Per coordinate, the box is at least sqrt(2 pi var_j) wide: no uniform
    # density along it above the Gaussian's peak there. The product of these
    # floors is at least 1 / N(0; 0, Sigma) (det Sigma <= prod var_j).
    conditional_floor = 0.5 * np.log(2 * np.pi * variances)
    return max(np.sum(np.maximum(log_widths, conditional_floor)), floor)


def e_step(residuals, params):
    """Inlier responsibilities and per-sample log-likelihood of one group.

    Returns
    -------
    resp : ndarray of shape (n_samples,)
        ``r_n = rho N(e_n) / (rho N(e_n) + (1 - rho) q(e_n))``, with ``q``
        the outlier density.
    log_lik : ndarray of shape (n_samples,)
        ``log(rho N(e_n) + (1 - rho) q(e_n))``.
    """
    cholesky = cholesky_factor(params.covariance)
    distances = squared_distances(residuals, params.covariance, cholesky)
    log_peak = log_gaussian_peak(params.covariance, cholesky)
    if params.inlier_prior >= 1:
        return np.ones(len(residuals)), log_peak - 0.5 * distances
    log_inlier, log_outlier = log_components(distances, log_peak, params)
    log_lik = np.logaddexp(log_inlier, log_outlier)
    return np.exp(log_inlier - log_lik), log_lik


def log_components(distances, log_peak, params):
    """``log(rho N(e_n; 0, Sigma))`` and ``log((1 - rho) q(e_n))`` of a
    group with outliers (``rho < 1``), from the squared Mahalanobis
    distances ``distances`` and ``log_peak``, the log-density of
    ``N(0, Sigma)`` at zero."""
    log_inlier = np.log(params.inlier_prior) + log_peak - 0.5 * distances
    log_outlier = np.log1p(-params.inlier_prior) + outlier_log_density(
        distances, log_peak, params)
    return log_inlier, log_outlier


def outlier_log_density(distances, log_peak, params):
    """Log-density of the outlier component at residuals whose squared
    Mahalanobis distances under ``Sigma`` are ``distances`` (``log_peak``:
    the log-density of ``N(0, Sigma)`` at zero); the uniform's, the same at
    every residual, as one float."""
    if np.isfinite(params.outlier_scale):
        scale = params.outlier_scale
        n_columns = params.covariance.shape[0]
        return log_peak - 0.5 * n_columns * np.log(scale) - 0.5 * distances / scale
    return -params.log_volume


def precision_weights(resp, params):
    """Per sample and group, the weight ``r_n + (1 - r_n) / k`` of the
    residual's squared distance under ``Sigma`` in the expected
    log-likelihood: the weight of the regressor's refit. For a uniform
    (``k = inf``) it is ``r_n``: the uniform does not depend on the fit.

    Parameters
    ----------
    resp : ndarray of shape (n_samples, n_groups)
    params : list of GroupParams

    Returns
    -------
    weights : ndarray of shape (n_samples, n_groups)
    """
    scales = np.array([group.outlier_scale for group in params], dtype=float)
    return resp + (1 - resp) / scales


def keep_better_volume(residuals, params, previous_log_volume, sample_weight, reached):
    """The E-step of ``params``, or of ``params`` with the previous uniform
    volume where the rule's volume would lower the likelihood.

    The rules for the volume (:func:`uniform_log_volume`) do not maximise
    the likelihood (with a fixed volume it only ever favours a smaller
    one), so EM on them alone can lower it and cycle. Here the rule's
    volume is kept when the mean log-likelihood stays at or above
    ``reached`` (that of the previous iteration); otherwise the previous
    volume, under which the EM steps of ``rho``, ``Sigma`` and the centre
    cannot have lowered it: the likelihood never decreases.

    Returns
    -------
    params : GroupParams
    resp, log_lik : ndarray of shape (n_samples,)
    """
    resp, log_lik = e_step(residuals, params)
    if (previous_log_volume == params.log_volume
            or not_lower(mean_log_likelihood(log_lik, sample_weight), reached)):
        return params, resp, log_lik
    params = dataclasses.replace(params, log_volume=previous_log_volume)
    return (params, *e_step(residuals, params))


def not_lower(value, reached):
    """Whether ``value`` is not below ``reached``, to within float64
    rounding of a mean log-likelihood (relative 1e-12): a tie is not a
    decrease, whatever the rounding of the weights."""
    return value >= reached - 1e-12 * max(1.0, abs(reached))


def m_step(residuals, resp, sample_weight, *, covariance_type, uniform, reg_covar,
           floor=0.0, mixture=True, dof=0.0, outlier_scale=np.inf):
    """Maximise the expected log-likelihood over ``rho``, ``Sigma`` and the
    outlier component: the uniform's volume, or with a finite
    ``outlier_scale`` (the current ``k``) the contaminated normal's ``k``
    (:func:`contaminated_m_step`).

    With ``mixture=False`` the group is a pure Gaussian: ``rho`` stays 1.
    ``dof`` corrects ``Sigma`` for the parameters of a regressor refitted on
    these weighted residuals (see :func:`weighted_covariance`).
    """
    options = dict(covariance_type=covariance_type, reg_covar=reg_covar, dof=dof,
                   floor=floor)
    if mixture and np.isfinite(outlier_scale):
        return contaminated_m_step(residuals, resp, sample_weight, outlier_scale,
                                   **options)
    inlier_weights = sample_weight * resp
    covariance = weighted_covariance(residuals, inlier_weights, **options)
    if not mixture:
        return GroupParams(1.0, covariance, np.inf)
    log_volume = uniform_log_volume(residuals, resp, sample_weight, covariance, uniform,
                                    resolution=np.maximum(reg_covar, floor))
    return GroupParams(_prior(resp, sample_weight), covariance, log_volume)


def contaminated_m_step(residuals, resp, sample_weight, outlier_scale, *,
                        covariance_type, reg_covar, floor=0.0, dof=0.0):
    """ECM step of the contaminated normal ``rho N(0, Sigma) + (1 - rho)
    N(0, k Sigma)``: ``Sigma`` for the current ``k``,

        Sigma = sum_n w_n (r_n + (1 - r_n) / k) e_n e_n^T / sum_n w_n,

    then ``k`` for that ``Sigma`` (:func:`outlier_scale_update`). Each
    maximises the expected log-likelihood given the other, so the EM is
    monotone.
    """
    weights = sample_weight * (resp + (1 - resp) / outlier_scale)
    covariance = weighted_covariance(residuals, weights, covariance_type, reg_covar,
                                     dof, floor, total=sample_weight.sum())
    scale = outlier_scale_update(residuals, sample_weight * (1 - resp), covariance)
    return GroupParams(_prior(resp, sample_weight), covariance, np.inf, scale)


def outlier_scale_update(residuals, outlier_weights, covariance):
    """``k = sum_n w_n (1 - r_n) d_n / (D sum_n w_n (1 - r_n))``, the mean
    squared Mahalanobis distance ``d_n`` of the outliers per column (``D``
    columns), at least 1: the outliers are the broader component."""
    total = outlier_weights.sum()
    if total <= 0:
        return 1.0
    distances = squared_distances(residuals, covariance)
    return max(outlier_weights @ distances / (covariance.shape[0] * total), 1.0)


def _prior(resp, sample_weight):
    inlier_weight = sample_weight @ resp
    return max(inlier_weight / max(sample_weight.sum(), TINY),
               MIN_INLIER_PRIOR)


def _weighted_median(values, weights):
    """The lower weighted median; a tie at half the weight is kept whatever
    the rounding of the weights (their scale does not move it). Under
    equal weights, the lower median, found without a sort."""
    if weights[0] > 0 and np.all(weights == weights[0]):
        middle = (len(values) - 1) // 2
        return np.partition(values, middle)[middle]
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    half = 0.5 * cumulative[-1] * (1 - 1e-12)
    return values[order][np.searchsorted(cumulative, half)]


def has_converged(previous, current, tol):
    """EM's stopping rule on the mean log-likelihood ``L`` per sample: a
    change of at most ``tol`` nats. A change of units shifts ``L`` by a
    constant, so the rule does not depend on the units of the targets."""
    return abs(current - previous) <= tol


def inlier_share(resp, threshold, sample_weight):
    """Weighted share of samples (averaged over groups) whose outlier
    probability ``1 - r`` is below ``threshold``."""
    inliers = (1 - resp) < threshold
    if inliers.shape[1] == 1:  # its mean over one group: the flags as floats
        return weighted_mean(inliers[:, 0].astype(float), sample_weight)
    return weighted_mean(inliers.mean(axis=1), sample_weight)


def mean_log_likelihood(log_lik, sample_weight):
    """Weighted mean of per-sample log-likelihoods."""
    return weighted_mean(log_lik, sample_weight)


def weighted_mean(values, weights):
    """``np.average(values, weights=weights)`` of one-dimensional float
    arrays, as a float: the same sums, without its checks (a tenth of an
    E-step over a thousand residuals)."""
    total = weights.sum()
    if total == 0:
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    return float(np.multiply(values, weights).sum() / total)
