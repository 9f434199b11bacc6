"""Cost of GUMCriterion in a plain PyTorch loop, against the same loop with
MSE and with a minimal GUM criterion, on one process and on two.

What it measures
----------------
The training time of one plain PyTorch loop (DataLoader of ``(idx, X, y)``,
forward, loss, backward, Adam step; ``end_epoch()`` after each epoch for
the GUM criteria) with ``torch.nn.MSELoss``, with
:class:`sklearn_gum.nn.GUMCriterion`, and with ``MinimalGUM``, a 25-line
DeepGUM criterion written here as the reference of what the per-batch work
must cost (a float64 residual buffer, a weighted whitened squared error,
one full-covariance mixture in numpy between epochs, no checks, no outlier
decision, no distributed support). Two models:

- the 5-landmark CNN of ``bench_deep.py`` on 32x32 images (20% l-UGO
  outliers, one group per landmark; 10 epochs), where a batch's forward and
  backward passes dominate;
- a small MLP on 8 features and 2 outputs (4,000 rows, batch 128, 40
  epochs, 20% uniform outliers), where the criterion's per-batch work
  weighs most. The target: GUM / reference <= 1.15.

After an untimed warm-up, each configuration runs ``--repeats`` times, the
three losses interleaved (the machine is shared); the table gives the
median time of each and the median of the paired ratios. Times are process
CPU time (robust to other jobs on a shared machine), or wall time after a
synchronisation on CUDA.

The distributed table trains the MLP with MSE and with GUMCriterion on 1
process and on 2 (``torch.distributed``, gloo, ``DistributedDataParallel``,
each process a ``DistributedSampler`` shard with half the batch, so the
steps are those of 1 process), one torch thread per process: the wall time
and the CPU time (summed over the processes) of the loop, and GUM / MSE on
each. Distributed support must not add to GUM's per-batch cost: GUM / MSE
on 2 processes should be that of 1 process (the all-reduces happen once per
E-step). ``tests/test_nn_criterion.py`` checks the deterministic side of
the claim: the criterion adds no forward pass.

Usage::

    python benchmarks/bench_criterion_overhead.py            # CUDA if present
    python benchmarks/bench_criterion_overhead.py --device cpu --quick
"""

import argparse
import os
import statistics
import tempfile
import time
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


class MinimalGUM(torch.nn.Module):
    """The reference: a 25-line DeepGUM criterion (one full-covariance group)."""

    def __init__(self, n_samples, n_outputs, warmup_epochs=1):
        super().__init__()
        self.residuals = torch.zeros(n_samples, n_outputs, dtype=torch.float64)
        self.weights, self.whitening = torch.ones(n_samples), torch.eye(n_outputs)
        self.rho, self.cov, self.epoch, self.warmup = 0.5, None, 0, warmup_epochs

    def forward(self, y_pred, y_true, idx):
        self.residuals[idx] = (y_true - y_pred.detach()).double()
        z = (y_pred - y_true) @ self.whitening.T
        return (self.weights[idx] * z.square().sum(1)).mean()

    def end_epoch(self):
        self.epoch += 1
        if self.epoch < self.warmup:
            return
        e = self.residuals.numpy()
        d = e.shape[1]
        cov = np.cov(e.T).reshape(d, d) if self.cov is None else self.cov
        chol = np.linalg.cholesky(cov)
        maha = np.square(np.linalg.solve(chol, e.T)).sum(0)
        log_in = np.log(self.rho) - 0.5 * maha - np.log(np.diag(chol)).sum()
        log_out = (np.log1p(-self.rho) - np.log(np.prod(np.ptp(e, axis=0)))
                   + 0.5 * d * np.log(2 * np.pi))
        r = 1 / (1 + np.exp(np.clip(log_out - log_in, -700, 700)))
        self.rho = r.mean()
        self.cov = (r[:, None] * e).T @ e / r.sum() + 1e-9 * np.eye(d)
        self.weights = torch.as_tensor(r, dtype=torch.float32)
        inverse = np.linalg.inv(np.linalg.cholesky(self.cov))
        self.whitening = torch.as_tensor(inverse, dtype=torch.float32)


CONFIGS = {  # data, model, batch size, epochs (full run)
    "landmark CNN": (landmark_data, lambda: LandmarkCNN(width=16), 64, 10),
    "MLP": (mlp_data, make_mlp, 128, 40),
}
LOSSES = ("MSE", "GUM", "reference")


def make_criterion(method, X, Y, groups):
    if method == "GUM":
        return GUMCriterion(len(X), outlier_granularity=groups, warmup_epochs=1)
    if method == "reference":
        return MinimalGUM(len(X), Y.shape[1])
    return torch.nn.MSELoss()


def loader_of(X, Y, batch_size, seed, sampler=None):
    dataset = torch.utils.data.TensorDataset(
        torch.arange(len(X)), torch.as_tensor(X), torch.as_tensor(Y)
    )
    if sampler is not None:
        return torch.utils.data.DataLoader(dataset, batch_size=batch_size,
                                           sampler=sampler)
    return torch.utils.data.DataLoader(
        dataset, batch_size=batch_size, shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )


def train(model, criterion, loader, epochs, device, sampler=None):
    """Seconds of one training loop (the clock of ``device``)."""
    optimizer = torch.optim.Adam(model.parameters(), lr=2e-3)
    plain = isinstance(criterion, torch.nn.MSELoss)
    now = clock(device)
    start = now()
    for epoch in range(epochs):
        if sampler is not None:
            sampler.set_epoch(epoch)
        for idx, xb, yb in loader:
            xb, yb = xb.to(device), yb.to(device)
            prediction = model(xb)
            loss = criterion(prediction, yb) if plain else criterion(prediction, yb, idx)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        if not plain:
            criterion.end_epoch()
    return now() - start


def run(name, method, n, epochs, device, seed):
    make_data, make_model, batch_size, _ = CONFIGS[name]
    X, Y, groups = make_data(n, 0)
    torch.manual_seed(seed)
    criterion = make_criterion(method, X, Y, groups)
    loader = loader_of(X, Y, batch_size, seed)
    seconds = train(make_model().to(device), criterion, loader, epochs, device)
    return seconds, criterion


def bench(name, config, repeats, device):
    _, _, batch_size, epochs = CONFIGS[name]
    epochs = max(2, epochs // 4) if config.quick else epochs
    for method in LOSSES:  # untimed: torch's first-call costs
        run(name, method, 256, 2, device, 0)
    times = {method: [] for method in LOSSES}
    for repeat in range(repeats):
        for method in LOSSES:
            seconds, criterion = run(name, method, config.n, epochs, device, repeat)
            times[method].append(seconds)
            if method == "GUM":
                flagged = float(np.mean(~criterion.inlier_mask_))
    paired = {
        (a, b): statistics.median(x / y for x, y in zip(times[a], times[b]))
        for a, b in (("GUM", "MSE"), ("reference", "MSE"), ("GUM", "reference"))
    }
    return [name, config.n, epochs, batch_size,
            *(statistics.median(times[method]) for method in LOSSES),
            paired["GUM", "MSE"], paired["reference", "MSE"],
            paired["GUM", "reference"], flagged]


# -- 2 processes against 1 ---------------------------------------------------


def ddp_worker(rank, world, method, epochs, n, init_file, out_dir):
    """One process of a gloo run: its shard, half the batch; writes its times."""
    torch.set_num_threads(1)
    torch.distributed.init_process_group("gloo", init_method=f"file://{init_file}",
                                         rank=rank, world_size=world)
    try:
        X, Y, groups = mlp_data(n, 0)
        torch.manual_seed(0)
        model = torch.nn.parallel.DistributedDataParallel(make_mlp())
        sampler = torch.utils.data.DistributedSampler(range(n), shuffle=True, seed=0)
        loader = loader_of(X, Y, CONFIGS["MLP"][2] // world, 0, sampler)
        criterion = make_criterion(method, X, Y, groups)
        torch.distributed.barrier()
        wall = time.perf_counter()
        cpu = train(model, criterion, loader, epochs, "cpu", sampler)
        wall = time.perf_counter() - wall
        np.save(Path(out_dir) / f"{rank}.npy", [wall, cpu])
    finally:
        torch.distributed.destroy_process_group()


def ddp_times(world, method, epochs, n):
    """Wall time (slowest process) and CPU time (all processes) of one run."""
    with tempfile.TemporaryDirectory() as folder:
        if world == 1:
            torch.set_num_threads(1)
            X, Y, groups = mlp_data(n, 0)
            torch.manual_seed(0)
            criterion = make_criterion(method, X, Y, groups)
            wall = time.perf_counter()
            cpu = train(make_mlp(), criterion, loader_of(X, Y, CONFIGS["MLP"][2], 0),
                        epochs, "cpu")
            return time.perf_counter() - wall, cpu
        torch.multiprocessing.spawn(
            ddp_worker, args=(world, method, epochs, n, os.path.join(folder, "init"),
                              folder),
            nprocs=world, join=True,
        )
        times = np.array([np.load(Path(folder) / f"{r}.npy") for r in range(world)])
    return times[:, 0].max(), times[:, 1].sum()


def bench_distributed(config):
    epochs = config.ddp_epochs or (5 if config.quick else CONFIGS["MLP"][3])
    threads = torch.get_num_threads()
    rows = []
    for world in (1, 2):
        times = {method: [] for method in ("MSE", "GUM")}
        for _ in range(config.repeats):
            for method in times:
                times[method].append(ddp_times(world, method, epochs, config.n))
        wall = {m: statistics.median(t[0] for t in times[m]) for m in times}
        cpu = {m: statistics.median(t[1] for t in times[m]) for m in times}
        ratio = statistics.median(g[1] / m[1] for g, m in zip(times["GUM"], times["MSE"]))
        rows.append([world, config.n, epochs, wall["MSE"], wall["GUM"], cpu["MSE"],
                     cpu["GUM"], ratio])
    torch.set_num_threads(threads)
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default=None,
                        help="torch device (default: cuda when present, else cpu)")
    parser.add_argument("--quick", action="store_true", help="fewer rows and epochs")
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    parser.add_argument("--models", nargs="+", default=list(CONFIGS), choices=CONFIGS)
    parser.add_argument("--no-distributed", action="store_true",
                        help="skip the table of 2 processes against 1")
    parser.add_argument("--ddp-epochs", type=int, default=None,
                        help="epochs of the distributed table (default: the MLP's)")
    parser.add_argument("--out", default=None, help="markdown file to write")
    config = parser.parse_args(argv)
    device = config.device or ("cuda" if torch.cuda.is_available() else "cpu")
    torch.set_num_threads(config.threads)
    config.n = 1500 if config.quick else 4000
    report = Report(
        f"GUMCriterion overhead in a plain PyTorch loop ({device})",
        __doc__.split("What it measures\n----------------\n")[1].split("\nUsage")[0],
    )
    rows = [bench(name, config, config.repeats, device) for name in config.models]
    clock_name = "wall" if device.startswith("cuda") else "process CPU"
    report.table(
        ["model", "rows", "epochs", "batch", f"MSE loop ({clock_name} s)",
         f"GUM loop ({clock_name} s)", f"reference loop ({clock_name} s)",
         "GUM / MSE", "reference / MSE", "GUM / reference", "flagged by GUM"],
        rows,
        note=(f"Device {device}, {torch.get_num_threads()} torch thread(s), torch "
              f"{torch.__version__}; medians over {config.repeats} interleaved "
              "repeats. Target: GUM / reference <= 1.15 on the MLP."),
    )
    if not config.no_distributed:
        report.table(
            ["processes", "rows", "epochs", "MSE wall s", "GUM wall s",
             "MSE CPU s (all processes)", "GUM CPU s (all processes)",
             "GUM / MSE (CPU)"],
            bench_distributed(config),
            note=("MLP, global batch 128 (64 per process on 2), gloo on the CPU, "
                  f"1 torch thread per process; medians over {config.repeats} "
                  "interleaved repeats. Process start-up is not timed."),
        )
    stem = f"criterion_overhead_{device.split(':')[0]}"
    report.write(config.out or Path(RESULTS_DIR) / f"{stem}.md", argv or [])


if __name__ == "__main__":
    main()
