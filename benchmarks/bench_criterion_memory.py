"""Memory of GUMCriterion per training row: what it holds, and its peak.

What it measures
----------------
A GUMCriterion on the CPU records the residuals of ``n`` rows of 10 outputs
(20% uniform outliers) in batches of 50,000 for 3 epochs, with its first
outlier decision after epoch 1 and EM steps after epochs 2 and 3. The table
gives the bytes per row that the criterion holds afterwards (its tensors and
arrays, each storage once; the documented ``12 d + 29 + 16 G``) and the
growth of the process's peak resident memory over the run (held buffers,
the E-steps' transient copies and the outlier decision's EM), per row and
extrapolated to 10 million rows. On a GPU the device holds ``12 d + 12``
bytes per row of it; the rest is host memory.

Usage::

    python benchmarks/bench_criterion_memory.py --rows 1000000
"""

import argparse
import resource

import numpy as np
import torch
from _common import Report, default_out

from sklearn_gum.nn import GUMCriterion


def held_bytes(obj, seen):
    """Bytes of the tensors and arrays reachable from ``obj`` (each storage
    once)."""
    if isinstance(obj, torch.Tensor):
        key = ("tensor", obj.untyped_storage().data_ptr())
        if key in seen:
            return 0
        seen.add(key)
        return obj.untyped_storage().nbytes()
    if isinstance(obj, np.ndarray):
        base = obj if not isinstance(obj.base, np.ndarray) else obj.base
        if ("array", id(base)) in seen:
            return 0
        seen.add(("array", id(base)))
        return base.nbytes
    if isinstance(obj, torch.nn.Module):
        return 0
    if isinstance(obj, dict):
        return sum(held_bytes(value, seen) for value in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(held_bytes(value, seen) for value in obj)
    if hasattr(obj, "__dict__") and not callable(obj):
        return held_bytes(vars(obj), seen)
    return 0


def peak_bytes():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def measure(n, n_outputs=10):
    rng = np.random.RandomState(0)
    targets = rng.normal(size=(n, n_outputs)).astype(np.float32)
    bad = rng.rand(n) < 0.2
    targets[bad] = rng.uniform(-20, 20, size=(bad.sum(), n_outputs))
    targets = torch.as_tensor(targets)
    before = peak_bytes()
    criterion = GUMCriterion(n, warmup_epochs=1)
    for _ in range(3):
        for idx in torch.arange(n).split(50_000):
            prediction = torch.zeros(len(idx), n_outputs, requires_grad=True)
            criterion(prediction, targets[idx], idx).backward()
        criterion.end_epoch()
    held = held_bytes(vars(criterion), set()) / n
    growth = (peak_bytes() - before) / n
    return [n, n_outputs, bool(criterion.has_outliers_.any()), held, growth,
            growth * 1e7 / 1e9]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--out", default=None, help="markdown file to write")
    config = parser.parse_args(argv)
    torch.set_num_threads(1)
    report = Report(
        "GUMCriterion memory per row (cpu)",
        __doc__.split("What it measures\n----------------\n")[1].split("\nUsage")[0],
    )
    report.table(
        ["rows", "outputs", "outliers kept", "held bytes per row",
         "peak growth bytes per row", "peak growth at 10 million rows (GB)"],
        [measure(config.rows)],
        note="One torch thread; float64 residuals; one group (outlier_granularity="
             "'sample').",
    )
    report.write(config.out or default_out(__file__).with_name(
        "criterion_memory_cpu.md"), argv or [])


if __name__ == "__main__":
    main()
