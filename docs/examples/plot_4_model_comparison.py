"""
==================================================
Comparing robust regressors: the five-run protocol
==================================================

One fit and one mean error prove little: the error depends on the random
start, the split and a few extreme samples. :func:`~sklearn_gum.model_selection.compare_estimators`
implements the protocol used in the DeepGUM paper's comparisons:

1. fit every estimator ``n_runs=5`` times, each run with its own seed (every
   ``random_state`` parameter, nested ones included, is set to it);
2. in each run evaluate all estimators on the *same* test rows, so that their
   per-sample errors are paired;
3. pool the errors of the runs and compare every pair of estimators with the
   Wilcoxon signed-rank test on the paired errors, with a Holm correction
   for the number of pairs; report the Hodges-Lehmann estimate of the shift
   between two estimators' errors, with its confidence interval;
4. report each estimator's median error with a distribution-free
   (order-statistic) confidence interval.

Testing per-sample errors matters: with five paired *run means* the smallest
two-sided exact Wilcoxon p-value is ``1/16 = 0.0625``, so five runs alone can
never show a significant difference.
"""

# %%
# Bad leverage points
# -------------------
# 400 training samples with five features, of which 25% are bad leverage
# points: moved far away in the feature space and off the hyperplane. The
# test set is clean data of the same model, so the errors measure how well
# each method recovered the model of the inliers.
import matplotlib.pyplot as plt
from sklearn.linear_model import HuberRegressor, LinearRegression, RANSACRegressor

from sklearn_gum import GUMRegressor
from sklearn_gum.datasets import make_contaminated_regression
from sklearn_gum.model_selection import compare_estimators


def contaminated_problem(kind):
    """Contaminated training half and clean test half of one problem."""
    X, y = make_contaminated_regression(
        n_samples=800, n_features=5, contamination=0.25, kind=kind, random_state=0
    )
    # Same seed, no contamination: the clean version of the same samples.
    X_clean, y_clean = make_contaminated_regression(
        n_samples=800, n_features=5, contamination=0.0, random_state=0
    )
    return X[:400], y[:400], X_clean[400:], y_clean[400:]


estimators = {
    "GUM": GUMRegressor(init="subsets"),
    "OLS": LinearRegression(),
    "Huber": HuberRegressor(),
    "RANSAC": RANSACRegressor(),
}

X_train, y_train, X_test, y_test = contaminated_problem("leverage")
result = compare_estimators(
    estimators, X_train, y_train, test_data=(X_test, y_test),
    n_runs=5, error="absolute", random_state=0,
)

# %%
# The result prints as two tables: the median absolute error of each
# estimator with its 95% interval (and the mean and standard deviation of the
# run means), then the pairwise tests: the Hodges-Lehmann shift of ``a``'s
# errors minus ``b``'s with its interval, the rank-biserial effect size
# ``r`` in ``[-1, 1]``, and the raw and Holm-adjusted p-values.
print(result)

# %%
# Huber's loss bounds the influence of large residuals but not of leverage,
# and RANSAC's default residual threshold (the MAD of the targets) is too
# loose here; GUM started from minimal subsets finds the inliers' model.
# ``plot`` draws the median errors and their intervals, and returns a
# :class:`~sklearn_gum.model_selection.ComparisonDisplay`.
display = result.plot()
display.ax_.set_title("bad leverage points, 5 runs")

# %%
# The tables are also available as data frames, and every pairwise test as a
# :class:`~sklearn_gum.model_selection.WilcoxonResult`.
print(result.to_frame())
test = result.pairwise[("GUM", "Huber")]
print(f"\nGUM vs Huber: shift {test.estimate:.3f} "
      f"[{test.low:.3f}, {test.high:.3f}], p = {test.pvalue:.2g}, {test.method}")

# %%
# Vertical outliers
# -----------------
# When the outliers are only shifted targets (``kind="shift"``), the
# features of every sample are clean and RANSAC does as well as GUM or
# slightly better: the test says by how much, and whether it is more than
# chance. A protocol that can declare a competitor the winner is the point
# of running one.
X_train, y_train, X_test, y_test = contaminated_problem("shift")
shift_result = compare_estimators(
    estimators, X_train, y_train, test_data=(X_test, y_test),
    n_runs=5, random_state=0,
)
print(shift_result)

fig, ax = plt.subplots()
shift_result.plot(ax=ax, color="tab:orange")
ax.set_title("shifted targets, 5 runs")
plt.show()
