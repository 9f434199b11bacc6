"""DeepGUM in a PyTorch Lightning module (shown in docs/lightning.rst and run
by tests/test_nn_criterion.py when ``lightning`` is installed)."""

import lightning as L
import torch

from sklearn_gum.nn import GUMCriterion


class RobustRegressor(L.LightningModule):
    """Any regression model, trained with the DeepGUM loss and its EM."""

    def __init__(self, model, n_samples, lr=1e-2, **gum_options):
        super().__init__()
        self.model = model
        self.gum = GUMCriterion(n_samples, **gum_options)
        self.lr = lr

    def forward(self, X):
        return self.model(X)

    def training_step(self, batch, batch_idx):
        idx, X, y = batch  # the dataset yields each row's index
        loss = self.gum(self.model(X), y, idx)
        self.log("train_loss", loss)
        return loss

    def on_train_epoch_end(self):
        if self.gum.end_epoch():  # E-step and mixture M-step when due
            self.log("gum_log_likelihood", self.gum.log_likelihood_)

    def configure_optimizers(self):
        return torch.optim.Adam(self.model.parameters(), lr=self.lr)


def fit(X, y, model, epochs=40, batch_size=32, devices=1, strategy="auto",
        **gum_options):
    """Train ``model`` on tensors ``X, y``; return the module (``.gum`` holds
    the fitted mixture). With ``devices=2, strategy="ddp"`` (or
    ``"ddp_spawn"``) each process trains on its shard of the rows and
    ``end_epoch`` combines their residuals: every process holds the mixture
    of all rows."""
    dataset = torch.utils.data.TensorDataset(torch.arange(len(X)), X, y)
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True)
    module = RobustRegressor(model, n_samples=len(X), **gum_options)
    trainer = L.Trainer(
        max_epochs=epochs, accelerator="auto", devices=devices, strategy=strategy,
        logger=False,
        enable_checkpointing=False, enable_progress_bar=False,
        enable_model_summary=False,
    )
    trainer.fit(module, loader)
    return module
