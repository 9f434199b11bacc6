"""Predictions of the training rows of support vector regressors from the
kernel matrix (sklearn_gum._kernel_predict)."""

import numpy as np
import pytest
from numpy.testing import assert_allclose
from scipy import sparse
from sklearn.svm import SVR, NuSVR

from sklearn_gum import GUMRegressor, _kernel_predict
from sklearn_gum._kernel_predict import dual_prediction

RNG = np.random.RandomState(0)
X = RNG.normal(size=(300, 4))
Y = np.sin(X[:, 0]) + 0.1 * RNG.normal(size=300)
Y[:30] += 8.0  # 10% gross outliers


@pytest.mark.parametrize("estimator", [
    SVR(C=10.0), SVR(kernel="linear"), SVR(kernel="poly", degree=2, coef0=1.0),
    SVR(kernel="sigmoid", gamma=0.01, coef0=0.5), NuSVR(gamma=0.3),
], ids=["rbf", "linear", "poly", "sigmoid", "nu"])
def test_equal_to_predict(estimator, monkeypatch):
    estimator.fit(X, Y, sample_weight=RNG.uniform(0.1, 1.0, 300))
    monkeypatch.setattr(_kernel_predict, "BLOCK_ELEMENTS", 1000)  # several blocks
    assert_allclose(dual_prediction(estimator, X), estimator.predict(X),
                    rtol=1e-10, atol=1e-10)


def test_other_estimators_and_inputs_are_left_to_predict():
    fitted = SVR().fit(X, Y)
    assert dual_prediction(fitted, X.astype(int)) is None
    assert dual_prediction(SVR(kernel=lambda a, b: a @ b.T).fit(X, Y), X) is None
    assert dual_prediction(SVR().fit(sparse.csr_matrix(X), Y), X) is None

    class Subclass(SVR):
        pass

    assert dual_prediction(Subclass().fit(X, Y), X) is None


def test_the_em_reads_the_kernel_predictions(monkeypatch):
    calls = []
    monkeypatch.setattr(SVR, "predict", lambda self, X: calls.append(len(X)))
    gum = GUMRegressor(SVR(C=10.0)).fit(X, Y)
    assert calls == []  # never libsvm's predict on the training rows
    assert not gum.inlier_mask_[:30].any()
