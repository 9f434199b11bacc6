"""ComparisonDisplay: the median errors of a comparison, as error bars.

Private: import it from :mod:`sklearn_gum.model_selection`.
"""

import numpy as np
from sklearn.utils._param_validation import HasMethods, validate_params


class ComparisonDisplay:
    """Median error and its confidence interval per estimator.

    Shaped like scikit-learn's displays: :meth:`from_result` takes a
    :class:`ComparisonResult` and calls :meth:`plot`; the artists are stored
    as attributes ending in ``_``. ``ComparisonResult.plot`` returns one.

    Parameters
    ----------
    names : sequence of str
        Estimator names, top to bottom.
    medians, lows, highs : array-like of shape (n_estimators,)
        Median error and the bounds of its interval.
    xlabel : str, default="median error"
        Label of the error axis.

    Attributes
    ----------
    errorbar_ : matplotlib ErrorbarContainer
        The error bars.
    ax_ : matplotlib Axes
        Axes with the plot.
    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    compare_estimators : The comparison drawn here.

    Examples
    --------
    >>> from sklearn.datasets import make_regression
    >>> from sklearn.dummy import DummyRegressor
    >>> from sklearn.linear_model import LinearRegression
    >>> from sklearn_gum.model_selection import ComparisonDisplay, compare_estimators
    >>> X, y = make_regression(n_samples=60, n_features=2, noise=1.0, random_state=0)
    >>> result = compare_estimators(
    ...     {"ols": LinearRegression(), "mean": DummyRegressor()}, X, y,
    ...     n_runs=2, random_state=0)
    >>> display = result.plot()
    >>> isinstance(display, ComparisonDisplay)
    True
    >>> [label.get_text() for label in display.ax_.get_yticklabels()]
    ['ols', 'mean']
    """

    def __init__(self, *, names, medians, lows, highs, xlabel="median error"):
        self.names = names
        self.medians = medians
        self.lows = lows
        self.highs = highs
        self.xlabel = xlabel

    @classmethod
    def from_result(cls, result, *, ax=None, **kwargs):
        """The display of a :class:`ComparisonResult`, plotted.

        Parameters
        ----------
        result : ComparisonResult
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.errorbar`.

        Returns
        -------
        display : ComparisonDisplay

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn.linear_model import LinearRegression, Ridge
        >>> from sklearn_gum.model_selection import ComparisonDisplay, compare_estimators
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(50, 2))
        >>> y = X @ [1.0, 2.0] + rng.normal(size=50)
        >>> result = compare_estimators(
        ...     [("ols", LinearRegression()), ("ridge", Ridge())], X, y, n_runs=2)
        >>> display = ComparisonDisplay.from_result(result, color="tab:orange")
        >>> display.ax_.get_xlabel()
        'median absolute error (95% CI)'
        """
        cis = [result.median_errors[name] for name in result.names]
        display = cls(
            names=list(result.names),
            medians=np.array([ci.median for ci in cis]),
            lows=np.array([ci.low for ci in cis]),
            highs=np.array([ci.high for ci in cis]),
            xlabel=f"median {result.error} error ({result.confidence_level:.0%} CI)",
        )
        return display.plot(ax=ax, **kwargs)

    @validate_params(
        {"ax": [HasMethods(["errorbar", "set_yticks"]), None]},
        prefer_skip_nested_validation=True,
    )
    def plot(self, ax=None, **kwargs):
        """Draw the median errors and their intervals as error bars.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; a new figure when None.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.errorbar`.

        Returns
        -------
        display : ComparisonDisplay
        """
        try:
            import matplotlib.pyplot as plt
        except ImportError as exc:
            raise ImportError(
                "ComparisonResult.plot requires matplotlib: pip install matplotlib"
            ) from exc
        if ax is None:
            _, ax = plt.subplots()
        medians = np.asarray(self.medians, dtype=float)
        xerr = np.nan_to_num([medians - self.lows, self.highs - medians], posinf=0.0)
        position = np.arange(len(self.names))
        kwargs = {"fmt": "o", "capsize": 4, **kwargs}
        self.errorbar_ = ax.errorbar(medians, position, xerr=xerr, **kwargs)
        ax.set_yticks(position, labels=self.names)
        if not ax.yaxis_inverted():
            ax.invert_yaxis()
        ax.set_xlabel(self.xlabel)
        self.ax_, self.figure_ = ax, ax.figure
        return self
