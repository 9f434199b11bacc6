"""The calibrated outlier decision (issue 17): its table, and its false alarms.

Two measurements:

1. ``--table``: the 99% quantile of the likelihood ratio ``2 (L_mixture -
   L_gaussian)`` of the EM over ``n`` clean standard Gaussian residuals in
   ``d`` columns (``sklearn_gum._residual_em.residual_evidence``, default
   settings), for each outlier model, with the share of draws where NEC
   alone (evidence > 0) and the calibrated rule (for the uniform NEC and
   the ratio above its quantile, for the Gaussian the ratio alone) keep
   the outlier component. Its quantiles are
   ``sklearn_gum._calibration.QUANTILES`` and ``GAUSSIAN_QUANTILES``.
2. The share of whole ``GUMRegressor()`` fits that keep an outlier component
   on clean linear data (standard normal features, and log-normal ones:
   skewed, with leverage points; unit Gaussian noise), per number of
   samples and features, with the default ``init="auto"`` and with
   ``init="subsets"``.

Usage::

    python benchmarks/bench_calibration.py            # fits only, 100 seeds
    python benchmarks/bench_calibration.py --table    # and the table (slow)
    python benchmarks/bench_calibration.py --quick    # 20 seeds
"""

import argparse
import sys

import numpy as np
from _common import Report, add_common_arguments, default_out, limit_threads, percent
from sklearn.utils.parallel import Parallel, delayed

from sklearn_gum import GUMRegressor, _calibration, _residual_em

TABLE_SIZES = {
    "uniform": [(1, n) for n in (8, 10, 15, 20, 30, 40, 60)] + [
        (d, n) for d in (2, 3) for n in (10, 15, 20, 30, 40, 60, 100)],
    "gaussian": [(d, n) for d in (1, 2, 3) for n in _calibration.GAUSSIAN_SIZES
                 if n > 2 * d + 4],
}
FIT_CASES = [(10, 1), (15, 2), (20, 1), (20, 3), (25, 5), (30, 2), (30, 7), (40, 3),
             (50, 4), (60, 9), (100, 9), (100, 24), (200, 19), (1000, 5), (10000, 10)]


def table_cell(d, n, draws, model="uniform"):
    """Likelihood ratios and NEC evidences of ``draws`` clean residual sets."""
    rng = np.random.RandomState(1000 * d + n)
    options = dict(covariance_type="full", uniform="moments", reg_covar=1e-6,
                   outlier_model=model)
    found = [_residual_em.residual_evidence(rng.normal(size=(n, d)), np.ones(n), **options)
             for _ in range(draws)]
    return d, n, np.array([(m.evidence, m.likelihood_ratio) for m in found])


def fit_job(n, p, seed, init, design="normal"):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, p)) if design == "normal" else rng.lognormal(size=(n, p))
    y = X @ rng.normal(size=p) + rng.normal(size=n)
    gum = GUMRegressor(init=init, random_state=None if init == "auto" else seed)
    gum.fit(X, y)
    return n, p, init, bool(gum.has_outliers_.any()), float(np.mean(~gum.inlier_mask_))


def table_section(report, parallel, draws, model):
    rows = []
    cells = parallel(delayed(table_cell)(d, n, draws, model)
                     for d, n in TABLE_SIZES[model])
    for d, n, stats in cells:
        quantile = np.quantile(stats[:, 1], 1 - _calibration.FALSE_ALARM_RATE)
        threshold = _calibration.likelihood_ratio_threshold(n, d, model)
        kept = stats[:, 1] > threshold
        if model == "uniform":  # the uniform also needs NEC's consent
            kept &= stats[:, 0] > 0
        rows.append((d, n, f"{quantile:.2f}", percent(np.mean(stats[:, 0] > 0)),
                     percent(np.mean(kept))))
    report.section(f"The likelihood ratio of the {model} outlier model on clean "
                   "residuals", f"{draws} draws per cell.")
    report.table(["columns d", "samples n", "99% quantile of the ratio",
                  "NEC alone keeps", "calibrated rule keeps (package table)"], rows)


def fit_section(report, parallel, seeds, design):
    jobs = [(n, p, seed, init, design) for n, p in FIT_CASES for init in ("auto", "subsets")
            for seed in range(seeds if n <= 1000 else max(seeds // 10, 2))]
    results = parallel(delayed(fit_job)(*job) for job in jobs)
    rows = []
    for n, p in FIT_CASES:
        row = [n, p, n / (p + 1)]
        for init in ("auto", "subsets"):
            mine = [r for r in results if r[:3] == (n, p, init)]
            row += [f"{sum(r[3] for r in mine)}/{len(mine)}",
                    percent(max(r[4] for r in mine))]
        rows.append(row)
    report.section(f"Whole fits on clean linear data ({design} features)",
                   "Share of fits that keep an outlier component, and the largest "
                   "share of samples flagged in one fit.")
    report.table(["n", "features", "rows per parameter", "auto: kept",
                  "auto: most flagged", "subsets: kept", "subsets: most flagged"], rows)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, default_seeds=100)
    parser.add_argument("--table", action="store_true", help="simulate the table too")
    parser.add_argument("--draws", type=int, default=_calibration.DRAWS)
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--design", nargs="+", choices=["normal", "lognormal"],
                        default=["normal", "lognormal"],
                        help="features of the whole fits: standard normal, and "
                             "log-normal (skewed, with leverage points)")
    args = parser.parse_args(argv)
    seeds = args.seeds or (20 if args.quick else 100)
    report = Report("The calibrated outlier decision (issue 17)",
                    f"False-alarm rate {_calibration.FALSE_ALARM_RATE:.0%} by design; "
                    f"BLAS threads: {args.threads}; jobs: {args.n_jobs}.")
    parallel = Parallel(n_jobs=args.n_jobs)
    with limit_threads(args.threads):
        if args.table:
            for model in TABLE_SIZES:
                table_section(report, parallel, args.draws, model)
        for design in args.design:
            fit_section(report, parallel, seeds, design)
    report.write(args.out or default_out(__file__), sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
