"""contaminate_targets: the DeepGUM outlier protocols (ngo, l-ugo, g-ugo)
applied to given targets seen as landmarks."""

import numbers

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions, validate_params
from sklearn.utils.validation import check_array

from .._validation import check_groups
from ._common import _check_spread, _n_contaminated, _NumberInterval

TARGET_KINDS = ("ngo", "l-ugo", "g-ugo")


def _check_targets(Y):
    """A float copy of ``Y``; any problem with it is reported as one of ``Y``."""
    try:
        return check_array(
            Y, ensure_2d=False, dtype=np.float64, copy=True, input_name="Y"
        )
    except (TypeError, ValueError) as exc:
        raise ValueError(
            "Y must be a finite numeric array of shape (n_samples,) or "
            f"(n_samples, n_targets) with at least one sample; {exc}"
        ) from exc


def _check_groups(groups, n_columns):
    """``groups`` checked by the package's one group validator (one group per
    column when None)."""
    if groups is None:
        return [np.array([column]) for column in range(n_columns)]
    return check_groups(groups, n_columns, name="groups", cover=False)


def _draw_mask(kind, contamination, n_samples, n_groups, generator):
    """Choose the contaminated (sample, group) entries.

    A share ``contamination`` of all entries for ``"ngo"`` and ``"l-ugo"``; every
    entry of a share ``contamination`` of the samples for ``"g-ugo"``.
    """
    mask = np.zeros((n_samples, n_groups), dtype=bool)
    if kind == "g-ugo":
        n_rows = _n_contaminated(contamination, n_samples)
        rows = generator.choice(n_samples, n_rows, replace=False)
        mask[rows] = True
    else:
        n_entries = _n_contaminated(contamination, n_samples * n_groups)
        mask.flat[generator.choice(mask.size, n_entries, replace=False)] = True
    return mask


def _scale_values(outlier_scale, kind):
    """``outlier_scale`` as a finite float array."""
    try:
        values = np.asarray(outlier_scale, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"outlier_scale must be numeric for kind={kind!r}; got {outlier_scale!r}.") from exc
    if not np.all(np.isfinite(values)):
        raise ValueError(f"outlier_scale must be finite for kind={kind!r}; got {outlier_scale!r}.")
    return values


def _gaussian_std(Y, outlier_scale):
    """Per-column std of the ``"ngo"`` displacement (default: std of Y)."""
    if outlier_scale is None:
        return Y.std(axis=0)
    std = _scale_values(outlier_scale, "ngo")
    if std.ndim > 1 or std.size not in (1, Y.shape[1]):
        raise ValueError(
            "For 'ngo' outlier_scale is a float or one value per target column "
            f"({Y.shape[1]}); got {outlier_scale!r}."
        )
    if np.any(std <= 0):
        raise ValueError(f"outlier_scale must be positive for 'ngo'; got {outlier_scale!r}.")
    return np.broadcast_to(std, Y.shape[1:])


def _uniform_box(Y, outlier_scale, kind):
    """Per-column bounds of the ``"ugo"`` box.

    Default: each column's range widened by half its width on either side.
    """
    if outlier_scale is None:
        low, high = Y.min(axis=0), Y.max(axis=0)
        half_width = high - low
        return low - half_width / 2, high + half_width / 2
    bounds = _scale_values(outlier_scale, kind)
    if bounds.ndim not in (1, 2) or bounds.shape[0] != 2 or (
        bounds.ndim == 2 and bounds.shape[1] not in (1, Y.shape[1])
    ):
        raise ValueError(
            "For the 'ugo' protocols outlier_scale is the box (low, high), of shape (2,) "
            f"or (2, n_targets={Y.shape[1]}); got {outlier_scale!r}."
        )
    low, high = (np.broadcast_to(bound, Y.shape[1:]) for bound in bounds)
    if np.any(low > high):
        raise ValueError(f"The box outlier_scale=(low, high) needs low <= high; got {outlier_scale!r}.")
    return low, high


def _check_default_scale(Y, mask, groups, kind):
    """With ``outlier_scale=None`` the grouped columns must have a spread to scale by."""
    if not mask.any():
        return
    columns = np.concatenate(groups)
    remedy = "Pass outlier_scale (the std for 'ngo', the box (low, high) for 'ugo')."
    if kind == "ngo":
        _check_spread(Y.std(axis=0), columns, "standard deviation", remedy)
    else:
        _check_spread(np.ptp(Y, axis=0), columns, "range", remedy)


def _contaminate_groups(Y, mask, groups, kind, outlier_scale, generator):
    """Displace (``"ngo"``) or replace (``"ugo"``) the masked entries in place."""
    if outlier_scale is None:
        _check_default_scale(Y, mask, groups, kind)
    if kind == "ngo":
        std = _gaussian_std(Y, outlier_scale)
    else:
        low, high = _uniform_box(Y, outlier_scale, kind)
    for g, columns in enumerate(groups):
        rows = np.flatnonzero(mask[:, g])
        block = np.ix_(rows, columns)
        size = (rows.size, columns.size)
        if kind == "ngo":
            Y[block] += std[columns] * generator.standard_normal(size)
        else:
            Y[block] = generator.uniform(low[columns], high[columns], size)


@validate_params(
    {
        "Y": ["array-like"],
        "kind": [StrOptions(set(TARGET_KINDS))],
        "contamination": [_NumberInterval(numbers.Real, 0, 1, closed="both")],
        "groups": [list, tuple, None],
        "outlier_scale": [
            _NumberInterval(numbers.Real, 0, None, closed="neither"),
            "array-like",
            None,
        ],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def contaminate_targets(
    Y, *, kind, contamination, groups=None, outlier_scale=None, random_state=None
):
    """Contaminate targets with the outlier protocols of the DeepGUM paper.

    The targets are seen as landmarks: each group of columns (e.g. the
    ``(x, y)`` columns of one point) of each sample is one landmark, and a
    landmark is contaminated as a whole. The protocols are:

    - ``"ngo"`` (normally generated outliers): a share ``contamination`` of all
      landmarks, chosen at random among the ``(sample, group)`` entries, are
      displaced by centred Gaussian noise of standard deviation ``outlier_scale``.
    - ``"l-ugo"`` (local uniformly generated outliers): a share ``contamination``
      of all landmarks are *replaced* by values drawn uniformly in the box
      ``outlier_scale``, independently of their old values.
    - ``"g-ugo"`` (global uniformly generated outliers): *all* the landmarks
      of a share ``contamination`` of the samples are replaced by values drawn
      uniformly in the box ``outlier_scale``.

    Exactly ``round(contamination * n_samples * n_groups)`` landmarks (``"ngo"``,
    ``"l-ugo"``) or ``round(contamination * n_samples)`` samples (``"g-ugo"``) are
    contaminated. Columns outside every group are left untouched.

    Parameters
    ----------
    Y : array-like of shape (n_samples,) or (n_samples, n_targets)
        The clean targets. Never modified.

    kind : {"ngo", "l-ugo", "g-ugo"}
        The contamination protocol (see above).

    contamination : float
        The share of landmarks (``"ngo"``, ``"l-ugo"``) or of samples
        (``"g-ugo"``) to contaminate, in ``[0, 1]``.

    groups : list of list of int, default=None
        The columns of each landmark, e.g. ``[[0, 1], [2, 3]]`` for two 2-D
        points. Groups must not overlap. ``None`` makes each column its own
        group.

    outlier_scale : float, array-like or None, default=None
        For ``"ngo"``, the standard deviation of the displacement, a float or
        one value per column; ``None`` means the standard deviation of each
        column of ``Y``. For ``"l-ugo"`` and ``"g-ugo"``, the box
        ``(low, high)`` of the uniform values, each bound a float or one
        value per column (shape ``(2,)`` or ``(2, n_targets)``); ``None``
        means each column's range widened by half its width on either side,
        i.e. twice the range with the same centre.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation. Pass an int for reproducible
        output across multiple function calls.

    Returns
    -------
    Y_contaminated : ndarray of shape (n_samples,) or (n_samples, n_targets)
        A contaminated copy of ``Y``, of float dtype.

    mask : ndarray of shape (n_samples, n_groups), dtype=bool
        True for the contaminated landmarks; whole rows for ``"g-ugo"``. Of
        shape ``(n_samples,)`` when ``Y`` is 1-D.

    See Also
    --------
    make_contaminated_regression : Generate a contaminated regression problem.

    References
    ----------
    .. [1] S. Lathuilière, P. Mesejo, X. Alameda-Pineda and R. Horaud,
       "DeepGUM: Learning Deep Robust Regression with a Gaussian-Uniform
       Mixture Model", ECCV 2018.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_gum.datasets import contaminate_targets
    >>> Y = np.arange(20.0).reshape(5, 4)
    >>> Y_out, mask = contaminate_targets(
    ...     Y, kind="g-ugo", contamination=0.4, groups=[[0, 1], [2, 3]], random_state=0)
    >>> mask.shape
    (5, 2)
    >>> mask.all(axis=1).tolist()
    [True, False, True, False, False]
    >>> bool(np.array_equal(Y_out[[1, 3, 4]], Y[[1, 3, 4]]))
    True
    """
    generator = check_random_state(random_state)
    Y = _check_targets(Y)
    Y_2d = Y.reshape(len(Y), -1)  # a view of the copy
    groups = _check_groups(groups, Y_2d.shape[1])
    mask = _draw_mask(kind, contamination, Y_2d.shape[0], len(groups), generator)
    _contaminate_groups(Y_2d, mask, groups, kind, outlier_scale, generator)
    return Y, (mask.ravel() if Y.ndim == 1 else mask)
