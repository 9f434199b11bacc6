"""The result of a comparison and its renderings: text, HTML, pandas, matplotlib.

pandas (``to_frame``) and matplotlib (``plot``) are imported lazily.
"""

import html
from dataclasses import dataclass, field

from sklearn.utils._param_validation import StrOptions, validate_params


def _fmt(value):
    return f"{value:.4g}"


def _ci_text(low, high):
    return f"[{_fmt(low)}, {_fmt(high)}]"


@dataclass(frozen=True, eq=False, repr=False)
class ComparisonResult:
    """Result of :func:`compare_estimators`.

    Attributes
    ----------
    names : tuple of str
        Estimator names, in the given order.
    median_errors : dict of str -> MedianCI
        Median pooled error with its confidence interval.
    mean_errors, std_errors : dict of str -> float
        Mean and standard deviation (ddof=1; NaN for one run) over runs of
        each run's mean error.
    run_mean_errors : dict of str -> ndarray of shape (n_runs,)
        Mean error of every run.
    pairwise : dict of (str, str) -> WilcoxonResult
        Test of every pair ``(a, b)``, ``a`` before ``b`` in ``names``;
        the estimate is the shift of ``a``'s errors minus ``b``'s.
    pvalues_adjusted : dict of (str, str) -> float
        p-values after ``correction``.
    stars : dict of (str, str) -> str
        From the adjusted p-values, at the level of
        ``significantly_better``: ``"*"`` below ``alpha = 1 -
        confidence_level``, ``"**"`` below ``alpha / 5``, ``"***"`` below
        ``alpha / 50`` (0.05, 0.01 and 0.001 at the default 95%), ``""``
        otherwise.
    best : str
        Estimator with the lowest median error.
    significantly_better : tuple of str
        Estimators ``best`` is significantly better than (adjusted p below
        ``1 - confidence_level`` and smaller ranks of errors).
    errors : dict of str -> ndarray
        Pooled per-sample errors (runs concatenated, paired across names).
    n_runs : int
        Runs per estimator.
    correction : str
        Multiple-comparison correction.
    confidence_level : float
        Level of the intervals.
    error : str
        The loss: "absolute", "squared" or "custom" (a callable).
    failed_runs : dict of str -> tuple of int
        Runs in which an estimator failed (only with a numeric
        ``error_score``; see :func:`compare_estimators`).
    output_groups : list of lists of int or None
        The column groups the loss was taken on (None: all columns).
    """

    names: tuple
    median_errors: dict
    mean_errors: dict
    std_errors: dict
    run_mean_errors: dict
    pairwise: dict
    pvalues_adjusted: dict
    stars: dict
    best: str
    significantly_better: tuple
    errors: dict
    n_runs: int
    correction: str
    confidence_level: float
    error: str
    failed_runs: dict = field(default_factory=dict)
    output_groups: list = None

    def _estimator_rows(self):
        level = f"{self.confidence_level:.0%} CI"
        header = ["estimator", "median", level, "mean (runs)", "std (runs)"]
        rows = [
            [
                name,
                _fmt(ci.median),
                _ci_text(ci.low, ci.high),
                _fmt(self.mean_errors[name]),
                _fmt(self.std_errors[name]),
            ]
            for name, ci in self.median_errors.items()
        ]
        return header, rows

    def _pair_rows(self):
        header = ["a vs b", "HL shift a-b", "CI", "effect r", "p", "p adj", ""]
        rows = [
            [
                f"{a} vs {b}",
                _fmt(res.estimate),
                _ci_text(res.low, res.high),
                f"{res.effect_size:+.3f}",
                f"{res.pvalue:.3g}",
                f"{self.pvalues_adjusted[(a, b)]:.3g}",
                self.stars[(a, b)],
            ]
            for (a, b), res in self.pairwise.items()
        ]
        return header, rows

    def _title(self):
        n = next(iter(self.errors.values())).size
        return (
            f"{len(self.names)} estimators, {self.n_runs} runs, "
            f"{n} paired {self.error} errors each"
        )

    def _footer(self):
        better = ", ".join(self.significantly_better) or "none"
        return f"Best: {self.best}; significantly better than: {better}"

    def _failures(self):
        """``["Failed fits: a in runs 0, 2; b in run 1"]``, or ``[]``."""
        failed = [
            f"{name} in run{'s' if len(runs) > 1 else ''} "
            + ", ".join(map(str, runs))
            for name, runs in self.failed_runs.items()
            if runs
        ]
        return ["Failed fits: " + "; ".join(failed)] if failed else []

    def __str__(self):
        lines = [self._title(), ""]
        lines += _text_table(*self._estimator_rows())
        lines += ["", f"Wilcoxon signed-rank tests ({self.correction} correction)"]
        lines += _text_table(*self._pair_rows())
        lines += ["", self._footer(), *self._failures()]
        return "\n".join(lines)

    __repr__ = __str__

    def _repr_html_(self):
        return "".join(
            [
                f"<p>{html.escape(self._title())}</p>",
                _html_table(*self._estimator_rows()),
                f"<p>Wilcoxon signed-rank tests ({html.escape(self.correction)}"
                " correction)</p>",
                _html_table(*self._pair_rows()),
                f"<p>{html.escape(self._footer())}</p>",
                *(f"<p>{html.escape(line)}</p>" for line in self._failures()),
            ]
        )

    @validate_params(
        {"kind": [StrOptions({"estimators", "pairwise"})]},
        prefer_skip_nested_validation=True,
    )
    def to_frame(self, kind="estimators"):
        """Summary as a pandas DataFrame.

        Parameters
        ----------
        kind : {"estimators", "pairwise"}, default="estimators"
            One row per estimator (indexed by name) or per pair.

        Returns
        -------
        frame : pandas.DataFrame
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError(
                "ComparisonResult.to_frame requires pandas: pip install pandas"
            ) from exc
        if kind == "estimators":
            rows = {
                name: dict(
                    median=ci.median,
                    low=ci.low,
                    high=ci.high,
                    coverage=ci.coverage,
                    mean=self.mean_errors[name],
                    std=self.std_errors[name],
                )
                for name, ci in self.median_errors.items()
            }
            return pd.DataFrame.from_dict(rows, orient="index")
        rows = [
            dict(
                a=a,
                b=b,
                estimate=r.estimate,
                low=r.low,
                high=r.high,
                effect_size=r.effect_size,
                statistic=r.statistic,
                pvalue=r.pvalue,
                pvalue_adjusted=self.pvalues_adjusted[(a, b)],
                stars=self.stars[(a, b)],
                n=r.n,
                n_zeros=r.n_zeros,
            )
            for (a, b), r in self.pairwise.items()
        ]
        return pd.DataFrame(rows)

    def plot(self, ax=None, **kwargs):
        """Median error and its interval per estimator, as error bars.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.errorbar`.

        Returns
        -------
        display : ComparisonDisplay
            With the artists as ``errorbar_``, ``ax_`` and ``figure_``.
        """
        from ._display import ComparisonDisplay

        return ComparisonDisplay.from_result(self, ax=ax, **kwargs)


def _text_table(header, rows):
    """Left-aligned plain-text table lines."""
    table = [header, *rows]
    widths = [max(len(str(row[i])) for row in table) for i in range(len(header))]
    return [
        "  ".join(
            str(cell).ljust(w) for cell, w in zip(row, widths, strict=True)
        ).rstrip()
        for row in table
    ]


def _html_table(header, rows):
    """Minimal escaped HTML table."""
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(c))}</td>" for c in row) + "</tr>"
        for row in rows
    )
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
