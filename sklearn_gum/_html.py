"""HTML summary of a fitted GUMRegressor, shown below scikit-learn's diagram.

scikit-learn's ``BaseEstimator`` renders itself in notebooks through
``_repr_mimebundle_`` (preferred by Jupyter) and ``_repr_html_``; both call
``self._html_repr()``, which is ``estimator_html_repr``. Overriding
``_html_repr`` with :func:`gum_html_repr` therefore adds the summary in both.
"""

import html

import numpy as np
from sklearn import get_config
from sklearn.exceptions import NotFittedError
from sklearn.utils import estimator_html_repr
from sklearn.utils.validation import check_is_fitted

_MAX_LISTED = 8

_STYLE = (
    "margin: 0.4em 0; padding: 0.3em 0.6em; border-left: 3px solid #888; "
    "font-family: monospace; font-size: 0.85em"
)


def _format_values(values, fmt):
    """One number, or up to ``_MAX_LISTED`` per-group numbers, else min-max."""
    values = np.ravel(np.asarray(values, dtype=float))
    if values.size == 1:
        return format(values[0], fmt)
    if values.size <= _MAX_LISTED:
        return "[" + ", ".join(format(value, fmt) for value in values) + "]"
    return f"{format(values.min(), fmt)} to {format(values.max(), fmt)} over {values.size} groups"


def _summary_rows(gum):
    """(label, value) pairs of the summary, as plain text."""
    inliers = np.asarray(gum.inlier_mask_, dtype=bool)
    inliers = inliers.reshape(len(inliers), -1)
    n_samples, n_groups = inliers.shape
    n_flagged = int((~inliers).sum())
    if n_groups == 1:
        flagged = f"{n_flagged} of {n_samples} samples"
    else:
        n_any = int((~inliers).any(axis=1).sum())
        flagged = (
            f"{n_flagged} of {n_samples * n_groups} (sample, group) pairs; "
            f"{n_any} of {n_samples} samples have one"
        )
    rows = [
        ("inlier share", f"{100 * inliers.mean():.1f}%"),
        (f"flagged (outlier proba >= {gum.threshold:g})", flagged),
        ("inlier prior rho", _format_values(gum.inlier_prior_, ".3f")),
    ]
    has_outliers = np.ravel(np.asarray(gum.has_outliers_, dtype=bool))
    detected = (
        ("yes" if has_outliers[0] else "no")
        if has_outliers.size == 1
        else f"{int(has_outliers.sum())} of {has_outliers.size} groups"
    )
    evidence = _format_values(gum.outlier_evidence_, ".1f")
    rows.append(("outliers detected", f"{detected} (NEC evidence: {evidence})"))
    state = "converged" if gum.converged_ else "did not converge"
    rows.append(("EM", f"{state} in {gum.n_iter_} iterations"))
    rows.append(("mean log-likelihood", f"{gum.log_likelihood_:.4g}"))
    if hasattr(gum, "weighting_"):
        rows.append(("refit weighting", str(gum.weighting_)))
    return rows


def gum_summary_html(gum):
    """Short HTML table summarising a fitted GUMRegressor.

    Parameters
    ----------
    gum : GUMRegressor
        The estimator; fitted or not.

    Returns
    -------
    html : str
        A ``<div>`` with the inlier share, the number of flagged samples, the
        inlier prior, whether outliers were detected and with what evidence,
        the convergence of EM and its number of iterations; ``""`` when
        ``gum`` is not fitted. Every value is HTML-escaped.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_gum import GUMRegressor
    >>> from sklearn_gum._html import gum_summary_html
    >>> gum_summary_html(GUMRegressor())
    ''
    >>> rng = np.random.RandomState(0)
    >>> X = rng.normal(size=(100, 1))
    >>> y = 2 * X[:, 0] + rng.normal(scale=0.1, size=100)
    >>> y[:10] += 10
    >>> "10 of 100 samples" in gum_summary_html(GUMRegressor().fit(X, y))
    True
    """
    try:
        check_is_fitted(gum, "inlier_mask_")
    except NotFittedError:
        return ""
    title = html.escape(f"{type(gum).__name__} fit summary")
    cells = "".join(
        f'<tr><td style="padding-right: 1em">{html.escape(label)}</td>'
        f"<td>{html.escape(value)}</td></tr>"
        for label, value in _summary_rows(gum)
    )
    return (
        f'<div class="sklearn-gum-summary" style="{_STYLE}">'
        f"<b>{title}</b><table>{cells}</table></div>"
    )


def gum_html_repr(gum):
    """scikit-learn's HTML diagram of ``gum`` followed by its fit summary.

    Meant as ``GUMRegressor._html_repr``, which ``_repr_html_`` and
    ``_repr_mimebundle_`` call to render the estimator in a notebook.

    Parameters
    ----------
    gum : GUMRegressor

    Returns
    -------
    html : str
    """
    diagram = estimator_html_repr(gum)
    summary = gum_summary_html(gum)
    head, end, tail = diagram.rpartition("</body>")
    if not end:
        return diagram + summary
    return head + summary + end + tail


class MixtureReprMixin:
    """The notebook display of a GUM estimator: scikit-learn's diagram
    followed by a summary of the fitted mixture (:func:`gum_html_repr`)."""

    def _html_repr(self):
        return gum_html_repr(self)

    # scikit-learn 1.6 renders estimator_html_repr(self) in these two, later
    # releases self._html_repr(): both go through _html_repr here.
    def _repr_html_inner(self):
        return self._html_repr()

    def _repr_mimebundle_(self, **kwargs):
        output = {"text/plain": repr(self)}
        if get_config()["display"] == "diagram":
            output["text/html"] = self._html_repr()
        return output
