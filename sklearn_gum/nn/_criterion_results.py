"""The fitted attributes of a GUMCriterion, read from its latest E-step.

Private: a mixin of :class:`sklearn_gum.nn.GUMCriterion`.
"""

import numpy as np
from sklearn.exceptions import NotFittedError

from .._scores import one_or_many


class FittedMixtureMixin:
    """``outlier_proba_``, ``inlier_mask_``... of the criterion's EM, named
    as :class:`~sklearn_gum.GUMRegressor` names its fitted attributes.

    The host class holds ``_state`` (the EM's :class:`~sklearn_gum._em.EMState`,
    or None), ``_gaussian`` (the Gaussian-only state of groups without
    outliers), ``_decision``, ``outlier_granularity``, ``threshold`` and
    ``warmup_epochs``.
    """


    @property
    def _fitted(self):
        """The state of the latest E-step (the EM's, or the plain Gaussian's)."""
        if self._state is not None:
            return self._state
        if self._gaussian is not None:
            return self._gaussian
        raise self._not_fitted()

    def _not_fitted(self):
        return NotFittedError(
            "GUMCriterion has taken no E-step yet: train past warmup_epochs "
            f"(={self.warmup_epochs}) and call end_epoch(), or call finish()."
        )

    def __getattr__(self, name):
        # A property that raises AttributeError falls back to
        # torch.nn.Module.__getattr__, whose message would hide ours.
        if name in _FITTED_ATTRIBUTES:
            raise self._not_fitted()
        return super().__getattr__(name)

    def _result(self, estimator=None):
        """The EM as an :class:`~sklearn_gum._em.EMResult` (what
        :class:`~sklearn_gum.GUMRegressor` stores)."""
        state = self._fitted
        if state is self._state:
            return state.result(estimator, self._decision)
        # no EM yet: the plain loss's model, its decisions counted as E-steps;
        # nothing to converge (as GUMRegressor's plain fit)
        return state.result(estimator, self._decision, converged=True)

    def _squeeze(self, values):
        return one_or_many(values, len(self.groups_))

    @property
    def outlier_proba_(self):
        return self._squeeze(1 - self._fitted.resp)

    @property
    def inlier_mask_(self):
        return self.outlier_proba_ < self.threshold

    @property
    def inlier_prior_(self):
        return self._squeeze(np.array([p.inlier_prior for p in self._fitted.params]))

    @property
    def uniform_volume_(self):
        return self._squeeze(np.exp([p.log_volume for p in self._fitted.params]))

    @property
    def outlier_scale_(self):
        return self._squeeze(np.array([p.outlier_scale for p in self._fitted.params]))

    @property
    def covariance_(self):
        return self._fitted.covariance()

    @property
    def has_outliers_(self):
        self._fitted  # noqa: B018 (raises before the first E-step)
        return np.asarray(self._decision.keep, dtype=bool)

    @property
    def outlier_evidence_(self):
        self._fitted  # noqa: B018
        return self._squeeze(np.asarray(self._decision.evidence))

    @property
    def n_iter_(self):
        return self._result().n_iter

    @property
    def converged_(self):
        return self._result().converged

    @property
    def log_likelihood_(self):
        return self._fitted.log_likelihood

    @property
    def history_(self):
        return self._result().history


_FITTED_ATTRIBUTES = frozenset({
    "_fitted", "outlier_proba_", "inlier_mask_", "inlier_prior_", "uniform_volume_",
    "covariance_", "has_outliers_", "outlier_evidence_", "n_iter_", "converged_",
    "log_likelihood_", "history_",
})
