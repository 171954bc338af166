"""Item representations shared by the networks: tied id embeddings plus optional modality parts.

Every network scores item ``j`` for a query ``q`` as ``q · table_j + bias_j`` where
``table_j = id_j + Σ_m part_{m,j}``; the same table embeds the input items (tied weights), so an
item's content features shape both how it is read in a history and how it is ranked.
A modality part is ``tower_m(features_{m,j})`` when item ``j`` has modality ``m`` and a learned
"missing" vector when it does not.
"""

from __future__ import annotations

import re

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.neural.modal import Modality

INIT_STD = 0.05


def key(name: str) -> str:
    """A modality name as a module key (ModuleDict keys cannot contain dots)."""
    return re.sub(r"\W", "_", name)


class ModalTower(nn.Module):
    def __init__(self, n_items: int, in_dim: int, dim: int, deep: bool):
        super().__init__()
        self.register_buffer("values", torch.zeros(n_items, in_dim))
        self.register_buffer("mask", torch.zeros(n_items, dtype=torch.bool))
        self.proj = (
            nn.Sequential(nn.Linear(in_dim, dim), nn.GELU(), nn.Linear(dim, dim))
            if deep
            else nn.Linear(in_dim, dim)
        )
        self.missing = nn.Parameter(torch.randn(dim) * INIT_STD)

    def part(self) -> torch.Tensor:
        return torch.where(self.mask[:, None], self.proj(self.values), self.missing[None, :])


class ModalBank(nn.Module):
    """One tower per modality; ``dims`` is [(name, feature width)] in a fixed order."""

    def __init__(self, dims: list[tuple[str, int]], n_items: int, dim: int, deep: bool = False):
        super().__init__()
        self.names = [name for name, _ in dims]
        self.towers = nn.ModuleDict({key(name): ModalTower(n_items, k, dim, deep) for name, k in dims})

    def set_data(self, mods: list[Modality]) -> None:
        with torch.no_grad():
            for m in mods:
                tower = self.towers[key(m.name)]
                tower.values.copy_(torch.from_numpy(m.values))
                tower.mask.copy_(torch.from_numpy(m.mask))

    def parts(self) -> dict[str, torch.Tensor]:
        return {name: self.towers[key(name)].part() for name in self.names}

    def masks(self) -> dict[str, np.ndarray]:
        return {name: self.towers[key(name)].mask.cpu().numpy() for name in self.names}


class ItemTable(nn.Module):
    """Token embeddings (0 = padding, 1..n = items, then ``extra`` special tokens) and item biases."""

    def __init__(self, n_items: int, dim: int, extra: int = 0, modal: ModalBank | None = None):
        super().__init__()
        self.n_items = n_items
        self.emb = nn.Embedding(n_items + 1 + extra, dim, padding_idx=0)
        nn.init.normal_(self.emb.weight, 0.0, INIT_STD)
        with torch.no_grad():
            self.emb.weight[0].zero_()
        self.bias = nn.Parameter(torch.zeros(n_items))
        self.modal = modal

    def set_item_init(self, init: np.ndarray) -> None:
        with torch.no_grad():
            self.emb.weight[1 : self.n_items + 1].copy_(torch.from_numpy(init))

    def parts(self) -> dict[str, torch.Tensor]:
        out = {"id": self.emb.weight[1 : self.n_items + 1]}
        if self.modal is not None:
            out.update(self.modal.parts())
        return out

    def table(self) -> torch.Tensor:
        parts = self.parts()
        return sum(parts.values()) if len(parts) > 1 else parts["id"]

    def embed(self, tokens: torch.Tensor, table: torch.Tensor | None = None) -> torch.Tensor:
        """Input embeddings [B, L, d]; with modalities the item rows include their modality parts."""
        if self.modal is None:
            return self.emb(tokens)
        table = self.table() if table is None else table
        w = self.emb.weight
        full = torch.cat([w[:1], table, w[self.n_items + 1 :]], dim=0)
        return F.embedding(tokens, full)

    def logits(self, h: torch.Tensor, table: torch.Tensor | None = None) -> torch.Tensor:
        table = self.table() if table is None else table
        return h @ table.T + self.bias

    def masks(self) -> dict[str, np.ndarray]:
        return self.modal.masks() if self.modal is not None else {}


class ScoringNet(nn.Module):
    """Base: ``query`` (next-item vector per sequence), ``hidden`` (one per position), tied ``logits``."""

    items: ItemTable

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        return self.items.logits(h)

    def item_parts(self) -> dict[str, torch.Tensor]:
        return self.items.parts()

    def modal_masks(self) -> dict[str, np.ndarray]:
        return self.items.masks()

    def query(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.hidden(tokens)[:, -1]

    def hidden(self, tokens: torch.Tensor) -> torch.Tensor:
        raise NotImplementedError


def additive_scores(
    h: torch.Tensor, s: torch.Tensor, w_h: nn.Linear, w_s: nn.Linear, v: nn.Linear, valid: torch.Tensor
) -> torch.Tensor:
    """Bahdanau attention weights [B, L] of keys ``h`` [B, L, *] for query ``s`` [B, *]."""
    e = v(torch.tanh(w_h(h) + w_s(s)[:, None, :])).squeeze(-1)
    return torch.softmax(e.masked_fill(~valid, float("-inf")), dim=1)


def valid_positions(tokens: torch.Tensor) -> torch.Tensor:
    """Non-padding positions; the last position always counts so an empty history stays finite."""
    valid = tokens != 0
    valid[:, -1] = True
    return valid
