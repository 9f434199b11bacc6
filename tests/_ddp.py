"""Training runs of GUMCriterion on one process and on several (gloo, CPU).

Worker functions live here, in an importable module, so that
``torch.multiprocessing.spawn`` can start them in fresh processes.

The runs are built to be the same computation: with ``world`` processes,
each process takes its batch of each step from a ``DistributedSampler``
(shuffled per epoch, padded to a multiple of ``world``); the single
process takes, at each step, the concatenation of the ``world`` batches of
that step. DDP averages the gradients of equal-sized batches, which is the
gradient of the mean loss over the concatenation, so both runs make the
same steps up to float rounding.
"""

import numpy as np
import torch
from torch.utils.data import DistributedSampler

from _nets import MLP
from sklearn_gum.nn import GUMCriterion

N, BATCH, EPOCHS, WARMUP, LR = 301, 16, 8, 2, 0.02
FITTED = ("inlier_prior_", "covariance_", "inlier_mask_", "outlier_proba_",
          "has_outliers_", "n_iter_", "log_likelihood_")


def data(n=N):
    """A sine and a cosine of one feature, 20% of the rows replaced by noise."""
    rng = np.random.RandomState(0)
    X = rng.uniform(-3, 3, size=(n, 1)).astype(np.float32)
    Y = np.column_stack([np.sin(X[:, 0]), np.cos(X[:, 0])])
    Y = (Y + rng.normal(scale=0.05, size=Y.shape)).astype(np.float32)
    bad = rng.rand(n) < 0.2
    Y[bad] = rng.uniform(-3, 3, size=(bad.sum(), 2))
    return torch.as_tensor(X), torch.as_tensor(Y), bad


def model(seed=0):
    torch.manual_seed(seed)
    return MLP(width=16)


def shard_batches(epoch, rank, world, n=N, batch=BATCH):
    """The row indices of each batch of one process in one epoch."""
    sampler = DistributedSampler(range(n), num_replicas=world, rank=rank,
                                 shuffle=True, seed=0)
    sampler.set_epoch(epoch)
    return torch.tensor(list(sampler)).split(batch)


def step_batches(epoch, ranks, world):
    """Per step, the rows of the processes ``ranks`` (all for one process
    standing in for ``world``)."""
    shards = [shard_batches(epoch, rank, world) for rank in ranks]
    return [torch.cat(parts) for parts in zip(*shards)]


def train(net, criterion, epochs, batches, first_epoch=0, optimizer=None):
    """The plain loop: loss, step, ``end_epoch``; ``batches(epoch)`` lists
    the row indices of each step."""
    X, Y, _ = data()
    optimizer = optimizer or torch.optim.Adam(net.parameters(), lr=LR)
    for epoch in range(first_epoch, epochs):
        for idx in batches(epoch):
            loss = criterion(net(X[idx]), Y[idx], idx)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
        criterion.end_epoch()
    return optimizer


def fitted(criterion):
    return {name: getattr(criterion, name) for name in FITTED}


def single_process(world=2, epochs=EPOCHS):
    """One process standing in for ``world``: the reference."""
    torch.set_num_threads(1)
    criterion = GUMCriterion(N, warmup_epochs=WARMUP)
    train(model(), criterion, epochs,
          lambda epoch: step_batches(epoch, range(world), world))
    return fitted(criterion)


def ddp_worker(rank, world, init_file, out_dir):
    """One process of a DDP run (gloo, CPU); writes its fitted mixture."""
    torch.set_num_threads(1)
    torch.distributed.init_process_group("gloo", init_method=f"file://{init_file}",
                                         rank=rank, world_size=world)
    try:
        net = torch.nn.parallel.DistributedDataParallel(model())
        criterion = GUMCriterion(N, warmup_epochs=WARMUP)
        train(net, criterion, EPOCHS,
              lambda epoch: step_batches(epoch, [rank], world))
        torch.save({"fitted": fitted(criterion),
                    "residual_epoch": criterion.residual_epoch_,
                    "state": criterion.state_dict()}, f"{out_dir}/rank{rank}.pt")
    finally:
        torch.distributed.destroy_process_group()
