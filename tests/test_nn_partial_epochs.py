"""Partial epochs (rows not in every epoch keep their latest residual, within
``max_staleness``) and the memory the criterion holds per row."""

import copy

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

torch = pytest.importorskip("torch")

import _ddp
from sklearn_gum.nn import GUMCriterion

pytestmark = pytest.mark.usefixtures("torch_one_thread")


def test_rows_not_in_an_epoch_keep_their_latest_residual():
    """A sampler that draws half of the rows each epoch: the E-steps use each
    row's latest residual, and ``residual_epoch_`` says from which epoch."""
    X, Y, bad = _ddp.data()
    net, criterion = _ddp.model(), GUMCriterion(_ddp.N, warmup_epochs=2)
    optimizer = torch.optim.Adam(net.parameters(), lr=_ddp.LR)
    generator = torch.Generator().manual_seed(0)
    latest = np.zeros((_ddp.N, 2))  # kept by the test, batch by batch
    seen_in = np.zeros(_ddp.N, dtype=int)
    for epoch in range(1, 9):
        rows = torch.randperm(_ddp.N, generator=generator)
        rows = rows if epoch == 1 else rows[: _ddp.N // 2]
        for idx in rows.split(_ddp.BATCH):
            prediction = net(X[idx])
            latest[idx] = (Y[idx] - prediction.detach()).numpy()
            seen_in[idx] = epoch
            loss = criterion(prediction, Y[idx], idx)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        criterion.end_epoch()
    assert_array_equal(criterion.residual_epoch_, seen_in)
    assert (seen_in < 8).sum() > 100  # many rows are stale
    # The recorded residuals are the latest ones: a final E-step on them
    # equals one on the test's own copy.
    explicit = copy.deepcopy(criterion).finish(latest)
    criterion.finish()
    assert_allclose(criterion.outlier_proba_, explicit.outlier_proba_, atol=1e-6)
    flagged = ~criterion.inlier_mask_
    assert flagged[bad].mean() > 0.8 and flagged[~bad].mean() < 0.05


def feed(criterion, rows, n_outputs=1):
    prediction = torch.zeros(len(rows), n_outputs, requires_grad=True)
    targets = torch.as_tensor(np.random.RandomState(len(rows)).normal(
        size=(len(rows), n_outputs)))
    criterion(prediction, targets, torch.as_tensor(rows)).backward()


def test_rows_older_than_max_staleness_are_refused():
    criterion = GUMCriterion(40, warmup_epochs=4, max_staleness=1)
    feed(criterion, np.arange(40))
    criterion.end_epoch()
    for _ in range(2):  # rows 20 to 39 were last in epoch 1
        feed(criterion, np.arange(20))
        assert not criterion.end_epoch()  # no E-step due yet: no check
    feed(criterion, np.arange(20))
    with pytest.raises(ValueError, match=(
            r"20 of the n_samples=40 rows were last in a batch more than "
            r"max_staleness=1 epoch\(s\) before epoch 4 \(the oldest in epoch 1\)")):
        criterion.end_epoch()


def test_rows_within_max_staleness_are_used():
    criterion = GUMCriterion(40, warmup_epochs=2, max_staleness=1)
    feed(criterion, np.arange(40))
    criterion.end_epoch()
    feed(criterion, np.arange(20))
    assert criterion.end_epoch()
    assert_array_equal(criterion.residual_epoch_, [2] * 20 + [1] * 20)


def test_rows_never_seen_are_named():
    criterion = GUMCriterion(40, warmup_epochs=1)
    feed(criterion, np.arange(30))
    with pytest.raises(ValueError, match="10 of the n_samples=40 rows were never"):
        criterion.end_epoch()


@pytest.mark.parametrize("max_staleness", [True, -1, 1.5])
def test_max_staleness_is_checked(max_staleness):
    with pytest.raises((TypeError, ValueError), match="max_staleness"):
        GUMCriterion(10, max_staleness=max_staleness)


def _held_bytes(obj, seen):
    """Bytes of the arrays and tensors reachable from ``obj`` (each storage
    once)."""
    if isinstance(obj, torch.Tensor):
        storage = obj.untyped_storage()
        key = ("tensor", storage.data_ptr())
        if key in seen:
            return 0
        seen.add(key)
        return storage.nbytes()
    if isinstance(obj, np.ndarray):
        base = obj if obj.base is None else obj.base
        if not isinstance(base, np.ndarray) or ("array", id(base)) in seen:
            return 0 if isinstance(base, np.ndarray) else obj.nbytes
        seen.add(("array", id(base)))
        return base.nbytes
    if isinstance(obj, torch.nn.Module):
        return 0  # the inner criterion: no per-row state
    if isinstance(obj, dict):
        return sum(_held_bytes(value, seen) for value in obj.values())
    if isinstance(obj, (list, tuple)):
        return sum(_held_bytes(value, seen) for value in obj)
    if hasattr(obj, "__dict__") and not callable(obj):
        return _held_bytes(vars(obj), seen)
    return 0


@pytest.mark.parametrize("n_outputs, groups", [(10, "sample"), (4, "output")])
def test_bytes_per_row_are_those_the_docs_state(n_outputs, groups):
    """docs/lightning.rst: ``12 d + 29 + 16 G`` bytes per row (float64
    residuals, ``d`` outputs, ``G`` groups), 165 for d = 10 and one group."""
    n = 20_000
    criterion = GUMCriterion(n, warmup_epochs=1, outlier_granularity=groups)
    rng = np.random.RandomState(0)
    targets = rng.normal(size=(n, n_outputs))
    targets[: n // 5] = rng.uniform(-20, 20, size=(n // 5, n_outputs))
    for epoch in range(3):
        for idx in np.array_split(np.arange(n), 10):
            prediction = torch.zeros(len(idx), n_outputs, requires_grad=True)
            criterion(prediction, targets[idx], idx).backward()
        criterion.end_epoch()
    assert np.all(criterion.has_outliers_)
    n_groups = 1 if groups == "sample" else n_outputs
    per_row = _held_bytes(vars(criterion), set()) / n
    assert 12 * n_outputs + 29 + 16 * n_groups <= per_row
    assert per_row < 12 * n_outputs + 29 + 16 * n_groups + 1
