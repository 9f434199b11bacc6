"""GUMCallback as a skorch callback (settings only, data from fit) and the
EM settings of a network reached through GUMRegressor."""

import warnings

import numpy as np
import pytest
from numpy.testing import assert_array_equal

torch = pytest.importorskip("torch")
skorch = pytest.importorskip("skorch")
from sklearn.base import clone  # noqa: E402
from sklearn.model_selection import GridSearchCV, cross_val_score  # noqa: E402
from skorch import NeuralNetRegressor  # noqa: E402
from skorch.dataset import ValidSplit  # noqa: E402

from sklearn_gum import GUMRegressor  # noqa: E402
from sklearn_gum.nn import GUMCallback, WeightedNeuralNetRegressor  # noqa: E402

pytestmark = pytest.mark.usefixtures("torch_one_thread")

# A line with 10% gross label errors (rows 0..29), as in sklearn's test_ransac.
rng = np.random.RandomState(0)
X = rng.uniform(-1, 1, size=(300, 1)).astype(np.float32)
Y = (2 * X + 0.05 * rng.normal(size=(300, 1))).astype(np.float32)
Y[:30] = rng.uniform(3, 6, size=(30, 1))
OUTLIERS = np.arange(300) < 30


def gum_net(cls=WeightedNeuralNetRegressor, callback=True, **kwargs):
    settings = {"verbose": 0, "lr": 0.1, "max_epochs": 20,
                "optimizer": torch.optim.Adam, **kwargs}
    if callback and "callbacks" not in settings:
        settings["callbacks"] = [("gum", GUMCallback(warmup_epochs=2))]
    return cls(torch.nn.Linear, module__in_features=1, module__out_features=1,
               **settings)


def test_callback_holds_settings_only_and_clones():
    callback = GUMCallback(warmup_epochs=3, min_evidence=0.2)
    net = gum_net(callbacks=[("gum", callback)]).fit(X, Y)
    # Fitted state ends with an underscore; get_params sees the settings only.
    assert set(callback.get_params()) == set(GUMCallback().get_params())
    assert callback.criterion_.warmup_epochs == 3
    assert callback.criterion_.min_evidence == 0.2
    assert callback.X_ is None and callback.targets_ is None  # no data kept
    copy = clone(net)
    cloned = dict(copy.callbacks)["gum"]
    assert cloned is not callback and cloned.get_params() == callback.get_params()
    assert not hasattr(cloned, "criterion_")


def test_callback_flags_the_outliers_of_its_own_fit():
    callback = GUMCallback(warmup_epochs=2)
    gum_net(callbacks=[("gum", callback)]).fit(X, Y)
    assert_array_equal(~callback.criterion_.inlier_mask_, OUTLIERS)
    history = [row["epoch"] for row in
               gum_net(callbacks=[("gum", callback)]).fit(X, Y).history
               if "gum_inlier_prior" in row]
    assert history[0] == 2  # the first decision follows the warm-up


def test_callback_runs_in_cross_val_score():
    # The callback once took the full targets and failed on the folds:
    # "targets has 300 rows but the net is trained on 200".
    scores = cross_val_score(gum_net(), X, Y, cv=3, error_score="raise")
    assert scores.shape == (3,) and np.all(np.isfinite(scores))


def test_callback_settings_are_tuned_by_grid_search():
    grid = GridSearchCV(gum_net(), {"callbacks__gum__warmup_epochs": [1, 3]}, cv=2,
                        error_score="raise").fit(X, Y)
    assert set(grid.cv_results_["param_callbacks__gum__warmup_epochs"]) == {1, 3}
    best = dict(grid.best_estimator_.callbacks_)["gum"]
    assert best.criterion_.warmup_epochs == grid.best_params_[
        "callbacks__gum__warmup_epochs"]


def test_callback_uses_the_sample_weights_of_fit():
    callback = GUMCallback(warmup_epochs=2)
    weights = np.ones(300)
    weights[:30] = 0  # the outliers weigh nothing in the mixture
    gum_net(callbacks=[("gum", callback)]).fit(X, Y, sample_weight=weights)
    assert_array_equal(callback.criterion_.sample_weight, weights)


def test_callback_init_regressor_starts_before_the_first_epoch():
    from sklearn.linear_model import LinearRegression

    callback = GUMCallback(init=LinearRegression())
    net = gum_net(callbacks=[("gum", callback)]).fit(X, Y)
    # An E-step from the start's residuals, then one after every epoch.
    assert net.history[0, "event_gum_estep"]
    assert callback.criterion_.warmup_epochs == 0


# -- GUMRegressor around a plain NeuralNetRegressor --------------------------


def test_gum_regressor_sets_the_warm_em_settings_of_a_plain_net():
    net = gum_net(NeuralNetRegressor, callback=False, train_split=None)
    gum = GUMRegressor(net, random_state=0).set_params(warmup_epochs=4, estep_every=2)
    gum.fit(X, Y)
    steps = [row["epoch"] for row in gum.estimator_.history
             if row.get("event_gum_estep")]
    assert steps[0] == 4 and np.all(np.diff(steps) == 2)
    assert_array_equal(~gum.inlier_mask_, OUTLIERS)


def test_gum_regressor_grid_search_over_a_warm_em_setting():
    net = gum_net(NeuralNetRegressor, callback=False, train_split=None)
    grid = GridSearchCV(GUMRegressor(net, random_state=0),
                        {"warmup_epochs": [1, 2], "min_evidence": ["auto", 0.2]},
                        cv=2, error_score="raise").fit(X, Y)
    assert len(grid.cv_results_["params"]) == 4


def test_plain_net_with_a_split_is_converted_with_a_warning():
    net = gum_net(NeuralNetRegressor, callback=False)  # skorch's ValidSplit(5)
    with pytest.warns(UserWarning, match=r"train_split=None.*ValidSplit\(5\) holds "
                      r"out 20% of the rows"):
        gum = GUMRegressor(net, random_state=0).fit(X, Y)
    assert gum.estimator_.train_split is None
    assert "valid_loss" not in gum.estimator_.history[-1]
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        GUMRegressor(clone(net).set_params(train_split=None), random_state=0).fit(X, Y)


def test_weighted_net_keeps_its_split_without_a_warning():
    net = gum_net(callback=False, train_split=ValidSplit(4))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        gum = GUMRegressor(net, random_state=0).fit(X, Y)
    assert "valid_loss" in gum.estimator_.history[-1]


def test_estimator_prefix_reaches_the_gum_setting_of_a_net():
    net = gum_net(NeuralNetRegressor, callback=False, train_split=None)
    gum = GUMRegressor(net).set_params(estimator__warmup_epochs=2,
                                       estimator__lr=0.05)
    assert gum.warmup_epochs == 2 and gum.estimator.lr == 0.05
    assert "estimator__warmup_epochs" not in gum.get_params()
    grid = GridSearchCV(GUMRegressor(net, random_state=0),
                        {"estimator__warmup_epochs": [1, 3]}, cv=2,
                        error_score="raise").fit(X, Y)
    assert grid.best_estimator_.warmup_epochs in (1, 3)
