"""A run stopped at epoch k and resumed from its checkpoint ends as the run
that was never stopped: plain ``torch.save``, Lightning checkpoints and
skorch's Checkpoint / LoadInitState.

The batches of an epoch depend on the epoch alone (tests/_ddp.py), so the
resumed run sees the same batches as the uninterrupted one. Checked to fail
when ``set_extra_state`` restores nothing (the resumed EM starts again).
"""

import numpy as np
import pytest
from numpy.testing import assert_array_equal

torch = pytest.importorskip("torch")

import _ddp
from sklearn_gum.nn import GUMCriterion

pytestmark = pytest.mark.usefixtures("torch_one_thread")

STOP = 4  # E-steps after epochs 2, 3 and 4 ran: the EM is under way


def assert_same_run(resumed, uninterrupted):
    for name in _ddp.FITTED:
        assert_array_equal(np.asarray(resumed[name]), np.asarray(uninterrupted[name]),
                           err_msg=name)


def one_process(epoch):
    return _ddp.step_batches(epoch, [0], 1)


def test_plain_loop_resumes_from_torch_save(tmp_path):
    criterion = GUMCriterion(_ddp.N, warmup_epochs=_ddp.WARMUP)
    _ddp.train(_ddp.model(), criterion, _ddp.EPOCHS, one_process)
    uninterrupted = _ddp.fitted(criterion)

    net, criterion = _ddp.model(), GUMCriterion(_ddp.N, warmup_epochs=_ddp.WARMUP)
    optimizer = _ddp.train(net, criterion, STOP, one_process)
    assert criterion.has_outliers_ and criterion.n_iter_ == 2
    torch.save({"model": net.state_dict(), "optimizer": optimizer.state_dict(),
                "gum": criterion.state_dict()}, tmp_path / "checkpoint.pt")

    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    net, criterion = _ddp.model(seed=1), GUMCriterion(_ddp.N, warmup_epochs=_ddp.WARMUP)
    optimizer = torch.optim.Adam(net.parameters(), lr=_ddp.LR)
    net.load_state_dict(checkpoint["model"])
    optimizer.load_state_dict(checkpoint["optimizer"])
    criterion.load_state_dict(checkpoint["gum"])
    assert criterion.epoch_ == STOP and criterion.n_iter_ == 2
    _ddp.train(net, criterion, _ddp.EPOCHS, one_process, first_epoch=STOP,
               optimizer=optimizer)
    assert_same_run(_ddp.fitted(criterion), uninterrupted)


def test_state_of_a_criterion_before_any_batch_loads():
    criterion = GUMCriterion(10)
    fresh = GUMCriterion(10)
    fresh.load_state_dict(criterion.state_dict())
    assert fresh.epoch_ == 0 and fresh.groups_ is None


def test_state_of_another_size_is_refused():
    state = GUMCriterion(10).state_dict()
    with pytest.raises(ValueError, match="n_samples=10; this one has n_samples=12"):
        GUMCriterion(12).load_state_dict(state)


def test_lightning_resumes_from_its_checkpoint(tmp_path, monkeypatch):
    L = pytest.importorskip("lightning")
    from pathlib import Path

    monkeypatch.syspath_prepend(str(Path(__file__).parents[1] / "docs" / "snippets"))
    import lightning_gum

    X, Y, _ = _ddp.data()
    # A sampler with set_epoch: Lightning calls it, so epoch e's order is the
    # same in a resumed run.
    sampler = torch.utils.data.DistributedSampler(range(_ddp.N), num_replicas=1,
                                                  rank=0, shuffle=True, seed=0)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(torch.arange(_ddp.N), X, Y),
        batch_size=_ddp.BATCH, sampler=sampler,
    )

    def fit(epochs, ckpt_path=None, seed=0):
        module = lightning_gum.RobustRegressor(_ddp.model(seed), _ddp.N, lr=_ddp.LR,
                                               warmup_epochs=_ddp.WARMUP)
        trainer = L.Trainer(max_epochs=epochs, accelerator="cpu", devices=1,
                            logger=False, enable_checkpointing=False,
                            enable_progress_bar=False, enable_model_summary=False)
        trainer.fit(module, loader, ckpt_path=ckpt_path)
        return module, trainer

    uninterrupted, _ = fit(_ddp.EPOCHS)
    _, trainer = fit(STOP)
    trainer.save_checkpoint(tmp_path / "stop.ckpt")
    resumed, _ = fit(_ddp.EPOCHS, ckpt_path=tmp_path / "stop.ckpt", seed=1)
    assert resumed.gum.epoch_ == _ddp.EPOCHS
    assert_same_run(_ddp.fitted(resumed.gum), _ddp.fitted(uninterrupted.gum))


def test_skorch_resumes_with_checkpoint_and_load_init_state(tmp_path):
    skorch = pytest.importorskip("skorch")
    from skorch.callbacks import Callback, Checkpoint, LoadInitState

    from _nets import MLP
    from sklearn_gum.nn import GUMCallback, WeightedNeuralNetRegressor

    X, Y, _ = _ddp.data()
    X, Y = X.numpy(), Y.numpy()

    class StopAfter(Callback):
        """A crash after the checkpoint of epoch ``epoch``."""

        def __init__(self, epoch):
            self.epoch = epoch

        def on_epoch_end(self, net, **kwargs):
            if len(net.history) == self.epoch:
                raise KeyboardInterrupt  # skorch ends the fit as after Ctrl-C

    def fit(max_epochs, *callbacks):
        gum = GUMCallback(warmup_epochs=_ddp.WARMUP)
        torch.manual_seed(0)
        net = WeightedNeuralNetRegressor(
            MLP, module__width=16, optimizer=torch.optim.Adam, lr=_ddp.LR,
            batch_size=_ddp.BATCH, max_epochs=max_epochs, verbose=0,
            callbacks=[("gum", gum), *callbacks],
        )
        net.fit(X, Y)
        return gum.criterion_

    uninterrupted = _ddp.fitted(fit(_ddp.EPOCHS))
    checkpoint = Checkpoint(monitor=None, dirname=str(tmp_path))
    stopped = fit(_ddp.EPOCHS, ("checkpoint", checkpoint), ("stop", StopAfter(STOP)))
    assert stopped.epoch_ == STOP
    resumed = fit(_ddp.EPOCHS - STOP, ("checkpoint", checkpoint),
                  ("load", LoadInitState(checkpoint)))
    assert resumed.epoch_ == _ddp.EPOCHS
    assert_same_run(_ddp.fitted(resumed), uninterrupted)
