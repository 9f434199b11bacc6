"""Deep robust landmark regression: the DeepGUM experiment on generated images.

What it measures
----------------
A small CNN learns the (x, y) positions of K=5 landmarks from 32x32
grayscale images. Each image renders a deformed, asymmetric five-point shape
with a random pose (rotation, scale, translation) as Gaussian blobs of
distinct sizes and brightness, plus pixel noise. The training targets are
contaminated with the three protocols of the DeepGUM paper
(:func:`sklearn_gum.datasets.contaminate_targets`, one group per landmark):

- NGO: a share of the landmarks displaced by Gaussian noise (std of each
  coordinate);
- l-UGO: a share of the landmarks replaced by uniform positions (over twice
  the coordinate range);
- g-UGO: all landmarks of a share of the images replaced likewise.

Five trainings of the same CNN with the same optimiser, epoch budget,
initial weights and batch order are compared: L2 (``MSELoss``), Huber and
Tukey biweight losses of MAD-scaled residuals
(:class:`sklearn_gum.nn.ScaledHuberLoss`,
:class:`sklearn_gum.nn.TukeyBiweightLoss`) and GUM
(:class:`sklearn_gum.GUMRegressor` around the L2 net, one outlier group per
landmark, default schedule) twice: with its default outlier model ("GUM":
``outlier_model="auto"``, the uniform on a net) and with
``outlier_model="gaussian"`` ("GUM (gaussian)": outliers N(0, k Sigma),
Tukey's contaminated normal), otherwise the same settings.

The seed's protocol, with the package's own statistics: every method is
trained ``--runs`` times (5; run ``r`` seeds the weights and batch order
with ``seed + r``) on the same contaminated set and scored on the same clean
test images. Errors are the Euclidean errors of the test landmarks in
pixels, pooled over the runs and paired across methods (same run, image and
landmark). The table reports per method the mean error (and the standard
deviation of the run means), the median with its distribution-free 95%
interval (:func:`sklearn_gum.model_selection.median_confidence_interval`),
the failure rate (landmarks more than 5% of the image size, 1.6 px, off, as
in the seed), and for each GUM against each baseline the Hodges-Lehmann
shift GUM minus baseline with the Wilcoxon signed-rank test
(:func:`sklearn_gum.model_selection.paired_wilcoxon`), Holm-corrected over
the three baselines of a setting, per GUM (stars: * p<0.05, ** p<0.01,
*** p<0.001). For each GUM: the share of training landmarks flagged and the
outlier precision and recall against the contaminated ones (means over
runs), and the GUM / L2 training-time ratio.

Run ``python benchmarks/bench_deep.py --quick`` (CPU, small setting) or, on
a machine with a CUDA device, ``python benchmarks/bench_deep.py`` (the
device defaults to CUDA when one is present, and to the larger setting);
the markdown goes to ``benchmarks/results/deep_<device>.md``.
"""

import argparse
import os
import platform
import time
from pathlib import Path

import numpy as np
import skorch
import torch
from skorch import NeuralNetRegressor
from torch import nn

from sklearn_gum import GUMRegressor
from sklearn_gum.datasets import contaminate_targets
from sklearn_gum.model_selection import median_confidence_interval, paired_wilcoxon
from sklearn_gum.nn import ScaledHuberLoss, TukeyBiweightLoss

IMAGE_SIZE = 32
N_LANDMARKS = 5
GROUPS = [[2 * k, 2 * k + 1] for k in range(N_LANDMARKS)]
FAILURE_PX = 0.05 * IMAGE_SIZE  # as in the seed: 5% of the image size
# An asymmetric five-point shape (a "house" leaning right), in [-1, 1].
TEMPLATE = np.array([[-0.7, 0.8], [0.8, 0.6], [0.9, -0.5], [0.0, -0.9], [-0.8, -0.3]])
BLOB_SIGMA = np.array([1.0, 1.3, 1.6, 1.9, 2.2])
BLOB_BRIGHTNESS = np.array([1.0, 0.85, 0.7, 0.9, 0.6])
# GUM's variants and what each passes to GUMRegressor besides the groups.
GUMS = {"GUM": {}, "GUM (gaussian)": {"outlier_model": "gaussian"}}
BASELINES = ("L2", "Huber", "Tukey")
METHODS = BASELINES + tuple(GUMS)
PROTOCOLS = ("ngo", "l-ugo", "g-ugo")


# -- data --------------------------------------------------------------------


def landmark_positions(n_images, rng):
    """Pixel positions (n, K, 2) of the deformed template in random poses."""
    angle = rng.uniform(-np.pi / 4, np.pi / 4, n_images)
    rotation = np.stack(
        [np.stack([np.cos(angle), -np.sin(angle)], -1),
         np.stack([np.sin(angle), np.cos(angle)], -1)], -2
    )
    shapes = TEMPLATE + rng.normal(scale=0.08, size=(n_images, N_LANDMARKS, 2))
    scale = rng.uniform(0.45, 0.65, (n_images, 1, 1)) * IMAGE_SIZE / 2
    shift = rng.uniform(-3, 3, (n_images, 1, 2)) + (IMAGE_SIZE - 1) / 2
    return scale * np.einsum("nij,nkj->nki", rotation, shapes) + shift


def render(positions, rng, noise=0.05):
    """Images (n, 1, size, size): one Gaussian blob per landmark, plus noise."""
    grid = np.arange(IMAGE_SIZE, dtype=np.float64)
    dx = grid[None, None, :] - positions[..., 0, None]  # (n, K, size)
    dy = grid[None, None, :] - positions[..., 1, None]
    width = 2 * BLOB_SIGMA[None, :, None] ** 2
    gx = np.exp(-dx**2 / width) * BLOB_BRIGHTNESS[None, :, None]
    gy = np.exp(-dy**2 / width)
    images = np.einsum("nky,nkx->nyx", gy, gx)
    images += rng.normal(scale=noise, size=images.shape)
    return images[:, None].astype(np.float32)


def make_landmark_data(n_images, random_state):
    """Images and normalised targets (n, 2K) in [-1, 1], (x, y) per landmark."""
    rng = np.random.RandomState(random_state)
    positions = landmark_positions(n_images, rng)
    targets = positions / (IMAGE_SIZE - 1) * 2 - 1
    return render(positions, rng), targets.reshape(n_images, -1).astype(np.float32)


# -- model -------------------------------------------------------------------


class LandmarkCNN(nn.Module):
    """Three strided convolutions and two dense layers."""

    def __init__(self, width=16, n_outputs=2 * N_LANDMARKS):
        super().__init__()
        self.layers = nn.Sequential(
            nn.Conv2d(1, width, 5, stride=2, padding=2), nn.ReLU(),
            nn.Conv2d(width, 2 * width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(2 * width, 4 * width, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(),
            nn.Linear(4 * width * (IMAGE_SIZE // 8) ** 2, 128), nn.ReLU(),
            nn.Linear(128, n_outputs),
        )

    def forward(self, X):
        return self.layers(X)


def make_net(criterion, config, seed):
    """The same CNN, optimiser and budget for every method."""
    torch.manual_seed(seed)
    return NeuralNetRegressor(
        LandmarkCNN,
        module__width=config.width,
        criterion=criterion,
        optimizer=torch.optim.Adam,
        lr=config.lr,
        batch_size=config.batch_size,
        max_epochs=config.epochs,
        train_split=None,
        iterator_train__shuffle=True,
        device=config.device,
        verbose=0,
    )


def fit_method(method, X, Y, config, seed):
    """Fitted model of one method and its training time in seconds.

    ``make_net`` seeds torch, so every method of a run starts from the same
    weights and draws the same batches; GUM (``random_state=None``) keeps
    that seed instead of drawing its own.
    """
    criterion = {"Huber": ScaledHuberLoss, "Tukey": TukeyBiweightLoss}.get(method, nn.MSELoss)
    model = make_net(criterion, config, seed)
    if method in GUMS:
        model = GUMRegressor(model, outlier_granularity=GROUPS, **GUMS[method])
    now = clock(config.device)
    start = now()
    model.fit(X, Y)
    return model, now() - start


def clock(device):
    """Wall time after a CUDA sync on GPU; process CPU time on CPU.

    On a CPU shared with other jobs, the wall time of a one-thread training
    mostly measures the neighbours; its CPU time does not.
    """
    if str(device).startswith("cuda"):
        def synchronised():
            torch.cuda.synchronize()
            return time.perf_counter()
        return synchronised
    return time.process_time


# -- evaluation --------------------------------------------------------------


def landmark_errors(prediction, truth):
    """Euclidean error of each landmark, in pixels, shape (n, K)."""
    diff = (np.asarray(prediction) - truth).reshape(len(truth), N_LANDMARKS, 2)
    return np.linalg.norm(diff, axis=-1) * (IMAGE_SIZE - 1) / 2


def precision_recall(flagged, truth):
    """Precision and recall of flagged outliers (NaN when undefined)."""
    hits = np.sum(flagged & truth)
    precision = hits / flagged.sum() if flagged.sum() else np.nan
    recall = hits / truth.sum() if truth.sum() else np.nan
    return precision, recall


def contaminate(Y_train, kind, fraction, seed):
    """Contaminated training targets and the mask of bad landmarks."""
    if fraction == 0:
        return Y_train, np.zeros((len(Y_train), N_LANDMARKS), dtype=bool)
    Y_noisy, mask = contaminate_targets(
        Y_train, kind=kind, contamination=fraction, groups=GROUPS, random_state=seed
    )
    return Y_noisy.astype(np.float32), mask


def run_once(method, X_train, Y_noisy, mask, X_test, Y_test, config, seed):
    """One training run: its test errors (n_test, K), time and detection."""
    model, seconds = fit_method(method, X_train, Y_noisy, config, seed)
    run = {"errors": landmark_errors(model.predict(X_test), Y_test),
           "seconds": seconds}
    if isinstance(model, GUMRegressor):
        flagged = ~model.inlier_mask_
        run["precision"], run["recall"] = precision_recall(flagged, mask)
        run["flagged"] = flagged.mean()
    return run


def run_setting(kind, fraction, data, config):
    """All runs of all methods for one protocol and outlier share."""
    X_train, Y_train, X_test, Y_test = data
    Y_noisy, mask = contaminate(Y_train, kind, fraction, config.seed)
    runs = {method: [] for method in METHODS}
    for run in range(config.runs):
        for method in METHODS:
            runs[method].append(run_once(method, X_train, Y_noisy, mask, X_test,
                                         Y_test, config, config.seed + run))
    return summarise(kind, fraction, runs, config.confidence_level)


# -- statistics --------------------------------------------------------------


def holm(pvalues):
    """Holm-adjusted p-values (family-wise, step-down)."""
    p = np.asarray(pvalues, dtype=float)
    order = np.argsort(p, kind="stable")
    steps = np.maximum.accumulate((len(p) - np.arange(len(p))) * p[order])
    adjusted = np.empty_like(p)
    adjusted[order] = np.minimum(1.0, steps)
    return adjusted


def stars(pvalue):
    """* p<0.05, ** p<0.01, *** p<0.001."""
    return next((mark for level, mark in ((0.001, "***"), (0.01, "**"), (0.05, "*"))
                 if pvalue < level), "")


def summarise(kind, fraction, runs, confidence_level=0.95):
    """Rows of the table: one per method, each GUM tested against each
    baseline (Holm over the baselines, per GUM).

    Errors are pooled over runs in the same (run, image, landmark) order for
    every method, so that they pair.
    """
    pooled = {m: np.concatenate([r["errors"].ravel() for r in runs[m]]) for m in runs}
    shifts = {}  # (GUM, baseline) -> (Hodges-Lehmann shift, Holm p-value)
    for gum in GUMS:
        tests = [paired_wilcoxon(pooled[gum], pooled[b],
                                 confidence_level=confidence_level) for b in BASELINES]
        for b, test, p in zip(BASELINES, tests, holm([t.pvalue for t in tests])):
            shifts[gum, b] = (test.estimate, p)
    l2_seconds = np.array([r["seconds"] for r in runs["L2"]])
    rows = []
    for method in METHODS:
        errors, run_means = pooled[method], [r["errors"].mean() for r in runs[method]]
        median = median_confidence_interval(errors, confidence_level)
        seconds = np.array([r["seconds"] for r in runs[method]])
        row = {"protocol": kind, "fraction": fraction, "method": method,
               "mean": errors.mean(), "sd": np.std(run_means, ddof=1) if len(run_means) > 1
               else np.nan, "median": median, "failure": np.mean(errors > FAILURE_PX),
               "seconds": seconds.mean(),
               "shifts": {g: shifts.get((g, method), (np.nan, np.nan)) for g in GUMS},
               "flagged": np.nan, "precision": np.nan, "recall": np.nan,
               "ratio": np.nan}
        if method in GUMS:
            for key in ("flagged", "precision", "recall"):
                values = np.array([r[key] for r in runs[method]])
                # precision is undefined (NaN) in a run that flags nothing
                row[key] = np.mean(values[~np.isnan(values)]) if (
                    ~np.isnan(values)).any() else np.nan
            row["ratio"] = np.median(seconds / l2_seconds)
        rows.append(row)
    return rows


def gum_is_worse(rows, gum="GUM"):
    """Baselines that ``gum`` trails significantly (positive shift, p < 0.05)."""
    return [row["method"] for row in rows if row["method"] in BASELINES
            and row["shifts"][gum][0] > 0 and row["shifts"][gum][1] < 0.05]


# -- report ------------------------------------------------------------------


def _fmt(value, spec):
    return "-" if value is None or np.isnan(value) else format(value, spec)


def markdown_table(rows):
    """Markdown table, one line per protocol, share and method."""
    header = (
        "| protocol | outliers | method | mean error (px) | median [95% CI] (px) "
        "| failure rate | " + "".join(f"{g} - method (px) | " for g in GUMS)
        + "flagged | outlier precision | outlier recall | time (s) | GUM / L2 time |"
    )
    lines = [header, "|---" * (11 + len(GUMS)) + "|"]
    for row in rows:
        median = row["median"]
        shifts = "".join("- | " if np.isnan(shift) else f"{shift:+.3f}{stars(p)} | "
                         for shift, p in row["shifts"].values())
        lines.append(
            f"| {row['protocol']} | {row['fraction']:.0%} | {row['method']} | "
            f"{row['mean']:.3f} ± {_fmt(row['sd'], '.3f')} | {median.median:.3f} "
            f"[{median.low:.3f}, {median.high:.3f}] | {row['failure']:.1%} | {shifts}"
            f"{_fmt(row['flagged'], '.1%')} | {_fmt(row['precision'], '.2f')} | "
            f"{_fmt(row['recall'], '.2f')} | {row['seconds']:.1f} | "
            f"{_fmt(row['ratio'], '.2f')} |"
        )
    return "\n".join(lines)


def _cpu_name():
    """The CPU model from /proc/cpuinfo where there is one."""
    try:
        with open("/proc/cpuinfo") as cpuinfo:
            for line in cpuinfo:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_description(device):
    """One line naming the machine the benchmark ran on."""
    if str(device).startswith("cuda"):
        accelerator = torch.cuda.get_device_name(torch.device(device))
    else:
        accelerator = f"no GPU, {torch.get_num_threads()} torch thread(s)"
    return (f"{_cpu_name()}, {os.cpu_count()} cores; {accelerator}; torch "
            f"{torch.__version__}, skorch {skorch.__version__}, Python "
            f"{platform.python_version()}")


def verdict(rows):
    """Lines saying where each GUM trails a baseline significantly, and on
    clean data whether it flagged anything."""
    lines = []
    for start in range(0, len(rows), len(METHODS)):
        setting = rows[start:start + len(METHODS)]
        name = f"{setting[0]['protocol']} {setting[0]['fraction']:.0%}"
        for gum, row in zip(GUMS, setting[len(BASELINES):]):
            worse = gum_is_worse(setting, gum)
            if worse:
                lines.append(f"- {name}: {gum} trails {', '.join(worse)} "
                             "significantly.")
            if setting[0]["fraction"] == 0:
                lines.append(f"- {name}: {gum} flagged {row['flagged']:.2%} of the "
                             "clean training landmarks.")
    return [f"- {gum} trails no baseline significantly in any setting." for gum in GUMS
            if not any(f"{gum} trails" in line for line in lines)] + lines


def write_report(rows, config, seconds, path):
    """The markdown results file; ``seconds`` is ``(wall, cpu)``."""
    command = "python benchmarks/bench_deep.py" + (" --quick" if config.quick else "")
    command += f" --device {config.device} --runs {config.runs}"
    if tuple(config.protocols) != PROTOCOLS:
        command += " --protocols " + " ".join(config.protocols)
    if config.fractions != [0.2, 0.4, 0.6]:
        command += " --fractions " + " ".join(f"{f:g}" for f in config.fractions)
    if config.output:
        command += f" --output {config.output}"
    text = "\n".join([
        f"# Deep robust landmark regression ({config.device})",
        "",
        (f"Generated by `{command}` "
         f"in {seconds[0] / 60:.1f} min of wall time ({seconds[1] / 60:.1f} min of "
         "process CPU time)."),
        "",
        f"Machine: {machine_description(config.device)}.",
        "",
        (f"Data: {config.n_train} training and {config.n_test} clean test images of "
         f"{IMAGE_SIZE}x{IMAGE_SIZE} pixels, {N_LANDMARKS} landmarks; CNN width "
         f"{config.width}, Adam lr={config.lr}, batch {config.batch_size}, "
         f"{config.epochs} epochs for every method; GUM with one outlier group per "
         "landmark and the default schedule, with its default outlier model (GUM: "
         "`outlier_model=\"auto\"`, the uniform on a net) and with "
         "`outlier_model=\"gaussian\"` (GUM (gaussian): outliers N(0, k Sigma)). "
         f"{config.runs} runs per method (seeds {config.seed}..."
         f"{config.seed + config.runs - 1}: initial weights and batch order, shared by "
         "the methods of a run) on one contaminated training set per setting."),
        "",
        ("Errors: Euclidean test-landmark errors in pixels, pooled over the runs "
         f"({config.runs} x {config.n_test} x {N_LANDMARKS} per method). Mean error ± "
         "standard deviation of the run means; median with its distribution-free "
         f"{config.confidence_level:.0%} interval; failure: error above "
         f"{FAILURE_PX:.1f} px (5% of the image size, as in the seed). GUM - method: "
         "Hodges-Lehmann shift of the paired errors (negative: GUM more accurate) "
         "with the Wilcoxon signed-rank test, Holm-corrected over the three "
         "baselines, per GUM (* p<0.05, ** p<0.01, *** p<0.001). Flagged: share of "
         "training landmarks each GUM flags (`~inlier_mask_`); outlier precision "
         "and recall against the contaminated landmarks; means over runs. Time: mean "
         "training time per run ("
         + ("wall time after a CUDA synchronisation" if str(config.device).startswith(
             "cuda") else "process CPU time, one torch thread, robust to other jobs "
             "on the machine")
         + "); GUM / L2: median over runs of the paired ratio."),
        "",
        markdown_table(rows),
        "",
        *verdict(rows),
        "",
        *(f"{gum} / L2 training time: median {np.median(ratios):.2f}, max "
          f"{np.max(ratios):.2f}." for gum in GUMS
          for ratios in [[row["ratio"] for row in rows if row["method"] == gum]]),
        "",
    ])
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_text(text)
    return text


# -- entry point -------------------------------------------------------------


def default_device():
    """CUDA when a device is present, else the CPU."""
    return "cuda" if torch.cuda.is_available() else "cpu"


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="small setting (about 15 min of CPU on one thread)")
    parser.add_argument("--device", default=None,
                        help="torch device, e.g. cuda:0 (default: cuda when present)")
    parser.add_argument("--fractions", type=float, nargs="+", default=None,
                        help="outlier shares (default 0.2 0.4 0.6; 0 is always run)")
    parser.add_argument("--protocols", nargs="+", default=list(PROTOCOLS),
                        choices=PROTOCOLS, help="contamination protocols")
    parser.add_argument("--runs", type=int, default=5, help="runs per method")
    parser.add_argument("--epochs", type=int, default=None,
                        help="epochs of every training (default 30 quick, 60 large)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch CPU threads (1 avoids oversubscription)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", default=None, help="markdown file to write")
    config = parser.parse_args(argv)
    if config.runs < 1:
        parser.error("--runs must be at least 1")
    config.device = config.device or default_device()
    if str(config.device).startswith("cuda") and not torch.cuda.is_available():
        parser.error(f"--device {config.device}: torch sees no CUDA device")
    large = {"n_train": 20000, "n_test": 2000, "epochs": 60, "width": 32,
             "batch_size": 128}
    small = {"n_train": 1500, "n_test": 500, "epochs": 30, "width": 16,
             "batch_size": 64}
    epochs = config.epochs
    for key, value in (small if config.quick else large).items():
        setattr(config, key, value)
    config.epochs = epochs or config.epochs
    config.lr = 2e-3
    config.confidence_level = 0.95
    if config.fractions is None:
        config.fractions = [0.2, 0.4, 0.6]
    return config


def main(argv=None):
    config = parse_args(argv)
    torch.set_num_threads(config.threads)
    start = time.perf_counter(), time.process_time()
    X, Y = make_landmark_data(config.n_train + config.n_test, config.seed)
    data = (X[: config.n_train], Y[: config.n_train],
            X[config.n_train:], Y[config.n_train:])
    # One short fit first, so that no timed run pays torch's first-call costs.
    warm_up = argparse.Namespace(**{**vars(config), "epochs": 2})
    for method in GUMS:
        fit_method(method, data[0][:256], data[1][:256], warm_up, config.seed)
    settings = [("none", 0.0)] + [
        (kind, fraction) for kind in config.protocols for fraction in config.fractions
    ]
    rows = []
    for kind, fraction in settings:
        rows += run_setting(kind, fraction, data, config)
        print(markdown_table(rows[-len(METHODS):]).split("\n", 2)[2], flush=True)
    device = str(config.device).split(":")[0]
    path = config.output or Path(__file__).parent / "results" / f"deep_{device}.md"
    seconds = (time.perf_counter() - start[0], time.process_time() - start[1])
    print(write_report(rows, config, seconds, path))


if __name__ == "__main__":
    main()
