"""Progress of long loops of fits: EM runs (``n_init``), EM iterations
(``max_iter``) and repeated runs.

A loop asked to do far more work than it can finish would otherwise run
silently for ever. :class:`Progress` prints, with ``verbose``, a line per
step at most every ``interval`` seconds (and the last one) with the
elapsed time and an estimate of the time left; without ``verbose``, it
warns once when that estimate exceeds ``warn_after`` seconds, so that an
accidental ``n_init=10**9`` says how long it will take.
"""

import time
import warnings

# Estimated remaining time (seconds) above which a silent loop warns.
WARN_AFTER = 3600.0
# EM iterations within the default budget never warn (AUTO_MAX_ITER["exact"]).
QUIET_ITERATIONS = 100
ITERATION_ADVICE = (
    "Unless the EM converges first (with tol=0 it stops only at an exact fixed "
    "point, which rounding may never reach), lower max_iter or raise tol"
)


def iteration_budget(max_iter):
    """:class:`Progress` of the EM iterations of one run, warning-only: past
    ``QUIET_ITERATIONS`` iterations, one warning when the rest of
    ``max_iter`` could take over ``WARN_AFTER`` seconds."""
    return Progress("GUM: EM iteration", max_iter, 0, ITERATION_ADVICE,
                    quiet_steps=QUIET_ITERATIONS)


def _duration(seconds):
    """``seconds`` in the largest unit that keeps the number readable."""
    for unit, size in (("days", 86400.0), ("h", 3600.0), ("min", 60.0)):
        if seconds >= size:
            return f"{seconds / size:.3g} {unit}"
    return f"{seconds:.3g} s"


class Progress:
    """Progress lines (``verbose``) or one warning for a loop of ``total`` steps.

    Parameters
    ----------
    what : str
        What a step is, e.g. ``"GUM: EM run"``.
    total : int
    verbose : int
    advice : str
        The remedy named by the warning, e.g. ``"Lower n_init"``.
    interval : float, default=1.0
        Least number of seconds between two progress lines.
    warn_after : float, default=None
        Seconds; None means ``WARN_AFTER``.
    quiet_steps : int, default=0
        Steps up to this one neither print nor warn.
    """

    def __init__(self, what, total, verbose, advice, interval=1.0, warn_after=None,
                 quiet_steps=0):
        self.what, self.total, self.verbose = what, int(total), verbose
        self.quiet_steps = quiet_steps
        self.advice, self.interval = advice, interval
        self.warn_after = WARN_AFTER if warn_after is None else warn_after
        self.start = self.last_print = time.perf_counter()
        self.warned = False

    def step(self, done, detail=""):
        """Report that ``done`` of the ``total`` steps are done."""
        if done <= self.quiet_steps:
            return
        now = time.perf_counter()
        elapsed = now - self.start
        left = elapsed / done * (self.total - done)
        if self.verbose and (done == self.total or now - self.last_print >= self.interval
                             or done == 1):
            self.last_print = now
            detail = f", {detail}" if detail else ""
            print(f"{self.what} {done} of {self.total} done ({_duration(elapsed)} "
                  f"elapsed, about {_duration(left)} left{detail})")
        elif not self.verbose and not self.warned and left > self.warn_after:
            self.warned = True
            warnings.warn(
                f"{self.what}s: {self.total} requested, {done} took "
                f"{_duration(elapsed)}; the rest will take about {_duration(left)}. "
                f"{self.advice}, or pass verbose=1 to follow the progress.",
                UserWarning, stacklevel=3,
            )
