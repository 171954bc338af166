"""GRU4Rec: a GRU over the recent plays, full softmax (cross-entropy over every item).

Training (documented choice): instead of session-parallel mini-batches, one listener's history is
cut into windows of ``max_len`` plays (offsets shift each epoch) and the GRU predicts the next play
at every position, starting from a zero state at each window. Scoring feeds the last ``max_len``
plays, so training and scoring see the same kind of input; sessions are not reset inside a window
(the history the evaluation hands over is continuous too).
"""

from __future__ import annotations

from typing import Any, ClassVar

from models.neural.recommender import NeuralRecommender
from models.registry import register


@register
class GRU4Rec(NeuralRecommender):
    name = "gru4rec"
    description = "GRU over your recent plays (GRU4Rec, full softmax)"
    mode: ClassVar[str] = "all"
    defaults: ClassVar[dict[str, Any]] = {"hidden": 100, "layers": 1, "dropout": 0.25}

    def build_net(self, n_items: int):
        from models.neural.nets.sequential import GRU4RecNet

        p = self.params
        return GRU4RecNet(n_items, int(p["dim"]), int(p["hidden"]), float(p["dropout"]), int(p["layers"]))
