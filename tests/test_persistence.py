"""Persistence of fitted GUMRegressors.

- skops (secure sharing): a GUMRegressor with a scikit-learn inner estimator
  saves and loads with ``skops.io`` when exactly the sklearn-gum types listed
  in ``TRUSTED_TYPES`` are trusted (scikit-learn's own types are trusted by
  skops by default), and loads identically: predictions, outlier
  probabilities, masks and every fitted attribute. Without the list, loading
  is refused. ``docs/persistence.rst`` documents the same list.
- pickle (trusted environments): round trip, skorch nets included.
- skorch nets: the network parameters saved with ``save_params`` load into a
  freshly built net (``torch.load(weights_only=True)``).
"""

import pickle

import numpy as np
import pytest
from numpy.testing import assert_array_equal
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_gum import GUMRegressor
from sklearn_gum.datasets import contaminate_targets, make_contaminated_regression

sio = pytest.importorskip("skops.io")
from skops.io.exceptions import UntrustedTypesFoundException

# The complete list of types a user must trust to load a GUMRegressor whose
# estimator is a scikit-learn estimator. Keep docs/persistence.rst in sync.
TRUSTED_TYPES = ["sklearn_gum._gum.GUMRegressor"]

# One output: 200 samples, 20% uniform outliers.
X, y = make_contaminated_regression(
    n_samples=200, n_features=3, contamination=0.2, random_state=0
)
# Two 2-D landmarks, 20% of them replaced (per-landmark groups).
X_multi, Y_clean = make_contaminated_regression(
    n_samples=200, n_features=3, n_targets=4, contamination=0.0, random_state=1
)
GROUPS = [[0, 1], [2, 3]]
Y_multi, _ = contaminate_targets(
    Y_clean, kind="l-ugo", contamination=0.2, groups=GROUPS, random_state=1
)

# Attributes compared after a round trip, besides predictions.
ARRAY_ATTRIBUTES = [
    "outlier_proba_",
    "inlier_mask_",
    "inlier_prior_",
    "covariance_",
    "uniform_volume_",
    "has_outliers_",
    "outlier_evidence_",
]
SCALAR_ATTRIBUTES = [
    "weighting_",
    "n_iter_",
    "converged_",
    "log_likelihood_",
    "n_features_in_",
]


def _linear():
    return LinearRegression()


def _scaled_ridge():
    return make_pipeline(StandardScaler(), Ridge(alpha=1.0))


CASES = {
    "linear-1d": (_linear, {}, X, y),
    "pipeline-1d": (_scaled_ridge, {}, X, y),
    "linear-landmarks": (_linear, {"outlier_granularity": GROUPS}, X_multi, Y_multi),
    "pipeline-landmarks": (
        _scaled_ridge, {"outlier_granularity": GROUPS}, X_multi, Y_multi
    ),
}


@pytest.fixture(params=sorted(CASES), scope="module")
def fitted(request):
    make_estimator, params, X_, y_ = CASES[request.param]
    gum = GUMRegressor(make_estimator(), random_state=0, **params).fit(X_, y_)
    return gum, X_, y_


def _assert_same_fit(loaded, gum, X_, y_):
    assert type(loaded) is GUMRegressor
    assert loaded.get_params(deep=False).keys() == gum.get_params(deep=False).keys()
    assert_array_equal(loaded.predict(X_), gum.predict(X_))
    for name in ARRAY_ATTRIBUTES:
        assert_array_equal(getattr(loaded, name), getattr(gum, name), err_msg=name)
    for name in SCALAR_ATTRIBUTES:
        assert getattr(loaded, name) == getattr(gum, name), name
    assert loaded.inlier_mask_.dtype == bool
    for got, expected in zip(loaded.groups_, gum.groups_, strict=True):
        assert_array_equal(got, expected)
    for key in gum.history_:
        assert_array_equal(loaded.history_[key], gum.history_[key])
    # The mixture survives too: outlier probabilities of labelled data are
    # recomputed from the stored parameters.
    assert_array_equal(loaded.outlier_proba(X_, y_), gum.outlier_proba(X_, y_))


def test_skops_untrusted_types_are_exactly_the_documented_list(fitted, tmp_path):
    gum, _, _ = fitted
    path = tmp_path / "gum.skops"
    sio.dump(gum, path)
    untrusted = sio.get_untrusted_types(file=path)
    assert untrusted == sorted(TRUSTED_TYPES), (
        "A fitted GUMRegressor must load with skops by trusting exactly "
        f"{TRUSTED_TYPES} (documented in docs/persistence.rst); the file "
        f"needs {untrusted}. A fitted attribute has a type skops cannot "
        "vouch for: store it as arrays, numbers, strings, lists or dicts, "
        "or update TRUSTED_TYPES and the documentation."
    )


def test_skops_round_trip_with_explicit_trusted_list(fitted, tmp_path):
    gum, X_, y_ = fitted
    path = tmp_path / "gum.skops"
    sio.dump(gum, path)
    loaded = sio.load(path, trusted=TRUSTED_TYPES)
    _assert_same_fit(loaded, gum, X_, y_)


def test_skops_round_trip_in_memory(fitted):
    gum, X_, y_ = fitted
    loaded = sio.loads(sio.dumps(gum), trusted=TRUSTED_TYPES)
    _assert_same_fit(loaded, gum, X_, y_)


@pytest.mark.parametrize("trusted", [None, []])
def test_skops_refuses_to_load_untrusted(trusted, tmp_path):
    gum = GUMRegressor(random_state=0).fit(X, y)
    path = tmp_path / "gum.skops"
    sio.dump(gum, path)
    with pytest.raises(UntrustedTypesFoundException, match="GUMRegressor"):
        sio.load(path, trusted=trusted)


def test_skops_refuses_a_list_without_the_estimator(tmp_path):
    gum = GUMRegressor(random_state=0).fit(X, y)
    path = tmp_path / "gum.skops"
    sio.dump(gum, path)
    with pytest.raises(UntrustedTypesFoundException, match="GUMRegressor"):
        sio.load(path, trusted=["sklearn_gum._mixture.GroupParams"])


def test_skops_unfitted_estimator_round_trip():
    gum = GUMRegressor(_scaled_ridge(), outlier_granularity=GROUPS, uniform=2.5)
    data = sio.dumps(gum)
    assert sio.get_untrusted_types(data=data) == ["sklearn_gum._gum.GUMRegressor"]
    loaded = sio.loads(data, trusted=["sklearn_gum._gum.GUMRegressor"])
    assert repr(loaded) == repr(gum)
    loaded.fit(X_multi, Y_multi)


def test_pickle_round_trip(fitted):
    gum, X_, y_ = fitted
    loaded = pickle.loads(pickle.dumps(gum))
    _assert_same_fit(loaded, gum, X_, y_)


# --------------------------------------------------------------------------
# skorch nets: pickle the whole model, or share the network parameters
# --------------------------------------------------------------------------


@pytest.fixture(scope="module")
def net_gum():
    torch = pytest.importorskip("torch")
    skorch = pytest.importorskip("skorch")
    rng = np.random.RandomState(0)
    X_net = rng.uniform(-1, 1, size=(200, 2)).astype(np.float32)
    y_net = (X_net @ np.array([[2.0], [-1.0]], dtype=np.float32)).astype(np.float32)
    y_net[:20] = rng.uniform(-5, 5, size=(20, 1))

    def make_net():
        return skorch.NeuralNetRegressor(
            torch.nn.Linear, module__in_features=2, module__out_features=1,
            optimizer=torch.optim.Adam, lr=0.1, max_epochs=10, verbose=0,
        )

    torch.manual_seed(0)
    gum = GUMRegressor(make_net(), random_state=0).fit(X_net, y_net)
    return gum, make_net, X_net, y_net


def test_pickle_round_trip_with_skorch_net(net_gum):
    gum, _, X_net, _ = net_gum
    loaded = pickle.loads(pickle.dumps(gum))
    assert_array_equal(loaded.predict(X_net), gum.predict(X_net))
    assert_array_equal(loaded.outlier_proba_, gum.outlier_proba_)
    assert_array_equal(loaded.inlier_mask_, gum.inlier_mask_)


def test_skorch_save_params_load_params(net_gum, tmp_path):
    gum, make_net, X_net, _ = net_gum
    f_params = tmp_path / "net.pt"
    gum.estimator_.save_params(f_params=f_params)
    net = make_net()
    net.initialize()
    net.load_params(f_params=f_params)  # torch.load(weights_only=True)
    assert_array_equal(net.predict(X_net), gum.predict(X_net))
