"""
==================================
Deep robust regression with skorch
==================================

:class:`~sklearn_gum.GUMRegressor` also trains neural networks: give it a
:class:`skorch.NeuralNetRegressor` and the EM runs *inside* training (warm
EM, as in DeepGUM). After a few warm-up epochs, an E-step between epochs
computes the responsibilities of the samples from the net's residuals, and
the next epochs minimise the responsibility-weighted Mahalanobis loss. The
cost is about that of one ordinary training run.

This example fits a small multilayer perceptron, on the CPU, to a noisy
curve of which 30% of the targets were replaced by uniform noise, and
compares three trainings: the mean squared error, skorch with the robust
:class:`~sklearn_gum.nn.HuberLoss` criterion (a MAD-scaled Huber loss, a
baseline of the DeepGUM paper), and GUM.
"""

# %%
# Data: a curve with 30% gross label errors
# -----------------------------------------
import matplotlib.pyplot as plt
import numpy as np
import torch
from skorch import NeuralNetRegressor

from sklearn_gum import GUMRegressor
from sklearn_gum.datasets import contaminate_targets
from sklearn_gum.nn import ScaledHuberLoss

rng = np.random.RandomState(0)
X = rng.uniform(-3, 3, size=(600, 1)).astype(np.float32)


def curve(x):
    return np.sin(x) + 0.3 * x


y_clean = curve(X[:, 0]) + 0.1 * rng.standard_normal(len(X))
y, mask = contaminate_targets(y_clean, kind="l-ugo", contamination=0.3, random_state=0)
y = y.astype(np.float32).reshape(-1, 1)  # skorch wants 2-D float32 targets
print(f"{mask.sum()} of {len(y)} targets replaced by uniform noise")

# %%
# A tiny network
# --------------
# Any torch module works; GUM leaves it unchanged. ``train_split=None``
# trains the two baselines on every row (skorch's default holds out a fifth
# for validation); GUM sets it by itself when it converts the net into a
# :class:`~sklearn_gum.nn.WeightedNeuralNetRegressor`, so that every row is
# both trained on and scored by the E-step.


class MLP(torch.nn.Module):
    def __init__(self, hidden=32):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(1, hidden),
            torch.nn.Tanh(),
            torch.nn.Linear(hidden, hidden),
            torch.nn.Tanh(),
            torch.nn.Linear(hidden, 1),
        )

    def forward(self, X):
        return self.layers(X)


def make_net(criterion=torch.nn.MSELoss):
    return NeuralNetRegressor(
        MLP,
        criterion=criterion,
        optimizer=torch.optim.Adam,
        lr=0.01,
        max_epochs=100,
        batch_size=64,
        train_split=None,
        device="cpu",
        verbose=0,
    )


# %%
# Three trainings
# ---------------
# The seed is set before each fit, so that the three nets start from the same
# weights.
models = {
    "MSE": make_net(),
    "Huber (MAD-scaled)": make_net(ScaledHuberLoss),
    "GUM": GUMRegressor(make_net(), random_state=0),
}
X_grid = np.linspace(-3, 3, 300, dtype=np.float32).reshape(-1, 1)
for name, model in models.items():
    torch.manual_seed(0)
    model.fit(X, y)
    error = np.abs(model.predict(X_grid).ravel() - curve(X_grid[:, 0])).mean()
    print(f"{name:20s} mean absolute error to the true curve: {error:.3f}")

# %%
# GUM's outlier decisions agree with the planted label errors, and its
# inlier prior estimates the share of clean labels. ``converged_`` is False
# when the epochs (``max_epochs``) run out before the log-likelihood settles
# to ``tol``, which is common with stochastic training; no warning is raised
# then.
gum = models["GUM"]
print(f"inlier_prior_ = {gum.inlier_prior_:.3f} (true share {1 - mask.mean():.2f})")
print(f"agreement of inlier_mask_ with the truth: {np.mean(gum.inlier_mask_ == ~mask):.3f}")
print(f"E-steps: {gum.n_iter_ + 1}, refreshing converged: {gum.converged_}")

# %%
# The replaced targets that GUM keeps as inliers are those that the uniform
# draw happened to put on the curve: no method could tell them apart.
missed = mask & gum.inlier_mask_
distance = np.abs(y[missed, 0] - curve(X[missed, 0]))
print(f"outliers kept as inliers: {missed.sum()}, at most {distance.max():.2f} "
      "from the curve (noise standard deviation 0.1)")
print(f"clean targets flagged: {np.sum(~mask & ~gum.inlier_mask_)}")

# %%
# The fits and the outlier probabilities of the training samples.
fig, ax = plt.subplots(figsize=(7, 4.5))
points = ax.scatter(X[:, 0], y[:, 0], c=gum.outlier_proba_, cmap="coolwarm",
                    vmin=0, vmax=1, s=12)
ax.plot(X_grid, curve(X_grid), color="k", lw=2, label="true curve")
for (name, model), style in zip(models.items(), ["--", "-.", "-"]):
    ax.plot(X_grid, model.predict(X_grid), style, lw=2, label=name)
fig.colorbar(points, ax=ax, label="GUM outlier probability")
ax.set(xlabel="x", ylabel="y")
ax.legend(loc="upper left", fontsize="small", framealpha=0.9)

# %%
# The mixture along training
# --------------------------
# The first ``max_epochs // 10 = 10`` epochs are a warm-up with the plain
# loss, which stalls on the contaminated targets; the first E-step then
# down-weights the outliers and the loss drops. The net's skorch ``history``
# records the mixture after every epoch that followed the first E-step: the
# inlier prior ``gum_inlier_prior``, the mean log-likelihood
# ``gum_log_likelihood`` and more.
history = gum.estimator_.history
epochs = [row["epoch"] for row in history if "gum_inlier_prior" in row]
fig, (ax_rho, ax_loss) = plt.subplots(1, 2, figsize=(10, 3.5))
ax_rho.plot(epochs, [history[e - 1, "gum_inlier_prior"] for e in epochs])
ax_rho.axhline(1 - mask.mean(), color="grey", ls="--", label="true inlier share")
ax_rho.set(xlabel="epoch", ylabel="inlier prior rho")
ax_rho.legend()
ax_loss.plot(history[:, "epoch"], history[:, "train_loss"])
ax_loss.set(xlabel="epoch", ylabel="training loss (weighted)", yscale="log")
fig.tight_layout()

# %%
# Persistence of a net: skops does not store torch objects. Save the
# network's parameters with skorch, ``gum.estimator_.save_params(
# f_params="net.pt")``, or pickle the whole fitted ``GUMRegressor`` in a
# trusted environment (see :ref:`persistence`).
plt.show()
