"""Attentive network: item embedding → BiGRU → additive attention → next-item softmax.

Multimodal fusion (``ann_mm``): besides the BiGRU context over the items, each modality gets its
own context vector — additive attention over the window's modality parts (features through a
tower, or the learned "missing" vector), queried by the BiGRU summary — and a gate in [0, 1] per
modality computed from the summary and the share of the window that has the modality. The fused
vector is projected to the query; items are ranked against id + modality parts (see ``common``).
"""

from __future__ import annotations

import torch
from torch import nn

from models.neural.nets.common import ItemTable, ModalBank, ScoringNet, additive_scores, key, valid_positions


class Additive(nn.Module):
    def __init__(self, key_dim: int, query_dim: int, att_dim: int):
        super().__init__()
        self.w_h = nn.Linear(key_dim, att_dim, bias=False)
        self.w_s = nn.Linear(query_dim, att_dim)
        self.v = nn.Linear(att_dim, 1, bias=False)

    def forward(self, h: torch.Tensor, s: torch.Tensor, valid: torch.Tensor) -> torch.Tensor:
        return additive_scores(h, s, self.w_h, self.w_s, self.v, valid)


class AttentiveNet(ScoringNet):
    def __init__(self, n_items: int, dim: int, hidden: int, dropout: float, modal: ModalBank | None = None):
        super().__init__()
        self.items = ItemTable(n_items, dim, modal=modal)
        self.drop = nn.Dropout(dropout)
        self.gru = nn.GRU(dim, hidden, batch_first=True, bidirectional=True)
        self.att = Additive(2 * hidden, 2 * hidden, hidden)
        names = modal.names if modal is not None else []
        self.modal_att = nn.ModuleList([Additive(dim, 2 * hidden, hidden) for _ in names])
        self.gates = nn.ModuleList([nn.Linear(2 * hidden + 1, 1) for _ in names])
        self.out = nn.Linear(2 * hidden + dim * len(names), dim)

    def attend(self, tokens: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(query [B, d], item attention weights [B, L])."""
        valid = valid_positions(tokens)
        h, _ = self.gru(self.drop(self.items.emb(tokens)))
        summary = h[:, -1]
        alpha = self.att(h, summary, valid)
        contexts = [(alpha[:, :, None] * h).sum(1)]
        if self.items.modal is not None:
            parts = self.items.modal.parts()
            real = tokens != 0
            for (name, part), att, gate in zip(parts.items(), self.modal_att, self.gates, strict=True):
                z = torch.cat([part.new_zeros(1, part.shape[1]), part], 0)[tokens]  # [B, L, d]
                beta = att(z, summary, valid)
                has = self.items.modal.towers[key(name)].mask[(tokens - 1).clamp(min=0)] & real
                share = has.float().sum(1, keepdim=True) / real.float().sum(1, keepdim=True).clamp(min=1)
                g = torch.sigmoid(gate(torch.cat([summary, share], 1)))
                contexts.append(g * (beta[:, :, None] * z).sum(1))
        return self.out(self.drop(torch.cat(contexts, 1))), alpha

    def query(self, tokens: torch.Tensor) -> torch.Tensor:
        return self.attend(tokens)[0]
