"""Argument checks shared by the displays.

Each raises with a message that names the offending argument, before numpy
or matplotlib would fail on it with an error about their own internals.
matplotlib is imported only inside :func:`check_axes`, which ``plot`` calls
after ``check_matplotlib_support``.
"""

import numbers

import numpy as np
from sklearn.utils.validation import check_is_fitted


def check_gum_estimator(estimator, caller, attributes):
    """Raise unless ``estimator`` is a fitted GUMRegressor (by duck typing).

    Another estimator (or object) raises a TypeError naming the estimator,
    instead of an AttributeError deep in the display or, for a fitted
    LinearRegression, a NotFittedError saying that it is not fitted.
    """
    if not hasattr(estimator, "outlier_proba"):
        raise TypeError(
            f"{caller} needs a fitted GUMRegressor; got estimator="
            f"{type(estimator).__name__}, which has no outlier_proba."
        )
    check_is_fitted(estimator, attributes)


def check_real_array(values, name, *, ndims=(1, 2), allow_inf=False):
    """``values`` as a float array of one of ``ndims`` dimensions, without NaN
    (and without infinities unless ``allow_inf``)."""
    try:
        array = np.asarray(values)
        if array.dtype.kind in "USV":  # numpy would parse "1.5" as a number
            raise TypeError
        array = array.astype(np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name} must be numeric; got {values!r}.") from exc
    if array.ndim not in ndims:
        expected = " or ".join(f"{n}-D" for n in ndims)
        raise ValueError(f"{name} must be {expected}; got shape {array.shape}.")
    bad = np.isnan(array) if allow_inf else ~np.isfinite(array)
    if bad.any():
        what = "NaN" if allow_inf else "NaN or infinite values"
        raise ValueError(f"{name} contains {what} ({int(bad.sum())} of {array.size}).")
    return array


def check_in_interval(values, name, low, high):
    """Raise unless every value of ``values`` lies in ``[low, high]``."""
    values = np.asarray(values)
    outside = (values < low) | (values > high)
    if outside.any():
        first = values[outside].flat[0].item()
        raise ValueError(f"{name} must lie in [{low}, {high}]; got {first!r}.")


def check_number(value, name, *, low, high, allow_inf=False):
    """``value`` as a float in ``[low, high]`` (``high`` may be ``inf``)."""
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number; got {value!r}.")
    value = float(value)
    if np.isnan(value) or (np.isinf(value) and not allow_inf):
        raise ValueError(f"{name} must be finite; got {value!r}.")
    check_in_interval(value, name, low, high)
    return value


def check_index(value, name, size):
    """``value`` as an int in ``[0, size)``."""
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an int; got {value!r}.")
    if not 0 <= value < size:
        raise ValueError(f"{name} must be in [0, {size}); got {value}.")
    return int(value)


def check_bool(value, name):
    """``value`` as a bool; a truthy string or number is an error."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool; got {value!r}.")
    return bool(value)


def check_style_kwargs(kwargs, name, forbidden=()):
    """``kwargs`` as a dict of matplotlib keywords (None is an empty dict).

    ``forbidden`` keywords are those the display sets itself (e.g. the colour
    of a scatter coloured by probability), which matplotlib would reject as
    duplicates with an error about its own arguments.
    """
    if kwargs is None:
        return {}
    if not isinstance(kwargs, dict):
        raise TypeError(f"{name} must be a dict or None; got {kwargs!r}.")
    clash = sorted(set(kwargs).intersection(forbidden))
    if clash:
        raise ValueError(f"{name} cannot set {clash}: the display sets them.")
    return kwargs


def check_axes(ax, name, n_axes, purpose):
    """``ax`` as a list of ``n_axes`` matplotlib Axes.

    One Axes is given as itself; several as a sequence or array of Axes.
    ``purpose`` says what they are for, in the message.
    """
    from matplotlib.axes import Axes

    axes = [ax] if isinstance(ax, Axes) else np.ravel(np.asarray(ax, dtype=object))
    expected = "one matplotlib Axes" if n_axes == 1 else f"{n_axes} matplotlib Axes"
    if not all(isinstance(a, Axes) for a in axes):
        raise TypeError(f"{name} must be {expected} ({purpose}); got {ax!r}.")
    if len(axes) != n_axes:
        raise ValueError(f"{name} must be {expected} ({purpose}); got {len(axes)}.")
    return list(axes)
