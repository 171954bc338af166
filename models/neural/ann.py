"""The attentive network (BiGRU + additive attention, full softmax) and its variants.

- ``ann``: random item embeddings;
- ``annw``: item embeddings initialised from gensim Word2Vec (CBOW) over the training sessions;
- ``ann_lsa``: initialised from an LSA of the TF-IDF item × session matrix;
- ``ann_mm``: multimodal fusion — extra context vectors over the acoustic, lyrics and tag features,
  each with a learned missing-modality vector and a gate (see ``nets/attentive.py``).

Each example is the ``max_len`` plays before a target (``mode = "last"``): a BiGRU may look both
ways inside the window, so it predicts only the play after it.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from models.base import ItemFeatures, TrainData
from models.neural.init import lsa_init, training_sessions, word2vec_init
from models.neural.multimodal import MODAL_DEFAULTS, MultimodalMixin
from models.neural.recommender import NeuralRecommender
from models.registry import register


class AttentiveRecommender(NeuralRecommender):
    mode: ClassVar[str] = "last"
    init_kind: ClassVar[str] = "random"  # random | w2v | lsa
    # a BiGRU pass per target is the costly part: shorter windows and larger batches keep it in budget
    defaults: ClassVar[dict[str, Any]] = {"hidden": 64, "batch_size": 128, "max_len": 20}

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._init: np.ndarray | None = None

    def prepare(self, data: TrainData, features: ItemFeatures | None, cut: int) -> None:
        from models.neural.nets.common import INIT_STD

        self._init = None
        dim, n = int(self.params["dim"]), len(data.space)
        if self.init_kind == "w2v":
            self._init, has = word2vec_init(training_sessions(data, cut), n, dim, data.seed, INIT_STD)
        elif self.init_kind == "lsa":
            self._init, has = lsa_init(training_sessions(data, cut), n, dim, data.seed, INIT_STD)
        else:
            return
        self.fit_info["init_coverage"] = float(has.mean())

    def build_net(self, n_items: int):
        from models.neural.nets.attentive import AttentiveNet

        p = self.params
        return AttentiveNet(n_items, int(p["dim"]), int(p["hidden"]), float(p["dropout"]))

    def init_net(self, net) -> None:
        if self._init is not None:
            net.items.set_item_init(self._init)


@register
class ANN(AttentiveRecommender):
    name = "ann"
    description = "Attentive BiGRU network over your recent plays (random item embeddings)"


@register
class ANNW(AttentiveRecommender):
    name = "annw"
    description = "Attentive BiGRU network, item embeddings initialised by Word2Vec on your sessions"
    init_kind = "w2v"


@register
class ANNLSA(AttentiveRecommender):
    name = "ann_lsa"
    description = "Attentive BiGRU network, item embeddings initialised by LSA of your sessions"
    init_kind = "lsa"


@register
class ANNMultimodal(MultimodalMixin, AttentiveRecommender):
    name = "ann_mm"
    description = "Attentive BiGRU network fused with acoustic, lyrics and tag context vectors"
    uses_modalities = ("audio", "lyrics", "tags")
    defaults = {**AttentiveRecommender.defaults, **MODAL_DEFAULTS, "modal_deep": False}

    def prepare(self, data: TrainData, features: ItemFeatures | None, cut: int) -> None:
        super().prepare(data, features, cut)
        mods = self.prepare_features(features, len(data.space))
        self.fit_info["modal_coverage"] = {m.name: float(m.mask.mean()) for m in mods}

    def build_net(self, n_items: int):
        from models.neural.nets.attentive import AttentiveNet

        p = self.params
        return AttentiveNet(
            n_items,
            int(p["dim"]),
            int(p["hidden"]),
            float(p["dropout"]),
            modal=self.modal_bank(n_items, bool(p["modal_deep"])),
        )

    def init_net(self, net) -> None:
        super().init_net(net)
        self.fill_bank(net)
