"""Bad and edge inputs of the display classes.

Every bad input must raise the exact exception type with a message that
names the offending argument, before numpy or matplotlib fail on it; every
edge input that is accepted must draw the right numbers. Figures use the
Agg backend and are closed after each test.
"""

import math

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LinearRegression

from sklearn_gum import GUMRegressor

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sklearn_gum.plotting import ConvergenceDisplay, OutlierDisplay  # noqa: E402

# y = X beta + N(0, 0.5^2) with 10 of 100 labels shifted by 10; Y adds a
# second output, Y3 a third.
rng = np.random.RandomState(0)
X = rng.normal(size=(100, 2))
y = X @ [2.0, -1.0] + rng.normal(scale=0.5, size=100)
y[:10] += 10
Y = np.c_[y, X @ [1.0, 1.0] + rng.normal(scale=0.5, size=100)]
Y3 = np.c_[Y, X @ [-1.0, 0.5] + rng.normal(scale=0.5, size=100)]


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def gum_1d():
    return GUMRegressor().fit(X, y)


@pytest.fixture(scope="module")
def gum_per_output():
    return GUMRegressor(outlier_granularity="output").fit(X, Y)


@pytest.fixture(scope="module")
def gum_2d():
    return GUMRegressor().fit(X, Y)


@pytest.fixture(scope="module")
def gum_3d():
    return GUMRegressor(outlier_granularity=[[0, 1, 2]]).fit(X, Y3)


def _assert_raises(exc_type, match, func, *args, **kwargs):
    """``func`` raises exactly ``exc_type`` (not a subclass) matching ``match``."""
    with pytest.raises(exc_type, match=match) as info:
        func(*args, **kwargs)
    assert type(info.value) is exc_type, repr(info.value)


def _fitted_arguments(gum):
    """The from_predictions keywords of a fitted GUMRegressor."""
    return dict(
        outlier_proba=gum.outlier_proba_, inlier_prior=gum.inlier_prior_,
        covariance=gum.covariance_, uniform_volume=gum.uniform_volume_,
    )


# --------------------------------------------------------------------------
# OutlierDisplay.from_estimator
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "estimator, exc_type, match",
    [
        (GUMRegressor(), NotFittedError, "GUMRegressor instance is not fitted"),
        (LinearRegression().fit(X, y), TypeError, "estimator=LinearRegression"),
        (LinearRegression(), TypeError, "estimator=LinearRegression"),
        ("gum", TypeError, "needs a fitted GUMRegressor; got estimator=str"),
    ],
    ids=["unfitted-gum", "fitted-linear", "unfitted-linear", "string"],
)
@pytest.mark.parametrize("display", [OutlierDisplay, ConvergenceDisplay])
def test_from_estimator_needs_a_fitted_gum(display, estimator, exc_type, match):
    args = (X, y) if display is OutlierDisplay else ()
    _assert_raises(exc_type, match, display.from_estimator, estimator, *args)


# (fixture, y, keywords, exception, message)
FROM_ESTIMATOR_INVALID = [
    ("gum_1d", y, {"group": 1}, ValueError, r"group must be in \[0, 1\); got 1"),
    ("gum_1d", y, {"group": -1}, ValueError, r"group must be in \[0, 1\); got -1"),
    ("gum_per_output", Y, {"group": 0.5}, TypeError, "group must be an int; got 0.5"),
    ("gum_1d", y, {"group": "0"}, TypeError, "group must be an int; got '0'"),
    ("gum_per_output", Y, {"group": True}, TypeError, "group must be an int; got True"),
    ("gum_1d", y, {"group": None}, TypeError, "group must be an int; got None"),
    ("gum_1d", y[:-1], {}, ValueError, "inconsistent numbers of samples"),
    ("gum_1d", Y, {}, ValueError, r"y has 2 output\(s\); the model was fitted on 1"),
    ("gum_1d", np.where(y > 3, np.nan, y), {}, ValueError, "Input y contains NaN"),
    ("gum_3d", Y3, {"dims": (0, 5)}, ValueError, r"dims must be in \[0, 3\); got 5"),
    ("gum_3d", Y3, {"dims": (0, 0)}, ValueError, "dims must be two different"),
    ("gum_3d", Y3, {"dims": 0}, ValueError, "dims must be a pair"),
    ("gum_3d", Y3, {"dims": (0, 1, 2)}, ValueError, "dims must be a pair"),
    ("gum_3d", Y3, {"dims": (0, 1.0)}, TypeError, "dims must be an int"),
    ("gum_1d", y, {"dims": (0, 1)}, ValueError, "dims selects two columns .* has 1"),
    ("gum_2d", Y, {"kind": "pie"}, ValueError, "kind must be"),
    ("gum_2d", Y, {"kind": None}, ValueError, "kind must be"),
    ("gum_2d", Y, {"kind": "histogram"}, ValueError, "kind='histogram' needs 1-D"),
]


@pytest.mark.parametrize(
    "fixture, y_bad, kwargs, exc_type, match",
    FROM_ESTIMATOR_INVALID,
    ids=[f"{i}-{list(case[2]) or 'y'}" for i, case in enumerate(FROM_ESTIMATOR_INVALID)],
)
def test_from_estimator_rejects(request, fixture, y_bad, kwargs, exc_type, match):
    gum = request.getfixturevalue(fixture)
    _assert_raises(exc_type, match, OutlierDisplay.from_estimator, gum, X, y_bad, **kwargs)


def test_dims_swaps_the_two_columns_of_a_group(gum_2d):
    display = OutlierDisplay.from_estimator(gum_2d, X, Y, dims=(1, 0), n_std=1)
    residuals = Y - gum_2d.predict(X)
    assert_allclose(display.scatter_.get_offsets(), residuals[:, [1, 0]])
    swapped = gum_2d.covariance_[np.ix_([1, 0], [1, 0])]
    assert_allclose(display.covariance, swapped)
    assert_array_equal(display.columns, [1, 0])
    assert display.ax_.get_xlabel() == "residual of output 1"
    # The ellipse's major axis is the swapped major eigenvector.
    eigenvalues, eigenvectors = np.linalg.eigh(swapped)
    (ellipse,) = display.ellipses_
    assert_allclose(ellipse.width, 2 * np.sqrt(eigenvalues[1]))
    angle = np.radians(ellipse.angle)
    assert_allclose(abs(np.dot([np.cos(angle), np.sin(angle)], eigenvectors[:, 1])), 1)


def test_dims_picks_two_of_three_columns(gum_3d):
    display = OutlierDisplay.from_estimator(gum_3d, X, Y3, dims=(2, 0))
    residuals = Y3 - gum_3d.predict(X)
    assert_allclose(display.scatter_.get_offsets(), residuals[:, [2, 0]])
    assert_allclose(display.covariance, gum_3d.covariance_[np.ix_([2, 0], [2, 0])])
    assert len(display.ellipses_) == 3


# --------------------------------------------------------------------------
# OutlierDisplay.from_predictions
# --------------------------------------------------------------------------

N = len(y)
PROBA = np.linspace(0, 1, N)

# (keywords replacing those of gum_1d, exception, message)
FROM_PREDICTIONS_INVALID = [
    # y_true and y_pred
    ({"y_pred": np.zeros(N - 1)}, ValueError, r"y_true \(100, 1\), y_pred \(99,\) .*same samples"),
    ({"y_true": y[:-1]}, ValueError, r"y_true \(99, 1\), y_pred \(100,\) .*same samples"),
    ({"y_true": np.where(y > 3, np.nan, y)}, ValueError, "y_true contains NaN"),
    ({"y_true": np.where(y > 3, np.inf, y)}, ValueError, "y_true contains NaN or infinite"),
    ({"y_pred": np.full(N, np.nan)}, ValueError, "y_pred contains NaN"),
    ({"y_true": np.array(["a"] * N)}, ValueError, "y_true must be numeric"),
    ({"y_true": y.astype(str)}, ValueError, "y_true must be numeric"),
    ({"y_true": y.reshape(N, 1, 1)}, ValueError, r"y_true must be 1-D or 2-D; got shape \(100, 1, 1\)"),
    ({"y_true": 3.0}, ValueError, r"y_true must be 1-D or 2-D; got shape \(\)"),
    ({"y_true": [], "y_pred": [], "outlier_proba": []}, ValueError, "y_true has no samples"),
    # outlier_proba
    ({"outlier_proba": np.full(N, np.nan)}, ValueError, "outlier_proba contains NaN"),
    ({"outlier_proba": np.full(N, 1.5)}, ValueError, r"outlier_proba must lie in \[0, 1\]; got 1.5"),
    ({"outlier_proba": np.full(N, -0.1)}, ValueError, r"outlier_proba must lie in \[0, 1\]; got -0.1"),
    ({"outlier_proba": PROBA[:-1]}, ValueError, r"outlier_proba \(99,\) must describe"),
    ({"outlier_proba": PROBA.reshape(N, 1, 1)}, ValueError, "outlier_proba must be 1-D or 2-D"),
    ({"outlier_proba": np.c_[PROBA, PROBA], "groups": [[0]]}, ValueError, r"outlier_proba has 2 column\(s\)"),
    # per-group parameters
    ({"inlier_prior": 1.5}, ValueError, r"inlier_prior must lie in \[0, 1\]"),
    ({"inlier_prior": -0.1}, ValueError, r"inlier_prior must lie in \[0, 1\]"),
    ({"inlier_prior": math.nan}, ValueError, "inlier_prior contains NaN"),
    ({"inlier_prior": [0.9, 0.9]}, ValueError, "inlier_prior has 2 values for 1 groups"),
    ({"inlier_prior": "high"}, ValueError, "inlier_prior must be numeric"),
    ({"uniform_volume": 0.0}, ValueError, "uniform_volume must be positive"),
    ({"uniform_volume": -1.0}, ValueError, r"uniform_volume must lie in \[0, inf\]"),
    ({"uniform_volume": math.nan}, ValueError, "uniform_volume contains NaN"),
    ({"uniform_volume": [10.0, 10.0]}, ValueError, "uniform_volume has 2 values for 1 groups"),
    ({"threshold": math.nan}, ValueError, "threshold must be finite"),
    ({"threshold": 2.0}, ValueError, r"threshold must lie in \[0, 1\]; got 2.0"),
    ({"threshold": "0.5"}, TypeError, "threshold must be a real number"),
    # covariance
    ({"covariance": -1.0}, ValueError, "covariance must have positive variances"),
    ({"covariance": 0.0}, ValueError, "covariance must have positive variances"),
    ({"covariance": math.nan}, ValueError, "covariance contains NaN"),
    ({"covariance": np.eye(2)}, ValueError, r"covariance must be of shape \(1, 1\) for 1 output"),
    ({"covariance": [1.0, 2.0, 3.0]}, ValueError, r"covariance must be of shape \(1, 1\)"),
    # groups
    ({"groups": [[0, 1]]}, ValueError, r"groups hold column indices in \[0, 1\)"),
    ({"groups": [[0.5]]}, ValueError, "groups must be a list of non-empty lists"),
    ({"groups": []}, ValueError, "groups must be a non-empty list of groups"),
    ({"groups": [[]]}, ValueError, "groups must be a list of non-empty lists"),
    ({"groups": "0"}, ValueError, "groups must be a non-empty list"),
    # plot keywords
    ({"kind": "pie"}, ValueError, "kind must be"),
    ({"ax": "left", "kind": "scatter"}, TypeError, "ax must be one matplotlib Axes"),
    ({"ax": ["a", "b"]}, TypeError, "ax must be 2 matplotlib Axes"),
    ({"ax": "pair", "kind": "scatter"}, ValueError, "ax must be one matplotlib Axes .*got 2"),
    ({"ax": "one"}, ValueError, r"ax must be 2 matplotlib Axes \(scatter and histogram"),
    ({"ax": "three"}, ValueError, "ax must be 2 matplotlib Axes .*got 3"),
    ({"ax": "figure", "kind": "scatter"}, TypeError, "ax must be one matplotlib Axes"),
    ({"bins": "foo"}, ValueError, "bins='foo' is not valid for numpy.histogram"),
    ({"bins": 0}, ValueError, "bins=0 is not valid for numpy.histogram"),
    ({"bins": 1.5}, TypeError, "bins=1.5 is not valid for numpy.histogram"),
    ({"cmap": "nocmap"}, ValueError, "cmap='nocmap' is not the name"),
    ({"scatter_kwargs": [1]}, TypeError, "scatter_kwargs must be a dict"),
    ({"hist_kwargs": "red"}, TypeError, "hist_kwargs must be a dict"),
    ({"scatter_kwargs": {"c": "r"}}, ValueError, r"scatter_kwargs cannot set \['c'\]"),
    ({"scatter_kwargs": {"color": "r"}}, ValueError, r"scatter_kwargs cannot set \['color'\]"),
    ({"colorbar": "no"}, TypeError, "colorbar must be a bool"),
    ({"foo": 1}, TypeError, "unexpected keyword argument 'foo'"),
]


def _axes(name):
    """Axes for the ``ax`` cases, made inside the test (figures are closed)."""
    if name == "pair":
        return plt.subplots(1, 2)[1]
    if name == "one":
        return plt.subplots()[1]
    if name == "three":
        return plt.subplots(1, 3)[1]
    if name == "figure":
        return plt.figure()
    return name


@pytest.mark.parametrize(
    "kwargs, exc_type, match",
    FROM_PREDICTIONS_INVALID,
    ids=[f"{i}-{list(case[0])}" for i, case in enumerate(FROM_PREDICTIONS_INVALID)],
)
def test_from_predictions_rejects(gum_1d, kwargs, exc_type, match):
    arguments = {"y_true": y, "y_pred": gum_1d.predict(X), **_fitted_arguments(gum_1d)}
    arguments.update(kwargs)
    if "ax" in arguments:
        arguments["ax"] = _axes(arguments["ax"])
    _assert_raises(exc_type, match, OutlierDisplay.from_predictions, **arguments)


# The same checks on two outputs: Sigma must be a covariance.
@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"covariance": [[1.0, 0.5], [-0.5, 1.0]]}, "covariance must be symmetric"),
        ({"covariance": [[1.0, 2.0], [2.0, 1.0]]}, "covariance must be positive semi-definite"),
        ({"groups": [[0], [1]]}, r"outlier_proba has 1 column\(s\), one per group, but groups has 2"),
        ({"n_std": (-1,)}, "n_std must hold positive radii"),
        ({"n_std": (1, math.nan)}, "n_std contains NaN"),
        ({"n_std": "12"}, "n_std must be numeric"),
    ],
)
def test_from_predictions_rejects_2d(gum_2d, kwargs, match):
    arguments = {"y_true": Y, "y_pred": gum_2d.predict(X), **_fitted_arguments(gum_2d)}
    arguments.update(kwargs)
    _assert_raises(ValueError, match, OutlierDisplay.from_predictions, **arguments)


def test_single_radius_draws_one_ellipse(gum_2d):
    display = OutlierDisplay.from_estimator(gum_2d, X, Y, n_std=2)
    eigenvalues = np.linalg.eigvalsh(gum_2d.covariance_)
    (ellipse,) = display.ellipses_
    assert_allclose([ellipse.width, ellipse.height], 2 * 2 * np.sqrt(eigenvalues[::-1]))
    assert ellipse.get_label() == "Gaussian at 2 σ"


def test_infinite_uniform_volume_draws_no_uniform(gum_1d):
    arguments = _fitted_arguments(gum_1d)
    arguments.update(inlier_prior=1.0, uniform_volume=math.inf)
    display = OutlierDisplay.from_predictions(y, gum_1d.predict(X), **arguments)
    assert display.uniform_line_ is None
    sigma2 = gum_1d.covariance_[0, 0]
    assert_allclose(display.gaussian_line_.get_ydata().max(), 1 / np.sqrt(2 * np.pi * sigma2))


@pytest.mark.parametrize("threshold, n_flagged", [(0.0, N), (1.0, 1)])
def test_threshold_at_the_ends(gum_1d, threshold, n_flagged):
    # PROBA runs from 0 to 1: threshold 0 flags every sample, 1 only the last.
    arguments = {**_fitted_arguments(gum_1d), "outlier_proba": PROBA}
    display = OutlierDisplay.from_predictions(
        y, gum_1d.predict(X), threshold=threshold, kind="scatter", **arguments
    )
    assert len(display.flagged_.get_offsets()) == n_flagged


def test_per_output_probabilities_with_explicit_groups(gum_per_output):
    display = OutlierDisplay.from_predictions(
        Y, gum_per_output.predict(X), groups=[[0], [1]], group=1,
        **_fitted_arguments(gum_per_output),
    )
    assert_allclose(display.scatter_.get_array(), gum_per_output.outlier_proba_[:, 1])
    assert_allclose(display.inlier_prior, gum_per_output.inlier_prior_[1])


# --------------------------------------------------------------------------
# OutlierDisplay built directly
# --------------------------------------------------------------------------


def _direct(**kwargs):
    arguments = dict(
        residuals=np.linspace(-1, 1, 5), y_pred=np.arange(5.0),
        outlier_proba=np.array([0, 0, 0, 0.5, 1]), inlier_prior=0.8,
        covariance=0.25, uniform_volume=4.0,
    )
    return OutlierDisplay(**{**arguments, **kwargs})


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"residuals": np.zeros((5, 3)), "y_pred": np.zeros((5, 3)), "covariance": np.eye(3)},
         "shows 1-D or 2-D residuals; got 3 columns"),
        ({"y_pred": np.zeros(4)}, r"y_pred \(4,\) must have the shape of residuals \(5, 1\)"),
        ({"outlier_proba": np.zeros(3)}, "outlier_proba has 3 values for 5 residuals"),
        ({"outlier_proba": np.zeros((5, 1))}, "outlier_proba must be 1-D"),
        ({"columns": [0, 1]}, "columns has 2 entries for 1 columns"),
        ({"residuals": []}, "residuals has no samples"),
    ],
)
def test_direct_display_rejects(kwargs, match):
    _assert_raises(ValueError, match, _direct(**kwargs).plot)


def test_direct_display_accepts_zero_dimensional_arrays():
    display = _direct(inlier_prior=np.array(0.8), threshold=np.float64(0.5)).plot()
    # 2 of 5 flagged; Gaussian peak rho / sqrt(2 pi sigma^2), uniform (1 - rho) / gamma.
    assert len(display.flagged_.get_offsets()) == 2
    assert_allclose(display.gaussian_line_.get_ydata().max(), 0.8 / np.sqrt(2 * np.pi * 0.25))
    assert_allclose(display.uniform_line_.get_ydata(), 0.2 / 4.0)


# --------------------------------------------------------------------------
# ConvergenceDisplay
# --------------------------------------------------------------------------


def _history(**kwargs):
    arguments = dict(log_likelihood=[-2.0, -1.5, -1.4], inlier_share=[1.0, 0.9, 0.9])
    return ConvergenceDisplay(**{**arguments, **kwargs})


@pytest.mark.parametrize(
    "kwargs, plot_kwargs, exc_type, match",
    [
        ({"inlier_share": [1.0, 0.9]}, {}, ValueError, "log_likelihood has 3 values and inlier_share 2"),
        ({"log_likelihood": [], "inlier_share": []}, {}, ValueError, "log_likelihood is empty"),
        ({"log_likelihood": np.zeros((3, 2))}, {}, ValueError, r"log_likelihood must be 1-D; got shape \(3, 2\)"),
        ({"log_likelihood": 0.0, "inlier_share": 1.0}, {}, ValueError, r"log_likelihood must be 1-D; got shape \(\)"),
        ({"log_likelihood": [-2.0, math.nan, -1.4]}, {}, ValueError, "log_likelihood contains NaN"),
        ({"log_likelihood": [-2.0, -math.inf, -1.4]}, {}, ValueError, "log_likelihood contains NaN or infinite"),
        ({"inlier_share": [1.0, 1.5, 0.9]}, {}, ValueError, r"inlier_share must lie in \[0, 1\]; got 1.5"),
        ({"inlier_share": [1.0, math.nan, 0.9]}, {}, ValueError, "inlier_share contains NaN"),
        ({"inlier_share": ["a", "b", "c"]}, {}, ValueError, "inlier_share must be numeric"),
        ({"converged": "no"}, {}, TypeError, "converged must be a bool"),
        ({}, {"ax": "ax"}, TypeError, "ax must be one matplotlib Axes"),
        ({}, {"ax": "pair"}, ValueError, "ax must be one matplotlib Axes .*got 2"),
        ({}, {"log_likelihood_kwargs": [1]}, TypeError, "log_likelihood_kwargs must be a dict"),
        ({}, {"inlier_share_kwargs": "red"}, TypeError, "inlier_share_kwargs must be a dict"),
    ],
)
def test_convergence_display_rejects(kwargs, plot_kwargs, exc_type, match):
    if "ax" in plot_kwargs:
        plot_kwargs = {**plot_kwargs, "ax": _axes(plot_kwargs["ax"])}
    _assert_raises(exc_type, match, _history(**kwargs).plot, **plot_kwargs)


@pytest.mark.parametrize(
    "converged, title",
    [
        (np.bool_(False), "EM did not converge after 2 iterations"),
        (True, "EM converged after 2 iterations"),
        (None, ""),
    ],
)
def test_convergence_display_title(converged, title):
    display = _history(converged=converged).plot()
    assert display.ax_.get_title() == title
    assert_array_equal(display.log_likelihood_line_.get_xdata(), [0, 1, 2])


def test_convergence_display_single_entry():
    # A GUM whose uniform was dropped stores the plain fit's single entry.
    display = _history(log_likelihood=[-1.2], inlier_share=[1], converged=True).plot()
    assert_array_equal(display.log_likelihood_line_.get_xdata(), [0])
    assert_allclose(display.inlier_share_line_.get_ydata(), [1.0])
    assert display.ax_.get_title() == "EM converged after 0 iterations"
