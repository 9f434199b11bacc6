"""Clean labels of other shapes: does GUM leave a flexible regressor alone?

``bench_any_regressor`` measures every family on one smooth problem
(Friedman's first function), where clean data keep no outlier component in
8 of 10 seeds. A user's data have other shapes. Here every family of that
benchmark meets clean labels of shapes it was not designed on, all with X
and y standardised on the training rows (a common habit, and the scale
SVR's ``epsilon=0.1`` and the MLP's learning rate expect):

- ``friedman1``: the design problem, for reference (noise sd 1);
- ``friedman2``: ``sqrt(x0^2 + (x1 x2 - 1 / (x1 x3))^2)``, with Gaussian
  noise of a tenth of the target's standard deviation;
- ``friedman3``: ``arctan((x1 x2 - 1 / (x1 x3)) / x0)``, with Gaussian
  noise of a tenth of the target's standard deviation: steep where ``x0``
  is small, so a flexible fit leaves a few hard regions with large
  residuals on clean labels;
- ``linear``: ``make_regression`` (8 informative features, noise 5, a
  twentieth of the target's sd): trees approximate it by steps, SVR's
  tube is wider than its noise.

For each family, shape and seed: GUM's default around the regressor and
the plain regressor; ``has_outliers_``, the share of clean training rows
flagged, and GUM's test RMSE (2,000 noise-free points) over the plain
fit's. On clean labels the answer should be the plain fit (ratio 1, no
flag).

Usage::

    python benchmarks/bench_clean_shapes.py           # about 4 minutes
"""

import argparse
import warnings

import numpy as np
from _common import Report, add_common_arguments, default_out, limit_threads, percent
from bench_any_regressor import families
from sklearn.base import clone
from sklearn.datasets import make_friedman1, make_friedman2, make_friedman3, make_regression

from sklearn_gum import GUMRegressor

N_TEST = 2000
SHAPES = ("friedman1", "friedman2", "friedman3", "linear")


def make_shape(shape, n_samples, seed):
    """Training rows with clean noisy labels and noise-free test rows."""
    rng = np.random.RandomState(seed)
    n_total = n_samples + N_TEST
    if shape == "friedman1":
        X, y = make_friedman1(n_total, 8, noise=0.0, random_state=seed)
        noise = 1.0
    elif shape in ("friedman2", "friedman3"):
        make = make_friedman2 if shape == "friedman2" else make_friedman3
        X, y = make(n_total, noise=0.0, random_state=seed)
        noise = 0.1 * y.std()
    else:
        X, y = make_regression(n_total, 8, noise=0.0, random_state=seed)
        noise = 5.0
    X_train, X_test = X[:n_samples], X[n_samples:]
    y_train = y[:n_samples] + rng.normal(scale=noise, size=n_samples)
    x_mean, x_sd = X_train.mean(0), X_train.std(0)
    y_mean, y_sd = y_train.mean(), y_train.std()
    return ((X_train - x_mean) / x_sd, (y_train - y_mean) / y_sd,
            (X_test - x_mean) / x_sd, (y[n_samples:] - y_mean) / y_sd)


def one_case(regressor, X, y, X_test, y_test):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gum = GUMRegressor(clone(regressor)).fit(X, y)
        plain = clone(regressor).fit(X, y)

    def rmse(model):
        return np.sqrt(np.mean((model.predict(X_test) - y_test) ** 2))

    return {"kept": bool(np.any(gum.has_outliers_)),
            "flagged": float(np.mean(~gum.inlier_mask_)),
            "ratio": rmse(gum) / rmse(plain)}


def summary_row(shape, name, rows):
    flagged = [row["flagged"] for row in rows]
    ratios = [row["ratio"] for row in rows]
    return [shape, name, f"{sum(row['kept'] for row in rows)}/{len(rows)}",
            f"{percent(np.median(flagged))} ({percent(max(flagged))})",
            f"{np.median(ratios):.3g} ({max(ratios):.3g})"]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_common_arguments(parser, default_seeds=5)
    parser.add_argument("--n-samples", type=int, default=1000)
    args = parser.parse_args(argv)
    seeds = args.seeds or (2 if args.quick else 5)
    report = Report(
        "Clean labels of other shapes: GUM around every family",
        f"{args.n_samples} training rows, {N_TEST} noise-free test points, X and y "
        f"standardised on the training rows; {seeds} seeds; threads: {args.threads}. "
        "The regressors of bench_any_regressor.",
    )
    table = []
    with limit_threads(args.threads):
        for shape in SHAPES:
            for name in families(0):
                rows = []
                for seed in range(seeds):
                    regressor = families(seed)[name][0]
                    rows.append(one_case(regressor,
                                         *make_shape(shape, args.n_samples, seed)))
                table.append(summary_row(shape, name, rows))
                print(" | ".join(map(str, table[-1])), flush=True)
    report.table(["clean labels", "regressor", "has_outliers_",
                  "rows flagged: median (max)", "GUM / plain test RMSE: median (max)"],
                 table)
    report.write(args.out or default_out(__file__), argv if argv is not None else [])


if __name__ == "__main__":
    main()
