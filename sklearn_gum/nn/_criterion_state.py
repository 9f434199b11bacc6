"""The EM of a GUMCriterion in its ``state_dict``, for exact resumes, and
the age of its recorded residuals.

Private: a mixin of :class:`sklearn_gum.nn.GUMCriterion`.

The state lives in :meth:`torch.nn.Module.get_extra_state`, not in
registered buffers: the buffers are sized at the first batch (a fresh
criterion has none to load into), and DDP broadcasts registered buffers
from rank 0 before every forward pass, which would copy the residuals of
all rows at every step. The extra state is made of tensors, numbers,
strings, lists and dicts only, so ``torch.load(..., weights_only=True)``
(the default of torch, Lightning and skorch) reads it.
"""

import dataclasses

import numpy as np
import torch

from .. import _em, _mixture, _residual_em

STATE_VERSION = 2


def _params_state(params):
    return {"inlier_prior": float(params.inlier_prior),
            "covariance": torch.as_tensor(np.asarray(params.covariance)),
            "log_volume": float(params.log_volume),
            "outlier_scale": float(params.outlier_scale)}


def _params_of(state):
    return _mixture.GroupParams(state["inlier_prior"],
                                state["covariance"].cpu().numpy().astype(np.float64),
                                state["log_volume"], state["outlier_scale"])


def _array(tensor):
    """A numpy copy (the loaded state keeps its own tensors)."""
    return tensor.cpu().numpy().copy()


def _em_state(state):
    """An :class:`~sklearn_gum._em.EMState` as plain data."""
    return {
        "mixture": [bool(keep) for keep in state.mixture],
        "params": [_params_state(params) for params in state.params],
        "resp": torch.as_tensor(state.resp), "log_lik": torch.as_tensor(state.log_lik),
        "log_likelihood": float(state.log_likelihood), "n_iter": int(state.n_iter),
        "converged": bool(state.converged),
        "history": [[float(value) for value in entry] for entry in state.history],
        "previous_volumes": None if state._previous_volumes is None else [
            float(volume) for volume in state._previous_volumes],
    }


def _decision_state(decision):
    """A :class:`~sklearn_gum._em.Decision` as plain data; the
    responsibilities of its free-centre mixtures (unused once decided) are
    left out."""
    mixtures = [
        {"evidence": float(mixture.evidence), "params": _params_state(mixture.params),
         "offset": torch.as_tensor(np.asarray(mixture.offset, dtype=np.float64)),
         "n_iter": int(mixture.n_iter), "converged": bool(mixture.converged)}
        for mixture in decision.mixtures
    ]
    forced = None if decision.forced is None else [bool(f) for f in decision.forced]
    return {"evidence": torch.as_tensor(np.asarray(decision.evidence, dtype=np.float64)),
            "keep": [bool(keep) for keep in decision.keep], "forced": forced,
            "mixtures": mixtures, "n_iter": int(decision.n_iter),
            "converged": bool(decision.converged)}


def _decision_of(state):
    mixtures = [
        _residual_em.ResidualMixture(m["evidence"], _params_of(m["params"]),
                                 _array(m["offset"]), None, m["n_iter"], m["converged"])
        for m in state["mixtures"]
    ]
    forced = None if state["forced"] is None else np.array(state["forced"], dtype=bool)
    return _em.Decision(_array(state["evidence"]), np.array(state["keep"], dtype=bool),
                        mixtures, state["n_iter"], state["converged"], forced)


class CheckpointMixin:
    """``get_extra_state`` / ``set_extra_state`` of the criterion: the
    buffers, the schedule's position, the decision and the EM."""

    def get_extra_state(self):
        """The criterion's EM as plain data (see :meth:`set_extra_state`)."""
        buffers = None
        if self._residuals is not None:
            buffers = {"residuals": self._residuals, "stamps": self._stamps,
                       "groups": [[int(c) for c in columns] for columns in self.groups_]}
        scale = self._options.scale
        return {
            "version": STATE_VERSION, "n_samples": self.n_samples,
            "epoch": self.epoch_, "batches": self._counter.batches,
            "epoch_ends": list(self._epoch_ends),
            "mixture_rows": torch.as_tensor(self._mixture_rows), "buffers": buffers,
            "scale": None if scale is None else torch.as_tensor(np.asarray(scale)),
            "loss_scale": self._scale,
            "decision": None if self._decision is None else _decision_state(
                self._decision),
            "state": None if self._state is None else _em_state(self._state),
            "gaussian": None if self._gaussian is None else _em_state(self._gaussian),
        }

    def set_extra_state(self, state):
        """Restore what :meth:`get_extra_state` returned, on the criterion's
        own parameters (``n_samples`` must match)."""
        if not isinstance(state, dict) or state.get("version") != STATE_VERSION:
            raise ValueError(
                "The state is not a GUMCriterion state of this version: save it "
                "with this release's state_dict()."
            )
        if state["n_samples"] != self.n_samples:
            raise ValueError(
                f"The state is that of a GUMCriterion with n_samples="
                f"{state['n_samples']}; this one has n_samples={self.n_samples}."
            )
        self.epoch_, self._counter.batches = state["epoch"], state["batches"]
        self._epoch_ends = list(state["epoch_ends"])
        self.mixture_rows = _array(state["mixture_rows"]).astype(bool)
        scale = None if state["scale"] is None else _array(state["scale"])
        self._options = dataclasses.replace(self._base_options, scale=scale)
        self._scale = state["loss_scale"]
        self._decision = None if state["decision"] is None else _decision_of(
            state["decision"])
        buffers = state["buffers"]
        self.groups_ = None if buffers is None else [
            np.asarray(columns) for columns in buffers["groups"]]
        self._state = self._restore_em(state["state"])
        self._gaussian = self._restore_em(state["gaussian"])
        if buffers is None:
            self._residuals = self._stamps = self._targets_finite = None
            return
        self._residuals = buffers["residuals"].clone()
        self._stamps = buffers["stamps"].clone()
        self._device_weights(self._residuals.device)

    def _restore_em(self, state):
        if state is None:
            return None
        em = self._new_state(np.array(state["mixture"], dtype=bool))
        em.params = [_params_of(params) for params in state["params"]]
        em.resp, em.log_lik = _array(state["resp"]), _array(state["log_lik"])
        em.log_likelihood = state["log_likelihood"]
        em.n_iter, em.converged = state["n_iter"], state["converged"]
        em.history = [tuple(entry) for entry in state["history"]]
        em._previous_volumes = state["previous_volumes"]
        return em

    # -- staleness of the recorded residuals -----------------------------------

    def _check_staleness(self):
        """Every row's residual recorded within ``max_staleness`` epochs."""
        if self.max_staleness is None:
            return
        age = self.epoch_ - self.residual_epoch_
        stale = age > self.max_staleness
        if stale.any():
            raise ValueError(
                f"{int(stale.sum())} of the n_samples={self.n_samples} rows were "
                f"last in a batch more than max_staleness={self.max_staleness} "
                f"epoch(s) before epoch {self.epoch_} (the oldest in epoch "
                f"{int(self.residual_epoch_.min())}): give every row to the "
                "criterion that often, raise max_staleness, or pass residuals."
            )

    @property
    def residual_epoch_(self):
        """ndarray of int of shape (n_samples,): the epoch (from 1) in which
        each row's residual was recorded; 0 for none."""
        if self._stamps is None:
            return np.zeros(self.n_samples, dtype=np.int64)
        stamps = self._stamps.cpu().numpy()
        epochs = np.searchsorted(np.asarray(self._epoch_ends, dtype=np.int64), stamps,
                                 side="right") + 1
        return np.where(stamps < 0, 0, epochs)


class BatchCounter:
    """Batches counted so far (a plain attribute of a module would cost a
    ``torch.nn.Module.__setattr__`` per batch)."""

    __slots__ = ("batches",)

    def __init__(self, batches=0):
        self.batches = batches
