"""Loaders of the classic small robust-regression data sets shipped in
``sklearn_gum/data``, each with the outliers known from the literature."""

from importlib import resources

import numpy as np
from sklearn.utils import Bunch
from sklearn.utils._optional_dependencies import check_pandas_support
from sklearn.utils._param_validation import validate_params


def _read_resource(filename):
    """Text of a file of ``sklearn_gum/data``."""
    return resources.files("sklearn_gum").joinpath("data", filename).read_text()


def _to_frame(data, target, feature_names, target_name, caller):
    """pandas versions of ``data`` and ``target``, and both in one frame."""
    pd = check_pandas_support(f"{caller}(as_frame=True)")

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
        frame, data, target = _to_frame(
            data, target, names[:-1], names[-1], caller=f"load_{name}"
        )
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


# Docstring sections every loader shares, indented as in the docstrings.
_SHARED_DOC = {
    "{parameters}": """Parameters
    ----------
    return_X_y : bool, default=False
        If True, return ``(data, target)`` instead of a Bunch.

    as_frame : bool, default=False
        If True, ``data`` is a pandas DataFrame, ``target`` a Series and
        ``frame`` a DataFrame of both (requires pandas).""",
    "{descr}": """DESCR : str
            The description: source, references and what the outliers are.""",
}


def _classic_loader(loader):
    """Fill the shared docstring sections of ``loader`` and validate its flags."""
    for placeholder, text in _SHARED_DOC.items():
        loader.__doc__ = loader.__doc__.replace(placeholder, text)
    return validate_params(
        {"return_X_y": ["boolean"], "as_frame": ["boolean"]},
        prefer_skip_nested_validation=True,
    )(loader)


@_classic_loader
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

    {parameters}

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
        {descr}

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


@_classic_loader
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

    {parameters}

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
        {descr}

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


@_classic_loader
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

    {parameters}

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
        {descr}

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


@_classic_loader
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

    {parameters}

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
        {descr}

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
