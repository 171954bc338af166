"""EASE (Steck 2019): a closed-form item-item model over the session-item rows.

B = I − P · diag(1 / diag(P)) with P = (XᵀX + λI)⁻¹ and diag(B) = 0; a row x scores items by xB.
X holds the rows of ``session_rows`` (current session + decayed previous session).

Item cap: the inverse is cubic in the item count and B is dense, so only the ``max_items`` most
played items of the training span (3,000 by default: ~36 MB for B, a few seconds to invert on 2 CPU
cores) are in the vocabulary; rarer items are not scored (-inf). λ is chosen from ``lambdas`` on the
validation sessions (end of the training span), then B is refit on every training row.
"""

from __future__ import annotations

import time
from typing import Any, ClassVar

import numpy as np

from core.jobs import CancelToken, Progress
from models.base import ItemFeatures, ProgressFn, TrainData
from models.graph.base import SessionItemRecommender
from models.graph.session_rows import Rows, Vocab, training_rows
from models.graph.validation import Validation
from models.registry import register


def ease_weights(rows: Rows, n_items: int, lam: float) -> np.ndarray:
    x = rows.scipy(n_items)
    gram = (x.T @ x).toarray().astype(np.float64)
    gram[np.diag_indices_from(gram)] += lam
    p = np.linalg.inv(gram)
    b = p / (-np.diag(p))[None, :]
    b[np.diag_indices_from(b)] = 0.0
    return b.astype(np.float32)


@register
class EASE(SessionItemRecommender):
    name = "ease"
    family = "baseline"
    description = "EASE closed-form item-item model over listening sessions (Steck 2019)"
    defaults: ClassVar[dict[str, Any]] = {
        "max_items": 3000,
        "lambdas": [20.0, 100.0, 500.0, 2000.0],
        "recency": 0.5,
        "context_sessions": 0,
        "stride": 5,
    }
    fallback_reason = "goes with the tracks of this session"

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.b: np.ndarray | None = None

    def fit(
        self,
        data: TrainData,
        features: ItemFeatures | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        cancel = cancel or CancelToken()
        t0 = time.perf_counter()
        self._check_data(data)
        self.vocab = Vocab.from_counts(data, max_items=int(self.params["max_items"]))
        val = Validation(self.spec, data, self.vocab, seed=data.seed)
        lambdas = [float(x) for x in self.params["lambdas"]]
        steps = (len(lambdas) if val.active and len(lambdas) > 1 else 0) + 1
        n_v = len(self.vocab)
        best_lam, best, tried = lambdas[len(lambdas) // 2], -1.0, {}
        if steps > 1:
            train_rows = training_rows(self.spec, data, self.vocab, val.train_sessions).rows
            for i, lam in enumerate(lambdas):
                cancel.raise_if_cancelled()
                b = ease_weights(train_rows, n_v, lam)
                ndcg = val.evaluate(lambda r, b=b: r.scipy(n_v) @ b)["ndcg"]
                tried[str(lam)] = round(ndcg, 5)
                if ndcg > best:
                    best, best_lam = ndcg, lam
                if progress:
                    progress(Progress(i + 1, steps, f"{self.name}: λ={lam:g}, validation NDCG@10 {ndcg:.4f}"))
        cancel.raise_if_cancelled()
        self._remember_sessions(data)
        rows = training_rows(self.spec, data, self.vocab).rows
        self.b = ease_weights(rows, n_v, best_lam)
        self.params.update(
            {
                "lambda": best_lam,
                "validation": tried,
                "n_vocab": n_v,
                "fit_seconds": round(time.perf_counter() - t0, 1),
            }
        )
        if progress:
            progress(Progress(steps, steps, f"{self.name}: fitted {n_v} items with λ={best_lam:g}"))

    def _score_rows(self, rows: Rows) -> np.ndarray:
        assert self.b is not None and self.vocab is not None
        return np.asarray(rows.scipy(len(self.vocab)) @ self.b)

    def _arrays(self) -> dict[str, np.ndarray]:
        assert self.b is not None
        return {"b": self.b}

    def _load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.b = arrays["b"]
