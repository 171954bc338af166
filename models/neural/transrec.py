"""TransRec (translation-based sequential recommendation) adapted to a single listener.

TransRec models the next item as the previous item translated by a user vector. With one user,
the user vector would be a constant, so it is replaced by a context translation: a global vector
plus the mean of learned per-item translation vectors over the last ``context`` plays (a
session-level translation; see ``nets/sequential.py``). Trained with full cross-entropy at every
position of each window (``mode = "all"``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from models.neural.recommender import NeuralRecommender
from models.registry import register


@register
class TransRec(NeuralRecommender):
    name = "transrec"
    description = "Translation-based next-track model (TransRec with a context translation)"
    mode: ClassVar[str] = "all"
    defaults: ClassVar[dict[str, Any]] = {"context": 10, "max_len": 50}

    def build_net(self, n_items: int):
        from models.neural.nets.sequential import TransRecNet

        p = self.params
        return TransRecNet(n_items, int(p["dim"]), int(p["context"]))
