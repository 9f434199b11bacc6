"""Refits of a Pipeline's final step on features transformed once.

Without metadata routing a Pipeline hands ``<last step>__sample_weight`` to
its final step alone: its transformers are fitted on the same ``X`` and
``y`` at every weighted refit of the EM, and fitted the same (a transformer
drawing random numbers without a ``random_state`` draws once instead of at
every refit). :class:`PipelineRefit` therefore fits them once, at the first
refit on all rows, keeps the transformed features, and refits the final
step alone on them; each refit's estimator is the Pipeline with those
fitted transformers and its own final step, as ``Pipeline.fit`` would have
built it. Its predictions of the training rows are the final step's on the
kept features.

This holds while the targets of every refit are the training targets
(one output, hence one outlier group and no whitening) and the refits take
every row with soft weights; a refit on some rows (a start on half of
them, hard weights) fits the whole Pipeline, as before. With metadata
routing enabled a transformer may request the weights: no such Pipeline
takes this path (:func:`supports_transform_once`).

When the final step's refits are normal-equation solves on the kept
features (a ``LinearRegression`` or ``Ridge``,
:func:`sklearn_gum._linear_refit.supports_sufficient_statistics`), they are
solved from the features' weighted Gram matrix (``final_refit``, a
:class:`~sklearn_gum._linear_refit.LinearRefit` of the features), and the
final step is built from the last solution as that refit builds it
(:meth:`PipelineRefit.materialize`).

Before, each EM iteration of ``Pipeline(SplineTransformer, Ridge)`` fitted
and applied the spline transform again (three quarters of its time at
1000 x 8); a ``Ridge.fit`` on the kept features then cost more than the
EM's own steps (its validation alone about half of it).
"""

import copy

import numpy as np
from sklearn.base import clone
from sklearn.pipeline import Pipeline
from sklearn.utils.metadata_routing import _routing_enabled

from ._weighted_fit import WeightedRefit, keeps_inputs, sample_weight_key


def supports_transform_once(estimator, targets):
    """Whether the weighted refits of ``estimator`` on ``targets`` can reuse
    its transformers: a Pipeline of at least two steps, without metadata
    routing (nor ``transform_input``), whose final step takes sample
    weights, for one output."""
    return (
        isinstance(estimator, Pipeline)
        and len(estimator.steps) > 1
        and not _routing_enabled()
        and getattr(estimator, "transform_input", None) is None
        and sample_weight_key(estimator) is not None
        and targets.shape[1] == 1
    )


class PipelineRefit(WeightedRefit):
    """:class:`WeightedRefit` of a Pipeline whose transformers are fitted
    once (see the module's docstring).

    ``final_refit(final_step, features, targets, sample_weight, fit_params,
    ravel)`` returns the refits of the final step on the kept features when
    they are normal-equation solves, else None.
    """

    def __init__(self, estimator, X, targets, sample_weight, fit_params, ravel,
                 final_refit=None):
        super().__init__(estimator, X, targets, sample_weight, fit_params, ravel)
        self.final_refit = final_refit
        self._final = None
        self._head = self._features = None
        last_name, last = estimator.steps[-1]
        self._last_key = sample_weight_key(last)
        # "<step>__<param>": the final step's for each refit, others once
        self._last_params = {
            key.split("__", 1)[1]: value for key, value in fit_params.items()
            if key.split("__", 1)[0] == last_name
        }
        self._head_params = {
            key: value for key, value in fit_params.items()
            if key.split("__", 1)[0] != last_name
        }

    def _transformed(self):
        """The fitted transformers (a list of steps) and the features they
        give, fitted at the first call."""
        if self._head is None:
            head = self.estimator[:-1]
            head = type(head)(**{**head.get_params(deep=False), "steps": [
                (name, _clone_step(step)) for name, step in head.steps]})
            X, y, params = self.X, self._fit_targets(), self._head_params
            if not keeps_inputs(head):  # it may write into them: copies
                X, y, params = copy.deepcopy((X, y, params))
            try:
                self._features = head.fit_transform(X, y, **params)
            except Exception as exc:
                exc.add_note("Raised by the transformers of the Pipeline, fitted "
                             "by GUMRegressor for the weighted fits of its EM.")
                raise
            self._head = list(head.steps)
            if self.final_refit is not None:
                self._final = self.final_refit(
                    self.estimator.steps[-1][1], self._features, self.targets,
                    self.sample_weight, self._last_params, self.ravel)
        return self._head, self._features

    def subset(self, rows):
        subset = super().subset(rows)
        subset.final_refit = self.final_refit
        return subset

    def _fit_targets(self):
        return self.targets.ravel() if self.ravel else self.targets

    def _is_ours(self, estimator):
        """Whether ``estimator`` is a Pipeline with the kept transformers, or
        a blank of the template (whose transformers are not fitted)."""
        if not isinstance(estimator, Pipeline) or self._head is None:
            return False
        return all(a is b for (_, a), (_, b) in zip(estimator.steps[:-1], self._head))

    def blank(self):
        """A clone of the template; once the transformers are fitted, a
        Pipeline of them and a clone of the final step (the template's
        parameters; cloning the transformers at every refit cost more than
        the refit of a small final step). With the final step's normal
        equations, the template itself: they never fit it."""
        if self._final is not None:
            return self.estimator
        if self._head is None:
            return super().blank()
        return self._with_final(clone(self.estimator.steps[-1][1]))

    def _with_final(self, final):
        """A Pipeline of the kept transformers and ``final``, with the
        template's parameters, as ``Pipeline.fit`` would have built it."""
        params = self.estimator.get_params(deep=False)
        name = self.estimator.steps[-1][0]
        return type(self.estimator)(**{**params, "steps": [*self._head, (name, final)]})

    def fit(self, estimator, weights, rows=None, targets=None, factor=None):
        """The weighted refit of the final step on the kept features, when
        the refit takes every row and the training targets; otherwise (or
        for another estimator, an ``init`` regressor) the whole fit."""
        plain = rows is None and targets is None and factor is None
        if not (plain and isinstance(estimator, Pipeline)
                and len(estimator.steps) == len(self.estimator.steps)):
            return super().fit(estimator, weights, rows, targets, factor)
        head, features = self._transformed()
        if self._final is not None:  # a LinearSolution on the kept features
            return self._final.fit(self._final.estimator, weights)
        name, last = estimator.steps[-1]
        params = dict(self._last_params)
        if not np.all(weights == 1):  # unit weights are no weights
            params[self._last_key] = weights
        if not keeps_inputs(last):  # it may write into them: copies
            features, params = copy.deepcopy((features, params))
        try:
            last.fit(features, self._fit_targets(), **params)
        except Exception as exc:
            exc.add_note(
                f"Raised by {type(last).__name__}.fit (the Pipeline's final step), "
                "called by GUMRegressor for a weighted fit of its EM."
            )
            raise
        estimator.steps = [*head, (name, last)]
        return estimator

    def predict(self, estimator, factor=None, source="the refitted estimator",
                rows=None):
        """The final step's predictions on the kept features for a Pipeline
        or a solution of the refits; anything else predicts on the training
        data."""
        if self._final is not None and not isinstance(estimator, Pipeline):
            return self._final.predict(estimator, factor=factor, source=source,
                                       rows=rows)
        if rows is not None or not self._is_ours(estimator):
            return super().predict(estimator, factor=factor, source=source, rows=rows)
        last = estimator.steps[-1][1]
        features = self._features
        if not keeps_inputs(last):
            features = copy.deepcopy(features)
        try:
            prediction = last.predict(features)
        except Exception as exc:
            exc.add_note(
                f"Raised by {type(last).__name__}.predict (the Pipeline's final "
                f"step, {source}), called by GUMRegressor on the training data."
            )
            raise
        return self.checked(prediction, len(self.targets), factor, source)

    def materialize(self, estimator, exact=False):
        """The Pipeline of the kept transformers and the final step of a
        solution of the normal equations (as the final step's refit
        materialises it)."""
        if self._final is None or isinstance(estimator, Pipeline):
            return estimator
        return self._with_final(self._final.materialize(estimator, exact=exact))


def _clone_step(step):
    if step is None or isinstance(step, str):  # "passthrough"
        return step
    return clone(step)
