"""ConvergenceDisplay: the EM history of a GUM fit."""

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils._plotting import _validate_style_kwargs

from ._checks import (
    check_axes,
    check_bool,
    check_gum_estimator,
    check_in_interval,
    check_real_array,
    check_style_kwargs,
)

# Beyond this magnitude matplotlib's padded axis limits and ticks overflow.
MAX_LOG_LIKELIHOOD = 1e300


def _check_history(log_likelihood, inlier_share, converged):
    """The two histories as finite 1-D arrays of one length, with the inlier
    share in [0, 1], and ``converged`` as None or a bool."""
    log_likelihood = check_real_array(log_likelihood, "log_likelihood", ndims=(1,))
    inlier_share = check_real_array(inlier_share, "inlier_share", ndims=(1,))
    if len(log_likelihood) == 0:
        raise ValueError("log_likelihood is empty; it starts with iteration 0.")
    if len(inlier_share) != len(log_likelihood):
        raise ValueError(
            f"log_likelihood has {len(log_likelihood)} values and inlier_share "
            f"{len(inlier_share)}; both hold one per iteration, from 0."
        )
    check_in_interval(inlier_share, "inlier_share", 0, 1)
    largest = np.max(np.abs(log_likelihood))
    if largest > MAX_LOG_LIKELIHOOD:
        raise ValueError(
            f"log_likelihood reaches {largest:.3g} in magnitude: beyond "
            f"{MAX_LOG_LIKELIHOOD:.0e} matplotlib's axis limits and ticks overflow "
            "float64. A mean log-likelihood per sample that large means the "
            "targets' units are extreme: rescale y."
        )
    if converged is not None:
        converged = check_bool(converged, "converged")
    return log_likelihood, inlier_share, converged


class ConvergenceDisplay:
    """Mean log-likelihood and inlier share per EM iteration of a GUM fit.

    Iteration 0 is the start; the log-likelihood is drawn on the left axis,
    the share of inliers on a twin right axis. Build it with
    :meth:`from_estimator`.

    Parameters
    ----------
    log_likelihood : ndarray of shape (n_iter + 1,)
        Mean log-likelihood per sample at the start and after each iteration.
    inlier_share : ndarray of shape (n_iter + 1,)
        Share of the samples (and groups) below the outlier threshold.
    converged : bool, default=None
        Whether EM converged, shown in the title when known.

    Attributes
    ----------
    log_likelihood_line_ : matplotlib Line2D
        The log-likelihood per iteration.
    inlier_share_line_ : matplotlib Line2D
        The inlier share per iteration.
    ax_ : matplotlib Axes
        Axes of the log-likelihood.
    ax_share_ : matplotlib Axes
        Twin Axes of the inlier share.
    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    OutlierDisplay : Residuals coloured by outlier probability.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_gum import GUMRegressor
    >>> from sklearn_gum.plotting import ConvergenceDisplay
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = X @ [2.0, -1.0] + rng.normal(scale=0.5, size=200)
    >>> y[:20] += 10
    >>> gum = GUMRegressor().fit(X, y)
    >>> display = ConvergenceDisplay.from_estimator(gum)
    >>> display.ax_.get_title() == f"EM converged after {gum.n_iter_} iterations"
    True
    """

    def __init__(self, *, log_likelihood, inlier_share, converged=None):
        self.log_likelihood = log_likelihood
        self.inlier_share = inlier_share
        self.converged = converged

    def plot(self, ax=None, *, log_likelihood_kwargs=None, inlier_share_kwargs=None):
        """Plot the EM history.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes for the log-likelihood (its twin gets the inlier share).
            None creates a figure.
        log_likelihood_kwargs, inlier_share_kwargs : dict, default=None
            Keywords of matplotlib's ``plot`` for each line.

        Returns
        -------
        display : ConvergenceDisplay
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")
        import matplotlib.pyplot as plt

        log_likelihood, inlier_share, converged = _check_history(
            self.log_likelihood, self.inlier_share, self.converged
        )
        ll_kwargs = _validate_style_kwargs(
            {"color": "tab:blue", "marker": "o", "label": "mean log-likelihood"},
            check_style_kwargs(log_likelihood_kwargs, "log_likelihood_kwargs"),
        )
        share_kwargs = _validate_style_kwargs(
            {"color": "tab:orange", "marker": "s", "linestyle": "--",
             "label": "inlier share"},
            check_style_kwargs(inlier_share_kwargs, "inlier_share_kwargs"),
        )
        if ax is None:
            _, ax = plt.subplots()
        (ax,) = check_axes(ax, "ax", 1, "its twin gets the inlier share")
        iterations = np.arange(len(log_likelihood))
        (self.log_likelihood_line_,) = ax.plot(iterations, log_likelihood, **ll_kwargs)
        ax_share = ax.twinx()
        (self.inlier_share_line_,) = ax_share.plot(iterations, inlier_share, **share_kwargs)
        ax.set(xlabel="EM iteration", ylabel="mean log-likelihood per sample")
        ax_share.set(ylabel="inlier share", ylim=(0, 1.02))
        ax.xaxis.get_major_locator().set_params(integer=True)
        lines = [self.log_likelihood_line_, self.inlier_share_line_]
        ax.legend(lines, [line.get_label() for line in lines], loc="lower right")
        if converged is not None:
            state = "converged" if converged else "did not converge"
            ax.set_title(f"EM {state} after {len(iterations) - 1} iterations")
        self.ax_, self.ax_share_, self.figure_ = ax, ax_share, ax.figure
        return self

    @classmethod
    def from_estimator(cls, estimator, *, ax=None, **plot_kwargs):
        """Plot the EM history of a fitted GUMRegressor.

        Parameters
        ----------
        estimator : GUMRegressor
            Fitted estimator; its ``history_`` and ``converged_`` are shown.
        ax : matplotlib Axes, default=None
            See :meth:`plot`.
        **plot_kwargs : dict
            Further keywords of :meth:`plot`.

        Returns
        -------
        display : ConvergenceDisplay

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_gum import GUMRegressor
        >>> from sklearn_gum.plotting import ConvergenceDisplay
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = X @ [2.0, -1.0] + rng.normal(scale=0.5, size=100)
        >>> y[:10] += 10
        >>> gum = GUMRegressor().fit(X, y)
        >>> display = ConvergenceDisplay.from_estimator(gum)
        >>> len(display.log_likelihood) == gum.n_iter_ + 1
        True
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_gum_estimator(estimator, f"{cls.__name__}.from_estimator", "history_")
        display = cls(
            log_likelihood=estimator.history_["log_likelihood"],
            inlier_share=estimator.history_["inlier_share"],
            converged=getattr(estimator, "converged_", None),
        )
        return display.plot(ax=ax, **plot_kwargs)
