"""Warm EM (one training run in stages) and the settling rule of refits that
are not exact maximisers (sklearn_gum._warm_em)."""

import re
import warnings
from types import SimpleNamespace

import numpy as np
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from sklearn.base import clone
from sklearn.datasets import make_friedman1
from sklearn.ensemble import HistGradientBoostingRegressor, RandomForestRegressor
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import Ridge, SGDRegressor
from sklearn.neural_network import MLPRegressor
from sklearn.utils.validation import has_fit_parameter
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.svm import SVR
from sklearn.tree import DecisionTreeRegressor

from sklearn_gum import GUMRegressor, _em, _regressor_em, _warm_em
from sklearn_gum.datasets import contaminate_targets

# A smooth function of three features with 10% gross outliers at known rows.
RNG = np.random.RandomState(0)
X = RNG.uniform(-1, 1, size=(400, 3))
Y_CLEAN = np.sin(3 * X[:, 0]) + X[:, 1] ** 2 + 0.1 * RNG.normal(size=400)
OUTLIERS = np.zeros(400, dtype=bool)
OUTLIERS[RNG.choice(400, 40, replace=False)] = True
Y = Y_CLEAN + OUTLIERS * RNG.choice([-1, 1], 400) * RNG.uniform(4, 8, 400)


@pytest.fixture
def fit_calls(monkeypatch):
    """Every ``fit`` of the listed classes: ``(class, warm_start, weighted)``."""
    calls = []

    def count(*classes):
        for cls in classes:
            original = cls.fit

            def fit(self, X, y, sample_weight=None, _original=original, **params):
                calls.append((type(self).__name__, getattr(self, "warm_start", None),
                              sample_weight is not None))
                return _original(self, X, y, sample_weight=sample_weight, **params)

            monkeypatch.setattr(cls, "fit", fit)
        return calls

    return count


def hgb(**params):
    return HistGradientBoostingRegressor(max_iter=30, random_state=0, **params)


def test_warm_boosting_is_one_training_run_in_stages(fit_calls):
    calls = fit_calls(HistGradientBoostingRegressor)
    gum = GUMRegressor(hgb()).fit(X, Y)
    # the first stage of a run (unweighted), whose residuals keep the
    # uniform: no plain fit; then 10 stages of one warm run from scratch
    assert calls[0] == ("StagedBoosting", True, False)
    assert calls[1:] == [("StagedBoosting", True, True)] * 10
    assert gum.n_iter_ == 10 and gum.converged_
    # every outlier flagged, one false alarm (of 360 inliers)
    assert not gum.inlier_mask_[OUTLIERS].any()
    assert_array_equal(np.flatnonzero(~gum.inlier_mask_ & ~OUTLIERS), [354])
    # the user's class and parameters; all 30 iterations of the one run
    model = gum.estimator_
    assert type(model) is HistGradientBoostingRegressor
    assert model.get_params() == hgb().get_params() and model.n_iter_ == 30
    assert not hasattr(model, "_stage_raw")
    # its predictions are those of its trees on the raw features, as the
    # E-steps saw them
    assert np.sqrt(np.mean((gum.predict(X) - Y_CLEAN)[~OUTLIERS] ** 2)) < 0.2


def test_stage_sizes_per_family():
    refit = SimpleNamespace(estimator=hgb(), weight_key="sample_weight",
                            targets=np.zeros((5, 1)))
    refit.blank = lambda: clone(refit.estimator)
    family = _warm_em.warm_family(refit)
    model, sizes = _warm_em._warm_model(refit, family, None, budget=4)
    assert sizes == [8, 15, 22, 30]  # cumulative max_iter
    assert model.get_params()["early_stopping"] is False
    mlp = MLPRegressor(max_iter=50)
    start = SimpleNamespace(n_iter_=17)  # not an MLP: the estimator's max_iter
    refit.estimator = mlp
    _, sizes = _warm_em._warm_model(refit, _warm_em.warm_family(refit), start, 4)
    assert sizes == [12, 13, 13, 12]  # epochs per stage, 50 in all
    fitted = clone(mlp)
    fitted.n_iter_ = 17  # the plain fit's epochs
    _, sizes = _warm_em._warm_model(refit, _warm_em.warm_family(refit), fitted, 4)
    assert sum(sizes) == 17 and len(sizes) == 4


def test_forest_and_pipeline_are_warm(fit_calls):
    calls = fit_calls(RandomForestRegressor)
    forest = RandomForestRegressor(n_estimators=20, min_samples_leaf=3, random_state=0)
    gum = GUMRegressor(make_pipeline(StandardScaler(), forest), max_iter=4).fit(X, Y)
    assert [warm for _, warm, _ in calls] == [False] + [True] * 4
    forest_ = gum.estimator_[-1]
    assert len(forest_.estimators_) == 20 and forest_.warm_start is False
    assert np.mean(gum.inlier_mask_ == ~OUTLIERS) > 0.97


def test_several_outputs_and_no_weights_are_refitted_from_scratch():
    refit = SimpleNamespace(estimator=hgb(), weight_key=None, targets=np.zeros((5, 1)))
    assert _warm_em.warm_family(refit) is None
    refit.weight_key, refit.targets = "sample_weight", np.zeros((5, 2))
    assert _warm_em.warm_family(refit) is None


@pytest.mark.parametrize("estimator, boosting", [
    (hgb(), True), (RandomForestRegressor(n_estimators=10, random_state=0), False),
    (DecisionTreeRegressor(max_depth=4, random_state=0), False),
    (make_pipeline(StandardScaler(), hgb()), True),
], ids=["hgb", "forest", "tree", "pipeline"])
def test_clean_data_costs_one_fit(estimator, boosting, fit_calls):
    """Mutant: boosting decides on its first stage alone (its plain fit
    never fitted, never deciding)."""
    calls = fit_calls(HistGradientBoostingRegressor, RandomForestRegressor,
                      DecisionTreeRegressor)
    gum = GUMRegressor(estimator).fit(X, Y_CLEAN)
    assert not gum.has_outliers_
    # boosting decides on the first stage of a run first (3 of 30 iterations)
    first = [("StagedBoosting", True, False)] if boosting else []
    assert calls[:-1] == first  # then one plain, unweighted fit
    assert calls[-1][0] != "StagedBoosting" and not calls[-1][1] and not calls[-1][2]
    plain = clone(estimator).fit(X, Y_CLEAN)
    assert_allclose(gum.predict(X), plain.predict(X))


def test_a_flexible_fit_keeps_no_uniform_for_most_of_its_rows():
    """Mutant: the majority rule of flexible regressors left out.

    A clean linear target whose noise (sd 0.05) is narrower than SVR's
    epsilon-insensitive tube (0.1): the training residuals spread evenly
    within the tube, which a uniform of 98% of the rows explains around a
    Gaussian of 2% (evidence +0.27 per row). Least squares keeps such a
    decision; a flexible regressor does not.
    """
    rs = np.random.RandomState(0)
    X_lin = rs.normal(size=(200, 3))
    y = X_lin @ [1.0, -2.0, 0.5] + rs.normal(scale=0.05, size=200)
    gum = GUMRegressor(SVR(C=10.0)).fit(X_lin, y)
    assert not gum.has_outliers_[0] and gum.outlier_evidence_ > 0.2 * 200
    assert_allclose(gum.predict(X_lin), SVR(C=10.0).fit(X_lin, y).predict(X_lin))
    with warnings.catch_warnings():  # the EM of a 2% Gaussian, not settled
        warnings.simplefilter("ignore", ConvergenceWarning)
        forced = GUMRegressor(SVR(C=10.0), outlier_component="always").fit(X_lin, y)
    assert forced.has_outliers_[0] and forced.inlier_prior_ < 0.5


def test_boosting_decides_on_its_first_stage():
    """Mutant: the decision on the plain fit alone.

    40% Gaussian-shaped outliers: the plain fit takes them in and keeps
    nothing (test RMSE 0.85-0.94 on these seeds); the first stage of the
    run has not fitted them yet and keeps them.
    """
    rs = np.random.RandomState(0)
    mask = rs.uniform(size=400) < 0.4
    y = Y_CLEAN + mask * rs.normal(scale=5 * Y_CLEAN.std(), size=400)
    with warnings.catch_warnings():  # a run of 10 stages that did not settle
        warnings.simplefilter("ignore", ConvergenceWarning)
        gum = GUMRegressor(hgb()).fit(X, y)
    assert gum.has_outliers_[0]
    assert np.mean(~gum.inlier_mask_[mask]) > 0.8
    assert np.mean(~gum.inlier_mask_[~mask]) < 0.01
    assert np.sqrt(np.mean((gum.predict(X) - Y_CLEAN) ** 2)) < 0.25


def test_the_first_stage_is_a_robust_start():
    """Mutant: the first stage fitted as the run is (squared error, the
    run's learning rate). 40% of labels drawn over twice the targets' range:
    that stage was pulled towards them, NEC refused the uniform and GUM
    returned the plain fit (test RMSE 4.4-5.0 on these seeds)."""
    for seed in (0, 1):
        X_train, y = make_friedman1(600, 5, noise=0.5, random_state=seed)
        y_bad, mask = contaminate_targets(y, kind="g-ugo", contamination=0.4,
                                          random_state=seed)
        X_test, y_test = make_friedman1(1000, 5, noise=0.0, random_state=50 + seed)
        with warnings.catch_warnings():  # a run of 10 stages that did not settle
            warnings.simplefilter("ignore", ConvergenceWarning)
            gum = GUMRegressor(HistGradientBoostingRegressor(max_iter=50, random_state=0))
            gum.fit(X_train, y_bad)
        assert gum.has_outliers_[0]
        assert np.mean(~gum.inlier_mask_[mask]) > 0.75
        assert np.mean(~gum.inlier_mask_[~mask]) < 0.05
        assert np.sqrt(np.mean((gum.predict(X_test) - y_test) ** 2)) < 1.9


@pytest.mark.parametrize("pipeline", [False, True])
def test_robust_stage_parameters(pipeline):
    booster = HistGradientBoostingRegressor(learning_rate=0.2)
    template = make_pipeline(StandardScaler(), booster) if pipeline else booster
    prefix = "histgradientboostingregressor__" if pipeline else ""
    params = _warm_em._robust_stage(template, [10, 20, 30, 40, 50])
    assert params == {prefix + "loss": "absolute_error",
                      prefix + "learning_rate": pytest.approx(1 - 0.8**5)}
    booster.set_params(loss="absolute_error")
    assert _warm_em._robust_stage(template, [10, 20]) == {}
    huge = HistGradientBoostingRegressor(learning_rate=2.0)  # never above 1
    assert _warm_em._robust_stage(huge, [10, 20])["learning_rate"] == 1.0


def test_the_plain_fit_decides_after_the_first_stage_with_a_margin():
    """Mutant: the plain fit's decision after a first stage that kept
    nothing without a network's margin. Clean friedman1 data: the fully
    trained booster's residuals show +0.021 per row of evidence for a
    uniform, which kept it (test RMSE 1.10 times the plain fit's)."""
    X_clean, y_clean = make_friedman1(1000, 8, noise=1.0, random_state=4)
    gum = GUMRegressor(HistGradientBoostingRegressor(random_state=4)).fit(X_clean, y_clean)
    assert not gum.has_outliers_[0]
    assert 0 < gum.outlier_evidence_ < _em.NETWORK_MIN_EVIDENCE * 1000


def test_a_first_stage_decision_keeps_the_other_starts(fit_calls):
    """Mutant: n_init ignored when boosting decides on its first stage.
    The second start is a plain fit on a random half, then its own run."""
    calls = fit_calls(HistGradientBoostingRegressor)
    GUMRegressor(hgb(), n_init=2, random_state=0).fit(X, Y)
    assert calls.count(("StagedBoosting", True, False)) == 1  # the first stage
    assert calls.count(("StagedBoosting", True, True)) == 20  # two runs
    assert calls.count(("HistGradientBoostingRegressor", False, False)) == 1


def test_refits_stop_when_the_flags_settle():
    tree = DecisionTreeRegressor(max_depth=5, random_state=0)
    # no log-likelihood stop; a budget above the default's 2 refits
    gum = GUMRegressor(tree, tol=0.0, max_iter=10).fit(X, Y)
    changes = gum.history_["flag_changes"]
    assert gum.converged_ and gum.n_iter_ == len(changes) - 1 <= 4
    assert changes[-1] <= _warm_em.FLAG_TOL * len(X)
    assert gum.history_["proba_change"][-1] <= _warm_em.PROBA_TOL
    assert np.mean(gum.inlier_mask_ == ~OUTLIERS) > 0.97


def _state(proba, log_likelihood=-1.0):
    return SimpleNamespace(resp=1 - np.asarray(proba, dtype=float)[:, None],
                           options=_em.EMOptions(), log_likelihood=log_likelihood)


def test_settling_counts_flags_and_mean_moves():
    settling = _warm_em.Settling(_state([0.1] * 999 + [0.9]), exact=False, verbose=0)
    # three flags of 1000 changed: more than 0.2%
    assert not settling.update(_state([0.1] * 996 + [0.9] * 4), False, "refit 1")
    assert settling.changes[-1] == 3
    # one flag changed, but the probabilities moved by 0.0068 on average
    assert not settling.update(_state([0.106] * 995 + [0.9] * 5), False, "refit 2")
    assert settling.moves[-1] == pytest.approx((995 * 0.006 + 0.8) / 1000)
    assert settling.update(_state([0.106] * 995 + [0.9] * 5), False, "refit 3")
    exact = _warm_em.Settling(_state([0.1] * 10), exact=True, verbose=0)
    assert not exact.update(_state([0.1] * 10), False, "refit 1")  # likelihood only


def test_auto_max_iter_per_path():
    options = _em.EMOptions(max_iter="auto")
    for estimator, path, budget in [
        (hgb(), "warm", 10), (DecisionTreeRegressor(), "refit", 2),
        (make_pipeline(StandardScaler(), Ridge()), "exact", 100),
    ]:
        refit = SimpleNamespace(estimator=estimator, weight_key="sample_weight",
                                targets=np.zeros((5, 1)))
        resolved, found = _warm_em.resolve_options(options, refit)
        assert (_warm_em.em_path(refit), found, resolved.max_iter) == (path, budget, 100)
    assert _warm_em.resolve_options(_em.EMOptions(max_iter=7), refit)[1] == 7


def test_warning_says_what_refits_reached():
    tree = DecisionTreeRegressor(max_depth=5, random_state=0)
    with pytest.warns(ConvergenceWarning) as record:
        gum = GUMRegressor(tree, max_iter=1, tol=0.0).fit(X, Y)
    message = str(record[0].message)
    n_changed = int(gum.history_["flag_changes"][-1])
    assert message.startswith(
        f"EM did not converge in max_iter=1 iterations. At the last E-step "
        f"{n_changed} of 400 flags still changed")
    assert n_changed > 0


def test_warning_of_an_unsettled_warm_run(monkeypatch):
    monkeypatch.setattr(_warm_em, "FLAG_TOL", -1.0)  # never settled
    with pytest.warns(ConvergenceWarning, match=re.escape(
            "Warm EM did not settle within its training run of 3 stages "
            "(max_iter=3). At the last E-step")):
        gum = GUMRegressor(hgb(), max_iter=3).fit(X, Y)
    assert not gum.converged_ and gum.n_iter_ == 3


@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_verbose_prints_a_line_per_iteration(capsys):
    GUMRegressor(hgb(), max_iter=3, verbose=1).fit(X, Y)
    lines = capsys.readouterr().out.splitlines()
    pattern = (r"GUM (start|stage \d/3): (\d+) flagged, \d+ flags changed, mean "
               r"log-likelihood -?[\d.]+(e-?\d+)?, \d+\.\d\d s")
    progress = [re.fullmatch(pattern, line) for line in lines[:4]]
    assert all(progress), lines
    assert [match.group(1) for match in progress] == [
        "start", "stage 1/3", "stage 2/3", "stage 3/3"]
    assert abs(int(progress[-1].group(2)) - OUTLIERS.sum()) <= 2
    assert lines[4].startswith("GUM: EM run 1 of 1 done")  # the n_init progress
    assert lines[5].startswith("GUM: kept the run")


# MLPRegressor.fit takes sample_weight from scikit-learn 1.7 on; before, an
# MLP has no weighted fit and so no warm EM
MLP_WEIGHTS = pytest.mark.skipif(
    not has_fit_parameter(MLPRegressor(), "sample_weight"),
    reason="MLPRegressor.fit takes no sample_weight before scikit-learn 1.7",
)


@pytest.mark.parametrize("estimator", [
    pytest.param(MLPRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.02,
                              max_iter=60, random_state=0), marks=MLP_WEIGHTS),
    SGDRegressor(random_state=0),
], ids=["mlp", "sgd"])
@pytest.mark.filterwarnings("ignore::sklearn.exceptions.ConvergenceWarning")
def test_epoch_families_train_the_plain_fits_epochs(estimator, fit_calls,
                                                     monkeypatch):
    calls = fit_calls(type(estimator))
    epochs = []
    original = type(estimator).partial_fit

    def partial_fit(self, X, y, sample_weight=None):
        epochs.append(sample_weight is not None)
        return original(self, X, y, sample_weight=sample_weight)

    monkeypatch.setattr(type(estimator), "partial_fit", partial_fit)
    sgd = isinstance(estimator, SGDRegressor)
    y = X @ [1.0, -2.0, 0.5] + OUTLIERS * 10.0 if sgd else Y
    gum = GUMRegressor(estimator, max_iter=4).fit(X, y)
    plain = clone(estimator).fit(X, y)
    model = gum.estimator_
    # the plain fit, then one weighted partial fit per epoch of the plain
    # fit: one schedule, one optimiser (the last fit is the plain one above)
    assert len(calls) == 2 and epochs == [True] * plain.n_iter_
    assert model.t_ == plain.t_ == (sgd + plain.n_iter_ * len(X))
    assert model.get_params() == estimator.get_params()
    assert np.mean(gum.inlier_mask_ == ~OUTLIERS) > 0.97


def test_two_stage_refits_record_their_own_e_steps(monkeypatch, capsys):
    # above EM_SAMPLE rows, a run of refits on a sample finishes on all rows
    monkeypatch.setattr(_regressor_em, "EM_SAMPLE", 200)
    tree = DecisionTreeRegressor(max_depth=5, random_state=0)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        gum = GUMRegressor(tree, verbose=1).fit(X, Y)
    history = gum.history_
    lines = capsys.readouterr().out.splitlines()
    starts = [k for k, line in enumerate(lines) if line.startswith("GUM start")]
    assert len(starts) == 2  # the sample's run, then the full data
    n_full = sum(line.startswith("GUM refit") for line in lines[starts[1]:])
    n_sampled = len(history["log_likelihood"]) - 1 - n_full
    assert n_sampled > 0 and n_full > 0
    assert len(history["flag_changes"]) == len(history["log_likelihood"])
    # the sample's E-steps are not this run's: NaN; the full-data start: 0
    assert np.isnan(history["flag_changes"][:n_sampled]).all()
    assert history["flag_changes"][n_sampled] == 0
    assert not np.isnan(history["flag_changes"][n_sampled + 1:]).any()
    # the sample used up the budget of 2: one more refit, on all rows, and
    # the warning
    assert (n_sampled, n_full, gum.n_iter_, gum.converged_) == (2, 1, 3, False)
    assert gum.estimator_.tree_.n_node_samples[0] == len(X)
    assert [str(w.message)[:40] for w in caught] == [
        "EM did not converge in max_iter=2 iterat"]
    assert np.mean(gum.inlier_mask_ == ~OUTLIERS) >= 0.97  # 388 of 400


def test_staged_boosting_keeps_the_training_predictions(monkeypatch):
    """Each fit adds its trees to the kept training predictions as it grows
    them (a first fit to the array it passes to its loss): after each stage
    they equal predict on the raw features, and no tree is passed over the
    rows."""
    from sklearn_gum import _warm_hgb

    passed = []
    original = HistGradientBoostingRegressor._predict_iterations

    def count(self, X, predictors, *args, **kwargs):
        if X is getattr(self, "_stage_binned", None):  # the training rows
            passed.append(len(predictors))
        return original(self, X, predictors, *args, **kwargs)

    monkeypatch.setattr(HistGradientBoostingRegressor, "_predict_iterations", count)
    model = _warm_hgb.staged(hgb(warm_start=True, early_stopping=False))
    weights = np.linspace(0.1, 1.0, len(Y))
    for size in (10, 20, 30):
        model.set_params(max_iter=size)
        model.fit(X, Y, sample_weight=weights if size == 20 else None)
        assert_array_equal(model.training_prediction(),
                           HistGradientBoostingRegressor.predict(model, X))
    assert sum(passed) == 0
    assert model.n_iter_ == 30


def test_a_watched_loss_can_be_copied():
    """Mutant: the watched loss looks for ``loss`` on itself before it has
    one (a copy under construction): endless recursion."""
    import copy

    from sklearn_gum import _warm_hgb

    watched = _warm_hgb._Watched(hgb()._get_loss(sample_weight=None))
    watched.raw = np.arange(3.0)
    copied = copy.deepcopy(watched)
    assert_array_equal(copied.raw, watched.raw)
    assert copied.constant_hessian == watched.loss.constant_hessian


def test_a_run_started_again_after_its_first_stage_bins_once(monkeypatch, rows_seen):
    """Mutant: the restarted run bins the training rows again (the same
    bins: the predictions are those of a run that bins its own)."""
    from sklearn_gum import _warm_hgb

    binned = rows_seen(HistGradientBoostingRegressor, "_bin_data")
    shared = GUMRegressor(hgb()).fit(X, Y)
    assert shared.has_outliers_[0] and binned == [len(X)]
    monkeypatch.setattr(_warm_hgb, "share_bins", lambda source, target: None)
    own = GUMRegressor(hgb()).fit(X, Y)
    assert binned == [len(X)] * 3
    assert_array_equal(shared.predict(X), own.predict(X))
