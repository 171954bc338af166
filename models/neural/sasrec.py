"""SASRec with full cross-entropy (softmax over every item, not sampled BCE negatives).

Causal self-attention over the last ``max_len`` plays with learned positional embeddings; the
next play is predicted at every position of each training window (``mode = "all"``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from models.neural.recommender import NeuralRecommender
from models.registry import register


@register
class SASRec(NeuralRecommender):
    name = "sasrec"
    description = "Self-attention over your recent plays (SASRec, full cross-entropy)"
    mode: ClassVar[str] = "all"
    defaults: ClassVar[dict[str, Any]] = {"layers": 2, "heads": 2, "dropout": 0.2}

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
            causal=True,
        )
