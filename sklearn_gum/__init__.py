"""Robust regression with a Gaussian-Uniform Mixture of residuals.

The package never imports torch here: the skorch pieces live in
``sklearn_gum.nn``.
"""

from ._gum import GUMRegressor

__version__ = "0.1.0"

__all__ = ["GUMRegressor", "__version__"]
