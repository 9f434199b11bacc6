"""Breakdown of GUMRegressor and its peers under four shapes of contamination.

Protocol (issue 10): ``y = X beta + N(0, 0.5^2)``, 2000 training samples,
10 standard-normal features, 10,000 clean test samples; 10% to 50% of the
training samples are made outliers in one of four ways:

- ``uniform``: targets replaced by uniform values over three times the
  target range (``make_contaminated_regression(kind="uniform")``);
- ``shift``: one-sided, spread shifts ``y += U(0.5, 1) * span`` with
  ``span`` the range of the clean targets: the inliers are the tight mode,
  the outliers spread above it, and a least-squares start is dragged up;
- ``gaussian`` (NGO): targets displaced by ``N(0, (5 sd(y))^2)``
  (``kind="gaussian"``);
- ``leverage``: bad leverage points, moved to a far cluster in feature space
  and off the hyperplane (``kind="leverage"``).

A second sweep (issue 18) contaminates the labels with zero-mean Gaussian
errors of 3 and 10 times the inliers' sd (Tukey's contaminated normal,
``normal3`` and ``normal10``) at 20% to 60%; GUM's default is compared with
HuberRegressor and statsmodels RLM (Tukey): its test RMSE must be within 2%
of the better of the two in every cell. The tables give the test RMSE
ratio, the RMSE to the noise-free function (which tells the fits apart
where the test noise dominates) and, per seed, GUM's test RMSE over the
better peer's.

For each method the script reports the median over seeds of the test RMSE
as a ratio to least squares on the clean rows, and of the outlier ROC AUC
(``outlier_proba_`` for GUM, the peers' own residual scores as in
``bench_contamination.py``). Targets: GUM's default within 1.2x and AUC at
least 0.95 for uniform and shift outliers at every level; with
``init="subsets"`` also for bad leverage points up to 40%.

Usage::

    python benchmarks/bench_breakdown.py            # 5 seeds, a few minutes
    python benchmarks/bench_breakdown.py --quick    # 2 seeds, 3 levels
"""

import argparse
import statistics
import sys

import numpy as np
from _common import Report, add_common_arguments, default_out, limit_threads
from bench_contamination import N_FEATURES, N_TEST, N_TRAIN, NOISE, evaluate, methods
from sklearn.linear_model import LinearRegression

from sklearn_gum.datasets import make_contaminated_regression

KINDS = ("uniform", "shift", "gaussian", "leverage")
NOISE_KINDS = {"normal3": 3.0, "normal10": 10.0}
NOISE_LEVELS = (0.2, 0.4, 0.6)
NOISE_PEERS = ("GUMRegressor()", "HuberRegressor()", "statsmodels RLM (Tukey)",
               "LinearRegression (OLS on all)")
TARGET_NOISE_RATIO = 1.02
LEVELS = (0.1, 0.2, 0.3, 0.4, 0.5)
QUICK_LEVELS = (0.1, 0.3, 0.5)
TARGET_RATIO, TARGET_AUC = 1.2, 0.95
PEERS = (
    "GUMRegressor()", 'GUMRegressor(init="subsets")', "LinearRegression (OLS on all)",
    "HuberRegressor()", "RANSACRegressor()", "TheilSenRegressor(max_subpopulation=1000)",
    "statsmodels RLM (Tukey)",
)
GUM_TARGETS = {  # method -> kinds (and the highest level) where targets apply
    "GUMRegressor()": {"uniform": 0.5, "shift": 0.5},
    'GUMRegressor(init="subsets")': {"uniform": 0.5, "shift": 0.5, "leverage": 0.4},
}


def make_problem(kind, contamination, seed):
    """``(X, y, outliers, X_test, y_test, f_test)`` as in bench_contamination."""
    dataset_kind = "uniform" if kind == "shift" else kind
    scale = None
    if kind in NOISE_KINDS:
        dataset_kind, scale = "gaussian", NOISE_KINDS[kind] * NOISE
    X, y, outliers, coef = make_contaminated_regression(
        N_TRAIN, N_FEATURES, contamination=contamination if kind != "shift" else 0.0,
        kind=dataset_kind, noise=NOISE, outlier_scale=scale, random_state=seed,
        return_outlier_mask=True, coef=True,
    )
    if kind == "shift":
        rng = np.random.default_rng([seed, 2])
        span = np.ptp(y)
        outliers = np.zeros(N_TRAIN, dtype=bool)
        outliers[rng.choice(N_TRAIN, int(round(contamination * N_TRAIN)), replace=False)] = True
        y[outliers] += rng.uniform(0.5, 1.0, outliers.sum()) * span
    rng = np.random.default_rng([seed, 1])
    X_test = rng.standard_normal((N_TEST, N_FEATURES))
    f_test = X_test @ coef
    return X, y, outliers, X_test, f_test + NOISE * rng.standard_normal(N_TEST), f_test


def run(kind, levels, seeds, peers=PEERS):
    """``{(method, level): {"ratio": [...], "f_ratio": [...], "auc": [...]}}``."""
    results = {}
    for level in levels:
        for seed in range(seeds):
            problem = make_problem(kind, level, seed)
            X, y, outliers, X_test, y_test, f_test = problem
            clean = LinearRegression().fit(X[~outliers], y[~outliers]).predict(X_test)
            reference = np.sqrt(np.mean((clean - y_test) ** 2))
            f_reference = np.sqrt(np.mean((clean - f_test) ** 2))
            for name, (model, score) in methods(seed).items():
                if name not in peers:
                    continue
                row = evaluate(model, score, problem)
                cell = results.setdefault((name, level),
                                          {"ratio": [], "f_ratio": [], "auc": []})
                cell["ratio"].append(row["rmse"] / reference)
                cell["f_ratio"].append(row["f_rmse"] / f_reference)
                cell["auc"].append(row["auc"])
        print(f"  {kind} {level:.0%} done", flush=True)
    return results


def _median(values):
    values = [v for v in values if np.isfinite(v)]
    return statistics.median(values) if values else np.nan


def _cell(values, target, higher_is_better):
    value = _median(values)
    worst = (min if higher_is_better else max)(values)
    text = f"{value:.3f}" if higher_is_better else f"{value:.2f}"
    text += f" ({'min' if higher_is_better else 'max'} {worst:.3g})"
    if target is not None:
        ok = value >= target if higher_is_better else value <= target
        text += "" if ok else " **FAIL**"
    return text


def tables(report, kind, levels, results):
    for label, key, target, higher in (
        ("Test RMSE / clean-rows OLS", "ratio", TARGET_RATIO, False),
        ("Outlier ROC AUC", "auc", TARGET_AUC, True),
    ):
        rows = []
        for name in PEERS:
            limits = GUM_TARGETS.get(name, {})
            row = [name]
            for level in levels:
                checked = kind in limits and level <= limits[kind] + 1e-9
                row.append(_cell(results[name, level][key], target if checked else None,
                                 higher))
            rows.append(row)
        report.add(f"### {kind}: {label}")
        report.table(["method", *[f"{level:.0%}" for level in levels]], rows)


def noise_tables(report, kind, results):
    """The label-noise sweep: ratios per method, and GUM over the better of
    Huber and RLM (Tukey), seed by seed."""
    for label, key in (("Test RMSE / clean-rows OLS", "ratio"),
                       ("Function RMSE / clean-rows OLS", "f_ratio")):
        rows = [[name] + [f"{_median(results[name, level][key]):.3f}"
                          for level in NOISE_LEVELS] for name in NOISE_PEERS]
        report.add(f"### {kind}: {label}")
        report.table(["method", *[f"{level:.0%}" for level in NOISE_LEVELS]], rows)
    row = ["GUM / better of Huber and RLM (Tukey), test RMSE"]
    for level in NOISE_LEVELS:
        gum = np.array(results["GUMRegressor()", level]["ratio"])
        best = np.minimum(results["HuberRegressor()", level]["ratio"],
                          results["statsmodels RLM (Tukey)", level]["ratio"])
        paired = gum / best
        cell = f"{np.median(paired):.4f} (max {paired.max():.4f})"
        row.append(cell + ("" if np.median(paired) <= TARGET_NOISE_RATIO else " **FAIL**"))
    report.add(f"### {kind}: GUM against the better peer (median over seeds, worst)")
    report.table(["", *[f"{level:.0%}" for level in NOISE_LEVELS]], [row])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    add_common_arguments(parser, default_seeds=5)
    parser.add_argument("--kinds", nargs="+", choices=[*KINDS, *NOISE_KINDS],
                        help="contamination shapes to run (default: all)")
    args = parser.parse_args(argv)
    seeds = args.seeds or (2 if args.quick else 5)
    levels = QUICK_LEVELS if args.quick else LEVELS
    report = Report(
        "Breakdown under four shapes of contamination, and label noise",
        f"{N_TRAIN} x {N_FEATURES} training samples, noise sd {NOISE}, {N_TEST} clean "
        f"test samples; {seeds} seed(s); BLAS threads: {args.threads}. Cells: median "
        "over seeds (worst in brackets); **FAIL** marks a GUM target missed "
        f"(ratio <= {TARGET_RATIO}, AUC >= {TARGET_AUC}; the default for uniform and "
        "shift at every level, init=\"subsets\" also for leverage up to 40%).",
    )
    parser_kinds = args.kinds or list(KINDS) + list(NOISE_KINDS)
    with limit_threads(args.threads):
        for kind in parser_kinds:
            if kind in NOISE_KINDS:
                noise_tables(report, kind, run(kind, NOISE_LEVELS, seeds, NOISE_PEERS))
            else:
                tables(report, kind, levels, run(kind, levels, seeds))
    report.write(args.out or default_out(__file__), argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    main()
