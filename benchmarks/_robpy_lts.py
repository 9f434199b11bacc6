"""LTS flags from robpy's FastLTS, run in robpy's own virtual environment.

robpy pins an old scikit-learn, so ``bench_real.py`` runs this script with
the Python of a separate venv (``--robpy-python``) and exchanges data through
files::

    python _robpy_lts.py IN.npz OUT.json

``IN.npz`` holds ``X__<name>``, ``y__<name>`` per data set and ``seeds``;
``OUT.json`` maps each name to ``{"as_shipped": [[rows], ...], "ltsreg":
[[rows], ...]}``, one list of flagged 0-based rows per seed, and
``"versions"`` to robpy's and scikit-learn's versions.

Two flag rules on the same raw FAST-LTS fit (``FastLTSRegression(
reweighting=False)``: 500 random elemental starts, C-steps, h of robustbase's
``h.alpha.n(0.5, n, p)``):

``as_shipped``
    robpy's own reweighting, as its ``fit`` does it: keep the rows with
    ``|r| / std(all raw residuals) <= qnorm(0.9875)``, refit LS on them, scale
    ``sqrt(mean kept r^2)`` times its small-sample factor; a row is flagged
    when its final ``|r| / scale > qnorm(0.9875)``. (The standard deviation of
    *all* raw residuals includes the outliers: this is the rule as robpy 0.0.6
    ships it, not as robustbase defines it.)
``ltsreg``
    robustbase's ``ltsReg`` reweighting (R/ltsReg.R, intercept case,
    ``use.correction = TRUE``): raw scale ``s0 = sqrt(mean of the h smallest
    r^2)`` times the consistency factor ``1 / sqrt(1 - 2n / (h / q) phi(q))``,
    ``q = qnorm((h + n) / 2n)``, times ``LTScnp2``; weights ``|r / s0| <=
    qnorm(0.9875)``; weighted LS; scale ``sqrt(sum w r^2 / (sum w - 1))`` times
    the same consistency factor at ``sum w`` and ``LTScnp2.rew``; flagged:
    ``lts.wt == 0``, i.e. final ``|r / scale| > qnorm(0.9875)`` — the rule of
    robustbase's reference output ``tests/tlts.Rout.save``.
"""

import json
import logging
import sys
from importlib import metadata

import numpy as np
import sklearn
from robpy.regression.lts import (
    FastLTSRegression,
    get_correction_factor,
    get_correction_factor_reweighting,
)
from scipy.stats import norm

CUTOFF = norm.ppf(0.9875)


def _h_ltsreg(n, n_features):
    """robustbase's ``h.alpha.n(0.5, n, p)``, p counting the intercept."""
    return (n + n_features + 2) // 2


def _consistency(kept, n):
    """ltsReg's factor making a trimmed scale consistent at the normal."""
    q = norm.ppf((kept + n) / (2 * n))
    return 1 / np.sqrt(1 - (2 * n) / (kept / q) * norm.pdf(q))


def _ls(X, y, rows):
    """Least-squares residuals of y on [1, X] fitted on ``rows``."""
    A = np.column_stack([np.ones(len(y)), X])
    coef = np.linalg.lstsq(A[rows], y[rows], rcond=None)[0]
    return y - A @ coef


def _raw_fit(X, y, seed):
    """Raw FAST-LTS residuals and h (robpy, no reweighting)."""
    n, p = X.shape
    h = _h_ltsreg(n, p)
    # robpy takes h = max(int(alpha n), int((n + p + 1) / 2)); this alpha
    # makes it ltsReg's h.
    lts = FastLTSRegression(alpha=min(1.0, (h + 0.5) / n), reweighting=False,
                            random_state=seed)
    lts.fit(X, y, verbosity=logging.ERROR)
    return y - lts.predict(X).ravel(), h


def _as_shipped(X, y, raw):
    """Rows robpy 0.0.6's own reweighting leaves flagged."""
    n, p = X.shape
    kept = np.abs(raw / np.std(raw)) <= CUTOFF
    resid = _ls(X, y, kept)
    scale = get_correction_factor_reweighting(p=p, n=n, alpha=0.5) * np.sqrt(
        np.mean(resid[kept] ** 2))
    return np.flatnonzero(np.abs(resid) / scale > CUTOFF)


def _ltsreg(X, y, raw, h):
    """Rows robustbase's ltsReg reweighting leaves with lts.wt == 0."""
    n, p = X.shape
    s0 = np.sqrt(np.mean(np.sort(raw ** 2)[:h]))
    s0 *= _consistency(h, n) * get_correction_factor(p=p, n=n, alpha=0.5)
    kept = np.abs(raw / s0) <= CUTOFF
    resid = _ls(X, y, kept)
    n_kept = kept.sum()
    scale = np.sqrt(np.sum(resid[kept] ** 2) / (n_kept - 1))
    if n_kept < n:
        scale *= _consistency(n_kept, n) * get_correction_factor_reweighting(
            p=p, n=n, alpha=0.5)
    return np.flatnonzero(np.abs(resid / scale) > CUTOFF)


def main(argv):
    """Read the sets, fit LTS per seed, write the flags."""
    source, target = argv
    data = np.load(source)
    seeds = [int(s) for s in data["seeds"]]
    names = sorted(key[len("X__"):] for key in data.files if key.startswith("X__"))
    out = {"versions": {"robpy": metadata.version("robpy"),
                        "scikit-learn": sklearn.__version__}}
    for name in names:
        X, y = data[f"X__{name}"], data[f"y__{name}"]
        flags = {"as_shipped": [], "ltsreg": []}
        for seed in seeds:
            raw, h = _raw_fit(X, y, seed)
            flags["as_shipped"].append(_as_shipped(X, y, raw).tolist())
            flags["ltsreg"].append(_ltsreg(X, y, raw, h).tolist())
        out[name] = flags
    with open(target, "w") as handle:
        json.dump(out, handle)


if __name__ == "__main__":
    main(sys.argv[1:])
