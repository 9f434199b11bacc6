"""Cost of GUMCriterion in a plain PyTorch loop, against the same loop with MSE.

What it measures
----------------
The training time of one plain PyTorch loop (DataLoader of ``(idx, X, y)``,
forward, loss, backward, Adam step; ``end_epoch()`` after each epoch for
GUM) with ``torch.nn.MSELoss`` and with :class:`sklearn_gum.nn.GUMCriterion`
on the same model, data, batches and epochs, and their ratio. The issue's
target is a ratio of at most 1.3. Two models:

- the 5-landmark CNN of ``bench_deep.py`` on 32x32 images (20% l-UGO
  outliers, one group per landmark), where a batch's forward and backward
  passes dominate;
- a small MLP on 8 features and 2 outputs (20% uniform outliers), where the
  criterion's per-batch work (index checks, residual recording, whitening)
  weighs most.

After an untimed warm-up of both loops, each configuration runs
``--repeats`` times, alternating the two losses;
the table gives the median time of each and the median of the paired
ratios. Times are process CPU time on one torch thread (robust to other jobs
on a shared machine), or wall time after a synchronisation on CUDA.
``tests/test_nn_criterion.py`` checks the deterministic side of the claim:
the criterion adds no forward pass.

Usage::

    python benchmarks/bench_criterion_overhead.py            # CUDA if present
    python benchmarks/bench_criterion_overhead.py --device cpu --quick
"""

import argparse
import statistics
from pathlib import Path

import numpy as np
import torch
from _common import RESULTS_DIR, Report
from bench_deep import GROUPS, LandmarkCNN, clock, contaminate, make_landmark_data

from sklearn_gum.nn import GUMCriterion


def mlp_data(n, seed):
    """8 features, 2 smooth outputs, 20% of the rows replaced by uniform noise."""
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 8)).astype(np.float32)
    Y = np.column_stack([np.sin(X[:, 0]) + X[:, 1], np.cos(X[:, 2]) * X[:, 3]])
    Y += rng.normal(scale=0.05, size=Y.shape)
    bad = rng.rand(n) < 0.2
    Y[bad] = rng.uniform(-4, 4, size=(bad.sum(), 2))
    return X, Y.astype(np.float32), "sample"


def landmark_data(n, seed):
    X, Y = make_landmark_data(n, seed)
    Y, _ = contaminate(Y, "l-ugo", 0.2, seed)
    return X, Y, GROUPS


def make_mlp():
    return torch.nn.Sequential(
        torch.nn.Linear(8, 64), torch.nn.ReLU(), torch.nn.Linear(64, 64),
        torch.nn.ReLU(), torch.nn.Linear(64, 2),
    )


CONFIGS = {
    "landmark CNN": (landmark_data, lambda: LandmarkCNN(width=16), 64),
    "MLP": (mlp_data, make_mlp, 128),
}


def train(make_model, X, Y, groups, batch_size, epochs, use_gum, device, seed):
    """Seconds of one training loop, and the criterion (for GUM)."""
    torch.manual_seed(seed)
    model = make_model().to(device)
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    dataset = torch.utils.data.TensorDataset(
        torch.arange(len(X)), torch.as_tensor(X), torch.as_tensor(Y)
    )
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )
    criterion = (GUMCriterion(len(X), outlier_granularity=groups, warmup_epochs=1)
                 if use_gum else torch.nn.MSELoss())
    now = clock(device)
    start = now()
    for _ in range(epochs):
        for idx, xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            prediction = model(xb)
            loss = criterion(prediction, yb, idx) if use_gum else criterion(prediction, yb)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        if use_gum:
            criterion.end_epoch()
    return now() - start, criterion


def bench(name, config, repeats, device):
    make_data, make_model, batch_size = CONFIGS[name]
    X, Y, groups = make_data(config.n, 0)
    times = {"MSE": [], "GUM": []}
    for use_gum in (False, True):  # untimed: torch's first-call costs
        train(make_model, X[:256], Y[:256], groups, batch_size, 2, use_gum, device, 0)
    for repeat in range(repeats):
        for method in ("MSE", "GUM"):
            seconds, criterion = train(make_model, X, Y, groups, batch_size,
                                       config.epochs, method == "GUM", device, repeat)
            times[method].append(seconds)
    ratios = [g / m for g, m in zip(times["GUM"], times["MSE"])]
    flagged = float(np.mean(~criterion.inlier_mask_))
    return [name, config.n, config.epochs, batch_size,
            statistics.median(times["MSE"]), statistics.median(times["GUM"]),
            statistics.median(ratios), max(ratios), flagged]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default=None,
                        help="torch device (default: cuda when present, else cpu)")
    parser.add_argument("--quick", action="store_true", help="fewer rows and epochs")
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads")
    parser.add_argument("--out", default=None, help="markdown file to write")
    config = parser.parse_args(argv)
    device = config.device or ("cuda" if torch.cuda.is_available() else "cpu")
    torch.set_num_threads(config.threads)
    config.n, config.epochs = (1500, 6) if config.quick else (4000, 10)
    report = Report(
        f"GUMCriterion overhead in a plain PyTorch loop ({device})",
        __doc__.split("What it measures\n----------------\n")[1].split("\nUsage")[0],
    )
    rows = [bench(name, config, config.repeats, device) for name in CONFIGS]
    clock_name = "wall" if device.startswith("cuda") else "process CPU"
    report.table(
        ["model", "rows", "epochs", "batch", f"MSE loop ({clock_name} s)",
         f"GUM loop ({clock_name} s)", "GUM / MSE (median)", "GUM / MSE (max)",
         "flagged by GUM"],
        rows,
        note=(f"Device {device}, {torch.get_num_threads()} torch thread(s), torch "
              f"{torch.__version__}; {config.repeats} repeats. Target: GUM / MSE "
              "<= 1.3."),
    )
    stem = f"criterion_overhead_{device.split(':')[0]}"
    report.write(config.out or Path(RESULTS_DIR) / f"{stem}.md", argv or [])


if __name__ == "__main__":
    main()
