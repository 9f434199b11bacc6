"""The EM steps of a GUMCriterion: decisions, E-step, M-step, new loss.

Private: a mixin of :class:`sklearn_gum.nn.GUMCriterion`, which holds the
buffers, the schedule and the state; the maths are those of the shared EM
core (:mod:`sklearn_gum._em`, :mod:`sklearn_gum._mixture`).
"""

import dataclasses

import numpy as np
import torch

from .. import _em, _mixture
from ._device_e_step import one_blas_thread, score_on_device, to_host


class EMStepsMixin:
    """Outlier decisions, E-steps and the mixture's M-step on the recorded
    residuals, and the loss weights and whitening they give."""

    def _e_step(self, residuals, update=True, confirm=True):
        """Outlier decisions and an E-step; then (``update``) the mixture's
        M-step and the new loss. ``confirm``: a decision on these residuals
        that keeps a minority of inliers needs the previous one's support
        (:meth:`_confirmed`); a starting regressor's residuals decide alone.

        Until a group keeps its uniform, every due E-step is a decision on
        the residuals of the model trained with the plain loss; from the
        first kept group on, it is an EM iteration, and every group is
        decided again (:meth:`_decide_again`).
        """
        with one_blas_thread():
            self._host_e_step(residuals, update, confirm)

    def _host_e_step(self, residuals, update, confirm):
        host = to_host(residuals)
        if self._state is None:
            # Floors relative to the scale of the residuals decided on.
            self._options = self._base_options.scaled(host, self._weights())
            self._decision = self._decide(host, range(len(self.groups_)), confirm)
            if not self._decision.keep.any():
                # One Gaussian state over the plain-loss phase: an entry per
                # decision, and n_iter the decisions after the first, as the
                # EM counts its E-steps.
                history = [] if self._gaussian is None else self._gaussian.history
                self._gaussian = self._new_state(self._decision.keep)
                self._gaussian.history = history
                self._gaussian.start(residuals, host=host)
                self._gaussian.n_iter = len(history) - 1
                return
            # The EM starts from the scale of each kept group's best half of
            # the net's own residuals, rho = 0.5 (the core's robust start),
            # not from the decision's mixture at its free centre: a net is
            # not refitted at each M-step, its next epochs would take that
            # centre only gradually, and starting there made the EM trail
            # (l-UGO 20%: 0.559 against 0.527 px over the benchmark's 5 runs).
            self._state = self._new_state(self._decision.keep)
            self._state.start(residuals, host=host)
            self._gaussian = None  # replaced by the EM's state
        else:
            converged = self._state.converged
            self._decide_again(host, confirm)
            self._state.iterate(residuals, check=update or not converged)
        if not update:
            return
        if not self._state.converged:
            self._state.m_step(host)
        self._set_loss(self._state.refit_weights())
        if self.verbose >= 2:
            print(f"  GUM E-step {self._state.n_iter} (epoch {self.epoch_}): mean "
                  f"log-likelihood {self._state.log_likelihood:.6g}")

    def _weights(self):
        return self.sample_weight * self._mixture_rows

    def _decide(self, host, groups, confirm=True):
        """The core's outlier decision for some groups (with the margin
        ``min_evidence`` per weighted row), confirmed
        (:meth:`_confirmed`)."""
        decision = _em.decide_outliers(
            host, self._weights(), [self.groups_[k] for k in groups], self._options
        )
        if confirm:
            decision = self._confirmed(decision, list(groups))
        # The free-centre mixtures' responsibilities are not used once the
        # decision is taken: n_samples floats per group less to hold.
        return dataclasses.replace(decision, mixtures=[
            mixture._replace(resp=None) for mixture in decision.mixtures])

    def _confirmed(self, decision, groups):
        """The decision with a group's uniform kept at once where its
        Gaussian holds the majority of the weight, and where it holds a
        minority only when the previous decision supported the uniform too.

        A decision that calls most rows outliers needs to be repeated. Early
        in training a net's residuals follow its targets' own distribution,
        which a box can explain, with a Gaussian on the few rows already
        learnt (a clean homography task, 8 displacements uniform in a box:
        after two epochs a Gaussian of 5% of the rows and a box for the
        rest, no support from the third epoch on; kept at once, the EM
        flagged 24% of the clean rows). Label errors stay where they are,
        and their support repeats at the next E-step. A majority of inliers
        is kept at once: waiting an E-step lets the net fit its outliers
        meanwhile (l-UGO 20% in ``bench_deep``: 0.545 px against 0.511).
        With ``outlier_component="always"`` every group keeps it at once.
        """
        if self._options.outlier_component == "always":
            return decision
        majority = np.array([mixture.params.inlier_prior >= 0.5
                             for mixture in decision.mixtures])
        supported_before = np.zeros(len(groups), dtype=bool)
        if self._decision is not None:
            supported_before = _em.clears_margin(
                self._decision.evidence[groups], self._weights(), self._options,
                [self.groups_[k] for k in groups])
        return dataclasses.replace(
            decision, keep=decision.keep & (majority | supported_before))

    def _new_state(self, keep):
        return _em.EMState(self.groups_, self._weights(), self._options, keep,
                           scorer=score_on_device)

    def _decide_again(self, host, confirm):
        """Decide every group again on the net's current residuals.

        A group still a Gaussian keeps its uniform as at a first decision
        (with the confirmation, :meth:`_confirmed`), started from its best
        half, ``rho = 0.5``. A kept group gives its uniform up when the
        evidence refutes it (:func:`sklearn_gum._em.refuted`: it favours
        the Gaussian): a uniform kept while the net was still learning its
        task marks the examples it had not yet learnt, and the residuals of
        the net trained on with it say so (a clean homography task in
        ``benchmarks/bench_deep_clean.py``: a uniform kept after the third
        epoch on a Gaussian of 20% of the rows, every later decision -130
        to -1600, -900 to -3600 per output; the landmarks' label errors in
        ``bench_deep``, 20-60% of them, kept theirs at +150 to +3500 at
        every E-step). With ``outlier_component="always"`` no group gives
        its uniform up.
        """
        if self._options.outlier_component == "always":  # every group kept
            return
        state, old = self._state, self._decision
        decision = self._decide(host, range(len(self.groups_)), confirm)
        for k, (evidence, keep) in enumerate(zip(decision.evidence, decision.keep)):
            if state.mixture[k] and _em.refuted(evidence):
                state.switch(k, host, mixture=False)
            elif not state.mixture[k] and keep:
                state.switch(k, host, mixture=True, outlier_model=decision.models[k])
        self._decision = dataclasses.replace(
            decision, keep=state.mixture.copy(), n_iter=max(old.n_iter, decision.n_iter),
            converged=old.converged and decision.converged,
        )

    def _set_loss(self, resp):
        """Element weights ``w_n r_ng`` (``resp``: the state's refit weights,
        ``r + (1 - r) / k`` for Gaussian outliers), the whitening
        ``diag(L_g^{-1})`` and the loss factor.

        Responsibilities below float32's epsilon become 0: their share of a
        batch's loss is below float32 rounding anyway, and as subnormal
        numbers they would slow the backward pass on CPU by a quarter.
        """
        device = self._residuals.device
        resp = torch.as_tensor(resp, dtype=torch.float32, device=device)
        resp = torch.where(resp < torch.finfo(torch.float32).eps, 0.0, resp)
        n_outputs = self._residuals.shape[1]
        weights = torch.empty((self.n_samples, n_outputs), dtype=torch.float32,
                              device=device)
        whitening = np.zeros((n_outputs, n_outputs))
        for k, (columns, params) in enumerate(zip(self.groups_, self._state.params)):
            index = torch.as_tensor(columns, device=device)
            weights[:, index] = (self._sample_weight * resp[:, k])[:, None]
            whitening[np.ix_(columns, columns)] = np.linalg.inv(
                _mixture.cholesky_factor(params.covariance)
            )
        self._whitening = torch.as_tensor(whitening, dtype=torch.float32, device=device)
        mse_factor = float(np.trace(self._state.covariance())) / n_outputs**2
        if self.loss_normalization == "none":
            self._scale = 1.0
        elif self.loss_normalization == "mse" or self._scale is None:
            self._scale = mse_factor
        # The loss is a mean over the batch's elements: c w_n r_ng d.
        self._loss_weights = weights.mul_(self._scale * n_outputs)
