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


@pytest.fixture
def rows_seen(monkeypatch):
    """``watch(cls, name)``: from then on, the number of rows of the first
    argument of every call of the method ``cls.name``, in a list."""

    def watch(cls, name):
        seen = []
        original = getattr(cls, name)

        def recording(self, X, *args, **kwargs):
            seen.append(len(X))
            return original(self, X, *args, **kwargs)

        monkeypatch.setattr(cls, name, recording)
        return seen

    return watch
