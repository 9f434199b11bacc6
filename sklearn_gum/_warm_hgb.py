"""Stages of histogram gradient boosting at the cost of one training run.

A continued ``HistGradientBoostingRegressor.fit`` (``warm_start``) bins the
training data again, with the new sample weights, and predicts every earlier
tree on it; the E-step between stages predicts every tree once more. With
ten stages that is several fits' worth of work beyond the trees themselves,
and the weighted quantiles of the bins alone are slower than a stage. The
warm run therefore trains a :class:`StagedBoosting`, which

- finds the bins once, at the first stage, without the weights (the
  plain fit's bins), and keeps them and the binned data for every stage,
  so that each tree reads the bins it was built on;
- keeps the raw predictions of the training rows and hands that array to
  each continued fit as its own: the fit adds every new tree's values to
  it from the leaves the tree was grown on, as it does to its own copy, so
  that the E-steps read the training predictions without a pass of the
  trees over the rows. A first fit starts its own array; the fit hands it
  to its loss at every iteration, where the class takes it
  (:class:`_Watched`): no stage's trees are passed over the rows.

These are private hooks of scikit-learn's implementation (``_bin_data``,
``_raw_predict``, ``_predict_iterations``, ``_get_loss``); :func:`staged`
uses the class only where they exist. The fitted model is handed back as a
plain ``HistGradientBoostingRegressor`` (:func:`unstaged`).
"""

import numpy as np
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.utils._openmp_helpers import _openmp_effective_n_threads

HOOKS = ("_bin_data", "_raw_predict", "_predict_iterations", "_get_loss")


class StagedBoosting(HistGradientBoostingRegressor):
    """Histogram gradient boosting with bins and training predictions kept
    from one stage to the next (see the module's docstring)."""

    def _bin_data(self, X, *args, **kwargs):
        # (X, sample_weight, is_training_data) from scikit-learn 1.7 on,
        # (X, is_training_data) before, positional or by keyword
        arguments = [*args, *kwargs.values()]
        *weights, is_training_data = arguments
        if not is_training_data:
            return super()._bin_data(X, *args, **kwargs)
        if getattr(self, "_stage_binned", None) is None:  # bins without weights
            self._stage_binned = super()._bin_data(X, *[None] * len(weights),
                                                   is_training_data)
            self._stage_bins = self._bin_mapper
            self._stage_raw = None
        self._bin_mapper = self._stage_bins
        return self._stage_binned

    def fit(self, X, y, *args, **kwargs):
        """``HistGradientBoostingRegressor.fit``; the training predictions
        it updates in place as it adds its trees are kept."""
        try:
            super().fit(X, y, *args, **kwargs)
        except BaseException:
            self._stage_raw = None  # part-updated: recomputed when needed
            raise
        finally:
            watched = getattr(self, "_loss", None)
            if isinstance(watched, _Watched):
                self._loss = watched.loss
        raw = getattr(watched, "raw", None)
        if raw is not None:  # the array the fit passed to its loss holds its trees
            self._stage_raw, self._stage_trees = raw, len(self._predictors)
        return self

    def _get_loss(self, *args, **kwargs):
        return _Watched(super()._get_loss(*args, **kwargs))

    def _raw_predict(self, X, n_threads=None):
        if X is getattr(self, "_stage_binned", None):  # the training rows
            # the kept array itself: the continued fit adds each new tree's
            # values to it, from the leaves the tree was grown on (as to its
            # own copy), which spares a pass of its trees over the rows
            self.training_raw()
            return self._stage_raw
        return super()._raw_predict(X, n_threads)

    def training_raw(self):
        """Raw predictions of the training rows by every tree so far; only
        the trees added since the last call are evaluated."""
        if getattr(self, "_stage_raw", None) is None:
            self._stage_trees = 0
            self._stage_raw = np.zeros(
                (len(self._stage_binned), self.n_trees_per_iteration_),
                dtype=self._baseline_prediction.dtype, order="F",
            )
            self._stage_raw += self._baseline_prediction
        new = self._predictors[self._stage_trees:]
        self._predict_iterations(self._stage_binned, new, self._stage_raw, True,
                                 _openmp_effective_n_threads())
        self._stage_trees = len(self._predictors)
        return self._stage_raw.copy()

    def training_prediction(self):
        """``predict`` of the training rows, from :meth:`training_raw`."""
        return self._loss.link.inverse(self.training_raw()).ravel()


class _Watched:
    """A fit's loss that keeps the raw predictions the fit passes to its
    gradients (its own array of training predictions, updated in place)."""

    def __init__(self, loss):
        self.loss, self.raw = loss, None

    def __getattr__(self, name):
        if name == "loss":  # not set yet (a copy being made)
            raise AttributeError(name)
        return getattr(self.loss, name)

    def __call__(self, *args, **kwargs):
        return self.loss(*args, **kwargs)

    def gradient(self, *args, **kwargs):
        self._watch(args, kwargs)
        return self.loss.gradient(*args, **kwargs)

    def gradient_hessian(self, *args, **kwargs):
        self._watch(args, kwargs)
        return self.loss.gradient_hessian(*args, **kwargs)

    def _watch(self, args, kwargs):
        # (y_true, raw_prediction, ...), by position or by keyword
        self.raw = kwargs["raw_prediction"] if "raw_prediction" in kwargs else args[1]


def staged(estimator):
    """``estimator`` as a :class:`StagedBoosting` when it is exactly a
    ``HistGradientBoostingRegressor`` and scikit-learn has the hooks."""
    if type(estimator) is HistGradientBoostingRegressor and all(
        hasattr(estimator, hook) for hook in HOOKS
    ):
        estimator.__class__ = StagedBoosting
    return estimator


def share_bins(source, target):
    """Give ``target``, a :class:`StagedBoosting` yet to be fitted, the bins
    and binned training data of ``source`` (an earlier staged run on the
    same rows, without weights): a run started again after its first stage
    does not bin the data twice."""
    binned = getattr(source, "_stage_binned", None)
    if type(target) is StagedBoosting and binned is not None:
        target._stage_binned, target._stage_bins = binned, source._stage_bins
        target._stage_raw = None


def unstaged(estimator):
    """A :class:`StagedBoosting` as the plain estimator, without its caches."""
    if type(estimator) is StagedBoosting:
        estimator.__class__ = HistGradientBoostingRegressor
        for name in ("_stage_binned", "_stage_bins", "_stage_raw", "_stage_trees"):
            vars(estimator).pop(name, None)
    return estimator
