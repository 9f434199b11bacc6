"""A Pipeline's transformers fitted once for the EM's weighted refits
(sklearn_gum._pipeline_refit)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import clone
from sklearn.datasets import make_friedman1
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import SplineTransformer, StandardScaler

from sklearn_gum import GUMRegressor
from sklearn_gum._linear_refit import make_refit
from sklearn_gum._pipeline_refit import PipelineRefit
from sklearn_gum._weighted_fit import WeightedRefit

# A smooth function of two features with 10% gross outliers at known rows.
RNG = np.random.RandomState(0)
X = RNG.uniform(-1, 1, size=(300, 2))
Y_CLEAN = np.sin(3 * X[:, 0]) + X[:, 1] ** 2 + 0.1 * RNG.normal(size=300)
OUTLIERS = np.zeros(300, dtype=bool)
OUTLIERS[RNG.choice(300, 30, replace=False)] = True
Y = Y_CLEAN + OUTLIERS * RNG.choice([-1, 1], 300) * RNG.uniform(3, 6, 300)


def spline_ridge():
    return make_pipeline(SplineTransformer(n_knots=5), Ridge(alpha=1e-3))


@pytest.fixture
def spline_fits(rows_seen):
    return rows_seen(SplineTransformer, "fit")


def test_transformers_are_fitted_once_and_the_fit_is_unchanged(spline_fits,
                                                                monkeypatch):
    gum = GUMRegressor(spline_ridge()).fit(X, Y)
    assert gum.n_iter_ >= 3 and spline_fits == [300]  # once, on every row
    assert_array_equal(gum.inlier_mask_, ~OUTLIERS)
    # the same EM with the whole Pipeline refitted at every iteration
    monkeypatch.setattr("sklearn_gum._linear_refit.supports_transform_once",
                        lambda *args: False)
    spline_fits.clear()
    whole = GUMRegressor(spline_ridge()).fit(X, Y)
    assert len(spline_fits) == whole.n_iter_ + 1
    assert gum.n_iter_ == whole.n_iter_
    assert_allclose(gum.predict(X), whole.predict(X), rtol=1e-9, atol=1e-9)
    assert_allclose(gum.outlier_proba_, whole.outlier_proba_, atol=1e-9)
    # a genuine fitted Pipeline of the user's steps
    steps = gum.estimator_.named_steps
    assert list(steps) == ["splinetransformer", "ridge"]
    assert_allclose(steps["ridge"].coef_, whole.estimator_.named_steps["ridge"].coef_,
                    rtol=1e-8, atol=1e-10)


def test_the_final_step_gets_its_own_fit_params_at_every_refit(monkeypatch):
    seen = []
    original = Ridge.fit

    def fit(self, X, y, sample_weight=None):
        seen.append(None if sample_weight is None else float(np.sum(sample_weight)))
        return original(self, X, y, sample_weight=sample_weight)

    monkeypatch.setattr(Ridge, "fit", fit)
    weights = np.full(300, 2.0)
    # positive: no normal equations, Ridge.fit at every refit
    positive = make_pipeline(SplineTransformer(n_knots=5), Ridge(alpha=1e-3, positive=True))
    gum = GUMRegressor(positive).fit(X, Y, sample_weight=weights)
    # the plain fit with the sample weights, then the EM weights (below)
    assert len(seen) == gum.n_iter_ + 1 >= 3
    assert seen[0] == pytest.approx(600.0) and all(s < 600 for s in seen[1:])


@pytest.mark.parametrize("alpha", [1e-3, 10.0])
def test_a_linear_final_step_solves_the_normal_equations_on_the_kept_features(
        monkeypatch, alpha):
    calls = []
    original = Ridge.fit

    def fit(self, X, y, sample_weight=None):
        calls.append(len(X))
        return original(self, X, y, sample_weight=sample_weight)

    monkeypatch.setattr(Ridge, "fit", fit)
    weights = np.random.RandomState(1).randint(1, 4, 300).astype(float)
    template = make_pipeline(SplineTransformer(n_knots=5), Ridge(alpha=alpha))
    gum = GUMRegressor(template).fit(X, Y, sample_weight=weights)
    assert calls == [] and gum.n_iter_ >= 3  # no Ridge.fit: solves
    assert_array_equal(gum.inlier_mask_, ~OUTLIERS)
    # Ridge.fit of the whole Pipeline at every refit: the same EM and fit
    monkeypatch.setattr("sklearn_gum._linear_refit.supports_transform_once",
                        lambda *args: False)
    whole = GUMRegressor(template).fit(X, Y, sample_weight=weights)
    assert len(calls) == whole.n_iter_ + 1 and gum.n_iter_ == whole.n_iter_
    ridge, whole_ridge = gum.estimator_[-1], whole.estimator_[-1]
    assert_allclose(ridge.coef_, whole_ridge.coef_, rtol=1e-7, atol=1e-9)
    assert ridge.intercept_ == pytest.approx(whole_ridge.intercept_, rel=1e-9)
    assert ridge.n_features_in_ == whole_ridge.n_features_in_ == 2 * 7
    assert_allclose(gum.outlier_proba_, whole.outlier_proba_, atol=1e-8)
    # the weights count: without them, another fit
    unweighted = GUMRegressor(template).fit(X, Y)
    assert np.abs(unweighted.estimator_[-1].coef_ - ridge.coef_).max() > 1e-4


@pytest.mark.parametrize("case", ["routing", "two outputs", "one step", "no weights"])
def test_other_pipelines_refit_the_whole_pipeline(case):
    estimator, targets = spline_ridge(), Y[:, None]
    if case == "two outputs":
        targets = np.column_stack([Y, Y])
    elif case == "one step":
        estimator = make_pipeline(Ridge())
    elif case == "no weights":
        from sklearn.neighbors import KNeighborsRegressor
        estimator = make_pipeline(StandardScaler(), KNeighborsRegressor())
    with config_context(enable_metadata_routing=case == "routing"):
        if case == "routing":
            estimator.steps[-1][1].set_fit_request(sample_weight=True)
        refit = make_refit(estimator, X, targets, np.ones(300), {}, False)
    assert type(refit) is WeightedRefit


def test_starts_on_some_rows_fit_the_whole_pipeline(spline_fits):
    refit = make_refit(spline_ridge(), X, Y[:, None], np.ones(300), {}, True)
    assert type(refit) is PipelineRefit
    half = refit.fit(refit.blank(), refit.sample_weight, rows=np.arange(150))
    assert spline_fits == [150]
    plain = clone(spline_ridge()).fit(X[:150], Y[:150])
    assert_allclose(refit.predict(half)[:, 0], plain.predict(X))


def test_sparse_and_dataframe_features_reach_the_final_step_as_they_are():
    pd = pytest.importorskip("pandas")
    from sklearn.preprocessing import OneHotEncoder

    codes = (X > 0).astype(int)  # four cells, one-hot encoded (sparse)
    y = 3.0 * codes[:, 0] - 2.0 * codes[:, 1] + 0.1 * RNG.normal(size=300)
    y[:20] += 10.0
    sparse_pipe = make_pipeline(OneHotEncoder(), Ridge(alpha=1e-3))
    gum = GUMRegressor(sparse_pipe).fit(codes, y)
    assert not gum.inlier_mask_[:20].any() and gum.inlier_mask_[20:].mean() > 0.95
    frame = pd.DataFrame(X, columns=["a", "b"])
    scaled = make_pipeline(StandardScaler(), SplineTransformer(n_knots=5),
                           Ridge(alpha=1e-3)).set_output(transform="pandas")
    gum = GUMRegressor(scaled).fit(frame, Y)
    names = gum.estimator_[-1].feature_names_in_
    assert len(names) == gum.estimator_[:-1].transform(frame).shape[1]
    assert_array_equal(gum.inlier_mask_, ~OUTLIERS)


@pytest.mark.parametrize("seed", [0, 2, 5])
def test_a_basis_expansion_keeps_no_outliers_for_its_own_misfit(seed):
    """Mutant: least squares on splines decides as least squares on the
    inputs. Clean friedman1 labels: the additive splines cannot follow the
    interaction of two inputs, and without a flexible regressor's margin a
    contaminated normal is kept (+0.001 to +0.034 per row in these seeds);
    the answer is the plain fit, after one fit."""
    X, y = make_friedman1(300, 6, noise=1.0, random_state=seed)
    gum = GUMRegressor(spline_ridge()).fit(X, y)
    assert not gum.has_outliers_[0] and gum.n_iter_ == 1
    assert 0 < gum.outlier_evidence_ < 0.05 * 300
    assert_allclose(gum.predict(X), spline_ridge().fit(X, y).predict(X))


@pytest.mark.parametrize("seed", [0, 1])
def test_a_basis_expansion_keeps_no_outliers_in_a_region_it_cannot_follow(seed):
    """Mutant: the flags of splines not tested for a region. A step in the
    target: the splines leave large residuals next to it (+0.13 to +0.32
    per row, above the margin), and the EM flagged a fifth of the rows."""
    rng = np.random.RandomState(seed)
    X = rng.uniform(-1, 1, size=(300, 2))
    y = 3 * (X[:, 0] > 0) + X[:, 1] + 0.1 * rng.normal(size=300)
    gum = GUMRegressor(spline_ridge()).fit(X, y)
    assert not gum.has_outliers_[0] and gum.outlier_evidence_ > 0.1 * 300


def test_only_a_basis_expansion_counts_as_flexible():
    from sklearn_gum._regressor_em import _expands_inputs

    refit = WeightedRefit(LinearRegression(), X, Y[:, None], np.ones(300), {}, True)
    assert _expands_inputs(refit, spline_ridge().fit(X, Y))
    assert not _expands_inputs(refit, LinearRegression().fit(X, Y))
    assert not _expands_inputs(refit, make_pipeline(StandardScaler(), Ridge()).fit(X, Y))
    assert not _expands_inputs(refit, make_pipeline(StandardScaler(), Ridge()))  # unfitted
