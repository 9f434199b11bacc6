"""Sufficient statistics of one EM iteration, summed chunk by chunk.

An EM iteration of a least-squares regressor over a one-output mixture
needs, from its E-step, only sums over the samples: the weighted Gram
matrix ``Z^T W Z`` and ``Z^T W y`` of the next refit (``Z``: the centred,
scaled features and a column of ones; ``W = w max(r, 1e-12)``, as
:mod:`sklearn_gum._regressor_em` weights it), and the weighted moments of
the mixture's M-step (:func:`sklearn_gum._mixture.m_step`). :func:`chunk_stats`
computes them for one chunk of rows, :func:`combine` adds those of several
chunks, and :func:`m_step_from_stats` gives the M-step of the mixture from
the total, equal to the M-step on all residuals at once.

The one statistic that is not a plain sum is the span of the residuals
the uniform explains (:func:`sklearn_gum._mixture._explained_span`): each
residual ``e_n`` is pulled towards the outliers' mean ``c`` by its inlier
responsibility, ``c + (1 - r_n)(e_n - c)``, and ``c`` is known only once
every chunk is summed. A chunk therefore also returns its ``(r_n, e_n)``
(``"pairs"``, 16 bytes a row, which stay where the chunk was scored); once
:func:`combine` has given ``c``, :func:`pulled_extremes` evaluates each
chunk's pulled residuals, and :func:`with_span` adds the span to the sums.
The data are read once and the span is exact.
"""

import numpy as np

from . import _em, _mixture

WEIGHT_FLOOR = 1e-12  # as _regressor_em._refit_inputs floors the soft weights
SUMS = ("n", "sw", "ll", "inliers", "in_w", "in_ee", "out_w", "out_e", "out_ee",
        "gram", "moment")


class ChunkModel:
    """What a chunk needs to score and sum its rows: the regressor's
    coefficients, the mixture, and how the refit's design is built.

    Parameters
    ----------
    coef : ndarray of shape (n_features,)
    intercept : float
    params : list of GroupParams or None
        The mixture; None scores nothing (a plain least-squares pass).
    mean, scale : ndarray of shape (n_features,)
        Centring and scaling of the design.
    fit_intercept : bool
    threshold : float
    """

    def __init__(self, coef, intercept, params, mean, scale, fit_intercept, threshold):
        self.coef = np.asarray(coef, dtype=float).ravel()
        self.intercept = float(intercept)
        self.params = params
        self.mean, self.scale = mean, scale
        self.fit_intercept = fit_intercept
        self.threshold = threshold

    def predict(self, X):
        return X @ self.coef + self.intercept

    def design(self, X):
        """``Z D^-1``: centred features and (with an intercept) ones; the
        scaling ``D`` is applied to the sums instead (:meth:`unscale`)."""
        n_features = X.shape[1]
        design = np.empty((len(X), n_features + self.fit_intercept))
        np.subtract(X, self.mean, out=design[:, :n_features])
        if self.fit_intercept:
            design[:, n_features] = 1.0
        return design

    def unscale(self, gram, moment):
        """``Z^T W Z`` and ``Z^T W y`` from the sums of :meth:`design`."""
        inverse = np.append(1 / self.scale, [1.0] * self.fit_intercept)
        return gram * np.outer(inverse, inverse), moment * inverse[:, None]


def chunk_stats(X, y, w, model, residual_moments=False):
    """Sums of one chunk for one EM iteration.

    The E-step of ``model`` on the chunk's residuals, then the sums of the
    mixture's M-step and of the refit's normal equations weighted by its
    responsibilities. Without a mixture (``model.params is None``) the refit
    is weighted by ``w`` alone; ``residual_moments`` then also sums
    ``w e e^T`` (a pure Gaussian's M-step, in ``in_ee``).

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
    y : ndarray of shape (n_rows,) or (n_rows, 1)
    w : ndarray of shape (n_rows,) or None
    model : ChunkModel
    residual_moments : bool, default=False

    Returns
    -------
    stats : dict
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).reshape(len(X), 1)
    w = np.ones(len(X)) if w is None else np.asarray(w, dtype=float)
    e = y - model.predict(X)[:, None]
    stats = {"n": len(X), "sw": w.sum(), "negative": bool((w < 0).any())}
    if model.params is None:
        weights = w
        if residual_moments:
            stats.update(in_ee=(e * w[:, None]).T @ e)
    else:
        resp, log_lik = _em.score_groups(e, [np.array([0])], model.params)
        resp = resp[:, 0]
        stats.update(_mixture_sums(e, resp, log_lik, w, model.threshold))
        weights = w * np.maximum(resp, WEIGHT_FLOOR)
    # Z^T W Z and Z^T W y from sqrt(W) Z, weighted in place (one copy of X)
    root = np.sqrt(weights)[:, None]
    weighted = model.design(X)
    weighted *= root
    stats["gram"], stats["moment"] = model.unscale(weighted.T @ weighted,
                                                   weighted.T @ (root * y))
    return stats


def _mixture_sums(e, resp, log_lik, w, threshold):
    """The E-step's log-likelihood and inlier share, and the moments of the
    mixture's M-step, summed over a chunk."""
    inlier_w, outlier_w = w * resp, w * (1 - resp)
    support = e[w > 0]
    explained = outlier_w > 0
    return {
        "ll": w @ log_lik.sum(axis=1),
        "inliers": w @ ((1 - resp) < threshold).astype(float),
        "undecided": float(np.max(np.abs(resp - 0.5), initial=0.0)),
        "in_w": inlier_w.sum(),
        "in_ee": (e * inlier_w[:, None]).T @ e,
        "out_w": outlier_w.sum(),
        "out_e": outlier_w @ e,
        "out_ee": outlier_w @ e**2,
        "lo": support.min(axis=0, initial=np.inf),
        "hi": support.max(axis=0, initial=-np.inf),
        "pairs": np.column_stack([resp[explained], e[explained, 0]]),
    }


def combine(parts):
    """The statistics of several chunks as one: sums and extremes (the
    ``"pairs"`` are left to :func:`pulled_extremes`)."""
    total = {name: sum(part[name] for part in parts) for name in SUMS
             if name in parts[0]}
    total["negative"] = any(part["negative"] for part in parts)
    if "lo" in parts[0]:
        total["lo"] = np.min([part["lo"] for part in parts], axis=0)
        total["hi"] = np.max([part["hi"] for part in parts], axis=0)
        total["undecided"] = max(part["undecided"] for part in parts)
    return total


def outlier_centre(total):
    """``c = sum w (1 - r) e / sum w (1 - r)``, or None without outlier weight."""
    return total["out_e"][0] / total["out_w"] if total.get("out_w", 0) > 0 else None


def pulled_extremes(part, centre):
    """Smallest and largest pulled residual ``c + (1 - r)(e - c)`` of a
    chunk (``inf, -inf`` when it explains none)."""
    pairs = part.get("pairs")
    if centre is None or pairs is None or len(pairs) == 0:
        return np.inf, -np.inf
    pulled = centre + (1 - pairs[:, 0]) * (pairs[:, 1] - centre)
    return pulled.min(), pulled.max()


def with_span(total, extremes):
    """The sums with the explained span from the chunks' pulled extremes."""
    low = min((lo for lo, _ in extremes), default=np.inf)
    high = max((hi for _, hi in extremes), default=-np.inf)
    span = high - low if high >= low else 0.0
    return dict(total, span=np.array([span]))


def summarize(parts):
    """:func:`combine`, :func:`pulled_extremes` and :func:`with_span` of
    chunk statistics held in memory."""
    total = combine(parts)
    if "lo" not in total:
        return total
    centre = outlier_centre(total)
    return with_span(total, [pulled_extremes(part, centre) for part in parts])


def covariance_from_moments(second, total, covariance_type, reg_covar, dof=0.0,
                            floor=0.0):
    """:func:`sklearn_gum._mixture.weighted_covariance` from its sums:
    ``second = sum w e e^T`` and ``total = sum w``."""
    n_columns = second.shape[0]
    total = _mixture.dof_divisor(total, dof)
    if covariance_type == "full":
        covariance = second / total
    else:
        variances = np.diag(second) / total
        if covariance_type == "spherical":
            variances = np.full(n_columns, variances.mean())
        covariance = np.diag(variances)
    return _mixture.regularised(covariance, covariance_type, reg_covar, floor)


def m_step_from_stats(stats, *, covariance_type, uniform, reg_covar, floor=0.0,
                      dof=0.0):
    """:func:`sklearn_gum._mixture.m_step` of a kept group from the summed
    statistics of its E-step."""
    covariance = covariance_from_moments(stats["in_ee"], stats["in_w"],
                                         covariance_type, reg_covar, dof, floor)
    prior = stats["in_w"] / max(stats["sw"], np.finfo(float).tiny)
    log_volume = _log_volume(stats, covariance, uniform)
    return _mixture.GroupParams(max(prior, _mixture.MIN_INLIER_PRIOR), covariance,
                                log_volume)


def _log_volume(stats, covariance, uniform):
    """:func:`sklearn_gum._mixture.uniform_log_volume` from the sums."""
    floor = -_mixture.log_gaussian_peak(covariance)
    if not isinstance(uniform, str):
        return max(np.log(uniform), floor)
    if uniform == "range":
        widths = stats["hi"] - stats["lo"]
    else:
        total = max(stats["out_w"], np.finfo(float).tiny)
        first, second = stats["out_e"] / total, stats["out_ee"] / total
        widths = 2 * np.sqrt(3 * np.maximum(second - first**2, 0))
    with np.errstate(divide="ignore"):
        log_widths = np.maximum(np.log(widths), np.log(_span(stats)))
    marginal_floor = 0.5 * np.log(2 * np.pi * np.diag(covariance))
    return max(np.sum(np.maximum(log_widths, marginal_floor)), floor)


def _span(stats):
    """The explained span (:func:`sklearn_gum._mixture._explained_span`)."""
    if not stats["out_w"] > 0:
        return np.zeros(1)
    return stats["span"]
