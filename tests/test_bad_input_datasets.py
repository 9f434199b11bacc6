"""Bad and edge inputs of sklearn_gum.datasets.

Every bad input must raise the exact exception type with a message that
names the offending argument; every edge input that is accepted must give
the right numbers. No input may end in a traceback from numpy's internals or
in a silently wrong data set (e.g. samples marked as outliers whose values
equal the clean ones).
"""

import math
import sys

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_gum.datasets import (
    REGRESSION_KINDS,
    TARGET_KINDS,
    contaminate_targets,
    load_hbk,
    load_stackloss,
    load_stars_cyg,
    load_wood,
    make_contaminated_regression,
)

LOADERS = [load_hbk, load_stackloss, load_stars_cyg, load_wood]

# Four target columns; column 4 of Y_CONST is constant.
Y = np.random.RandomState(0).normal(size=(20, 4))
Y_CONST = np.c_[Y, np.ones(20)]


def _assert_raises(exc_type, match, func, *args, **kwargs):
    """``func`` raises exactly ``exc_type`` (not a subclass) matching ``match``."""
    with pytest.raises(exc_type, match=match) as info:
        func(*args, **kwargs)
    assert type(info.value) is exc_type, repr(info.value)


def _clean_and_contaminated(**params):
    """(X, y, mask, coef) without and with contamination, same seed."""
    params = {"random_state": 0, "return_outlier_mask": True, "coef": True, **params}
    clean = make_contaminated_regression(**{**params, "contamination": 0.0})
    return clean, make_contaminated_regression(**params)


# --------------------------------------------------------------------------
# make_contaminated_regression
# --------------------------------------------------------------------------

# params -> message; all rejected by parameter validation.
MAKE_INVALID = [
    ({"n_samples": 0}, "'n_samples' parameter"),
    ({"n_samples": -5}, "'n_samples' parameter"),
    ({"n_samples": 10.0}, "'n_samples' parameter"),
    ({"n_samples": "10"}, "'n_samples' parameter"),
    ({"n_samples": True}, "'n_samples' parameter.*Got True"),
    ({"n_features": 0}, "'n_features' parameter"),
    ({"n_features": True}, "'n_features' parameter.*Got True"),
    ({"n_targets": 0}, "'n_targets' parameter"),
    ({"n_targets": 2.5}, "'n_targets' parameter"),
    ({"contamination": 1.0}, "'contamination' parameter"),
    ({"contamination": -0.1}, "'contamination' parameter"),
    ({"contamination": math.nan}, "'contamination' parameter"),
    ({"contamination": "0.1"}, "'contamination' parameter"),
    ({"contamination": True}, "'contamination' parameter"),
    ({"kind": "cauchy"}, "'kind' parameter"),
    ({"kind": "Uniform"}, "'kind' parameter"),
    ({"kind": None}, "'kind' parameter"),
    ({"noise": -1.0}, "'noise' parameter"),
    ({"noise": math.nan}, "'noise' parameter"),
    ({"noise": math.inf}, "'noise' parameter"),
    ({"outlier_scale": 0.0}, "'outlier_scale' parameter"),
    ({"outlier_scale": -1.0}, "'outlier_scale' parameter"),
    ({"outlier_scale": math.nan}, "'outlier_scale' parameter"),
    ({"outlier_scale": math.inf}, "'outlier_scale' parameter"),
    ({"outlier_scale": [1.0, 2.0]}, "'outlier_scale' parameter"),
    ({"leverage_distance": 0.0}, "'leverage_distance' parameter"),
    ({"leverage_distance": math.nan}, "'leverage_distance' parameter"),
    ({"leverage_distance": math.inf}, "'leverage_distance' parameter"),
    ({"random_state": "seed"}, "'random_state' parameter"),
    ({"random_state": 1.5}, "'random_state' parameter"),
    ({"random_state": -1}, "'random_state' parameter"),
    ({"return_outlier_mask": "yes"}, "'return_outlier_mask' parameter"),
    ({"coef": 1}, "'coef' parameter"),
]


@pytest.mark.parametrize("params, match", MAKE_INVALID)
def test_make_rejects_invalid_parameter(params, match):
    _assert_raises(
        InvalidParameterError, match, make_contaminated_regression, **params
    )


@pytest.mark.parametrize("kind", REGRESSION_KINDS)
def test_make_single_contaminated_sample_has_no_spread(kind):
    # round(0.6 * 1) = 1 outlier, scaled by the spread of one clean target:
    # zero. The outlier would equal the clean sample (or, for "leverage", lie
    # on the model), so it is an error, not a mask over clean data.
    _assert_raises(
        ValueError,
        r"n_samples > 1 \(got 1\)",
        make_contaminated_regression,
        n_samples=1,
        contamination=0.6,
        kind=kind,
    )


def test_make_single_sample_with_explicit_scale():
    (X0, y0, mask0, coef0), (X, y, mask, coef) = _clean_and_contaminated(
        n_samples=1, contamination=0.6, kind="shift", outlier_scale=2.0
    )
    assert_array_equal(mask0, [False])
    assert_array_equal(mask, [True])
    assert_array_equal(X, X0)
    assert_array_equal(coef, coef0)
    assert_allclose(y - y0, [2.0])


@pytest.mark.parametrize(
    "n_samples, contamination, n_outliers",
    [
        (1, 0.4, 0),  # round(0.4) = 0: no outlier, so no spread is needed
        (1, 0.5, 0),  # Python rounds half to even: round(0.5) = 0
        (3, 0.5, 2),  # round(1.5) = 2
        (5, 0.5, 2),  # round(2.5) = 2
        (7, 0.0, 0),
    ],
)
def test_make_outlier_count_edges(n_samples, contamination, n_outliers):
    (_, y0, _, _), (_, y, mask, _) = _clean_and_contaminated(
        n_samples=n_samples, contamination=contamination
    )
    assert mask.sum() == n_outliers
    assert_array_equal(y[~mask], y0[~mask])
    assert np.all(y[mask] != y0[mask])


def test_make_numpy_integer_sizes():
    X, y = make_contaminated_regression(
        np.int64(5), np.int32(2), np.int64(1), random_state=0
    )
    assert X.shape == (5, 2) and y.shape == (5,)


def test_make_noise_free_clean_data_is_exactly_linear():
    X, y, mask, coef = make_contaminated_regression(
        n_samples=50, n_features=3, contamination=0.0, noise=0.0,
        random_state=0, return_outlier_mask=True, coef=True,
    )
    assert not mask.any()
    assert_allclose(y, X @ coef, rtol=0, atol=1e-12)


def test_make_leverage_with_one_feature():
    X, y, mask, coef = make_contaminated_regression(
        n_samples=200, n_features=1, kind="leverage", outlier_scale=20.0, noise=0.5,
        leverage_distance=10.0, random_state=0, return_outlier_mask=True,
        coef=True,
    )
    # One feature: the cluster sits at +10 or -10 with spread 0.5.
    assert mask.sum() == 40
    assert_allclose(np.abs(X[mask, 0].mean()), 10, atol=0.2)
    assert np.all(np.abs(np.abs(X[mask, 0]) - 10) < 4 * 0.5)
    assert_allclose((y - X @ coef)[mask].mean(), 20.0, atol=0.2)


# --------------------------------------------------------------------------
# contaminate_targets
# --------------------------------------------------------------------------

# (Y, params, exception, message); params complete kind="ngo", contamination=0.2.
TARGETS_INVALID = [
    # Y
    (np.where(Y > 1, np.nan, Y), {}, ValueError, "Input Y contains NaN"),
    (np.where(Y > 1, np.inf, Y), {}, ValueError, "Input Y contains infinity"),
    (Y.reshape(20, 2, 2), {}, ValueError, "Y must be .*dim 3"),
    (np.empty((0, 2)), {}, ValueError, r"Y must be .*0 sample\(s\)"),
    (np.empty((5, 0)), {}, ValueError, r"Y must be .*0 feature\(s\)"),
    ([["a", "b"], ["c", "d"]], {}, ValueError, "Y must be .*string"),
    (Y + 1j, {}, ValueError, "Y must be .*Complex"),
    (3.0, {}, InvalidParameterError, "'Y' parameter"),
    (None, {}, InvalidParameterError, "'Y' parameter"),
    # kind, contamination, random_state
    (Y, {"kind": "ugo"}, InvalidParameterError, "'kind' parameter"),
    (Y, {"kind": None}, InvalidParameterError, "'kind' parameter"),
    (Y, {"contamination": 1.5}, InvalidParameterError, "'contamination' parameter"),
    (Y, {"contamination": -0.1}, InvalidParameterError, "'contamination' parameter"),
    (Y, {"contamination": math.nan}, InvalidParameterError, "'contamination' parameter"),
    (Y, {"contamination": "0.5"}, InvalidParameterError, "'contamination' parameter"),
    (Y, {"contamination": True}, InvalidParameterError, "'contamination' parameter.*Got True"),
    (Y, {"random_state": "x"}, InvalidParameterError, "'random_state' parameter"),
    # groups
    (Y, {"groups": []}, ValueError, "groups must be a non-empty list of groups"),
    (Y, {"groups": [[]]}, ValueError, "groups must be .*non-empty"),
    (Y, {"groups": [[0.5, 1]]}, ValueError, "groups must be .*column indices"),
    (Y, {"groups": [[0.0, 1.0]]}, ValueError, "groups must be .*column indices"),
    (Y, {"groups": [["a"]]}, ValueError, "groups must be .*column indices"),
    (Y, {"groups": [[True, False]]}, ValueError, "groups must be .*column indices"),
    (Y, {"groups": [0, 1]}, ValueError, "groups must be .*lists of integer column"),
    (Y, {"groups": [[[0, 1]]]}, ValueError, "groups must be .*lists of integer column"),
    (Y, {"groups": [[0, [1]]]}, ValueError, "groups must be .*lists of integer column"),
    (Y, {"groups": [None]}, ValueError, "groups must be .*lists of integer column"),
    (Y, {"groups": [[0, 4]]}, ValueError, r"groups hold column indices in \[0, 4\)"),
    (Y, {"groups": [[-1, 0]]}, ValueError, r"groups hold column indices in \[0, 4\)"),
    (Y, {"groups": [[0, 1], [1, 2]]}, ValueError, r"groups must not overlap.*\[1\]"),
    (Y, {"groups": [[0, 0]]}, ValueError, r"groups must not repeat.*\[0\]"),
    (Y, {"groups": np.array([[0, 1]])}, InvalidParameterError, "'groups' parameter"),
    (Y, {"groups": "01"}, InvalidParameterError, "'groups' parameter"),
    # scale of "ngo"
    (Y, {"outlier_scale": -1.0}, InvalidParameterError, "'outlier_scale' parameter"),
    (Y, {"outlier_scale": 0.0}, InvalidParameterError, "'outlier_scale' parameter"),
    (Y, {"outlier_scale": math.nan}, InvalidParameterError, "'outlier_scale' parameter"),
    (Y, {"outlier_scale": math.inf}, InvalidParameterError, "'outlier_scale' parameter"),
    (Y, {"outlier_scale": "big"}, InvalidParameterError, "'outlier_scale' parameter"),
    (Y, {"outlier_scale": [math.nan] * 4}, ValueError, "scale must be finite"),
    (Y, {"outlier_scale": [math.inf] * 4}, ValueError, "scale must be finite"),
    (Y, {"outlier_scale": [1.0, 2.0]}, ValueError, r"scale is a float or one value per .*\(4\)"),
    (Y, {"outlier_scale": np.ones((2, 4))}, ValueError, "scale is a float or one value per"),
    (Y, {"outlier_scale": ["a"] * 4}, ValueError, "scale must be numeric"),
    (Y, {"outlier_scale": [1, 1, 0, 1]}, ValueError, "scale must be positive"),
    # scale of the "ugo" protocols: the box (low, high)
    (Y, {"kind": "l-ugo", "outlier_scale": 1.0}, ValueError, "scale is the box"),
    (Y, {"kind": "l-ugo", "outlier_scale": (0, 1, 2)}, ValueError, "scale is the box"),
    (Y, {"kind": "l-ugo", "outlier_scale": (1, 0)}, ValueError, r"outlier_scale=\(low, high\) needs low <= high"),
    (Y, {"kind": "l-ugo", "outlier_scale": (0, math.nan)}, ValueError, "scale must be finite"),
    (Y, {"kind": "g-ugo", "outlier_scale": (0, math.inf)}, ValueError, "scale must be finite"),
    (Y, {"kind": "g-ugo", "outlier_scale": (-math.inf, 0)}, ValueError, "scale must be finite"),
    (Y, {"kind": "l-ugo", "outlier_scale": ([0] * 3, [1] * 3)}, ValueError, r"scale is the box .*n_targets=4"),
    (Y, {"kind": "l-ugo", "outlier_scale": np.ones((2, 4, 1))}, ValueError, "scale is the box"),
    (Y, {"kind": "l-ugo", "outlier_scale": ("a", "b")}, ValueError, "scale must be numeric"),
    # scale=None takes the spread from Y: none in a constant column
    (Y_CONST, {"groups": [[4]], "contamination": 1.0}, ValueError, r"column\(s\) \[4\] .*Pass outlier_scale"),
    (Y_CONST, {"kind": "l-ugo", "contamination": 0.5}, ValueError, r"column\(s\) \[4\] .*Pass outlier_scale"),
    (Y[:1], {"contamination": 1.0}, ValueError, r"column\(s\) \[0, 1, 2, 3\] .*Pass outlier_scale"),
    (Y[:1], {"kind": "g-ugo", "contamination": 1.0}, ValueError, "range .*Pass outlier_scale"),
]


@pytest.mark.parametrize(
    "Y_bad, params, exc_type, match",
    TARGETS_INVALID,
    ids=[f"{i}-{list(case[1]) or 'Y'}" for i, case in enumerate(TARGETS_INVALID)],
)
def test_contaminate_rejects_bad_input(Y_bad, params, exc_type, match):
    params = {"kind": "ngo", "contamination": 0.2, "random_state": 0, **params}
    _assert_raises(exc_type, match, contaminate_targets, Y_bad, **params)


def test_contaminate_signature_errors():
    _assert_raises(TypeError, "kind", contaminate_targets, Y, contamination=0.2)
    _assert_raises(TypeError, "positional", contaminate_targets, Y, "ngo", 0.2)


def test_contaminate_constant_column_outside_groups_is_fine():
    Y_out, mask = contaminate_targets(
        Y_CONST, kind="ngo", contamination=1.0, groups=[[0, 1], [2, 3]], random_state=0
    )
    assert mask.shape == (20, 2) and mask.all()
    assert_array_equal(Y_out[:, 4], 1.0)
    assert np.all(Y_out[:, :4] != Y)


def test_contaminate_constant_column_with_explicit_scale():
    Y_out, mask = contaminate_targets(
        Y_CONST, kind="ngo", contamination=1.0, groups=[[4]], outlier_scale=2.0, random_state=0
    )
    assert mask.all() and np.all(Y_out[:, 4] != 1.0)
    assert_array_equal(Y_out[:, :4], Y)
    assert_allclose(Y_out[:, 4].std(), 2.0, rtol=0.35)  # 20 draws


def test_contaminate_constant_column_without_contamination():
    Y_out, mask = contaminate_targets(Y_CONST, kind="l-ugo", contamination=0.0)
    assert not mask.any()
    assert_array_equal(Y_out, Y_CONST)


def test_contaminate_zero_width_box():
    Y_out, mask = contaminate_targets(
        Y, kind="l-ugo", contamination=0.5, outlier_scale=(3.0, 3.0), random_state=0
    )
    assert mask.sum() == 40
    assert_array_equal(Y_out[mask], 3.0)
    assert_array_equal(Y_out[~mask], Y[~mask])


@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_contaminate_equivalent_spellings(kind):
    # Broadcastable scales and groups as tuples or arrays give the same draws.
    scale, same_scale = (
        (2.0, [2.0]) if kind == "ngo" else ((-1.0, 1.0), [[-1.0], [1.0]])
    )
    reference = contaminate_targets(
        Y, kind=kind, contamination=0.3, groups=[[0, 1], [2, 3]], outlier_scale=scale,
        random_state=0,
    )
    other = contaminate_targets(
        Y, kind=kind, contamination=0.3, groups=((0, 1), np.array([2, 3])),
        outlier_scale=same_scale, random_state=0,
    )
    assert_array_equal(reference[0], other[0])
    assert_array_equal(reference[1], other[1])


def test_contaminate_1d_and_single_column_targets():
    y_out, mask = contaminate_targets(Y[:, 0], kind="ngo", contamination=0.25, random_state=0)
    Y_out, mask_2d = contaminate_targets(
        Y[:, :1], kind="ngo", contamination=0.25, groups=[[0]], random_state=0
    )
    assert y_out.shape == (20,) and mask.shape == (20,) and mask.sum() == 5
    assert Y_out.shape == (20, 1) and mask_2d.shape == (20, 1)
    assert_array_equal(Y_out[:, 0], y_out)
    assert_array_equal(mask_2d[:, 0], mask)


# --------------------------------------------------------------------------
# Classic data sets
# --------------------------------------------------------------------------

LOADER_FLAGS = [
    ({"return_X_y": "yes"}, "'return_X_y' parameter"),
    ({"return_X_y": 0}, "'return_X_y' parameter"),
    ({"as_frame": 1}, "'as_frame' parameter"),
    ({"as_frame": None}, "'as_frame' parameter"),
]


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: f.__name__)
@pytest.mark.parametrize("flags, match", LOADER_FLAGS)
def test_loader_rejects_non_bool_flags(loader, flags, match):
    _assert_raises(InvalidParameterError, match, loader, **flags)


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: f.__name__)
def test_loader_signature_errors(loader):
    _assert_raises(TypeError, "positional", loader, True)
    _assert_raises(TypeError, "unexpected keyword argument 'frame'", loader, frame=True)


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: f.__name__)
def test_loader_accepts_numpy_bools(loader):
    X, y = loader(return_X_y=np.bool_(True), as_frame=np.bool_(False))
    bunch = loader()
    assert_array_equal(X, bunch.data)
    assert_array_equal(y, bunch.target)


@pytest.mark.parametrize("loader", LOADERS, ids=lambda f: f.__name__)
def test_loader_as_frame_without_pandas(loader, monkeypatch):
    monkeypatch.setitem(sys.modules, "pandas", None)
    _assert_raises(
        ImportError,
        rf"{loader.__name__}\(as_frame=True\) requires pandas",
        loader,
        as_frame=True,
    )
    # Without as_frame, pandas is not needed.
    assert loader(return_X_y=True)[0].ndim == 2


