"""scikit-learn's estimator checks, with no check skipped.

Three inner estimators: the default (least squares), a penalised linear
model and a tree, a non-linear model that takes sample weights. Each is
small and single-threaded so that the 180 checks take seconds: an OpenMP
model (HistGradientBoostingRegressor) took minutes on a 2-core machine.
"""

from sklearn.linear_model import Ridge
from sklearn.tree import DecisionTreeRegressor
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_gum import GUMRegressor

ESTIMATORS = [
    GUMRegressor(),
    GUMRegressor(Ridge()),
    GUMRegressor(DecisionTreeRegressor(max_depth=3, random_state=0)),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
