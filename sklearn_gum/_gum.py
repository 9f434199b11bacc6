"""GUMRegressor: robust regression by EM over a Gaussian-uniform residual mixture."""

import sys
import warnings
from dataclasses import dataclass, field
from numbers import Integral, Real

import numpy as np
import scipy.sparse as sp
from sklearn.base import (
    BaseEstimator,
    MetaEstimatorMixin,
    RegressorMixin,
    _fit_context,
    clone,
)
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression
from sklearn.utils import check_array, check_consistent_length, check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.validation import (
    _check_sample_weight,
    _num_samples,
    check_is_fitted,
    validate_data,
)

from . import _mixture, _start
from ._weighted_fit import WeightedRefit, whitening_factor


@dataclass
class _EMFit:
    """State of one EM run (or of the plain Gaussian fit)."""

    estimator: object
    factor: object
    params: list
    resp: np.ndarray
    log_lik: np.ndarray
    log_likelihood: float
    n_iter: int = 0
    converged: bool = True
    history: list = field(default_factory=list)


def _is_skorch_net(estimator):
    """Whether ``estimator`` is a skorch net, without importing skorch."""
    skorch = sys.modules.get("skorch")
    return skorch is not None and isinstance(estimator, skorch.NeuralNet)


def validate_targets(gum, y, n_samples, sample_weight, fit_params):
    """Checks of ``y``, ``sample_weight`` and fit parameters shared by every
    estimator path.

    Returns
    -------
    targets : ndarray of shape (n_samples, n_outputs), float64
    sample_weight : ndarray of shape (n_samples,), float64
    fit_params : dict
        The estimator's own, routed when metadata routing is enabled.
    y_ndim : int
    """
    if y is None:
        raise ValueError(
            f"{type(gum).__name__} requires y to be passed, but the target y is None."
        )
    y = check_array(
        y, ensure_2d=False, dtype="numeric", input_name="y", ensure_all_finite=True
    )
    if y.ndim > 2:
        raise ValueError(f"y must be 1-D or 2-D; got shape {y.shape}.")
    if len(y) != n_samples:
        raise ValueError(
            "Found input variables with inconsistent numbers of samples: "
            f"[{n_samples}, {len(y)}]"
        )
    sample_weight = _check_sample_weight(
        sample_weight, y, dtype=np.float64, ensure_non_negative=True
    )
    if _routing_enabled():
        fit_params = process_routing(gum, "fit", **fit_params).estimator.fit
    return y.astype(np.float64).reshape(len(y), -1), sample_weight, fit_params, y.ndim


def _check_2d(X):
    """Reject 1-D X early, with scikit-learn's usual advice."""
    if sp.issparse(X):
        return
    ndim = len(X.shape) if hasattr(X, "shape") else np.asarray(X, dtype=object).ndim
    if ndim < 2:
        raise ValueError(
            "Expected a 2D array for X, got a 1D array instead. Reshape your "
            "data using array.reshape(-1, 1) if it has a single feature or "
            "array.reshape(1, -1) if it contains a single sample."
        )


def _resolve_groups(granularity, n_outputs):
    """Column indices of each group sharing one responsibility per sample."""
    if isinstance(granularity, str):
        if granularity == "sample":
            return [np.arange(n_outputs)]
        return [np.array([column]) for column in range(n_outputs)]
    groups = [np.atleast_1d(np.asarray(group, dtype=int)) for group in granularity]
    columns = np.sort(np.concatenate(groups)) if groups else np.array([], dtype=int)
    if not np.array_equal(columns, np.arange(n_outputs)):
        raise ValueError(
            "outlier_granularity must split the target columns "
            f"0..{n_outputs - 1} into disjoint groups that cover them all; "
            f"got {granularity!r}."
        )
    return groups


def _block_covariance(params, groups, n_outputs):
    """Full target covariance with one block per group (zero across groups)."""
    covariance = np.zeros((n_outputs, n_outputs))
    for group_params, columns in zip(params, groups):
        covariance[np.ix_(columns, columns)] = group_params.covariance
    return covariance


class GUMRegressor(MetaEstimatorMixin, RegressorMixin, BaseEstimator):
    """Robust regression with a Gaussian-uniform mixture of residuals (GUM).

    The residuals ``e_n = y_n - f(x_n)`` of any regressor ``f`` are modelled
    as a mixture of inliers, ``N(0, Sigma)`` with prior ``rho``, and outliers,
    uniform over a box of volume ``gamma``. EM alternates the responsibilities
    of the inliers with updates of the mixture and weighted refits of ``f``,
    so gross label errors stop pulling the fit (DeepGUM, Lathuiliere et al.).

    Parameters
    ----------
    estimator : regressor, default=None
        The regressor to fit robustly; ``None`` means ``LinearRegression()``.
        If its ``fit`` (or its final step's, for a Pipeline) takes
        ``sample_weight``, each refit is weighted by the responsibilities
        (soft weights); otherwise it is fitted on the current inliers alone
        (hard weights), and ``weighting_`` says so. A skorch
        ``NeuralNetRegressor`` is trained once, with E-steps between epochs
        (warm EM, see :mod:`sklearn_gum.nn`): there ``n_iter_`` counts
        E-steps, ``n_init`` trains that many nets and ``init="subsets"`` is
        not available.
    covariance_type : {"full", "diag", "spherical"}, default="full"
        Form of ``Sigma`` within each group of outputs.
    outlier_granularity : {"sample", "output"} or list of lists of int, \
            default="sample"
        What an outlier is: a whole sample, a single output, or a group of
        output columns (e.g. ``[[0, 1], [2, 3]]`` for the (x, y) columns of
        two landmarks). Each group has its own ``rho``, ``Sigma`` and ``gamma``.
    uniform : {"moments", "range"} or float, default="moments"
        Update of the uniform volume: ``"moments"`` from the weighted first
        and second moments of the outlier residuals (per column
        ``2 sqrt(3 (C2 - C1^2))``, multiplied), ``"range"`` from the span of
        the residuals, or a positive float fixing it. See Notes for the
        floors that keep the uniform a model of spread-out outliers.
    max_iter : int, default=100
        Maximum number of EM iterations per run.
    tol : float, default=1e-4
        Convergence threshold on the change of the mean log-likelihood ``L``,
        relative: ``|change| <= tol * (1 + |L|)``.
    n_init : int, default=1
        Number of EM runs; the one with the highest likelihood is kept. The
        first run starts from ``init``; with ``init=None`` or a regressor the
        others start from fits on random halves of the data, with
        ``init="subsets"`` from the next-best subset starts.
    init : None, "subsets" or regressor, default=None
        Where the first residuals come from: a plain fit (``None``), random
        minimal subsets refined by concentration steps as in FAST-LTS
        (``"subsets"``, robust to bad leverage points), or a regressor, fitted
        or not, whose predictions give them.
    threshold : float, default=0.5
        A sample (or group) is an inlier when its outlier probability is
        below ``threshold``; must lie in (0, 1).
    reg_covar : float, default=1e-6
        Non-negative regularisation added to the diagonal of ``Sigma``.
    outlier_component : {"auto", "always"}, default="auto"
        ``"auto"`` keeps the uniform component of a group only when the data
        support it (see Notes); otherwise the group is a pure Gaussian and,
        when no group keeps it, the fit is the plain weighted fit of the
        estimator. ``"always"`` forces the mixture on.
    random_state : int, RandomState instance or None, default=None
        Seeds the random starts (``n_init > 1`` or ``init="subsets"``).
    verbose : int, default=0
        Print a line per EM run (1) or per EM iteration (2).

    Attributes
    ----------
    estimator_ : regressor
        The final fit. With several outputs it is fitted on targets whitened
        by ``Sigma`` and ``predict`` maps its predictions back.
    outlier_proba_ : ndarray of shape (n_samples,) or (n_samples, n_groups)
        ``1 - r_n`` for each training sample (and group).
    inlier_mask_ : ndarray of bool, same shape as ``outlier_proba_``
        ``outlier_proba_ < threshold``.
    inlier_prior_ : float or ndarray of shape (n_groups,)
        ``rho`` of each group (1 where the uniform component was dropped).
    covariance_ : ndarray of shape (n_outputs, n_outputs)
        ``Sigma``, block-diagonal over the groups.
    uniform_volume_ : float or ndarray of shape (n_groups,)
        ``gamma`` of each group.
    has_outliers_ : bool or ndarray of bool of shape (n_groups,)
        Whether the uniform component was kept.
    outlier_evidence_ : float or ndarray of shape (n_groups,)
        NEC evidence for the mixture over a pure Gaussian on the starting
        residuals, ``2 (L_mixture - L_gaussian - entropy)`` (positive
        favours the mixture), on which ``has_outliers_`` is based; see Notes.
    groups_ : list of ndarray
        Target columns of each group.
    weighting_ : {"soft", "hard"}
        Whether refits used weights or the inliers alone.
    n_iter_ : int
        EM iterations of the kept run; when no group keeps the uniform, those
        of the EM over the starting residuals that decided it.
    converged_ : bool
        Whether that EM converged before ``max_iter``.
    log_likelihood_ : float
        Mean log-likelihood per sample of the final model.
    history_ : dict of ndarray
        ``"log_likelihood"`` and ``"inlier_share"`` at the start and after
        each EM iteration of the kept run; a single entry, the plain fit's,
        when no group keeps the uniform.
    n_features_in_ : int
        Number of features seen during fit.
    feature_names_in_ : ndarray of shape (`n_features_in_`,)
        Names of the features seen during fit, when they are all strings.

    See Also
    --------
    sklearn.linear_model.RANSACRegressor : Consensus of random subsets.
    sklearn.linear_model.HuberRegressor : Linear regression with Huber loss.

    Notes
    -----
    EM on the residuals ``e_n`` of each group:

    - E-step: ``r_n = rho N(e_n; 0, Sigma) / (rho N(e_n; 0, Sigma) + (1 - rho) / gamma)``;
    - M-step of the mixture: ``rho = sum w_n r_n / sum w_n``,
      ``Sigma = sum w_n r_n e_n e_n^T / sum w_n r_n`` and ``gamma`` by the
      ``uniform`` rule, where ``w`` are the sample weights;
    - M-step of the regressor: minimise ``sum_n w_n r_n e_n^T Sigma^{-1} e_n``
      by a weighted fit on whitened targets.

    The uniform never exceeds the Gaussian's peak density
    (``gamma >= 1 / N(0; 0, Sigma)``, and per column
    ``width_j >= sqrt(2 pi Sigma_jj)``) and, for the two rules, its box spans
    every residual it explains; without these floors the moment rule can
    collapse onto the centre of clean residuals, with a wide Gaussian around.

    Whether outliers are present at all is decided, per group, before any
    weighted refit, on the residuals of the starting fit, by the normalised
    entropy criterion for one against two components (NEC; Celeux and
    Soromenho 1996, Biernacki, Celeux and Govaert 1999): EM over those fixed
    residuals gives the mixture (the Gaussian's centre is free there, as a
    refit of the intercept would make it; a start dragged by one-sided
    outliers leaves its inliers off zero), and the uniform is kept when the
    log-likelihood it gains over a Gaussian exceeds the entropy of the
    assignments it creates,

        2 (L_mixture - L_gaussian) - 2 sum_n w_n H(r_n) > 0,

    with total log-likelihoods ``L``, sample weights ``w`` and the binary
    entropy ``H``. A uniform that overlaps the Gaussian leaves samples
    undecided and pays for each: that is how a mixture merely reshapes
    clean but light- or heavy-tailed residuals (on clean data the evidence
    stayed below -20 from 100 to 100,000 samples). Gross outliers are
    decided (``r_n`` near 0) and add tens of nats each. Deciding on the
    starting residuals keeps the flexibility of refits on down-weighted
    samples, large when features are many, from faking support. When no
    group keeps the uniform, the fit is the plain weighted fit of the
    estimator and ``outlier_proba_`` is zero.

    The moment and range rules for ``gamma`` are not likelihood maximisers
    (the maximum-likelihood box would shrink onto the data), so the
    log-likelihood need not increase at every iteration; convergence is
    declared on its relative change.

    The first E-step takes its scale from the half of the starting residuals
    with the smallest Mahalanobis distances (consistency-corrected, as in the
    minimum covariance determinant) and ``rho = 0.5``.

    References
    ----------
    S. Lathuiliere, P. Mesejo, X. Alameda-Pineda and R. Horaud, "DeepGUM:
    Learning Deep Robust Regression with a Gaussian-Uniform Mixture Model",
    ECCV 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_gum import GUMRegressor
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = X @ [2.0, -1.0] + rng.normal(scale=0.1, size=200)
    >>> y[:20] += 10
    >>> gum = GUMRegressor().fit(X, y)
    >>> np.round(gum.estimator_.coef_, 1)
    array([ 2., -1.])
    >>> int((~gum.inlier_mask_).sum())
    20
    """

    _parameter_constraints: dict = {
        "estimator": [HasMethods(["fit", "predict"]), None],
        "covariance_type": [StrOptions(set(_mixture.COVARIANCE_TYPES))],
        "outlier_granularity": [StrOptions({"sample", "output"}), list],
        "uniform": [
            StrOptions(set(_mixture.UNIFORM_RULES)),
            Interval(Real, 0, None, closed="neither"),
        ],
        "max_iter": [Interval(Integral, 1, None, closed="left")],
        "tol": [Interval(Real, 0, None, closed="left")],
        "n_init": [Interval(Integral, 1, None, closed="left")],
        "init": [None, StrOptions({"subsets"}), HasMethods(["predict"])],
        "threshold": [Interval(Real, 0, 1, closed="neither")],
        "reg_covar": [Interval(Real, 0, None, closed="left")],
        "outlier_component": [StrOptions({"auto", "always"})],
        "random_state": ["random_state"],
        "verbose": ["verbose"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        covariance_type="full",
        outlier_granularity="sample",
        uniform="moments",
        max_iter=100,
        tol=1e-4,
        n_init=1,
        init=None,
        threshold=0.5,
        reg_covar=1e-6,
        outlier_component="auto",
        random_state=None,
        verbose=0,
    ):
        self.estimator = estimator
        self.covariance_type = covariance_type
        self.outlier_granularity = outlier_granularity
        self.uniform = uniform
        self.max_iter = max_iter
        self.tol = tol
        self.n_init = n_init
        self.init = init
        self.threshold = threshold
        self.reg_covar = reg_covar
        self.outlier_component = outlier_component
        self.random_state = random_state
        self.verbose = verbose

    def _get_estimator(self):
        return LinearRegression() if self.estimator is None else self.estimator

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y, sample_weight=None, **fit_params):
        """Fit the regressor robustly by EM.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data, passed to the estimator untouched.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        sample_weight : array-like of shape (n_samples,), default=None
            Non-negative frequency weights: an integer weight counts as that
            many copies of the sample in every step.
        **fit_params : dict
            Further parameters of the estimator's ``fit``: passed on as they
            are, or routed to the estimators that request them when metadata
            routing is enabled. Parameters with one value per sample follow
            the rows of each refit.

        Returns
        -------
        self : object
            Fitted estimator.
        """
        if _is_skorch_net(self._get_estimator()):
            from .nn import fit_network_gum

            return fit_network_gum(self, X, y, sample_weight, fit_params)
        refit, y_ndim = self._prepare(X, y, sample_weight, fit_params)
        self._y_ndim = y_ndim
        self.groups_ = _resolve_groups(self.outlier_granularity, refit.targets.shape[1])
        self.weighting_ = refit.weighting
        self._store(*self._fit_em(refit))
        if not self.converged_:
            warnings.warn(
                f"EM did not converge in max_iter={self.max_iter} iterations. "
                "Increase max_iter or tol, or try init='subsets' or n_init > 1.",
                ConvergenceWarning,
            )
        return self

    def _prepare(self, X, y, sample_weight, fit_params):
        """Validate the data and bundle what every refit needs."""
        sample_weight_given = sample_weight is not None
        _check_2d(X)
        validate_data(self, X, skip_check_array=True)
        targets, sample_weight, fit_params, y_ndim = validate_targets(
            self, y, _num_samples(X), sample_weight, fit_params
        )
        refit = WeightedRefit(
            self._get_estimator(), X, targets, sample_weight, fit_params, y_ndim == 1
        )
        if sample_weight_given and refit.weight_key is None:
            raise TypeError(
                f"{type(refit.estimator).__name__} does not accept sample_weight "
                "in fit, so GUMRegressor cannot pass the sample weights on. Use "
                "an estimator that takes sample_weight or drop it."
            )
        return refit, y_ndim

    def _fit_em(self, refit):
        """All EM runs, the choice among them and the outlier decision."""
        random_state = check_random_state(self.random_state)
        starts = self._starts(refit, random_state)
        predictions = [refit.predict(start) for start in starts]
        evidence, n_iter, converged = self._outlier_evidence(refit, predictions[0])
        keep = (evidence > 0) | (self.outlier_component == "always")
        if not keep.any():
            if self.init is None:
                plain, prediction = starts[0], predictions[0]
            else:
                plain = refit.fit(clone(refit.estimator), refit.sample_weight)
                prediction = refit.predict(plain)
            gaussian = self._gaussian_fit(refit, plain, prediction)
            gaussian.n_iter, gaussian.converged = n_iter, converged
            return gaussian, evidence, keep
        runs = [self._run_em(refit, prediction, keep) for prediction in predictions]
        best = max(runs, key=lambda run: run.log_likelihood)
        if self.verbose:
            print(f"GUM: kept the run with mean log-likelihood {best.log_likelihood:.6g}")
        return best, evidence, keep

    def _outlier_evidence(self, refit, prediction):
        """Per group, the NEC evidence for the uniform component, from EM over
        the residuals of the starting fit (see Notes); also the most
        iterations that EM took and whether it converged in every group."""
        residuals = refit.targets - prediction
        results = [
            _mixture.residual_evidence(
                residuals[:, columns], refit.sample_weight, max_iter=self.max_iter,
                tol=self.tol, **self._mixture_options(),
            )
            for columns in self.groups_
        ]
        evidence = np.array([result[0] for result in results])
        n_iter = max(result[1] for result in results)
        return evidence, n_iter, all(result[2] for result in results)

    def _starts(self, refit, random_state):
        """Fitted estimators whose predictions start the EM runs."""
        template = refit.estimator
        if isinstance(self.init, str):
            return _start.subset_starts(template, refit, self.n_init, random_state)
        if self.init is None:
            first = refit.fit(clone(template), refit.sample_weight)
        else:
            first = _start.fitted_or_fit(self.init, refit)
        others = [
            _start.random_half_fit(template, refit, random_state)
            for _ in range(self.n_init - 1)
        ]
        return [first, *others]

    def _run_em(self, refit, prediction, mixture):
        """One EM run from a starting prediction; ``mixture`` flags the groups
        that have a uniform component (the others are pure Gaussians)."""
        sample_weight = refit.sample_weight
        residuals = refit.targets - prediction
        params = [
            _mixture.robust_start(
                residuals[:, columns], sample_weight, **self._mixture_options()
            )
            if keep
            else _mixture.gaussian_params(
                residuals[:, columns], sample_weight, self.covariance_type, self.reg_covar
            )
            for columns, keep in zip(self.groups_, mixture)
        ]
        resp, log_lik = self._e_step(residuals, params)
        state = _EMFit(None, None, params, resp, log_lik, self._mean(log_lik, refit))
        state.history.append((state.log_likelihood, self._inlier_share(resp, refit)))
        for n_iter in range(1, self.max_iter + 1):
            previous = state.log_likelihood
            self._m_step(refit, state, residuals, prediction, mixture)
            prediction = refit.predict(state.estimator, factor=state.factor)
            residuals = refit.targets - prediction
            state.resp, state.log_lik = self._e_step(residuals, state.params)
            state.log_likelihood = self._mean(state.log_lik, refit)
            state.n_iter = n_iter
            state.history.append(
                (state.log_likelihood, self._inlier_share(state.resp, refit))
            )
            if self.verbose >= 2:
                print(f"  EM iteration {n_iter}: mean log-likelihood "
                      f"{state.log_likelihood:.6g}")
            state.converged = _mixture.has_converged(
                previous, state.log_likelihood, self.tol
            )
            if state.converged:
                break
        return state

    def _mixture_options(self):
        return dict(
            covariance_type=self.covariance_type,
            uniform=self.uniform,
            reg_covar=self.reg_covar,
        )

    def _e_step(self, residuals, params):
        """Responsibilities (n_samples, n_groups) and per-group log-likelihoods."""
        results = [
            _mixture.e_step(residuals[:, columns], group_params)
            for columns, group_params in zip(self.groups_, params)
        ]
        resp = np.column_stack([r for r, _ in results])
        log_lik = np.column_stack([ll for _, ll in results])
        return resp, log_lik

    @staticmethod
    def _mean(log_lik, refit):
        return _mixture.mean_log_likelihood(log_lik.sum(axis=1), refit.sample_weight)

    def _inlier_share(self, resp, refit):
        return _mixture.inlier_share(resp, self.threshold, refit.sample_weight)

    def _m_step(self, refit, state, residuals, prediction, mixture):
        """Update the mixture, then refit the estimator with the new weights."""
        state.params = [
            _mixture.m_step(
                residuals[:, columns], state.resp[:, k], refit.sample_weight,
                mixture=keep, **self._mixture_options(),
            )
            for k, (columns, keep) in enumerate(zip(self.groups_, mixture))
        ]
        covariance = _block_covariance(state.params, self.groups_, residuals.shape[1])
        state.factor = whitening_factor(covariance)
        weights, rows, targets = self._refit_inputs(refit, state.resp, prediction)
        state.estimator = refit.fit(
            clone(refit.estimator), weights, rows=rows, targets=targets,
            factor=state.factor,
        )

    def _refit_inputs(self, refit, resp, prediction):
        """Weights, rows and targets of the M-step of the regressor.

        One group: soft weights ``w_n r_n`` or, for an estimator without
        ``sample_weight``, the current inliers. Several groups: targets shrunk
        towards the current prediction by the responsibilities (see
        ``_weighted_fit``), with the sample weights.
        """
        if len(self.groups_) > 1:
            expanded = np.empty_like(refit.targets)
            for k, columns in enumerate(self.groups_):
                expanded[:, columns] = resp[:, [k]]
            targets = expanded * refit.targets + (1 - expanded) * prediction
            return refit.sample_weight, None, targets
        if refit.weighting == "soft":
            # A floor keeps the weights valid when every sample looks like an
            # outlier (degenerate data); it does not move a non-degenerate fit.
            return refit.sample_weight * np.maximum(resp[:, 0], 1e-12), None, None
        inliers = ((1 - resp[:, 0]) < self.threshold) & (refit.sample_weight > 0)
        rows = np.flatnonzero(inliers)
        if len(rows) <= refit.targets.shape[1]:
            rows = None
        return refit.sample_weight, rows, None

    def _gaussian_fit(self, refit, plain, prediction):
        """The plain fit (with its prediction) seen as a pure Gaussian model
        of its residuals."""
        residuals = refit.targets - prediction
        params = [
            _mixture.gaussian_params(
                residuals[:, columns], refit.sample_weight, self.covariance_type,
                self.reg_covar,
            )
            for columns in self.groups_
        ]
        resp, log_lik = self._e_step(residuals, params)
        mean = self._mean(log_lik, refit)
        return _EMFit(plain, None, params, resp, log_lik, mean, history=[(mean, 1.0)])

    def _store(self, fit_, evidence, keep):
        """Fitted attributes from the kept model.

        ``fit_`` is the kept EM state; ``evidence`` and ``keep`` hold, per
        group, the outlier evidence and whether the uniform was kept.
        """
        if self.outlier_granularity == "sample":
            def squeeze(values):  # one group: a scalar or one column
                return values[0].item() if np.ndim(values) == 1 else values[:, 0]
        else:
            def squeeze(values):
                return values
        n_outputs = len(np.concatenate(self.groups_))
        self.estimator_ = fit_.estimator
        self._whitening = fit_.factor
        self.outlier_proba_ = squeeze(1 - fit_.resp)
        self.inlier_mask_ = self.outlier_proba_ < self.threshold
        self.inlier_prior_ = squeeze(np.array([p.inlier_prior for p in fit_.params]))
        self.uniform_volume_ = squeeze(np.exp([p.log_volume for p in fit_.params]))
        self.covariance_ = _block_covariance(fit_.params, self.groups_, n_outputs)
        self.has_outliers_ = squeeze(np.asarray(keep, dtype=bool))
        self.outlier_evidence_ = squeeze(np.asarray(evidence, dtype=float))
        self.n_iter_ = fit_.n_iter
        self.converged_ = fit_.converged
        self.log_likelihood_ = fit_.log_likelihood
        history = np.array(fit_.history)
        self.history_ = {"log_likelihood": history[:, 0], "inlier_share": history[:, 1]}

    def predict(self, X, **predict_params):
        """Predict with the robustly fitted estimator.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Data, passed to the estimator untouched.
        **predict_params : dict
            Parameters of the estimator's ``predict``, routed when metadata
            routing is enabled.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,) or (n_samples, n_outputs)
        """
        check_is_fitted(self)
        _check_2d(X)
        validate_data(self, X, skip_check_array=True, reset=False)
        _raise_for_params(predict_params, self, "predict")
        if _routing_enabled():
            predict_params = process_routing(self, "predict", **predict_params).estimator.predict
        prediction = self.estimator_.predict(X, **predict_params)
        if self._whitening is not None:
            prediction = np.asarray(prediction).reshape(len(prediction), -1)
            prediction = prediction @ self._whitening.T
        if self._y_ndim == 1:
            return np.asarray(prediction).ravel()
        return prediction

    def outlier_proba(self, X, y):
        """Outlier probabilities of labelled samples under the fitted mixture.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)

        Returns
        -------
        proba : ndarray of shape (n_samples,) or (n_samples, n_groups)
            ``1 - r_n``, shaped like ``outlier_proba_``.
        """
        check_is_fitted(self)
        y = check_array(y, ensure_2d=False, dtype="numeric", input_name="y")
        check_consistent_length(X, y)
        residuals = y.astype(np.float64).reshape(len(y), -1) - np.reshape(
            self.predict(X), (len(y), -1)
        )
        if residuals.shape[1] != self.covariance_.shape[0]:
            raise ValueError(
                f"y has {residuals.shape[1]} outputs; the model was fitted "
                f"on {self.covariance_.shape[0]}."
            )
        resp, _ = self._e_step(residuals, self._fitted_params())
        proba = 1 - resp
        return proba[:, 0] if np.ndim(self.outlier_proba_) == 1 else proba

    def _fitted_params(self):
        """Per-group mixture parameters rebuilt from the fitted attributes
        (which hold only arrays and numbers, for safe persistence)."""
        priors = np.atleast_1d(self.inlier_prior_)
        volumes = np.atleast_1d(self.uniform_volume_)
        return [
            _mixture.GroupParams(
                float(prior), self.covariance_[np.ix_(columns, columns)], np.log(volume)
            )
            for prior, volume, columns in zip(priors, volumes, self.groups_)
        ]

    def _html_repr(self):
        # scikit-learn's diagram followed by a summary of the fitted mixture.
        from ._html import gum_html_repr

        return gum_html_repr(self)

    def get_metadata_routing(self):
        """Get metadata routing of this object.

        Returns
        -------
        routing : MetadataRouter
            Routes ``fit``, ``predict`` and ``score`` parameters to the
            estimator (``sample_weight`` is consumed by the EM itself and
            passed on multiplied by the responsibilities).
        """
        return MetadataRouter(owner=self).add(
            estimator=self._get_estimator(),
            method_mapping=MethodMapping()
            .add(caller="fit", callee="fit")
            .add(caller="predict", callee="predict")
            .add(caller="score", callee="score"),
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        estimator = self._get_estimator()
        inner = get_tags(estimator)
        tags.input_tags.sparse = inner.input_tags.sparse
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        # skorch nets report single output, but regress any number of outputs
        tags.target_tags.multi_output = (
            inner.target_tags.multi_output or _is_skorch_net(estimator)
        )
        return tags
