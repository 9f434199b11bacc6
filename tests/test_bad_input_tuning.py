"""Tuning and routing the default estimator of GUMRegressor (issue 19).

The default ``estimator=None`` stands for ``LinearRegression()``: its
parameters must be tunable as ``estimator__<name>``, and with metadata
routing on, sample weights that the inner estimator neither requested nor
refused must meet scikit-learn's own error naming the missing request.
"""

import numpy as np
import pytest
import sklearn
from numpy.testing import assert_allclose
from sklearn.base import clone
from sklearn.exceptions import UnsetMetadataPassedError
from sklearn.linear_model import LinearRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_gum import GUMRegressor

RNG = np.random.RandomState(0)
X = RNG.normal(size=(90, 2))
Y = 5.0 + X @ [1.0, 2.0] + RNG.normal(scale=0.1, size=90)
Y[:9] += 10


def test_nested_parameters_of_the_default_estimator_can_be_set():
    gum = GUMRegressor().set_params(estimator__fit_intercept=False)
    assert isinstance(gum.estimator, LinearRegression)
    assert gum.get_params()["estimator__fit_intercept"] is False
    gum.fit(X, Y)
    assert gum.estimator_.intercept_ == 0.0
    # an explicit None with nested parameters means the same default
    assert GUMRegressor(LinearRegression()).set_params(
        estimator=None, estimator__positive=True).estimator.positive is True


def test_the_default_stays_none_for_clone_and_plain_set_params():
    gum = GUMRegressor(max_iter=5)
    assert clone(gum).estimator is None
    assert gum.set_params(max_iter=7).estimator is None


def test_grid_search_tunes_the_default_estimator():
    search = GridSearchCV(GUMRegressor(),
                          {"estimator__fit_intercept": [True, False]}, cv=3)
    search.fit(X, Y)
    assert search.best_params_ == {"estimator__fit_intercept": True}
    scores = search.cv_results_["mean_test_score"]
    assert scores[0] > scores[1] + 0.5
    assert_allclose(search.best_estimator_.estimator_.intercept_, 5.0, atol=0.1)


@pytest.mark.parametrize("estimator", [None, LinearRegression()])
def test_routing_names_the_missing_weight_request(estimator):
    with sklearn.config_context(enable_metadata_routing=True):
        with pytest.raises(UnsetMetadataPassedError,
                           match=r"\[sample_weight\] are passed but are not explicitly "
                           r"set as requested or not requested for "
                           r"(LinearRegression|StandardScaler)\.fit"):
            GUMRegressor(estimator).fit(X, Y, sample_weight=np.ones(90))


def test_routing_says_how_to_undo_a_refused_weight_request():
    with sklearn.config_context(enable_metadata_routing=True):
        refusing = LinearRegression().set_fit_request(sample_weight=False)
        with pytest.raises(TypeError, match=r"set_fit_request\(sample_weight=True\)"):
            GUMRegressor(refusing).fit(X, Y, sample_weight=np.ones(90))


def test_routing_says_a_pipeline_must_request_the_weights():
    pipeline = make_pipeline(StandardScaler(), LinearRegression())
    with sklearn.config_context(enable_metadata_routing=True):
        with pytest.raises(TypeError, match=r"Pipeline was not set to receive "
                           r"sample_weight.*set_fit_request\(sample_weight=True\)"):
            GUMRegressor(pipeline).fit(X, Y, sample_weight=np.ones(90))


def test_routed_weights_reach_the_estimator_once():
    weights = np.arange(90) % 3 + 1.0
    plain = GUMRegressor().fit(X, Y, sample_weight=weights)
    with sklearn.config_context(enable_metadata_routing=True):
        routed = GUMRegressor(LinearRegression().set_fit_request(sample_weight=True))
        routed.fit(X, Y, sample_weight=weights)
    assert_allclose(routed.estimator_.coef_, plain.estimator_.coef_, rtol=1e-10)
    assert_allclose(routed.covariance_, plain.covariance_, rtol=1e-10)
