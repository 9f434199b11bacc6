"""Settings of every test run, the doctests of ``sklearn_gum`` included:
matplotlib draws off-screen (Agg), and each test closes the figures it
opened."""

import os
import sys

os.environ.setdefault("MPLBACKEND", "Agg")

import pytest  # noqa: E402


@pytest.fixture(autouse=True)
def _close_figures():
    yield
    pyplot = sys.modules.get("matplotlib.pyplot")
    if pyplot is not None:
        pyplot.close("all")
