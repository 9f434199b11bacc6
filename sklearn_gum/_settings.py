"""One vocabulary: the settings GUMRegressor, GUMCallback and GUMCriterion
share, their constraints and their defaults, kept in one place (checked by
tests/test_vocabulary.py)."""

from numbers import Integral, Real

from sklearn.utils._param_validation import StrOptions

from . import _mixture
from ._validation import NumberInterval

# The mixture's parameters, checked alike by GUMRegressor and GUMCriterion.
PARAMETER_CONSTRAINTS = {
    "covariance_type": [StrOptions(set(_mixture.COVARIANCE_TYPES))],
    "outlier_granularity": [StrOptions({"sample", "output"}), list],
    "uniform": [
        StrOptions(set(_mixture.UNIFORM_RULES)),
        NumberInterval(Real, 0, None, closed="neither"),
    ],
    "max_iter": [NumberInterval(Integral, 1, None, closed="left")],
    "tol": [NumberInterval(Real, 0, None, closed="left")],
    "threshold": [NumberInterval(Real, 0, 1, closed="neither")],
    "reg_covar": [NumberInterval(Real, 0, None, closed="left")],
    "outlier_component": [StrOptions({"auto", "always"})],
    "outlier_model": [StrOptions({"auto", *_mixture.OUTLIER_MODELS})],
    "verbose": ["verbose"],
}

# The settings a network fit adds (GUMRegressor around a skorch net,
# GUMCallback, GUMCriterion), checked alike.
SCHEDULE_CONSTRAINTS = {
    "min_evidence": [NumberInterval(Real, 0, None, closed="left"), StrOptions({"auto"})],
    "warmup_epochs": [NumberInterval(Integral, 0, None, closed="left"),
                      StrOptions({"auto"})],
    "estep_every": [NumberInterval(Integral, 1, None, closed="left")],
    "estep_residuals": [StrOptions({"train", "eval"})],
    "loss_normalization": [StrOptions({"first", "mse", "none"})],
}

# One default per shared setting: GUMRegressor, GUMCallback and GUMCriterion
# take these names with these defaults (tests/test_vocabulary.py checks it).
# "auto" is resolved where the path is known: max_iter per path
# (sklearn_gum._warm_em.resolve_options; NETWORK_MAX_ITER E-steps for
# networks), min_evidence by auto_min_evidence, warmup_epochs by
# auto_warmup_epochs.
DEFAULTS = {
    "outlier_granularity": "sample",
    "covariance_type": "full",
    "uniform": "moments",
    "max_iter": "auto",
    "tol": 1e-4,
    "threshold": 0.5,
    "reg_covar": 1e-6,
    "outlier_component": "auto",
    "outlier_model": "auto",
    "min_evidence": "auto",
    "warmup_epochs": "auto",
    "estep_every": 1,
    "estep_residuals": "train",
    "loss_normalization": "first",
    "init": "auto",
    "verbose": 0,
}
NETWORK_MAX_ITER = 100  # max_iter="auto" of a network: E-steps
NETWORK_MIN_EVIDENCE = 0.05  # min_evidence="auto" of a network, per weighted entry
DEFAULT_WARMUP_EPOCHS = 5  # warmup_epochs="auto" when the epochs are not known


def auto_min_evidence(value, network):
    """``min_evidence`` with ``"auto"`` resolved: 0.05 per weighted entry
    (0.1 per row of a group of two columns) for a network (a trained net's
    clean residuals are heavy-tailed), 0 for a refitted estimator (the
    calibrated test alone)."""
    if isinstance(value, str) and value == "auto":
        return NETWORK_MIN_EVIDENCE if network else 0.0
    return float(value)


def auto_warmup_epochs(value, max_epochs=None):
    """``warmup_epochs`` with ``"auto"`` resolved: a tenth of ``max_epochs``
    (at least 1) when the number of epochs is known, else 5."""
    if isinstance(value, str) and value == "auto":
        return DEFAULT_WARMUP_EPOCHS if max_epochs is None else max(1, max_epochs // 10)
    return int(value)
