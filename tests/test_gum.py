"""GUMRegressor: recovered coefficients, detected outliers, shapes and errors."""

import pickle
import warnings

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn import config_context
from sklearn.base import BaseEstimator, RegressorMixin, clone
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, cross_validate
from sklearn.neighbors import KNeighborsRegressor
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_gum import GUMRegressor
from sklearn_gum._weighted_fit import WeightedRefit, whitening_factor
from sklearn_gum.datasets import load_hbk, load_wood, make_contaminated_regression

# 200 samples, y = 2 x1 - x2 + N(0, 0.1^2), the first 20 targets shifted by 10
RNG = np.random.RandomState(0)
X = RNG.normal(size=(200, 2))
Y_CLEAN = X @ [2.0, -1.0] + 0.5 + RNG.normal(scale=0.1, size=200)
Y = Y_CLEAN.copy()
Y[:20] += 10
OUTLIERS = np.arange(200) < 20


def test_recovers_coefficients_and_flags_exactly_the_outliers():
    gum = GUMRegressor().fit(X, Y)
    assert_allclose(gum.estimator_.coef_, [2.0, -1.0], atol=0.03)
    assert_allclose(gum.estimator_.intercept_, 0.5, atol=0.03)
    assert_array_equal(gum.inlier_mask_, ~OUTLIERS)
    assert gum.outlier_proba_[OUTLIERS].min() > 0.99
    assert gum.outlier_proba_[~OUTLIERS].mean() < 0.01
    assert_allclose(gum.inlier_prior_, 0.9, atol=0.01)
    assert_allclose(np.sqrt(gum.covariance_[0, 0]), 0.1, rtol=0.15)
    assert gum.has_outliers_ and gum.outlier_evidence_ > 100
    assert gum.converged_ and 1 <= gum.n_iter_ < 100
    # a plain least-squares fit is pulled by the shift
    assert abs(LinearRegression().fit(X, Y).intercept_ - 1.5) < 0.1


def test_fitted_attribute_types_for_one_output():
    gum = GUMRegressor().fit(X, Y)
    assert gum.outlier_proba_.shape == (200,)
    assert gum.outlier_proba_.dtype == np.float64
    assert gum.inlier_mask_.dtype == bool
    assert isinstance(gum.inlier_prior_, float)
    assert isinstance(gum.uniform_volume_, float)
    assert gum.covariance_.shape == (1, 1)
    assert gum.n_features_in_ == 2
    assert gum.weighting_ == "soft"
    assert gum.predict(X).shape == (200,)
    history = gum.history_
    assert len(history["log_likelihood"]) == gum.n_iter_ + 1
    assert_allclose(history["log_likelihood"][-1], gum.log_likelihood_)
    assert_allclose(history["inlier_share"][-1], 0.9)


def test_outlier_proba_on_the_training_data_equals_outlier_proba_():
    gum = GUMRegressor().fit(X, Y)
    assert_allclose(gum.outlier_proba(X, Y), gum.outlier_proba_)
    assert_array_equal(gum.outlier_proba(X[:3], Y_CLEAN[:3]) < 0.01, True)


def test_log_likelihood_is_the_mixture_density_of_the_residuals():
    gum = GUMRegressor().fit(X, Y)
    residuals = Y - gum.predict(X)
    variance = gum.covariance_[0, 0]
    density = gum.inlier_prior_ * np.exp(-(residuals**2) / (2 * variance)) / np.sqrt(
        2 * np.pi * variance
    ) + (1 - gum.inlier_prior_) / gum.uniform_volume_
    assert_allclose(gum.log_likelihood_, np.mean(np.log(density)))


# ---------------------------------------------------------------- accuracy


@pytest.mark.parametrize("contamination", [0.0, 0.2, 0.4, 0.5])
def test_accuracy_close_to_least_squares_on_the_clean_rows(contamination):
    """The core issue's protocol, one seed: 2000 x 10, uniform targets."""
    X_all, y_all, mask = make_contaminated_regression(
        4000, 10, contamination=0.0, random_state=1, return_outlier_mask=True
    )
    X_train, y_train, outliers = make_contaminated_regression(
        2000, 10, contamination=contamination, random_state=2,
        return_outlier_mask=True,
    )
    gum = GUMRegressor().fit(X_train, y_train)
    reference = LinearRegression().fit(X_train[~outliers], y_train[~outliers])

    def rmse(model):
        return np.sqrt(np.mean((model.predict(X_all) - y_all) ** 2))

    assert rmse(gum) <= 1.15 * rmse(reference)
    if contamination:
        assert roc_auc_score(outliers, gum.outlier_proba_) >= 0.98


def test_subset_start_handles_bad_leverage_points():
    X_lev, y_lev, outliers, coef = make_contaminated_regression(
        1000, 10, contamination=0.2, kind="leverage", random_state=0,
        return_outlier_mask=True, coef=True,
    )
    plain = GUMRegressor(init=None).fit(X_lev, y_lev)
    assert np.abs(plain.estimator_.coef_ - coef).max() > 0.5
    # the default start ("auto") is the subset start for LinearRegression
    for robust in (GUMRegressor(init="subsets", random_state=0), GUMRegressor()):
        robust.fit(X_lev, y_lev)
        assert_allclose(robust.estimator_.coef_, coef, atol=0.1)
        assert (~robust.inlier_mask_)[outliers].all()
        assert (~robust.inlier_mask_)[~outliers].mean() < 0.005


@pytest.mark.parametrize("loader", [load_hbk, load_wood])
def test_subset_start_flags_the_known_outliers_of_classic_data(loader):
    data = loader()
    gum = GUMRegressor(init="subsets", random_state=0).fit(data.data, data.target)
    assert_array_equal(~gum.inlier_mask_, data.outlier_mask)


def test_init_with_a_fitted_regressor_starts_from_its_predictions():
    data = load_hbk()
    start = GUMRegressor(init="subsets", random_state=0).fit(data.data, data.target)
    gum = GUMRegressor(init=start.estimator_).fit(data.data, data.target)
    assert_array_equal(~gum.inlier_mask_, data.outlier_mask)
    # an unfitted start regressor is fitted on the data first
    unfitted = GUMRegressor(init=Ridge(alpha=1.0)).fit(X, Y)
    assert_array_equal(unfitted.inlier_mask_, ~OUTLIERS)


def test_n_init_keeps_the_run_with_the_highest_likelihood():
    one = GUMRegressor(init="subsets", n_init=1, random_state=0).fit(X, Y)
    three = GUMRegressor(init="subsets", n_init=3, random_state=0).fit(X, Y)
    assert three.log_likelihood_ >= one.log_likelihood_ - 1e-12


# ------------------------------------------------------------ no false alarms


def _plain_moment_em(residuals, n_iter=200):
    """The paper's EM with the moment update and nothing else (for contrast)."""
    variance, prior, volume = residuals.var(), 0.5, np.ptp(residuals)
    for n_done in range(1, n_iter + 1):
        gaussian = prior * np.exp(-(residuals**2) / (2 * variance)) / np.sqrt(
            2 * np.pi * variance
        )
        resp = gaussian / (gaussian + (1 - prior) / volume)
        old = (prior, variance, volume)
        prior, variance = resp.mean(), np.sum(resp * residuals**2) / resp.sum()
        weights = 1 - resp
        first = np.sum(weights * residuals) / weights.sum()
        second = np.sum(weights * residuals**2) / weights.sum()
        volume = 2 * np.sqrt(3 * (second - first**2))
        if np.allclose(old, (prior, variance, volume), rtol=1e-8):
            return resp, True
    return resp, False


def _clean_problem(seed, n_samples=400, n_features=5, n_outputs=1):
    rng = np.random.RandomState(seed)
    X_clean = rng.normal(size=(n_samples, n_features))
    coef = rng.normal(size=(n_features, n_outputs))
    y = X_clean @ coef + rng.normal(size=(n_samples, n_outputs))
    return X_clean, y[:, 0] if n_outputs == 1 else y


def test_clean_data_where_the_plain_moment_em_fails():
    X_clean, y = _clean_problem(15)
    residuals = y - LinearRegression().fit(X_clean, y).predict(X_clean)
    resp, converged = _plain_moment_em(residuals)
    assert not converged and (resp < 0.5).mean() > 0.2

    gum = GUMRegressor().fit(X_clean, y)
    assert gum.converged_
    assert not gum.has_outliers_ and gum.outlier_evidence_ < 0
    assert_array_equal(gum.outlier_proba_, 0.0)
    assert_allclose(gum.predict(X_clean), LinearRegression().fit(X_clean, y).predict(X_clean))

    forced = GUMRegressor(outlier_component="always").fit(X_clean, y)
    assert forced.converged_ and forced.has_outliers_
    residuals = y - forced.predict(X_clean)
    # the uniform spans the residuals and stays below the Gaussian's peak
    assert forced.uniform_volume_ >= np.ptp(residuals) * (1 - 1e-6)
    assert 1 / forced.uniform_volume_ <= 1 / np.sqrt(2 * np.pi * forced.covariance_[0, 0])
    # started from the Gaussian, the forced uniform takes no clean sample
    assert forced.inlier_mask_.all() and forced.inlier_prior_ > 0.97


@pytest.mark.parametrize(
    "n_samples, n_features, n_outputs", [(100, 1, 1), (400, 5, 1), (1000, 20, 4)]
)
def test_clean_data_flags_nothing_and_equals_least_squares(n_samples, n_features, n_outputs):
    shares = []
    for seed in range(10):
        X_clean, y = _clean_problem(seed, n_samples, n_features, n_outputs)
        gum = GUMRegressor().fit(X_clean, y)
        shares.append((~gum.inlier_mask_).mean())
        if not gum.has_outliers_:
            ols = LinearRegression().fit(X_clean, y)
            assert_allclose(gum.predict(X_clean), ols.predict(X_clean), rtol=1e-10)
            assert_array_equal(gum.outlier_proba_, 0.0)
    # the decision keeps an outlier component on 1% of clean fits: here at
    # most one of the ten (100 x 1: seed 6, its largest residual 4.31
    # against 4.24, flags 4 rows)
    assert np.median(shares) == 0.0
    assert sum(share > 0 for share in shares) <= 1
    assert max(shares) <= 0.05


@pytest.mark.parametrize("n_outputs", [1, 2])
def test_five_percent_outliers_keep_the_outlier_component(n_outputs):
    for seed in range(10):
        X_c, y, outliers = make_contaminated_regression(
            200, 10, n_targets=n_outputs, contamination=0.05, random_state=seed,
            return_outlier_mask=True,
        )
        gum = GUMRegressor().fit(X_c, y)
        assert gum.has_outliers_
        assert roc_auc_score(outliers, gum.outlier_proba_) > 0.95


def test_output_granularity_decides_per_group():
    X_c, y = _clean_problem(0, 300, 3, 2)
    y[:30, 1] += 20  # only the second output has outliers
    gum = GUMRegressor(outlier_granularity="output").fit(X_c, y)
    assert_array_equal(gum.has_outliers_, [False, True])
    assert_array_equal(gum.outlier_proba_[:, 0], 0.0)
    assert_array_equal(~gum.inlier_mask_[:, 1], np.arange(300) < 30)
    assert gum.inlier_prior_[0] == 1.0


# ------------------------------------------------------------ multi-output


def _landmarks(n_samples=300, seed=0):
    """Three 2-D landmarks, correlated noise; landmark 1 of 20% rows moved."""
    rng = np.random.RandomState(seed)
    features = rng.normal(size=(n_samples, 4))
    coef = rng.normal(size=(4, 6))
    noise = rng.multivariate_normal(np.zeros(6), 0.05 * (np.eye(6) + 0.5), n_samples)
    targets = features @ coef + noise
    moved = rng.rand(n_samples) < 0.2
    targets[moved, 2:4] += rng.uniform(-15, 15, size=(moved.sum(), 2))
    return features, targets, coef, moved


def test_landmark_groups_flag_the_moved_landmark_only():
    features, targets, coef, moved = _landmarks()
    gum = GUMRegressor(outlier_granularity=[[0, 1], [2, 3], [4, 5]]).fit(features, targets)
    assert gum.outlier_proba_.shape == (300, 3)
    assert gum.inlier_prior_.shape == (3,) and gum.uniform_volume_.shape == (3,)
    assert gum.covariance_.shape == (6, 6)
    assert_array_equal(gum.covariance_[:2, 2:], 0.0)  # independent groups
    assert_array_equal(gum.has_outliers_, [False, True, False])
    assert roc_auc_score(moved, gum.outlier_proba_[:, 1]) > 0.99
    assert_array_equal(gum.inlier_mask_[:, [0, 2]], True)
    assert_allclose(gum.estimator_.coef_.shape, (6, 4))
    plain = LinearRegression().fit(features, targets)
    gum_error = np.abs(gum.predict(features) - features @ coef).max(axis=0)
    plain_error = np.abs(plain.predict(features) - features @ coef).max(axis=0)
    assert gum_error.max() < 0.3
    assert plain_error[2:4].min() > 1.0


@pytest.mark.parametrize("covariance_type", ["full", "diag", "spherical"])
def test_covariance_types(covariance_type):
    features, targets, _, moved = _landmarks()
    gum = GUMRegressor(covariance_type=covariance_type).fit(features, targets)
    covariance = gum.covariance_
    if covariance_type != "full":
        assert_array_equal(covariance - np.diag(np.diag(covariance)), 0.0)
    if covariance_type == "spherical":
        assert_allclose(np.diag(covariance), covariance[0, 0])
    assert roc_auc_score(moved, gum.outlier_proba_) > 0.99
    assert gum.predict(features).shape == (300, 6)


class RankOneRegressor(RegressorMixin, BaseEstimator):
    """Weighted reduced-rank (rank 1) linear regression without intercept.

    Its outputs share one latent direction, so the loss on one output moves
    the fit of the others: whitening the targets changes the solution.
    """

    def fit(self, X, y, sample_weight=None):
        weights = np.ones(len(X)) if sample_weight is None else sample_weight
        root = np.sqrt(weights)[:, None]
        coef, *_ = np.linalg.lstsq(X * root, y * root, rcond=None)
        _, _, vt = np.linalg.svd(X * root @ coef, full_matrices=False)
        self.coef_ = coef @ np.outer(vt[0], vt[0])
        return self

    def predict(self, X):
        return X @ self.coef_


def _mahalanobis_loss(prediction, targets, weights, covariance):
    residuals = targets - prediction
    return np.sum(weights * np.einsum("ni,ij,nj->n", residuals, np.linalg.inv(covariance), residuals))


def test_refit_minimises_the_mahalanobis_loss_not_weighted_l2():
    rng = np.random.RandomState(0)
    features = rng.normal(size=(500, 3))
    covariance = np.array([[1.0, 0.95], [0.95, 1.0]])
    # signal along y1 + y2 (where the noise is) and along y1 - y2 (where it
    # is not): plain L2 keeps the first direction, the Mahalanobis loss the second
    coef = np.array([[1.2, 1.2], [1.0, -1.0], [0.0, 0.0]])
    targets = features @ coef + rng.multivariate_normal([0, 0], covariance, 500)
    weights = rng.uniform(0.2, 1.0, size=500)
    refit = WeightedRefit(RankOneRegressor(), features, targets, weights, {}, False)
    factor = whitening_factor(covariance)
    whitened = refit.fit(RankOneRegressor(), weights, factor=factor)
    plain = refit.fit(RankOneRegressor(), weights)
    whitened_loss = _mahalanobis_loss(
        refit.predict(whitened, factor=factor), targets, weights, covariance
    )
    plain_loss = _mahalanobis_loss(refit.predict(plain), targets, weights, covariance)
    assert whitened_loss < 0.5 * plain_loss
    # the closed form: rank-1 truncation of the whitened weighted LS fit
    inv_factor = np.linalg.inv(factor)
    coef = RankOneRegressor().fit(features, targets @ inv_factor.T, weights).coef_
    assert_allclose(refit.predict(whitened, factor=factor), features @ coef @ factor.T)
    # with an output-equivariant model (least squares) both agree
    ls = WeightedRefit(LinearRegression(), features, targets, weights, {}, False)
    assert_allclose(
        ls.predict(ls.fit(LinearRegression(), weights, factor=factor), factor=factor),
        ls.predict(ls.fit(LinearRegression(), weights)),
    )


def test_gum_with_a_coupled_model_uses_whitened_targets():
    features, targets, _, moved = _landmarks()
    gum = GUMRegressor(RankOneRegressor(), outlier_component="always").fit(features, targets)
    factor = np.linalg.cholesky(gum.covariance_)
    assert_allclose(gum.predict(features), gum.estimator_.predict(features) @ factor.T)


# ------------------------------------------------------------ weights


def test_integer_sample_weights_equal_repeated_rows():
    weights = RNG.randint(0, 4, size=200)
    weighted = GUMRegressor().fit(X, Y, sample_weight=weights)
    repeated = GUMRegressor().fit(np.repeat(X, weights, 0), np.repeat(Y, weights))
    # The subset search draws rows, not weights, and the EM's fixed point
    # depends a little on where it starts (the uniform keeps a volume that
    # explains the residuals better than its rule's): the two fits agree to
    # about 1e-6 (up to 3e-6 over 20 draws of the weights)
    first_copy = (np.cumsum(weights) - weights)[weights > 0]
    assert_array_equal(weighted.inlier_mask_[weights > 0],
                       repeated.inlier_mask_[first_copy])
    assert_allclose(weighted.estimator_.coef_, repeated.estimator_.coef_, rtol=1e-5)
    assert_allclose(weighted.inlier_prior_, repeated.inlier_prior_, rtol=1e-5)
    assert_allclose(weighted.covariance_, repeated.covariance_, rtol=1e-4)


def test_weights_that_sum_to_one_keep_the_flags_and_the_inlier_variance():
    # The decision depends on the ratios of the weights; Sigma's degrees of
    # freedom cannot apply to a total weight of one (the old cap at sum w / 2
    # doubled it: 0.0211 against 0.0106), and the user is told so
    plain = GUMRegressor().fit(X, Y)
    with pytest.warns(UserWarning, match=r"sums to 1, less than one observation beyond "
                      r"the regressor.s \d degrees of freedom.*frequency weights"):
        scaled = GUMRegressor().fit(X, Y, sample_weight=np.full(200, 1 / 200))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        GUMRegressor().fit(X, Y, sample_weight=np.full(200, 5 / 200))
    assert_array_equal(scaled.inlier_mask_, plain.inlier_mask_)
    n_inliers = 200 * plain.inlier_prior_
    assert_allclose(scaled.covariance_, plain.covariance_ * (n_inliers - 2) / n_inliers,
                    rtol=0.01)
    assert_allclose(scaled.estimator_.coef_, plain.estimator_.coef_, atol=1e-3)


class UnweightedLinearRegression(RegressorMixin, BaseEstimator):
    """Least squares whose fit takes no sample_weight."""

    def fit(self, X, y):
        self.model_ = LinearRegression().fit(X, y)
        return self

    def predict(self, X):
        return self.model_.predict(X)


def test_estimator_without_sample_weight_refits_on_inliers():
    gum = GUMRegressor(UnweightedLinearRegression()).fit(X, Y)
    assert gum.weighting_ == "hard"
    assert_array_equal(gum.inlier_mask_, ~OUTLIERS)
    inliers_only = LinearRegression().fit(X[~OUTLIERS], Y[~OUTLIERS])
    assert_allclose(gum.estimator_.model_.coef_, inliers_only.coef_)
    with pytest.raises(TypeError, match="KNeighborsRegressor does not accept sample_weight"):
        GUMRegressor(KNeighborsRegressor()).fit(X, Y, sample_weight=np.ones(200))


def test_pipeline_receives_weights_through_its_final_step():
    pipe = make_pipeline(StandardScaler(), Ridge(alpha=1e-6))
    gum = GUMRegressor(pipe).fit(X, Y)
    assert gum.weighting_ == "soft"
    assert_array_equal(gum.inlier_mask_, ~OUTLIERS)
    # from the same (plain) start: init="auto" searches subsets for a bare
    # LinearRegression only
    direct = GUMRegressor(LinearRegression(), init=None).fit(X, Y)
    assert_allclose(gum.predict(X), direct.predict(X), atol=1e-6)


def test_metadata_routing_passes_weights_to_a_requesting_estimator():
    weights = RNG.randint(1, 3, size=200).astype(float)
    with config_context(enable_metadata_routing=True):
        requesting = GUMRegressor(Ridge().set_fit_request(sample_weight=True))
        gum = requesting.fit(X, Y, sample_weight=weights)
        assert gum.weighting_ == "soft"
        assert_array_equal(gum.inlier_mask_, ~OUTLIERS)
        silent = GUMRegressor(Ridge().set_fit_request(sample_weight=False)).fit(X, Y)
        assert silent.weighting_ == "hard"
    expected = GUMRegressor(Ridge()).fit(X, Y, sample_weight=weights)
    assert_allclose(gum.predict(X), expected.predict(X))


# ------------------------------------------------------------ ecosystem


def test_grid_search_over_own_and_nested_parameters():
    search = GridSearchCV(
        GUMRegressor(Ridge()),
        {"threshold": [0.3, 0.5], "estimator__alpha": [0.01, 100.0]},
        cv=3,
        scoring="neg_median_absolute_error",  # the folds hold outliers too
    ).fit(X, Y)
    assert search.best_params_["estimator__alpha"] == 0.01
    assert search.best_estimator_.estimator_.alpha == 0.01


def test_clone_pickle_and_cross_validate():
    gum = GUMRegressor(Ridge(alpha=0.1), threshold=0.3).fit(X, Y)
    restored = pickle.loads(pickle.dumps(gum))
    assert_allclose(restored.predict(X), gum.predict(X))
    assert_array_equal(restored.inlier_mask_, gum.inlier_mask_)
    cloned = clone(gum)
    assert cloned.get_params()["estimator__alpha"] == 0.1
    assert not hasattr(cloned, "estimator_")
    scores = cross_validate(GUMRegressor(), X, Y_CLEAN, cv=4)
    assert scores["test_score"].min() > 0.99


def test_pandas_input_keeps_feature_names():
    pd = pytest.importorskip("pandas")
    frame = pd.DataFrame(X, columns=["a", "b"])
    gum = GUMRegressor().fit(frame, pd.Series(Y))
    assert_array_equal(gum.feature_names_in_, ["a", "b"])
    assert_array_equal(gum.inlier_mask_, ~OUTLIERS)
    with pytest.warns(UserWarning, match="feature names"):
        gum.predict(X)


def test_convergence_warning_at_max_iter():
    with pytest.warns(ConvergenceWarning, match="max_iter=1"):
        gum = GUMRegressor(max_iter=1, tol=0.0).fit(X, Y)
    assert not gum.converged_ and gum.n_iter_ == 1


@pytest.mark.parametrize("uniform", ["range", 50.0])
def test_other_uniform_rules(uniform):
    gum = GUMRegressor(uniform=uniform).fit(X, Y)
    assert_array_equal(gum.inlier_mask_, ~OUTLIERS)
    if uniform == 50.0:
        assert_allclose(gum.uniform_volume_, 50.0)
    else:
        # the box of the last M-step spans its residuals (those before the
        # last refit, which moved them by less than 1e-4)
        assert gum.uniform_volume_ >= np.ptp(Y - gum.predict(X)) * (1 - 1e-4)


# ------------------------------------------------------------ degenerate data


def test_degenerate_data_does_not_crash():
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        exact = GUMRegressor().fit(X, X @ [1.0, 2.0])  # all residuals equal (zero)
        assert_allclose(exact.predict(X), X @ [1.0, 2.0], atol=1e-8)
        assert_array_equal(exact.outlier_proba_, 0.0)
    constant_column = np.column_stack([Y, np.full(200, 3.0)])
    gum = GUMRegressor().fit(X, constant_column)
    assert_allclose(gum.predict(X)[:, 1], 3.0)
    assert_array_equal(gum.inlier_mask_, ~OUTLIERS)
    wide = RNG.normal(size=(10, 30))
    assert GUMRegressor().fit(wide, RNG.normal(size=10)).predict(wide).shape == (10,)
    single = GUMRegressor().fit(X.astype(np.float32), Y.astype(np.float32))
    assert_array_equal(single.inlier_mask_, ~OUTLIERS)


# ------------------------------------------------------------ bad input


@pytest.mark.parametrize(
    "params, match",
    [
        ({"threshold": 1.0}, "'threshold' parameter"),
        ({"threshold": 0.0}, "'threshold' parameter"),
        ({"covariance_type": "tied"}, "'covariance_type' parameter"),
        ({"uniform": -1.0}, "'uniform' parameter"),
        ({"max_iter": 0}, "'max_iter' parameter"),
        ({"init": "random"}, "'init' parameter"),
        ({"outlier_granularity": [[0], [0, 1]]},
         r"outlier_granularity must not overlap: column\(s\) \[0\]"),
        ({"outlier_granularity": [[0]]},
         r"outlier_granularity leaves target column\(s\) \[1\] out"),
    ],
)
def test_invalid_parameters_name_themselves(params, match):
    with pytest.raises(ValueError, match=match):
        GUMRegressor(**params).fit(X, np.column_stack([Y, Y]))


@pytest.mark.parametrize(
    "X_bad, y_bad, kwargs, match",
    [
        (np.where(np.eye(200, 2), np.nan, X), Y, {}, "Input X contains NaN"),
        (X, np.where(np.arange(200) == 3, np.inf, Y), {}, "Input y contains infinity"),
        (X, Y[:-1], {}, "inconsistent numbers of samples"),
        (X, Y, {"sample_weight": -np.ones(200)}, "Negative values in data passed to `sample_weight`"),
        (X, Y, {"sample_weight": np.ones(199)}, r"sample_weight.shape == \(199,\)"),
        (X, Y, {"sample_weight": np.zeros(200)}, "Sample weights must contain at least one non-zero"),
        (X[:, 0], Y, {}, "Reshape your data"),
    ],
)
def test_bad_input_gets_a_clear_error(X_bad, y_bad, kwargs, match):
    with pytest.raises(ValueError, match=match):
        GUMRegressor().fit(X_bad, y_bad, **kwargs)


def test_outlier_proba_checks_the_number_of_outputs():
    gum = GUMRegressor().fit(X, Y)
    with pytest.raises(ValueError, match=r"y has 2 output\(s\); the model was fitted on 1"):
        gum.outlier_proba(X, np.column_stack([Y, Y]))
    # A 1-column y would broadcast against 2 outputs: it must be refused.
    two = GUMRegressor().fit(X, np.column_stack([Y, -Y]))
    with pytest.raises(ValueError, match=r"y has 1 output\(s\); the model was fitted on 2"):
        two.outlier_proba(X, Y)


def test_gum_as_a_pipeline_step_takes_routed_sample_weights():
    weights = RNG.randint(1, 3, size=200).astype(float)
    pipe = make_pipeline(StandardScaler(), GUMRegressor())
    pipe.fit(X, Y, gumregressor__sample_weight=weights)
    gum = pipe[-1]
    assert_array_equal(gum.inlier_mask_, ~OUTLIERS)
    direct = GUMRegressor().fit(StandardScaler().fit_transform(X), Y, sample_weight=weights)
    assert_allclose(gum.inlier_prior_, direct.inlier_prior_)


def test_inner_column_transformer_receives_the_dataframe_untouched():
    pd = pytest.importorskip("pandas")
    from sklearn.compose import make_column_transformer

    frame = pd.DataFrame({"a": X[:, 0], "b": X[:, 1], "city": np.where(OUTLIERS, "x", "y")})
    inner = make_pipeline(
        make_column_transformer((StandardScaler(), ["a", "b"]), remainder="drop"),
        LinearRegression(),
    )
    gum = GUMRegressor(inner).fit(frame, Y)
    assert gum.weighting_ == "soft"
    assert_array_equal(gum.feature_names_in_, ["a", "b", "city"])
    assert_array_equal(gum.inlier_mask_, ~OUTLIERS)
    assert_allclose(gum.predict(frame[:5]), Y_CLEAN[:5], atol=0.3)


class RecordingRegressor(LinearRegression):
    """Least squares that records the extra fit metadata it receives."""

    def fit(self, X, y, sample_weight=None, tag=None):
        self.tag_ = tag
        return super().fit(X, y, sample_weight=sample_weight)


def test_metadata_routing_passes_other_fit_params():
    tags = np.arange(200)
    with config_context(enable_metadata_routing=True):
        inner = RecordingRegressor().set_fit_request(sample_weight=True, tag=True)
        gum = GUMRegressor(inner).fit(X, Y, tag=tags)
        assert_array_equal(gum.estimator_.tag_, tags)
        with pytest.raises(TypeError, match="unexpected"):
            GUMRegressor().fit(X, Y, tag=tags)
    assert_array_equal(GUMRegressor(RecordingRegressor()).fit(X, Y, tag=tags).estimator_.tag_, tags)


@pytest.mark.parametrize("contamination", [0.2, 0.3])
def test_one_sided_shifts_are_detected_from_a_dragged_start(contamination):
    """The plain start is dragged by the shifted rows, so its inliers sit off
    zero; the decision lets the Gaussian's centre move, as a refit would."""
    X_s, y_s, outliers = make_contaminated_regression(
        500, 5, contamination=contamination, kind="shift", random_state=0,
        return_outlier_mask=True,
    )
    gum = GUMRegressor().fit(X_s, y_s)
    assert gum.has_outliers_
    assert (~gum.inlier_mask_)[outliers].all()
    assert (~gum.inlier_mask_)[~outliers].mean() < 0.02
