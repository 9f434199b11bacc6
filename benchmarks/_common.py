"""Shared helpers of the ``bench_*.py`` scripts: the machine line, timing,
markdown tables and the results files under ``benchmarks/results/``."""

import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import sklearn

RESULTS_DIR = Path(__file__).parent / "results"


def machine_description():
    """One line naming the platform, CPU count, library versions and date."""
    return (
        f"Machine: {platform.platform()}, {os.cpu_count()} CPUs "
        f"({_load_average()}); Python {platform.python_version()}, "
        f"numpy {np.__version__}, scikit-learn {sklearn.__version__}; "
        f"{datetime.datetime.now().isoformat(timespec='minutes')}"
    )


def _load_average():
    try:
        one, five, _ = os.getloadavg()
    except (AttributeError, OSError):
        return "load average unknown"
    return f"load average {one:.1f} / {five:.1f} over 1 / 5 min"


def default_out(script_file):
    """``benchmarks/results/<script name>.md``."""
    return RESULTS_DIR / (Path(script_file).stem + ".md")


def timed(func, *args, **kwargs):
    """``(result, wall seconds)`` of one call."""
    start = time.perf_counter()
    result = func(*args, **kwargs)
    return result, time.perf_counter() - start


def median_time(func, repeats):
    """Median wall time over ``repeats`` calls (the machine is shared: the
    median is less sensitive than the mean to a slow call), and the times."""
    times = [timed(func)[1] for _ in range(repeats)]
    return statistics.median(times), times


def fmt(value, digits=3):
    """A table cell: numbers to ``digits`` significant digits, NaN as "n/a"."""
    if value is None:
        return "n/a"
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (int, np.integer)):
        return str(int(value))
    if isinstance(value, (float, np.floating)):
        if not np.isfinite(value):
            return "n/a"
        return f"{value:.{digits}g}"
    return str(value)


def percent(share, digits=1):
    """A share in [0, 1] as a percentage cell."""
    if share is None or not np.isfinite(share):
        return "n/a"
    return f"{100 * share:.{digits}f}%"


def markdown_table(headers, rows):
    """A GitHub markdown table; cells are formatted with :func:`fmt`."""
    lines = [
        "| " + " | ".join(headers) + " |",
        "|" + "|".join("---" for _ in headers) + "|",
    ]
    for row in rows:
        lines.append("| " + " | ".join(fmt(cell) for cell in row) + " |")
    return "\n".join(lines)


class Report:
    """Markdown sections printed as they come and written at the end."""

    def __init__(self, title, description):
        self.parts = [f"# {title}", "", machine_description(), "", description.strip()]

    def add(self, text):
        print(text, flush=True)
        self.parts.extend(["", text])

    def section(self, heading, text=""):
        self.add(f"## {heading}" + (f"\n\n{text.strip()}" if text else ""))

    def table(self, headers, rows, note=None):
        self.add(markdown_table(headers, rows) + (f"\n\n{note.strip()}" if note else ""))

    def write(self, path, argv):
        command = " ".join(["python", *map(str, [sys.argv[0], *argv])])
        self.parts.extend(["", f"Command: `{command}`", ""])
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("\n".join(self.parts))
        print(f"\nwritten to {path}")


def add_common_arguments(parser, default_seeds):
    """``--quick``, ``--seeds``, ``--threads`` and ``--out``."""
    parser.add_argument("--quick", action="store_true", help="a fast, smaller run")
    parser.add_argument(
        "--seeds", type=int, default=None,
        help=f"number of random seeds (default {default_seeds}, fewer with --quick)",
    )
    parser.add_argument(
        "--threads", type=int, default=1,
        help="BLAS/OpenMP threads (default 1: on a shared machine, spinning BLAS "
        "threads make small fits up to 100x slower and timings erratic)",
    )
    parser.add_argument("--out", default=None, help="markdown file to write")


def limit_threads(n_threads):
    """Context manager limiting BLAS and OpenMP threads (threadpoolctl)."""
    from threadpoolctl import threadpool_limits

    return threadpool_limits(limits=n_threads)
