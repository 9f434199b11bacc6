"""Bad and edge inputs to the torch side of sklearn-gum.

Each case asserts the exception type and a message naming the argument at
fault, or the correct result with its numbers: GUMCriterion (parameters,
batches, schedule), GUMCallback, WeightedNeuralNetRegressor, the losses and
GUMRegressor around a skorch net. None may end in an obscure torch or scipy
traceback.
"""

import numpy as np
import pytest
from numpy.testing import assert_allclose

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")

from skorch import NeuralNetRegressor

from sklearn_gum import GUMRegressor
from sklearn_gum.nn import (
    GUMCallback,
    GUMCriterion,
    ScaledHuberLoss,
    TukeyBiweightLoss,
    WeightedNeuralNetRegressor,
    mad_scale,
    mahalanobis_loss,
)


pytestmark = pytest.mark.usefixtures("torch_one_thread")


rng = np.random.RandomState(0)
X = rng.uniform(-1, 1, size=(60, 1)).astype(np.float32)
Y = np.column_stack([2 * X[:, 0], -X[:, 0]]).astype(np.float32)


def linear_net(cls=NeuralNetRegressor, n_out=2, **kwargs):
    kwargs = {"max_epochs": 3, "verbose": 0, "lr": 0.05,
              "optimizer": torch.optim.Adam, **kwargs}
    return cls(torch.nn.Linear, module__in_features=1, module__out_features=n_out,
               **kwargs)


def batch(n=4, d=2):
    return torch.zeros(n, d, requires_grad=True), torch.ones(n, d)


# -- GUMCriterion: parameters ------------------------------------------------


@pytest.mark.parametrize("params, error, match", [
    ({"n_samples": 0}, ValueError, "n_samples"),
    ({"n_samples": 2.5}, ValueError, "n_samples"),
    ({"n_samples": True}, TypeError, "n_samples"),
    ({"covariance_type": "tied"}, ValueError, "covariance_type"),
    ({"outlier_granularity": "row"}, ValueError, "outlier_granularity"),
    ({"uniform": -1.0}, ValueError, "uniform"),
    ({"threshold": 1.0}, ValueError, "threshold"),
    ({"reg_covar": -1e-6}, ValueError, "reg_covar"),
    ({"tol": -1.0}, ValueError, "tol"),
    ({"max_iter": 0}, ValueError, "max_iter"),
    ({"outlier_component": "never"}, ValueError, "outlier_component"),
    ({"min_evidence": -0.1}, ValueError, "min_evidence"),
    ({"warmup_epochs": -1}, ValueError, "warmup_epochs"),
    ({"estep_every": 0}, ValueError, "estep_every"),
    ({"loss_normalization": "l2"}, ValueError, "loss_normalization"),
    ({"criterion": "mse"}, ValueError, "criterion"),
    ({"criterion": torch.nn.MSELoss}, TypeError, "criterion must be an instance"),
    ({"criterion": torch.nn.MSELoss()}, ValueError, "criterion must return one loss "
     "per element"),
    ({"sample_weight": np.ones(5)}, ValueError, r"sample_weight must have shape \(10,\)"),
    ({"sample_weight": -np.ones(10)}, ValueError, "sample_weight must be non-negative"),
    ({"sample_weight": np.full(10, np.nan)}, ValueError, "sample_weight contains NaN"),
    ({"sample_weight": np.zeros(10)}, ValueError, "sample_weight sums to zero"),
    ({"sample_weight": ["a"] * 10}, TypeError, "sample_weight must be an array of numbers"),
])
def test_criterion_parameters(params, error, match):
    with pytest.raises(error, match=match):
        GUMCriterion(**{"n_samples": 10, **params})


def test_criterion_sample_weight_as_a_tensor_equals_numpy():
    weights = np.arange(1.0, 5.0)
    losses = []
    for sample_weight in (weights, torch.as_tensor(weights)):
        crit = GUMCriterion(4, sample_weight=sample_weight)
        y_pred, y_true = batch()
        losses.append(crit(y_pred, y_true, torch.arange(4)).item())
    # mean_n w_n mean_j (0 - 1)^2 = (1 + 2 + 3 + 4) / 4 = 2.5
    assert losses == [pytest.approx(2.5)] * 2


def test_criterion_groups_are_checked_against_the_first_batch():
    crit = GUMCriterion(4, outlier_granularity=[[0], [5]])
    with pytest.raises(ValueError, match="outlier_granularity holds? column indices"):
        crit(*batch(), torch.arange(4))


# -- GUMCriterion: batches ---------------------------------------------------


@pytest.mark.parametrize("idx, error, match", [
    (torch.tensor([0.0, 1, 2, 3]), TypeError, "idx must hold integer row indices"),
    (torch.tensor([True, False, True, True]), TypeError, "idx .*not a boolean mask"),
    (torch.tensor([0, 1, 2, 10]), ValueError, r"idx holds row indices outside "
     r"\[0, n_samples=10\): found 10"),
    ([-1, 0, 1, 2], ValueError, "idx holds row indices outside .* found -1"),
    (torch.arange(4).reshape(2, 2), ValueError, "idx must be 1-D"),
    (torch.arange(3), ValueError, r"idx must be 1-D with one row index per "
     r"prediction \(4\); got shape \(3,\)"),
    (["a", "b", "c", "d"], TypeError, "idx must hold the integer row indices"),
])
def test_criterion_idx(idx, error, match):
    crit = GUMCriterion(10)
    with pytest.raises(error, match=match):
        crit(*batch(), idx)


def test_criterion_idx_as_list_or_numpy_equals_a_tensor():
    values = []
    for idx in ([3, 1, 2, 0], np.array([3, 1, 2, 0]), torch.tensor([3, 1, 2, 0])):
        crit = GUMCriterion(4)
        y_pred = torch.tensor([[1.0, 0.0], [2.0, 0.0], [3.0, 0.0], [4.0, 0.0]])
        values.append(crit(y_pred, torch.zeros(4, 2), idx).item())
        assert_allclose(crit._residuals[idx].numpy(), -y_pred.numpy())
    assert values == [pytest.approx(3.75)] * 3  # mean_n mean_j e^2 = 30 / 8


def test_criterion_repeated_rows_count_twice():
    # A sampler with replacement draws row 0 twice: both count in the loss,
    # mean(1, 1, 4) / 1 output = 2.0, and its residual is recorded.
    crit = GUMCriterion(5)
    y_pred = torch.tensor([[1.0], [1.0], [2.0]])
    loss = crit(y_pred, torch.zeros(3, 1), torch.tensor([0, 0, 1]))
    assert loss.item() == pytest.approx(2.0)
    assert crit._residuals[0, 0].item() == -1.0


@pytest.mark.parametrize("y_pred, y_true, error, match", [
    (np.zeros((4, 2)), torch.ones(4, 2), TypeError, "y_pred must be the torch.Tensor"),
    (torch.zeros(4, 2, dtype=torch.int64), torch.ones(4, 2), TypeError,
     "y_pred must be a floating tensor"),
    (torch.zeros(0, 2), torch.ones(0, 2), ValueError, "y_pred must hold at least one row"),
    (torch.zeros(4, 2), torch.ones(3, 2), ValueError, "y_true must have one row per "
     "prediction"),
    (torch.zeros(4, 2), torch.tensor([[np.nan, 1.0]] * 4), ValueError,
     "y_true contains NaN or infinite values"),
    (torch.zeros(4, 2), [["a", "b"]] * 4, TypeError, "y_true must be a tensor or an array"),
    (torch.zeros(4, 3), torch.ones(4, 2), ValueError, "output width is 3 but the "
     "targets have 2"),
])
def test_criterion_batch_shapes_and_values(y_pred, y_true, error, match):
    with pytest.raises(error, match=match):
        GUMCriterion(10)(y_pred, y_true, torch.arange(4))


def test_criterion_target_width_is_fixed_by_the_first_batch():
    crit = GUMCriterion(10)
    crit(*batch(d=2), torch.arange(4))
    with pytest.raises(ValueError, match="set up for 2 by its first batch"):
        crit(*batch(d=3), torch.arange(4))


def test_criterion_one_dimensional_outputs_are_one_column():
    crit = GUMCriterion(4)
    loss = crit(torch.tensor([1.0, 2.0, 0.0, 1.0]), torch.zeros(4), torch.arange(4))
    assert loss.item() == pytest.approx(1.5)  # (1 + 4 + 0 + 1) / 4
    assert crit._residuals.shape == (4, 1)


def test_criterion_float64_model_after_the_first_e_step():
    # The whitening buffer is float32; a double model must still work.
    residuals = np.random.RandomState(0).normal(scale=0.5, size=(20, 2))
    crit = GUMCriterion(20, outlier_component="always", warmup_epochs=0,
                        loss_normalization="none")
    crit.start(residuals)
    y_pred = torch.zeros(20, 2, dtype=torch.float64, requires_grad=True)
    loss = crit(y_pred, torch.as_tensor(residuals), torch.arange(20))
    resp = 1 - crit.outlier_proba_
    whitened = np.linalg.solve(np.linalg.cholesky(crit.covariance_), residuals.T)
    expected = np.mean(resp * np.sum(whitened**2, axis=0))
    assert loss.dtype == torch.float64
    assert loss.item() == pytest.approx(expected, rel=1e-5)


# -- GUMCriterion: the schedule ----------------------------------------------


def test_end_epoch_needs_every_row():
    crit = GUMCriterion(10, warmup_epochs=1)
    crit(*batch(), torch.arange(4))
    with pytest.raises(ValueError, match="6 of the n_samples=10 rows were never in "
                       "a batch"):
        crit.end_epoch()


def test_end_epoch_checks_given_residuals():
    crit = GUMCriterion(4, warmup_epochs=1)
    crit(*batch(), torch.arange(4))
    with pytest.raises(ValueError, match=r"residuals must have shape \(4, 2\)"):
        crit.end_epoch(torch.zeros(3, 2))


def test_attributes_before_the_first_e_step():
    crit = GUMCriterion(4)
    crit(*batch(), torch.arange(4))
    for name in ("outlier_proba_", "inlier_mask_", "covariance_", "history_"):
        # NotFittedError is an AttributeError: hasattr() is False.
        with pytest.raises(AttributeError, match="no E-step yet: train past "
                           "warmup_epochs"):
            getattr(crit, name)
    assert not hasattr(crit, "has_outliers_")


def test_finish_before_any_batch():
    with pytest.raises(ValueError, match="finish needs at least one batch"):
        GUMCriterion(4).finish()


@pytest.mark.parametrize("residuals, error, match", [
    (np.full((4, 1), np.nan), ValueError, "residuals contain NaN in the residuals "
     "passed to start"),
    (None, TypeError, "start needs the residuals array"),
    (np.zeros((3, 1)), ValueError, r"residuals must have shape \(4, 1\)"),
])
def test_start(residuals, error, match):
    with pytest.raises(error, match=match):
        GUMCriterion(4).start(residuals)


# -- GUMCallback -------------------------------------------------------------


@pytest.mark.parametrize("kwargs, error, match", [
    ({"covariance_type": "tied"}, ValueError, "covariance_type"),
    ({"warmup_epochs": "soon"}, ValueError, "warmup_epochs"),
    ({"warmup_epochs": 3}, ValueError, "warmup_epochs must be below max_epochs"),
    ({"estep_every": 1.5}, ValueError, "estep_every"),
    ({"estep_residuals": "valid"}, ValueError, "estep_residuals"),
    ({"min_evidence": "high"}, ValueError, "min_evidence"),
    ({"loss_normalization": "l1"}, ValueError, "loss_normalization"),
    ({"init": "subsets"}, ValueError, "init"),
])
def test_callback_settings(kwargs, error, match):
    net = linear_net(WeightedNeuralNetRegressor,
                     callbacks=[("gum", GUMCallback(**kwargs))])
    with pytest.raises(error, match=match):
        net.fit(X, Y)


def test_callback_settings_are_keywords():
    with pytest.raises(TypeError, match="positional"):
        GUMCallback(Y)


@pytest.mark.parametrize("y, weights, error, match", [
    (np.full_like(Y, np.nan), None, ValueError, "y contains NaN"),
    (Y, np.ones((60, 2)), ValueError, "one weight per sample"),
])
def test_callback_data(y, weights, error, match):
    net = linear_net(WeightedNeuralNetRegressor, callbacks=[("gum", GUMCallback())])
    with pytest.raises(error, match=match):
        net.fit(X, y, sample_weight=weights)


def test_callback_needs_y():
    dataset = torch.utils.data.TensorDataset(torch.as_tensor(X), torch.as_tensor(Y))
    net = linear_net(WeightedNeuralNetRegressor, callbacks=[("gum", GUMCallback())])
    with pytest.raises(ValueError, match="GUMCallback needs the targets"):
        net.fit(dataset, None)


def test_callback_needs_a_weighted_net():
    net = linear_net(callbacks=[("gum", GUMCallback())])
    with pytest.raises(TypeError, match="GUMCallback trains a .*"
                       "WeightedNeuralNetRegressor.*; got NeuralNetRegressor"):
        net.fit(X, Y)


def test_gum_regressor_refuses_a_net_with_its_own_gum_callback():
    net = linear_net(WeightedNeuralNetRegressor, callbacks=[("gum", GUMCallback())])
    with pytest.raises(ValueError, match="already has a GUMCallback"):
        GUMRegressor(net).fit(X, Y)


# -- WeightedNeuralNetRegressor ----------------------------------------------


@pytest.mark.parametrize("weights, match", [
    (np.full(60, np.nan), "sample_weight must be finite"),
    (np.ones((60, 3)), r"sample_weight must have shape \(60,\) or \(60, 2\)"),
])
def test_weighted_net_sample_weight(weights, match):
    with pytest.raises(ValueError, match=match):
        linear_net(WeightedNeuralNetRegressor).fit(X, Y, sample_weight=weights)


@pytest.mark.parametrize("params, match", [
    ({"estep_residuals": "valid"}, "estep_residuals"),
    ({"warmup_epochs": "soon"}, "warmup_epochs"),
    ({"warmup_epochs": 3}, "warmup_epochs must be below max_epochs"),
    ({"estep_every": 1.5}, "estep_every"),
    ({"min_evidence": "high"}, "min_evidence"),
    ({"loss_normalization": "l1"}, "loss_normalization"),
])
def test_gum_net_schedule(params, match):
    with pytest.raises(ValueError, match=match):
        GUMRegressor(linear_net(), **params).fit(X, Y)


def test_the_weighted_net_has_no_em_settings():
    # The EM's settings belong to GUMRegressor, GUMCallback and GUMCriterion.
    with pytest.raises(ValueError, match="unexpected argument.* warmup_epochs"):
        linear_net(WeightedNeuralNetRegressor, warmup_epochs=2).initialize()


# -- losses ------------------------------------------------------------------


@pytest.mark.parametrize("make, match", [
    (lambda: ScaledHuberLoss(delta=0), "delta must be a positive float"),
    (lambda: ScaledHuberLoss(delta="1"), "delta must be a positive float"),
    (lambda: TukeyBiweightLoss(c=-1.0), "c must be a positive float"),
    (lambda: TukeyBiweightLoss(c=float("inf")), "c must be a positive float"),
    (lambda: ScaledHuberLoss(scale="std"), "scale must be 'mad' or a positive float"),
    (lambda: ScaledHuberLoss(scale=True), "scale must be 'mad' or a positive float"),
])
def test_robust_loss_parameters(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_robust_losses_refuse_broadcasting():
    # (B, 1) against (B,) would broadcast to a B x B loss.
    with pytest.raises(ValueError, match=r"same shape; got \(8, 1\) and \(8,\)"):
        TukeyBiweightLoss()(torch.zeros(8, 1), torch.zeros(8))


def test_mad_scale_of_one_row_is_the_floor():
    assert_allclose(mad_scale(torch.tensor([[3.0, -1.0]])).numpy(), [[1e-8, 1e-8]])


@pytest.mark.parametrize("weights, whitening, match", [
    (torch.ones(4, 3), None, r"weights must have shape \(4, 1\) or \(4, 2\)"),
    (torch.ones(4, 2), torch.eye(3), r"whitening must have shape \(2, 2\)"),
])
def test_mahalanobis_loss_shapes(weights, whitening, match):
    criterion = torch.nn.MSELoss(reduction="none")
    with pytest.raises(ValueError, match=match):
        mahalanobis_loss(criterion, torch.zeros(4, 2), torch.ones(4, 2), weights,
                         whitening)


def test_mahalanobis_loss_needs_an_unreduced_criterion():
    with pytest.raises(ValueError, match="reduction='none'"):
        mahalanobis_loss(torch.nn.MSELoss(), torch.zeros(4, 2), torch.ones(4, 2),
                         torch.ones(4, 1))


# -- GUMRegressor with a net -------------------------------------------------


@pytest.mark.parametrize("fit_kwargs, match", [
    ({"y": Y[:, :, None]}, "y must be 1-D or 2-D"),
    ({"sample_weight": np.ones(5)}, "sample_weight"),
    ({"X": X[:50]}, "inconsistent numbers of samples"),
])
def test_gum_net_data(fit_kwargs, match):
    kwargs = {"X": X, "y": Y, **fit_kwargs}
    with pytest.raises(ValueError, match=match):
        GUMRegressor(linear_net()).fit(**kwargs)


def test_gum_net_groups_beyond_the_targets():
    gum = GUMRegressor(linear_net(), outlier_granularity=[[0], [5]])
    with pytest.raises(ValueError, match="outlier_granularity"):
        gum.fit(X, Y)


def test_gum_net_callbacks_disabled():
    gum = GUMRegressor(linear_net(callbacks="disable"))
    with pytest.raises(ValueError, match="callbacks='disable' would disable the GUM"):
        gum.fit(X, Y)
