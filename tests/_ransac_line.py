"""scikit-learn test_ransac.py's line with faulty data, for the ported tests
and the redundant-output tests: 400 rows of ``y = 0.2 x + 20``, 200 draws
(160 distinct rows) shifted by 50-60 in both x and y."""

import numpy as np


def ransac_line():
    """``(X, y, outliers)``: X of shape (400, 1), y of shape (400,), and the
    sorted indices of the shifted rows."""
    X = np.arange(-200, 200)
    y = 0.2 * X + 20
    data = np.column_stack([X, y])
    rng = np.random.RandomState(1000)
    outliers = np.unique(rng.randint(len(X), size=200))
    data[outliers, :] += 50 + rng.rand(len(outliers), 2) * 10
    return data[:, 0][:, np.newaxis], data[:, 1], outliers
