"""The lower bounds setup.cfg declares are the releases CI's second
environment installs (issue 19): ``.ci/oldest_requirements.py`` pins each
of them, and ``.ci/run`` runs the suite there."""

import importlib.util
from importlib.metadata import version
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def _oldest():
    spec = importlib.util.spec_from_file_location(
        "oldest_requirements", ROOT / ".ci" / "oldest_requirements.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.lower_bounds(ROOT / "setup.cfg")


def test_every_runtime_lower_bound_is_pinned_for_ci():
    assert _oldest() == {"numpy": "1.24", "scipy": "1.15", "scikit-learn": "1.6",
                         "torch": "2.13", "skorch": "1.4", "matplotlib": "3.7"}


def test_ci_installs_the_pins_and_runs_the_suite_there():
    script = (ROOT / ".ci" / "run").read_text()
    assert "$(python .ci/oldest_requirements.py)" in script
    # the whole suite but the dask tests (the dask extra is not pinned)
    assert script.rstrip().endswith(
        "python -m pytest -n 2 -p no:cacheprovider --ignore=tests/test_dask.py")


def test_the_installed_releases_meet_the_bounds():
    def release(text):
        return tuple(int(part) for part in text.split("+")[0].split(".")[:2])

    for name, bound in _oldest().items():
        assert release(version(name)) >= release(bound), name
