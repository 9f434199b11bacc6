"""The fitted mixture of a GUMRegressor: its attributes and the scores of
labelled samples under it."""

import numpy as np
from sklearn.utils.validation import check_is_fitted

from . import _em, _mixture
from ._validation import check_targets, is_dask


class FittedMixtureMixin:
    """``_store`` (the fitted attributes of an :class:`~sklearn_gum._em.EMResult`)
    and :meth:`outlier_proba`, for :class:`~sklearn_gum.GUMRegressor`."""

    def _store(self, result):
        """Fitted attributes from the :class:`~sklearn_gum._em.EMResult` of
        the kept run."""
        if self.outlier_granularity == "sample":
            def squeeze(values):  # one group: a scalar or one column
                return values[0].item() if np.ndim(values) == 1 else values[:, 0]
        else:
            def squeeze(values):
                return values
        params = result.params
        self.groups_ = result.groups
        self.weighting_ = result.weighting
        self.estimator_ = result.estimator
        self._whitening = result.whitening
        self.outlier_proba_ = squeeze(1 - result.resp)
        self.inlier_mask_ = self.outlier_proba_ < self.threshold
        self.inlier_prior_ = squeeze(np.array([p.inlier_prior for p in params]))
        self.uniform_volume_ = squeeze(np.exp([p.log_volume for p in params]))
        self.outlier_scale_ = squeeze(np.array([p.outlier_scale for p in params]))
        n_outputs = sum(len(columns) for columns in result.groups)
        self.covariance_ = _em.block_covariance(params, result.groups, n_outputs)
        self.has_outliers_ = squeeze(result.has_outliers)
        self.outlier_evidence_ = squeeze(result.evidence)
        self.n_iter_ = result.n_iter
        self.converged_ = result.converged
        self.log_likelihood_ = result.log_likelihood
        self.history_ = dict(result.history)

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
        prediction = self.predict(X)
        missing = np.isnan(np.reshape(prediction, (len(prediction), -1))).any(axis=1)
        if missing.any():
            raise ValueError(
                f"{type(self.estimator_).__name__}.predict returned NaN for "
                f"{missing.sum()} sample(s) of X; outlier_proba needs finite "
                "predictions to compare y with."
            )
        targets, _ = check_targets(y, len(prediction))
        n_outputs = self.covariance_.shape[0]
        if targets.shape[1] != n_outputs:
            raise ValueError(
                f"y has {targets.shape[1]} output(s); the model was fitted on "
                f"{n_outputs}. Pass y of shape (n_samples, {n_outputs})."
            )
        with np.errstate(over="ignore"):  # overflow: infinitely far, see below
            residuals = targets - np.reshape(prediction, (len(targets), -1))
        resp = _em.far_inlier_resp(residuals, self.groups_, self._fitted_params())
        proba = (1 - resp).astype(np.result_type(prediction.dtype, np.float32))
        return proba[:, 0] if np.ndim(self.outlier_proba_) == 1 else proba

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
