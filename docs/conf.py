"""Sphinx configuration of the sklearn-gum documentation.

Build with warnings as errors (the examples of ``examples/`` are executed)::

    sphinx-build -W --keep-going -b html docs docs/_build/html

Nothing is downloaded: no intersphinx inventories, and sphinx-gallery links
only names of ``sklearn_gum`` itself.
"""

import os
import re
import warnings

import matplotlib

matplotlib.use("Agg")

import sklearn_gum

# -- Project ---------------------------------------------------------------

project = "sklearn-gum"
author = "The sklearn-gum developers"
copyright = "2025, The sklearn-gum developers"
release = sklearn_gum.__version__
version = ".".join(release.split(".")[:2])

# -- General ---------------------------------------------------------------

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]

templates_path = ["_templates"]
# ``examples/`` holds the gallery sources: sphinx-gallery turns them into
# ``auto_examples/``; its header must not be read as a page of its own.
exclude_patterns = [
    "_build", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints", "examples",
]
root_doc = "index"
default_role = "literal"
nitpicky = False

# Offline build: no intersphinx inventories are fetched.
intersphinx_mapping = {}

# -- autodoc / autosummary / numpydoc ----------------------------------------

autosummary_generate = True
autosummary_imported_members = True
autodoc_default_options = {"members": True}
autodoc_typehints = "none"

numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
numpydoc_attributes_as_param_list = True

# Types become cross-references: names of this package link to their pages,
# other names render as code. This also keeps scikit-learn-style shapes such
# as ``(n_features_in_,)`` from being read as reST hyperlinks.
numpydoc_xref_param_type = True
numpydoc_xref_ignore = {
    "of", "shape", "or", "and", "default", "optional", "instance", "type",
    "pair", "the", "same", "as", "if", "with", "one", "per", "dtype=bool",
}
# numpydoc's defaults point to the Python and NumPy inventories through
# intersphinx, which this offline build does not load; ``:term:`` and
# ``:ref:`` targets that cannot resolve would be warnings.
numpydoc_xref_aliases = {
    name: name
    for name in (
        "None", "True", "False", "bool", "boolean", "list", "tuple", "str",
        "string", "dict", "float", "int", "callable", "iterable", "sequence",
        "generator", "array-like", "array_like", "scalar",
    )
}
numpydoc_xref_aliases.update({
    "GUMRegressor": "sklearn_gum.GUMRegressor",
    "OutlierDisplay": "sklearn_gum.plotting.OutlierDisplay",
    "ConvergenceDisplay": "sklearn_gum.plotting.ConvergenceDisplay",
    "ComparisonResult": "sklearn_gum.model_selection.ComparisonResult",
    "ComparisonDisplay": "sklearn_gum.model_selection.ComparisonDisplay",
    "WilcoxonResult": "sklearn_gum.model_selection.WilcoxonResult",
    "MedianCI": "sklearn_gum.model_selection.MedianCI",
    "WeightedNeuralNetRegressor": "sklearn_gum.nn.WeightedNeuralNetRegressor",
    "GUMCriterion": "sklearn_gum.nn.GUMCriterion",
    "GUMCallback": "sklearn_gum.nn.GUMCallback",
})

# -- sphinx-gallery ----------------------------------------------------------

sphinx_gallery_conf = {
    "examples_dirs": "examples",
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"plot_",
    "ignore_pattern": r"__init__\.py",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("sklearn_gum",),
    "backreferences_dir": os.path.join("generated", "backreferences"),
    "reference_url": {"sklearn_gum": None},
    "remove_config_comments": True,
    "abort_on_example_error": True,
    "show_memory": False,
    "download_all_examples": False,
    "capture_repr": ("_repr_html_", "__repr__"),
    "image_scrapers": ("matplotlib",),
    "matplotlib_animations": False,
    "min_reported_time": 0,
}

# The examples fit on purpose some models that do not converge, or warn;
# their warnings are printed in the example output, not raised here.
warnings.filterwarnings(
    "ignore",
    category=UserWarning,
    message="Matplotlib is currently using agg",
)

# -- HTML ------------------------------------------------------------------

html_theme = "alabaster"
html_title = f"sklearn-gum {release}"
html_static_path = []
html_theme_options = {
    "description": "Robust regression with a Gaussian-uniform mixture",
    "fixed_sidebar": True,
}


# -- Docstring fix-ups -------------------------------------------------------

# scikit-learn writes the shape of ``feature_names_in_`` as
# ``(`n_features_in_`,)``: unquoted, ``n_features_in_`` is a reST hyperlink
# reference with no target (an error). Quote fitted-attribute names that end
# in an underscore inside the ``(...)`` of a numpydoc type line, before
# numpydoc parses the docstring.
_TYPE_LINE = re.compile(r"^(\s*\*{0,2}\w+\s+:\s+.*\bshape\s+)(\(.*\))(.*)$")
_TRAILING_UNDERSCORE = re.compile(r"(?<![`\w])([A-Za-z]\w*_)(?=[,)\s])")


def _quote_fitted_attribute_shapes(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        match = _TYPE_LINE.match(line)
        if match:
            head, shape, tail = match.groups()
            lines[i] = head + _TRAILING_UNDERSCORE.sub(r"`\1`", shape) + tail


# Methods inherited from scikit-learn (``score``, ``get_params``,
# ``set_fit_request``, ...) keep their docstrings, which refer to labels and
# glossary terms of scikit-learn's own documentation. Without intersphinx
# these cannot resolve: show them as plain text instead of warning. Any other
# unresolved reference still fails the build.
def _sklearn_references_as_text(app, env, node, contnode):
    from_sklearn = "docstring of sklearn." in (node.source or "")
    if from_sklearn and node.get("reftype") in ("ref", "term"):
        return contnode
    return None


def setup(app):
    # Runs before numpydoc's own handler (priority 500).
    app.connect("autodoc-process-docstring", _quote_fitted_attribute_shapes,
                priority=400)
    app.connect("missing-reference", _sklearn_references_as_text)
