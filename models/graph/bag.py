"""Rows as torch tensors: ``Bag`` (EmbeddingBag inputs + targets) and sampled-softmax ``Candidates``.

Imported only by torch models (never at package import).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F

from models.graph.session_rows import Rows


@dataclass
class Bag:
    indices: torch.Tensor  # int64 [nnz]
    offsets: torch.Tensor  # int64 [B]
    weights: torch.Tensor  # float32 [nnz], the row weights
    row_ids: torch.Tensor  # int64 [nnz]
    size: int

    @classmethod
    def of(cls, rows: Rows, device: torch.device) -> Bag:
        return cls(
            torch.from_numpy(rows.indices).to(device),
            torch.from_numpy(rows.indptr[:-1].copy()).to(device),
            torch.from_numpy(rows.weights).to(device),
            torch.from_numpy(rows.row_ids()).to(device),
            len(rows),
        )

    def row_sum(self, values: torch.Tensor) -> torch.Tensor:
        return torch.zeros(self.size, device=values.device, dtype=values.dtype).index_add_(
            0, self.row_ids, values
        )

    def normalised(self, dropout: float, training: bool) -> torch.Tensor:
        """Input weights: L2-normalised per row, then entry dropout while training (Liang et al. 2018)."""
        norm = self.row_sum(self.weights**2).clamp_min(1e-12).sqrt()
        w = self.weights / norm[self.row_ids]
        return F.dropout(w, dropout, training) if dropout > 0 else w

    def dense(self, n_items: int) -> torch.Tensor:
        out = torch.zeros(self.size, n_items, device=self.weights.device)
        out[self.row_ids, self.indices] = self.weights
        return out

    def multinomial_nll(self, logits: torch.Tensor, out: Candidates | None = None) -> torch.Tensor:
        """−Σ_i x_i log softmax(logits)_i, averaged over rows; over ``out.items`` when sampled."""
        logp = torch.log_softmax(logits if out is None else logits - out.log_q, dim=1)
        cols = self.indices if out is None else out.position(self.indices)
        return -(logp[self.row_ids, cols] * self.weights).sum() / max(self.size, 1)


@dataclass
class Candidates:
    """Output items of a sampled-softmax training step: the batch's targets plus sampled negatives.

    Negatives are drawn with replacement from q ∝ popularity^0.5; every candidate's logit is
    corrected by −log(expected count) (Jean et al. 2015), so the sampled softmax is an estimate of
    the full one. Scoring always uses the full softmax over the vocabulary.
    """

    items: torch.Tensor  # int64 [C], sorted
    log_q: torch.Tensor  # float32 [C]

    @classmethod
    def draw(
        cls, target: Bag, proposal: torch.Tensor, n: int, generator: torch.Generator | None
    ) -> Candidates:
        neg = torch.multinomial(proposal, n, replacement=True, generator=generator)
        items = torch.unique(torch.cat([target.indices, neg.to(target.indices.device)]))
        return cls(items, torch.log((proposal[items] * n).clamp_min(1e-12)).to(target.weights.device))

    def position(self, indices: torch.Tensor) -> torch.Tensor:
        return torch.searchsorted(self.items, indices)
