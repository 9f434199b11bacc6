"""The cheap paths of a fit (issue 13): normal-equation refits for
LinearRegression and the two-stage EM on large data. Each must give the fit
the plain path gives."""

import warnings

import numpy as np
import pytest
import scipy.sparse as sp
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.linear_model import HuberRegressor, LinearRegression, Ridge
from sklearn.tree import DecisionTreeRegressor

from sklearn_gum import GUMRegressor, _linear_refit, _regressor_em
from sklearn_gum._linear_refit import LinearRefit, LinearSolution, make_refit
from sklearn_gum._weighted_fit import WeightedRefit
from sklearn_gum.datasets import make_contaminated_regression

RNG = np.random.RandomState(0)
X = RNG.normal(size=(300, 4)) * [1.0, 1e2, 1e-2, 10.0] + [0.0, 1e6, 5.0, -3.0]
Y = np.column_stack([X @ [1.0, 2e-2, 3e1, 0.5], X @ [-1.0, 1e-2, 0.0, 1.0]])
Y += RNG.normal(size=Y.shape)
W = RNG.uniform(0, 1, 300)


@pytest.mark.parametrize("fit_intercept", [True, False])
def test_normal_equations_equal_the_weighted_least_squares_fit(fit_intercept):
    # features in very different units, one with a large offset: the
    # centred, scaled Gram matrix keeps the solve exact
    # without an intercept, LinearRegression's own lstsq loses the small
    # feature next to the offset one (its rank cutoff): centre the data there
    X_fit = X if fit_intercept else X - X.mean(axis=0)
    template = LinearRegression(fit_intercept=fit_intercept)
    refit = make_refit(template, X_fit, Y, np.ones(300), {}, ravel=False)
    assert isinstance(refit, LinearRefit)
    solution = refit.fit(refit.blank(), W)
    assert isinstance(solution, LinearSolution)
    reference = LinearRegression(fit_intercept=fit_intercept).fit(
        X_fit, Y, sample_weight=W
    )
    assert_allclose(solution.coef_, reference.coef_, rtol=1e-7, atol=1e-12)
    assert_allclose(solution.intercept_, reference.intercept_, rtol=1e-7, atol=1e-7)
    assert_allclose(refit.predict(solution), reference.predict(X_fit), rtol=1e-9)
    assert template.__dict__ == LinearRegression(fit_intercept=fit_intercept).__dict__


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("one_output", [True, False])
def test_materialize_sets_what_linear_regression_fit_sets(fit_intercept, dtype,
                                                          one_output):
    X_fit = (RNG.normal(size=(300, 4)) * [1.0, 1e2, 1e-2, 10.0] + [1.0, 50, 5.0, -3.0])
    X_fit = X_fit.astype(dtype)
    targets = Y[:, :1] if one_output else Y
    template = LinearRegression(fit_intercept=fit_intercept)
    refit = make_refit(template, X_fit, targets, np.ones(300), {}, ravel=one_output)
    solution = refit.fit(refit.blank(), W)
    assert solution.condition <= _linear_refit.MAX_CONDITION_FINAL
    built = refit.materialize(solution)
    def fit(features):
        return LinearRegression(fit_intercept=fit_intercept).fit(
            features, targets.ravel() if one_output else targets, sample_weight=W
        )

    reference = fit(X_fit)
    # LinearRegression solves in the dtype of X; the normal equations in
    # float64, so the values are compared with its float64 fit
    exact = fit(X_fit.astype(np.float64))
    rtol = 1e-9 if dtype == np.float64 else 1e-6
    assert type(built) is LinearRegression and built is not template
    assert sorted(vars(built)) == sorted(vars(reference))
    for name in ("coef_", "intercept_", "singular_"):
        value, expected = getattr(built, name), getattr(exact, name)
        assert np.shape(value) == np.shape(getattr(reference, name)), name
        assert np.asarray(value).dtype == np.asarray(getattr(reference, name)).dtype
        assert_allclose(value, expected, rtol=rtol, atol=1e-9 * np.max(np.abs(expected)),
                        err_msg=name)
    assert type(built.intercept_) is type(reference.intercept_)
    assert built.rank_ == reference.rank_ == 4
    assert built.n_features_in_ == reference.n_features_in_ == 4
    assert_allclose(built.predict(X_fit), exact.predict(X_fit), rtol=10 * rtol)


def test_materialize_fits_an_ill_conditioned_solution_genuinely(monkeypatch):
    monkeypatch.setattr(_linear_refit, "MAX_CONDITION_FINAL", 0.0)
    refit = make_refit(LinearRegression(), X, Y, np.ones(300), {}, ravel=False)
    rows = np.arange(0, 300, 2)
    fitted = refit.materialize(refit.fit(refit.blank(), W, rows=rows))
    reference = LinearRegression().fit(X[rows], Y[rows], sample_weight=W[rows])
    assert_array_equal(fitted.coef_, reference.coef_)
    assert_array_equal(fitted.singular_, reference.singular_)


def test_ill_conditioned_features_fall_back_to_linear_regression():
    collinear = np.column_stack([X[:, 0], 2 * X[:, 0], X[:, 2]])
    refit = make_refit(LinearRegression(), collinear, Y, np.ones(300), {}, ravel=False)
    fitted = refit.fit(refit.blank(), W)
    assert type(fitted) is LinearRegression  # lstsq's minimum-norm solution
    reference = LinearRegression().fit(collinear, Y, sample_weight=W)
    assert_allclose(fitted.coef_, reference.coef_)


def test_normal_equations_are_solved_up_to_the_largest_condition():
    """Cholesky's solve of a well-conditioned Gram matrix is numpy's; a
    diagonal one (whose 1-norm condition is the 2-norm's, exactly) is
    solved up to ``MAX_CONDITION`` and refused beyond, as is a singular or
    indefinite one."""
    features = RNG.normal(size=(50, 3))
    gram, moment = features.T @ features, features.T @ RNG.normal(size=(50, 2))
    solution = _linear_refit.solve_normal_equations(gram, moment)
    assert_allclose(solution, np.linalg.solve(gram, moment), rtol=1e-12)
    largest = _linear_refit.MAX_CONDITION
    for condition, solved in [(0.5 * largest, True), (2 * largest, False)]:
        diagonal = np.diag([1.0, 1.0 / condition])
        answer = _linear_refit.solve_normal_equations(diagonal, np.ones((2, 1)))
        assert (answer is not None) == solved
        if solved:
            assert_allclose(answer[:, 0], [1.0, condition])
    for gram in (np.diag([1.0, 0.0]), np.diag([1.0, -1.0]), np.ones((2, 2))):
        assert _linear_refit.solve_normal_equations(gram, np.ones((2, 1))) is None


def test_a_solution_reads_the_condition_of_its_gram_matrix():
    solution = LinearSolution(np.zeros((1, 2)), np.zeros(1), True, None,
                              np.diag([4.0, 2.0, 0.5]))
    assert solution.condition == 8.0
    for singular in (np.diag([1.0, 0.0]), np.diag([1.0, -1e-12])):
        assert LinearSolution(None, None, True, None, singular).condition == np.inf


@pytest.mark.parametrize(
    "estimator, X_input, fit_params",
    [
        (LinearRegression(positive=True), X, {}),
        (DecisionTreeRegressor(), X, {}),
        (LinearRegression(), X.astype(int), {}),
        (LinearRegression(), np.where(np.eye(300, 4), np.nan, X), {}),
        (LinearRegression(), X, {"check_input": True}),
        (Ridge(positive=True), X, {}),
        (Ridge(alpha=[1.0, 2.0]), X, {}),
        (Ridge(alpha="1"), X, {}),
        (Ridge(alpha=-1.0), X, {}),
    ],
)
def test_other_cases_keep_the_estimators_own_fit(estimator, X_input, fit_params):
    refit = make_refit(estimator, X_input, Y, np.ones(300), fit_params, ravel=False)
    assert type(refit) is WeightedRefit


@pytest.mark.filterwarnings("ignore::scipy.sparse.SparseEfficiencyWarning")
@pytest.mark.parametrize("container", [sp.csr_matrix, sp.csc_array, sp.dia_array])
def test_small_sparse_features_take_the_normal_equations(monkeypatch, container):
    X1, y1 = make_contaminated_regression(200, 3, contamination=0.2, random_state=3)
    refit = make_refit(LinearRegression(), container(X1), y1[:, None], W[:200], {},
                       ravel=True)
    assert type(refit) is LinearRefit
    dense = make_refit(LinearRegression(), X1, y1[:, None], W[:200], {}, ravel=True)
    rows = np.arange(0, 200, 3)
    assert_allclose(refit.predict(refit.fit(refit.blank(), W[:200], rows=rows)),
                    dense.predict(dense.fit(dense.blank(), W[:200], rows=rows)),
                    rtol=1e-12)
    gum = GUMRegressor().fit(container(X1), y1)
    # rows of a DIA matrix cannot be indexed: init="auto" starts from the plain fit
    init = None if container is sp.dia_array else "auto"
    reference = GUMRegressor(init=init).fit(X1, y1)
    assert_array_equal(gum.inlier_mask_, reference.inlier_mask_)
    assert_allclose(gum.estimator_.coef_, reference.estimator_.coef_, rtol=1e-9)
    # LinearRegression's own sparse fit (LSQR) sets neither
    assert not hasattr(gum.estimator_, "rank_") and not hasattr(gum.estimator_, "singular_")
    monkeypatch.setattr(_linear_refit, "MAX_DENSIFIED", 200 * 3 - 1)
    assert type(make_refit(LinearRegression(), container(X1), y1[:, None], W[:200], {},
                           ravel=True)) is WeightedRefit


def test_an_init_regressor_is_fitted_by_its_own_fit():
    X1, y1 = make_contaminated_regression(400, 3, contamination=0.2, random_state=0)
    gum = GUMRegressor(init=LinearRegression(fit_intercept=False)).fit(X1, y1)
    plain = GUMRegressor(init=HuberRegressor()).fit(X1, y1)
    assert_array_equal(gum.inlier_mask_, plain.inlier_mask_)
    assert type(gum.estimator_) is LinearRegression


def test_linear_fast_path_gives_the_generic_fit(monkeypatch):
    X1, y1 = make_contaminated_regression(2000, 10, contamination=0.3, random_state=1)
    fast = GUMRegressor().fit(X1, y1)
    monkeypatch.setattr(_linear_refit, "supports_sufficient_statistics",
                        lambda *args: False)
    generic = GUMRegressor().fit(X1, y1)
    assert_array_equal(fast.inlier_mask_, generic.inlier_mask_)
    assert_allclose(fast.estimator_.coef_, generic.estimator_.coef_, rtol=1e-9)
    assert_allclose(fast.outlier_proba_, generic.outlier_proba_, atol=1e-9)
    assert fast.n_iter_ == generic.n_iter_


@pytest.mark.parametrize("fit_intercept", [True, False])
@pytest.mark.parametrize("alpha", [1e-3, 30.0, np.array([5.0])])
def test_ridge_refits_solve_its_penalised_normal_equations(fit_intercept, alpha):
    # the penalty is on the coefficients of the original units (X's columns
    # differ by 1e4 in scale), not on the intercept
    template = Ridge(alpha=alpha, fit_intercept=fit_intercept)
    X_fit = X if fit_intercept else X - X.mean(axis=0)
    refit = make_refit(template, X_fit, Y, np.ones(300), {}, ravel=False)
    assert isinstance(refit, LinearRefit)
    solution = refit.fit(refit.blank(), W)
    reference = Ridge(alpha=alpha, fit_intercept=fit_intercept).fit(X_fit, Y,
                                                                   sample_weight=W)
    assert_allclose(solution.coef_, reference.coef_, rtol=1e-7, atol=1e-10)
    assert_allclose(solution.intercept_, reference.intercept_, rtol=1e-7, atol=1e-7)
    built = refit.materialize(solution)
    assert type(built) is Ridge and built.solver_ == "cholesky" and built.n_iter_ is None
    assert built.coef_.shape == reference.coef_.shape and built.n_features_in_ == 4
    assert_allclose(built.predict(X_fit), reference.predict(X_fit), rtol=1e-8)


def test_ridge_fast_path_gives_the_generic_fit(monkeypatch):
    X1, y1 = make_contaminated_regression(1000, 10, contamination=0.3, random_state=2)
    fast = GUMRegressor(Ridge(alpha=50.0)).fit(X1, y1)
    monkeypatch.setattr(_linear_refit, "supports_sufficient_statistics",
                        lambda *args: False)
    generic = GUMRegressor(Ridge(alpha=50.0)).fit(X1, y1)
    assert_array_equal(fast.inlier_mask_, generic.inlier_mask_)
    assert_allclose(fast.estimator_.coef_, generic.estimator_.coef_, rtol=1e-8)
    assert_allclose(fast.outlier_proba_, generic.outlier_proba_, atol=1e-9)
    assert fast.n_iter_ == generic.n_iter_


# ------------------------------------------------------------- two stages


LARGE = make_contaminated_regression(
    60_000, 5, contamination=0.2, random_state=3, return_outlier_mask=True, coef=True
)


@pytest.mark.parametrize("estimator", [LinearRegression(), DecisionTreeRegressor(
    max_depth=4, random_state=0)])
def test_two_stage_em_reaches_the_full_data_fit(monkeypatch, estimator):
    X1, y1, outliers, _ = LARGE
    two_stage = GUMRegressor(estimator).fit(X1, y1)
    monkeypatch.setattr(_regressor_em, "EM_SAMPLE", 10**9)
    full = GUMRegressor(estimator).fit(X1, y1)
    # a tree refitted from another start grows other splits: agreement, not
    # identity, for it
    exact = isinstance(estimator, LinearRegression)
    assert np.mean(two_stage.inlier_mask_ == full.inlier_mask_) > (0.999 if exact else 0.99)
    if exact:
        assert_allclose(two_stage.predict(X1), full.predict(X1), atol=0.01)
        # the monotone EM keeps the uniform volume of its own path: the
        # two paths end within 0.01 nats per sample
        assert abs(two_stage.log_likelihood_ - full.log_likelihood_) < 1e-2
    assert np.mean(two_stage.inlier_mask_ == ~outliers) > 0.97
    assert len(two_stage.history_["log_likelihood"]) == two_stage.n_iter_ + 1


def test_two_stage_objective_never_decreases_on_all_rows(monkeypatch):
    # one objective over the full-data iterations: the regressor's dof from
    # the first full-data E-step on (the sample's share of it, then the
    # whole, lowered the objective at the second)
    stage = []
    finish = _regressor_em._finish

    def spy(refit, sampled, *args):
        stage.append(sampled.n_iter)  # history_ rows before the full data's
        return finish(refit, sampled, *args)

    monkeypatch.setattr(_regressor_em, "_finish", spy)
    gum = GUMRegressor(tol=1e-8).fit(*LARGE[:2])
    objective = gum.history_["objective"][stage[0]:]
    assert len(objective) >= 3
    assert np.all(np.diff(objective) >= -1e-9 * np.abs(objective[:-1]))


def test_two_stage_em_without_outliers_is_the_plain_fit():
    X1, _, _, coef = LARGE
    y1 = X1 @ coef + 0.5 * np.random.RandomState(0).normal(size=len(X1))
    gum = GUMRegressor().fit(X1, y1)
    assert not gum.has_outliers_
    assert type(gum.estimator_) is LinearRegression
    assert_allclose(gum.predict(X1), LinearRegression().fit(X1, y1).predict(X1),
                    rtol=1e-10)


def test_clean_data_gives_exactly_the_plain_linear_regression():
    rng = np.random.RandomState(3)
    X_clean = rng.normal(size=(500, 3))
    y_clean = X_clean @ [1.0, -2.0, 0.5] + 0.3 * rng.normal(size=500)
    gum = GUMRegressor().fit(X_clean, y_clean)
    reference = LinearRegression().fit(X_clean, y_clean)
    assert not gum.has_outliers_
    assert_array_equal(gum.estimator_.coef_, reference.coef_)
    assert_array_equal(gum.predict(X_clean), reference.predict(X_clean))


def test_subset_start_on_large_data_finds_leverage_points():
    X1, y1, outliers = make_contaminated_regression(
        50_000, 4, contamination=0.2, kind="leverage", random_state=0,
        return_outlier_mask=True,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        gum = GUMRegressor(init="subsets", random_state=0).fit(X1, y1)
    assert np.mean(gum.inlier_mask_ == ~outliers) > 0.99
