"""GUMRegressor: robust regression by EM over a Gaussian-uniform residual mixture."""

import copy
from numbers import Integral

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, RegressorMixin, _fit_context
from sklearn.linear_model import LinearRegression
from sklearn.utils import check_random_state, get_tags
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.metadata_routing import (
    MetadataRouter,
    MethodMapping,
    _raise_for_params,
    _routing_enabled,
    process_routing,
)
from sklearn.utils.validation import _num_samples, check_is_fitted, validate_data

from . import _em
from ._regressor_em import fit_regressor_em
from ._html import MixtureReprMixin
from ._linear_refit import make_refit
from ._scores import MixtureScoresMixin
from ._validation import (
    NumberInterval,
    check_2d,
    check_groups,
    is_dask,
    is_skorch_net,
    validate_targets,
)
from ._weighted_fit import may_write_inputs, unwhiten


class GUMRegressor(MixtureReprMixin, MixtureScoresMixin, MetaEstimatorMixin,
                   RegressorMixin, BaseEstimator):
    """Robust regression with a Gaussian-uniform mixture of residuals (GUM).

    The residuals ``e_n = y_n - f(x_n)`` of any regressor ``f`` are modelled
    as a mixture of inliers, ``N(0, Sigma)`` with prior ``rho``, and outliers,
    uniform over a box of volume ``gamma`` or a broader Gaussian; EM refits
    ``f`` weighted by the responsibilities (DeepGUM, Lathuiliere et al.).

    Parameters
    ----------
    estimator : regressor, default=None
        The regressor to fit robustly; ``None`` means ``LinearRegression()``,
        whose parameters can be tuned as ``estimator__<name>`` (``set_params``
        then puts that ``LinearRegression()`` in place of None). A regressor
        that can continue its fit (gradient boosting, random forests,
        ``MLPRegressor``, ``SGDRegressor``, alone or ending a Pipeline) is
        trained once, in stages, with E-steps between them (warm EM, see Notes).
        If its ``fit`` (or its final step's, for a Pipeline) takes
        ``sample_weight``, each refit is weighted by the responsibilities
        (soft weights); otherwise it is fitted on the current inliers alone
        (hard weights), and ``weighting_`` says so. A skorch
        ``NeuralNetRegressor`` is trained once, with E-steps between epochs
        (warm EM, see :mod:`sklearn_gum.nn`), as a
        ``WeightedNeuralNetRegressor`` with ``train_split=None`` (a
        ``UserWarning`` says so when the net had a split, such as skorch's
        default ``ValidSplit(5)``): there ``n_iter_`` counts E-steps,
        ``n_init`` trains that many nets and ``init="subsets"`` is not
        available.
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
    max_iter : int or "auto", default="auto"
        Maximum number of EM iterations per run: refits, or the stages of a
        warm run. ``"auto"``: 100 for weighted least squares (exact refits)
        and networks, 2 refits of other regressors refitted from scratch
        (each a full fit: a reweighted fit and its check, see Notes of
        :mod:`sklearn_gum._warm_em`), 10 stages of a warm run; 100 for the
        EM that decides whether outliers are present.
    tol : float, default=1e-4
        Convergence threshold on the change of the EM's objective (the mean
        log-likelihood per sample, see Notes), in nats (a change of units shifts the log-likelihood by a
        constant, so the rule does not depend on them). ``tol=0`` stops only
        at an exact fixed point: otherwise the EM runs exactly ``max_iter``
        iterations, and past 100 a ``UserWarning`` says when the rest would
        take over an hour. Refits other than weighted least squares are not
        exact maximisers: they also stop when the flags have settled (at
        most 0.2% of them changed at the last E-step, the outlier
        probabilities moved by at most 0.005 on average).
    n_init : int, default=1
        Number of EM runs; the one with the highest likelihood is kept. The
        first run starts from ``init``; with ``init=None`` or a regressor the
        others start from fits on random halves of the data, with
        ``init="subsets"`` from the next-best subset starts. The runs come
        one after another (only the best so far is kept in memory); when
        they would take over an hour, a ``UserWarning`` after the first says
        how long, unless ``verbose`` reports the progress.
    init : "auto", None, "subsets" or regressor, default="auto"
        Where the first residuals come from: a plain fit (``None``), random
        minimal subsets refined by concentration steps as in FAST-LTS and
        a reweighting step (``"subsets"``, robust to clustered outliers and
        bad leverage points), or a regressor, fitted or not, whose
        predictions give them. ``"auto"`` is ``"subsets"`` where a fit is
        cheap and the decision after the search calibrated
        (``LinearRegression``, the default estimator, with at least 10 rows
        per parameter, or at least 3 for up to 10 parameters, and at most
        20,000 rows: the subset search costs about a thousand small
        least-squares solves) and ``None`` otherwise: with fewer rows per
        parameter (pass ``init="subsets"`` to search anyway; its decision's
        thresholds were not simulated there), on larger data (where the
        search would cost several plain fits) and for every other
        estimator, whose fits may be expensive (a network trains once).
    threshold : float, default=0.5
        A sample (or group) is an inlier when its outlier probability is
        below ``threshold``; must lie in (0, 1).
    reg_covar : float, default=1e-6
        Non-negative regularisation of ``Sigma``, relative to the scale of the
        residuals: ``reg_covar * s_j^2`` is added to its diagonal, with
        ``s_j^2`` a robust variance of output ``j``'s starting residuals
        (median of the squares over the chi-squared median), so that no
        floor depends on the units of ``y``.
    outlier_component : {"auto", "always"}, default="auto"
        ``"auto"`` keeps the outlier component of a group only when the data
        support it (see Notes); otherwise the group is a pure Gaussian and,
        when no group keeps it, the fit is the plain weighted fit of the
        estimator. ``"always"`` forces the mixture on.
    outlier_model : {"auto", "uniform", "gaussian"}, default="auto"
        The outliers: uniform over a box of volume ``gamma`` (gross label
        errors, DeepGUM's model) or ``N(0, k Sigma)``, ``k >= 1`` (Gaussian
        label noise, Tukey's contaminated normal). ``"auto"``: per group
        the one the data support best for weighted least squares; the
        uniform for other regressors and nets, whose clean residuals have
        heavy tails of their own (see Notes).
    min_evidence : float or "auto", default="auto"
        Margin of that decision: the evidence (``outlier_evidence_``) must
        exceed ``min_evidence`` per weighted sample and column of the group.
        ``"auto"``: 0 for a scikit-learn estimator (the calibrated test
        alone), 0.05 for a network (a trained net's clean residuals are
        heavy-tailed; see :mod:`sklearn_gum.nn`).
    warmup_epochs : int or "auto", default="auto"
        Networks only: epochs trained with the sample weights alone before
        the first outlier decision, below the net's ``max_epochs``;
        ``"auto"`` means ``max(1, max_epochs // 10)``.
    estep_every : int, default=1
        Networks only: epochs between two E-steps.
    estep_residuals : {"train", "eval"}, default="train"
        Networks only: residuals of the E-steps during training from the
        epoch's own forward passes (``"train"``, free) or from an eval pass
        after the epoch (``"eval"``).
    loss_normalization : {"first", "mse", "none"}, default="first"
        Networks only: constant factor of the loss once the EM runs (see
        :class:`~sklearn_gum.nn.GUMCriterion`).
    random_state : int, RandomState instance or None, default=None
        Seeds the random starts (``n_init > 1`` or ``init="subsets"``).
        With ``init="auto"``, ``None`` means a fixed seed, so that the
        default fit is deterministic like the plain fit it replaces.
    verbose : int, default=0
        Print progress lines (1): the runs done of ``n_init``, with the time
        elapsed and an estimate of the time left (at most one line a second),
        and a line per EM iteration (the samples flagged, the flags changed,
        the mean log-likelihood and the time since the run began).

    Attributes
    ----------
    estimator_ : regressor
        The final fit. With several outputs it is fitted on targets whitened
        by ``Sigma`` and ``predict`` maps its predictions back.
    outlier_proba_ : ndarray of shape (n_samples,) or (n_samples, n_groups)
        ``1 - r_n`` for each training sample (and group): shape (n_samples,)
        when there is one group (``"sample"``, one target column, or one
        group listed), (n_samples, n_groups) otherwise. After a fit on
        dask inputs, a lazy dask array with the row chunks of ``X`` (see
        Notes).
    inlier_mask_ : ndarray of bool, same shape as ``outlier_proba_``
        ``outlier_proba_ < threshold`` (lazy after a fit on dask inputs).
    inlier_prior_ : float or ndarray of shape (n_groups,)
        ``rho`` of each group (1 where the outlier component was dropped);
        a float when there is one group, as for the other per-group
        attributes below.
    covariance_ : ndarray of shape (n_outputs, n_outputs)
        ``Sigma``, block-diagonal over the groups.
    uniform_volume_ : float or ndarray of shape (n_groups,)
        ``gamma`` of each group; ``inf`` for a group without a uniform.
    outlier_scale_ : float or ndarray of shape (n_groups,)
        ``k`` of each group whose outliers are Gaussian, ``N(0, k Sigma)``;
        ``inf`` for a group without Gaussian outliers.
    has_outliers_ : ndarray of bool of shape (n_groups,)
        Whether each group kept an outlier component (always an array:
        ``gum.has_outliers_.any()`` for the fit as a whole), decided on the
        residuals of a fit made without it (see Notes; a network decides
        again at each E-step, see :mod:`sklearn_gum.nn`).
    outlier_evidence_ : float or ndarray of shape (n_groups,)
        Calibrated evidence for the mixture over a pure Gaussian on those
        residuals (positive favours the mixture; see Notes), on which
        ``has_outliers_`` is based.
    groups_ : list of ndarray
        Target columns of each group.
    weighting_ : {"soft", "hard"}
        Whether refits used weights or the inliers alone.
    n_iter_ : int
        EM iterations of the kept run: refits (for a network, E-steps after
        the first, the final one included). When no group keeps the
        uniform, 1: the plain fit, which is the model returned (``history_``
        then holds the start's entry and the plain fit's: ``n_iter_ + 1``
        entries in every case, as scikit-learn's ``n_iter_ >= 1``).
    converged_ : bool
        Whether that EM converged before ``max_iter`` (True for the plain
        fit: no ``ConvergenceWarning`` is about an EM whose fit is not
        returned).
    log_likelihood_ : float
        Mean log-likelihood per sample of the final model.
    history_ : dict of ndarray
        ``"log_likelihood"``, ``"inlier_share"`` and ``"objective"`` (what
        the EM maximises, see Notes) at the start and after each EM
        iteration of the kept run; a single entry, the plain fit's,
        when no group keeps the uniform. With a scikit-learn regressor and
        outliers, also ``"flag_changes"`` (flags changed by each E-step)
        and ``"proba_change"`` (the largest move of an outlier probability),
        0 at the start.
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
    EM on the residuals ``e_n`` of each group, with the outlier density
    ``q(e) = 1 / gamma`` (uniform) or ``N(e; 0, k Sigma)`` (Gaussian):

    - E-step: ``r_n = rho N(e_n; 0, Sigma) / (rho N(e_n; 0, Sigma) + (1 - rho) q(e_n))``;
    - M-step of the mixture: ``rho = sum w_n r_n / sum w_n``,
      ``Sigma = sum w_n r_n e_n e_n^T / sum w_n r_n`` and ``gamma`` by the
      ``uniform`` rule, where ``w`` are the sample weights; for Gaussian
      outliers ``Sigma = sum w_n v_n e_n e_n^T / sum w_n`` with
      ``v_n = r_n + (1 - r_n) / k``, then ``k`` the outliers' mean squared
      Mahalanobis distance per column (an ECM step);
    - M-step of the regressor: minimise ``sum_n w_n v_n e_n^T Sigma^{-1} e_n``
      (``v_n = r_n`` for a uniform) by a weighted fit on whitened targets.

    The uniform never exceeds the Gaussian's peak density
    (``gamma >= 1 / N(0; 0, Sigma)``; each side ``>= sqrt(2 pi D_j)`` in the
    conditional coordinates of Sigma, see the user guide) and its box spans
    every residual it explains; without these floors the moment rule can
    collapse onto the centre of clean residuals, with a wide Gaussian around.

    Whether outliers are present at all is decided, per group, on the
    residuals of a fit made without the uniform: the starting fit of a
    scikit-learn estimator; for a network, the net trained with its plain
    loss, at every E-step after the warm-up until a group keeps its uniform
    (a half-trained net can hide the outliers; see :mod:`sklearn_gum.nn`).
    EM over those fixed residuals gives the mixture of each outlier model
    of ``outlier_model`` (its Gaussian's centre free, as a refit of the
    intercept would make it). The uniform is kept when two tests agree: the
    normalised entropy criterion (NEC; Celeux and Soromenho 1996, Biernacki,
    Celeux and Govaert 1999), ``2 (L_mixture - L_gaussian) - 2 sum_n w_n
    H(r_n) > 0``, with total log-likelihoods ``L``, sample weights ``w`` and
    the binary entropy ``H`` (a uniform that merely reshapes clean tails
    leaves samples undecided and pays for each), and the likelihood ratio
    ``2 (L_mixture - L_gaussian)`` above its 99% quantile on clean Gaussian
    residuals of the same size, simulated (:mod:`sklearn_gum._calibration`).
    After a least-squares subset start, in one column, the uniform's test is
    the largest studentized residual over the scale of the start's inliers,
    above its simulated 99% quantile (:mod:`sklearn_gum._max_residual`: the
    ratio has little power on a few dozen rows). The Gaussian outliers overlap the
    inliers by design, so NEC would always refuse them: they are kept when
    the likelihood ratio exceeds its own simulated 99% quantile and the
    fitted ``(rho, k)`` predict standard errors at least 1% below least
    squares' (the contaminated normal's Fisher information): residuals that
    are merely not exactly Gaussian do not count. ``outlier_evidence_`` is
    the margin of the kept model (the smaller of its two tests). Where both
    pass, the uniform stays unless the Gaussian fits significantly better
    (Vuong's test at 1%). When no group keeps an outlier component, the fit
    is the plain weighted fit and ``outlier_proba_`` is zero. No variance
    goes below what a grid of step ``delta`` resolves (``delta^2 / 12``).

    The moment and range rules for ``gamma`` are not likelihood maximisers
    (with everything else fixed the likelihood always prefers a smaller
    box): the rule's volume is taken unless it would lower the objective
    below the previous iteration's, otherwise the previous volume stays (an
    ECME step; the EM starts from the box over all residuals). The
    objective is the mean log-likelihood plus ``dof / (2 sum w) sum_g log
    |Sigma_g|``, the term whose maximiser in ``Sigma`` is the divisor
    ``sum w r - dof`` below (restricted maximum likelihood). With an exact
    refit (weighted least squares) it never decreases;
    ``history_["objective"]`` records it and convergence is declared on its
    absolute change per sample (``tol`` nats).

    The EM of a kept group starts from the mixture the decision fitted to
    the starting residuals: the prediction is moved by the Gaussian's centre
    and the first refit weights the samples by the responsibilities of that
    tight mode. The user guide gives the breakdown of each start.

    Each M-step of ``Sigma`` divides by ``sum_n w_n r_n - dof``: a refit
    leaves residuals smaller than the noise by the degrees of freedom it
    spends (a linear model's non-zero coefficients and intercept, a tree's
    leaves; 0, no correction, for other regressors).

    Dask inputs (``LinearRegression`` or ``Ridge``, one output) are fitted
    one pass over the chunks per full-data EM iteration; the outputs are
    then lazy dask arrays (see the user guide).

    Warm EM: a regressor that can continue its fit (the families of
    :mod:`sklearn_gum._warm_em`, which says what a stage is for each, and
    why boosting decides on its first one), takes ``sample_weight`` and has
    one target column is trained once, in ``max_iter`` stages weighted by
    the responsibilities of the model so far: that run is the final model.
    With clean data the plain fit is the answer.

    ``outlier_component="always"`` starts the EM of a group whose residuals
    do not support the uniform from the Gaussian (``rho = 1 - 1/n``).

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
        **_em.PARAMETER_CONSTRAINTS,
        **_em.SCHEDULE_CONSTRAINTS,
        "max_iter": [NumberInterval(Integral, 1, None, closed="left"),
                     StrOptions({"auto"})],
        "n_init": [NumberInterval(Integral, 1, None, closed="left")],
        "init": [None, StrOptions({"auto", "subsets"}), HasMethods(["predict"])],
        "random_state": ["random_state"],
    }

    def __init__(
        self,
        estimator=None,
        *,
        covariance_type="full",
        outlier_granularity="sample",
        uniform="moments",
        max_iter="auto",
        tol=1e-4,
        n_init=1,
        init="auto",
        threshold=0.5,
        reg_covar=1e-6,
        outlier_component="auto",
        outlier_model="auto",
        min_evidence="auto",
        warmup_epochs="auto",
        estep_every=1,
        estep_residuals="train",
        loss_normalization="first",
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
        self.outlier_model = outlier_model
        self.min_evidence = min_evidence
        self.warmup_epochs = warmup_epochs
        self.estep_every = estep_every
        self.estep_residuals = estep_residuals
        self.loss_normalization = loss_normalization
        self.random_state = random_state
        self.verbose = verbose

    def _get_estimator(self):
        return LinearRegression() if self.estimator is None else self.estimator

    def set_params(self, **params):
        """Set the parameters of this estimator and of the wrapped one.

        Nested parameters of the default estimator (``estimator=None``), e.g.
        ``estimator__fit_intercept=False`` (as ``GridSearchCV`` sets them),
        first make ``estimator`` the ``LinearRegression()`` that None stands
        for, then set them on it. The EM's settings of a network
        (``warmup_epochs``, ``estep_every``, ``estep_residuals``,
        ``min_evidence``, ``loss_normalization``) are parameters of the
        GUMRegressor; spelt ``estimator__warmup_epochs`` for an estimator
        that has no such parameter (a skorch net), they set the
        GUMRegressor's (``get_params`` lists them once, without the prefix).

        Parameters
        ----------
        **params : dict
            Estimator parameters.

        Returns
        -------
        self : GUMRegressor
        """
        estimator = self._get_estimator()
        estimator_params = (estimator.get_params(deep=False)
                            if hasattr(estimator, "get_params") else {})
        for name in _em.SCHEDULE_CONSTRAINTS:
            key = f"estimator__{name}"
            if key in params and name not in estimator_params:
                params = {**params, name: params[key]}
                del params[key]
        nested = any(key.startswith("estimator__") for key in params)
        if nested and params.get("estimator", self.estimator) is None:
            params = {**params, "estimator": LinearRegression()}
        return super().set_params(**params)

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
            many copies of the sample in every step. Whether outliers are
            present is decided on their ratios alone; their scale changes
            only the degrees-of-freedom correction of ``Sigma`` (``sum w r -
            dof``), which is left out when less than one unit of weight
            would remain (weights summing to one: a ``UserWarning`` says
            so when the rows would leave one).
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
        for name in ("estimator", "init"):
            if isinstance(getattr(self, name), type):
                cls = getattr(self, name).__name__
                raise TypeError(
                    f"{name} must be a regressor instance, not the class {cls}; "
                    f"pass {name}={cls}()."
                )
        if is_dask(X):
            from ._dask import fit as fit_dask

            fit_dask(self, X, y, sample_weight, fit_params)  # warns as in memory
            return self
        if is_skorch_net(self._get_estimator()):
            from .nn._fit import fit_network

            result = fit_network(self, X, y, sample_weight, fit_params)
            self._y_ndim = np.ndim(y)
            self._store(result)
            _em.warn_if_degenerate(result)
            _em.warn_if_not_converged(
                result, 100 if self.max_iter == "auto" else self.max_iter,
                "Increase max_iter or tol, or estep_every.",
            )
            return self
        refit, y_ndim = self._prepare(X, y, sample_weight, fit_params)
        self._y_ndim = y_ndim
        groups = check_groups(self.outlier_granularity, refit.targets.shape[1])
        result = fit_regressor_em(
            refit, groups, _em.EMOptions.of(self), init=self.init, n_init=self.n_init,
            random_state=self._random_state(), verbose=self.verbose,
        )
        self._store(result)
        _em.warn_if_degenerate(result)  # fit_regressor_em warns if unconverged
        return self

    def _random_state(self):
        """The RandomState of the starts: with ``init="auto"`` and no
        ``random_state``, a fixed seed (the default fit is deterministic, as
        the plain fit it replaces is)."""
        if self.random_state is None and self.init == "auto":
            return check_random_state(0)
        return check_random_state(self.random_state)

    def _prepare(self, X, y, sample_weight, fit_params):
        """Validate the data and bundle what every refit needs."""
        sample_weight_given = sample_weight is not None
        check_2d(X)
        validate_data(self, X, skip_check_array=True)
        targets, sample_weight, fit_params, y_ndim = validate_targets(
            self, y, _num_samples(X), sample_weight, fit_params
        )
        refit = make_refit(
            self._get_estimator(), X, targets, sample_weight, fit_params, y_ndim == 1
        )
        if sample_weight_given and refit.weight_key is None and _routing_enabled():
            raise TypeError(
                f"{type(refit.estimator).__name__} was not set to receive "
                "sample_weight in fit: with metadata routing enabled, call "
                "set_fit_request(sample_weight=True) on the estimator (on its final "
                "step for a Pipeline), so that GUMRegressor can pass the weights on."
            )
        if sample_weight_given and refit.weight_key is None:
            raise TypeError(
                f"{type(refit.estimator).__name__} does not accept sample_weight "
                "in fit, so GUMRegressor cannot pass the sample weights on. Use "
                "an estimator that takes sample_weight or drop it."
            )
        return refit, y_ndim

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
        if is_dask(X):
            from ._dask import predict

            return predict(self, X)
        check_2d(X)
        validate_data(self, X, skip_check_array=True, reset=False)
        _raise_for_params(predict_params, self, "predict")
        if _routing_enabled():
            predict_params = process_routing(self, "predict", **predict_params).estimator.predict
        if is_skorch_net(self.estimator_):  # a net predicts NaN from NaN
            from .nn._checks import check_net_X

            check_net_X(X)
        if may_write_inputs(self.estimator_):
            X = copy.deepcopy(X)  # e.g. StandardScaler(copy=False) in a Pipeline
        prediction = self.estimator_.predict(X, **predict_params)
        if self._whitening is not None:
            prediction = np.asarray(prediction).reshape(len(prediction), -1)
            prediction = unwhiten(prediction, self._whitening)
        if self._y_ndim == 1:
            return np.asarray(prediction).ravel()
        return prediction

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
            inner.target_tags.multi_output or is_skorch_net(estimator)
        )
        return tags
