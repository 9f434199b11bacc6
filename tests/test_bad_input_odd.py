"""Odd inputs of GUMRegressor and the displays (issue 19): each raised a
traceback from numpy's or matplotlib's internals, or a wrong message, and
now gets a message naming the problem or the right result."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal

from sklearn_gum import GUMRegressor

RNG = np.random.RandomState(0)
X = RNG.normal(size=(60, 2))
Y = X @ [1.0, 2.0] + RNG.normal(scale=0.1, size=60)
Y[:6] += 10


@pytest.mark.parametrize("call, error, match", [
    (lambda: GUMRegressor().fit(np.matrix(X), Y), TypeError,
     r"X is a numpy.matrix, which is not supported.*np.asarray\(X\)"),
    (lambda: GUMRegressor().fit(X, np.matrix(Y)), TypeError,
     r"y is a numpy.matrix.*np.asarray\(y\)"),
    (lambda: GUMRegressor().fit(X, Y).predict(np.matrix(X)), TypeError,
     r"X is a numpy.matrix"),
    (lambda: GUMRegressor().fit(X, Y, sample_weight=np.full(60, 5e-324)), ValueError,
     r"sample_weight holds positive weights as small as 4.94e-324: below 1e-250.*"
     r"underflow"),
    (lambda: GUMRegressor().fit(X, Y, sample_weight=np.r_[np.ones(59), 1e-300]),
     ValueError, r"as small as 1e-300.*or set such weights to 0"),
])
def test_odd_inputs_are_named(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_tiny_but_normal_weights_are_accepted():
    # (the scale of the weights and the degrees of freedom: issue 19, in the core)
    with pytest.warns(UserWarning, match="frequency weights"):
        tiny = GUMRegressor().fit(X, Y, sample_weight=np.full(60, 1e-200))
    assert_array_equal(tiny.inlier_mask_, np.arange(60) >= 6)


@pytest.mark.parametrize("to_sparse", [sp.csr_matrix, sp.csc_array])
def test_sparse_targets_are_fitted_as_their_dense_column(to_sparse):
    dense = GUMRegressor().fit(X, Y[:, None])
    gum = GUMRegressor().fit(X, to_sparse(Y[:, None]))
    assert_array_equal(gum.inlier_mask_, np.arange(60) >= 6)
    assert_allclose(gum.predict(X), dense.predict(X))
    assert gum.predict(X).shape == (60, 1)


# -- the displays ------------------------------------------------------------

pytest.importorskip("matplotlib")


@pytest.fixture
def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    yield plt
    plt.close("all")


def _display(residuals, outlier_proba, covariance=1.0, inlier_prior=0.9, volume=1.0):
    from sklearn_gum.plotting import OutlierDisplay

    return OutlierDisplay.from_predictions(
        residuals, np.zeros_like(residuals), outlier_proba=outlier_proba,
        inlier_prior=inlier_prior, covariance=np.eye(np.ndim(residuals)) * covariance,
        uniform_volume=volume,
    )


@pytest.mark.parametrize("kind", ["histogram", "both"])
def test_residuals_spanning_below_the_float_resolution_get_a_histogram(pyplot, kind):
    residuals = np.r_[np.ones(47), 1 + 1e-15, 1 + 1e-15, 1 + 2e-15]
    display = _display(residuals, np.zeros(50)).plot(kind=kind)
    counts = [patch.get_height() > 0 for patch in display.hist_]
    assert sum(counts) == 3  # one bin per distinct value
    with pytest.raises(ValueError, match=r"bins=-1 is not valid for numpy.histogram"):
        _display(residuals, np.zeros(50)).plot(kind=kind, bins=-1)


@pytest.mark.parametrize("kind", ["histogram", "scatter", "both"])
def test_residuals_at_1e300_draw_without_overflow_warnings(pyplot, kind):
    residuals = RNG.normal(size=50)
    residuals[:3] = 1e300
    proba = (np.arange(50) < 3).astype(float)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        display = _display(residuals, proba, volume=2e300).plot(kind=kind)
        display.figure_.canvas.draw()
    if kind != "scatter":
        density = display.gaussian_line_.get_ydata()
        assert np.all(np.isfinite(density)) and density.max() == pytest.approx(
            0.9 / np.sqrt(2 * np.pi))


def test_convergence_display_names_log_likelihoods_beyond_1e300(pyplot):
    from sklearn_gum.plotting import ConvergenceDisplay

    display = ConvergenceDisplay(log_likelihood=[-1e300, -1.0],
                                 inlier_share=[0.5, 0.6])
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        display.plot().figure_.canvas.draw()
    with pytest.raises(ValueError, match=r"log_likelihood reaches 1e\+308 in "
                       r"magnitude: beyond 1e\+300.*rescale y"):
        ConvergenceDisplay(log_likelihood=[-1e308, 1e308],
                           inlier_share=[0.5, 0.6]).plot()
