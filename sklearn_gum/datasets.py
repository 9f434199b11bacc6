"""Data sets for robust regression, with ground-truth outlier masks.

Two kinds of data live here:

- generators of contaminated data in the style of
  :func:`sklearn.datasets.make_regression`: :func:`make_contaminated_regression`
  draws a linear regression problem and replaces a share of it by outliers, and
  :func:`contaminate_targets` corrupts given (e.g. landmark) targets with the
  protocols of the DeepGUM paper;
- loaders of the classic small robust-regression data sets shipped with the
  package as CSV files (:func:`load_hbk`, :func:`load_stackloss`,
  :func:`load_stars_cyg`, :func:`load_wood`), each with the outliers known from
  the literature.
"""

import numbers
from importlib import resources

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params
from sklearn.utils.validation import check_array

__all__ = [
    "contaminate_targets",
    "load_hbk",
    "load_stackloss",
    "load_stars_cyg",
    "load_starsCYG",
    "load_wood",
    "make_contaminated_regression",
]

REGRESSION_KINDS = ("uniform", "gaussian", "shift", "leverage")
TARGET_KINDS = ("ngo", "l-ugo", "g-ugo")

# Range of the uniform distribution of the true coefficients.
_COEF_BOUND = 5.0
# Default displacement of "gaussian", "shift" and "leverage" outliers, in
# standard deviations of the clean target.
_DEFAULT_SCALE_IN_STD = 5.0
# Standard deviation of the leverage cluster around its centre.
_LEVERAGE_SPREAD = 0.5


def _n_contaminated(fraction, n):
    """Number of contaminated items: ``round(fraction * n)``."""
    return int(round(fraction * n))


# --------------------------------------------------------------------------
# make_contaminated_regression
# --------------------------------------------------------------------------


def _replace_uniform(y, rows, generator):
    """Replace ``y[rows]`` by uniform values over three times the clean range.

    The range is that of every sample of each column, taken before any
    replacement, and the wider interval has the same centre.
    """
    low, high = y.min(axis=0), y.max(axis=0)
    centre, width = (low + high) / 2, high - low
    size = (rows.size, y.shape[1])
    y[rows] = generator.uniform(centre - 1.5 * width, centre + 1.5 * width, size)


def _move_to_leverage_cluster(X, y, coef, rows, generator, offset, distance):
    """Move ``X[rows]`` to a far cluster and put their targets off the model.

    The cluster is centred at ``distance`` along a random unit direction, with
    isotropic spread ``_LEVERAGE_SPREAD``; the new targets are the true model
    at the new points, the rows' own noise, plus ``offset``.
    """
    residual = y[rows] - X[rows] @ coef
    direction = generator.standard_normal(X.shape[1])
    direction /= np.linalg.norm(direction)
    spread = _LEVERAGE_SPREAD * generator.standard_normal((rows.size, X.shape[1]))
    X[rows] = distance * direction + spread
    y[rows] = X[rows] @ coef + residual + offset


def _contaminate_regression(X, y, coef, rows, kind, scale, distance, generator):
    """Apply the outlier ``kind`` to ``rows`` of ``X`` and ``y`` in place."""
    if scale is None:
        scale = _DEFAULT_SCALE_IN_STD * y.std(axis=0)
    if kind == "uniform":
        _replace_uniform(y, rows, generator)
    elif kind == "gaussian":
        y[rows] += scale * generator.standard_normal((rows.size, y.shape[1]))
    elif kind == "shift":
        y[rows] += scale
    else:
        _move_to_leverage_cluster(X, y, coef, rows, generator, scale, distance)


@validate_params(
    {
        "n_samples": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_features": [Interval(numbers.Integral, 1, None, closed="left")],
        "n_targets": [Interval(numbers.Integral, 1, None, closed="left")],
        "contamination": [Interval(numbers.Real, 0, 1, closed="left")],
        "kind": [StrOptions(set(REGRESSION_KINDS))],
        "noise": [Interval(numbers.Real, 0, None, closed="left")],
        "scale": [Interval(numbers.Real, 0, None, closed="neither"), None],
        "leverage_distance": [Interval(numbers.Real, 0, None, closed="neither")],
        "random_state": ["random_state"],
        "return_outlier_mask": ["boolean"],
        "coef": ["boolean"],
    },
    prefer_skip_nested_validation=True,
)
def make_contaminated_regression(
    n_samples=1000,
    n_features=10,
    n_targets=1,
    *,
    contamination=0.2,
    kind="uniform",
    noise=0.5,
    scale=None,
    leverage_distance=10.0,
    random_state=None,
    return_outlier_mask=False,
    coef=False,
):
    """Generate a linear regression problem with a share of outliers.

    The clean data follow ``y = X @ coef + e``: the features are standard
    normal, the coefficients are drawn uniformly in ``[-5, 5]`` and the noise
    ``e`` is centred Gaussian with standard deviation ``noise``. Then
    ``round(contamination * n_samples)`` samples, chosen at random, are made
    outliers according to ``kind``:

    - ``"uniform"``: their targets are replaced by values drawn uniformly over
      three times the target range, centred on the clean range (per target
      column). About a third of them fall inside the clean range.
    - ``"gaussian"``: their targets are displaced by centred Gaussian noise of
      standard deviation ``scale``.
    - ``"shift"``: their targets are shifted up by ``scale`` (one-sided).
    - ``"leverage"``: bad leverage points. Their features are moved to a
      cluster centred at distance ``leverage_distance`` from the origin, along
      a random direction, with spread 0.5 per feature; their targets follow
      the true model at the new points plus their noise, plus ``scale``, so
      they lie far in the feature space *and* off the regression hyperplane.

    Parameters
    ----------
    n_samples : int, default=1000
        The number of samples.

    n_features : int, default=10
        The number of features.

    n_targets : int, default=1
        The number of regression targets.

    contamination : float, default=0.2
        The share of outlying samples, in ``[0, 1)``.

    kind : {"uniform", "gaussian", "shift", "leverage"}, default="uniform"
        How the outliers are generated (see above).

    noise : float, default=0.5
        The standard deviation of the Gaussian noise of the clean data.

    scale : float, default=None
        The size of the contamination: the standard deviation of the
        displacement for ``"gaussian"``, the shift for ``"shift"``, the offset
        from the hyperplane for ``"leverage"``. ``None`` means five times the
        standard deviation of the clean target, per target column. Ignored
        for ``"uniform"``.

    leverage_distance : float, default=10.0
        The distance from the origin of the centre of the leverage cluster.
        Only used for ``"leverage"``.

    random_state : int, RandomState instance or None, default=None
        Determines random number generation for the data set. Pass an int
        for reproducible output across multiple function calls.

    return_outlier_mask : bool, default=False
        If True, also return the mask of the outlying samples.

    coef : bool, default=False
        If True, also return the coefficients of the clean linear model.

    Returns
    -------
    X : ndarray of shape (n_samples, n_features)
        The input samples.

    y : ndarray of shape (n_samples,) or (n_samples, n_targets)
        The targets, 1-D when ``n_targets == 1``.

    outlier_mask : ndarray of shape (n_samples,), dtype=bool
        True for the outlying samples. Only returned if
        ``return_outlier_mask`` is True.

    coef : ndarray of shape (n_features,) or (n_features, n_targets)
        The coefficients of the clean linear model. Only returned if ``coef``
        is True.

    See Also
    --------
    sklearn.datasets.make_regression : Generate a clean regression problem.
    contaminate_targets : Contaminate given targets with landmark protocols.

    Notes
    -----
    The clean data (``X``, ``coef`` and the clean ``y``) are drawn first, so
    for a given ``random_state`` they do not depend on ``contamination``,
    ``kind`` or ``scale``: the inliers of two calls that differ only in these
    are identical, and ``contamination=0`` gives the clean data.

    The ``"uniform"`` protocol is that of the core benchmark: a share of the
    targets replaced by uniform values over three times the target range.

    Examples
    --------
    >>> from sklearn_gum.datasets import make_contaminated_regression
    >>> X, y, mask, coef = make_contaminated_regression(
    ...     n_samples=100, n_features=3, contamination=0.1, random_state=0,
    ...     return_outlier_mask=True, coef=True)
    >>> X.shape, y.shape, coef.shape
    ((100, 3), (100,), (3,))
    >>> int(mask.sum())
    10
    """
    generator = check_random_state(random_state)
    X = generator.standard_normal((n_samples, n_features))
    ground_truth = generator.uniform(-_COEF_BOUND, _COEF_BOUND, (n_features, n_targets))
    y = X @ ground_truth + noise * generator.standard_normal((n_samples, n_targets))

    n_outliers = _n_contaminated(contamination, n_samples)
    rows = np.sort(generator.choice(n_samples, n_outliers, replace=False))
    _contaminate_regression(
        X, y, ground_truth, rows, kind, scale, leverage_distance, generator
    )
    outlier_mask = np.zeros(n_samples, dtype=bool)
    outlier_mask[rows] = True

    if n_targets == 1:
        y, ground_truth = y.ravel(), ground_truth.ravel()
    result = [X, y]
    if return_outlier_mask:
        result.append(outlier_mask)
    if coef:
        result.append(ground_truth)
    return tuple(result)


# --------------------------------------------------------------------------
# contaminate_targets
# --------------------------------------------------------------------------


def _check_groups(groups, n_columns):
    """Validate ``groups`` and return it as a list of integer index arrays."""
    if groups is None:
        return [np.array([column]) for column in range(n_columns)]
    checked, seen = [], set()
    for group in groups:
        group = np.asarray(group)
        if group.ndim != 1 or group.size == 0 or group.dtype.kind not in "iu":
            raise ValueError(
                "groups must be a list of non-empty lists of column indices; "
                f"got {group!r}."
            )
        if group.min() < 0 or group.max() >= n_columns:
            raise ValueError(
                f"groups hold column indices in [0, {n_columns}); got {group!r}."
            )
        if seen.intersection(group.tolist()):
            raise ValueError("A column cannot belong to two groups.")
        seen.update(group.tolist())
        checked.append(group)
    return checked


def _draw_mask(kind, fraction, n_samples, n_groups, generator):
    """Choose the contaminated (sample, group) entries.

    A share ``fraction`` of all entries for ``"ngo"`` and ``"l-ugo"``; every
    entry of a share ``fraction`` of the samples for ``"g-ugo"``.
    """
    mask = np.zeros((n_samples, n_groups), dtype=bool)
    if kind == "g-ugo":
        n_rows = _n_contaminated(fraction, n_samples)
        rows = generator.choice(n_samples, n_rows, replace=False)
        mask[rows] = True
    else:
        n_entries = _n_contaminated(fraction, n_samples * n_groups)
        mask.flat[generator.choice(mask.size, n_entries, replace=False)] = True
    return mask


def _gaussian_std(Y, scale):
    """Per-column std of the ``"ngo"`` displacement (default: std of Y)."""
    if scale is None:
        return Y.std(axis=0)
    std = np.broadcast_to(np.asarray(scale, dtype=np.float64), Y.shape[1:])
    if np.any(std <= 0):
        raise ValueError(f"scale must be positive for 'ngo'; got {scale!r}.")
    return std


def _uniform_box(Y, scale):
    """Per-column bounds of the ``"ugo"`` box.

    Default: each column's range widened by half its width on either side.
    """
    if scale is None:
        low, high = Y.min(axis=0), Y.max(axis=0)
        half_width = high - low
        return low - half_width / 2, high + half_width / 2
    bounds = np.asarray(scale, dtype=np.float64)
    if bounds.ndim == 0 or bounds.shape[0] != 2:
        raise ValueError(
            "For the 'ugo' protocols scale is the box (low, high), of shape (2,) "
            f"or (2, n_targets); got {scale!r}."
        )
    low, high = (np.broadcast_to(bound, Y.shape[1:]) for bound in bounds)
    if np.any(low > high):
        raise ValueError(f"The box scale=(low, high) needs low <= high; got {scale!r}.")
    return low, high


def _contaminate_groups(Y, mask, groups, kind, scale, generator):
    """Displace (``"ngo"``) or replace (``"ugo"``) the masked entries in place."""
    if kind == "ngo":
        std = _gaussian_std(Y, scale)
    else:
        low, high = _uniform_box(Y, scale)
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
        "fraction": [Interval(numbers.Real, 0, 1, closed="both")],
        "groups": [list, tuple, None],
        "scale": [
            Interval(numbers.Real, 0, None, closed="neither"),
            "array-like",
            None,
        ],
        "random_state": ["random_state"],
    },
    prefer_skip_nested_validation=True,
)
def contaminate_targets(
    Y, *, kind, fraction, groups=None, scale=None, random_state=None
):
    """Contaminate targets with the outlier protocols of the DeepGUM paper.

    The targets are seen as landmarks: each group of columns (e.g. the
    ``(x, y)`` columns of one point) of each sample is one landmark, and a
    landmark is contaminated as a whole. The protocols are:

    - ``"ngo"`` (normally generated outliers): a share ``fraction`` of all
      landmarks, chosen at random among the ``(sample, group)`` entries, are
      displaced by centred Gaussian noise of standard deviation ``scale``.
    - ``"l-ugo"`` (local uniformly generated outliers): a share ``fraction``
      of all landmarks are *replaced* by values drawn uniformly in the box
      ``scale``, independently of their old values.
    - ``"g-ugo"`` (global uniformly generated outliers): *all* the landmarks
      of a share ``fraction`` of the samples are replaced by values drawn
      uniformly in the box ``scale``.

    Exactly ``round(fraction * n_samples * n_groups)`` landmarks (``"ngo"``,
    ``"l-ugo"``) or ``round(fraction * n_samples)`` samples (``"g-ugo"``) are
    contaminated. Columns outside every group are left untouched.

    Parameters
    ----------
    Y : array-like of shape (n_samples,) or (n_samples, n_targets)
        The clean targets. Never modified.

    kind : {"ngo", "l-ugo", "g-ugo"}
        The contamination protocol (see above).

    fraction : float
        The share of landmarks (``"ngo"``, ``"l-ugo"``) or of samples
        (``"g-ugo"``) to contaminate, in ``[0, 1]``.

    groups : list of list of int, default=None
        The columns of each landmark, e.g. ``[[0, 1], [2, 3]]`` for two 2-D
        points. Groups must not overlap. ``None`` makes each column its own
        group.

    scale : float, array-like or None, default=None
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
    ...     Y, kind="g-ugo", fraction=0.4, groups=[[0, 1], [2, 3]], random_state=0)
    >>> mask.shape
    (5, 2)
    >>> mask.all(axis=1).tolist()
    [True, False, True, False, False]
    >>> bool(np.array_equal(Y_out[[1, 3, 4]], Y[[1, 3, 4]]))
    True
    """
    generator = check_random_state(random_state)
    Y = check_array(Y, ensure_2d=False, dtype=np.float64, copy=True)
    Y_2d = Y.reshape(len(Y), -1)  # a view of the copy
    groups = _check_groups(groups, Y_2d.shape[1])
    mask = _draw_mask(kind, fraction, Y_2d.shape[0], len(groups), generator)
    _contaminate_groups(Y_2d, mask, groups, kind, scale, generator)
    return Y, (mask.ravel() if Y.ndim == 1 else mask)


# --------------------------------------------------------------------------
# Classic data sets
# --------------------------------------------------------------------------


def _read_resource(filename):
    """Text of a file of ``sklearn_gum/data``."""
    return resources.files("sklearn_gum").joinpath("data", filename).read_text()


def _to_frame(data, target, feature_names, target_name):
    """pandas versions of ``data`` and ``target``, and both in one frame."""
    import pandas as pd

    X = pd.DataFrame(data, columns=feature_names)
    y = pd.Series(target, name=target_name)
    return pd.concat([X, y], axis=1), X, y


def _load_classic(name, outlier_rows, *, return_X_y, as_frame, **extra_masks):
    """Load ``data/<name>.csv`` (last column: the target) into a Bunch.

    ``outlier_rows`` and the values of ``extra_masks`` are 0-based row indices,
    returned as boolean masks.
    """
    header, *lines = _read_resource(f"{name}.csv").splitlines()
    names = header.split(",")
    values = np.array([line.split(",") for line in lines], dtype=np.float64)
    data, target = values[:, :-1], values[:, -1]

    frame = None
    if as_frame:
        frame, data, target = _to_frame(data, target, names[:-1], names[-1])
    if return_X_y:
        return data, target

    row_ids = np.arange(len(values))
    masks = {key: np.isin(row_ids, rows) for key, rows in extra_masks.items()}
    return Bunch(
        data=data,
        target=target,
        frame=frame,
        feature_names=names[:-1],
        target_names=names[-1:],
        outlier_mask=np.isin(row_ids, outlier_rows),
        DESCR=_read_resource(f"{name}.rst"),
        **masks,
    )


_LOADER_PARAMS = {"return_X_y": ["boolean"], "as_frame": ["boolean"]}


@validate_params(_LOADER_PARAMS, prefer_skip_nested_validation=True)
def load_hbk(*, return_X_y=False, as_frame=False):
    """Load the Hawkins-Bradu-Kass artificial data (regression).

    ==============   =======================================
    Samples total    75
    Dimensionality   3
    Features         real, 0 <= x <= 37
    Targets          real, -1 <= y <= 10.8
    Outliers         rows 0-9 (bad leverage points)
    ==============   =======================================

    Observations 1-10 (0-based rows 0-9) lie far from the regression
    hyperplane of the bulk: they are the bad leverage points, the regression
    outliers, and form ``outlier_mask``. Observations 11-14 are good leverage
    points, outlying in the features but close to the hyperplane;
    ``leverage_mask`` marks all 14 points outlying in the features.

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame, ``target`` a Series and
        ``frame`` a DataFrame of both (requires pandas).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        data : {ndarray, DataFrame} of shape (75, 3)
            The features ``X1``, ``X2``, ``X3``.
        target : {ndarray, Series} of shape (75,)
            The target ``Y``.
        outlier_mask : ndarray of shape (75,), dtype=bool
            True for the bad leverage points, rows 0-9.
        leverage_mask : ndarray of shape (75,), dtype=bool
            True for the bad and good leverage points, rows 0-13.
        feature_names : list of str
            The names of the features.
        target_names : list of str
            The name of the target.
        frame : DataFrame of shape (75, 4) or None
            Features and target together, only if ``as_frame=True``.
        DESCR : str
            The description: source, references and what the outliers are.

    (data, target) : tuple if ``return_X_y`` is True
        The features and the target.

    References
    ----------
    .. [1] D. M. Hawkins, D. Bradu and G. V. Kass, "Location of several
       outliers in multiple regression data using elemental sets",
       Technometrics 26, 197-208, 1984.
    .. [2] P. J. Rousseeuw and A. M. Leroy, "Robust Regression and Outlier
       Detection", Wiley, 1987, p. 94.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_gum.datasets import load_hbk
    >>> hbk = load_hbk()
    >>> hbk.data.shape
    (75, 3)
    >>> hbk.data[0].tolist(), float(hbk.target[0])
    ([10.1, 19.6, 28.3], 9.7)
    >>> np.flatnonzero(hbk.outlier_mask).tolist()
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]
    >>> int(hbk.leverage_mask.sum())
    14
    """
    return _load_classic(
        "hbk",
        outlier_rows=np.arange(10),
        leverage_mask=np.arange(14),
        return_X_y=return_X_y,
        as_frame=as_frame,
    )


@validate_params(_LOADER_PARAMS, prefer_skip_nested_validation=True)
def load_stackloss(*, return_X_y=False, as_frame=False):
    """Load Brownlee's stack loss plant data (regression).

    ==============   =======================================
    Samples total    21
    Dimensionality   3
    Features         integer, 17 <= x <= 93
    Targets          integer, 7 <= y <= 42
    Outliers         rows 0, 2, 3 and 20
    ==============   =======================================

    Observations 1, 3, 4 and 21 (0-based rows 0, 2, 3 and 20) are the
    outliers found by Daniel and Wood (1971) and by robust fits; observation
    2, flagged by some analyses, is not marked.

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame, ``target`` a Series and
        ``frame`` a DataFrame of both (requires pandas).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        data : {ndarray, DataFrame} of shape (21, 3)
            The features ``Air.Flow``, ``Water.Temp``, ``Acid.Conc.``.
        target : {ndarray, Series} of shape (21,)
            The target ``stack.loss``.
        outlier_mask : ndarray of shape (21,), dtype=bool
            True for rows 0, 2, 3 and 20.
        feature_names : list of str
            The names of the features.
        target_names : list of str
            The name of the target.
        frame : DataFrame of shape (21, 4) or None
            Features and target together, only if ``as_frame=True``.
        DESCR : str
            The description: source, references and what the outliers are.

    (data, target) : tuple if ``return_X_y`` is True
        The features and the target.

    References
    ----------
    .. [1] K. A. Brownlee, "Statistical Theory and Methodology in Science and
       Engineering", Wiley, 2nd ed., 1965, pp. 491-500.
    .. [2] C. Daniel and F. S. Wood, "Fitting Equations to Data", Wiley, 1971.

    Examples
    --------
    >>> from sklearn_gum.datasets import load_stackloss
    >>> X, y = load_stackloss(return_X_y=True)
    >>> X[0].tolist(), float(y[0])
    ([80.0, 27.0, 89.0], 42.0)
    >>> load_stackloss().feature_names
    ['Air.Flow', 'Water.Temp', 'Acid.Conc.']
    """
    return _load_classic(
        "stackloss",
        outlier_rows=[0, 2, 3, 20],
        return_X_y=return_X_y,
        as_frame=as_frame,
    )


@validate_params(_LOADER_PARAMS, prefer_skip_nested_validation=True)
def load_stars_cyg(*, return_X_y=False, as_frame=False):
    """Load the Hertzsprung-Russell data of the star cluster CYG OB1.

    ==============   =======================================
    Samples total    47
    Dimensionality   1
    Features         real, 3.48 <= x <= 4.62
    Targets          real, 3.94 <= y <= 6.29
    Outliers         rows 10, 19, 29 and 33 (the giants)
    ==============   =======================================

    The feature is ``log.Te``, the log of the surface temperature of the star,
    the target ``log.light``, the log of its light intensity. The four giants,
    observations 11, 20, 30 and 34 (0-based rows 10, 19, 29 and 33), are bad
    leverage points and form ``outlier_mask``. Observations 7 and 9, sometimes
    also flagged, are not marked.

    ``load_starsCYG`` is an alias, after the R name of the data set.

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame, ``target`` a Series and
        ``frame`` a DataFrame of both (requires pandas).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        data : {ndarray, DataFrame} of shape (47, 1)
            The feature ``log.Te``.
        target : {ndarray, Series} of shape (47,)
            The target ``log.light``.
        outlier_mask : ndarray of shape (47,), dtype=bool
            True for the giants, rows 10, 19, 29 and 33.
        feature_names : list of str
            The name of the feature.
        target_names : list of str
            The name of the target.
        frame : DataFrame of shape (47, 2) or None
            Feature and target together, only if ``as_frame=True``.
        DESCR : str
            The description: source, references and what the outliers are.

    (data, target) : tuple if ``return_X_y`` is True
        The feature and the target.

    References
    ----------
    .. [1] P. J. Rousseeuw and A. M. Leroy, "Robust Regression and Outlier
       Detection", Wiley, 1987, p. 27, table 3.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_gum.datasets import load_stars_cyg
    >>> stars = load_stars_cyg()
    >>> stars.data.shape, stars.feature_names, stars.target_names
    ((47, 1), ['log.Te'], ['log.light'])
    >>> np.flatnonzero(stars.outlier_mask).tolist()
    [10, 19, 29, 33]
    """
    return _load_classic(
        "stars_cyg",
        outlier_rows=[10, 19, 29, 33],
        return_X_y=return_X_y,
        as_frame=as_frame,
    )


load_starsCYG = load_stars_cyg


@validate_params(_LOADER_PARAMS, prefer_skip_nested_validation=True)
def load_wood(*, return_X_y=False, as_frame=False):
    """Load the modified wood specific gravity data (regression).

    ==============   =======================================
    Samples total    20
    Dimensionality   5
    Features         real, 0.1028 <= x <= 0.992
    Targets          real, 0.401 <= y <= 0.57
    Outliers         rows 3, 5, 7 and 18
    ==============   =======================================

    The data of Draper and Smith (1966) in which Rousseeuw and Leroy (1987)
    replaced observations 4, 6, 8 and 19 (0-based rows 3, 5, 7 and 18) by
    outliers; these form ``outlier_mask``.

    Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame, ``target`` a Series and
        ``frame`` a DataFrame of both (requires pandas).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        Dictionary-like object, with the following attributes.

        data : {ndarray, DataFrame} of shape (20, 5)
            The features ``x1`` to ``x5``.
        target : {ndarray, Series} of shape (20,)
            The target ``y``, wood specific gravity.
        outlier_mask : ndarray of shape (20,), dtype=bool
            True for rows 3, 5, 7 and 18.
        feature_names : list of str
            The names of the features.
        target_names : list of str
            The name of the target.
        frame : DataFrame of shape (20, 6) or None
            Features and target together, only if ``as_frame=True``.
        DESCR : str
            The description: source, references and what the outliers are.

    (data, target) : tuple if ``return_X_y`` is True
        The features and the target.

    References
    ----------
    .. [1] N. R. Draper and H. Smith, "Applied Regression Analysis", Wiley,
       1966, p. 227.
    .. [2] P. J. Rousseeuw and A. M. Leroy, "Robust Regression and Outlier
       Detection", Wiley, 1987, p. 243, table 8.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_gum.datasets import load_wood
    >>> wood = load_wood(as_frame=True)
    >>> wood.frame.shape
    (20, 6)
    >>> wood.frame.iloc[0].tolist()
    [0.573, 0.1059, 0.465, 0.538, 0.841, 0.534]
    >>> np.flatnonzero(wood.outlier_mask).tolist()
    [3, 5, 7, 18]
    """
    return _load_classic(
        "wood",
        outlier_rows=[3, 5, 7, 18],
        return_X_y=return_X_y,
        as_frame=as_frame,
    )
