"""Torch networks of the session-item VAEs (imported only when a VAE is fitted or loaded).

Rows enter as bags (``Bag``): flat vocab indices, per-row offsets and weights, so the first encoder
layer is an ``EmbeddingBag`` and costs O(nnz) rather than O(batch × items).
"""

from __future__ import annotations

import math

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.graph.bag import Bag, Candidates


def needed(bag: Bag, out: Candidates) -> torch.Tensor:
    """Items a sampled-softmax step touches: the rows' items and the output candidates."""
    return torch.unique(torch.cat([bag.indices, out.items]))


class ContentCodes(nn.Module):
    """Per-modality item codes tanh(W_m x_im) masked by presence; frozen into a buffer after fitting."""

    def __init__(self, dims: dict[str, int], code_dim: int, n_items: int):
        super().__init__()
        self.names = sorted(dims)
        self.code_dim = code_dim
        self.proj = nn.ModuleDict({m: nn.Linear(dims[m], code_dim) for m in self.names})
        self.register_buffer("masks", torch.zeros(len(self.names), n_items))
        self.register_buffer("frozen", torch.zeros(len(self.names), n_items, code_dim))
        self._raw: dict[str, torch.Tensor] = {}

    @property
    def n(self) -> int:
        return len(self.names)

    def set_raw(self, content: dict[str, tuple[np.ndarray, np.ndarray]], device: torch.device) -> None:
        self._raw = {m: torch.from_numpy(content[m][0]).to(device) for m in self.names}
        self.masks.copy_(torch.from_numpy(np.stack([content[m][1] for m in self.names]).astype(np.float32)))

    def forward(self, items: torch.Tensor | None = None) -> torch.Tensor:
        """[M, V, code_dim] codes (zero rows where the modality is missing). While training with a
        sampled softmax only ``items`` (the batch's inputs and candidates) are computed; the other
        rows are zero and unused by that step."""
        if not self._raw:
            return self.frozen
        if items is None:
            codes = torch.stack([torch.tanh(self.proj[m](self._raw[m])) for m in self.names])
            return codes * self.masks[:, :, None]
        part = torch.stack([torch.tanh(self.proj[m](self._raw[m][items])) for m in self.names])
        part = part * self.masks[:, items, None]
        out = torch.zeros(self.n, self.masks.shape[1], self.code_dim, device=part.device, dtype=part.dtype)
        return out.index_copy(1, items, part)

    def freeze(self) -> None:
        with torch.no_grad():
            self.frozen.copy_(self.forward())
        self._raw = {}


class ContentConditioning(nn.Module):
    """Encoder summary of a row's content and the decoder's content term (see models/vae/content.py)."""

    def __init__(self, dims: dict[str, int], code_dim: int, n_items: int, hidden: int, out_dim: int):
        super().__init__()
        self.codes = ContentCodes(dims, code_dim, n_items)
        m = self.codes.n
        self.enc = nn.Linear(m * (code_dim + 1), hidden)
        self.dec = nn.Linear(out_dim, m * code_dim, bias=False)
        nn.init.zeros_(self.dec.weight)  # start as the plain model

    def summary(self, bag: Bag, weights: torch.Tensor, codes: torch.Tensor) -> torch.Tensor:
        parts = []
        total = bag.row_sum(weights.abs()).clamp_min(1e-12)
        for j in range(self.codes.n):
            w = weights * self.codes.masks[j][bag.indices]
            num = F.embedding_bag(bag.indices, codes[j], bag.offsets, mode="sum", per_sample_weights=w)
            den = bag.row_sum(w)
            parts.append(num / den.clamp_min(1e-12)[:, None])
            parts.append((den / total)[:, None])
        return self.enc(torch.cat(parts, dim=1))

    def item_term(self, codes: torch.Tensor) -> torch.Tensor:
        """[V, M*code_dim] flattened codes (zero where missing)."""
        return codes.permute(1, 0, 2).reshape(codes.shape[1], -1)


class MultVAENet(nn.Module):
    """Mult-VAE (Liang et al. 2018): [V → hidden → 2·latent], [latent → hidden → V], multinomial likelihood."""

    def __init__(
        self,
        n_items: int,
        hidden: int = 600,
        latent: int = 200,
        dropout: float = 0.5,
        content_dims: dict[str, int] | None = None,
        code_dim: int = 32,
    ):
        super().__init__()
        self.n_items, self.latent, self.dropout = n_items, latent, dropout
        self.enc_in = nn.EmbeddingBag(n_items, hidden, mode="sum")
        self.enc_bias = nn.Parameter(torch.zeros(hidden))
        self.enc_out = nn.Linear(hidden, 2 * latent)
        self.dec_hidden = nn.Linear(latent, hidden)
        self.dec_out = nn.Linear(hidden, n_items)
        # rows are L2-normalised and sparse: a unit-scale init gives the encoder O(1) pre-activations
        nn.init.normal_(self.enc_in.weight, std=1.0)
        self.cond = (
            ContentConditioning(content_dims, code_dim, n_items, hidden, hidden) if content_dims else None
        )

    def encode(self, bag: Bag, codes: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        w = bag.normalised(self.dropout, self.training)
        h = self.enc_in(bag.indices, bag.offsets, per_sample_weights=w) + self.enc_bias
        if self.cond is not None and codes is not None:
            h = h + self.cond.summary(bag, w, codes)
        out = self.enc_out(torch.tanh(h))
        return out[:, : self.latent], out[:, self.latent :]

    def decode(
        self, z: torch.Tensor, codes: torch.Tensor | None, out: Candidates | None = None
    ) -> torch.Tensor:
        """Logits over the vocabulary, or over ``out.items`` (sampled softmax while training)."""
        h = torch.tanh(self.dec_hidden(z))
        if out is None:
            logits = self.dec_out(h)
        else:
            logits = F.linear(h, self.dec_out.weight[out.items], self.dec_out.bias[out.items])
        if self.cond is not None and codes is not None:
            term = self.cond.item_term(codes)
            logits = logits + self.cond.dec(h) @ (term if out is None else term[out.items]).T
        return logits

    def codes(self, bag: Bag | None = None, out: Candidates | None = None) -> torch.Tensor | None:
        if self.cond is None:
            return None
        return self.cond.codes(needed(bag, out) if bag is not None and out is not None else None)

    def loss(self, bag: Bag, target: Bag, beta: float, out: Candidates | None = None) -> torch.Tensor:
        codes = self.codes(bag, out)
        mu, logvar = self.encode(bag, codes)
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        kl = -0.5 * torch.mean(torch.sum(1 + logvar - mu**2 - logvar.exp(), dim=1))
        return target.multinomial_nll(self.decode(z, codes, out), out) + beta * kl

    def score(self, bag: Bag) -> torch.Tensor:
        codes = self.codes()
        mu, _ = self.encode(bag, codes)
        return self.decode(mu, codes)


class MacridVAENet(nn.Module):
    """MacridVAE (Ma et al. 2019): K macro concepts (prototypes) over item embeddings, one
    normalised micro latent per concept, decoder p(i) ∝ Σ_k c_ik exp(cos(z_k, h_i)/τ)."""

    def __init__(
        self,
        n_items: int,
        k: int = 4,
        dim: int = 64,
        hidden: int = 600,
        tau: float = 0.1,
        dropout: float = 0.5,
        std: float = 0.075,
        content_dims: dict[str, int] | None = None,
        code_dim: int = 32,
    ):
        super().__init__()
        self.n_items, self.k, self.dim, self.tau, self.dropout, self.std = n_items, k, dim, tau, dropout, std
        self.items = nn.Embedding(n_items, dim)
        self.cores = nn.Embedding(k, dim)
        self.enc_in = nn.EmbeddingBag(n_items, hidden, mode="sum")
        self.enc_bias = nn.Parameter(torch.zeros(hidden))
        self.enc_out = nn.Linear(hidden, 2 * dim)
        for p in (self.items.weight, self.cores.weight, self.enc_in.weight):
            nn.init.xavier_uniform_(p)
        self.cond = (
            ContentConditioning(content_dims, code_dim, n_items, hidden, dim) if content_dims else None
        )

    def item_vectors(self, codes: torch.Tensor | None) -> torch.Tensor:
        h = self.items.weight
        if self.cond is not None and codes is not None:
            # content moves the item's embedding: it shapes both its concept and its decoder score
            h = h + self.cond.item_term(codes) @ self.cond.dec.weight
        return F.normalize(h, dim=1)

    def forward(self, bag: Bag, out: Candidates | None = None) -> tuple[torch.Tensor, torch.Tensor]:
        """(logits over the vocabulary or ``out.items``, KL term)."""
        codes = None
        if self.cond is not None:
            codes = self.cond.codes(needed(bag, out) if out is not None and self.training else None)
        items = self.item_vectors(codes)
        cores = F.normalize(self.cores.weight, dim=1)
        cat_logits = items @ cores.T / self.tau
        cats = (
            F.gumbel_softmax(cat_logits, tau=1.0, hard=False, dim=1)
            if self.training
            else torch.softmax(cat_logits, dim=1)
        )
        out_items, log_cats = (
            (items, torch.log(cats.clamp_min(1e-12)))
            if out is None
            else (items[out.items], torch.log(cats[out.items].clamp_min(1e-12)))
        )
        w = bag.normalised(self.dropout, self.training)
        per_k, kl = [], torch.zeros((), device=w.device)
        for j in range(self.k):
            wk = w * cats[bag.indices, j]
            h = self.enc_in(bag.indices, bag.offsets, per_sample_weights=wk) + self.enc_bias
            if self.cond is not None and codes is not None:
                h = h + self.cond.summary(bag, wk, codes)
            enc = self.enc_out(torch.tanh(h))
            mu = F.normalize(enc[:, : self.dim], dim=1)
            logvar = -enc[:, self.dim :]
            z = mu
            if self.training:
                z = mu + torch.randn_like(mu) * self.std * torch.exp(0.5 * logvar)
                kl = kl + torch.mean(torch.sum(0.5 * (-logvar + logvar.exp() - 1), dim=1))
            per_k.append(F.normalize(z, dim=1) @ out_items.T / self.tau + log_cats[:, j][None, :])
        return torch.logsumexp(torch.stack(per_k), dim=0), kl

    def loss(self, bag: Bag, target: Bag, beta: float, out: Candidates | None = None) -> torch.Tensor:
        logits, kl = self(bag, out)
        return target.multinomial_nll(logits, out) + beta * kl

    def score(self, bag: Bag) -> torch.Tensor:
        return self(bag)[0]


def sinusoidal(t: torch.Tensor, dim: int) -> torch.Tensor:
    half = dim // 2
    freqs = torch.exp(-math.log(10000.0) * torch.arange(half, device=t.device, dtype=torch.float32) / half)
    args = t.float()[:, None] * freqs[None]
    emb = torch.cat([torch.cos(args), torch.sin(args)], dim=1)
    return F.pad(emb, (0, 1)) if dim % 2 else emb
