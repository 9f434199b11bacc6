"""Small torch modules for the tests of :mod:`sklearn_gum.nn`."""

import torch


class MLP(torch.nn.Module):
    """Two tanh hidden layers of ``width`` units."""

    def __init__(self, n_in=1, n_out=2, width=32):
        super().__init__()
        self.layers = torch.nn.Sequential(
            torch.nn.Linear(n_in, width), torch.nn.Tanh(),
            torch.nn.Linear(width, width), torch.nn.Tanh(),
            torch.nn.Linear(width, n_out),
        )

    def forward(self, X):
        return self.layers(X)
