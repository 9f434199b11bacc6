"""scikit-learn's estimator checks, with no check skipped."""

from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_gum import GUMRegressor

ESTIMATORS = [
    GUMRegressor(),
    GUMRegressor(Ridge()),
    GUMRegressor(HistGradientBoostingRegressor(max_iter=20)),
]


@parametrize_with_checks(ESTIMATORS)
def test_sklearn_compatible_estimator(estimator, check):
    check(estimator)
