"""One vocabulary: each shared setting has one name, one default and one
meaning on GUMRegressor, GUMCallback and GUMCriterion, kept in one place of
the core (``sklearn_gum._em.DEFAULTS``); every default a docstring states is
the signature's."""

import ast
import importlib
import inspect
import re

import numpy as np
import pytest

from sklearn_gum import GUMRegressor, _em

torch = pytest.importorskip("torch")
pytest.importorskip("skorch")
from sklearn_gum.nn import GUMCallback, GUMCriterion  # noqa: E402

PUBLIC_MODULES = (
    "sklearn_gum",
    "sklearn_gum.datasets",
    "sklearn_gum.plotting",
    "sklearn_gum.model_selection",
    "sklearn_gum.nn",
)
ENTRY_POINTS = {"GUMRegressor": GUMRegressor, "GUMCallback": GUMCallback,
                "GUMCriterion": GUMCriterion}


def _defaults(cls):
    return {name: p.default for name, p in inspect.signature(cls).parameters.items()
            if p.default is not inspect.Parameter.empty}


@pytest.mark.parametrize("name", sorted(_em.DEFAULTS))
def test_each_shared_setting_has_one_default(name):
    holders = {label: _defaults(cls) for label, cls in ENTRY_POINTS.items()}
    having = {label: defaults[name] for label, defaults in holders.items()
              if name in defaults}
    # Every shared setting lives on at least two entry points...
    assert len(having) >= 2 or name == "init", (name, having)
    # ...with the core's default on each.
    for label, default in having.items():
        assert default == _em.DEFAULTS[name], (label, name, default)


def test_the_callback_takes_every_setting_of_the_criterion_it_builds():
    own = {"n_samples", "criterion", "sample_weight", "max_staleness", "process_group"}
    criterion = set(_defaults(GUMCriterion)) | {"n_samples"}
    callback = set(_defaults(GUMCallback))
    assert criterion - own <= callback
    # ...and GUMRegressor every setting of the callback.
    assert callback <= set(_defaults(GUMRegressor))
    # Nothing the entry points share is missing from the core's table.
    shared = (set(_defaults(GUMRegressor)) & callback) | (callback & criterion)
    assert shared <= set(_em.DEFAULTS)


def test_auto_settings_resolve_per_path():
    assert _em.auto_min_evidence("auto", network=True) == 0.05
    assert _em.auto_min_evidence("auto", network=False) == 0.0
    assert _em.auto_min_evidence(0.3, network=False) == 0.3
    assert _em.auto_warmup_epochs("auto", 40) == 4
    assert _em.auto_warmup_epochs("auto", 5) == 1
    assert _em.auto_warmup_epochs("auto") == 5
    crit = GUMCriterion(10)
    assert (crit.max_iter, crit.min_evidence, crit.warmup_epochs) == (100, 0.05, 5)


# -- documented defaults -----------------------------------------------------

_PARAM = re.compile(r"^    (\w+) : .*?default=(.+?)\s*$", re.MULTILINE)


def _documented(obj):
    """``{name: default text}`` of the Parameters section of ``obj``'s
    docstring (continuation lines joined)."""
    doc = inspect.getdoc(obj) or ""
    section = re.split(r"\n(?:Parameters|Attributes|Returns)\n-+\n", doc)
    if "\nParameters\n" not in "\n" + doc:
        return {}
    params = doc.split("Parameters\n----------\n", 1)[1]
    params = re.split(r"\n\n[A-Z][a-z ]+\n-+\n", params, maxsplit=1)[0]
    params = re.sub(r"\\\n\s+", "", params)  # lines continued with a backslash
    del section
    return {name: text for name, text in re.findall(
        r"^(\w+) : [^\n]*?default=([^\n]+?)\s*$", params, flags=re.MULTILINE)}


def _public_callables():
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            if name.startswith("__"):
                continue
            obj = getattr(module, name)
            if inspect.isclass(obj):
                yield f"{module_name}.{name}", obj
                for attr, member in inspect.getmembers(obj):
                    home = getattr(member, "__module__", "") or ""
                    if (not attr.startswith("_") and callable(member)
                            and home.startswith("sklearn_gum")):
                        yield f"{module_name}.{name}.{attr}", member
            elif callable(obj):
                yield f"{module_name}.{name}", obj


CALLABLES = dict(_public_callables())


def test_public_callables_were_found():
    assert "sklearn_gum.GUMRegressor" in CALLABLES
    assert "sklearn_gum.GUMRegressor.log_density" in CALLABLES
    assert "sklearn_gum.plotting.OutlierDisplay.from_estimator" in CALLABLES
    documented = sum(bool(_documented(obj)) for obj in CALLABLES.values())
    assert documented > 20


def _same(text, default):
    """Whether a docstring's ``default=text`` names ``default``."""
    text = text.strip().rstrip(".")
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError):
        # e.g. "LinearRegression()" or "torch.nn.MSELoss": the object's name
        name = getattr(default, "__name__", type(default).__name__)
        return text.split(".")[-1].rstrip("()") == name
    if isinstance(value, (bool, str)) or value is None or isinstance(default, bool):
        return type(value) is type(default) and value == default
    return not isinstance(default, str) and np.all(np.asarray(value) == default)


@pytest.mark.parametrize("name", sorted(CALLABLES))
def test_documented_defaults_are_the_signature(name):
    obj = CALLABLES[name]
    documented = _documented(obj)
    if not documented:
        return
    signature = inspect.signature(obj)
    wrong = {}
    for param, text in documented.items():
        if param not in signature.parameters:
            wrong[param] = f"documented (default={text}) but not in the signature"
            continue
        default = signature.parameters[param].default
        if default is inspect.Parameter.empty or not _same(text, default):
            wrong[param] = f"documented default={text}, signature {default!r}"
    assert not wrong, wrong


def test_the_check_catches_a_wrong_default():
    def f(a=1, b="x"):
        """Doc.

        Parameters
        ----------
        a : int, default=2
            A.
        b : str, default="x"
            B.
        """

    assert _documented(f) == {"a": "2", "b": '"x"'}
    assert not _same("2", 1) and _same('"x"', "x") and _same("1e-4", 1e-4)


# -- executed docs -----------------------------------------------------------


def test_no_docstring_example_is_skipped():
    from pathlib import Path

    package = Path(__file__).parents[1] / "sklearn_gum"
    skipped = [str(path.relative_to(package)) for path in package.rglob("*.py")
               if re.search(r"doctest:\s*\+SKIP", path.read_text())]
    assert not skipped, skipped


def test_doctests_are_collected_from_the_package():
    from pathlib import Path

    config = (Path(__file__).parents[1] / "pyproject.toml").read_text()
    assert "--doctest-modules" in config
    assert re.search(r'testpaths = \[[^\]]*"sklearn_gum"', config)
