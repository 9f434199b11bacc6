"""Tests for sklearn_gum.nn: GUM for skorch networks, weighted nets, robust losses.

Tiny nets on tiny data, on CPU (one torch thread); CUDA checks are marked
``cuda`` and skip without a GPU. Hand-checked numbers give their derivation.
"""

import doctest
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")


from scipy import linalg
from sklearn.base import clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import HuberRegressor
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV
from skorch import NeuralNetClassifier, NeuralNetRegressor
from skorch.dataset import ValidSplit

from _nets import MLP
from sklearn_gum import GUMRegressor, _mixture
from sklearn_gum import nn as gum_nn
from sklearn_gum.nn._losses import mahalanobis_loss
from sklearn_gum.nn._net import _WeightedTarget
from sklearn_gum.nn import (
    ScaledHuberLoss,
    TukeyBiweightLoss,
    WeightedNeuralNetRegressor,
    mad_scale,
    torch_e_step,
)

cuda = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")


pytestmark = pytest.mark.usefixtures("torch_one_thread")


def make_net(cls=NeuralNetRegressor, n_out=2, max_epochs=40, lr=0.01, **kwargs):
    kwargs = {"verbose": 0, "iterator_train__shuffle": True, "train_split": None,
              **kwargs}
    return cls(
        MLP, module__n_out=n_out, optimizer=torch.optim.Adam, lr=lr,
        max_epochs=max_epochs, batch_size=32, **kwargs,
    )


def curve(X):
    return np.column_stack([np.sin(X[:, 0]), np.cos(X[:, 0])]).astype(np.float32)


# 20% gross label outliers on a smooth 2-output curve (module level, as in
# sklearn's test_ransac).
rng = np.random.RandomState(0)
X_CURVE = rng.uniform(-3, 3, size=(300, 1)).astype(np.float32)
Y_CLEAN = curve(X_CURVE) + rng.normal(scale=0.05, size=(300, 2)).astype(np.float32)
OUTLIERS = np.zeros(300, dtype=bool)
OUTLIERS[rng.choice(300, 60, replace=False)] = True
Y_CURVE = Y_CLEAN.copy()
Y_CURVE[OUTLIERS] = rng.uniform(-4, 4, size=(60, 2))
X_TEST = np.linspace(-2.8, 2.8, 200, dtype=np.float32)[:, None]


def test_import_sklearn_gum_does_not_import_torch():
    code = (
        "import sys, sklearn_gum, sklearn_gum.datasets; "
        "print('torch' in sys.modules, 'skorch' in sys.modules)"
    )
    output = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert output.split() == ["False", "False"]


@pytest.mark.parametrize("module", ["sklearn_gum.nn", "sklearn_gum.nn._losses",
                                    "sklearn_gum.nn._net", "sklearn_gum.nn._criterion"])
def test_docstring_examples(module):
    result = doctest.testmod(sys.modules[module])
    assert result.failed == 0 and result.attempted > 0


# -- robust losses -----------------------------------------------------------


def test_huber_closed_form():
    # delta=1.345, s=2: u = r / s = [0.25, -1, 2];
    # rho = [0.25^2/2, 1/2, 1.345 (2 - 1.345/2)] = [0.03125, 0.5, 1.7854875];
    # loss = s^2 rho = [0.125, 2.0, 7.14195].
    loss = ScaledHuberLoss(scale=2.0, reduction="none")
    values = loss(torch.tensor([0.5, -2.0, 4.0], dtype=torch.float64),
                  torch.zeros(3, dtype=torch.float64))
    assert_allclose(values.numpy(), [0.125, 2.0, 7.14195])
    mean = ScaledHuberLoss(scale=2.0)(torch.tensor([0.5, -2.0, 4.0]), torch.zeros(3))
    assert mean.item() == pytest.approx((0.125 + 2.0 + 7.14195) / 3, rel=1e-6)


def test_huber_matches_torch_with_unit_scale():
    pred, target = torch.randn(50, 3) * 3, torch.randn(50, 3)
    ours = ScaledHuberLoss(delta=1.0, scale=1.0)(pred, target)
    assert ours.item() == pytest.approx(torch.nn.HuberLoss()(pred, target).item())


def test_mad_scale_matches_numpy_per_output():
    # Column 0: median 3, |r - 3| = [2, 1, 0, 1, 97], MAD 1, s = 1.4826.
    # Column 1 (even count with column 0's 100 left out is not possible, so
    # scaled by 10): s = 14.826.
    residuals = torch.tensor([[1.0, 10], [2, 20], [3, 30], [4, 40], [100, 1000]])
    assert_allclose(mad_scale(residuals).numpy(), [[1.4826, 14.826]], rtol=1e-6)
    even = torch.tensor([[1.0], [2], [4], [8]])  # median 3, |r-3| med 1.5
    assert_allclose(mad_scale(even).numpy(), [[1.4826 * 1.5]], rtol=1e-6)


def test_tukey_closed_form_with_mad_scale():
    # s = 1.4826 (see above), c = 4.685, plateau c^2/6 = 3.658204.
    # r = 1: u = 0.674491, (u/c)^2 = 0.0207268, 1 - (1 - 0.0207268)^3 = 0.0609006,
    # loss = s^2 * 3.658204 * 0.0609006 = 2.198103 * 0.222786 = 0.489708;
    # r = 100: beyond c, loss = s^2 * 3.658204 = 8.041109.
    residuals = torch.tensor([1.0, 2, 3, 4, 100], dtype=torch.float64)[:, None]
    values = TukeyBiweightLoss(reduction="none")(residuals, torch.zeros_like(residuals))
    assert values[0, 0].item() == pytest.approx(0.489708, rel=1e-5)
    assert values[4, 0].item() == pytest.approx(8.041109, rel=1e-6)
    s, c = 1.4826, 4.685
    u = residuals[:, 0].numpy() / s
    expected = s**2 * c**2 / 6 * np.where(
        np.abs(u) <= c, 1 - (1 - (u / c) ** 2) ** 3, 1.0
    )
    assert_allclose(values[:, 0].numpy(), expected, rtol=1e-10)


def test_tukey_gives_no_gradient_beyond_c():
    pred = torch.tensor([0.1, -0.2, 0.3, 0.0, 50.0], requires_grad=True)[:, None]
    pred.retain_grad()
    TukeyBiweightLoss(scale=1.0)(pred, torch.zeros_like(pred)).backward()
    assert pred.grad[4, 0].item() == 0.0
    assert np.all(pred.grad[:3, 0].numpy() != 0)


@pytest.mark.parametrize("loss", [ScaledHuberLoss, TukeyBiweightLoss])
def test_robust_losses_check_parameters(loss):
    with pytest.raises(ValueError, match="reduction"):
        loss(reduction="max")
    with pytest.raises(ValueError, match="scale"):
        loss(scale=-1.0)


# -- the E-step in torch -----------------------------------------------------


@pytest.mark.parametrize("inlier_prior", [0.7, 1.0])
def test_torch_e_step_equals_numpy(inlier_prior):
    residuals = np.random.RandomState(1).normal(size=(50, 2)) * [1.0, 3.0]
    params = _mixture.GroupParams(
        inlier_prior, np.array([[1.0, 0.3], [0.3, 2.0]]),
        np.log(100.0) if inlier_prior < 1 else np.inf,
    )
    resp, log_lik = _mixture.e_step(residuals, params)
    resp_t, log_lik_t = torch_e_step(torch.as_tensor(residuals), inlier_prior,
                                     params.covariance, np.exp(params.log_volume))
    assert_allclose(resp_t.numpy(), resp, rtol=1e-12)
    assert_allclose(log_lik_t.numpy(), log_lik, rtol=1e-12)


def test_torch_e_step_rejects_degenerate_covariance():
    with pytest.raises(ValueError, match="reg_covar"):
        torch_e_step(torch.zeros(3, 2, dtype=torch.float64), 0.5, np.zeros((2, 2)), 1.0)


# -- the weighted net --------------------------------------------------------


def _groups_data():
    rs = np.random.RandomState(2)
    e = rs.normal(size=(6, 3))
    resp = rs.uniform(size=(6, 2))
    sigma_a = np.array([[2.0, 0.5], [0.5, 1.0]])
    sigma_b = np.array([[0.25]])
    return e, resp, sigma_a, sigma_b


def test_mahalanobis_loss_equals_hand_computed_value():
    # Groups {0, 1} and {2}: loss = mean_n sum_g r_ng e_ng^T Sigma_g^{-1} e_ng.
    e, resp, sigma_a, sigma_b = _groups_data()
    expected = np.mean([
        resp[n, 0] * e[n, :2] @ np.linalg.solve(sigma_a, e[n, :2])
        + resp[n, 1] * e[n, 2] ** 2 / sigma_b[0, 0]
        for n in range(6)
    ])
    whitening = linalg.block_diag(
        np.linalg.inv(np.linalg.cholesky(sigma_a)), np.linalg.inv(np.sqrt(sigma_b))
    )
    weights = resp[:, [0, 0, 1]]
    loss = mahalanobis_loss(
        torch.nn.MSELoss(reduction="none"), torch.as_tensor(e), torch.zeros(6, 3,
        dtype=torch.float64), torch.as_tensor(weights), torch.as_tensor(whitening),
    )
    assert loss.item() == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("trace", [None, 3.25])
def test_weighted_net_get_loss_is_the_mahalanobis_m_step(trace):
    e, resp, sigma_a, sigma_b = _groups_data()
    raw = np.mean([
        resp[n, 0] * e[n, :2] @ np.linalg.solve(sigma_a, e[n, :2])
        + resp[n, 1] * e[n, 2] ** 2 / sigma_b[0, 0]
        for n in range(6)
    ])
    # A trace multiplies by tr(Sigma) / d^2 = (2 + 1 + 0.25) / 9; none by 1 / d.
    factor = 1 / 3 if trace is None else 3.25 / 9
    net = make_net(WeightedNeuralNetRegressor, n_out=3).initialize()
    whitening = linalg.block_diag(
        np.linalg.inv(np.linalg.cholesky(sigma_a)), 1 / np.sqrt(sigma_b)
    )
    # 10 rows in the buffer; the batch holds rows 9, 0, ..., 4 (any order).
    rows = np.array([9, 0, 1, 2, 3, 4])
    buffer = np.zeros((10, 3))
    buffer[rows] = resp[:, [0, 0, 1]]
    net.set_loss_weights(buffer, whitening, trace=trace)
    y_true = _WeightedTarget(torch.zeros(6, 3), torch.as_tensor(rows))
    loss = net.get_loss(torch.as_tensor(e, dtype=torch.float32), y_true)
    assert loss.item() == pytest.approx(factor * raw, rel=1e-5)


def test_unit_weights_give_the_plain_mse():
    net = make_net(WeightedNeuralNetRegressor).initialize()
    net.set_loss_weights(np.ones((8, 1)))
    pred, target = torch.randn(8, 2), torch.randn(8, 2)
    loss = net.get_loss(pred, _WeightedTarget(target, torch.arange(8)))
    assert loss.item() == pytest.approx(torch.nn.MSELoss()(pred, target).item())
    # Outside fit (no rows), the unreduced criterion is averaged.
    assert net.get_loss(pred, target).item() == pytest.approx(loss.item())


def _trained_state(y, sample_weight):
    torch.manual_seed(0)
    net = make_net(WeightedNeuralNetRegressor, max_epochs=3)
    net.fit(X_CURVE, y, sample_weight=sample_weight)
    return {k: v.clone() for k, v in net.module_.state_dict().items()}


def test_zero_weight_rows_do_not_move_the_net():
    weights = np.ones(300)
    weights[:100] = 0
    moved = Y_CLEAN.copy()
    moved[:100] = 1e3
    reference = _trained_state(Y_CLEAN, weights)
    shifted = _trained_state(moved, weights)
    for key in reference:
        assert_array_equal(reference[key].numpy(), shifted[key].numpy())
    changed = _trained_state(moved, np.ones(300))
    assert not np.allclose(reference["layers.4.bias"], changed["layers.4.bias"])


def test_weighted_net_alone_ignores_down_weighted_rows():
    y = Y_CLEAN.copy()
    y[:100] += 5.0
    weights = np.r_[np.zeros(100), np.ones(200)]
    torch.manual_seed(0)
    net = make_net(WeightedNeuralNetRegressor, max_epochs=60)
    net.fit(X_CURVE, y, sample_weight=weights)
    error = np.abs(net.predict(X_TEST) - curve(X_TEST)).mean()
    assert error < 0.15
    assert net.loss_weight_ is None  # the buffer lives only during fit


def test_weighted_net_takes_per_element_weights():
    y = Y_CLEAN.copy()
    y[:150, 1] += 5.0  # column 1 of half the rows is wrong
    weights = np.ones((300, 2))
    weights[:150, 1] = 0
    torch.manual_seed(0)
    net = make_net(WeightedNeuralNetRegressor, max_epochs=60).fit(
        X_CURVE, y, sample_weight=weights
    )
    assert np.abs(net.predict(X_TEST) - curve(X_TEST)).mean() < 0.15


@pytest.mark.parametrize("weights, match", [
    (-np.ones(300), "non-negative"), (np.ones(5), "shape"),
])
def test_weighted_net_checks_sample_weight(weights, match):
    with pytest.raises(ValueError, match=match):
        net = make_net(WeightedNeuralNetRegressor)
        net.fit(X_CURVE, Y_CLEAN, sample_weight=weights)


def test_weighted_net_needs_an_unreducible_criterion():
    class NoReduction(torch.nn.Module):
        def forward(self, a, b):
            return ((a - b) ** 2).mean()

    net = make_net(WeightedNeuralNetRegressor, criterion=NoReduction)
    with pytest.raises(TypeError, match="reduction"):
        net.initialize()


# -- GUM with a network ------------------------------------------------------


def test_gum_net_beats_l2_and_finds_the_outliers():
    torch.manual_seed(0)
    plain = make_net(max_epochs=60, train_split=None).fit(X_CURVE, Y_CURVE)
    gum = GUMRegressor(make_net(max_epochs=60), random_state=0).fit(X_CURVE, Y_CURVE)
    plain_error = np.sqrt(np.mean((plain.predict(X_TEST) - curve(X_TEST)) ** 2))
    gum_error = np.sqrt(np.mean((gum.predict(X_TEST) - curve(X_TEST)) ** 2))
    assert gum_error < 0.5 * plain_error
    assert gum_error < 0.08
    assert roc_auc_score(OUTLIERS, gum.outlier_proba_) > 0.95
    assert gum.has_outliers_
    assert 0.7 < gum.inlier_prior_ < 0.9
    assert isinstance(gum.estimator_, WeightedNeuralNetRegressor)
    assert isinstance(gum.estimator_.module_, MLP)


def test_gum_net_per_group_responsibilities():
    # Two "landmarks" (columns 0 and 1 as separate groups); each is corrupted
    # on its own rows, so only per-element weights can keep the good halves.
    rs = np.random.RandomState(3)
    y, bad = Y_CLEAN.copy(), rs.uniform(size=(300, 2)) < 0.2
    y[bad] = rs.uniform(-4, 4, size=bad.sum())
    gum = GUMRegressor(make_net(max_epochs=60), outlier_granularity="output",
                       random_state=0).fit(X_CURVE, y)
    assert gum.outlier_proba_.shape == (300, 2)
    for k in range(2):
        assert roc_auc_score(bad[:, k], gum.outlier_proba_[:, k]) > 0.95
    assert np.sqrt(np.mean((gum.predict(X_TEST) - curve(X_TEST)) ** 2)) < 0.1


@pytest.mark.parametrize("granularity, shape, n_groups", [
    ("sample", (300,), 1), ("output", (300, 2), 2), ([[0, 1]], (300,), 1),
])
def test_gum_net_fitted_attributes(granularity, shape, n_groups):
    gum = GUMRegressor(make_net(max_epochs=10), outlier_granularity=granularity,
                       outlier_component="always", random_state=0)
    gum.fit(X_CURVE, Y_CURVE)
    assert gum.outlier_proba_.shape == shape
    assert gum.inlier_mask_.shape == shape
    assert_array_equal(gum.inlier_mask_, gum.outlier_proba_ < 0.5)
    assert gum.covariance_.shape == (2, 2)
    assert len(gum.groups_) == n_groups
    assert np.shape(gum.inlier_prior_) == (() if shape == (300,) else (n_groups,))
    assert gum.weighting_ == "soft"
    assert gum.n_features_in_ == 1
    assert gum.predict(X_TEST).shape == (200, 2)
    assert len(gum.history_["log_likelihood"]) == gum.n_iter_ + 1
    assert gum.estimator_.train_split is None  # converted plain net
    # The fitted net keeps neither the GUM callback nor the GUM criterion.
    assert "gum_em" not in dict(gum.estimator_.callbacks_)
    assert isinstance(gum.estimator_.criterion_, torch.nn.MSELoss)


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
def test_gum_net_covariance_types(covariance_type):
    gum = GUMRegressor(make_net(max_epochs=8), covariance_type=covariance_type,
                       random_state=0).fit(X_CURVE, Y_CURVE)
    covariance = gum.covariance_
    if covariance_type != "full":
        assert covariance[0, 1] == 0
    if covariance_type == "spherical":
        assert covariance[0, 0] == pytest.approx(covariance[1, 1])
    history = gum.estimator_.history
    assert_allclose(history[-1, "gum_covariance"], covariance, rtol=1e-12)


def test_gum_net_records_rho_and_sigma_per_epoch():
    net = make_net(WeightedNeuralNetRegressor, max_epochs=10)
    gum = GUMRegressor(net, outlier_granularity="output", tol=0, warmup_epochs=3,
                       estep_every=2, random_state=0).fit(X_CURVE, Y_CURVE)
    history = gum.estimator_.history
    epochs = history[:, "epoch"]
    recorded = [row["epoch"] for row in history if "gum_inlier_prior" in row]
    assert recorded == list(range(3, 11)) and len(epochs) == 10
    # E-steps after epochs 3 (first), 5, 7, 9; none after the last epoch.
    steps = [row["epoch"] for row in history if row.get("event_gum_estep")]
    assert steps == [3, 5, 7, 9]
    assert gum.n_iter_ == 4  # three refreshes and the final E-step
    assert len(history[-1, "gum_inlier_prior"]) == 2
    assert np.shape(history[:, "gum_covariance"]) == (8, 2, 2)
    assert np.all(np.isfinite(history[:, "gum_log_likelihood"]))


def test_gum_net_unconverged_max_iter_warns():
    with pytest.warns(ConvergenceWarning, match="max_iter=2"):
        gum = GUMRegressor(make_net(max_epochs=10), max_iter=2, tol=0,
                           random_state=0).fit(X_CURVE, Y_CURVE)
    assert gum.n_iter_ == 2 and not gum.converged_


def test_gum_net_epochs_running_out_is_not_a_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error", ConvergenceWarning)
        gum = GUMRegressor(make_net(max_epochs=6), tol=0,
                           random_state=0).fit(X_CURVE, Y_CURVE)
    assert not gum.converged_
    assert gum.n_iter_ == 5  # E-steps after epochs 1..5 and the final one


def test_gum_net_stops_refreshing_once_converged():
    gum = GUMRegressor(make_net(max_epochs=10), tol=1e6,
                       random_state=0).fit(X_CURVE, Y_CURVE)
    assert gum.converged_
    history = gum.estimator_.history
    steps = [row["epoch"] for row in history if row.get("event_gum_estep")]
    # warm-up max(1, 10 // 10) = 1 epoch, the first E-step, one that converged
    assert steps == [1, 2]
    assert gum.n_iter_ == 2


def test_gum_net_on_clean_data_drops_the_uniform():
    rs = np.random.RandomState(4)
    X = rs.uniform(-1, 1, size=(400, 1)).astype(np.float32)
    y = (2 * X + rs.normal(scale=0.1, size=(400, 1))).astype(np.float32)
    net = NeuralNetRegressor(
        torch.nn.Linear, module__in_features=1, module__out_features=1,
        optimizer=torch.optim.Adam, lr=0.05, max_epochs=30, verbose=0,
    )
    gum = GUMRegressor(net, random_state=0).fit(X, y)
    assert not gum.has_outliers_
    assert gum.inlier_prior_ == 1.0 and gum.inlier_mask_.all()
    assert gum.outlier_evidence_ < 0
    # The counters agree: a history entry per decision (after epochs 3..29,
    # warm-up max(1, 30 // 10) = 3, and the final pass: 28), n_iter_ the
    # decisions after the first (it was the decision's inner EM iterations).
    assert gum.n_iter_ == 27 and gum.converged_
    assert len(gum.history_["log_likelihood"]) == gum.n_iter_ + 1
    assert gum.covariance_[0, 0] == pytest.approx(0.01, rel=0.3)
    forced = GUMRegressor(net, outlier_component="always", random_state=0).fit(X, y)
    # Forced on, the uniform is kept at the first E-step despite the evidence.
    assert forced.has_outliers_ and forced.outlier_evidence_ < 0


def test_gum_net_with_a_validation_split_fits_the_mixture_on_training_rows():
    net = make_net(WeightedNeuralNetRegressor, max_epochs=20,
                   train_split=ValidSplit(4))
    gum = GUMRegressor(net, random_state=0).fit(X_CURVE, Y_CURVE)
    assert "valid_loss" in gum.estimator_.history[-1]
    assert gum.outlier_proba_.shape == (300,)
    assert roc_auc_score(OUTLIERS, gum.outlier_proba_) > 0.9


def test_gum_net_residuals_from_train_or_eval_passes():
    for source in ("train", "eval"):
        net = make_net(WeightedNeuralNetRegressor, max_epochs=40)
        gum = GUMRegressor(net, estep_residuals=source,
                           random_state=0).fit(X_CURVE, Y_CURVE)
        assert roc_auc_score(OUTLIERS, gum.outlier_proba_) > 0.95, source


def test_gum_net_one_dimensional_target_and_outlier_proba_method():
    y = Y_CURVE[:, 0]
    gum = GUMRegressor(make_net(n_out=1, max_epochs=20), random_state=0).fit(X_CURVE, y)
    assert gum.predict(X_TEST).shape == (200,)
    assert gum.outlier_proba_.shape == (300,)
    assert_allclose(gum.outlier_proba(X_CURVE, y), gum.outlier_proba_, atol=1e-5)


def test_gum_net_is_reproducible_without_touching_the_global_seed():
    torch.manual_seed(123)
    before = torch.get_rng_state()
    first = GUMRegressor(make_net(max_epochs=8), random_state=7).fit(X_CURVE, Y_CURVE)
    assert torch.equal(torch.get_rng_state(), before)
    second = GUMRegressor(make_net(max_epochs=8), random_state=7).fit(X_CURVE, Y_CURVE)
    assert_array_equal(first.outlier_proba_, second.outlier_proba_)


def test_gum_net_n_init_keeps_the_most_likely_run(monkeypatch):
    from sklearn_gum.nn import _fit

    runs = []

    def recorded(*args, **kwargs):
        runs.append(train(*args, **kwargs))
        return runs[-1]

    train = _fit._train
    monkeypatch.setattr(_fit, "_train", recorded)
    # with this seed a later run than the first is the most likely
    gum = GUMRegressor(make_net(max_epochs=8), n_init=3, random_state=1)
    gum.fit(X_CURVE, Y_CURVE)
    likelihoods = [run.log_likelihood for run in runs]
    assert len(likelihoods) == 3 and np.argmax(likelihoods) > 0
    assert gum.log_likelihood_ == max(likelihoods)
    kept = runs[int(np.argmax(likelihoods))]
    assert gum.estimator_ is kept.estimator
    assert_allclose(gum.outlier_proba_, 1 - kept.resp[:, 0])


def test_gum_net_init_regressor_skips_the_warm_up():
    X = np.c_[X_CURVE, X_CURVE**2]
    noise = np.random.RandomState(0).normal(scale=0.1, size=(300, 1))
    y = (X @ [1.0, -0.5] + noise[:, 0])[:, None].astype(np.float32)
    y[OUTLIERS] = 10.0
    net = NeuralNetRegressor(
        torch.nn.Linear, module__in_features=2, module__out_features=1,
        optimizer=torch.optim.Adam, lr=0.05, max_epochs=10, verbose=0,
    )
    # A robust start regressor, fitted here before the first epoch.
    gum = GUMRegressor(net, init=HuberRegressor(), random_state=0)
    gum.fit(X.astype(np.float32), y)
    history = gum.estimator_.history
    assert "gum_inlier_prior" in history[0]  # E-step before the first epoch
    assert_array_equal(gum.inlier_mask_, ~OUTLIERS)


def test_gum_net_sample_weight_and_validation():
    weights = np.ones(300)
    weights[OUTLIERS] = 0  # the outliers no longer count
    gum = GUMRegressor(make_net(max_epochs=20), random_state=0)
    gum.fit(X_CURVE, Y_CURVE, sample_weight=weights)
    assert gum.outlier_proba_.shape == (300,)
    with pytest.raises(ValueError, match="Negative"):
        gum.fit(X_CURVE, Y_CURVE, sample_weight=-weights)
    bad = Y_CURVE.copy()
    bad[0, 0] = np.nan
    with pytest.raises(ValueError, match="NaN"):
        gum.fit(X_CURVE, bad)
    with pytest.raises(ValueError, match="inconsistent"):
        gum.fit(X_CURVE[:10], Y_CURVE)


@pytest.mark.parametrize("params, error, match", [
    ({"init": "subsets"}, ValueError, "subsets"),
    ({"warmup_epochs": 5}, ValueError, "warmup_epochs must be below max_epochs"),
    ({"estep_every": 0}, ValueError, "estep_every"),
    ({"estimator": make_net(NeuralNetClassifier)}, TypeError, "NeuralNetRegressor"),
])
def test_gum_net_rejects_bad_settings(params, error, match):
    gum = GUMRegressor(**{"estimator": make_net(max_epochs=5), **params})
    with pytest.raises(error, match=match):
        gum.fit(X_CURVE, Y_CURVE)


def test_gum_net_pickles_and_saves_params(tmp_path):
    gum = GUMRegressor(make_net(max_epochs=8), random_state=0).fit(X_CURVE, Y_CURVE)
    loaded = pickle.loads(pickle.dumps(gum))
    assert_array_equal(loaded.predict(X_TEST), gum.predict(X_TEST))
    assert_array_equal(loaded.outlier_proba_, gum.outlier_proba_)
    gum.estimator_.save_params(f_params=tmp_path / "net.pt")
    fresh = clone(gum.estimator_).initialize()
    fresh.load_params(f_params=tmp_path / "net.pt")
    assert_array_equal(fresh.predict(X_TEST), gum.predict(X_TEST))


def test_gum_net_grid_search_over_net_parameters():
    grid = GridSearchCV(
        GUMRegressor(make_net(), random_state=0),
        {"estimator__lr": [0.001, 0.02], "estimator__max_epochs": [5, 30]},
        cv=2,
    )
    grid.fit(X_CURVE, Y_CLEAN)
    assert grid.best_params_ == {"estimator__lr": 0.02, "estimator__max_epochs": 30}
    assert grid.best_estimator_.estimator_.max_epochs == 30


def test_no_public_name_of_nn_returns_the_core_result():
    # fit_network_gum returned the private EMResult; GUMRegressor.fit is the door.
    assert not hasattr(gum_nn, "fit_network_gum")
    assert not hasattr(gum_nn.GUMCriterion, "result")


# -- CUDA --------------------------------------------------------------------


@pytest.mark.cuda
@cuda
def test_torch_e_step_on_cuda_equals_numpy():
    residuals = np.random.RandomState(1).normal(size=(500, 2))
    params = _mixture.GroupParams(0.8, np.array([[1.0, 0.3], [0.3, 2.0]]), np.log(50.0))
    resp, log_lik = _mixture.e_step(residuals, params)
    resp_t, log_lik_t = torch_e_step(torch.as_tensor(residuals, device="cuda"), 0.8,
                                     params.covariance, 50.0)
    assert resp_t.device.type == "cuda"
    assert_allclose(resp_t.cpu().numpy(), resp, rtol=1e-10)
    assert_allclose(log_lik_t.cpu().numpy(), log_lik, rtol=1e-10)


@pytest.mark.cuda
@cuda
def test_gum_net_trains_on_cuda():
    gum = GUMRegressor(make_net(max_epochs=60, device="cuda"), random_state=0)
    gum.fit(X_CURVE, Y_CURVE)
    assert str(gum.estimator_.device) == "cuda"
    assert next(gum.estimator_.module_.parameters()).is_cuda
    assert roc_auc_score(OUTLIERS, gum.outlier_proba_) > 0.95
    loaded = pickle.loads(pickle.dumps(gum))
    assert_allclose(loaded.predict(X_TEST), gum.predict(X_TEST))


def test_train_mask_follows_the_split():
    from sklearn_gum.nn._callback import train_mask
    from sklearn_gum.nn._net import _RowIndexed

    dataset = _RowIndexed(skorch.dataset.Dataset(X_CURVE[:10], Y_CURVE[:10]))
    subset = torch.utils.data.Subset(dataset, [1, 4, 7])
    assert_array_equal(np.flatnonzero(train_mask(subset, 10)), [1, 4, 7])
    assert train_mask(dataset, 10).all()


def test_print_log_shows_the_gum_columns_but_not_sigma(capsys):
    net = make_net(max_epochs=4, verbose=1)
    gum = GUMRegressor(net, outlier_granularity="output", random_state=0)
    gum.fit(X_CURVE, Y_CURVE)
    lines = capsys.readouterr().out.splitlines()
    header = next(line for line in lines if "epoch" in line)
    assert "gum_log_likelihood" in header and "gum_inlier_share" in header
    assert "gum_covariance" not in header and "gum_inlier_prior" not in header
