"""Fixtures shared by the test modules."""

import pytest


@pytest.fixture(scope="module")
def torch_one_thread():
    """One torch thread: small nets, and no oversubscription on shared CPUs."""
    torch = pytest.importorskip("torch")
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
