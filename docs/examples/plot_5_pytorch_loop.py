"""
=====================================
DeepGUM in your own PyTorch loop
=====================================

Most deep-learning code is a hand-written PyTorch loop, not a scikit-learn
estimator. :class:`~sklearn_gum.nn.GUMCriterion` brings the DeepGUM loss and
its EM to such a loop with three changes: the data loader also yields the
row indices of each batch, the loss is ``crit(model(xb), yb, idx)``, and
``crit.end_epoch()`` runs after each epoch. The criterion takes the outlier
decision and the E-steps on the residuals its batches recorded (no extra
forward pass), keeps its buffers on the model's device, and follows the
same schedule as :class:`~sklearn_gum.GUMRegressor` for skorch nets.

Here a small network learns a 2-D curve (two outputs) of which a quarter
of the targets were replaced by uniform noise; the same loop is run with
the mean squared error and with the GUM criterion.
"""

# %%
# Data: 25% gross label errors
# ----------------------------
import matplotlib.pyplot as plt
import numpy as np
import torch

from sklearn_gum.nn import GUMCriterion

torch.set_num_threads(1)
rng = np.random.RandomState(0)
n = 400
x = rng.uniform(-3, 3, size=(n, 1)).astype(np.float32)


def curve(x):
    return np.column_stack([np.sin(x[:, 0]), 0.5 * np.cos(2 * x[:, 0])])


y = (curve(x) + rng.normal(scale=0.05, size=(n, 2))).astype(np.float32)
outliers = rng.rand(n) < 0.25
y[outliers] = rng.uniform(-3, 3, size=(outliers.sum(), 2))

# The loader yields (row index, input, target).
dataset = torch.utils.data.TensorDataset(
    torch.arange(n), torch.as_tensor(x), torch.as_tensor(y)
)


def make_model():
    return torch.nn.Sequential(
        torch.nn.Linear(1, 64), torch.nn.Tanh(),
        torch.nn.Linear(64, 64), torch.nn.Tanh(),
        torch.nn.Linear(64, 2),
    )


# %%
# The loop
# --------
# The only GUM lines are the criterion, its call with ``idx`` and
# ``end_epoch()``. The first ``warmup_epochs`` ("auto": 5) epochs train with the
# plain loss; then the outlier decision is taken, and once the residuals
# support a uniform component the E-steps re-weight and whiten the loss
# after every epoch.


def train(criterion, epochs=50, seed=0):
    torch.manual_seed(seed)
    model = make_model()
    optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
    loader = torch.utils.data.DataLoader(
        dataset, batch_size=32, shuffle=True,
        generator=torch.Generator().manual_seed(seed),
    )
    for epoch in range(epochs):
        for idx, xb, yb in loader:
            if isinstance(criterion, GUMCriterion):
                loss = criterion(model(xb), yb, idx)
            else:
                loss = criterion(model(xb), yb)
            loss.backward()
            optimizer.step()
            optimizer.zero_grad()
        if isinstance(criterion, GUMCriterion):
            criterion.end_epoch()  # E-step and mixture M-step when due
    return model


mse_model = train(torch.nn.MSELoss())
crit = GUMCriterion(n_samples=n)
gum_model = train(crit)

x_grid = np.linspace(-3, 3, 300, dtype=np.float32)[:, None]
with torch.no_grad():
    fits = {"MSE": mse_model(torch.as_tensor(x_grid)).numpy(),
            "GUM": gum_model(torch.as_tensor(x_grid)).numpy()}
for name, fit in fits.items():
    error = np.sqrt(np.mean((fit - curve(x_grid)) ** 2))
    print(f"{name}: root mean squared error to the true curve {error:.3f}")

# %%
# What the criterion found
# ------------------------
# Its fitted attributes are those of :class:`~sklearn_gum.GUMRegressor`:
# the outlier probability of each training row, the inlier mask, the
# inlier prior ``rho`` and the residual covariance ``Sigma``.
print(f"has_outliers_ = {crit.has_outliers_}, inlier_prior_ = {crit.inlier_prior_:.3f} "
      f"(true share {1 - outliers.mean():.3f})")
print(f"flagged {np.sum(~crit.inlier_mask_)} rows; "
      f"{np.sum(~crit.inlier_mask_ & outliers)} of the {outliers.sum()} outliers, "
      f"{np.sum(~crit.inlier_mask_ & ~outliers)} clean rows")
print("covariance_ =\n", crit.covariance_.round(5))

# %%
# The two outputs against the input, coloured by the outlier probability.
fig, axes = plt.subplots(1, 2, figsize=(10, 4), sharex=True)
for j, ax in enumerate(axes):
    points = ax.scatter(x[:, 0], y[:, j], c=crit.outlier_proba_, cmap="coolwarm",
                        vmin=0, vmax=1, s=8)
    ax.plot(x_grid, curve(x_grid)[:, j], "k", lw=2, label="true curve")
    ax.plot(x_grid, fits["MSE"][:, j], "--", lw=2, label="MSE loop")
    ax.plot(x_grid, fits["GUM"][:, j], lw=2, label="GUMCriterion loop")
    ax.set(xlabel="x", ylabel=f"output {j}", ylim=(-3.2, 3.2))
axes[0].legend(loc="lower left", fontsize="small")
fig.colorbar(points, ax=axes, label="outlier probability")

# %%
# With PyTorch Lightning, the same three lines go into ``training_step``
# and ``on_train_epoch_end``: see :ref:`lightning`. A skorch network needs
# none of them: :class:`~sklearn_gum.GUMRegressor` runs this criterion
# through :class:`~sklearn_gum.nn.GUMCallback`.
plt.show()
