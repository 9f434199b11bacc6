"""False alarms of GUMRegressor on clean data, and its detection of a few outliers.

Issue 7. Three measurements:

1. Clean linear data (``make_contaminated_regression(contamination=0)``:
   standard-normal features, Gaussian noise of sd 0.5) over a grid of sizes
   (100 to 100,000 samples, 1 to 20 features, 1 or 4 outputs), many seeds
   each: the share of samples GUMRegressor flags (not in ``inlier_mask_``),
   median and worst over seeds; how often it keeps the outlier component
   (``has_outliers_``); and, when it does not, the largest
   ``|prediction - OLS prediction|`` on the training data (it should be 0:
   the fit is then the plain least-squares fit).
2. The issue's peer table on the 400 x 5 single-output case: the share
   flagged by HuberRegressor (``outliers_``), RANSACRegressor (not in
   ``inlier_mask_``), statsmodels RLM with Tukey's biweight (weight < 0.5),
   and two plain GUM EMs written here in numpy (the paper's moment update of
   the uniform, and the uniform over the residual range; no floors, start
   from OLS residuals with ``var = median(e^2) / 0.455`` and ``rho = 0.5``,
   200 iterations), next to GUMRegressor, all measured in the same run.
3. With 5% and 10% uniform target outliers (``kind="uniform"``), the share of
   seeds where GUMRegressor keeps the outlier component, per size (target:
   100%), with the share of samples flagged and the share of the true
   outliers caught.

Usage::

    python benchmarks/bench_false_alarms.py            # 20 seeds, ~2.5 min
    python benchmarks/bench_false_alarms.py --quick    # 5 seeds (2 at 100,000)
"""

import argparse
import itertools
import statistics
import sys
import warnings

import numpy as np
from _common import (
    Report,
    add_common_arguments,
    default_out,
    limit_threads,
    percent,
    timed,
)
from sklearn.linear_model import HuberRegressor, LinearRegression, RANSACRegressor
from sklearn.utils.parallel import Parallel, delayed

from sklearn_gum import GUMRegressor
from sklearn_gum.datasets import make_contaminated_regression

SIZES = (100, 400, 1000, 10_000, 100_000)
FEATURES = (1, 5, 20)
OUTPUTS = (1, 4)
# (features, outputs) per size in part 3: every pair of the grid, two with --quick.
QUICK_CONTAMINATED_CASES = ((5, 1), (20, 4))
CONTAMINATIONS = (0.05, 0.1)
NOISE = 0.5
# Median of a chi-square with one degree of freedom: median(e^2) / 0.455
# estimates the variance of Gaussian residuals.
CHI2_1_MEDIAN = 0.455

ISSUE_TABLE = """\
> | method | median | worst |
> |---|---|---|
> | HuberRegressor `outliers_` | 36% | 39% |
> | RANSACRegressor (not in `inlier_mask_`) | 0.5% | 29% |
> | statsmodels RLM, Tukey, weight < 0.5 | 1.5% | 4% |
> | a plain GUM EM with the paper's moment update | 2.2% | 28% |
> | a plain GUM EM with the uniform over the residual range | 2.0% | 11% |"""


# --------------------------------------------------------------------------
# Plain GUM EM (no floors), for the issue's reference rows
# --------------------------------------------------------------------------


def _e_step(residuals, rho, var, volume):
    """Inlier responsibilities of a 1-D Gaussian-uniform mixture."""
    log_inlier = np.log(rho) - 0.5 * np.log(2 * np.pi * var) - residuals**2 / (2 * var)
    with np.errstate(divide="ignore"):
        log_outlier = np.log1p(-rho) - np.log(volume)
    return np.exp(log_inlier - np.logaddexp(log_inlier, log_outlier))


def _uniform_volume(residuals, resp, uniform):
    """The paper's moment update, or the range of the residuals."""
    if uniform == "range":
        return residuals.max() - residuals.min()
    weights = 1 - resp
    total = max(weights.sum(), np.finfo(float).tiny)
    first = weights @ residuals / total
    second = weights @ residuals**2 / total
    return 2 * np.sqrt(3 * (second - first**2))


def plain_gum_em(X, y, uniform="moments", n_iter=200):
    """Outlier mask of a textbook GUM EM for linear regression (1 output).

    Start: OLS residuals, ``var = median(e^2) / 0.455``, ``rho = 0.5`` and a
    uniform over the residual range. Each iteration: E-step; ``rho``, ``var``
    and the uniform volume from the responsibilities; weighted least squares.
    No floors on any parameter. Returns the mask ``r < 0.5`` of the final
    E-step and whether the run stayed finite.
    """
    design = np.column_stack([np.ones(len(X)), X])
    coef = np.linalg.lstsq(design, y, rcond=None)[0]
    residuals = y - design @ coef
    rho, var = 0.5, np.median(residuals**2) / CHI2_1_MEDIAN
    volume = residuals.max() - residuals.min()
    with np.errstate(all="ignore"):
        for _ in range(n_iter):
            resp = _e_step(residuals, rho, var, volume)
            if not np.all(np.isfinite(resp)):
                return np.zeros(len(y), dtype=bool), False
            rho = resp.mean()
            var = resp @ residuals**2 / max(resp.sum(), np.finfo(float).tiny)
            volume = _uniform_volume(residuals, resp, uniform)
            root = np.sqrt(resp)
            coef = np.linalg.lstsq(design * root[:, None], y * root, rcond=None)[0]
            residuals = y - design @ coef
        resp = _e_step(residuals, rho, var, volume)
    return resp < 0.5, bool(np.all(np.isfinite(resp)))


# --------------------------------------------------------------------------
# One data set each (independent, picklable jobs)
# --------------------------------------------------------------------------


def _quiet_fit(model, X, y):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return timed(model.fit, X, y)


def clean_job(n, p, k, seed):
    """GUMRegressor on one clean data set, compared with OLS."""
    X, y = make_contaminated_regression(
        n, p, k, contamination=0.0, noise=NOISE, random_state=seed
    )
    gum, seconds = _quiet_fit(GUMRegressor(), X, y)
    gap = np.nan
    if not gum.has_outliers_.any():
        gap = float(np.max(np.abs(gum.predict(X) - LinearRegression().fit(X, y).predict(X))))
    return {
        "case": (n, p, k), "flagged": float(np.mean(~gum.inlier_mask_)),
        "has_outliers": bool(gum.has_outliers_.any()), "gap": gap, "time": seconds,
        "n_iter": gum.n_iter_, "evidence": float(gum.outlier_evidence_),
    }


def _statsmodels_tukey_mask(X, y):
    import statsmodels.api as sm

    norm = sm.robust.norms.TukeyBiweight()
    return sm.RLM(y, sm.add_constant(X), M=norm).fit().weights < 0.5


def peers_job(seed, n=400, p=5):
    """Share flagged by each method on one clean n x p single-output set."""
    X, y = make_contaminated_regression(n, p, contamination=0.0, noise=NOISE,
                                        random_state=seed)
    gum = _quiet_fit(GUMRegressor(), X, y)[0]
    huber = _quiet_fit(HuberRegressor(), X, y)[0]
    ransac = _quiet_fit(RANSACRegressor(random_state=seed), X, y)[0]
    flagged = {
        "HuberRegressor `outliers_`": huber.outliers_,
        "RANSACRegressor (not in `inlier_mask_`)": ~ransac.inlier_mask_,
        "a plain GUM EM with the paper's moment update": plain_gum_em(X, y, "moments")[0],
        "a plain GUM EM with the uniform over the residual range": plain_gum_em(X, y, "range")[0],
        "GUMRegressor() (this package, not in `inlier_mask_`)": ~gum.inlier_mask_,
    }
    try:
        flagged["statsmodels RLM, Tukey, weight < 0.5"] = _statsmodels_tukey_mask(X, y)
    except ImportError:
        pass
    return {name: float(np.mean(mask)) for name, mask in flagged.items()}


def contaminated_job(n, p, k, contamination, seed):
    """Whether GUMRegressor keeps the outlier component on contaminated data."""
    X, y, outliers = make_contaminated_regression(
        n, p, k, contamination=contamination, kind="uniform", noise=NOISE,
        random_state=seed, return_outlier_mask=True,
    )
    gum = _quiet_fit(GUMRegressor(), X, y)[0]
    return {
        "case": (n, p, k, contamination), "has_outliers": bool(gum.has_outliers_.any()),
        "flagged": float(np.mean(~gum.inlier_mask_)),
        "caught": float(np.mean(~gum.inlier_mask_[outliers])),
        "evidence": float(gum.outlier_evidence_),
    }


# --------------------------------------------------------------------------
# Tables
# --------------------------------------------------------------------------


def _group(records, key="case"):
    groups = {}
    for record in records:
        groups.setdefault(record[key], []).append(record)
    return groups


def clean_table(report, records):
    rows = []
    for (n, p, k), group in _group(records).items():
        flagged = [r["flagged"] for r in group]
        gaps = [r["gap"] for r in group if not r["has_outliers"]]
        rows.append([
            n, p, k, len(group), percent(statistics.median(flagged), 2),
            percent(max(flagged), 2), percent(np.mean([r["has_outliers"] for r in group]), 0),
            max(gaps) if gaps else None,
            statistics.median(r["n_iter"] for r in group),
            min(r["evidence"] for r in group), max(r["evidence"] for r in group),
            statistics.median(r["time"] for r in group),
        ])
    report.section(
        "1. GUMRegressor on clean data",
        "Share of samples flagged (not in `inlier_mask_`), median and worst over "
        "seeds; share of seeds with `has_outliers_`; the largest |prediction - OLS "
        "prediction| on the training data over the seeds where no outliers were "
        "found; median `n_iter_`; range of `outlier_evidence_`; median fit time.",
    )
    report.table(
        ["n", "features", "outputs", "seeds", "flagged median", "flagged worst",
         "has_outliers_", "max abs(pred - OLS) when none", "n_iter_",
         "evidence min", "evidence max", "fit time (s)"],
        rows,
    )


def peers_table(report, records):
    names = list(records[0])
    report.section(
        "2. Peers on 400 x 5 clean data, one output",
        f"Share of samples flagged, over {len(records)} seeds, measured in this run.",
    )
    report.table(
        ["method", "median", "worst"],
        [[name, percent(statistics.median(r[name] for r in records)),
          percent(max(r[name] for r in records))] for name in names],
        note="The issue's reference table (20 seeds, its own data sets):\n\n" + ISSUE_TABLE,
    )


def contaminated_table(report, records):
    rows = []
    short = []
    for (n, p, k, c), group in _group(records).items():
        kept = np.mean([r["has_outliers"] for r in group])
        if kept < 1:
            short.append(f"n={n}, {p} features, {k} outputs, {c:.0%}: {kept:.0%}")
        rows.append([
            n, p, k, percent(c, 0), len(group), percent(kept, 0),
            percent(statistics.median(r["flagged"] for r in group)),
            percent(statistics.median(r["caught"] for r in group)),
            min(r["evidence"] for r in group),
        ])
    report.section(
        "3. Uniform target outliers: is the outlier component kept?",
        "Share of seeds with `has_outliers_` (target 100%), median share of "
        "samples flagged, median share of the true outliers flagged (about a "
        "third of uniform outliers over 3x the range fall inside the clean range, "
        "some on the hyperplane), smallest `outlier_evidence_`.",
    )
    report.table(
        ["n", "features", "outputs", "contamination", "seeds", "has_outliers_",
         "flagged median", "outliers caught median", "evidence min"],
        rows,
        note=("Below target: " + "; ".join(short) + ".") if short
        else "Every size reached the target: the outlier component was kept for every seed.",
    )


# --------------------------------------------------------------------------


def grid(cases=None):
    """(n, features, outputs) to run, skipping n < 5 * features; ``cases``
    restricts the (features, outputs) pairs."""
    return [
        (n, p, k) for n, p, k in itertools.product(SIZES, FEATURES, OUTPUTS)
        if n >= 5 * p and (cases is None or (p, k) in cases)
    ]


def _seeds_for(n, seeds, quick):
    return min(seeds, 2) if quick and n >= 100_000 else seeds


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, default_seeds=20)
    parser.add_argument("--n-jobs", type=int, default=1,
                        help="parallel jobs (sklearn.utils.parallel)")
    args = parser.parse_args(argv)
    seeds = args.seeds or (5 if args.quick else 20)
    report = Report(
        "False alarms of GUMRegressor on clean data (issue 7)",
        f"Clean data: standard-normal features, noise sd {NOISE}, coefficients "
        f"uniform in [-5, 5]; {seeds} seeds per case"
        + (" (2 at n = 100,000)" if args.quick else "")
        + f"; BLAS threads: {args.threads}; jobs: {args.n_jobs}.",
    )
    parallel = Parallel(n_jobs=args.n_jobs)
    with limit_threads(args.threads):
        clean = parallel(
            delayed(clean_job)(n, p, k, seed) for n, p, k in grid()
            for seed in range(_seeds_for(n, seeds, args.quick))
        )
        clean_table(report, clean)
        peers_table(report, parallel(delayed(peers_job)(seed) for seed in range(seeds)))
        contaminated = parallel(
            delayed(contaminated_job)(n, p, k, c, seed)
            for n, p, k in grid(QUICK_CONTAMINATED_CASES if args.quick else None)
            for c in CONTAMINATIONS for seed in range(_seeds_for(n, seeds, args.quick))
        )
        contaminated_table(report, contaminated)
    report.write(args.out or default_out(__file__), sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
