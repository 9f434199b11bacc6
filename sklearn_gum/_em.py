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
import math
from dataclasses import dataclass, fields

import numpy as np

from . import _mixture, _residual_em
from ._calibration import calibrated_evidence, inlier_excess, significantly_better
from ._settings import (  # noqa: F401 (the core's names for them)
    DEFAULT_WARMUP_EPOCHS,
    DEFAULTS,
    NETWORK_MAX_ITER,
    NETWORK_MIN_EVIDENCE,
    PARAMETER_CONSTRAINTS,
    SCHEDULE_CONSTRAINTS,
    auto_min_evidence,
    auto_warmup_epochs,
)
from ._em_warnings import (  # noqa: F401 (the core's names for them)
    COLLAPSED_INLIER_PRIOR,
    UNDECIDED_MARGIN,
    warn_if_degenerate,
    warn_if_not_converged,
)


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
    outlier_model: str = "auto"
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
        where the EM of a kept group starts. Its parameters name the
        outlier model chosen (:attr:`models`).
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

    @property
    def models(self):
        """Per group, the outlier model chosen: ``"uniform"`` or
        ``"gaussian"`` (for a group not kept, the best candidate)."""
        return ["gaussian" if np.isfinite(mixture.params.outlier_scale) else "uniform"
                for mixture in self.mixtures]

    def offset(self, groups):
        """Per output column, the centre of the Gaussian of a kept group (0
        for the other groups)."""
        offset = np.zeros(sum(len(columns) for columns in groups))
        for columns, keep, mixture in zip(groups, self.keep, self.mixtures):
            if keep:
                offset[columns] = mixture.offset
        return offset


def decide_outliers(residuals, sample_weight, groups, options, keep=None, models=None,
                    subset_dof=None, tests=None):
    """Per group, whether fixed residuals support an outlier component, and
    which one.

    For each outlier model of ``options.outlier_model`` (both for
    ``"auto"``), EM of its mixture over the residuals, with a free centre,
    against a Gaussian (:func:`sklearn_gum._residual_em.residual_evidence`),
    scored by a test calibrated on clean residuals of the same size
    (:func:`sklearn_gum._calibration.calibrated_evidence`). A group keeps
    an outlier component when some model's evidence is positive; where
    both are, the uniform unless the contaminated normal fits significantly
    better by Vuong's test (both have two parameters beyond the Gaussian's:
    ``rho`` and the volume or the scale ``k``).
    With ``outlier_component="always"`` every group keeps one. ``keep`` and
    ``models`` impose an earlier decision (for the other starts of
    ``n_init``). ``subset_dof``: the residuals are those of a least-squares
    subset start with that many parameters, whose tests have their own
    thresholds (:func:`sklearn_gum._calibration.subset_threshold`); ``tests``
    per group, the evidence of an outlier test that replaces the uniform's
    (NaN: none; :mod:`sklearn_gum._max_residual`). Only the ratios of the
    sample weights count: they are scaled to one per weighted sample.
    """
    # Only the relative weights decide: scaled to one per weighted sample
    n_weighted = np.count_nonzero(sample_weight)
    weights = sample_weight * (n_weighted / max(sample_weight.sum(), np.finfo(float).tiny))
    if models is None:
        models = [candidate_models(options)] * len(groups)
    else:
        models = [[model] for model in models]
    tests = np.full(len(groups), np.nan) if tests is None else tests
    choices = [
        _choose_model(residuals[:, columns], weights, n_weighted, candidates, options,
                      options.mixture_for(columns), subset_dof, test)
        for columns, candidates, test in zip(groups, models, tests)
    ]
    evidence = np.array([group_evidence for group_evidence, _ in choices])
    mixtures = [mixture for _, mixture in choices]
    if keep is None:
        keep = clears_margin(evidence, sample_weight, options, groups) | (
            options.outlier_component == "always")
    forced = np.asarray(keep, dtype=bool) & (evidence <= 0)
    for k in np.flatnonzero(forced):
        params, offset = _residual_em.gaussian_start(
            residuals[:, groups[k]], sample_weight,
            outlier_model=mixtures[k].params.outlier_model or "uniform",
            **options.mixture_for(groups[k])
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


def clears_margin(evidence, sample_weight, options, groups):
    """Whether each group's evidence clears the decision's margin,
    ``min_evidence`` per weighted entry (sample and column of the group):
    the heavy tails of each column add to a group's evidence."""
    entries = np.count_nonzero(sample_weight) * np.array([len(g) for g in groups])
    return np.asarray(evidence) > options.min_evidence * entries


def refuted(evidence):
    """Whether evidence taken again during a run gives a kept outlier
    component up: it favours the Gaussian (kept above the margin of
    :func:`clears_margin`, given up at or below zero)."""
    return np.asarray(evidence) <= 0


def resolve_outlier_model(options, exact):
    """The options with ``outlier_model="auto"`` resolved for a driver.

    The contaminated normal's test detects any departure of the residuals'
    tails from a Gaussian. Those of a least-squares fit (``exact``: refits
    that maximise the M-step) are Gaussian on clean data, and the data
    choose between the two models. Those of a flexible regressor or a
    network are not: the examples it has not learnt yet (or the leaves of
    a forest) give clean residuals heavy tails of their own, which the test
    would take for label noise. There ``"auto"`` is the uniform, whose
    decision also needs the NEC's consent; pass
    ``outlier_model="gaussian"`` for Gaussian-shaped label noise. A fixed
    volume (a number for ``uniform``) asks for the uniform too.
    """
    if options.outlier_model != "auto" or (exact and isinstance(options.uniform, str)):
        return options
    return dataclasses.replace(options, outlier_model="uniform")


def candidate_models(options):
    """The outlier models the decision tries: both for ``"auto"``."""
    if options.outlier_model == "auto":
        return list(_mixture.OUTLIER_MODELS)
    return [options.outlier_model]


def _choose_model(residuals, weights, n_weighted, candidates, options, mixture_options,
                  subset_dof=None, test=np.nan):
    """``(evidence, ResidualMixture)`` of the model a group keeps: the one of
    positive evidence; where both are, the uniform (the seed's model) unless
    the contaminated normal is significantly better (both have two more
    parameters than the Gaussian); else the first candidate (not kept, or
    forced on by ``outlier_component="always"``)."""
    found = []
    for model in candidates:
        mixture = _residual_em.residual_evidence(
            residuals, weights, max_iter=options.max_iter, tol=options.tol,
            outlier_model=model, **mixture_options,
        )
        # the columns that span the residuals (repeated outputs count once)
        n_columns = mixture.n_columns or residuals.shape[1]
        evidence = calibrated_evidence(mixture, n_weighted, n_columns, model,
                                       subset_dof=subset_dof)
        if model == "uniform":
            evidence = evidence if np.isnan(test) else test
            # refused where its Gaussian holds a handful of rows
            excess = inlier_excess(mixture, n_weighted, n_columns,
                                   options.covariance_type)
            evidence = evidence if excess > 0 else min(evidence, excess)
        found.append((evidence, mixture))
    supported = [choice for choice in found if choice[0] > 0]
    if len(supported) == 2 and supported[0][1].evidence > 0 and not _gaussian_is_better(
            residuals, weights, *supported):  # a uniform NEC finds undecided gives way
        return supported[0]
    if supported:
        return supported[-1]
    return found[0]  # the uniform where it is a candidate: the seed's model


def _gaussian_is_better(residuals, weights, uniform, gaussian):
    """Whether the contaminated normal explains the residuals significantly
    better than the uniform (Vuong's test,
    :func:`sklearn_gum._calibration.significantly_better`)."""
    log_liks = [
        _mixture.e_step(residuals - mixture.offset, mixture.params)[1]
        for _, mixture in (gaussian, uniform)
    ]
    return significantly_better(*log_liks, weights)


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
    if len(results) == 1:  # one group: its (fresh) arrays as columns
        return results[0][0][:, None], results[0][1][:, None]
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


def objective(log_likelihood, params, dof, total_weight):
    """:meth:`EMState.objective` of a mean ``log_likelihood`` under
    ``params`` (list of GroupParams), for a regressor of ``dof`` degrees of
    freedom fitted to ``total_weight`` units of weight."""
    if not dof:
        return log_likelihood
    log_dets = sum(_log_det(group.covariance) for group in params)
    return log_likelihood + 0.5 * dof * log_dets / total_weight


def _log_det(covariance):
    """``log |covariance|``; of one positive variance, the one log that
    ``slogdet`` takes of it, without the array calls."""
    if covariance.shape == (1, 1) and 0 < covariance[0, 0] < np.inf:
        return math.log(covariance[0, 0])
    return np.linalg.slogdet(covariance)[1]


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
    history : list of (float, float, float)
        Log-likelihood, inlier share and :meth:`objective` at the start and
        after each E-step.
    """

    def __init__(self, groups, sample_weight, options, mixture, scorer=score_groups):
        self.groups = groups
        self.sample_weight = sample_weight
        self.options = options
        self.mixture = np.array(mixture, dtype=bool)
        self.scorer = scorer
        self.params = None
        self.resp = self.log_lik = None
        self.log_likelihood = -np.inf
        self._previous_volumes = None
        self.dof, self.n_iter, self.converged = 0.0, 0, False
        self.history = []

    def start(self, residuals, decision=None, host=None, dof=0.0):
        """First parameters and E-step.

        A kept group starts from the mixture the decision fitted to its
        residuals (``decision.mixtures``, centred: pass residuals minus
        ``decision.offset``), or without a decision as :meth:`switch` makes
        it (a scale from all residuals would be inflated by the outliers).
        ``host``: a numpy copy of ``residuals`` when the scorer takes another
        kind of array; ``dof``: the degrees of freedom of the regressor
        behind them (see :meth:`objective`).
        """
        host = residuals if host is None else host
        self.dof = dof
        self.params = [None] * len(self.groups)
        for k, keep in enumerate(self.mixture):
            if keep and decision is not None:
                self.params[k] = decision.mixtures[k].params
            else:
                self.switch(k, host, keep)
        return self.e_step(residuals)

    def switch(self, k, residuals, mixture, outlier_model="uniform"):
        """Make group ``k`` a mixture (``mixture``), started from the best
        half of its ``residuals`` (``rho = 0.5``), or a Gaussian fitted to
        them; also where a decision taken again during the run changes it."""
        columns, options = self.groups[k], self.options.mixture_for(self.groups[k])
        self.mixture[k] = mixture
        if mixture:
            self.params[k] = _residual_em.robust_start(
                residuals[:, columns], self.sample_weight, outlier_model=outlier_model,
                **options)
        else:
            self.params[k] = _mixture.gaussian_params(
                residuals[:, columns], self.sample_weight, options["covariance_type"],
                options["reg_covar"], options["floor"])

    def e_step(self, residuals):
        """Responsibilities of ``residuals`` under the current parameters;
        after an M-step, a uniform keeps its previous volume where that
        explains ``residuals`` better (see :meth:`m_step`)."""
        resp, log_lik = self.scorer(residuals, self.groups, self.params)
        if self._previous_volumes is not None:
            resp, log_lik = self._keep_better_volumes(residuals, resp, log_lik)
        self.resp, self.log_lik = resp, log_lik
        weights = self.sample_weight
        self.log_likelihood = _mixture.mean_log_likelihood(log_lik.sum(axis=1), weights)
        share = _mixture.inlier_share(resp, self.options.threshold, weights)
        self.history.append((self.log_likelihood, share, self.objective()))
        return resp

    def objective(self):
        """What the EM maximises, per unit of weight: the mean log-likelihood
        plus ``dof / 2 sum_g log |Sigma_g|`` over the total weight.

        The term makes the M-step of ``Sigma`` with the divisor ``sum w r -
        dof`` (:func:`sklearn_gum._mixture.weighted_covariance`) an exact
        maximiser, as in restricted maximum likelihood: with an exact refit
        (weighted least squares) the objective never decreases. Without a
        correction (``dof = 0``) it is the mean log-likelihood.
        """
        return objective(self.log_likelihood, self.params, self.dof,
                         self.sample_weight.sum() if self.dof else 1.0)

    def _keep_better_volumes(self, residuals, resp, log_lik):
        """The rule's volumes, unless they lower the objective below the
        previous E-step's: then, per group, the better of the rule's and the
        previous volume (see :meth:`m_step`)."""
        reached = self.history[-1][2] if self.history else -np.inf
        previous = [
            dataclasses.replace(params, log_volume=volume)
            for params, volume in zip(self.params, self._previous_volumes)
        ]
        self._previous_volumes = None
        weights = self.sample_weight
        self.log_likelihood = _mixture.mean_log_likelihood(log_lik.sum(axis=1), weights)
        if _mixture.not_lower(self.objective(), reached):
            return resp, log_lik
        other_resp, other_log_lik = self.scorer(residuals, self.groups, previous)
        better = weights @ other_log_lik > weights @ log_lik
        for k in np.flatnonzero(better):
            self.params[k] = previous[k]
            resp[:, k], log_lik[:, k] = other_resp[:, k], other_log_lik[:, k]
        return resp, log_lik

    def m_step(self, residuals, dof=0.0):
        """Update ``rho``, ``Sigma`` and the outlier component of each group
        from the latest responsibilities; ``dof``: degrees of freedom the
        regressor spent on these residuals (see
        :func:`sklearn_gum._mixture.m_step`).

        The rules for the uniform's volume do not maximise the likelihood:
        where the rule's volumes would lower the :meth:`objective` below the
        previous E-step's, the next E-step (:meth:`e_step`) keeps a group's
        previous volume where that explains the new residuals better.
        ``rho``, ``Sigma`` and an exact refit of the regressor each raise
        the expected objective at the previous volume, so the objective
        never decreases.
        """
        old = self.params
        self.dof = dof
        self.params = [
            _mixture.m_step(
                residuals[:, columns], self.resp[:, k], self.sample_weight,
                mixture=keep, dof=dof, outlier_scale=params.outlier_scale,
                **self.options.mixture_for(columns),
            )
            for k, (columns, keep, params) in enumerate(zip(self.groups, self.mixture, old))
        ]
        if any(new.log_volume != params.log_volume for new, params in zip(self.params, old)):
            self._previous_volumes = [params.log_volume for params in old]

    def refit_weights(self):
        """Per sample and group, the weight of the regressor's refit
        (:func:`sklearn_gum._mixture.precision_weights`)."""
        return _mixture.precision_weights(self.resp, self.params)

    def iterate(self, residuals, check=True):
        """E-step on the residuals of the regressor's latest M-step: one EM
        iteration. Returns whether the EM has converged (with ``check=False``
        the convergence flag is left as it is)."""
        previous = self.history[-1][2] if self.history else -np.inf
        self.e_step(residuals)
        self.n_iter += 1
        if check:  # the objective the E-step recorded
            self.converged = _mixture.has_converged(
                previous, self.history[-1][2], self.options.tol
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
        history = np.array(self.history, dtype=float).reshape(-1, 3)
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
            history={"log_likelihood": history[:, 0], "inlier_share": history[:, 1],
                     "objective": history[:, 2]},
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
        ``"log_likelihood"``, ``"inlier_share"`` and ``"objective"`` (what
        the EM maximises, :meth:`EMState.objective`) per E-step.
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
