"""
====================================================
Robust line fits on classic data with known outliers
====================================================

Three small data sets of the robust-regression literature, shipped with
:mod:`sklearn_gum.datasets`, whose outliers are known: the stars of the
cluster CYG OB1, the Hawkins-Bradu-Kass data and the modified wood gravity
data. All three contain *bad leverage points*: samples far away in the
feature space **and** off the regression of the bulk. Least squares is pulled
towards them, so much that their residuals look normal (masking). A
:class:`~sklearn_gum.GUMRegressor` started from random minimal subsets
(``init="subsets"``, as in FAST-LTS) escapes the pull; the mixture then
tells which samples are outliers and with what probability.
"""

# %%
# The stars of CYG OB1: a line through a bent cloud
# -------------------------------------------------
# The feature is the log surface temperature of 47 stars, the target the log
# of their light intensity. The four giants (rows 10, 19, 29 and 33) are
# cool and very bright: far from the main sequence, they tilt the
# least-squares line the wrong way.
import matplotlib.pyplot as plt
import numpy as np
from sklearn.linear_model import LinearRegression

from sklearn_gum import GUMRegressor
from sklearn_gum.datasets import load_hbk, load_stars_cyg, load_wood
from sklearn_gum.plotting import ConvergenceDisplay, OutlierDisplay

stars = load_stars_cyg()
X, y = stars.data, stars.target
ols = LinearRegression().fit(X, y)

# %%
# ``init="subsets"`` starts EM from the best of many fits on random minimal
# subsets, which lie in the bulk of the stars. Whether the data contain
# outliers at all is decided on the residuals of that start:
# ``outlier_evidence_`` is the criterion (positive values favour the
# mixture, see :ref:`user_guide`) and ``has_outliers_`` the decision.
gum = GUMRegressor(init="subsets", random_state=0).fit(X, y)

print(f"has_outliers_={gum.has_outliers_}, "
      f"outlier_evidence_={gum.outlier_evidence_:.1f}")
print(f"OLS slope {ols.coef_[0]:+.3f}, GUM slope {gum.estimator_.coef_[0]:+.3f}")
print("flagged rows:", np.flatnonzero(~gum.inlier_mask_))
print("known giants:", np.flatnonzero(stars.outlier_mask))

# %%
# Rows 6 and 8, also flagged, are the two stars that the literature often
# lists next to the giants. The points are coloured by ``outlier_proba_``.
grid = np.linspace(X.min() - 0.1, X.max() + 0.1, 2).reshape(-1, 1)
fig, ax = plt.subplots(figsize=(6, 4.5))
points = ax.scatter(X[:, 0], y, c=gum.outlier_proba_, cmap="coolwarm",
                    vmin=0, vmax=1, edgecolor="k")
ax.plot(grid, ols.predict(grid), "--", color="grey", label="least squares")
ax.plot(grid, gum.predict(grid), color="tab:green", label="GUM")
ax.invert_xaxis()  # hot stars on the left, as in a Hertzsprung-Russell plot
ax.set(xlabel="log surface temperature", ylabel="log light intensity")
fig.colorbar(points, ax=ax, label="outlier probability")
ax.legend()

# %%
# :class:`~sklearn_gum.plotting.OutlierDisplay` shows the residuals of the
# fit against the predictions, and their histogram under the two components
# of the fitted mixture: the weighted Gaussian of the inliers and the flat
# density of the uniform.
OutlierDisplay.from_estimator(gum, X, y)

# %%
# Hawkins-Bradu-Kass: starting from the bulk matters
# --------------------------------------------------
# 75 samples, three features. Rows 0-9 are bad leverage points, rows 10-13
# good leverage points (far in the features but on the hyperplane). The ten
# bad points drag least squares so far that their residuals look ordinary
# (masking): started from the plain fit, GUM finds none of them. Started
# from minimal subsets, it flags exactly the ten.
hbk = load_hbk()
plain = GUMRegressor().fit(hbk.data, hbk.target)
subsets = GUMRegressor(init="subsets", random_state=0).fit(hbk.data, hbk.target)
print("plain start flags:  ", np.flatnonzero(~plain.inlier_mask_))
print("subset start flags: ", np.flatnonzero(~subsets.inlier_mask_))
print("known outliers:     ", np.flatnonzero(hbk.outlier_mask))
print(f"outlier_evidence_: plain start {plain.outlier_evidence_:.1f}, "
      f"subset start {subsets.outlier_evidence_:.1f}")
print(f"inlier_prior_ = {subsets.inlier_prior_:.3f}")
print("coefficients, plain start:  ", np.round(plain.estimator_.coef_, 3))
print("coefficients, subset start: ", np.round(subsets.estimator_.coef_, 3))

# %%
OutlierDisplay.from_estimator(subsets, hbk.data, hbk.target)

# %%
# :class:`~sklearn_gum.plotting.ConvergenceDisplay` draws the EM history:
# the mean log-likelihood and the share of inliers per iteration.
ConvergenceDisplay.from_estimator(subsets)

# %%
# Wood gravity: outliers that least squares hides
# -----------------------------------------------
# Twenty samples, five features, four planted outliers (rows 3, 5, 7, 18)
# that form a tight group in the feature space: the largest least-squares
# residuals are elsewhere. With six parameters to fit from twenty samples,
# several subset starts (``n_init=5``, the most likely EM run is kept) make
# the fit more reliable.
wood = load_wood()
wood_gum = GUMRegressor(init="subsets", n_init=5, random_state=0)
wood_gum.fit(wood.data, wood.target)
wood_ols = LinearRegression().fit(wood.data, wood.target)
ols_residuals = wood.target - wood_ols.predict(wood.data)
print("flagged rows:", np.flatnonzero(~wood_gum.inlier_mask_))
print("known rows:  ", np.flatnonzero(wood.outlier_mask))
print("largest |OLS residuals| at rows:", np.argsort(-np.abs(ols_residuals))[:4])

# %%
OutlierDisplay.from_estimator(wood_gum, wood.data, wood.target)
plt.show()
