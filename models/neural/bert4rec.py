"""BERT4Rec (masked-item bidirectional transformer) with multimodal item-embedding initialisation.

Training masks random plays of each window (and, with ``mask_last_prob``, only the last play, the
situation at prediction time); scoring appends a mask token after the last ``max_len - 1`` plays.

Variants (param ``mm_init``):
- ``bert4rec`` (``none``): random item embeddings;
- ``bert4rec_mm_concat``: embeddings start as per-modality PCA blocks side by side;
- ``bert4rec_mm_pca``: embeddings start as a joint PCA of the concatenated modalities;
- ``bert4rec_mm_towers``: a learned id embedding plus one tower per modality over the item's
  features (a learned "missing" vector where it has none), trained end to end and kept for scoring
  — the only variant where features still act after training (and can score unplayed items).
Items without features start from (or stay with) a random learned embedding: the mask decides.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from models.base import ItemFeatures, TrainData
from models.neural.modal import multimodal_init
from models.neural.multimodal import MODAL_DEFAULTS, MultimodalMixin
from models.neural.recommender import NeuralRecommender
from models.neural.sequences import left_pad
from models.registry import register


class BERT4RecBase(MultimodalMixin, NeuralRecommender):
    mode: ClassVar[str] = "masked"
    mm_init: ClassVar[str] = "none"  # none | concat | pca | towers
    uses_modalities = ("audio", "lyrics", "tags")
    defaults: ClassVar[dict[str, Any]] = {
        # A cloze model learns next-item prediction slowly: validation NDCG@10 sat near zero for 15-30 epochs
        # and then climbed for 60-100 (aleex-cs, djivs); stopping on the early plateau left it untrained.
        **MODAL_DEFAULTS,
        "layers": 2,
        "heads": 2,
        "batch_size": 16,
        "dropout": 0.2,
        "lr": 3e-3,
        "min_epochs": 40,
        "mask_prob": 0.2,
        "mask_last_prob": 0.25,
        "mask_copies": 4,
    }

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._init: np.ndarray | None = None
        self._mods = []

    @property
    def mask_token(self) -> int:
        return self.n_trained + 1

    def tokens(self, windows: Sequence[np.ndarray]) -> np.ndarray:
        return left_pad(self.known(windows), self.max_len, extra=self.mask_token)

    def prepare(self, data: TrainData, features: ItemFeatures | None, cut: int) -> None:
        from models.neural.nets.common import INIT_STD

        self._init = None
        if self.mm_init == "none":
            self._mods = []
            self.params["modal_dims"] = []
            return
        n = len(data.space)
        mods = self.prepare_features(features, n)
        self.fit_info["modal_coverage"] = {m.name: float(m.mask.mean()) for m in mods}
        if self.mm_init == "towers":
            return
        # init only: the towers are not kept, so nothing about the features is saved with the model
        self.params["modal_dims"] = []
        if mods:
            rng = np.random.default_rng(data.seed)
            self._init, has = multimodal_init(mods, n, int(self.params["dim"]), self.mm_init, rng, INIT_STD)
            self.fit_info["init_coverage"] = float(has.mean())

    def build_net(self, n_items: int):
        from models.neural.nets.sequential import TransformerNet

        p = self.params
        return TransformerNet(
            n_items,
            int(p["dim"]),
            self.max_len,
            int(p["layers"]),
            int(p["heads"]),
            float(p["dropout"]),
            causal=False,
            modal=self.modal_bank(n_items, deep=True),
        )

    def init_net(self, net) -> None:
        if self._init is not None:
            net.items.set_item_init(self._init)
        self.fill_bank(net)


@register
class BERT4Rec(BERT4RecBase):
    name = "bert4rec"
    description = "Masked-item transformer over your recent plays (BERT4Rec)"
    uses_modalities = ()


@register
class BERT4RecConcat(BERT4RecBase):
    name = "bert4rec_mm_concat"
    description = "BERT4Rec, item embeddings initialised from concatenated audio/lyrics/tag features"
    mm_init = "concat"


@register
class BERT4RecPCA(BERT4RecBase):
    name = "bert4rec_mm_pca"
    description = "BERT4Rec, item embeddings initialised from a joint PCA of audio/lyrics/tag features"
    mm_init = "pca"


@register
class BERT4RecTowers(BERT4RecBase):
    name = "bert4rec_mm_towers"
    description = "BERT4Rec with per-modality feature towers added to the item embeddings"
    mm_init = "towers"
