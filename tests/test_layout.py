"""The package's layout: short modules, and a network layer that drives the
EM core without reaching into the estimator."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).parents[1] / "sklearn_gum"
MODULES = sorted(PACKAGE.rglob("*.py"))


def _imported_modules(path):
    """Every module ``path`` imports, relative imports resolved to dotted
    names under ``sklearn_gum``."""
    package = ["sklearn_gum", *path.relative_to(PACKAGE).parent.parts]
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package[: len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def test_the_modules_were_found():
    assert len(MODULES) > 20
    assert PACKAGE / "_em.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(PACKAGE)))
def test_no_module_is_over_600_lines(path):
    assert len(path.read_text().splitlines()) <= 600


def test_imports_are_resolved():
    names = _imported_modules(PACKAGE / "nn" / "_criterion.py")
    assert "sklearn_gum._em" in names and "sklearn_gum.nn._losses" in names


@pytest.mark.parametrize("path", sorted((PACKAGE / "nn").glob("*.py")),
                         ids=lambda p: p.name)
def test_the_network_layer_never_imports_the_estimator(path):
    imported = _imported_modules(path)
    assert not any(name.startswith("sklearn_gum._gum") for name in imported)
    assert "sklearn_gum.GUMRegressor" not in imported
