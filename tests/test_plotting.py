"""Tests of the display classes and of the HTML summary.

Each display is rendered to a PNG with the Agg backend and its artists are
checked against the fitted numbers: colours against ``outlier_proba_``, the
Gaussian peak against ``rho / sqrt(2 pi sigma^2)``, the uniform level against
``(1 - rho) / gamma``, the ellipses against the eigenvalues of ``Sigma``, the
flagged markers against ``inlier_mask_``, the history lines against
``history_``.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_gum import GUMRegressor
from sklearn_gum._html import gum_html_repr, gum_summary_html

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sklearn_gum.plotting import ConvergenceDisplay, OutlierDisplay  # noqa: E402

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# One output: y = X beta + N(0, 0.5^2), 20 of 200 labels shifted by 5 to 15.
rng = np.random.RandomState(0)
N_SAMPLES, N_OUTLIERS = 200, 20
X = rng.normal(size=(N_SAMPLES, 2))
y = X @ [2.0, -1.0] + rng.normal(scale=0.5, size=N_SAMPLES)
OUTLIERS = rng.choice(N_SAMPLES, N_OUTLIERS, replace=False)
y[OUTLIERS] += rng.choice([-1, 1], N_OUTLIERS) * rng.uniform(5, 15, N_OUTLIERS)

# Two outputs, the (x, y) error of one landmark: correlated Gaussian noise and
# the same 20 samples moved anywhere in a 20 x 20 box.
B = rng.normal(size=(2, 2))
Y = X @ B + rng.multivariate_normal([0, 0], [[0.25, 0.1], [0.1, 0.16]], N_SAMPLES)
Y[OUTLIERS] += rng.uniform(-10, 10, size=(N_OUTLIERS, 2))


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    plt.close("all")


@pytest.fixture(scope="module")
def gum_1d():
    return GUMRegressor().fit(X, y)


@pytest.fixture(scope="module", params=["sample", [[0, 1]]])
def gum_2d(request):
    return GUMRegressor(outlier_granularity=request.param).fit(X, Y)


def _save_png(display, path):
    display.figure_.savefig(path)
    with open(path, "rb") as file:
        assert file.read(8) == PNG_SIGNATURE


def _assert_colours_follow(scatter, proba):
    """The scatter maps ``proba`` (same order) through its colormap on [0, 1]."""
    assert_allclose(scatter.get_array(), proba)
    assert (scatter.norm.vmin, scatter.norm.vmax) == (0, 1)
    scatter.figure.canvas.draw()
    assert_allclose(scatter.get_facecolors()[:, :3], scatter.cmap(proba)[:, :3])


def test_fit_finds_the_planted_outliers(gum_1d, gum_2d):
    # The display tests below rely on these fits.
    assert_array_equal(np.flatnonzero(~gum_1d.inlier_mask_), np.sort(OUTLIERS))
    assert_array_equal(np.flatnonzero(~np.ravel(gum_2d.inlier_mask_)), np.sort(OUTLIERS))


def test_outlier_display_1d_artists(gum_1d, tmp_path):
    display = OutlierDisplay.from_estimator(gum_1d, X, y)
    _save_png(display, tmp_path / "outliers_1d.png")
    rho, gamma = gum_1d.inlier_prior_, gum_1d.uniform_volume_
    sigma2 = gum_1d.covariance_[0, 0]

    # Scatter of residuals vs predictions, coloured by outlier_proba_.
    prediction = gum_1d.predict(X)
    assert_allclose(display.scatter_.get_offsets(), np.c_[prediction, y - prediction])
    _assert_colours_follow(display.scatter_, gum_1d.outlier_proba_)
    assert display.colorbar_.mappable is display.scatter_

    # One marker per flagged sample, on the flagged residuals.
    flagged = ~gum_1d.inlier_mask_
    assert len(display.flagged_.get_offsets()) == flagged.sum() == N_OUTLIERS
    assert_allclose(display.flagged_.get_offsets()[:, 1], (y - prediction)[flagged])

    # Density histogram: bar areas sum to one, so it compares with densities.
    heights = np.array([bar.get_height() for bar in display.hist_])
    widths = np.array([bar.get_width() for bar in display.hist_])
    assert_allclose(np.sum(heights * widths), 1)
    assert display.ax_hist_ is not display.ax_

    # Gaussian curve: rho N(e; 0, sigma^2), peak rho / sqrt(2 pi sigma^2) at 0.
    x, density = display.gaussian_line_.get_data()
    assert_allclose(density.max(), rho / np.sqrt(2 * np.pi * sigma2))
    assert x[np.argmax(density)] == 0
    assert_allclose(density, rho * np.exp(-(x**2) / (2 * sigma2)) / np.sqrt(2 * np.pi * sigma2))

    # Uniform level (1 - rho) / gamma over an interval of length gamma
    # centred on the flagged residuals (the box spans them, each pulled
    # towards the outliers' mean by its inlier responsibility: nearly all)
    x, level = display.uniform_line_.get_data()
    assert_allclose(level, (1 - rho) / gamma)
    assert_allclose(x[1] - x[0], gamma)
    residuals = (y - prediction)[flagged]
    assert_allclose(x[0] + x[1], residuals.min() + residuals.max())
    assert gamma >= 0.99 * np.ptp(residuals)


def test_outlier_display_on_new_data_uses_outlier_proba(gum_1d):
    X_new = rng.normal(size=(50, 2))
    y_new = X_new @ [2.0, -1.0] + rng.normal(scale=0.5, size=50)
    y_new[:5] += 10
    display = OutlierDisplay.from_estimator(gum_1d, X_new, y_new, kind="scatter")
    proba = gum_1d.outlier_proba(X_new, y_new)
    _assert_colours_follow(display.scatter_, proba)
    assert len(display.flagged_.get_offsets()) == (proba >= gum_1d.threshold).sum() == 5
    assert display.hist_ is None and display.ax_hist_ is None


def test_outlier_display_2d_ellipses(gum_2d, tmp_path):
    display = OutlierDisplay.from_estimator(gum_2d, X, Y, n_std=(1, 2, 3))
    _save_png(display, tmp_path / "outliers_2d.png")
    proba = np.ravel(gum_2d.outlier_proba_)

    assert_allclose(display.scatter_.get_offsets(), Y - gum_2d.predict(X))
    _assert_colours_follow(display.scatter_, proba)
    assert len(display.flagged_.get_offsets()) == (~np.ravel(gum_2d.inlier_mask_)).sum()
    assert display.hist_ is None and display.gaussian_line_ is None

    # Ellipse k has axes 2 k sqrt(eigenvalues of Sigma), along the eigenvectors.
    eigenvalues, eigenvectors = np.linalg.eigh(gum_2d.covariance_)
    assert len(display.ellipses_) == 3
    for k, ellipse in zip((1, 2, 3), display.ellipses_):
        assert_allclose(ellipse.width, 2 * k * np.sqrt(eigenvalues[1]))
        assert_allclose(ellipse.height, 2 * k * np.sqrt(eigenvalues[0]))
        assert_allclose(ellipse.center, (0, 0))
        major = eigenvectors[:, 1]
        angle = np.radians(ellipse.angle)
        assert_allclose(abs(np.dot([np.cos(angle), np.sin(angle)], major)), 1)


def test_outlier_display_per_output_group():
    # One group per output: group 1 shows column 1 with its own rho and gamma.
    gum = GUMRegressor(outlier_granularity="output").fit(X, Y)
    display = OutlierDisplay.from_estimator(gum, X, Y, group=1)
    rho, gamma = gum.inlier_prior_[1], gum.uniform_volume_[1]
    _assert_colours_follow(display.scatter_, gum.outlier_proba_[:, 1])
    assert len(display.flagged_.get_offsets()) == (~gum.inlier_mask_[:, 1]).sum()
    assert_allclose(
        display.gaussian_line_.get_ydata().max(),
        rho / np.sqrt(2 * np.pi * gum.covariance_[1, 1]),
    )
    assert_allclose(display.uniform_line_.get_ydata(), (1 - rho) / gamma)


def test_from_predictions_takes_existing_axes(gum_1d):
    _, axes = plt.subplots(1, 2)
    display = OutlierDisplay.from_predictions(
        y, gum_1d.predict(X), outlier_proba=gum_1d.outlier_proba_,
        inlier_prior=gum_1d.inlier_prior_, covariance=gum_1d.covariance_,
        uniform_volume=gum_1d.uniform_volume_, ax=axes, colorbar=False,
        scatter_kwargs={"cmap": "viridis"},
    )
    assert display.ax_ is axes[0] and display.ax_hist_ is axes[1]
    assert display.colorbar_ is None
    assert display.scatter_.cmap.name == "viridis"
    _assert_colours_follow(display.scatter_, gum_1d.outlier_proba_)


def test_no_uniform_line_without_outliers():
    clean_y = X @ [2.0, -1.0] + np.random.RandomState(1).normal(scale=0.5, size=N_SAMPLES)
    gum = GUMRegressor().fit(X, clean_y)
    assert not gum.has_outliers_
    display = OutlierDisplay.from_estimator(gum, X, clean_y, kind="histogram")
    assert display.uniform_line_ is None and display.scatter_ is None
    assert display.ax_ is display.ax_hist_
    assert_allclose(
        display.gaussian_line_.get_ydata().max(),
        1 / np.sqrt(2 * np.pi * gum.covariance_[0, 0]),
    )


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"kind": "pie"}, "kind must be"),
        ({"kind": "histogram"}, "needs 1-D residuals"),
        ({"group": 1}, "group must be in"),
    ],
)
def test_outlier_display_rejects_bad_arguments(gum_2d, kwargs, match):
    with pytest.raises(ValueError, match=match):
        OutlierDisplay.from_estimator(gum_2d, X, Y, **kwargs)


def test_from_predictions_needs_groups_when_shapes_are_ambiguous():
    with pytest.raises(ValueError, match="pass groups"):
        OutlierDisplay.from_predictions(
            np.zeros((5, 4)), np.zeros((5, 4)), outlier_proba=np.zeros((5, 2)),
            inlier_prior=[0.9, 0.9], covariance=np.eye(4), uniform_volume=[1, 1],
        )


def test_convergence_display(gum_1d, tmp_path):
    display = ConvergenceDisplay.from_estimator(gum_1d)
    _save_png(display, tmp_path / "history.png")
    n_points = gum_1d.n_iter_ + 1
    x, log_likelihood = display.log_likelihood_line_.get_data()
    assert_array_equal(x, np.arange(n_points))
    assert_allclose(log_likelihood, gum_1d.history_["log_likelihood"])
    assert_allclose(display.inlier_share_line_.get_ydata(), gum_1d.history_["inlier_share"])
    assert display.inlier_share_line_.axes is display.ax_share_
    assert display.ax_share_.get_shared_x_axes().joined(display.ax_, display.ax_share_)
    assert_allclose(display.inlier_share_line_.get_ydata()[-1], gum_1d.inlier_mask_.mean())
    assert display.ax_.get_title() == f"EM converged after {gum_1d.n_iter_} iterations"


def test_displays_need_a_fitted_estimator():
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        OutlierDisplay.from_estimator(GUMRegressor(), X, y)
    with pytest.raises(NotFittedError):
        ConvergenceDisplay.from_estimator(GUMRegressor())


def test_plotting_module_imports_without_matplotlib():
    import subprocess
    import sys

    code = (
        "import sys; sys.modules['matplotlib'] = None\n"
        "import sklearn_gum.plotting as p\n"
        "try:\n"
        "    p.ConvergenceDisplay(log_likelihood=[0], inlier_share=[1]).plot()\n"
        "except ImportError as exc:\n"
        "    print('ImportError', exc)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert "ImportError" in result.stdout and "matplotlib" in result.stdout


# HTML summary -------------------------------------------------------------


class _HookedGUM(GUMRegressor):
    """GUMRegressor with the hook proposed for ``_gum.py``."""

    def _html_repr(self):
        return gum_html_repr(self)


def _cells(html):
    """Text of the summary's table cells."""
    import re

    return re.findall(r"<td[^>]*>(.*?)</td>", html)


def test_summary_html_unfitted_is_empty():
    assert gum_summary_html(GUMRegressor()) == ""
    assert gum_html_repr(GUMRegressor()).count("sklearn-gum-summary") == 0


def test_summary_html_shows_the_fitted_numbers(gum_1d):
    cells = _cells(gum_summary_html(gum_1d))
    share = 100 * gum_1d.inlier_mask_.mean()
    assert f"{share:.1f}%" in cells and share == 90
    assert f"{N_OUTLIERS} of {N_SAMPLES} samples" in cells
    assert f"{gum_1d.inlier_prior_:.3f}" in cells
    assert f"yes (NEC evidence: {gum_1d.outlier_evidence_:.1f})" in cells
    assert f"converged in {gum_1d.n_iter_} iterations" in cells
    assert f"{gum_1d.log_likelihood_:.4g}" in cells


def test_summary_html_per_group_values():
    gum = GUMRegressor(outlier_granularity="output").fit(X, Y)
    cells = _cells(gum_summary_html(gum))
    n_flagged = int((~gum.inlier_mask_).sum())
    n_any = int((~gum.inlier_mask_).any(axis=1).sum())
    assert (
        f"{n_flagged} of {2 * N_SAMPLES} (sample, group) pairs; "
        f"{n_any} of {N_SAMPLES} samples have one"
    ) in cells
    rho = "[" + ", ".join(f"{value:.3f}" for value in gum.inlier_prior_) + "]"
    assert rho in cells


def test_summary_html_escapes():
    gum = GUMRegressor().fit(X, y)
    gum.weighting_ = "<script>alert(1)</script>"
    html = gum_summary_html(gum)
    assert "<script>" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


@pytest.mark.parametrize("estimator", [_HookedGUM(), _HookedGUM().fit(X, y)])
def test_notebook_repr_with_hook(estimator):
    # Jupyter asks _repr_mimebundle_ first, then _repr_html_: both must show
    # scikit-learn's diagram and, once fitted, the summary inside its <body>.
    bundle = estimator._repr_mimebundle_()["text/html"]
    for html in (bundle, estimator._repr_html_()):
        assert "sk-top-container" in html
        fitted = hasattr(estimator, "n_iter_")
        assert html.count("sklearn-gum-summary") == int(fitted)
        if fitted:
            if "</body>" in html:  # (scikit-learn 1.6's diagram has no <body>)
                assert html.index("sklearn-gum-summary") < html.rindex("</body>")
            assert f"converged in {estimator.n_iter_} iterations" in html


def test_gum_regressor_notebook_repr_shows_summary(gum_1d):
    assert "sklearn-gum-summary" in gum_1d._repr_mimebundle_()["text/html"]
    assert "sklearn-gum-summary" in gum_1d._repr_html_()
