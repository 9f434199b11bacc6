"""Robust regression with a Gaussian-Uniform Mixture of residuals."""

__version__ = "0.1.0"
