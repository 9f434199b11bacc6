"""make_contaminated_regression: a linear regression problem with a share of
outliers of a chosen kind, and its ground-truth outlier mask."""

import numbers

import numpy as np
from sklearn.utils import check_random_state
from sklearn.utils._param_validation import StrOptions, validate_params

from ._common import _check_spread, _n_contaminated, _NumberInterval

REGRESSION_KINDS = ("uniform", "gaussian", "shift", "leverage")

# Range of the uniform distribution of the true coefficients.
_COEF_BOUND = 5.0
# Default displacement of "gaussian", "shift" and "leverage" outliers, in
# standard deviations of the clean target.
_DEFAULT_SCALE_IN_STD = 5.0
# Standard deviation of the leverage cluster around its centre.
_LEVERAGE_SPREAD = 0.5


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


def _contaminate_regression(X, y, coef, rows, kind, outlier_scale, distance, generator):
    """Apply the outlier ``kind`` to ``rows`` of ``X`` and ``y`` in place."""
    # With n_samples=1 the clean targets have no spread to scale outliers by.
    remedy = f"Use n_samples > 1 (got {len(y)})"
    if rows.size and kind == "uniform":
        _check_spread(np.ptp(y, axis=0), range(y.shape[1]), "range", remedy + ".")
    elif rows.size and outlier_scale is None:
        remedy += " or pass outlier_scale."
        _check_spread(y.std(axis=0), range(y.shape[1]), "standard deviation", remedy)
    if outlier_scale is None:
        outlier_scale = _DEFAULT_SCALE_IN_STD * y.std(axis=0)
    if kind == "uniform":
        _replace_uniform(y, rows, generator)
    elif kind == "gaussian":
        y[rows] += outlier_scale * generator.standard_normal((rows.size, y.shape[1]))
    elif kind == "shift":
        y[rows] += outlier_scale
    else:
        _move_to_leverage_cluster(X, y, coef, rows, generator, outlier_scale, distance)


@validate_params(
    {
        "n_samples": [_NumberInterval(numbers.Integral, 1, None, closed="left")],
        "n_features": [_NumberInterval(numbers.Integral, 1, None, closed="left")],
        "n_targets": [_NumberInterval(numbers.Integral, 1, None, closed="left")],
        "contamination": [_NumberInterval(numbers.Real, 0, 1, closed="left")],
        "kind": [StrOptions(set(REGRESSION_KINDS))],
        "noise": [_NumberInterval(numbers.Real, 0, None, closed="left")],
        "outlier_scale": [_NumberInterval(numbers.Real, 0, None, closed="neither"), None],
        "leverage_distance": [_NumberInterval(numbers.Real, 0, None, closed="neither")],
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
    outlier_scale=None,
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
      standard deviation ``outlier_scale``.
    - ``"shift"``: their targets are shifted up by ``outlier_scale`` (one-sided).
    - ``"leverage"``: bad leverage points. Their features are moved to a
      cluster centred at distance ``leverage_distance`` from the origin, along
      a random direction, with spread 0.5 per feature; their targets follow
      the true model at the new points plus their noise, plus ``outlier_scale``, so
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

    outlier_scale : float, default=None
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
    ``kind`` or ``outlier_scale``: the inliers of two calls that differ only in these
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
        X, y, ground_truth, rows, kind, outlier_scale, leverage_distance, generator
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
