"""Odd inputs to the torch side that ended in torch or skorch internals
(issue 19): each now raises a message naming the problem, or gives the
right numbers."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")
pd = pytest.importorskip("pandas")

from skorch import NeuralNetRegressor

from sklearn_gum import GUMRegressor
from sklearn_gum.nn import GUMCriterion, ScaledHuberLoss, TukeyBiweightLoss, mad_scale

pytestmark = pytest.mark.usefixtures("torch_one_thread")

RNG = np.random.RandomState(0)
X32 = RNG.uniform(-1, 1, size=(40, 2)).astype(np.float32)
Y32 = (X32 @ [1.0, -2.0]).astype(np.float32)


def linear_net(**kwargs):
    return NeuralNetRegressor(torch.nn.Linear, module__in_features=2,
                              module__out_features=1, max_epochs=2, verbose=0,
                              train_split=None, **kwargs)


def with_nan(X):
    X = X.copy()
    X[3, 1] = np.nan
    return X


@pytest.mark.parametrize("weights, match", [
    ([1e300] * 4, r"positive weights from 1e\+300 to 1e\+300.*float32.*Divide"),
    ([1.0, 1.0, 1.0, 5e-324], r"positive weights from 4.94e-324 to 1.*or set tiny "
                              r"weights to 0"),
    ([1e25, 1.0, 1.0, 1.0], r"overflow or underflow outside \[1e-20, 1e\+20\]"),
])
def test_criterion_refuses_weights_beyond_float32(weights, match):
    with pytest.raises(ValueError, match=match):
        GUMCriterion(4, sample_weight=weights)


@pytest.mark.parametrize("idx", [
    np.arange(4, dtype=np.uint64), np.arange(4, dtype=np.uint32),
    torch.tensor([0, 1, 2, 3], dtype=torch.uint64),
])
def test_unsigned_indices_are_row_indices(idx):
    criterion, reference = GUMCriterion(4), GUMCriterion(4)
    y_pred = torch.tensor([[0.0], [1.0], [2.0], [3.0]], requires_grad=True)
    loss = criterion(y_pred, torch.ones(4, 1), idx)
    assert_allclose(loss.item(), reference(y_pred, torch.ones(4, 1),
                                           torch.arange(4)).item())
    assert_allclose(criterion._residuals[:, 0].numpy(), [1, 0, -1, -2])


@pytest.mark.parametrize("idx", [
    np.array([0, 1, 2, 9], dtype=np.uint64), np.array([0, 1, 2, 2**64 - 1], np.uint64),
    torch.tensor([0, 1, 2, 9], dtype=torch.uint64),
])
def test_unsigned_indices_out_of_range_are_named(idx):
    with pytest.raises(ValueError, match=r"idx holds row indices outside "
                       r"\[0, n_samples=4\): found (9|18446744073709551615)"):
        GUMCriterion(4)(torch.zeros(4, 1, requires_grad=True), torch.ones(4, 1), idx)


def test_labels_that_require_grad_keep_their_gradient_and_the_em_runs():
    criterion = GUMCriterion(4, warmup_epochs=0)
    y_pred = torch.zeros(4, 1, requires_grad=True)
    y_true = torch.tensor([[1.0], [2.0], [3.0], [40.0]], requires_grad=True)
    criterion(y_pred, y_true, torch.arange(4)).backward()
    assert criterion.end_epoch() is True
    assert y_true.grad is not None and bool((y_true.grad != 0).any())
    assert not criterion._residuals.requires_grad


def test_end_epoch_with_residuals_before_any_batch_says_so():
    criterion = GUMCriterion(4, warmup_epochs=0)
    with pytest.raises(ValueError, match=r"end_epoch got residuals after epoch 1 "
                       r"before any batch.*call start\(residuals\)"):
        criterion.end_epoch(torch.zeros(4, 1))


@pytest.mark.parametrize("loss", [ScaledHuberLoss(), TukeyBiweightLoss()])
@pytest.mark.parametrize("dtype", [torch.float16, torch.bfloat16])
def test_robust_losses_in_half_precision(loss, dtype):
    generator = torch.Generator().manual_seed(0)
    a, b = torch.randn(64, generator=generator), torch.randn(64, generator=generator)
    half = loss(a.to(dtype), b.to(dtype))
    assert half.dtype == dtype
    assert_allclose(half.float().item(), loss(a, b).item(), rtol=0.02)


def test_mad_scale_floor_is_a_normal_number_of_the_dtype():
    scale = mad_scale(torch.full((5, 1), 2.0, dtype=torch.float16))
    assert scale.dtype == torch.float16
    assert scale.item() == pytest.approx(torch.finfo(torch.float16).tiny)


@pytest.mark.parametrize("X, y, error, match", [
    (X32.astype(np.float64), Y32, TypeError,
     r"X is float64 but the network's parameters are torch.float32.*X.astype"),
    (X32.astype(np.float64), Y32.astype(np.float64), TypeError, r"X is float64"),
    (pd.DataFrame(X32), Y32, TypeError,
     r"DataFrame with non-string column names.*X.to_numpy"),
    (with_nan(X32), Y32, ValueError, r"Input X contains NaN"),
    (torch.from_numpy(with_nan(X32)), Y32, ValueError, r"Input X contains NaN"),
    (np.where(np.arange(40)[:, None] == 5, np.inf, X32).astype(np.float32), Y32,
     ValueError, r"Input X contains infinity"),
])
def test_net_inputs_are_named(X, y, error, match):
    with pytest.raises(error, match=match):
        GUMRegressor(linear_net()).fit(X, y)


def test_a_fitted_net_refuses_nan_in_predict_as_the_linear_path_does():
    gum = GUMRegressor(linear_net()).fit(X32, Y32)
    with pytest.raises(ValueError, match=r"Input X contains NaN"):
        gum.predict(with_nan(X32))
    with pytest.raises(ValueError, match=r"Input X contains NaN"):
        GUMRegressor().fit(X32, Y32).predict(with_nan(X32))
