"""GUMRegressor on a dask array larger than the workers' memory (issue 21).

Data: ``n`` x 20 standard normal features and targets generated chunk by
chunk (``dask.array.random.default_rng(seed)``, lazily: every pass over the
data regenerates its chunks, nothing is persisted), ``y = X b + 1 + 0.5 eps``
on the inliers, and a share of outliers (default 20%) on another line with a
uniform spread, ``5 + 3 x_0 + U(-10, 10)``, which drags least squares.
The fit runs on a ``LocalCluster`` of 2 worker processes (1 thread each)
whose memory limit per worker is below the data's size (20 million rows:
20e6 * 21 * 8 B = 3.4 GB against 2 x 1.2 GB).

Measured, in the same run: the time of one dask OLS (``X1^T X1`` and
``X1^T y`` in one pass, ``X1`` the features and ones; its median over a run
before and one after GUM), the time of ``GUMRegressor().fit(X, y)`` in such
OLS passes, the number of passes GUM made over the data (the sample, then
one per full-data EM iteration), the peak resident memory of each worker
(polled every 0.25 s) and whether a worker was restarted, and the
coefficient errors (largest absolute error over the 20 slopes and the
intercept) of GUM, of the dask OLS and of an in-memory GUM fit of the first
``--subsample`` rows against the true coefficients.

Targets: the fit finishes with every worker under its memory limit (no
restart), in at most 4 OLS passes' time, with a coefficient error under
0.01.

Usage::

    nice -n 10 python benchmarks/bench_dask.py                      # 20M rows
    nice -n 10 python benchmarks/bench_dask.py --n-samples 2000000  # faster
    python benchmarks/bench_dask.py --outlier-model uniform \
        --out benchmarks/results/bench_dask_uniform.md
"""

import argparse
import sys
import threading
import time
import warnings

import dask
import dask.array as da
import distributed
import numpy as np
from _common import Report, default_out, limit_threads, timed

from sklearn_gum import GUMRegressor, _dask

N_FEATURES = 20
TARGETS = dict(passes=4.0, error=0.01)


def make_data(n_samples, chunk_rows, share, seed):
    """Lazy ``(X, y, outliers, coef, intercept)``, generated chunk by chunk."""
    rng = da.random.default_rng(seed)
    coef = np.random.default_rng(seed).uniform(-2, 2, N_FEATURES)
    X = rng.standard_normal((n_samples, N_FEATURES), chunks=(chunk_rows, N_FEATURES))
    noise = rng.standard_normal(n_samples, chunks=chunk_rows)
    outliers = rng.random(n_samples, chunks=chunk_rows) < share
    junk = 5 + 3 * X[:, 0] + rng.uniform(-10, 10, n_samples, chunks=chunk_rows)
    y = da.where(outliers, junk, X @ coef + 1.0 + 0.5 * noise)
    return X, y, outliers, coef, 1.0


def dask_ols(X, y):
    """Least squares with an intercept from ``X1^T X1`` and ``X1^T y``,
    computed in one pass: ``(coef, intercept)``."""
    ones = da.ones((X.shape[0], 1), chunks=(X.chunks[0], 1))
    X1 = da.concatenate([X, ones], axis=1)
    gram, moment = dask.compute(X1.T @ X1, X1.T @ y)
    solution = np.linalg.solve(gram, moment)
    return solution[:-1], solution[-1]


class MemoryPoller:
    """Peak resident memory of each worker, polled in a thread."""

    def __init__(self, client, period=0.25):
        self.client, self.period = client, period
        self.peak = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._poll, daemon=True)

    def _poll(self):
        while not self._stop.is_set():
            try:
                for worker, rss in self.client.run(_rss).items():
                    self.peak[worker] = max(self.peak.get(worker, 0), rss)
            except Exception:  # a worker restarting: the next poll sees it
                pass
            self._stop.wait(self.period)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()


def _rss():
    import psutil

    return psutil.Process().memory_info().rss


def count_passes():
    """The wall times of the full-data passes of the chunked EM, as they come."""
    times = []
    original = _dask.ChunkedFinish.pass_

    def counted(self, *args, **kwargs):
        result, seconds = timed(original, self, *args, **kwargs)
        times.append(seconds)
        return result

    _dask.ChunkedFinish.pass_ = counted
    return times


def error(coef, intercept, true_coef, true_intercept):
    return float(max(np.max(np.abs(np.ravel(coef) - true_coef)),
                     abs(float(intercept) - true_intercept)))


def run(args, report):
    X, y, outliers, coef, intercept = make_data(args.n_samples, args.chunk_rows,
                                                args.outliers, args.seed)
    size = args.n_samples * (N_FEATURES + 1) * 8
    limit = dask.utils.parse_bytes(args.memory_limit)
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  memory_limit=args.memory_limit,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        workers = set(client.scheduler_info()["workers"])
        (ols_coef, ols_intercept), ols_before = timed(dask_ols, X, y)
        pass_times = count_passes()
        with MemoryPoller(client) as poller, warnings.catch_warnings():
            warnings.simplefilter("ignore")
            gum, gum_time = timed(GUMRegressor(outlier_model=args.outlier_model).fit,
                                  X, y)
        _, ols_after = timed(dask_ols, X, y)
        restarted = set(client.scheduler_info()["workers"]) != workers
        first = slice(0, args.chunk_rows)
        flags, planted = dask.compute(~gum.inlier_mask_[first], outliers[first])
    ols_time = float(np.median([ols_before, ols_after]))
    passes = 1 + len(pass_times)  # the sample, then the full-data passes
    peak = max(poller.peak.values())
    X_sub, y_sub = dask.compute(X[: args.subsample], y[: args.subsample])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        memory, memory_time = timed(
            GUMRegressor(outlier_model=args.outlier_model).fit, X_sub, y_sub)
    gum_error = error(gum.estimator_.coef_, gum.estimator_.intercept_, coef, intercept)
    rows = [[
        f"{args.n_samples:,} x {N_FEATURES}", f"{size / 1e9:.2f} GB",
        f"2 x {limit / 1e9:.2f} GB", f"{peak / 1e9:.2f} GB", restarted,
        ols_time, gum_time, gum_time / ols_time, passes, gum.n_iter_,
        gum_error, error(ols_coef, ols_intercept, coef, intercept),
        error(memory.estimator_.coef_, memory.estimator_.intercept_, coef, intercept),
        float(np.max(np.abs(gum.estimator_.coef_ - memory.estimator_.coef_))),
        f"{np.mean(flags == planted):.4f}",
    ]]
    report.table(
        ["data", "size", "worker memory limit", "peak worker memory",
         "worker restarted", "dask OLS (s)", "GUM (s)", "GUM / OLS passes",
         "GUM passes over the data", "n_iter_", "coef error GUM",
         "coef error dask OLS", f"coef error in-memory GUM ({args.subsample:,} rows)",
         "largest abs(GUM - in-memory GUM)", "flag accuracy (first chunk)"],
        rows,
        note=f"""
Dask OLS: median of one run before and one after GUM ({ols_before:.1f} s and
{ols_after:.1f} s). GUM: {gum_time - sum(pass_times):.1f} s for the sample
(one pass) and its in-memory EM, then full-data passes of
{", ".join(f"{t:.1f}" for t in pass_times)} s ({np.mean(pass_times) / ols_time:.2f}
OLS passes each on average). In-memory GUM on the first {args.subsample:,} rows: {memory_time:.1f} s
on the client. Coefficient error: largest absolute error over the slopes
and the intercept against the true ones. Flag accuracy: ``~inlier_mask_``
against the planted outliers on the first chunk ({args.chunk_rows:,} rows),
computed after the timings.""",
    )
    verdicts = [
        ("peak worker memory under the limit, no restart", peak < limit and not restarted),
        (f"at most {TARGETS['passes']:g} OLS passes' time",
         gum_time / ols_time <= TARGETS["passes"]),
        (f"coefficient error under {TARGETS['error']}", gum_error < TARGETS["error"]),
    ]
    report.add("\n".join(f"- {name}: {'pass' if ok else 'FAIL'}" for name, ok in verdicts))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=20_000_000)
    parser.add_argument("--chunk-rows", type=int, default=500_000)
    parser.add_argument("--outliers", type=float, default=0.2)
    parser.add_argument("--memory-limit", default="1.2GB", help="per worker")
    parser.add_argument("--subsample", type=int, default=1_000_000,
                        help="rows of the in-memory comparison fit")
    parser.add_argument("--outlier-model", default="auto",
                        choices=["auto", "uniform", "gaussian"])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None, help="markdown file to write")
    args = parser.parse_args(argv)
    report = Report(
        "GUMRegressor on dask: out of core, in passes over the data",
        __doc__.split("Usage::")[0].split("\n", 1)[1],
    )
    report.section(
        f"{args.n_samples:,} x {N_FEATURES}, {args.outliers:.0%} outliers, "
        f"chunks of {args.chunk_rows:,} rows, LocalCluster of 2 processes, "
        f"outlier_model={args.outlier_model!r}"
    )
    with limit_threads(1):  # the client's BLAS must not fight the workers
        run(args, report)
    report.write(args.out or default_out(__file__), sys.argv[1:] if argv is None else argv)


if __name__ == "__main__":
    main()
