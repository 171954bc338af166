"""Mult-VAE (Liang et al. 2018) over session-item rows, plain and multimodal-conditioned.

A "user" row is a listening context (models/graph/session_rows.py: the current session, latest plays
weighted most, optionally decayed previous sessions). Training rows are the rows the scoring state
holds after every ``stride`` plays of each training session. The encoder reads the L2-normalised row
with entry dropout; the decoder's multinomial over the vocabulary scores every item. KL weight β
rises linearly to ``anneal_cap`` over ``anneal_steps`` updates. At scoring time z = μ.

``multivae_mm`` conditions encoder and decoder on the items' audio / lyrics / tag embeddings through
their masks (models/vae/content.py); its vocabulary also holds items that have features but no
training plays, which it can score through their content alone.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from models.base import ItemFeatures, TrainData
from models.graph.session_rows import Rows, Vocab
from models.graph.torch_base import COMMON_DEFAULTS, TorchRowRecommender
from models.registry import register
from models.vae.content import MODALITIES, gather_content, items_with_content

VAE_DEFAULTS: dict[str, Any] = {
    **COMMON_DEFAULTS,
    "hidden": 300,
    "latent": 100,
    "dropout": 0.5,
    "anneal_cap": 0.2,
    "anneal_steps": 2000,
    "recency": 0.5,
    "context_sessions": 0,
    "stride": 5,
    "code_dim": 32,
    "batch": 128,
    "lr": 2e-3,
}


class _VAEBase(TorchRowRecommender):
    family = "vae"
    multimodal: ClassVar[bool] = False

    def beta(self) -> float:
        return min(
            float(self.params["anneal_cap"]), self._step / max(1.0, float(self.params["anneal_steps"]))
        )

    def _make_vocab(self, data: TrainData, features: ItemFeatures | None) -> Vocab:
        extra = items_with_content(features) if self.multimodal else None
        return Vocab.from_counts(data, max_items=self.params.get("max_items"), extra=extra)

    def _prepare(self, data: TrainData, features: ItemFeatures | None) -> None:
        assert self.vocab is not None
        self._content = gather_content(features, self.vocab) if self.multimodal else {}
        self.params["content_dims"] = {m: int(x.shape[1]) for m, (x, _) in self._content.items()}
        self.params["content_coverage"] = {
            m: round(float(k.mean()), 4) for m, (_, k) in self._content.items()
        }

    def _content_dims(self) -> dict[str, int] | None:
        dims = self.params.get("content_dims") or {}
        return dict(dims) if dims else None

    def _attach_content(self, net) -> None:
        if net.cond is not None and getattr(self, "_content", None):
            net.cond.codes.set_raw(self._content, self.device)

    def _after_fit(self) -> None:
        cond = getattr(self.net, "cond", None)
        if cond is not None:
            cond.codes.freeze()
        self._content = {}

    def _batch_loss(self, inp: Rows, out: Rows):
        from models.graph.bag import Bag

        target = Bag.of(out, self.device)
        return self.net.loss(Bag.of(inp, self.device), target, self.beta(), self._candidates(target))

    def _score_net(self, rows: Rows) -> np.ndarray:
        from models.graph.bag import Bag

        return self.net.score(Bag.of(rows, self.device)).cpu().numpy()


class _MultiVAE(_VAEBase):
    def _init_net(self, data: TrainData) -> None:
        import torch

        if self.pop is not None:  # start from personal popularity: the net need not learn it first
            with torch.no_grad():
                self.net.dec_out.bias.copy_(torch.from_numpy(self.pop))

    defaults: ClassVar[dict[str, Any]] = VAE_DEFAULTS
    fallback_reason = "fits the mix of tracks in this session"

    def _build_net(self):
        from models.vae.nets import MultVAENet

        assert self.vocab is not None
        p = self.params
        net = MultVAENet(
            len(self.vocab),
            int(p["hidden"]),
            int(p["latent"]),
            float(p["dropout"]),
            self._content_dims(),
            int(p["code_dim"]),
        )
        self._attach_content(net)
        return net


@register
class MultiVAE(_MultiVAE):
    name = "multivae"
    description = "Mult-VAE over listening sessions (Liang et al. 2018)"


@register
class MultiVAEMM(_MultiVAE):
    name = "multivae_mm"
    description = "Mult-VAE over listening sessions, conditioned on audio, lyrics and tag features"
    uses_modalities = MODALITIES
    multimodal = True
