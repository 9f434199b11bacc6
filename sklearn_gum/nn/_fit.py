"""``GUMRegressor.fit`` for a skorch network: warm-EM training runs.

Private: :meth:`sklearn_gum.GUMRegressor.fit` calls :func:`fit_network`.
"""

from contextlib import nullcontext

import torch
from sklearn.base import clone
from sklearn.utils import check_random_state
from sklearn.utils.validation import validate_data
from skorch.dataset import get_len
from skorch.utils import is_dataset

from .. import _em
from .._progress import Progress
from .._validation import check_groups, validate_targets
from ._callback import GUMCallback
from ._checks import check_net_X, explain_dtype_mismatch
from ._net import as_weighted_net


def fit_network(gum, X, y, sample_weight=None, fit_params=None):
    """Train the skorch network of ``gum`` robustly (warm EM).

    Called by :meth:`GUMRegressor.fit <sklearn_gum.GUMRegressor.fit>`, which
    stores the result as its fitted attributes.

    Parameters
    ----------
    gum : GUMRegressor
        With a :class:`skorch.NeuralNetRegressor` or
        :class:`~sklearn_gum.nn.WeightedNeuralNetRegressor` as estimator;
        only its parameters are read.
    X : input data
        Anything the net accepts, handed over untouched.
    y : array-like of shape (n_samples,) or (n_samples, n_outputs)
    sample_weight : array-like of shape (n_samples,), default=None
    fit_params : dict, default=None
        Parameters of the net's ``fit`` (passed to ``module.forward``).

    Returns
    -------
    result : sklearn_gum._em.EMResult
        The kept training run: the fitted net and its mixture.

    Notes
    -----
    One training run of ``max_epochs`` epochs per ``n_init``, driven by a
    :class:`~sklearn_gum.nn.GUMCallback`: warm-up epochs with the sample
    weights alone, the outlier decision and first E-step, then an E-step
    every ``estep_every`` epochs (see :mod:`sklearn_gum.nn`). The run with
    the highest final log-likelihood is kept.
    """
    targets, sample_weight, fit_params, y_ndim = _validate(
        gum, X, y, sample_weight, fit_params or {}
    )
    check_groups(gum.outlier_granularity, targets.shape[1])
    template = as_weighted_net(gum.estimator)
    random_state = check_random_state(gum.random_state)
    progress = Progress("GUM: training run", gum.n_init, gum.verbose, "Lower n_init")
    best = None
    for run in range(gum.n_init):
        seed = None if gum.random_state is None else random_state.randint(2**31 - 1)
        init = gum.init if run == 0 else None  # other runs: their own training
        callback = GUMCallback(init=init, **settings_of(gum))
        result = _train(template, callback, X, targets, sample_weight, fit_params, seed)
        best = result if best is None else _em.best_run([best, result])
        progress.step(run + 1, f"mean log-likelihood {result.log_likelihood:.6g}")
    if gum.verbose:
        print(f"GUM: kept the run with mean log-likelihood {best.log_likelihood:.6g}")
    return best


def settings_of(gum):
    """The settings of ``gum`` that a :class:`GUMCallback` takes too (same
    names, defaults and meaning), ``init`` aside."""
    names = GUMCallback().get_params(deep=False)
    return {name: getattr(gum, name) for name in names if name != "init"}


def _validate(gum, X, y, sample_weight, fit_params):
    """The checks of the numpy path, for any input a net takes."""
    check_net_X(X)
    validate_data(gum, X, skip_check_array=True)
    n_rows = len(X) if is_dataset(X) else get_len(X)
    targets, sample_weight, fit_params, y_ndim = validate_targets(
        gum, y, n_rows, sample_weight, fit_params
    )
    if gum.init == "subsets":
        raise ValueError(
            "init='subsets' is not available for networks (it would train "
            "hundreds of them); use init=None or a regressor."
        )
    return targets, sample_weight, fit_params, y_ndim


def _seeded(seed, device):
    """Fork torch's random state and seed it (no global side effect)."""
    if seed is None:
        return nullcontext()
    devices = []
    if str(device).startswith("cuda") and torch.cuda.is_available():
        index = torch.device(device).index
        devices = [torch.cuda.current_device() if index is None else index]
    return torch.random.fork_rng(devices=devices)


def _train(template, callback, X, targets, sample_weight, fit_params, seed):
    """One training run with E-steps between epochs, as an EMResult."""
    net = clone(template)
    if isinstance(net.callbacks, str):
        raise ValueError(
            f"callbacks={net.callbacks!r} would disable the GUM callback; pass a "
            "list of callbacks (or None) to the net."
        )
    own_callbacks = net.callbacks
    # First, so that a Checkpoint after it saves the epoch's E-step and a
    # LoadInitState after it restores the EM into the GUM criterion.
    if any(isinstance(cb, GUMCallback) for cb in _callback_objects(own_callbacks)):
        raise ValueError(
            "The net already has a GUMCallback; GUMRegressor adds its own. Set "
            "the EM's settings on GUMRegressor and drop the callback from the net."
        )
    net.set_params(callbacks=[("gum_em", callback), *(own_callbacks or [])])
    with _seeded(seed, net.device):
        if seed is not None:
            torch.manual_seed(seed)
        try:
            net.fit(X, targets, sample_weight=sample_weight, **fit_params)
        except RuntimeError as exc:
            explain_dtype_mismatch(exc, net, X)
            raise
    net.set_params(callbacks=own_callbacks)  # the fitted net keeps no GUM state
    net.initialize_callbacks()
    return callback.criterion_._result(net)


def _callback_objects(callbacks):
    """The callback objects of a skorch ``callbacks`` list (named or not)."""
    return [cb[1] if isinstance(cb, tuple) else cb for cb in (callbacks or [])]
