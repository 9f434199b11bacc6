"""The EM core of every GUM fit: one state, one outlier decision, one result.

A *driver* owns the regressor and its M-step: :mod:`sklearn_gum._regressor_em`
refits a scikit-learn estimator with weights, :mod:`sklearn_gum.nn` trains a
network between E-steps. Both drive the same objects:

1. :func:`decide_outliers` on the residuals of a fit made without the
   mixture tells, per group of outputs, whether the uniform component is
   kept (``has_outliers_``);
2. an :class:`EMState` starts from such residuals (:meth:`EMState.start`),
   updates the mixture (:meth:`EMState.m_step`) and, after each M-step of
   the regressor, takes the E-step on the new residuals and checks
   convergence (:meth:`EMState.iterate`);
3. :meth:`EMState.result` freezes the kept run into an :class:`EMResult`,
   which :class:`~sklearn_gum.GUMRegressor` stores as its fitted attributes.

The maths of a single group lives in :mod:`sklearn_gum._mixture`.
"""

import dataclasses
import warnings
from dataclasses import dataclass, fields
from numbers import Integral, Real

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.utils._param_validation import StrOptions

from . import _mixture
from ._calibration import calibrated_evidence
from ._validation import NumberInterval
from .exceptions import DegenerateMixtureWarning

COLLAPSED_INLIER_PRIOR = 0.01
UNDECIDED_MARGIN = 0.05

# The mixture's parameters, checked alike by GUMRegressor and GUMCriterion.
PARAMETER_CONSTRAINTS = {
    "covariance_type": [StrOptions(set(_mixture.COVARIANCE_TYPES))],
    "outlier_granularity": [StrOptions({"sample", "output"}), list],
    "uniform": [
        StrOptions(set(_mixture.UNIFORM_RULES)),
        NumberInterval(Real, 0, None, closed="neither"),
    ],
    "max_iter": [NumberInterval(Integral, 1, None, closed="left")],
    "tol": [NumberInterval(Real, 0, None, closed="left")],
    "threshold": [NumberInterval(Real, 0, 1, closed="neither")],
    "reg_covar": [NumberInterval(Real, 0, None, closed="left")],
    "outlier_component": [StrOptions({"auto", "always"})],
    "verbose": ["verbose"],
}

# The settings a network fit adds (GUMRegressor around a skorch net,
# GUMCallback, GUMCriterion), checked alike.
SCHEDULE_CONSTRAINTS = {
    "min_evidence": [NumberInterval(Real, 0, None, closed="left"), StrOptions({"auto"})],
    "warmup_epochs": [NumberInterval(Integral, 0, None, closed="left"),
                      StrOptions({"auto"})],
    "estep_every": [NumberInterval(Integral, 1, None, closed="left")],
    "estep_residuals": [StrOptions({"train", "eval"})],
    "loss_normalization": [StrOptions({"first", "mse", "none"})],
}

# One default per shared setting: GUMRegressor, GUMCallback and GUMCriterion
# take these names with these defaults (tests/test_vocabulary.py checks it).
# "auto" is resolved where the path is known: max_iter per path
# (sklearn_gum._warm_em.resolve_options; NETWORK_MAX_ITER E-steps for
# networks), min_evidence by auto_min_evidence, warmup_epochs by
# auto_warmup_epochs.
DEFAULTS = {
    "outlier_granularity": "sample",
    "covariance_type": "full",
    "uniform": "moments",
    "max_iter": "auto",
    "tol": 1e-4,
    "threshold": 0.5,
    "reg_covar": 1e-6,
    "outlier_component": "auto",
    "min_evidence": "auto",
    "warmup_epochs": "auto",
    "estep_every": 1,
    "estep_residuals": "train",
    "loss_normalization": "first",
    "init": "auto",
    "verbose": 0,
}
NETWORK_MAX_ITER = 100  # max_iter="auto" of a network: E-steps
NETWORK_MIN_EVIDENCE = 0.1  # min_evidence="auto" of a network, per unit weight
DEFAULT_WARMUP_EPOCHS = 5  # warmup_epochs="auto" when the epochs are not known


def auto_min_evidence(value, network):
    """``min_evidence`` with ``"auto"`` resolved: 0.1 per unit of sample
    weight for a network (a trained net's clean residuals are heavy-tailed),
    0 for a refitted estimator (the calibrated test alone)."""
    if isinstance(value, str) and value == "auto":
        return NETWORK_MIN_EVIDENCE if network else 0.0
    return float(value)


def auto_warmup_epochs(value, max_epochs=None):
    """``warmup_epochs`` with ``"auto"`` resolved: a tenth of ``max_epochs``
    (at least 1) when the number of epochs is known, else 5."""
    if isinstance(value, str) and value == "auto":
        return DEFAULT_WARMUP_EPOCHS if max_epochs is None else max(1, max_epochs // 10)
    return int(value)


@dataclass(frozen=True)
class EMOptions:
    """The settings of the EM, as named by :class:`~sklearn_gum.GUMRegressor`."""

    covariance_type: str = "full"
    uniform: object = "moments"
    reg_covar: float = 1e-6
    threshold: float = 0.5
    tol: float = 1e-4
    max_iter: int = 100
    outlier_component: str = "auto"
    min_evidence: float = 0.0
    scale: object = None
    floor: object = None

    @classmethod
    def of(cls, source, network=False):
        """The options held as attributes of ``source`` (an estimator), with
        ``min_evidence="auto"`` resolved for a ``network`` or not."""
        names = [option.name for option in fields(cls)
                 if option.name not in ("scale", "floor")]
        values = {name: getattr(source, name) for name in names}
        values["min_evidence"] = auto_min_evidence(values["min_evidence"], network)
        return cls(**values)

    def scaled(self, residuals, sample_weight, targets=None):
        """The options with floors relative to the scale of ``residuals``.

        ``reg_covar`` becomes ``reg_covar * s_j^2`` per output column, with
        ``s_j^2`` a robust variance of the starting residuals
        (:func:`sklearn_gum._mixture.residual_scale`, at least the rounding
        noise of a fit to ``targets``): no floor depends on the units of the
        targets. With ``targets``, no variance goes below what they resolve
        (:func:`sklearn_gum._mixture.variance_floor`: their grid step, their
        rounding noise).
        """
        scale = _mixture.residual_scale(residuals, sample_weight, targets)
        floor = None
        if targets is not None:
            floor = _mixture.variance_floor(targets, sample_weight)
        return dataclasses.replace(self, scale=scale, floor=floor)

    def mixture_for(self, columns):
        """Keyword arguments of the mixture maths for one group of columns."""
        reg_covar = self.reg_covar
        if self.scale is not None:
            reg_covar = reg_covar * np.asarray(self.scale)[columns]
        floor = 0.0 if self.floor is None else np.asarray(self.floor)[columns]
        return dict(
            covariance_type=self.covariance_type, uniform=self.uniform,
            reg_covar=reg_covar, floor=floor,
        )


@dataclass(frozen=True)
class Decision:
    """Whether each group keeps its uniform component, and why.

    Attributes
    ----------
    evidence : ndarray of shape (n_groups,)
        Calibrated evidence for the mixture over a Gaussian (positive
        favours it; :func:`sklearn_gum._calibration.calibrated_evidence`).
    keep : ndarray of bool of shape (n_groups,)
    mixtures : list of ResidualMixture
        Per group, the mixture fitted to the residuals with a free centre:
        where the EM of a kept group starts.
    forced : ndarray of bool of shape (n_groups,)
        Groups kept by ``outlier_component="always"`` against the evidence:
        their EM starts from the Gaussian.
    n_iter : int
        Most iterations of the EM over the residuals, over the groups.
    converged : bool
        Whether that EM converged in every group.
    """

    evidence: np.ndarray
    keep: np.ndarray
    mixtures: list
    n_iter: int
    converged: bool
    forced: np.ndarray = None

    def offset(self, groups):
        """Per output column, the centre of the Gaussian of a kept group (0
        for the other groups)."""
        offset = np.zeros(sum(len(columns) for columns in groups))
        for columns, keep, mixture in zip(groups, self.keep, self.mixtures):
            if keep:
                offset[columns] = mixture.offset
        return offset


def decide_outliers(residuals, sample_weight, groups, options, keep=None):
    """Per group, whether fixed residuals support a uniform component.

    EM of the mixture over the residuals, with a free centre, against a
    Gaussian, compared by the normalised entropy criterion
    (:func:`sklearn_gum._mixture.residual_evidence`) and by a likelihood
    ratio test calibrated on clean residuals of the same size
    (:func:`sklearn_gum._calibration.calibrated_evidence`). With
    ``outlier_component="always"`` every group keeps its uniform; ``keep``
    imposes an earlier decision (for the other starts of ``n_init``). The
    sample weights are scaled to a mean of one over the weighted samples:
    the decision depends on their ratios, not on their scale.
    """
    # Only the relative weights decide: scaled to one per weighted sample
    n_weighted = np.count_nonzero(sample_weight)
    weights = sample_weight * (n_weighted / max(sample_weight.sum(), np.finfo(float).tiny))
    mixtures = [
        _mixture.residual_evidence(
            residuals[:, columns], weights, max_iter=options.max_iter,
            tol=options.tol, **options.mixture_for(columns),
        )
        for columns in groups
    ]
    evidence = np.array([
        calibrated_evidence(mixture, n_weighted, len(columns))
        for mixture, columns in zip(mixtures, groups)
    ])
    if keep is None:  # min_evidence: a margin per unit of (scaled) weight
        margin = options.min_evidence * n_weighted
        keep = (evidence > margin) | (options.outlier_component == "always")
    forced = np.asarray(keep, dtype=bool) & (evidence <= 0)
    for k in np.flatnonzero(forced):
        params, offset = _mixture.gaussian_start(
            residuals[:, groups[k]], sample_weight, **options.mixture_for(groups[k])
        )
        mixtures[k] = mixtures[k]._replace(params=params, offset=offset)
    return Decision(
        evidence,
        np.asarray(keep, dtype=bool),
        mixtures,
        n_iter=max(mixture.n_iter for mixture in mixtures),
        converged=all(mixture.converged for mixture in mixtures),
        forced=forced,
    )


def score_groups(residuals, groups, params):
    """E-step of every group.

    Returns
    -------
    resp, log_lik : ndarray of shape (n_samples, n_groups)
        Inlier responsibilities and per-group log-likelihoods.
    """
    results = [
        _mixture.e_step(residuals[:, columns], group_params)
        for columns, group_params in zip(groups, params)
    ]
    resp = np.column_stack([resp for resp, _ in results])
    log_lik = np.column_stack([log_lik for _, log_lik in results])
    return resp, log_lik


def far_inlier_resp(residuals, groups, params):
    """Inlier responsibilities of each group, for residuals that may lie
    beyond the float64 range (infinite) or whose whitened distance overflows
    (infinite, or NaN from ``inf - inf`` in the triangular solve): such a
    sample is infinitely far from the Gaussian, its responsibility is 0."""
    far = ~np.isfinite(residuals)
    with np.errstate(over="ignore", invalid="ignore"):
        resp, _ = score_groups(np.where(far, 0.0, residuals), groups, params)
    for k, columns in enumerate(groups):
        resp[far[:, columns].any(axis=1) | np.isnan(resp[:, k]), k] = 0.0
    return resp


def block_covariance(params, groups, n_outputs):
    """Full target covariance with one block per group (zero across groups)."""
    covariance = np.zeros((n_outputs, n_outputs))
    for group_params, columns in zip(params, groups):
        covariance[np.ix_(columns, columns)] = group_params.covariance
    return covariance


class EMState:
    """Mixture parameters, responsibilities and history of one EM run.

    Parameters
    ----------
    groups : list of ndarray
        Target columns of each group.
    sample_weight : ndarray of shape (n_samples,)
        Weights of the mixture's statistics (zero for rows it must not see).
    options : EMOptions
    mixture : array-like of bool of shape (n_groups,)
        Groups with a uniform component; the others are pure Gaussians.
    scorer : callable, default=score_groups
        ``scorer(residuals, groups, params) -> (resp, log_lik)`` as numpy
        arrays; a network replaces it to take the E-step on its device.

    Attributes
    ----------
    params : list of GroupParams
    resp, log_lik : ndarray of shape (n_samples, n_groups)
        Of the latest E-step.
    log_likelihood : float
        Weighted mean log-likelihood per sample of the latest E-step.
    n_iter : int
        E-steps since the start.
    converged : bool
    history : list of (float, float)
        Log-likelihood and inlier share at the start and after each E-step.
    """

    def __init__(self, groups, sample_weight, options, mixture, scorer=score_groups):
        self.groups = groups
        self.sample_weight = sample_weight
        self.options = options
        self.mixture = np.asarray(mixture, dtype=bool)
        self.scorer = scorer
        self.params = None
        self.resp = self.log_lik = None
        self.log_likelihood = -np.inf
        self.n_iter = 0
        self.converged = False
        self.history = []

    def start(self, residuals, decision=None, host=None):
        """First parameters and E-step.

        A kept group starts from the mixture the decision fitted to its
        residuals (``decision.mixtures``, centred: pass residuals minus
        ``decision.offset``), or without a decision with the scale of its
        best half of the residuals and ``rho = 0.5``
        (:func:`sklearn_gum._mixture.robust_start`): a scale from all
        residuals would be inflated by the outliers. A Gaussian group starts
        (and stays) fitted to all of them. ``host`` is a numpy copy of
        ``residuals`` when the scorer takes another kind of array.
        """
        host = residuals if host is None else host
        self.params = []
        for k, (columns, keep) in enumerate(zip(self.groups, self.mixture)):
            options = self.options.mixture_for(columns)
            if keep and decision is not None:
                params = decision.mixtures[k].params
            elif keep:
                params = _mixture.robust_start(host[:, columns], self.sample_weight,
                                               **options)
            else:
                params = _mixture.gaussian_params(
                    host[:, columns], self.sample_weight, options["covariance_type"],
                    options["reg_covar"], options["floor"],
                )
            self.params.append(params)
        return self.e_step(residuals)

    def e_step(self, residuals):
        """Responsibilities of ``residuals`` under the current parameters."""
        resp, log_lik = self.scorer(residuals, self.groups, self.params)
        self.resp, self.log_lik = resp, log_lik
        weights = self.sample_weight
        self.log_likelihood = _mixture.mean_log_likelihood(log_lik.sum(axis=1), weights)
        share = _mixture.inlier_share(resp, self.options.threshold, weights)
        self.history.append((self.log_likelihood, share))
        return resp

    def m_step(self, residuals, dof=0.0):
        """Update ``rho``, ``Sigma`` and the volume of each group from the
        latest responsibilities; ``dof``: degrees of freedom the regressor
        spent on these residuals (see :func:`sklearn_gum._mixture.m_step`)."""
        self.params = [
            _mixture.m_step(
                residuals[:, columns], self.resp[:, k], self.sample_weight,
                mixture=keep, dof=dof, **self.options.mixture_for(columns),
            )
            for k, (columns, keep) in enumerate(zip(self.groups, self.mixture))
        ]

    def iterate(self, residuals, check=True):
        """E-step on the residuals of the regressor's latest M-step: one EM
        iteration. Returns whether the EM has converged (with ``check=False``
        the convergence flag is left as it is)."""
        previous = self.log_likelihood
        self.e_step(residuals)
        self.n_iter += 1
        if check:
            self.converged = _mixture.has_converged(
                previous, self.log_likelihood, self.options.tol
            )
        return self.converged

    def covariance(self):
        """``Sigma``, block-diagonal over the groups."""
        n_outputs = sum(len(columns) for columns in self.groups)
        return block_covariance(self.params, self.groups, n_outputs)

    def result(self, estimator, decision, *, whitening=None, weighting="soft",
               n_iter=None, converged=None):
        """The run frozen as an :class:`EMResult` (``n_iter`` and ``converged``
        default to the state's own)."""
        history = np.array(self.history, dtype=float).reshape(-1, 2)
        return EMResult(
            estimator=estimator,
            whitening=whitening,
            params=list(self.params),
            resp=self.resp,
            log_lik=self.log_lik,
            log_likelihood=self.log_likelihood,
            groups=self.groups,
            has_outliers=np.asarray(decision.keep, dtype=bool),
            evidence=np.asarray(decision.evidence, dtype=float),
            n_iter=self.n_iter if n_iter is None else n_iter,
            converged=self.converged if converged is None else converged,
            history={"log_likelihood": history[:, 0], "inlier_share": history[:, 1]},
            weighting=weighting,
            variance_floor=self.options.floor,
        )


@dataclass
class EMResult:
    """Everything a GUM fit found; :class:`~sklearn_gum.GUMRegressor` stores it.

    Attributes
    ----------
    estimator : object
        The final fitted regressor (or network).
    whitening : ndarray of shape (n_outputs, n_outputs) or None
        Cholesky factor ``L`` of ``Sigma`` when the estimator was fitted on
        whitened targets (its predictions are mapped back by ``L``).
    params : list of GroupParams
    resp, log_lik : ndarray of shape (n_samples, n_groups)
    log_likelihood : float
    groups : list of ndarray
    has_outliers, evidence : ndarray of shape (n_groups,)
    n_iter : int
    converged : bool
    history : dict of ndarray
        ``"log_likelihood"`` and ``"inlier_share"`` per E-step.
    weighting : {"soft", "hard"}
    variance_floor : ndarray of shape (n_outputs,) or None
        The smallest variance the targets resolve (``EMOptions.floor``).
    """

    estimator: object
    whitening: object
    params: list
    resp: np.ndarray
    log_lik: np.ndarray
    log_likelihood: float
    groups: list
    has_outliers: np.ndarray
    evidence: np.ndarray
    n_iter: int
    converged: bool
    history: dict
    weighting: str = "soft"
    variance_floor: object = None


def best_run(results):
    """The run with the highest mean log-likelihood (the first among equals)."""
    return max(results, key=lambda result: result.log_likelihood)


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
        if params.inlier_prior <= COLLAPSED_INLIER_PRIOR:
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
