"""Cost of fitting GUMRegressor(LinearRegression()) in plain LinearRegression fits.

On 200,000 x 20 linear data (``make_contaminated_regression``, noise 0.5),
with 10% uniform target outliers and without any, the script times (median
of several repeats, because the machine may be shared):

- ``LinearRegression().fit`` and ``GUMRegressor(LinearRegression()).fit``,
  and reports their ratio: the target is at most 15 plain fits. It also
  reports GUM's ``n_iter_`` and ``has_outliers_``;
- the parts of one EM iteration, timed separately on the same data: the
  E-step (``sklearn_gum._mixture.e_step`` on the residuals), the mixture
  M-step (``_mixture.m_step``), the weighted refit
  (``LinearRegression().fit(..., sample_weight=r)``) and the prediction;
  and, from one fit run under cProfile, the time GUM spent in each of them
  per call, which includes the package's own plumbing;
- HuberRegressor and RANSACRegressor (defaults) as ratios to
  LinearRegression on the same data.

Usage::

    python benchmarks/bench_speed.py             # 200,000 x 20, 3 seeds, ~2 min
    python benchmarks/bench_speed.py --quick     # 50,000 x 20, 1 seed
"""

import argparse
import cProfile
import pstats
import statistics
import sys
import warnings

import numpy as np
from _common import (
    Report,
    add_common_arguments,
    default_out,
    limit_threads,
    median_time,
    timed,
)
from sklearn.linear_model import HuberRegressor, LinearRegression, RANSACRegressor

from sklearn_gum import GUMRegressor, _mixture
from sklearn_gum.datasets import make_contaminated_regression

TARGET_FITS = 15
CONTAMINATIONS = (0.1, 0.0)
# (module file, function name) of the parts of an EM iteration in cProfile.
PROFILED = {
    "E-step (_mixture.e_step)": ("_mixture.py", "e_step"),
    "mixture M-step (_mixture.m_step)": ("_mixture.py", "m_step"),
    "refit (WeightedRefit.fit)": ("_weighted_fit.py", "fit"),
    "predict (WeightedRefit.predict)": ("_weighted_fit.py", "predict"),
    "robust start (_mixture.robust_start)": ("_mixture.py", "robust_start"),
    "outlier decision (_decide_outliers)": ("_gum.py", "_decide_outliers"),
}


def quiet(func):
    """``func`` with warnings (e.g. ConvergenceWarning) silenced."""
    def wrapped():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return func()
    return wrapped


def time_methods(X, y, repeats):
    """Median fit times of LinearRegression, GUM and the peers, the median of
    the per-repeat ratios to LinearRegression, and GUM's last fit.

    The methods are timed in turn within each repeat, so that a slow spell of
    the shared machine hits them alike, and each ratio pairs fits made close
    together in time.
    """
    gum = GUMRegressor(LinearRegression())
    fits = {
        "LinearRegression": lambda: LinearRegression().fit(X, y),
        "GUMRegressor(LinearRegression())": quiet(lambda: gum.fit(X, y)),
        "HuberRegressor()": quiet(lambda: HuberRegressor().fit(X, y)),
        "RANSACRegressor()": quiet(lambda: RANSACRegressor(random_state=0).fit(X, y)),
    }
    samples = {name: [] for name in fits}
    for _ in range(repeats):
        for name, fit in fits.items():
            samples[name].append(timed(fit)[1])
    lr = np.array(samples["LinearRegression"])
    times = {name: statistics.median(values) for name, values in samples.items()}
    ratios = {name: float(np.median(np.array(values) / lr)) for name, values in samples.items()}
    return times, ratios, gum


def time_parts(X, y, repeats):
    """Median times of the pieces of one EM iteration, called directly.

    The E-step and mixture M-step use the mixture parameters of GUM's first
    E-step (``robust_start`` on the plain fit's residuals), so that the
    mixture code path is timed even when the fit dropped the outlier component.
    """
    model = LinearRegression().fit(X, y)
    residuals = (y - model.predict(X))[:, None]
    weights = np.ones(len(y))
    options = {"covariance_type": "full", "uniform": "moments", "reg_covar": 1e-6}
    params = _mixture.robust_start(residuals, weights, **options)
    resp, _ = _mixture.e_step(residuals, params)
    return {
        "E-step (_mixture.e_step)": median_time(
            lambda: _mixture.e_step(residuals, params), repeats)[0],
        "mixture M-step (_mixture.m_step)": median_time(
            lambda: _mixture.m_step(residuals, resp, weights, **options), repeats)[0],
        "refit (LinearRegression.fit with sample_weight=r)": median_time(
            lambda: LinearRegression().fit(X, y, sample_weight=resp), repeats)[0],
        "predict (LinearRegression.predict)": median_time(
            lambda: model.predict(X), repeats)[0],
        "robust start (_mixture.robust_start)": median_time(
            lambda: _mixture.robust_start(residuals, weights, **options), repeats)[0],
    }


def profile_parts(X, y):
    """Per-call seconds and call counts of the EM's parts in one profiled fit."""
    profiler = cProfile.Profile()
    gum = GUMRegressor(LinearRegression())
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        profiler.enable()
        gum.fit(X, y)
        profiler.disable()
    stats = pstats.Stats(profiler).stats
    found = {}
    for label, (module, name) in PROFILED.items():
        for (filename, _, function), (_, n_calls, _, cumulative, _) in stats.items():
            if filename.endswith(module) and function == name and "sklearn_gum" in filename:
                found[label] = (n_calls, cumulative)
    total = sum(v[3] for k, v in stats.items() if k[2] == "fit" and k[0].endswith("_gum.py"))
    return found, total, gum.n_iter_


def run_case(contamination, n_samples, n_features, seeds, repeats):
    """All the measurements of one contamination level, per seed."""
    rows = []
    for seed in range(seeds):
        X, y = make_contaminated_regression(
            n_samples, n_features, contamination=contamination, random_state=seed
        )
        times, ratios, gum = time_methods(X, y, repeats)
        parts = time_parts(X, y, repeats)
        profile = profile_parts(X, y) if seed == 0 else None
        rows.append({
            "times": times, "ratios": ratios, "n_iter": gum.n_iter_,
            "has_outliers": gum.has_outliers_, "converged": gum.converged_,
            "parts": parts, "profile": profile,
        })
        print(f"  contamination {contamination:.0%} seed {seed}: "
              + ", ".join(f"{k} {v:.3f}s" for k, v in times.items()), flush=True)
    return rows


def report_case(report, contamination, rows):
    lr = "LinearRegression"
    report.section(f"{contamination:.0%} outliers")
    table = []
    for seed, row in enumerate(rows):
        t, r = row["times"], row["ratios"]
        ratio = r["GUMRegressor(LinearRegression())"]
        table.append([
            seed, t[lr], t["GUMRegressor(LinearRegression())"], ratio,
            "pass" if ratio <= TARGET_FITS else "**FAIL**", row["n_iter"],
            row["has_outliers"], row["converged"],
            r["HuberRegressor()"], r["RANSACRegressor()"],
        ])
    report.table(
        ["seed", "LinearRegression (s)", "GUM (s)", "GUM / LR",
         f"<= {TARGET_FITS} LR fits", "n_iter_", "has_outliers_", "converged_",
         "Huber / LR", "RANSAC / LR"],
        table,
        note="Times: median of the repeats on that data set. Ratios: median over "
        "the repeats of the ratio to the LinearRegression fit of the same repeat.",
    )
    _parts_table(report, rows[0])


def _parts_table(report, row):
    lr = row["times"]["LinearRegression"]
    parts = [[name, seconds, seconds / lr] for name, seconds in row["parts"].items()]
    report.table(
        ["part of an EM iteration, timed directly (seed 0)", "median (s)", "x LR fit"],
        parts,
    )
    found, total, n_iter = row["profile"]
    report.table(
        ["inside one profiled GUM fit (seed 0)", "calls", "s per call", "s in all",
         "share of fit"],
        [[label, calls, seconds / calls, seconds, f"{100 * seconds / total:.0f}%"]
         for label, (calls, seconds) in found.items()],
        note=f"Profiled fit: {total:.2f} s in all under cProfile, n_iter_ = {n_iter}. "
        + _per_iteration(found, row["times"]["LinearRegression"]),
    )


def _per_iteration(found, lr_seconds):
    """One EM iteration = mixture M-step + refit + predict + E-step, per call."""
    per_call = {label: seconds / calls for label, (calls, seconds) in found.items()}
    e_step = per_call.get("E-step (_mixture.e_step)", 0.0)
    refit = per_call.get("refit (WeightedRefit.fit)", 0.0)
    other = (per_call.get("mixture M-step (_mixture.m_step)", 0.0)
             + per_call.get("predict (WeightedRefit.predict)", 0.0))
    total = e_step + refit + other
    return (
        f"One EM iteration (per-call times): E-step {e_step:.4f} s, refit "
        f"{refit:.4f} s, mixture M-step + predict {other:.4f} s; {total:.4f} s "
        f"in all, {total / lr_seconds:.2f} plain LinearRegression fits."
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, default_seeds=3)
    parser.add_argument("--n-samples", type=int, default=None,
                        help="default 200,000 (50,000 with --quick)")
    parser.add_argument("--n-features", type=int, default=20)
    parser.add_argument("--repeats", type=int, default=None,
                        help="timed repeats per method (default 7, 3 with --quick)")
    args = parser.parse_args(argv)
    seeds = args.seeds or (1 if args.quick else 3)
    repeats = args.repeats or (3 if args.quick else 7)
    n_samples = args.n_samples or (50_000 if args.quick else 200_000)
    report = Report(
        "Fit time of GUMRegressor(LinearRegression()) in LinearRegression fits",
        f"{n_samples:,} x {args.n_features} samples, noise sd 0.5, uniform target "
        f"outliers; median of {repeats} repeats per method on each of {seeds} data "
        f"set(s); BLAS threads: {args.threads}. Peers (HuberRegressor, "
        "RANSACRegressor, defaults) run on the same full-size data. Target: GUM "
        f"costs at most {TARGET_FITS} LinearRegression fits.",
    )
    with limit_threads(args.threads):
        for contamination in CONTAMINATIONS:
            rows = run_case(contamination, n_samples, args.n_features, seeds, repeats)
            report_case(report, contamination, rows)
    report.write(args.out or default_out(__file__), sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
