"""GUMCriterion under torch.distributed: 2 processes (gloo, CPU, spawned with
torch.multiprocessing, a file rendezvous) hold the mixture of 1 process
that ran the same batches; and through Lightning's ``ddp_spawn``.

The runs are described in ``tests/_ddp.py``.
"""

import sys
from pathlib import Path

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal

torch = pytest.importorskip("torch")

import _ddp
from sklearn_gum.nn import GUMCriterion
from sklearn_gum.nn._distributed import combine_latest

pytestmark = pytest.mark.usefixtures("torch_one_thread")


@pytest.fixture(scope="module")
def reference():
    """One process taking, per step, the batches of both processes."""
    return _ddp.single_process(world=2)


def assert_same_mixture(fitted, reference, rtol=1e-5):
    assert_array_equal(fitted["inlier_mask_"], reference["inlier_mask_"])
    assert_array_equal(fitted["has_outliers_"], reference["has_outliers_"])
    assert fitted["n_iter_"] == reference["n_iter_"]
    for name in ("inlier_prior_", "covariance_", "log_likelihood_"):
        assert_allclose(fitted[name], reference[name], rtol=rtol, err_msg=name)
    assert_allclose(fitted["outlier_proba_"], reference["outlier_proba_"], atol=1e-4)


def test_the_reference_finds_the_outliers(reference):
    _, _, bad = _ddp.data()
    assert bool(np.all(reference["has_outliers_"]))
    flagged = ~reference["inlier_mask_"]
    assert flagged[bad].mean() > 0.8 and flagged[~bad].mean() < 0.02


def test_two_processes_hold_the_mixture_of_one(reference, tmp_path):
    init_file = tmp_path / "rendezvous"
    torch.multiprocessing.spawn(_ddp.ddp_worker, args=(2, str(init_file), str(tmp_path)),
                                nprocs=2, join=True)
    ranks = [torch.load(tmp_path / f"rank{rank}.pt", weights_only=False)
             for rank in range(2)]
    # Both processes hold the same mixture, bit for bit...
    for name in _ddp.FITTED:
        assert_array_equal(np.asarray(ranks[0]["fitted"][name]),
                           np.asarray(ranks[1]["fitted"][name]), err_msg=name)
    # ... that of one process which saw all rows (301 rows: one padded row).
    assert_same_mixture(ranks[0]["fitted"], reference)
    assert_array_equal(ranks[0]["residual_epoch"], np.full(_ddp.N, _ddp.EPOCHS))
    # The saved state of a process loads into a fresh criterion on one process.
    criterion = GUMCriterion(_ddp.N, warmup_epochs=_ddp.WARMUP)
    criterion.load_state_dict(ranks[1]["state"])
    assert_same_mixture(_ddp.fitted(criterion), ranks[0]["fitted"], rtol=0)


def test_lightning_ddp_spawn_holds_the_mixture_of_one_process(reference, monkeypatch):
    """docs/snippets/lightning_gum.py with Trainer(accelerator="cpu",
    devices=2, strategy="ddp_spawn"): Lightning's DistributedSampler gives
    the shards of tests/_ddp.py, and rank 0's state_dict, mixture included,
    comes back to this process."""
    pytest.importorskip("lightning")
    monkeypatch.syspath_prepend(str(Path(__file__).parents[1] / "docs" / "snippets"))
    monkeypatch.delenv("PL_GLOBAL_SEED", raising=False)  # the sampler's seed: 0
    import lightning_gum

    X, Y, _ = _ddp.data()
    module = lightning_gum.RobustRegressor(_ddp.model(), _ddp.N, lr=_ddp.LR,
                                           warmup_epochs=_ddp.WARMUP)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.arange(_ddp.N), X, Y),
        batch_size=_ddp.BATCH, shuffle=True,
    )
    trainer = lightning_gum.L.Trainer(
        max_epochs=_ddp.EPOCHS, accelerator="cpu", devices=2, strategy="ddp_spawn",
        logger=False, enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, loader)
    assert module.gum.epoch_ == _ddp.EPOCHS
    assert_same_mixture(_ddp.fitted(module.gum), reference)
