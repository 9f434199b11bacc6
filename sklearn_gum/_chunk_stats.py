"""Sufficient statistics of one EM iteration, summed chunk by chunk.

An EM iteration of a least-squares regressor over a one-output mixture
needs, from its E-step, only sums over the samples: the weighted Gram
matrix ``Z^T W Z`` and ``Z^T W y`` of the next refit (``Z``: the centred,
scaled features and a column of ones; ``W`` the weights
:mod:`sklearn_gum._regressor_em` refits with), and the weighted moments of
the mixture's M-step (:func:`sklearn_gum._mixture.m_step`). :func:`chunk_stats`
computes them for one chunk of rows, :func:`combine` adds those of several
chunks, :func:`m_step_from_stats` gives the M-step of the mixture from the
total, equal to the M-step on all residuals at once, and
:func:`normal_equations` the refit's normal equations for that M-step.

The refit's weight is ``w max(r, 1e-12)`` for a uniform, and ``w (r + (1 -
r) / k)`` for Gaussian outliers (:func:`sklearn_gum._mixture.precision_weights`)
with the ``k`` of the coming M-step, known only once every chunk is summed.
``r + (1 - r) / k`` is linear in ``1 / k``: the Gram matrices of ``w r``
(``"gram"``) and of ``w (1 - r)`` are summed apart (the second as that of
``w``, ``"gram_all"``, less the first), and :func:`normal_equations` adds
the second divided by the new ``k``. That is
the in-memory refit exactly while ``k <= 1e12`` (where ``1 / k`` is above
its floor of 1e-12).

A chunk computes these sums for each *candidate* mixture of its
:class:`ChunkModel`: the M-step's, and the same with the uniform's previous
volume (:meth:`sklearn_gum._em.EMState.e_step` keeps the previous volume
where the rule's would lower the objective; which one is known only from
the totals). The data are still read once per iteration.

The one statistic that is not a plain sum is the span of the residuals
the uniform explains (:func:`sklearn_gum._mixture._explained_span`): each
residual ``e_n`` is pulled towards the outliers' mean ``c`` by its inlier
responsibility, ``c + (1 - r_n)(e_n - c)``, and ``c`` is known only once
every chunk is summed. A chunk therefore also returns its ``(r_n, e_n)``
(``"pairs"``, 16 bytes a row, which stay where the chunk was scored); once
:func:`combine` has given ``c``, :func:`pulled_extremes` evaluates each
chunk's pulled residuals, and :func:`with_span` adds the span to the sums.
The data are read once and the span is exact.

A chunk is scored in blocks of ``BLOCK_ROWS`` rows: every temporary then
stays in the cache and below glibc's mmap threshold (dask's workers set
``MALLOC_TRIM_THRESHOLD_``, which pins that threshold at 128 KiB, so every
larger array is fresh memory, paid in page faults); each block's weighted
design ``sqrt(W) [Z D^-1, 1, y]`` fills one buffer, and its Gram matrix, one
BLAS call (``syrk``), holds ``Z^T W Z``, ``Z^T W y`` at once. For Gaussian
outliers the Gram of ``w (1 - r)`` is that of ``w`` less that of ``w r``:
the Gram of ``w`` (``"gram_all"``, the same in every pass) is summed once,
in a model's first pass, and :func:`normal_equations` subtracts.
"""

import numpy as np

from . import _em, _mixture

WEIGHT_FLOOR = 1e-12  # as _regressor_em._refit_inputs floors the soft weights
SUMS = ("n", "sw", "ll", "inliers", "in_w", "in_ee", "out_w", "out_e", "out_ee",
        "gram", "moment", "gram_all", "moment_all")
# 8192 rows: a residual vector is 64 KiB, under the 128 KiB mmap threshold
BLOCK_ROWS = 8192


class ChunkModel:
    """What a chunk needs to score and sum its rows: the regressor's
    coefficients, the mixture, and how the refit's design is built.

    Parameters
    ----------
    coef : ndarray of shape (n_features,)
    intercept : float
    candidates : list of (list of GroupParams or None)
        The mixtures to score the chunk under, each on its own (see the
        module's docstring); None scores nothing (a plain least-squares
        pass).
    mean, scale : ndarray of shape (n_features,)
        Centring and scaling of the design.
    fit_intercept : bool
    threshold : float
    all_gram : bool, default=True
        Whether candidates with Gaussian outliers sum the Gram matrix of
        ``w`` (``"gram_all"``); False once the caller holds it.
    """

    def __init__(self, coef, intercept, candidates, mean, scale, fit_intercept,
                 threshold, all_gram=True):
        self.coef = np.asarray(coef, dtype=float).ravel()
        self.intercept = float(intercept)
        self.candidates = list(candidates)
        self.mean, self.scale = mean, scale
        self.fit_intercept = fit_intercept
        self.threshold = threshold
        self.all_gram = all_gram

    def predict(self, X):
        return X @ self.coef + self.intercept

    def unscale(self, gram, moment):
        """``Z^T W Z`` and ``Z^T W y`` from the sums of ``Z D^-1`` (the
        centred features and, with an intercept, ones: :class:`_Design`)."""
        inverse = np.append(1 / self.scale, [1.0] * self.fit_intercept)
        return gram * np.outer(inverse, inverse), moment * inverse[:, None]


def chunk_stats(X, y, w, model, residual_moments=False):
    """Sums of one chunk for one EM iteration, per candidate mixture.

    The E-step of each of ``model.candidates`` on the chunk's residuals,
    then the sums of the mixture's M-step and of the refit's normal
    equations weighted by its responsibilities. Without a mixture (a
    candidate None) the refit is weighted by ``w`` alone;
    ``residual_moments`` then also sums ``w e e^T`` (a pure Gaussian's
    M-step, in ``in_ee``). Computed in blocks of ``BLOCK_ROWS`` rows and
    combined (the module's docstring).

    Parameters
    ----------
    X : ndarray of shape (n_rows, n_features)
    y : ndarray of shape (n_rows,) or (n_rows, 1)
    w : ndarray of shape (n_rows,) or None
    model : ChunkModel
    residual_moments : bool, default=False

    Returns
    -------
    stats : list of dict
        One per candidate.
    """
    X = np.asarray(X, dtype=float)
    y = np.asarray(y, dtype=float).reshape(len(X), 1)
    design = _Design(X.shape[1], model)
    blocks = []
    for start in range(0, max(len(X), 1), BLOCK_ROWS):
        rows = slice(start, start + BLOCK_ROWS)
        block_w = (np.ones(len(X[rows])) if w is None
                   else np.asarray(w[rows], dtype=float))
        blocks.append(_block_stats(X[rows], y[rows], block_w, model, design,
                                   residual_moments))
    return [_merged(list(parts)) for parts in zip(*blocks)]


def _block_stats(X, y, w, model, design, residual_moments):
    """:func:`chunk_stats` of one block of rows, per candidate."""
    e = y - model.predict(X)[:, None]
    design.centre(X)
    gaussian = [params is not None and np.isfinite(params[0].outlier_scale)
                for params in model.candidates]
    every = design.gram(y, w) if model.all_gram and any(gaussian) else None
    stats = [_candidate_stats(e, y, w, design, model, params, residual_moments)
             for params in model.candidates]
    for found, is_gaussian in zip(stats, gaussian):
        if is_gaussian and every is not None:
            found["gram_all"], found["moment_all"] = every
    return stats


def _merged(parts):
    """:func:`combine` of a chunk's blocks, with their ``"pairs"``."""
    total = combine(parts)
    if "pairs" in parts[0]:
        total["pairs"] = np.concatenate([part["pairs"] for part in parts])
    return total


def _candidate_stats(e, y, w, design, model, params, residual_moments):
    """:func:`chunk_stats` of one candidate mixture ``params`` on a block."""
    stats = {"n": len(e), "sw": w.sum(), "negative": bool((w < 0).any())}
    if params is None:
        if residual_moments:
            stats.update(in_ee=(e * w[:, None]).T @ e)
        stats["gram"], stats["moment"] = design.gram(y, w)
        return stats
    resp, log_lik = _em.score_groups(e, [np.array([0])], params)
    resp = resp[:, 0]
    gaussian = np.isfinite(params[0].outlier_scale)
    stats.update(_mixture_sums(e, resp, log_lik, w, model.threshold, pairs=not gaussian))
    # for Gaussian outliers w (r + (1 - r) / k), with the next k: the Gram of
    # w r here, that of w (1 - r) from the Gram of w (normal_equations)
    stats["gram"], stats["moment"] = design.gram(
        y, w * resp if gaussian else w * np.maximum(resp, WEIGHT_FLOOR))
    return stats


class _Design:
    """The buffers of a chunk's blocks: the centred features, and the
    weighted design ``sqrt(W) [Z D^-1, 1, y]`` whose Gram matrix gives the
    normal equations' sums in one BLAS call (``syrk``)."""

    def __init__(self, n_features, model):
        self.model = model
        self.n_features = n_features
        self.n_columns = n_features + model.fit_intercept  # Z's
        rows = BLOCK_ROWS
        self.centred = np.empty((rows, n_features))
        self.weighted = np.empty((rows, self.n_columns + 1))
        self.n_rows = 0

    def centre(self, X):
        """Centre a block's features (once for all its weightings)."""
        self.n_rows = len(X)
        np.subtract(X, self.model.mean, out=self.centred[:self.n_rows])

    def gram(self, y, weights):
        """``Z^T W Z`` and ``Z^T W y`` of the centred block, the scaling
        ``D`` applied to the sums (:meth:`ChunkModel.unscale`)."""
        p, q, n = self.n_features, self.n_columns, self.n_rows
        root = np.sqrt(weights)
        weighted = self.weighted[:n]
        np.multiply(self.centred[:n], root[:, None], out=weighted[:, :p])
        if self.model.fit_intercept:
            weighted[:, p] = root
        np.multiply(y[:, 0], root, out=weighted[:, q])
        full = weighted.T @ weighted
        return self.model.unscale(full[:q, :q], full[:q, q:])


def _mixture_sums(e, resp, log_lik, w, threshold, pairs=True):
    """The E-step's log-likelihood and inlier share, and the moments of the
    mixture's M-step, summed over a chunk; with ``pairs``, the ``(r, e)``
    of the residuals the uniform explains (for its span)."""
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
        "pairs": np.column_stack([resp[explained], e[explained, 0]]) if pairs
        else np.empty((0, 2)),
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


def combine_candidates(chunks):
    """Per candidate mixture, :func:`combine` of the chunks' sums
    (``chunks``: per chunk, the list :func:`chunk_stats` returns)."""
    return [combine(list(parts)) for parts in zip(*chunks)]


def candidate_centres(totals):
    """:func:`outlier_centre` of each candidate's total."""
    return [outlier_centre(total) for total in totals]


def candidate_extremes(parts, centres):
    """:func:`pulled_extremes` of one chunk, per candidate."""
    return [pulled_extremes(part, centre) for part, centre in zip(parts, centres)]


def candidates_with_span(totals, extremes):
    """:func:`with_span` of each candidate (``extremes``: per chunk, per
    candidate)."""
    return [total if "lo" not in total else
            with_span(total, [chunk[k] for chunk in extremes])
            for k, total in enumerate(totals)]


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
                      dof=0.0, outlier_scale=np.inf):
    """:func:`sklearn_gum._mixture.m_step` of a kept group from the summed
    statistics of its E-step; a finite ``outlier_scale`` (the current
    ``k``) takes the contaminated normal's
    (:func:`sklearn_gum._mixture.contaminated_m_step`)."""
    if np.isfinite(outlier_scale):
        return _contaminated_m_step(stats, outlier_scale, covariance_type, reg_covar,
                                    floor, dof)
    covariance = covariance_from_moments(stats["in_ee"], stats["in_w"],
                                         covariance_type, reg_covar, dof, floor)
    prior = stats["in_w"] / max(stats["sw"], np.finfo(float).tiny)
    log_volume = _log_volume(stats, covariance, uniform)
    return _mixture.GroupParams(max(prior, _mixture.MIN_INLIER_PRIOR), covariance,
                                log_volume)


def _contaminated_m_step(stats, scale, covariance_type, reg_covar, floor, dof):
    """The ECM step of one output's contaminated normal from the sums:
    ``Sigma = (sum w r e^2 + sum w (1 - r) e^2 / k) / (sum w - dof)``, then
    ``k = sum w (1 - r) e^2 / Sigma / sum w (1 - r)``, at least 1."""
    # one output: e e^T is e^2, and out_ee holds its diagonal
    second = stats["in_ee"] + np.diag(stats["out_ee"]) / scale
    covariance = covariance_from_moments(second, stats["sw"], covariance_type,
                                         reg_covar, dof, floor)
    scale = 1.0
    if stats["out_w"] > 0:
        scale = max(float(stats["out_ee"][0] / covariance[0, 0] / stats["out_w"]), 1.0)
    prior = stats["in_w"] / max(stats["sw"], np.finfo(float).tiny)
    return _mixture.GroupParams(max(prior, _mixture.MIN_INLIER_PRIOR), covariance,
                                np.inf, scale)


def normal_equations(stats, params):
    """``Z^T W Z`` and ``Z^T W y`` of the refit after the M-step that gave
    ``params``: for Gaussian outliers the Gram of ``w (1 - r)`` enters
    divided by the new ``k`` (``W = w (r + (1 - r) / k)``)."""
    gram, moment = stats["gram"], stats["moment"]
    if "gram_all" in stats:  # the Gram of w (1 - r): that of w less that of w r
        scale = params[0].outlier_scale
        gram_out, moment_out = stats["gram_all"] - gram, stats["moment_all"] - moment
        gram, moment = gram + gram_out / scale, moment + moment_out / scale
    return gram, moment


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
