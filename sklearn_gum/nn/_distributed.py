"""The residuals of every process of a torch.distributed run, in each of them.

Private: used by :class:`~sklearn_gum.nn.GUMCriterion` at the end of an
epoch, never per batch.

Under DDP each process records the residuals of its own shard of the rows in
its own ``(n_samples, n_outputs)`` buffer, with the number of the batch that
recorded each row (its *stamp*; batches are counted alike on every process,
as DDP steps them together). :func:`combine_latest` gives every process, for
each row, the residual with the latest stamp over all processes, ties going
to the lowest rank: the residual a single process would hold had it run the
same batches one after another. A row that a ``DistributedSampler`` pads in
(given to two processes in one epoch) is thus counted once, with its latest
residual, and a row that no process saw this epoch keeps its latest one.

The cost: two all-reduces of the buffers (``n_samples`` int64 stamps, then
``n_samples x n_outputs`` residuals, in place) per E-step, and one temporary
of ``n_samples`` int64 and of ``n_samples`` bools; no gathered copy per
process (an all-gather would hold ``world_size`` copies of the buffer).
"""

import torch


def process_group_size(group=None):
    """Processes of ``group`` (the default group for None); 1 without an
    initialised process group."""
    distributed = torch.distributed
    if not (distributed.is_available() and distributed.is_initialized()):
        return 1
    return distributed.get_world_size(group)


def combine_latest(residuals, stamps, group=None):
    """Make every process hold, per row, the residual with the latest stamp.

    Parameters
    ----------
    residuals : torch.Tensor of shape (n_samples, n_outputs)
        This process's buffer; overwritten with the combined residuals.
    stamps : torch.Tensor of int64 of shape (n_samples,)
        The batch that recorded each row on this process (-1 for none);
        overwritten with the combined stamps.
    group : ProcessGroup, default=None
        The default group for None.
    """
    distributed = torch.distributed
    world = distributed.get_world_size(group)
    rank = distributed.get_rank(group)
    # A key unique to (stamp, process): the latest stamp, then the lowest rank.
    key = stamps * world + (world - 1 - rank)
    latest = key.clone()
    distributed.all_reduce(latest, op=distributed.ReduceOp.MAX, group=group)
    # Adding exact zeros keeps the winner's residual bit for bit.
    residuals.masked_fill_((key != latest)[:, None], 0.0)
    distributed.all_reduce(residuals, op=distributed.ReduceOp.SUM, group=group)
    stamps.copy_(torch.div(latest, world, rounding_mode="floor"))


def epoch_flags(flags, group=None):
    """Boolean scalar tensors, each True only if it is True on every process.

    Returns
    -------
    flags : list of bool
    """
    values = torch.stack([flag.reshape(()).to(torch.int32) for flag in flags])
    if process_group_size(group) > 1:
        distributed = torch.distributed
        distributed.all_reduce(values, op=distributed.ReduceOp.MIN, group=group)
    return [bool(value) for value in values.tolist()]
