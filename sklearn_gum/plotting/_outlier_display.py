"""OutlierDisplay: residuals of a GUM fit coloured by outlier probability,
under the fitted Gaussian-uniform mixture."""

import numpy as np
from sklearn.utils._optional_dependencies import check_matplotlib_support
from sklearn.utils._plotting import _validate_style_kwargs

from ._checks import (
    check_axes,
    check_bool,
    check_gum_estimator,
    check_real_array,
    check_style_kwargs,
)
from ._outlier_inputs import check_display_values, select_group

# Style keywords the display sets itself: the scatter is coloured by the
# outlier probability through cmap.
_FORBIDDEN_STYLES = {"scatter": ("c", "color")}


def _ellipse_geometry(covariance):
    """Semi-axis lengths (for one standard deviation) and angle in degrees of
    the ellipse ``e^T Sigma^-1 e = 1`` of a 2x2 covariance, major axis first."""
    eigenvalues, eigenvectors = np.linalg.eigh(covariance)
    order = np.argsort(eigenvalues)[::-1]
    eigenvalues, eigenvectors = eigenvalues[order], eigenvectors[:, order]
    angle = np.degrees(np.arctan2(eigenvectors[1, 0], eigenvectors[0, 0]))
    return np.sqrt(np.maximum(eigenvalues, 0)), angle


def _uniform_support(residuals, flagged, volume):
    """Interval of length ``volume`` drawn for a 1-D uniform component.

    The model fixes only the volume of the uniform (its density is constant in
    the E-step); the display centres it on the middle of the span of the
    flagged residuals, or of all residuals when none is flagged.
    """
    shown = residuals[flagged] if flagged.any() else residuals
    centre = 0.5 * (shown.min() + shown.max())
    return centre - volume / 2, centre + volume / 2


def _check_n_std(n_std):
    """The Mahalanobis radii of the ellipses as a tuple of positive floats."""
    radii = np.atleast_1d(check_real_array(n_std, "n_std", ndims=(0, 1)))
    if np.any(radii <= 0):
        raise ValueError(f"n_std must hold positive radii; got {n_std!r}.")
    return tuple(radii.tolist())


def _check_bins(residuals, bins):
    """``bins`` for ``numpy.histogram`` of ``residuals``; raise, naming
    ``bins``, when numpy would reject a value the user chose.

    The default ``"auto"`` fails on residuals whose span is below the float
    resolution at their magnitude (e.g. ``1 + [0, 1e-15]``): each distinct
    value then gets its own bin.
    """
    try:
        np.histogram_bin_edges(residuals, bins=bins)
    except (TypeError, ValueError) as exc:
        if isinstance(bins, str) and bins == "auto" and np.all(np.isfinite(residuals)):
            values = np.unique(residuals)
            return np.append(values, np.nextafter(values[-1], np.inf))
        raise type(exc)(f"bins={bins!r} is not valid for numpy.histogram: {exc}") from exc
    return bins


def _check_plot_options(residuals, kind, *, cmap, n_std, bins, colorbar, styles):
    """The options of ``OutlierDisplay.plot``, checked before anything is drawn:
    the radii, the colorbar flag and the style dicts."""
    import matplotlib

    n_std = _check_n_std(n_std)
    colorbar = check_bool(colorbar, "colorbar")
    if isinstance(cmap, str) and cmap not in matplotlib.colormaps:
        raise ValueError(f"cmap={cmap!r} is not the name of a matplotlib colormap.")
    if kind != "scatter":
        bins = _check_bins(residuals[:, 0], bins)
    styles = {
        key: check_style_kwargs(value, f"{key}_kwargs", _FORBIDDEN_STYLES.get(key, ()))
        for key, value in styles.items()
    }
    return n_std, bins, colorbar, styles


def _scatter_and_hist_axes(ax, kind):
    """The Axes of the scatter and of the histogram (None where not drawn),
    in a new figure when ``ax`` is None."""
    import matplotlib.pyplot as plt

    if ax is None:
        if kind == "both":
            _, ax = plt.subplots(1, 2, figsize=(11, 4.2))
        else:
            _, ax = plt.subplots()
    if kind == "both":
        return tuple(check_axes(ax, "ax", 2, 'scatter and histogram for kind="both"'))
    (ax,) = check_axes(ax, "ax", 1, f"for kind={kind!r}")
    return (None, ax) if kind == "histogram" else (ax, None)


class OutlierDisplay:
    """Residuals of a GUM fit coloured by their outlier probability.

    Shows one group of outputs (a whole sample, one output or one landmark,
    see ``outlier_granularity``) with the fitted mixture
    ``rho N(e; 0, Sigma) + (1 - rho) / gamma`` over its residuals:

    - 1-D residuals: a scatter of the residuals against the predicted values,
      coloured by outlier probability with the flagged samples marked, and a
      density histogram of the residuals under the weighted Gaussian
      ``rho N(e; 0, sigma^2)`` and the uniform level ``(1 - rho) / gamma``;
    - 2-D residuals (e.g. the ``(x, y)`` error of a landmark): a scatter of
      the residuals coloured by outlier probability, the flagged samples
      marked, and the ellipses ``e^T Sigma^-1 e = k^2`` of the Gaussian.

    Build it with :meth:`from_estimator` or :meth:`from_predictions`. All
    parameters are stored as attributes.

    Parameters
    ----------
    residuals : ndarray of shape (n_samples, n_columns)
        ``y_true - y_pred`` on the columns of the group (1 or 2 columns shown).
    y_pred : ndarray of shape (n_samples, n_columns)
        Predicted values on the columns of the group.
    outlier_proba : ndarray of shape (n_samples,)
        Outlier probability ``1 - r_n`` of each sample for the group.
    inlier_prior : float
        ``rho`` of the group.
    covariance : ndarray of shape (n_columns, n_columns)
        ``Sigma`` of the group.
    uniform_volume : float
        ``gamma`` of the group (``inf`` when the uniform was dropped).
    threshold : float, default=0.5
        A sample is flagged when its outlier probability is at least
        ``threshold``.
    columns : ndarray of int, default=None
        Target columns of the group, used in the axis labels.

    Attributes
    ----------
    scatter_ : matplotlib PathCollection or None
        Residuals coloured by ``outlier_proba`` through ``cmap`` and a
        ``Normalize(0, 1)``; ``scatter_.get_array()`` is ``outlier_proba``.
    flagged_ : matplotlib PathCollection or None
        Markers over the flagged samples (possibly none).
    colorbar_ : matplotlib Colorbar or None
        Colour scale of the outlier probability.
    hist_ : matplotlib BarContainer or None
        Density histogram of 1-D residuals.
    gaussian_line_ : matplotlib Line2D or None
        ``rho N(e; 0, sigma^2)`` over the histogram.
    uniform_line_ : matplotlib Line2D or None
        ``(1 - rho) / gamma`` over an interval of length ``gamma``; None when
        the uniform component was dropped.
    ellipses_ : list of matplotlib Ellipse
        Ellipses of Mahalanobis radius ``k`` for each ``k`` in ``n_std``
        (2-D residuals only, otherwise empty).
    ax_ : matplotlib Axes
        Axes of the scatter (of the histogram when ``kind="histogram"``).
    ax_hist_ : matplotlib Axes or None
        Axes of the histogram.
    figure_ : matplotlib Figure
        Figure containing the plot.

    See Also
    --------
    ConvergenceDisplay : Log-likelihood and inlier share per EM iteration.
    sklearn.metrics.PredictionErrorDisplay : Residuals of any regressor.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_gum import GUMRegressor
    >>> from sklearn_gum.plotting import OutlierDisplay
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(200, 2))
    >>> y = X @ [2.0, -1.0] + rng.normal(scale=0.5, size=200)
    >>> y[:20] += 10
    >>> gum = GUMRegressor().fit(X, y)
    >>> display = OutlierDisplay.from_estimator(gum, X, y)
    >>> len(display.flagged_.get_offsets())
    21

    The 20 shifted samples and one clean sample three noise standard
    deviations from the line (residual -1.5, ``sigma`` 0.5):

    >>> int((~gum.inlier_mask_[:20]).sum()), int((~gum.inlier_mask_[20:]).sum())
    (20, 1)
    """

    def __init__(
        self,
        *,
        residuals,
        y_pred,
        outlier_proba,
        inlier_prior,
        covariance,
        uniform_volume,
        threshold=0.5,
        columns=None,
    ):
        self.residuals = residuals
        self.y_pred = y_pred
        self.outlier_proba = outlier_proba
        self.inlier_prior = inlier_prior
        self.covariance = covariance
        self.uniform_volume = uniform_volume
        self.threshold = threshold
        self.columns = columns

    def plot(
        self,
        ax=None,
        *,
        kind="auto",
        cmap="coolwarm",
        n_std=(1, 2, 3),
        bins="auto",
        colorbar=True,
        scatter_kwargs=None,
        flagged_kwargs=None,
        hist_kwargs=None,
        gaussian_kwargs=None,
        uniform_kwargs=None,
        ellipse_kwargs=None,
    ):
        """Plot the residuals and the fitted mixture.

        Parameters
        ----------
        ax : matplotlib Axes or pair of Axes, default=None
            Where to draw: one Axes for ``kind="scatter"`` or
            ``"histogram"``, two (scatter, histogram) for ``kind="both"``.
            None creates a figure.
        kind : {"auto", "both", "scatter", "histogram"}, default="auto"
            ``"auto"`` is ``"both"`` for 1-D residuals and ``"scatter"`` for
            2-D ones; the histogram exists only for 1-D residuals.
        cmap : str or matplotlib Colormap, default="coolwarm"
            Colormap of the outlier probability, normalised over [0, 1].
        n_std : float or sequence of float, default=(1, 2, 3)
            Mahalanobis radii (positive) of the ellipses drawn over 2-D
            residuals.
        bins : int, sequence or str, default="auto"
            Bins of the histogram, as in ``numpy.histogram``.
        colorbar : bool, default=True
            Whether to add a colorbar next to the scatter.
        scatter_kwargs, flagged_kwargs, hist_kwargs, gaussian_kwargs, \
uniform_kwargs, ellipse_kwargs : dict, default=None
            Keywords for matplotlib's ``scatter`` (residuals, flagged
            samples), ``hist``, ``plot`` (Gaussian, uniform) and ``Ellipse``.

        Returns
        -------
        display : OutlierDisplay
            The display, with its artists stored.
        """
        check_matplotlib_support(f"{type(self).__name__}.plot")

        # Check everything before drawing anything.
        residuals = check_display_values(self)["residuals"]
        kind = self._check_kind(kind, residuals.shape[1])
        styles = dict(
            scatter=scatter_kwargs, flagged=flagged_kwargs, hist=hist_kwargs,
            gaussian=gaussian_kwargs, uniform=uniform_kwargs, ellipse=ellipse_kwargs,
        )
        n_std, bins, colorbar, styles = _check_plot_options(
            residuals, kind, cmap=cmap, n_std=n_std, bins=bins, colorbar=colorbar,
            styles=styles,
        )
        scatter_ax, hist_ax = _scatter_and_hist_axes(ax, kind)

        self.scatter_ = self.flagged_ = self.colorbar_ = None
        self.hist_ = self.gaussian_line_ = self.uniform_line_ = None
        self.ellipses_ = []
        if scatter_ax is not None:
            self._plot_scatter(scatter_ax, residuals, cmap, n_std, colorbar, styles)
        if hist_ax is not None:
            self._plot_histogram(hist_ax, residuals[:, 0], bins, styles)
        self.ax_ = scatter_ax if scatter_ax is not None else hist_ax
        self.ax_hist_ = hist_ax
        self.figure_ = self.ax_.figure
        return self

    @staticmethod
    def _check_kind(kind, n_columns):
        if kind not in ("auto", "both", "scatter", "histogram"):
            raise ValueError(
                'kind must be "auto", "both", "scatter" or "histogram"; '
                f"got {kind!r}."
            )
        if n_columns not in (1, 2):
            raise ValueError(
                f"OutlierDisplay shows 1-D or 2-D residuals; got {n_columns} "
                "columns. Select two with from_predictions(..., dims=...)."
            )
        if kind == "auto":
            return "both" if n_columns == 1 else "scatter"
        if n_columns == 2 and kind != "scatter":
            raise ValueError(f'kind={kind!r} needs 1-D residuals; use "scatter".')
        return kind

    def _flagged(self):
        return np.asarray(self.outlier_proba) >= self.threshold

    def _labels(self, n_columns):
        columns = self.columns if self.columns is not None else np.arange(n_columns)
        return [f"residual of output {column}" for column in columns]

    def _plot_scatter(self, ax, residuals, cmap, n_std, colorbar, styles):
        """Scatter coloured by outlier probability, flagged markers, ellipses."""
        from matplotlib.colors import Normalize

        proba = np.asarray(self.outlier_proba, dtype=float)
        if residuals.shape[1] == 1:
            x = np.asarray(self.y_pred, dtype=float).reshape(len(proba), -1)[:, 0]
            y = residuals[:, 0]
            ax.axhline(0, color="black", alpha=0.5, linestyle="--", linewidth=1)
            ax.set(xlabel="predicted value", ylabel=self._labels(1)[0])
        else:
            x, y = residuals[:, 0], residuals[:, 1]
            self.ellipses_ = self._draw_ellipses(ax, n_std, styles["ellipse"])
            xlabel, ylabel = self._labels(2)
            ax.set(xlabel=xlabel, ylabel=ylabel)
            ax.set_aspect("equal", adjustable="datalim")
        scatter_kwargs = _validate_style_kwargs(
            {"cmap": cmap, "norm": Normalize(0, 1), "s": 20, "alpha": 0.9,
             "edgecolors": "none", "label": "residuals"},
            styles["scatter"],
        )
        self.scatter_ = ax.scatter(x, y, c=proba, **scatter_kwargs)
        flagged = self._flagged()
        flagged_kwargs = _validate_style_kwargs(
            {"marker": "x", "color": "black", "s": 30, "linewidths": 1,
             "label": f"flagged (proba >= {self.threshold:g}): {flagged.sum()}"},
            styles["flagged"],
        )
        self.flagged_ = ax.scatter(x[flagged], y[flagged], **flagged_kwargs)
        ax.legend(loc="best", fontsize="small")
        if colorbar:
            self.colorbar_ = ax.figure.colorbar(self.scatter_, ax=ax)
            self.colorbar_.set_label("outlier probability")

    def _draw_ellipses(self, ax, n_std, ellipse_kwargs):
        """Ellipses ``e^T Sigma^-1 e = k^2`` of the Gaussian component."""
        from matplotlib.patches import Ellipse

        semi_axes, angle = _ellipse_geometry(np.asarray(self.covariance, dtype=float))
        ellipses = []
        label = "Gaussian at " + ", ".join(f"{k:g}" for k in n_std) + " σ"
        for i, k in enumerate(n_std):
            kwargs = _validate_style_kwargs(
                {"fill": False, "edgecolor": "black", "linestyle": "--",
                 "linewidth": 1, "alpha": 0.8, "label": label if i == 0 else None},
                ellipse_kwargs,
            )
            ellipse = Ellipse(
                (0, 0), width=2 * k * semi_axes[0], height=2 * k * semi_axes[1],
                angle=angle, **kwargs,
            )
            ax.add_patch(ellipse)
            ellipses.append(ellipse)
        return ellipses

    def _plot_histogram(self, ax, residuals, bins, styles):
        """Density histogram with ``rho N(e; 0, sigma^2)`` and ``(1 - rho)/gamma``."""
        rho, gamma = float(self.inlier_prior), float(self.uniform_volume)
        sigma = float(np.sqrt(np.ravel(self.covariance)[0]))
        hist_kwargs = _validate_style_kwargs(
            {"density": True, "color": "tab:gray", "alpha": 0.5, "label": "residuals"},
            styles["hist"],
        )
        _, _, self.hist_ = ax.hist(residuals, bins=bins, **hist_kwargs)
        low = min(residuals.min(), -4 * sigma)
        high = max(residuals.max(), 4 * sigma)
        grid = np.union1d(np.linspace(low, high, 512), [0.0])
        with np.errstate(over="ignore", under="ignore"):  # far away: density 0
            density = rho * np.exp(-0.5 * (grid / sigma) ** 2) / np.sqrt(2 * np.pi * sigma**2)
        gaussian_kwargs = _validate_style_kwargs(
            {"color": "tab:blue", "linewidth": 2,
             "label": f"inliers: ρ N(0, σ²), ρ={rho:.3g}, σ={sigma:.3g}"},
            styles["gaussian"],
        )
        (self.gaussian_line_,) = ax.plot(grid, density, **gaussian_kwargs)
        if rho < 1 and np.isfinite(gamma):
            start, stop = _uniform_support(residuals, self._flagged(), gamma)
            uniform_kwargs = _validate_style_kwargs(
                {"color": "tab:red", "linewidth": 2,
                 "label": f"outliers: (1 - ρ)/γ, γ={gamma:.3g}"},
                styles["uniform"],
            )
            level = (1 - rho) / gamma
            (self.uniform_line_,) = ax.plot([start, stop], [level, level], **uniform_kwargs)
        ax.set(xlabel=self._labels(1)[0], ylabel="density")
        ax.legend(loc="best", fontsize="small")

    @classmethod
    def from_estimator(
        cls, estimator, X, y, *, group=0, dims=None, ax=None, **plot_kwargs
    ):
        """Plot the residuals of a fitted GUMRegressor on labelled data.

        Parameters
        ----------
        estimator : GUMRegressor
            Fitted estimator; its ``predict`` and ``outlier_proba`` give the
            predictions and probabilities (on the training data these equal
            ``outlier_proba_``), its fitted mixture the curves.
        X : array-like of shape (n_samples, n_features)
            Input values.
        y : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Target values.
        group : int, default=0
            Which group of ``estimator.groups_`` to show.
        dims : pair of int, default=None
            Positions, within a group of two or more columns, of the two
            columns to show, in this order (the ellipses are then those of the
            marginal Gaussian). None shows the first two.
        ax : matplotlib Axes or pair of Axes, default=None
            See :meth:`plot`.
        **plot_kwargs : dict
            Further keywords of :meth:`plot` (``kind``, ``cmap``, ``n_std``,
            ``bins``, ``colorbar`` and the ``*_kwargs`` style dicts).

        Returns
        -------
        display : OutlierDisplay

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_gum import GUMRegressor
        >>> from sklearn_gum.plotting import OutlierDisplay
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = X @ [2.0, -1.0] + rng.normal(scale=0.5, size=100)
        >>> y[:10] += 10
        >>> gum = GUMRegressor().fit(X, y)
        >>> display = OutlierDisplay.from_estimator(gum, X, y)
        >>> display.ax_.get_xlabel()
        'predicted value'
        """
        check_matplotlib_support(f"{cls.__name__}.from_estimator")
        check_gum_estimator(estimator, f"{cls.__name__}.from_estimator", None)
        return cls.from_predictions(
            y,
            estimator.predict(X),
            outlier_proba=estimator.outlier_proba(X, y),
            inlier_prior=estimator.inlier_prior_,
            covariance=estimator.covariance_,
            uniform_volume=estimator.uniform_volume_,
            threshold=estimator.threshold,
            groups=estimator.groups_,
            group=group,
            dims=dims,
            ax=ax,
            **plot_kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_pred,
        *,
        outlier_proba,
        inlier_prior,
        covariance,
        uniform_volume,
        threshold=0.5,
        groups=None,
        group=0,
        dims=None,
        ax=None,
        **plot_kwargs,
    ):
        """Plot residuals and a fitted Gaussian-uniform mixture.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,) or (n_samples, n_outputs)
            True values.
        y_pred : array-like of shape (n_samples,) or (n_samples, n_outputs)
            Predicted values.
        outlier_proba : array-like of shape (n_samples,) or (n_samples, n_groups)
            Outlier probabilities, e.g. ``outlier_proba_``.
        inlier_prior : float or array-like of shape (n_groups,)
            ``rho`` of each group, e.g. ``inlier_prior_``.
        covariance : array-like of shape (n_outputs, n_outputs)
            ``Sigma``, block-diagonal over the groups, e.g. ``covariance_``.
        uniform_volume : float or array-like of shape (n_groups,)
            ``gamma`` of each group, e.g. ``uniform_volume_``.
        threshold : float, default=0.5
            Outlier probability from which a sample is flagged.
        groups : list of array-like of int, default=None
            Target columns of each group, e.g. ``groups_``. None means one
            group of all columns when ``outlier_proba`` is 1-D, one group per
            column when it has a column per output.
        group : int, default=0
            Which group to show.
        dims : pair of int, default=None
            Positions, within a group of two or more columns, of the two
            columns to show, in this order. None shows the first two.
        ax : matplotlib Axes or pair of Axes, default=None
            See :meth:`plot`.
        **plot_kwargs : dict
            Further keywords of :meth:`plot`.

        Returns
        -------
        display : OutlierDisplay

        Examples
        --------
        >>> import numpy as np
        >>> from sklearn_gum import GUMRegressor
        >>> from sklearn_gum.plotting import OutlierDisplay
        >>> rng = np.random.RandomState(0)
        >>> X = rng.normal(size=(100, 2))
        >>> y = X @ [2.0, -1.0] + rng.normal(scale=0.5, size=100)
        >>> y[:10] += 10
        >>> gum = GUMRegressor().fit(X, y)
        >>> display = OutlierDisplay.from_predictions(
        ...     y, gum.predict(X), outlier_proba=gum.outlier_proba_,
        ...     inlier_prior=gum.inlier_prior_, covariance=gum.covariance_,
        ...     uniform_volume=gum.uniform_volume_)
        """
        check_matplotlib_support(f"{cls.__name__}.from_predictions")
        arguments = select_group(
            y_true,
            y_pred,
            outlier_proba=outlier_proba,
            inlier_prior=inlier_prior,
            covariance=covariance,
            uniform_volume=uniform_volume,
            groups=groups,
            group=group,
            dims=dims,
        )
        display = cls(**arguments, threshold=threshold)
        return display.plot(ax=ax, **plot_kwargs)
