"""Torch parts of BPR-MF and LightGCN over session-item rows (imported only when they are used).

Both score an item by ``u · q_i + b_i``. Sessions at scoring time are new, so no model keeps a free
vector per training session: the context vector is pooled from the row's items,
``u = Σ_i x_i g_i / sqrt(Σ_i x_i)``, with the very same code in training and scoring.

- BPR-MF: g = Y, a context embedding per item (asymmetric factorisation, FISM-style), q = Q.
- LightGCN: item embeddings E⁰ are propagated over the normalised session-item graph of the fitting
  span (Â = D^-½ A D^-½, sessions as user nodes without their own embedding); the item's final vector
  is the mean of its even layers, and the pooled context uses the mean of the odd (session-side)
  layers, i.e. exactly what LightGCN computes for a session node whose only input is its items.

Loss: BPR (Rendle et al. 2009) with ``negatives`` items drawn uniformly from the vocabulary per
positive — in training only; scoring ranks the full vocabulary. When the targets are the row itself
(``target="row"``) the positive's own contribution is left out of u (leave-one-out), otherwise the
model would learn to recommend the row back.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.graph.bag import Bag


def pool(bag: Bag, g: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """(Σ x_i g_i [B, d], Σ x_i [B]) of each row."""
    total = F.embedding_bag(bag.indices, g, bag.offsets, mode="sum", per_sample_weights=bag.weights)
    return total, bag.row_sum(bag.weights)


def input_weight(bag: Bag, target: Bag, n_items: int) -> torch.Tensor:
    """For each target entry: the weight of that item in the same row's input (0 if absent)."""
    keys = bag.row_ids * n_items + bag.indices  # sorted: rows in order, indices sorted within a row
    want = target.row_ids * n_items + target.indices
    if keys.numel() == 0:
        return torch.zeros_like(target.weights)
    pos = torch.searchsorted(keys, want).clamp_max(keys.numel() - 1)
    return torch.where(keys[pos] == want, bag.weights[pos], torch.zeros_like(target.weights))


class FactorNet(nn.Module):
    """Shared BPR training; subclasses define ``vectors()`` -> (g [V, d], q [V, d])."""

    def __init__(self, n_items: int, dim: int, reg: float, negatives: int, leave_one_out: bool):
        super().__init__()
        self.n_items, self.reg, self.negatives, self.leave_one_out = n_items, reg, negatives, leave_one_out
        self.bias = nn.Parameter(torch.zeros(n_items))

    def vectors(self) -> tuple[torch.Tensor, torch.Tensor]:
        raise NotImplementedError

    def score(self, bag: Bag) -> torch.Tensor:
        g, q = self.vectors()
        total, mass = pool(bag, g)
        u = total / mass.clamp_min(1e-12).sqrt()[:, None]
        return u @ q.T + self.bias

    def loss(self, bag: Bag, target: Bag, generator: torch.Generator | None = None) -> torch.Tensor:
        g, q = self.vectors()
        total, mass = pool(bag, g)
        r = target.row_ids
        u_sum, m = total[r], mass[r]
        if self.leave_one_out:
            own = input_weight(bag, target, self.n_items)
            u_sum = u_sum - own[:, None] * g[target.indices]
            m = m - own
        u = u_sum / m.clamp_min(1e-12).sqrt()[:, None]
        neg = torch.randint(0, self.n_items, (target.indices.numel(), self.negatives), generator=generator)
        neg = neg.to(u.device)
        pos_s = (u * q[target.indices]).sum(1) + self.bias[target.indices]
        neg_s = torch.einsum("nd,nkd->nk", u, q[neg]) + self.bias[neg]
        w = target.weights
        bpr = -(F.logsigmoid(pos_s[:, None] - neg_s).mean(1) * w).sum() / w.sum().clamp_min(1e-12)
        reg = (u**2).sum(1).mean() + (q[target.indices] ** 2).sum(1).mean() + (q[neg] ** 2).sum(2).mean()
        return bpr + self.reg * reg


class BPRMFNet(FactorNet):
    def __init__(
        self, n_items: int, dim: int = 64, reg: float = 1e-4, negatives: int = 4, leave_one_out: bool = False
    ):
        super().__init__(n_items, dim, reg, negatives, leave_one_out)
        self.context = nn.Embedding(n_items, dim)
        self.items = nn.Embedding(n_items, dim)
        nn.init.normal_(self.context.weight, std=0.1)
        nn.init.normal_(self.items.weight, std=0.1)

    def vectors(self) -> tuple[torch.Tensor, torch.Tensor]:
        return self.context.weight, self.items.weight


class LightGCNNet(FactorNet):
    def __init__(
        self,
        n_items: int,
        dim: int = 64,
        layers: int = 3,
        reg: float = 1e-4,
        negatives: int = 4,
        leave_one_out: bool = False,
    ):
        super().__init__(n_items, dim, reg, negatives, leave_one_out)
        self.layers = layers
        self.emb = nn.Embedding(n_items, dim)
        nn.init.normal_(self.emb.weight, std=0.1)
        # the session-item incidence (normalised) is a buffer so a loaded model has it too
        self.register_buffer("adj_rows", torch.zeros(0, dtype=torch.long))
        self.register_buffer("adj_cols", torch.zeros(0, dtype=torch.long))
        self.register_buffer("adj_vals", torch.zeros(0))
        self.register_buffer("item_scale", torch.ones(n_items))
        self._cache: tuple[torch.Tensor, torch.Tensor] | None = None
        self._adj_cache: tuple | None = None

    def set_graph(self, session_of: np.ndarray, item_of: np.ndarray) -> None:
        """Binary session-item incidence of the fitting span (pairs may repeat: they are merged)."""
        pairs = np.unique(np.stack([session_of, item_of], 1), axis=0)
        s, i = pairs[:, 0], pairs[:, 1]
        ds = np.bincount(s).astype(np.float64)
        di = np.bincount(i, minlength=self.n_items).astype(np.float64)
        vals = 1.0 / np.sqrt(ds[s] * di[i])
        dev = self.emb.weight.device
        self.adj_rows = torch.from_numpy(s.astype(np.int64)).to(dev)
        self.adj_cols = torch.from_numpy(i.astype(np.int64)).to(dev)
        self.adj_vals = torch.from_numpy(vals.astype(np.float32)).to(dev)
        self.item_scale = torch.from_numpy((1.0 / np.sqrt(di + 1.0)).astype(np.float32)).to(dev)
        self._cache = None

    def _adj(self) -> tuple[torch.Tensor, torch.Tensor]:
        key = (self.adj_rows.data_ptr(), self.adj_vals.data_ptr(), self.adj_rows.numel())
        if self._adj_cache is None or self._adj_cache[0] != key:
            n_s = int(self.adj_rows.max()) + 1 if self.adj_rows.numel() else 1
            adj = torch.sparse_coo_tensor(
                torch.stack([self.adj_rows, self.adj_cols]),
                self.adj_vals,
                (n_s, self.n_items),
                check_invariants=False,
            ).coalesce()
            self._adj_cache = (key, adj, adj.transpose(0, 1).coalesce())
        return self._adj_cache[1], self._adj_cache[2]

    def vectors(self) -> tuple[torch.Tensor, torch.Tensor]:
        if not self.training and self._cache is not None:
            return self._cache
        adj, adj_t = self._adj()
        item_layers, session_side = [self.emb.weight], []
        e = self.emb.weight
        for _ in range(self.layers):
            s = torch.sparse.mm(adj, e)  # session layer (odd)
            session_side.append(e)  # what a session node aggregates at this layer
            e = torch.sparse.mm(adj_t, s)  # item layer (even)
            item_layers.append(e)
        q = torch.stack(item_layers).mean(0)
        g = torch.stack(session_side).mean(0) * self.item_scale[:, None]
        if not self.training:
            self._cache = (g, q)
        return g, q

    def train(self, mode: bool = True):
        self._cache = None
        return super().train(mode)
