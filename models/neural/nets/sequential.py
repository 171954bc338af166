"""GRU4Rec, SASRec / BERT4Rec transformers and TransRec networks (hidden state per position)."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from models.neural.nets.common import INIT_STD, ItemTable, ModalBank, ScoringNet


class GRU4RecNet(ScoringNet):
    """Item embedding → GRU → projection into the item space (tied output)."""

    def __init__(self, n_items: int, dim: int, hidden: int, dropout: float, layers: int = 1):
        super().__init__()
        self.items = ItemTable(n_items, dim)
        self.drop = nn.Dropout(dropout)
        self.gru = nn.GRU(dim, hidden, num_layers=layers, batch_first=True)
        self.out = nn.Linear(hidden, dim)

    def hidden(self, tokens: torch.Tensor) -> torch.Tensor:
        h, _ = self.gru(self.drop(self.items.emb(tokens)))
        return self.out(self.drop(h))


class Block(nn.Module):
    """Pre-norm transformer block; ``mask`` [B, L, L] is True where a query may attend a key."""

    def __init__(self, dim: int, heads: int, dropout: float):
        super().__init__()
        self.heads = heads
        self.ln1, self.ln2 = nn.LayerNorm(dim), nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.proj = nn.Linear(dim, dim)
        self.ff = nn.Sequential(
            nn.Linear(dim, 4 * dim), nn.GELU(), nn.Dropout(dropout), nn.Linear(4 * dim, dim)
        )
        self.drop = nn.Dropout(dropout)
        self.p = dropout

    def forward(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        b, n, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).view(b, n, 3, self.heads, d // self.heads).permute(2, 0, 3, 1, 4)
        a = F.scaled_dot_product_attention(
            q, k, v, attn_mask=mask[:, None], dropout_p=self.p if self.training else 0.0
        )
        x = x + self.drop(self.proj(a.transpose(1, 2).reshape(b, n, d)))
        return x + self.drop(self.ff(self.ln2(x)))


class TransformerNet(ScoringNet):
    """SASRec (``causal``) or BERT4Rec (bidirectional, one extra mask token) over a window.

    Learned positional embeddings index window positions; windows are left-padded, so the most
    recent play always sits at the last position.
    """

    def __init__(
        self,
        n_items: int,
        dim: int,
        max_len: int,
        layers: int,
        heads: int,
        dropout: float,
        causal: bool,
        modal: ModalBank | None = None,
    ):
        super().__init__()
        self.causal = causal
        self.items = ItemTable(n_items, dim, extra=0 if causal else 1, modal=modal)
        self.pos = nn.Parameter(torch.randn(max_len, dim) * INIT_STD)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList([Block(dim, heads, dropout) for _ in range(layers)])
        self.ln = nn.LayerNorm(dim)
        self.head = (
            nn.Identity() if causal else nn.Sequential(nn.Linear(dim, dim), nn.GELU(), nn.LayerNorm(dim))
        )

    def hidden(self, tokens: torch.Tensor) -> torch.Tensor:
        n = tokens.shape[1]
        x = self.drop(self.items.embed(tokens) + self.pos[-n:])
        key_ok = tokens != 0
        mask = key_ok[:, None, :].expand(-1, n, -1)
        if self.causal:
            mask = mask & torch.ones(n, n, dtype=torch.bool, device=tokens.device).tril()
        mask = mask | torch.eye(
            n, dtype=torch.bool, device=tokens.device
        )  # padding rows attend to themselves
        for block in self.blocks:
            x = block(x, mask)
        return self.head(self.ln(x))


class TransRecNet(ScoringNet):
    """Translation-based: next ≈ γ_last + T, scored as ``β_j − ‖γ_last + T − γ_j‖²``.

    One listener has no user population, so the user translation becomes a context translation:
    ``T = t + mean(τ_i over the last ``context`` plays)`` — a global vector plus learned
    per-item translation vectors averaged over the recent plays (a session-level translation).
    ``‖γ_last + T − γ_j‖² = ‖q‖² − 2 q·γ_j + ‖γ_j‖²``; the ``‖q‖²`` term is the same for every
    candidate, so ranking uses ``2 q·γ_j + β_j − ‖γ_j‖²``, a tied dot-product table like the others.
    """

    def __init__(self, n_items: int, dim: int, context: int):
        super().__init__()
        self.context = context
        self.items = ItemTable(n_items, dim)
        self.trans = nn.Embedding(n_items + 1, dim, padding_idx=0)
        nn.init.normal_(self.trans.weight, 0.0, INIT_STD / 4)
        with torch.no_grad():
            self.trans.weight[0].zero_()
        self.t = nn.Parameter(torch.zeros(dim))

    def hidden(self, tokens: torch.Tensor) -> torch.Tensor:
        tau = self.trans(tokens)  # padding rows are zero
        real = (tokens != 0).float()
        c_tau, c_n = tau.cumsum(1), real.cumsum(1)
        k = self.context
        if tokens.shape[1] > k:
            c_tau = c_tau - F.pad(c_tau, (0, 0, k, 0))[:, :-k]
            c_n = c_n - F.pad(c_n, (k, 0))[:, :-k]
        translation = self.t + c_tau / c_n.clamp(min=1.0)[..., None]
        return self.items.emb(tokens) + translation

    def logits(self, h: torch.Tensor) -> torch.Tensor:
        gamma = self.items.emb.weight[1:]
        return 2.0 * h @ gamma.T + self.items.bias - (gamma * gamma).sum(1)

    def item_parts(self) -> dict[str, torch.Tensor]:
        return {"id": 2.0 * self.items.emb.weight[1:]}
