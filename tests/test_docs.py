"""The documentation builds with warnings as errors, examples included.

The Sphinx sources of ``docs/`` are copied to a temporary folder (so that a
test run neither writes generated files into the checkout nor collides with
another build) and built there as with

    sphinx-build -W --keep-going -b html docs docs/_build/html

sphinx-gallery executes the examples of ``docs/examples/`` during the
build, on the CPU, with matplotlib's Agg backend; nothing is downloaded.
The whole build is one test, so that pytest-xdist never builds twice.
"""

import ast
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
EXAMPLES = sorted(p.stem for p in (DOCS / "examples").glob("plot_*.py"))
# Generated or built paths, never copied into the temporary source folder.
GENERATED = ("_build", "auto_examples", "generated", "sg_execution_times.rst")
PAGES = ("index", "user_guide", "persistence", "api", "auto_examples/index")
# Public modules whose whole __all__ must be listed in docs/api.rst.
PUBLIC_MODULES = (
    "sklearn_gum",
    "sklearn_gum.datasets",
    "sklearn_gum.plotting",
    "sklearn_gum.model_selection",
    "sklearn_gum.nn",
    "sklearn_gum.exceptions",
)


def _module_all(module):
    """``__all__`` of a module, read from its source without importing it."""
    source = ROOT / (module.replace(".", "/") + ".py")
    if not source.exists():
        source = ROOT / module.replace(".", "/") / "__init__.py"
    for node in ast.parse(source.read_text()).body:
        if isinstance(node, ast.Assign) and any(
            getattr(target, "id", None) == "__all__" for target in node.targets
        ):
            return [name for name in ast.literal_eval(node.value) if not name.startswith("__")]
    raise AssertionError(f"{module} has no __all__")


def _build(tmp_path):
    source, html = tmp_path / "src", tmp_path / "html"
    shutil.copytree(DOCS, source, ignore=shutil.ignore_patterns(*GENERATED))
    # The build imports the checkout under test, not another installed copy.
    path = os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))
    env = {**os.environ, "MPLBACKEND": "Agg", "PYTHONWARNINGS": "ignore",
           "PYTHONPATH": path}
    command = [
        sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html",
        "-d", str(tmp_path / "doctrees"), str(source), str(html),
    ]
    process = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=900,
        check=False,
    )
    return process.returncode, process.stdout + process.stderr, html


def test_gallery_has_examples():
    assert len(EXAMPLES) >= 4, EXAMPLES


def test_api_reference_lists_every_public_name():
    """Cheap check without building: api.rst names every public object."""
    api = (DOCS / "api.rst").read_text()
    missing = [
        f"{module}.{name}"
        for module in PUBLIC_MODULES
        for name in _module_all(module)
        if not re.search(rf"^\s+{re.escape(name)}\s*$", api, flags=re.MULTILINE)
    ]
    assert not missing, f"missing from docs/api.rst: {missing}"


@pytest.mark.slow
def test_docs_build(tmp_path):
    for module in ("sphinx", "numpydoc", "sphinx_gallery", "matplotlib"):
        pytest.importorskip(module)
    returncode, log, html = _build(tmp_path)
    assert returncode == 0, f"sphinx-build failed:\n{log[-20000:]}"
    assert not re.search(r"\bWARNING\b", log), log[-20000:]

    problems = [f"page {page}.html missing" for page in PAGES
                if not (html / f"{page}.html").is_file()]
    for example in EXAMPLES:
        # Every example has its page, was executed, and drew its figures.
        page = html / "auto_examples" / f"{example}.html"
        if not page.is_file():
            problems.append(f"gallery page {page.name} missing")
            continue
        if "Total running time of the script" not in page.read_text(encoding="utf-8"):
            problems.append(f"{example} was not executed")
        if not list((html / "_images").glob(f"sphx_glr_{example}_*.png")):
            problems.append(f"{example} produced no figure")
    for module in PUBLIC_MODULES:
        for name in _module_all(module):
            if not (html / "generated" / f"{module}.{name}.html").is_file():
                problems.append(f"no API page for {module}.{name}")
    assert not problems, problems
