"""
===================================================
Landmark regression: one outlier decision per point
===================================================

In landmark detection (facial key points, body joints) a regressor predicts
the ``(x, y)`` position of several points per image, and annotation errors
hit single points: one landmark of an image is misplaced while the others
are fine. This is the setting of DeepGUM. Flagging whole samples wastes
every image with one bad point; flagging single coordinates ignores that
``x`` and ``y`` of a point err together.

``outlier_granularity=[[0, 1], [2, 3], ...]`` makes each landmark a *group*
of target columns with its own responsibility per sample, its own inlier
prior ``rho``, its own 2x2 covariance ``Sigma`` and its own uniform volume.
"""

# %%
# Landmark data with local outliers
# ---------------------------------
# Ten target columns: five 2-D landmarks, linear in eight features, with
# noise correlated between the ``x`` and ``y`` of each landmark. Then the
# ``"l-ugo"`` protocol of the DeepGUM paper (local uniformly generated
# outliers) replaces 25% of all landmarks, chosen at random among the
# ``(sample, landmark)`` pairs, by uniform positions in a box twice as wide
# as the data.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LinearRegression

from sklearn_gum import GUMRegressor
from sklearn_gum.datasets import contaminate_targets, make_contaminated_regression
from sklearn_gum.plotting import OutlierDisplay

n_landmarks = 5
groups = [[2 * k, 2 * k + 1] for k in range(n_landmarks)]

X, Y_signal = make_contaminated_regression(
    n_samples=600, n_features=8, n_targets=2 * n_landmarks,
    contamination=0.0, noise=0.0, random_state=0,
)
rng = np.random.RandomState(0)
point_noise = [[0.25, 0.15], [0.15, 0.25]]
noise = rng.multivariate_normal([0, 0], point_noise, size=(600, n_landmarks))
Y_clean = Y_signal + noise.reshape(600, -1)

Y, mask = contaminate_targets(
    Y_clean, kind="l-ugo", contamination=0.25, groups=groups, random_state=0
)
print(f"mask shape {mask.shape}: share of bad landmarks {mask.mean():.2f}")
print(f"samples with at least one bad landmark: {mask.any(axis=1).mean():.0%}")

# %%
# Three granularities
# -------------------
# ``"sample"`` (the default) has one responsibility per image: with four
# images out of five carrying a bad landmark, there is no clean majority of
# samples left to find. ``"output"`` treats every coordinate alone, and the
# landmark groups model the points.
models = {
    "least squares": LinearRegression(),
    "GUM, per sample": GUMRegressor(),
    "GUM, per output": GUMRegressor(outlier_granularity="output"),
    "GUM, per landmark": GUMRegressor(outlier_granularity=groups),
}


def landmark_error(Y_pred):
    """Mean Euclidean distance to the clean landmark positions."""
    return np.linalg.norm((Y_pred - Y_signal).reshape(len(Y), -1, 2), axis=2).mean()


for name, model in models.items():
    model.fit(X, Y)
    print(f"{name:18s} mean landmark error {landmark_error(model.predict(X)):.3f}")

# %%
# Per-landmark outlier probabilities
# ----------------------------------
# With groups, ``outlier_proba_`` and ``inlier_mask_`` have one column per
# landmark, and ``inlier_prior_`` one ``rho`` per landmark: about 0.75, the
# share of clean landmarks.
gum = models["GUM, per landmark"]
print("outlier_proba_ shape:", gum.outlier_proba_.shape)
print("inlier_prior_:", np.round(gum.inlier_prior_, 3))
print("true inlier share per landmark:", np.round(1 - mask.mean(axis=0), 3))

found = ~gum.inlier_mask_
print(f"recall {np.sum(found & mask) / mask.sum():.3f}, "
      f"false alarms {np.sum(found & ~mask)} of {np.sum(~mask)} clean landmarks")

# %%
# The covariance ``covariance_`` is block-diagonal, one 2x2 block per
# landmark; the M-step of the regressor fits targets whitened by it
# (``Sigma^{-1}`` in the loss), and the correlation of the noise is found.
block = gum.covariance_[np.ix_(groups[2], groups[2])]
print("Sigma of landmark 2:\n", np.round(block, 3))

# %%
# The display of a 2-D group
# --------------------------
# For a group of two columns, :class:`~sklearn_gum.plotting.OutlierDisplay`
# draws the ``(x, y)`` residuals of that landmark coloured by its outlier
# probability, and the ellipses ``e^T Sigma^{-1} e = k^2`` of the inlier
# Gaussian for ``k = 1, 2, 3``.
display = OutlierDisplay.from_estimator(gum, X, Y, group=2)
display.ax_.set_title("landmark 2: residuals and inlier ellipses")

# %%
# Zoomed on the Gaussian, the tilt of the ellipses shows the correlation of
# ``x`` and ``y``.
fig, ax = plt.subplots(figsize=(5, 5))
OutlierDisplay.from_estimator(gum, X, Y, group=2, ax=ax, colorbar=False)
ax.set(xlim=(-2.5, 2.5), ylim=(-2.5, 2.5), title="landmark 2, zoomed")
plt.show()
