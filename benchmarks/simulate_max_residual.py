"""The largest-residual test after a subset start on clean data, by
simulation (issue 17).

``sklearn_gum._max_residual`` tests for outliers with ``T``, the largest
studentized residual of the robust least-squares start over the scale of
the rows it was refitted on. On one fit to every row Bonferroni's
threshold ``t_{n - p}^{-1}(1 - alpha / (2 n))`` would hold ``T``'s
false-alarm rate at ``alpha`` (a little below); the subset start, the best
of hundreds, leaves clean data with larger ``T``.

This script runs the package's own start: ``GUMRegressor(init="subsets")``
on ``n`` clean rows (``dof - 1`` standard normal features, an intercept, a
standard normal target; ``T`` does not depend on the coefficients or the
noise scale, the subset search and the least-squares fits being regression
and scale equivariant) and records ``T`` where the decision computes it.
Per cell ``(n, dof)`` it reports the ``1 - FALSE_ALARM_RATE`` quantile of
``T`` over Bonferroni's threshold on the degrees of freedom of the start's
scale, the factor of ``sklearn_gum._max_residual.THRESHOLD_FACTORS``, and
the share of draws above Bonferroni's threshold alone.

With ``--design lognormal`` the features are log-normal (skewed, with
leverage points): a design the table was not simulated on, to check it.

The table was made in three runs (a heavy tail's 99% quantile needs many
draws where the start leaves clean rows out often)::

    python benchmarks/simulate_max_residual.py --draws 2000 --sizes 10 15 20
    python benchmarks/simulate_max_residual.py --draws 1000 --sizes 30 50 100
    python benchmarks/simulate_max_residual.py --large-draws 300 --sizes 300 1000
"""

import argparse
import sys
import time
import warnings

import numpy as np
from sklearn.utils.parallel import Parallel, delayed

from sklearn_gum import GUMRegressor, _calibration, _max_residual
from sklearn_gum._leverage import frequency_counts

from _common import Report, default_out


class _Recorded(Exception):
    """Stops the fit once the statistic is recorded."""


def cells(sizes):
    """``(n, dof)`` of the table: from 3 rows per parameter."""
    return [(n, dof) for n in sizes for dof in _max_residual.FACTOR_DOFS
            if n >= _max_residual.MIN_ROWS_PER_PARAMETER * dof]


def statistic(n, dof, seed, design="normal"):
    """``T`` of the decision of one subset-started fit of clean data, and
    the number of rows the start was refitted on."""
    rng = np.random.RandomState(seed)
    shape = (n, dof - 1)
    X = rng.normal(size=shape) if design == "normal" else rng.lognormal(size=shape)
    y = rng.normal(size=n)
    original = _max_residual.largest_residual

    def record(studentized, sample_weight, fitted_rows):
        kept = frequency_counts(sample_weight) @ fitted_rows
        raise _Recorded((original(studentized, sample_weight, fitted_rows), kept))

    _max_residual.largest_residual = record
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            GUMRegressor(init="subsets", random_state=seed).fit(X, y)
    except _Recorded as recorded:
        return recorded.args[0]
    finally:
        _max_residual.largest_residual = original
    return np.nan, np.nan  # the start could not be refitted on its inliers


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--large-draws", type=int, default=400,
                        help="draws per cell from 300 rows")
    parser.add_argument("--n-jobs", type=int, default=2)
    parser.add_argument("--design", choices=["normal", "lognormal"], default="normal")
    parser.add_argument("--sizes", type=int, nargs="*",
                        default=list(_max_residual.FACTOR_SIZES))
    parser.add_argument("--output", default=None)
    parser.add_argument("--save", default=None,
                        help="prefix of .npz files of the draws, one per cell")
    args = parser.parse_args(argv)
    start = time.time()
    level = 1 - _calibration.FALSE_ALARM_RATE
    rows = []
    for n, dof in cells(args.sizes):
        n_draws = args.draws if n < 300 else args.large_draws
        seeds = range(20_000 * dof + n, 20_000 * dof + n + n_draws)
        draws = np.array(Parallel(n_jobs=args.n_jobs)(
            delayed(statistic)(n, dof, seed, args.design) for seed in seeds))
        values, kept = draws[~np.isnan(draws[:, 0])].T
        bases = np.array([_max_residual.bonferroni_threshold(n, dof, m) for m in kept])
        factor = np.quantile(values / bases, level)
        plain = np.quantile(values, level) / _max_residual.bonferroni_threshold(n, dof)
        rows.append([n, dof, len(values), f"{np.mean(kept < n):.0%}", f"{factor:.4f}",
                     f"{np.mean(values > bases):.1%}", f"{plain:.4f}"])
        print(rows[-1], flush=True)
        if args.save:
            np.savez(f"{args.save}_{n}_{dof}.npz", values=values, kept=kept)
    report = Report(
        "The largest-residual test after a subset start, on clean data (issue 17)",
        f"Wall time {time.time() - start:.0f} s. Clean data sets per cell (draws "
        f"where the start was refitted on its inliers), {args.design} features; "
        "`GUMRegressor(init=\"subsets\")`, the statistic `T` recorded where the "
        "decision computes it (see the script's docstring).")
    report.table(
        ["n", "dof", "draws", "rows left out", "factor", "above Bonferroni",
         "factor with m = n"], rows,
        note="Rows left out: share of draws whose start was refitted on fewer than "
        f"all rows. Factor: the q{level:.0%} quantile of `T` over Bonferroni's "
        "threshold with the degrees of freedom of the start's scale, "
        "`t_(m-p)^-1(1 - 0.01 / (2 n))` for a start refitted on `m` rows (with the "
        "normal design, `_max_residual.THRESHOLD_FACTORS`); above Bonferroni: the "
        "false-alarm rate of that threshold alone after this start; last column: the "
        "same quantile over Bonferroni's threshold of a fit to all rows (`m = n`), "
        "for comparison.")
    report.write(args.output or default_out(f"simulate_max_residual_{args.design}"),
                 argv if argv is not None else sys.argv[1:])

if __name__ == "__main__":
    sys.exit(main())
