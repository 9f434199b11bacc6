"""Timing of ``paired_wilcoxon`` (test, Hodges-Lehmann estimate and interval).

Measures, for growing numbers of pairs ``n``, the best-of-``repeat`` wall
time of:

- ``paired_wilcoxon``: p-value, rank-biserial effect size, Hodges-Lehmann
  estimate and 95% interval, the Walsh-average order statistics selected
  in O(n log n) per round without forming the n (n + 1) / 2 averages;
- ``scipy.stats.wilcoxon``: the test alone, for reference;
- brute force: all Walsh averages sorted (only up to ``--max-brute``
  pairs), whose HL estimate and interval must equal ours exactly.

Data: standard normal errors ``a`` and ``b = a - 0.1 + N(0, 1)`` noise.
The table is printed and written as markdown to ``benchmarks/results/``.

Usage::

    python benchmarks/bench_wilcoxon.py --sizes 1000 100000 1000000
"""

import argparse
import time
from pathlib import Path

import numpy as np
from _common import Report, default_out
from scipy import stats

from sklearn_gum.model_selection import paired_wilcoxon
from sklearn_gum.model_selection._rank_tests import _walsh_ci_ranks


def best_time(func, repeat):
    """Best wall time of ``repeat`` calls, and the first call's time."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        func()
        times.append(time.perf_counter() - start)
    return min(times), times[0]


def brute_force_agrees(a, b, result):
    """Whether the HL estimate and interval equal the sorted Walsh averages."""
    d = a - b
    i, j = np.triu_indices(d.size)
    walsh = np.sort((d[i] + d[j]) / 2)
    k_low, k_high, _ = _walsh_ci_ranks(d.size, 0.95, "two-sided")
    expected = (np.median(walsh), walsh[k_low - 1], walsh[k_high - 1])
    return np.allclose(expected, (result.estimate, result.low, result.high), 0, 0)


def bench_size(n, repeat, max_brute, rng):
    """One table row for ``n`` pairs."""
    a = rng.standard_normal(n)
    b = a - 0.1 + rng.standard_normal(n)
    ours, ours_first = best_time(lambda: paired_wilcoxon(a, b), repeat)
    scipy_time, _ = best_time(lambda: stats.wilcoxon(a, b), repeat)
    row = {
        "n": n,
        "paired_wilcoxon_s": round(ours, 4),
        "paired_wilcoxon_first_call_s": round(ours_first, 4),
        "scipy_wilcoxon_s": round(scipy_time, 4),
        "brute_force_s": "",
        "brute_force_agrees": "",
    }
    if n <= max_brute:
        start = time.perf_counter()
        agrees = brute_force_agrees(a, b, paired_wilcoxon(a, b))
        row["brute_force_s"] = round(time.perf_counter() - start, 4)
        row["brute_force_agrees"] = agrees
    return row


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--sizes", type=int, nargs="+", default=[1_000, 10_000, 100_000, 1_000_000]
    )
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--max-brute", type=int, default=5_000)
    parser.add_argument("--output", type=Path, default=default_out(__file__))
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    rng = np.random.default_rng(args.seed)
    report = Report(
        "Timing of paired_wilcoxon",
        "Best-of-repeat wall time (s) of the test with the Hodges-Lehmann "
        "estimate and 95% interval, beside scipy.stats.wilcoxon (the test "
        "alone); up to --max-brute pairs, the interval is checked against all "
        "sorted Walsh averages.",
    )
    rows = [bench_size(n, args.repeat, args.max_brute, rng) for n in args.sizes]
    headers = list(rows[0])
    report.table(headers, [[row[h] for h in headers] for row in rows])
    report.write(args.output, argv or [])


if __name__ == "__main__":
    main()
