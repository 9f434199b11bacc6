"""Tests for GUMCriterion in plain PyTorch loops, and for what the skorch
path must keep: training rows only in the mixture, sample weights in the
loss, clear errors from a diverging net or a mis-sized module, persistence.

Tiny nets on tiny data, one torch thread. Each test that guards against a
specific regression names it; they were checked to fail with the code
broken that way.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from sklearn.metrics import roc_auc_score
from skorch import NeuralNetRegressor

from _nets import MLP
from sklearn_gum import GUMRegressor
from sklearn_gum.nn import GUMCriterion, WeightedNeuralNetRegressor

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def curve(X):
    return np.column_stack([np.sin(X[:, 0]), np.cos(X[:, 0])]).astype(np.float32)


# 20% gross label outliers on a smooth 2-output curve.
rng = np.random.RandomState(0)
N = 300
X_CURVE = rng.uniform(-3, 3, size=(N, 1)).astype(np.float32)
Y_CLEAN = curve(X_CURVE) + rng.normal(scale=0.05, size=(N, 2)).astype(np.float32)
OUTLIERS = np.zeros(N, dtype=bool)
OUTLIERS[rng.choice(N, 60, replace=False)] = True
Y_CURVE = Y_CLEAN.copy()
Y_CURVE[OUTLIERS] = rng.uniform(-4, 4, size=(60, 2))
X_TEST = np.linspace(-2.8, 2.8, 200, dtype=np.float32)[:, None]
EPOCHS, BATCH, LR = 60, 32, 0.01


def rmse_to_curve(predict):
    return float(np.sqrt(np.mean((predict(X_TEST) - curve(X_TEST)) ** 2)))


def train_loop(criterion, y=Y_CURVE, epochs=EPOCHS, seed=0, model=None):
    """The loop of the issue: (idx, X, y) batches, loss, step, end_epoch."""
    torch.manual_seed(seed)
    model = MLP() if model is None else model
    optimizer = torch.optim.Adam(model.parameters(), lr=LR)
    dataset = torch.utils.data.TensorDataset(
        torch.arange(N), torch.as_tensor(X_CURVE), torch.as_tensor(y)
    )
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=BATCH, shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )
    for _ in range(epochs):
        for idx, xb, yb in loader:
            if isinstance(criterion, GUMCriterion):
                loss = criterion(model(xb), yb, idx)
            else:
                loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        if isinstance(criterion, GUMCriterion):
            criterion.end_epoch()
    return model


def predictor(model):
    def predict(X):
        with torch.no_grad():
            return model(torch.as_tensor(X)).numpy()
    return predict


def make_net(cls=NeuralNetRegressor, module=MLP, **kwargs):
    kwargs = {"verbose": 0, "iterator_train__shuffle": True, "max_epochs": EPOCHS,
              "optimizer": torch.optim.Adam, "lr": LR, "batch_size": BATCH, **kwargs}
    return cls(module, **kwargs)


# -- a plain PyTorch loop ----------------------------------------------------


def test_plain_loop_finds_the_outliers_and_matches_the_skorch_path():
    crit = GUMCriterion(n_samples=N)
    model = train_loop(crit)
    assert roc_auc_score(OUTLIERS, crit.outlier_proba_) >= 0.98
    assert crit.has_outliers_ and 0.75 < crit.inlier_prior_ < 0.85
    assert crit.outlier_proba_.shape == (N,) and crit.covariance_.shape == (2, 2)
    assert crit.epoch_ == EPOCHS
    loop_error = rmse_to_curve(predictor(model))
    gum = GUMRegressor(make_net(), random_state=0).fit(X_CURVE, Y_CURVE)
    skorch_error = rmse_to_curve(gum.predict)
    plain_error = rmse_to_curve(predictor(train_loop(torch.nn.MSELoss())))
    # Within the noise of a training run: over seeds 0-3 the loop gave
    # 0.038-0.058 and the skorch path 0.023-0.041 (label noise 0.05); both
    # far from the plain loss.
    assert loop_error < 0.08 and skorch_error < 0.08
    assert abs(loop_error - skorch_error) < 0.04
    assert plain_error > 2 * max(loop_error, skorch_error)


def test_criterion_adds_no_forward_pass():
    """The speed proxy: E-steps reuse the residuals of the training batches.

    The wall-clock ratio to an MSE loop is measured by
    ``benchmarks/bench_criterion_overhead.py``; here the count of module
    calls, which is deterministic, must equal the MSE loop's.
    """
    counts = []
    for criterion in (torch.nn.MSELoss(), GUMCriterion(n_samples=N, warmup_epochs=1)):
        torch.manual_seed(0)
        model, calls = MLP(), []
        model.register_forward_hook(lambda *args: calls.append(1))
        train_loop(criterion, epochs=6, model=model)
        counts.append(len(calls))
    assert counts[0] == counts[1] == 6 * int(np.ceil(N / BATCH))
    assert counts[1] > 0


def test_skorch_path_adds_only_the_final_eval_pass():
    calls = []

    class Counted(MLP):
        def forward(self, X):
            calls.append(len(X))
            return super().forward(X)

    net = make_net(module=Counted, max_epochs=6)
    GUMRegressor(net, random_state=0).fit(X_CURVE, Y_CURVE)
    batches = int(np.ceil(N / BATCH))
    # 6 epochs of training batches, then one eval pass (skorch's default
    # batch size for prediction is the training one).
    assert len(calls) == 6 * batches + batches
    assert sum(calls) == 7 * N


def test_plain_loop_on_clean_data_is_the_plain_loss():
    """Nothing is flagged and the model trains exactly as with MSE: the
    decision never keeps the uniform, so the loss stays the criterion's
    mean (the same numbers, in the same order, up to float rounding)."""
    crit = GUMCriterion(n_samples=N)
    gum_model = train_loop(crit, y=Y_CLEAN, epochs=20)
    mse_model = train_loop(torch.nn.MSELoss(), y=Y_CLEAN, epochs=20)
    assert not crit.has_outliers_ and crit.inlier_mask_.all()
    assert crit.inlier_prior_ == 1.0
    assert_allclose(predictor(gum_model)(X_TEST), predictor(mse_model)(X_TEST),
                    atol=1e-4)


def test_sample_weights_enter_the_loss():
    """Mutant: GUMCriterion dropping sample_weight from the loss.

    Before the first E-step the loss is ``mean_n w_n mean_j e_nj^2``; with
    weights [1, 2, 0, 1] and errors e_0 = (1, 1), e_1 = (2, 0), e_2 = (5, 5),
    e_3 = (0, 1): (1 * 1 + 2 * 2 + 0 * 25 + 1 * 0.5) / 4 = 1.375.
    """
    crit = GUMCriterion(n_samples=4, sample_weight=[1.0, 2.0, 0.0, 1.0])
    y_pred = torch.tensor([[1.0, 1.0], [2.0, 0.0], [5.0, 5.0], [0.0, 1.0]])
    loss = crit(y_pred, torch.zeros(4, 2), torch.arange(4))
    assert loss.item() == pytest.approx(1.375)
    # In another order, and in two batches of a loop, the same weights.
    order = torch.tensor([2, 0, 3, 1])
    assert crit(y_pred[order], torch.zeros(4, 2), order).item() == pytest.approx(1.375)


def test_sample_weights_enter_the_loss_after_the_first_e_step():
    # With the uniform forced on, the loss of a row is w_n r_n e^T Sigma^-1 e
    # times c; two rows with equal residuals and weights 1 and 3 contribute
    # 1:3, and a zero weight removes a row from the loss altogether.
    rs = np.random.RandomState(1)
    residuals = rs.normal(scale=0.1, size=(50, 1))
    weights = np.ones(50)
    weights[1], weights[2] = 3.0, 0.0
    crit = GUMCriterion(50, sample_weight=weights, outlier_component="always",
                        loss_normalization="none", warmup_epochs=0)
    crit.start(residuals)
    resp = 1 - crit.outlier_proba_
    target = torch.zeros(3, 1, dtype=torch.float64)
    pred = torch.as_tensor(-residuals[:3])  # residual = target - prediction
    loss = crit(pred, target, torch.arange(3))
    expected = np.sum(weights[:3] * resp[:3] * residuals[:3, 0] ** 2
                      / crit.covariance_[0, 0]) / 3
    assert loss.item() == pytest.approx(expected, rel=1e-5)


def test_net_loss_keeps_sample_weights():
    """The skorch path: zero weights on the outliers train the net as if
    they were not there, and a fit without the weights does not."""
    weights = (~OUTLIERS).astype(float)
    shifted = Y_CURVE.copy()
    shifted[OUTLIERS] += 100.0  # only the ignored rows change
    fits = []
    for y in (Y_CURVE, shifted):
        gum = GUMRegressor(make_net(max_epochs=5), outlier_component="always",
                           random_state=0)
        fits.append(gum.fit(X_CURVE, y, sample_weight=weights).predict(X_TEST))
    assert_allclose(fits[0], fits[1], atol=1e-5)
    unweighted = GUMRegressor(make_net(max_epochs=5), outlier_component="always",
                              random_state=0).fit(X_CURVE, shifted)
    assert not np.allclose(unweighted.predict(X_TEST), fits[0], atol=1e-2)


# -- validation rows ---------------------------------------------------------


def split_outliers_to_validation(dataset, y=None, **fit_params):
    """Every outlier in the validation rows, the clean rows for training."""
    rows = np.arange(len(dataset))
    return (torch.utils.data.Subset(dataset, rows[~OUTLIERS]),
            torch.utils.data.Subset(dataset, rows[OUTLIERS]))


def test_mixture_sees_only_training_rows():
    """Mutant: the mixture fitted on the validation rows too.

    All the outliers sit in the validation rows, so the training rows are
    clean: the decision, taken on them alone, keeps no uniform, and
    ``inlier_prior_`` is 1. Fitted on every row, it would find the 20%
    of outliers.
    """
    net = make_net(WeightedNeuralNetRegressor, max_epochs=20,
                   train_split=split_outliers_to_validation)
    gum = GUMRegressor(net, random_state=0).fit(X_CURVE, Y_CURVE)
    assert "valid_loss" in gum.estimator_.history[-1]
    assert not gum.has_outliers_
    assert gum.inlier_prior_ == 1.0
    # Every row, validation rows included, is scored.
    assert gum.outlier_proba_.shape == (N,)


def test_mixture_rows_of_the_plain_loop():
    crit = GUMCriterion(N)
    crit.mixture_rows = ~OUTLIERS
    train_loop(crit, epochs=10)
    assert not crit.has_outliers_ and crit.inlier_prior_ == 1.0
    with pytest.raises(ValueError, match="mixture_rows"):
        crit.mixture_rows = np.ones(N)  # not boolean
    with pytest.raises(ValueError, match="mixture_rows"):
        crit.mixture_rows = np.zeros(N, dtype=bool)


# -- clear errors ------------------------------------------------------------


def test_output_width_mismatch_in_a_plain_loop():
    crit = GUMCriterion(N)
    model = MLP(n_out=3)
    with pytest.raises(ValueError, match="output width is 3 but the targets have 2"):
        crit(model(torch.as_tensor(X_CURVE[:8])), torch.as_tensor(Y_CURVE[:8]),
             torch.arange(8))


def test_output_width_mismatch_through_gum_regressor():
    net = make_net(module__n_out=3, max_epochs=3)
    with pytest.raises(ValueError, match="output width is 3 but the targets have 2"):
        GUMRegressor(net).fit(X_CURVE, Y_CURVE)


def test_output_width_mismatch_with_a_start_regressor():
    from sklearn.linear_model import LinearRegression

    net = make_net(module__n_out=1, max_epochs=3)
    with pytest.raises(ValueError, match="output width is 1 but the targets have 2"):
        GUMRegressor(net, init=LinearRegression()).fit(X_CURVE, Y_CURVE)


def test_diverging_plain_loop_names_the_epoch():
    crit = GUMCriterion(N, warmup_epochs=1)
    model = MLP()
    optimizer = torch.optim.SGD(model.parameters(), lr=1e6)
    X, y = torch.as_tensor(X_CURVE), torch.as_tensor(Y_CURVE)
    with pytest.raises(ValueError, match=r"residuals contain (NaN|infinite values) "
                       r"after epoch \d+: training diverged\. Lower the learning rate"):
        for _ in range(5):
            for idx in torch.arange(N).split(BATCH):
                loss = crit(model(X[idx]), y[idx], idx)
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            crit.end_epoch()


def test_diverging_skorch_net_names_the_epoch():
    net = make_net(optimizer=torch.optim.SGD, lr=1e6, max_epochs=5)
    with pytest.raises(ValueError, match=r"after epoch \d+: training diverged"):
        GUMRegressor(net).fit(X_CURVE, Y_CURVE)


def test_nan_targets_on_the_device_are_named_at_the_end_of_the_epoch():
    # On the host, NaN targets are refused at once; this covers the path of
    # targets that live on an accelerator, faked by skipping the host check.
    crit = GUMCriterion(4)
    y_pred = torch.zeros(4, 1)
    crit(y_pred, torch.zeros(4, 1), torch.arange(4))
    crit._targets_finite &= torch.tensor(False)
    with pytest.raises(ValueError, match="y_true contained NaN or infinite values "
                       "in epoch 1"):
        crit.end_epoch()


# -- persistence -------------------------------------------------------------


def test_skops_lists_torch_and_skorch_types_and_refuses_them(tmp_path):
    sio = pytest.importorskip("skops.io")
    gum = GUMRegressor(make_net(max_epochs=3), random_state=0).fit(X_CURVE, Y_CURVE)
    path = tmp_path / "gum.skops"
    sio.dump(gum, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert "sklearn_gum._gum.GUMRegressor" in untrusted
    assert any(name.startswith("torch.") for name in untrusted)
    assert any(name.startswith("skorch.") for name in untrusted)
    assert "builtins.print" in untrusted  # skorch's PrintLog sink
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.load(path)
    # Trusting only our own type, as docs/persistence.rst says for
    # scikit-learn estimators, is refused too: the net's types stay untrusted.
    with pytest.raises(sio.exceptions.UntrustedTypesFoundException):
        sio.load(path, trusted=["sklearn_gum._gum.GUMRegressor"])


# -- the decision and the loss factor ----------------------------------------


def test_min_evidence_tolerates_heavy_tailed_clean_residuals():
    # Student-t residuals (5 degrees of freedom) in 10 independent columns,
    # as a trained net's clean residuals of 10 coordinates per image, hard
    # examples in the tails: NEC alone (evidence > 0) keeps a uniform over
    # the 10 columns, about +0.19 per row, as would a margin of 0.05 per
    # row; the margin of 0.05 per row and column (0.5 per row) does not.
    rs = np.random.RandomState(0)
    tails = rs.standard_t(5, size=(2000, 10)) * 0.1
    crit = GUMCriterion(2000, warmup_epochs=0).start(tails)
    assert not crit.has_outliers_
    assert 0.1 * 2000 < crit.outlier_evidence_ < 0.5 * 2000
    assert GUMCriterion(2000, min_evidence=0, warmup_epochs=0).start(tails).has_outliers_
    # the tails of the columns add up: one column alone shows at most 0.05
    columns = GUMCriterion(2000, outlier_granularity="output", warmup_epochs=0)
    assert columns.start(tails).outlier_evidence_.max() < crit.outlier_evidence_ / 3
    # 5% uniform outliers give about +2 per row and column.
    dirty = rs.normal(scale=0.1, size=(2000, 10))
    dirty[:100] = rs.uniform(-3, 3, size=(100, 10))
    crit = GUMCriterion(2000, warmup_epochs=0).start(dirty)
    assert crit.has_outliers_ and crit.outlier_evidence_ > 10 * 2000


def test_groups_without_a_uniform_are_decided_again():
    """Mutant: the decision frozen for every group once one keeps its uniform.

    Group 0 shows its outliers at the first E-step, group 1 only at the
    second: both must end with a uniform.
    """
    rs = np.random.RandomState(0)
    first = rs.normal(scale=0.1, size=(400, 2))
    first[:40, 0] = rs.uniform(-5, 5, size=40)
    second = first.copy()
    second[200:240, 1] = rs.uniform(-5, 5, size=40)
    crit = GUMCriterion(400, outlier_granularity="output", warmup_epochs=0)
    crit.start(first)
    assert_array_equal(crit.has_outliers_, [True, False])
    crit.end_epoch(second)
    assert_array_equal(crit.has_outliers_, [True, True])
    # A few uniform draws land near zero, among the inliers.
    assert np.mean(~crit.inlier_mask_[200:240, 1]) > 0.85
    assert np.mean(~crit.inlier_mask_[240:, 1]) < 0.02


@pytest.mark.parametrize("always", [False, True])
def test_a_minority_of_inliers_is_kept_only_when_two_e_steps_support_it(always):
    """Residuals that call most rows outliers at one E-step and nothing at
    the next (a net early in training) keep no uniform; two E-steps in a
    row do. A majority of inliers is kept at once
    (test_groups_without_a_uniform_are_decided_again), and so is anything
    with outlier_component="always" or from start()'s residuals."""
    rs = np.random.RandomState(1)
    clean = rs.normal(scale=0.1, size=(400, 1))
    odd = clean.copy()
    odd[:300, 0] = rs.uniform(-5, 5, size=300)
    assert GUMCriterion(400, warmup_epochs=0).start(odd).has_outliers_[0]
    crit = GUMCriterion(400, warmup_epochs=0,
                        outlier_component="always" if always else "auto")
    crit(torch.zeros(400, 1), torch.zeros(400, 1), torch.arange(400))
    crit.end_epoch(odd)
    assert crit.has_outliers_[0] == always
    if always:
        return
    assert np.ravel(crit.outlier_evidence_)[0] > 0.1 * 400  # the margin
    assert crit._decision.mixtures[0].params.inlier_prior < 0.5
    crit.end_epoch(clean)
    assert not crit.has_outliers_[0]
    crit.end_epoch(odd)
    assert not crit.has_outliers_[0]
    crit.end_epoch(odd)
    assert crit.has_outliers_[0]
    # one E-step from the robust start (rho = 0.5): most of the box flagged
    assert np.mean(~crit.inlier_mask_[:300]) > 0.5
    assert np.mean(~crit.inlier_mask_[300:]) < 0.05


@pytest.mark.parametrize("always", [False, True])
def test_a_kept_uniform_is_given_up_when_the_residuals_refute_it(always):
    """Mutants: a kept uniform never decided again; given up below the
    margin rather than below zero (no hysteresis); given up against
    outlier_component="always".

    5% uniform outliers keep it; heavy-tailed clean residuals (evidence
    between 0 and the margin) keep it too; Gaussian residuals (a net that
    has learnt what the uniform took for outliers) give it up, every row
    an inlier again; the outliers back keep it again at once.
    """
    rs = np.random.RandomState(0)
    dirty = rs.normal(scale=0.1, size=(2000, 1))
    dirty[:100] = rs.uniform(-3, 3, size=(100, 1))
    tails = rs.standard_t(3, size=(2000, 1)) * 0.1
    clean = rs.normal(scale=0.1, size=(2000, 1))
    crit = GUMCriterion(2000, warmup_epochs=0,
                        outlier_component="always" if always else "auto").start(dirty)
    assert crit.has_outliers_[0]
    crit.end_epoch(tails)
    assert crit.has_outliers_[0]
    evidence = np.ravel(crit.outlier_evidence_)[0]
    assert 0 < evidence < 0.1 * 2000 or always
    crit.end_epoch(clean)
    assert np.ravel(crit.outlier_evidence_)[0] < 0 or always
    assert crit.has_outliers_[0] == always
    assert crit.inlier_mask_.all()
    crit.end_epoch(dirty)
    assert crit.has_outliers_[0]
    assert np.mean(~crit.inlier_mask_[:100]) > 0.85
    assert np.mean(~crit.inlier_mask_[100:]) < 0.02


def test_loss_factor_after_the_first_e_step():
    # Residuals of scale 1, then 0.1: "first" keeps the factor tr(Sigma) / d^2
    # of its first E-step, "mse" follows Sigma (100 times smaller), "none"
    # stays 1.
    scales = {}
    for normalization in ("first", "mse", "none"):
        rs = np.random.RandomState(0)
        crit = GUMCriterion(500, outlier_component="always", warmup_epochs=0,
                            loss_normalization=normalization)
        crit.start(rs.normal(size=(500, 1)))
        first = crit._scale
        crit.end_epoch(rs.normal(scale=0.1, size=(500, 1)))
        scales[normalization] = first, crit._scale
    first, later = scales["first"]
    assert later == first and first == pytest.approx(scales["mse"][0])
    assert scales["mse"][1] == pytest.approx(scales["mse"][0] / 100, rel=0.5)
    assert scales["none"] == (1.0, 1.0)


# -- Lightning ---------------------------------------------------------------


def test_lightning_example_of_the_docs():
    """docs/snippets/lightning_gum.py, shown in docs/lightning.rst."""
    pytest.importorskip("lightning")
    import importlib.util
    from pathlib import Path

    path = Path(__file__).parents[1] / "docs" / "snippets" / "lightning_gum.py"
    spec = importlib.util.spec_from_file_location("lightning_gum", path)
    example = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(example)
    torch.manual_seed(0)
    X = torch.rand(500, 1) * 6 - 3
    y = torch.sin(X) + 0.05 * torch.randn(500, 1)
    y[:100] = torch.rand(100, 1) * 8 - 4
    model = torch.nn.Sequential(torch.nn.Linear(1, 32), torch.nn.Tanh(),
                                torch.nn.Linear(32, 1))
    module = example.fit(X, y, model, epochs=60)
    flagged = ~module.gum.inlier_mask_
    assert flagged[:100].mean() > 0.85 and flagged[100:].mean() < 0.01
    assert module.gum.epoch_ == 60
