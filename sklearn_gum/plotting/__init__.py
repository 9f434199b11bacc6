"""Display classes for a fitted :class:`~sklearn_gum.GUMRegressor`.

Shaped like scikit-learn's ``PredictionErrorDisplay``: ``from_estimator``
computes what to show and calls ``from_predictions``, which builds the display
and calls ``plot(ax=None, ...)``; the matplotlib artists are stored as
attributes ending in ``_``. matplotlib is imported only inside ``plot``, so
this module imports without it.
"""

from ._convergence_display import ConvergenceDisplay
from ._outlier_display import OutlierDisplay

__all__ = ["ConvergenceDisplay", "OutlierDisplay"]
