"""Deep robust regression: GUM for skorch networks (DeepGUM).

The only door of :mod:`sklearn_gum` to torch and skorch; ``import
sklearn_gum`` never imports them. Give a :class:`skorch.NeuralNetRegressor`
(or a :class:`WeightedNeuralNetRegressor`) to
:class:`~sklearn_gum.GUMRegressor` and it is trained robustly, on its own
device, at about the cost of one ordinary training run.

Public names
------------
GUMCriterion
    The DeepGUM loss and its EM for any PyTorch training loop: a weighted,
    whitened loss that records each batch's residuals, and ``end_epoch()``
    for the E-step and the mixture's M-step.
GUMCallback
    The skorch callback that trains a net with a :class:`GUMCriterion`
    (what :class:`~sklearn_gum.GUMRegressor` uses).
WeightedNeuralNetRegressor
    skorch regressor whose loss takes per-sample or per-element weights; the
    estimator of a GUM fit.
ScaledHuberLoss, TukeyBiweightLoss
    Robust losses of MAD-scaled residuals, usable as skorch criteria (the
    baselines of the DeepGUM paper).
mahalanobis_loss, mad_scale
    The weighted, whitened M-step loss and the batch scale of the robust
    losses.
torch_e_step
    The E-step of one group in torch, equal to that of
    :class:`~sklearn_gum.GUMRegressor`.

How a GUM fit trains a net (warm EM)
------------------------------------
The EM is that of every GUM fit (:mod:`sklearn_gum._em`); only the M-step
of the regressor differs: the epochs between two E-steps. The same
schedule runs in a plain PyTorch loop with :class:`GUMCriterion`.

1. A plain ``NeuralNetRegressor`` is converted to a
   ``WeightedNeuralNetRegressor`` with the same parameters and
   ``train_split=None``, with a ``UserWarning`` when the plain net had a
   split: skorch's default ``ValidSplit(5)`` would hide a fifth of the rows
   from training while the E-step scores them. A
   ``WeightedNeuralNetRegressor`` (whose default is ``train_split=None``
   too) keeps its ``train_split``: the mixture (``rho``, ``Sigma``, volume)
   is then fitted on the training rows only, while every row, validation
   rows included, gets a responsibility.
2. A :class:`GUMCallback` with the settings of the ``GUMRegressor`` (the
   same names, defaults and meaning on all three:
   ``GUMRegressor(net, warmup_epochs=2)``, ``GUMCallback(warmup_epochs=2)``,
   ``GUMCriterion(n, warmup_epochs=2)``) wraps the net's criterion in a
   :class:`GUMCriterion`. ``warmup_epochs`` (default ``"auto"``:
   ``max(1, max_epochs // 10)``) epochs train with the sample weights alone:
   the residuals of a net that has not learnt the inliers follow the
   targets' distribution, which can look like a uniform.
3. After the warm-up, and every ``estep_every`` epochs, the outlier
   decision of every GUM fit is taken, per group, on the residuals of the
   net trained so far (NEC with a free centre, as for the start of a
   scikit-learn estimator), with a margin: the evidence must exceed
   ``min_evidence`` (``"auto"``: 0.05 for a network) per weighted entry,
   per row and per column of the group. A trained net's clean residuals
   are heavy-tailed (hard examples), which plain NEC mistakes for outliers
   as training goes on, and the tails of each column add to a group's
   evidence (10 landmark coordinates of an image as one group: about 0.16
   per row before the uniform was kept, none per landmark); label outliers
   clear the margin by far.
   A uniform whose Gaussian holds a minority of the rows is kept only when
   the previous E-step supported it too (the residuals of a net early in
   training follow its targets, which a box can explain around the few
   rows already learnt; the residuals of a starting regressor decide
   alone).
   While no group keeps its uniform the net trains exactly as with its
   plain loss: on clean data nothing is flagged.
4. From the first kept group on, the EM runs: the group starts from the
   scale of its best half, ``rho = 0.5``
   (:func:`sklearn_gum._residual_em.robust_start`); every ``estep_every``
   epochs an E-step in torch on the net's device (:func:`torch_e_step`), the
   mixture's M-step in numpy, and new loss weights ``w_n r_ng`` and
   whitening ``diag(L_g^{-1})`` for the next epochs. Every group is decided
   again at each E-step, on the residuals of the net trained with the
   mixture: a group without a uniform keeps one as in 3, and a kept group
   gives it up when the evidence favours the Gaussian (below zero, under
   the margin that kept it): a uniform kept while the net was still
   learning marks the examples it had not learnt yet, and the residuals
   of the net trained on say so (``outlier_component="always"`` keeps
   every uniform). Training continues from the
   current network and optimiser state. The residuals come, by default
   (``estep_residuals="train"``), from the predictions the epoch's own
   forward passes made, so an E-step costs no forward pass; with
   ``"eval"``, from an eval-mode pass after the epoch.
5. The loss factor is that of the first E-step, held
   (``loss_normalization="first"``): the loss equals the plain mean
   squared error when the EM starts, and whitened residuals keep their
   size as ``Sigma`` shrinks, so Adam's steps keep theirs (``"mse"``
   rescales to the mean squared error at every E-step, which made the net
   learn slower than a Tukey loss; use it with plain SGD near its stability
   limit).
6. Refreshing stops once the mean log-likelihood per row changes by at
   most ``tol`` nats between two E-steps (``converged_``), or after
   ``max_iter`` (``"auto"``: 100) E-steps; the weights then stay fixed until ``max_epochs``.
   ``n_iter_`` counts the E-steps after the first, the final one included,
   so ``history_`` has ``n_iter_ + 1`` entries as in the numpy path. A
   ``ConvergenceWarning`` is raised only when ``max_iter`` E-steps ran
   without converging. When the epochs run out first, ``converged_`` is
   False without a warning: the epoch budget is the user's choice, and
   with stochastic training the log-likelihood rarely settles to ``tol``.
7. A final E-step on an eval pass of the trained net gives
   ``outlier_proba_`` and the other fitted attributes.

Each epoch after the first decision, the net's history records
``gum_inlier_prior`` (a list with several groups), ``gum_covariance``
(``Sigma`` as nested lists), ``gum_log_likelihood``, ``gum_inlier_share`` and
``event_gum_estep`` (whether the weights were refreshed after that epoch).
The fitted net keeps neither the callback nor the GUM criterion.

A diverging net (NaN or infinite residuals) stops the fit at the end of
the epoch with "The network's residuals contain NaN after epoch k: training
diverged. Lower the learning rate"; a module whose output width differs
from the number of target columns stops it at the first batch.

Persistence
-----------
A :class:`GUMCriterion` keeps its EM (residuals, schedule, decision,
mixture, responsibilities) in its ``state_dict``, so a training run resumes
from a Lightning checkpoint, a ``torch.save`` of the state, or skorch's
``Checkpoint`` / ``LoadInitState``; under ``torch.distributed`` its
``end_epoch`` combines the processes' residuals (see the Lightning page of
the documentation).

A fitted ``GUMRegressor`` around a net pickles with it (tensors are mapped
to CPU when CUDA is missing at load time); pickles run code at load time,
so load only your own. To share the network, save its weights alone,
``gum.estimator_.save_params(f_params="net.pt")`` (loaded with
``torch.load(..., weights_only=True)``), and load them into a net built
with the same parameters: ``net.initialize(); net.load_params(f_params=
"net.pt")``. **skops is not safe for nets**: ``skops.io.dump`` writes a
GUM around a skorch net, but the file needs more than a dozen types
trusted (sixteen for a one-layer net with skorch's defaults),
``builtins.print``, ``functools.partial``, skorch's callbacks and torch
modules among them, and skorch restores its modules from a pickle inside
the file, so trusting that list is no safer than loading a pickle. Never
pass a net's :func:`skops.io.get_untrusted_types` to ``trusted``; use skops
only for GUMs around scikit-learn estimators (see the persistence page of
the documentation).

Examples
--------
>>> import numpy as np
>>> import torch
>>> from skorch import NeuralNetRegressor
>>> from sklearn_gum import GUMRegressor
>>> rng = np.random.RandomState(0)
>>> X = rng.uniform(-1, 1, size=(300, 1)).astype(np.float32)
>>> y = 2 * X
>>> y[:30] = rng.uniform(-5, 5, size=(30, 1))
>>> net = NeuralNetRegressor(
...     torch.nn.Linear, module__in_features=1, module__out_features=1,
...     optimizer=torch.optim.Adam, lr=0.1, max_epochs=30, train_split=None,
...     verbose=0)
>>> gum = GUMRegressor(net, warmup_epochs=3, random_state=0).fit(X, y)
>>> int(gum.inlier_mask_[:30].sum()), bool(gum.inlier_mask_[30:].all())
(0, True)
"""

from ._callback import GUMCallback
from ._criterion import GUMCriterion
from ._device_e_step import torch_e_step
from ._losses import ScaledHuberLoss, TukeyBiweightLoss, mad_scale, mahalanobis_loss
from ._net import WeightedNeuralNetRegressor

__all__ = [
    "GUMCallback",
    "GUMCriterion",
    "ScaledHuberLoss",
    "TukeyBiweightLoss",
    "WeightedNeuralNetRegressor",
    "mad_scale",
    "mahalanobis_loss",
    "torch_e_step",
]
