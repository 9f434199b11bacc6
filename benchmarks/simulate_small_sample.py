"""Small-sample factor of the subset start's scale, by simulation (issue 17).

The reweighting step of ``init="subsets"`` (``sklearn_gum._start.reweighted``)
scales the residuals of the best subset start by the covariance of their
best half (``sklearn_gum._start._best_half``: centred on the mean of that
half, as the minimum covariance determinant is; the trimmed second moment,
divided by ``h - dof`` and rescaled by the asymptotic consistency factor of
a half). That start was itself chosen, among hundreds,
for the smallest trimmed sum of squares: on few rows its residuals are far
tighter than the errors, and the scale is biased low (the bias Pison, Van
Aelst and Willems 2002 correct for LTS). The reweighting then cuts clean rows
as outliers.

This script measures the bias on clean data: ``n`` rows, ``p`` standard
normal features plus an intercept, a standard normal target, the package's
own subset start (``N_SUBSETS`` subsets, its concentration steps), and the
variance estimate without a small-sample factor. Per cell it reports the
mean and median of the estimate over the draws, and fits, over all cells,
a factor in the spirit of Pison et al.'s fits for LTS

    f(n, dof) = 1 / mean = 1 + exp(a) dof^c / n^b        (dof = p + 1)

by least squares on ``log(1 / mean - 1)`` (the form ``1 - exp(a) dof^c /
n^b`` of Pison et al. for the mean fitted these cells worse and can turn
negative). ``sklearn_gum._start.SUBSET_SCALE_BIAS`` holds ``(a, b, c)``.

Usage::

    python benchmarks/simulate_small_sample.py [--draws 100] [--output FILE]
"""

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.linear_model import LinearRegression

from sklearn_gum import _residual_em, _start
from sklearn_gum._linear_refit import make_refit
from sklearn_gum._weighted_fit import effective_dof

from _common import default_out, machine_description

CELLS = [(2, 10), (2, 20), (2, 50), (2, 200), (3, 12), (3, 20), (3, 50),
         (4, 15), (4, 20), (4, 50), (4, 200), (6, 20), (6, 50), (6, 200)]


def start_scale(n, dof, seed):
    """The subset start's variance estimate on one clean data set (true 1)."""
    rng = np.random.RandomState(seed)
    X, y = rng.normal(size=(n, dof - 1)), rng.normal(size=(n, 1))
    refit = make_refit(LinearRegression(), X, y, np.ones(n), {}, True)
    start = _start.subset_starts(refit.estimator, refit, 1, np.random.RandomState(seed))[0]
    residuals = refit.targets - refit.predict(start)
    # centred and scaled by their best half, as the reweighting step does
    _, covariance, _ = _start._best_half(residuals, refit.sample_weight,
                                         effective_dof(start), 0.0, 0.0)
    return covariance[0, 0]


def iid_scale(n, n_columns, seed):
    """The best half's variance estimate on clean residuals of no search."""
    residuals = np.random.RandomState(seed).normal(size=(n, n_columns))
    covariance, _ = _residual_em.robust_covariance(residuals, np.ones(n))
    return np.trace(covariance) / n_columns


def iid_table(draws):
    """Mean and median of :func:`iid_scale` per size and number of columns."""
    table = ["| columns | n | mean | median |", "|---|---|---|---|"]
    for n_columns in (1, 2):
        for n in (10, 15, 20, 30, 50, 100, 200):
            scales = [iid_scale(n, n_columns, seed) for seed in range(draws)]
            table.append(f"| {n_columns} | {n} | {np.mean(scales):.3f} | "
                         f"{np.median(scales):.3f} |")
    return table


def fit_bias(cells, means):
    """``(a, b, c)`` of ``1 / m - 1 = exp(a) dof^c / n^b`` by least squares."""
    dof, n = np.array(cells, dtype=float).T
    excess = 1 / np.asarray(means) - 1
    usable = excess > 0
    design = np.c_[np.ones(usable.sum()), -np.log(n[usable]), np.log(dof[usable])]
    return np.linalg.lstsq(design, np.log(excess[usable]), rcond=None)[0]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--draws", type=int, default=60)
    parser.add_argument("--output", default=str(default_out(__file__)))
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows, means = [], []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for dof, n in CELLS:
            scales = [start_scale(n, dof, seed) for seed in range(args.draws)]
            means.append(np.mean(scales))
            rows.append((dof, n, np.mean(scales), np.median(scales)))
            print(f"dof {dof} n {n}: mean {rows[-1][2]:.3f} median {rows[-1][3]:.3f}",
                  flush=True)
    a, b, c = fit_bias(CELLS, means)
    table = ["| dof | n | mean | median | fitted mean 1 / f | factor f |",
             "|---|---|---|---|---|---|"]
    for dof, n, mean, median in rows:
        factor = 1 + np.exp(a) * dof**c / n**b
        table.append(f"| {dof} | {n} | {mean:.3f} | {median:.3f} | {1 / factor:.3f} | "
                     f"{factor:.3f} |")
    text = "\n".join([
        "# Small-sample bias of the subset start's scale",
        "",
        machine_description(),
        "",
        __doc__.split("Usage::")[0].split("\n\n", 1)[1].strip(),
        "",
        f"{args.draws} clean data sets per cell; wall time "
        f"{time.perf_counter() - started:.0f} s.",
        "",
        *table,
        "",
        f"Fitted: a = {a:.4f}, b = {b:.4f}, c = {c:.4f} "
        "(``SUBSET_SCALE_BIAS`` in ``sklearn_gum/_start.py``).",
        "",
        "## Residuals of no search",
        "",
        "The same estimate on clean standard normal residuals (no fit chose "
        f"them), {20 * args.draws} draws per row: no small-sample factor is "
        "applied to these (``robust_covariance``'s docstring).",
        "",
        *iid_table(20 * args.draws),
        "",
    ])
    with open(args.output, "w") as report:
        report.write(text)
    print(text)


if __name__ == "__main__":
    sys.exit(main())
