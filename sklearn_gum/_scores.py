"""The fitted mixture of a GUMRegressor: its attributes and per-sample scores.

Private: a mixin of :class:`sklearn_gum.GUMRegressor`, which holds the
fitted regressor (``predict``) and the attributes written by ``_store``.
"""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from . import _em, _mixture
from ._validation import check_targets, is_dask


def one_or_many(values, n_groups):
    """Per-group values as the fitted attributes give them, whatever spelled
    the groups: a sample's value alone (a scalar per group) for one group,
    one column per group otherwise."""
    if n_groups != 1:
        return values
    return values[0].item() if np.ndim(values) == 1 else values[:, 0]


class MixtureScoresMixin:
    """``_store`` of an EM result, and the scores of labelled samples:
    :meth:`outlier_proba`, :meth:`log_density`, :meth:`inlier_score`.

    The last two are scikit-learn's ``score_samples`` and
    ``decision_function`` of outlier detectors, for labelled samples, named
    apart: scikit-learn's estimator checks call those methods with ``X``
    alone, and a regressor must not have a ``decision_function``
    (``check_regressors_no_decision_function``).
    """

    def _store(self, result):
        """Fitted attributes from the :class:`~sklearn_gum._em.EMResult` of
        the kept run."""
        params, n_groups = result.params, len(result.groups)
        self.groups_ = result.groups
        self.weighting_ = result.weighting
        self.estimator_ = result.estimator
        self._whitening = result.whitening
        self.outlier_proba_ = one_or_many(1 - result.resp, n_groups)
        self.inlier_mask_ = self.outlier_proba_ < self.threshold
        self.inlier_prior_ = one_or_many(np.array([p.inlier_prior for p in params]),
                                         n_groups)
        self.uniform_volume_ = one_or_many(np.exp([p.log_volume for p in params]),
                                           n_groups)
        self.outlier_scale_ = one_or_many(np.array([p.outlier_scale for p in params]),
                                          n_groups)
        n_outputs = sum(len(columns) for columns in result.groups)
        self.covariance_ = _em.block_covariance(params, result.groups, n_outputs)
        self.has_outliers_ = np.asarray(result.has_outliers, dtype=bool)
        self.outlier_evidence_ = one_or_many(result.evidence, n_groups)
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.log_likelihood_ = result.log_likelihood
        self.history_ = dict(result.history)

    def _residuals(self, X, y, method):
        """``y - predict(X)`` as a 2-D array, checked against the fit."""
        prediction = self.predict(X)
        missing = np.isnan(np.reshape(prediction, (len(prediction), -1))).any(axis=1)
        if missing.any():
            raise ValueError(
                f"{type(self.estimator_).__name__}.predict returned NaN for "
                f"{missing.sum()} sample(s) of X; {method} needs finite "
                "predictions to compare y with."
            )
        targets, _ = check_targets(y, len(prediction))
        n_outputs = self.covariance_.shape[0]
        if targets.shape[1] != n_outputs:
            raise ValueError(
                f"y has {targets.shape[1]} output(s); the model was fitted on "
                f"{n_outputs}. Pass y of shape (n_samples, {n_outputs})."
            )
        with np.errstate(over="ignore"):  # overflow: infinitely far
            residuals = targets - np.reshape(prediction, (len(targets), -1))
        return residuals, prediction.dtype

    def outlier_proba(self, X, y):
        """Outlier probabilities of labelled samples under the fitted mixture.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            With as many outputs as the training targets.

        Returns
        -------
        proba : ndarray of shape (n_samples,) or (n_samples, n_groups)
            ``1 - r_n``, shaped like ``outlier_proba_``, in the floating
            dtype of :meth:`predict` (float32 for a linear model on float32
            ``X``). A residual too large for its squared distance to be a
            float64 number is infinitely far from the Gaussian: probability 1.
        """
        check_is_fitted(self)
        if is_dask(X) or is_dask(y):
            from ._dask import outlier_proba

            return outlier_proba(self, X, y)
        residuals, dtype = self._residuals(X, y, "outlier_proba")
        resp = _em.far_inlier_resp(residuals, self.groups_, self._fitted_params())
        proba = (1 - resp).astype(np.result_type(dtype, np.float32))
        return one_or_many(proba, len(self.groups_))

    def log_density(self, X, y):
        """Log-density of each labelled sample under the fitted mixture.

        What ``score_samples`` is to scikit-learn's density models, for
        ``(x, y)`` pairs: the larger, the more typical.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            With as many outputs as the training targets.

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``log p(y_n | x_n)``: the sum over the groups of
            ``log(rho N(e_n; 0, Sigma) + (1 - rho) / gamma)`` at the
            residuals ``e_n = y_n - predict(x_n)`` (the larger, the more
            typical). ``log_likelihood_`` is their weighted mean on the
            training data. A residual beyond the float64 range scores
            ``log((1 - rho) / gamma)`` in its group, ``-inf`` in a group
            without a uniform component.
        """
        check_is_fitted(self)
        residuals, _ = self._residuals(X, y, "log_density")
        return sum(_group_log_terms(residuals[:, columns], params)[0]
                   for columns, params in zip(self.groups_, self._fitted_params()))

    def inlier_score(self, X, y):
        """Log-odds of inlier over outlier, shifted so that 0 is ``threshold``.

        What ``decision_function`` is to scikit-learn's outlier detectors,
        for ``(x, y)`` pairs: positive for inliers, negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            With as many outputs as the training targets.

        Returns
        -------
        scores : ndarray of shape (n_samples,) or (n_samples, n_groups)
            ``log(rho N(e_n)) - log((1 - rho) / gamma) - logit(1 -
            threshold)`` per group, shaped like ``outlier_proba_``: positive
            for inliers, negative for outliers, so that ``scores > 0`` is
            ``outlier_proba(X, y) < threshold``. ``+inf`` in a group without a uniform
            component.
        """
        check_is_fitted(self)
        residuals, _ = self._residuals(X, y, "inlier_score")
        shift = np.log1p(-self.threshold) - np.log(self.threshold)
        odds = np.column_stack([
            _group_log_terms(residuals[:, columns], params)[1] - shift
            for columns, params in zip(self.groups_, self._fitted_params())
        ])
        return one_or_many(odds, len(self.groups_))

    def _fitted_params(self):
        """Per-group mixture parameters rebuilt from the fitted attributes
        (which hold only arrays and numbers, for safe persistence)."""
        priors = np.atleast_1d(self.inlier_prior_)
        volumes = np.atleast_1d(self.uniform_volume_)
        scales = np.atleast_1d(self.outlier_scale_)
        return [
            _mixture.GroupParams(
                float(prior), self.covariance_[np.ix_(columns, columns)], np.log(volume),
                float(scale),
            )
            for prior, volume, scale, columns in zip(priors, volumes, scales, self.groups_)
        ]


def _group_log_terms(residuals, params):
    """Per sample of one group: the log-density of the mixture and the
    log-odds of its inlier over its outlier component."""
    far = ~np.isfinite(residuals).all(axis=1)
    with np.errstate(over="ignore", invalid="ignore"):
        distances = _mixture.squared_distances(np.where(far[:, None], 0.0, residuals),
                                               params.covariance)
    distances = np.where(far | np.isnan(distances), np.inf, distances)
    log_peak = _mixture.log_gaussian_peak(params.covariance)
    if params.inlier_prior >= 1:
        return log_peak - 0.5 * distances, np.full(len(residuals), np.inf)
    log_inlier, log_outlier = _mixture.log_components(distances, log_peak, params)
    log_odds = log_inlier - log_outlier
    if np.isfinite(params.outlier_scale):  # both densities vanish far out
        scale = params.outlier_scale
        log_odds = (np.log(params.inlier_prior) - np.log1p(-params.inlier_prior)
                    + 0.5 * len(params.covariance) * np.log(scale)
                    - 0.5 * distances * (1 - 1 / scale))
    return np.logaddexp(log_inlier, log_outlier), log_odds
