"""EM maths of a Gaussian-uniform mixture over regression residuals.

Pure functions on arrays: no estimator plumbing. A *group* is a set of output
columns that shares one responsibility per sample (all columns for
per-sample granularity, one column per output, or the ``(x, y)`` columns of a
landmark). Each group ``g`` has an inlier prior ``rho``, a zero-mean Gaussian
covariance ``Sigma`` and the log-volume of a uniform box, and its residuals
``e_n`` have the density

    p(e_n) = rho N(e_n; 0, Sigma) + (1 - rho) / volume.
"""

from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
from scipy import linalg, special, stats

from ._progress import iteration_budget
from ._span import conditional_coordinates, spanning_columns

COVARIANCE_TYPES = ("full", "diag", "spherical")
UNIFORM_RULES = ("moments", "range")
MIN_INLIER_PRIOR = 1e-6
_LOG_2PI = np.log(2 * np.pi)


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
        Logarithm of the volume ``gamma`` of the uniform (outlier) component.
    """

    inlier_prior: float
    covariance: np.ndarray
    log_volume: float


def weighted_covariance(residuals, weights, covariance_type="full", reg_covar=1e-6,
                        dof=0.0, floor=0.0):
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

    Returns
    -------
    covariance : ndarray of shape (n_columns, n_columns)
    """
    n_columns = residuals.shape[1]
    total = dof_divisor(weights.sum(), dof)
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
    return max(total - dof, min(total, 1.0), np.finfo(float).tiny)


def regularised(covariance, covariance_type, reg_covar, floor):
    """``covariance`` plus ``reg_covar`` on the diagonal, which is then
    raised to ``floor`` where it falls below (alike for every column of a
    spherical covariance)."""
    n_columns = covariance.shape[0]
    reg_covar = np.broadcast_to(reg_covar, (n_columns,))
    if covariance_type == "spherical":
        reg_covar = np.full(n_columns, reg_covar.mean())
    covariance = covariance + np.diag(reg_covar)
    shortfall = np.broadcast_to(floor, (n_columns,)) - np.diag(covariance)
    if covariance_type == "spherical":
        shortfall = np.full(n_columns, shortfall.max())
    return covariance + np.diag(np.maximum(shortfall, 0.0))


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
    total = max(sample_weight.sum(), np.finfo(float).tiny)
    floor = np.finfo(float).eps * (sample_weight @ targets**2) / total
    steps = np.array([grid_step(column) for column in seen.T])
    return np.maximum(floor, steps**2 / 12)


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
    total = max(sample_weight.sum(), np.finfo(float).tiny)
    if targets is not None:
        rounding = np.finfo(float).eps * (sample_weight @ targets**2) / total
        scale = np.maximum(scale, rounding)
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
    name = f"The residual covariance{role}"
    if not np.isfinite(covariance).all():
        raise ValueError(
            f"{name} is not finite: the squared residuals overflow float64. "
            "Rescale y, or check the estimator's predictions."
        )
    try:
        return linalg.cholesky(covariance, lower=True)
    except linalg.LinAlgError as exc:
        raise ValueError(f"{name} is not positive definite: {degenerate}") from exc


def gaussian_log_density(residuals, covariance):
    """Log-density of ``N(0, covariance)`` at each row of ``residuals``."""
    return log_gaussian_peak(covariance) - 0.5 * squared_distances(residuals, covariance)


def squared_distances(residuals, covariance):
    """Squared Mahalanobis distance of each row of ``residuals`` under
    ``covariance``."""
    cholesky = cholesky_factor(covariance)
    whitened = linalg.solve_triangular(cholesky, residuals.T, lower=True)
    return np.sum(whitened**2, axis=0)


def log_gaussian_peak(covariance):
    """Log-density of ``N(0, covariance)`` at zero."""
    cholesky = cholesky_factor(covariance)
    log_det = 2 * np.sum(np.log(np.diag(cholesky)))
    return -0.5 * (covariance.shape[0] * _LOG_2PI + log_det)


def _log_box_widths(residuals, outlier_weights, sample_weight, uniform):
    """Per-column log-width of the uniform box from one of the update rules."""
    if uniform == "range":
        support = residuals[sample_weight > 0]
        widths = support.max(axis=0) - support.min(axis=0)
    else:
        # Moments of a uniform on [a, b]: b - a = 2 sqrt(3 (C2 - C1^2)).
        total = max(outlier_weights.sum(), np.finfo(float).tiny)
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


def uniform_log_volume(residuals, resp, sample_weight, covariance, uniform):
    """Log-volume of the uniform component, kept a model of spread-out outliers.

    The box lives in the Gaussian's *conditional coordinates*
    ``u = M^{-1} e``, with ``Sigma = M D M^T`` (``M`` unit lower triangular,
    ``D`` the conditional variances ``Sigma_{j | <j}``): ``u_j`` is the part
    of column ``j`` that the Gaussian does not predict linearly from the
    earlier columns. ``M`` has determinant one, so a box in ``u`` has the
    volume of its parallelepiped in ``e``; for a diagonal ``Sigma``, ``u = e``
    and the box is axis-aligned.

    The rule (``"moments"``, ``"range"`` or a fixed positive volume) gives a
    first volume. For the rules, each side of the box is then widened to span
    the residuals the uniform explains (each pulled towards the outliers'
    mean by its inlier responsibility, so that the box moves continuously
    with the responsibilities) and to at least ``sqrt(2 pi D_j)``, so that
    no conditional density of the uniform exceeds the Gaussian's. Whatever
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

    Returns
    -------
    log_volume : float
    """
    floor = -log_gaussian_peak(covariance)
    if not isinstance(uniform, str):
        return max(np.log(uniform), floor)
    coordinates, variances = conditional_coordinates(residuals, covariance)
    outlier_weights = sample_weight * (1 - resp)
    log_widths = _log_box_widths(coordinates, outlier_weights, sample_weight, uniform)
    with np.errstate(divide="ignore"):
        log_widths = np.maximum(log_widths, np.log(_explained_span(coordinates, resp,
                                                                   outlier_weights)))
    # Per coordinate, the box is at least sqrt(2 pi D_j) wide: no conditional
    # uniform density above the conditional Gaussian peak. The product of
    # these floors is 1 / N(0; 0, Sigma) (det Sigma = prod D_j).
    conditional_floor = 0.5 * np.log(2 * np.pi * variances)
    return max(np.sum(np.maximum(log_widths, conditional_floor)), floor)


def e_step(residuals, params):
    """Inlier responsibilities and per-sample log-likelihood of one group.

    Returns
    -------
    resp : ndarray of shape (n_samples,)
        ``r_n = rho N(e_n) / (rho N(e_n) + (1 - rho) / volume)``.
    log_lik : ndarray of shape (n_samples,)
        ``log(rho N(e_n) + (1 - rho) / volume)``.
    """
    log_inlier = np.log(params.inlier_prior) + gaussian_log_density(
        residuals, params.covariance
    )
    if params.inlier_prior >= 1:
        return np.ones(len(residuals)), log_inlier
    log_outlier = np.log1p(-params.inlier_prior) - params.log_volume
    log_lik = np.logaddexp(log_inlier, log_outlier)
    return np.exp(log_inlier - log_lik), log_lik


def m_step(residuals, resp, sample_weight, *, covariance_type, uniform, reg_covar,
           floor=0.0, mixture=True, dof=0.0):
    """Maximise the expected log-likelihood over ``rho``, ``Sigma`` and the volume.

    With ``mixture=False`` the group is a pure Gaussian: ``rho`` stays 1.
    ``dof`` corrects ``Sigma`` for the parameters of a regressor refitted on
    these weighted residuals (see :func:`weighted_covariance`).
    """
    inlier_weights = sample_weight * resp
    covariance = weighted_covariance(
        residuals, inlier_weights, covariance_type, reg_covar, dof, floor
    )
    if not mixture:
        return GroupParams(1.0, covariance, np.inf)
    prior = max(inlier_weights.sum() / max(sample_weight.sum(), np.finfo(float).tiny),
                MIN_INLIER_PRIOR)
    log_volume = uniform_log_volume(
        residuals, resp, sample_weight, covariance, uniform
    )
    return GroupParams(prior, covariance, log_volume)


def robust_start(residuals, sample_weight, *, covariance_type, uniform, reg_covar,
                 floor=0.0, n_steps=3):
    """Starting parameters scaled by the best half of the residuals
    (:func:`robust_covariance`); ``rho`` starts at 0.5.

    A scale taken from all residuals would be inflated by the outliers and
    make every sample look like an inlier.
    """
    covariance, inside = robust_covariance(
        residuals, sample_weight, covariance_type=covariance_type, reg_covar=reg_covar,
        floor=floor, n_steps=n_steps,
    )
    resp = inside.astype(float)
    log_volume = uniform_log_volume(residuals, resp, sample_weight, covariance, uniform)
    return GroupParams(0.5, covariance, log_volume)


def robust_covariance(residuals, sample_weight, *, covariance_type="full", reg_covar=0.0,
                      floor=0.0, dof=0.0, n_steps=3):
    """Covariance of the best half of zero-centred residuals, consistent at
    the Gaussian.

    The half of the (weighted) residuals with the smallest Mahalanobis
    distances, refined by ``n_steps`` concentration steps, as in the minimum
    covariance determinant; its second moment is rescaled by the asymptotic
    consistency factor ``0.5 / F_{chi2, d+2}(chi2_{d, 0.5})`` and by the
    small-sample factor of :func:`small_sample_factor`.

    Returns
    -------
    covariance : ndarray of shape (n_columns, n_columns)
    inside : ndarray of bool of shape (n_samples,)
        The best half.
    """
    n_columns = residuals.shape[1]
    inside = sample_weight > 0
    covariance = weighted_covariance(residuals, sample_weight, covariance_type, reg_covar,
                                     floor=floor)
    cutoff = stats.chi2.ppf(0.5, n_columns)
    consistency = 0.5 / stats.chi2.cdf(cutoff, n_columns + 2)
    consistency *= small_sample_factor(sample_weight.sum(), n_columns)
    for _ in range(n_steps):
        distances = squared_distances(residuals, covariance)
        inside = distances <= _weighted_median(distances, sample_weight)
        covariance = regularised(
            consistency * weighted_covariance(
                residuals, sample_weight * inside, covariance_type, 0, dof=dof
            ),
            covariance_type, reg_covar, floor,
        )
    return covariance, inside


def small_sample_factor(n_samples, n_columns):
    """Small-sample correction of :func:`robust_covariance` (1 for now)."""
    return 1.0


def fit_residuals(residuals, sample_weight, *, covariance_type, uniform, reg_covar,
                  floor=0.0, max_iter=100, tol=1e-4):
    """EM of the mixture over fixed residuals, up to an offset.

    The Gaussian's centre is free here: a refit of any regressor with an
    intercept would move it, and a start dragged by one-sided outliers
    leaves its inliers off zero. It starts at the weighted median, with
    :func:`robust_start`, and follows ``sum w r e / sum w r``.

    Returns
    -------
    params : GroupParams
    offset : ndarray of shape (n_columns,)
        The Gaussian's centre.
    resp, log_lik : ndarray of shape (n_samples,)
    n_iter : int
    converged : bool
        Whether the mean log-likelihood changed by at most ``tol``.
    """
    options = dict(covariance_type=covariance_type, uniform=uniform, reg_covar=reg_covar,
                   floor=floor)
    offset = np.array([_weighted_median(column, sample_weight) for column in residuals.T])
    params = robust_start(residuals - offset, sample_weight, **options)
    resp, log_lik = e_step(residuals - offset, params)
    mean = mean_log_likelihood(log_lik, sample_weight)
    converged = False
    budget = iteration_budget(max_iter)
    for n_iter in range(1, max_iter + 1):
        inlier_weights = sample_weight * resp
        offset = inlier_weights @ residuals / max(inlier_weights.sum(), np.finfo(float).tiny)
        params = m_step(residuals - offset, resp, sample_weight, **options)
        resp, log_lik = e_step(residuals - offset, params)
        previous, mean = mean, mean_log_likelihood(log_lik, sample_weight)
        converged = has_converged(previous, mean, tol)
        if converged:
            break
        budget.step(n_iter)
    return params, offset, resp, log_lik, n_iter, converged


class ResidualMixture(NamedTuple):
    """The mixture of one group's fixed residuals against a Gaussian.

    Attributes
    ----------
    evidence : float
        NEC evidence for the mixture (:func:`outlier_evidence`).
    params : GroupParams
        The mixture, centred at ``offset``.
    offset : ndarray of shape (n_columns,)
        The Gaussian's centre.
    resp : ndarray of shape (n_samples,)
    n_iter : int
    converged : bool
    likelihood_ratio : float
        ``2 (L_mixture - L_gaussian)``, the evidence before its entropy term.
    n_columns : int or None
        Number of columns that span the residuals and took part in the
        evidence (:func:`sklearn_gum._span.spanning_columns`); None: all of the group's.
    """

    evidence: float
    params: GroupParams
    offset: np.ndarray
    resp: np.ndarray
    n_iter: int
    converged: bool
    likelihood_ratio: float = 0.0
    n_columns: int = None


def residual_evidence(residuals, sample_weight, *, covariance_type, uniform,
                      reg_covar, floor=0.0, max_iter=100, tol=1e-4):
    """Outlier evidence in fixed residuals of one group.

    EM of the mixture over the residuals (:func:`fit_residuals`) against a
    Gaussian fitted to them, both with a free centre, compared by
    :func:`outlier_evidence`. With a full covariance, only the columns that
    span the residuals take part (:func:`sklearn_gum._span.spanning_columns`): an output that
    repeats another, or a sum of others, would give the Gaussian a density
    bounded only by ``reg_covar`` in a direction where the uniform has none,
    and the evidence would depend on how often an output is repeated. The
    mixture that starts the EM is then completed to every column by an
    M-step with the responsibilities found.

    Returns
    -------
    mixture : ResidualMixture
        The evidence (positive when the data support the uniform component),
        the fitted mixture and the convergence of its EM.
    """
    n_columns = residuals.shape[1]
    options = dict(covariance_type=covariance_type, uniform=uniform,
                   reg_covar=np.broadcast_to(reg_covar, (n_columns,)),
                   floor=np.broadcast_to(floor, (n_columns,)))
    kept = np.arange(n_columns)
    if covariance_type == "full":
        kept = spanning_columns(residuals, sample_weight,
                                np.maximum(options["reg_covar"], options["floor"]))
    spanned = {**options, "reg_covar": options["reg_covar"][kept],
               "floor": options["floor"][kept]}
    params, offset, resp, log_lik, n_iter, converged = fit_residuals(
        residuals[:, kept], sample_weight, max_iter=max_iter, tol=tol, **spanned)
    centred = residuals[:, kept] - np.average(residuals[:, kept], axis=0,
                                              weights=sample_weight)
    gaussian = gaussian_params(centred, sample_weight, covariance_type,
                               spanned["reg_covar"], spanned["floor"])
    gaussian_log_lik = e_step(centred, gaussian)[1]
    evidence = outlier_evidence(log_lik, gaussian_log_lik, resp, sample_weight)
    ratio = 2 * float(sample_weight @ (log_lik - gaussian_log_lik))
    if len(kept) < n_columns:
        inlier_weights = sample_weight * resp
        offset = inlier_weights @ residuals / max(inlier_weights.sum(),
                                                  np.finfo(float).tiny)
        params = m_step(residuals - offset, resp, sample_weight, **options)
    return ResidualMixture(evidence, params, offset, resp, n_iter, converged, ratio,
                           len(kept))


def gaussian_start(residuals, sample_weight, *, covariance_type, uniform, reg_covar,
                   floor=0.0):
    """A mixture that is almost the Gaussian of the residuals: where the EM
    of a group starts when its uniform is forced on (``outlier_component=
    "always"``) although the residuals do not support it.

    The Gaussian is centred at the weighted mean; ``rho = 1 - 1 / n`` and
    the volume is that of an empty uniform (its floors). From there the EM
    gives the uniform only what the data push onto it, instead of starting
    from an overlap of the two components that clean residuals cannot tell
    apart. (On small clean samples the Gaussian-uniform likelihood can still
    prefer a narrower Gaussian and a uniform over the tails.)
    """
    offset = np.average(residuals, axis=0, weights=sample_weight)
    centred = residuals - offset
    covariance = weighted_covariance(centred, sample_weight, covariance_type, reg_covar,
                                     floor=floor)
    resp = np.ones(len(residuals))
    log_volume = uniform_log_volume(centred, resp, sample_weight, covariance, uniform)
    prior = 1 - 1 / max(np.count_nonzero(sample_weight), 2)
    return GroupParams(prior, covariance, log_volume), offset


def _weighted_median(values, weights):
    order = np.argsort(values)
    cumulative = np.cumsum(weights[order])
    return values[order][np.searchsorted(cumulative, 0.5 * cumulative[-1])]


def has_converged(previous, current, tol):
    """EM's stopping rule on the mean log-likelihood ``L`` per sample: a
    change of at most ``tol`` nats. A change of units shifts ``L`` by a
    constant, so the rule does not depend on the units of the targets."""
    return abs(current - previous) <= tol


def inlier_share(resp, threshold, sample_weight):
    """Weighted share of samples (averaged over groups) whose outlier
    probability ``1 - r`` is below ``threshold``."""
    inliers = (1 - resp) < threshold
    return float(np.average(inliers.mean(axis=1), weights=sample_weight))


def mean_log_likelihood(log_lik, sample_weight):
    """Weighted mean of per-sample log-likelihoods."""
    return float(np.average(log_lik, weights=sample_weight))


def outlier_evidence(log_lik_mixture, log_lik_gaussian, resp, sample_weight):
    """Evidence for the mixture over a pure Gaussian: the normalised entropy
    criterion (NEC) for one against two components.

    NEC (Celeux and Soromenho 1996, in the form of Biernacki, Celeux and
    Govaert 1999 that also decides between one and two components) prefers
    the mixture when ``E / (L_mix - L_gauss) < 1``: the log-likelihood gained
    must exceed the entropy ``E = sum_n w_n H(r_n)`` of the soft assignments
    it creates. A uniform that overlaps the Gaussian (it would merely reshape
    the tails of clean residuals) leaves samples undecided and pays for them;
    one that isolates gross outliers is decided (``r_n`` near 0 or 1) and
    pays almost nothing. The evidence is returned on the deviance scale,

        2 (L_mix - L_gauss) - 2 sum_n w_n H(r_n),

    with total log-likelihoods ``L`` and the binary entropy ``H``: positive
    exactly when NEC is below 1.
    """
    gain = sample_weight @ (log_lik_mixture - log_lik_gaussian)
    entropy = sample_weight @ (special.entr(resp) + special.entr(1 - resp))
    return float(2 * gain - 2 * entropy)
