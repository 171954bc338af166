"""The fusion DNN of the genre-cluster model (torch; imported only when that model is used)."""

from __future__ import annotations

import torch
from torch import nn


class FusionNet(nn.Module):
    """State features (genre mixes + modality summaries) → logits of the next play's genre mix."""

    def __init__(self, in_dim: int, hidden: int, n_classes: int, dropout: float = 0.1):
        super().__init__()
        self.inp = nn.Linear(in_dim, hidden)
        self.out = nn.Linear(hidden, n_classes)
        self.dropout = nn.Dropout(dropout)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.out(self.dropout(torch.relu(self.inp(x))))

    def loss(self, x: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Soft cross-entropy against the next play's genre mix."""
        return -(target * torch.log_softmax(self(x), dim=1)).sum(1).mean()
