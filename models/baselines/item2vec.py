"""item2vec: gensim Word2Vec (CBOW) over training sessions; tracks close to the recent ones score high.

Seeded runs use one worker thread so the same seed gives the same vectors. Tracks first heard after
training have no vector and cannot be scored (-inf): this is an ID-only model. Vector size, window,
epochs and how many recent plays form the query are chosen on the validation span (``GRID``): small
histories need many more epochs than gensim's default.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.jobs import Cancelled, CancelToken, Progress
from models.base import ItemFeatures, ProgressFn, Recommender, TrainData
from models.evaluation.harness import rank_targets
from models.evaluation.metrics import ndcg
from models.evaluation.splits import validation_split
from models.registry import register

GRID = (
    {"dim": 64, "window": 3, "epochs": 30, "context": 1},
    {"dim": 128, "window": 10, "epochs": 20, "context": 1},
    {"dim": 128, "window": 10, "epochs": 20, "context": 3},
    {"dim": 64, "window": 5, "epochs": 10, "context": 5},
)
MIN_VALIDATION = 30


@register
class Item2Vec(Recommender):
    name = "item2vec"
    description = "tracks that appear in the same contexts as your latest ones (Word2Vec CBOW)"
    family = "baseline"

    def __init__(
        self,
        dim: int = 128,
        window: int = 10,
        epochs: int = 20,
        negative: int = 10,
        context: int = 1,
        seed: int = 0,
        tune: bool = True,
        **params: Any,
    ):
        super().__init__(
            dim=dim,
            window=window,
            epochs=epochs,
            negative=negative,
            context=context,
            seed=seed,
            tune=tune,
            **params,
        )
        self.vectors = np.zeros((0, dim), np.float32)
        self.known = np.zeros(0, bool)

    def fit(
        self,
        data: TrainData,
        features: ItemFeatures | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self.space = data.space
        self.params["seed"] = int(data.seed)
        if self.params["tune"]:
            self._tune(data, progress, cancel)
        self._train(data, progress, cancel)

    def _tune(self, data: TrainData, progress: ProgressFn | None, cancel: CancelToken | None) -> None:
        split = validation_split(len(data.items))
        if split.n_targets < MIN_VALIDATION:
            return
        best, best_score = None, -1.0
        for n, point in enumerate(GRID, 1):
            probe = Item2Vec(**{**self.params, **point, "tune": False})
            probe.fit(data.head(split.start), cancel=cancel)
            score = (
                ndcg(rank_targets(probe, data.items, data.played_at, split.start, cancel=cancel).ranks) or 0.0
            )
            if score > best_score:
                best, best_score = point, score
            if progress is not None:
                progress(Progress(n, len(GRID), f"tuning item2vec: {point} -> NDCG@10 {score:.4f}"))
        if best:
            self.params.update(best)

    def _train(self, data: TrainData, progress: ProgressFn | None, cancel: CancelToken | None) -> None:
        from gensim.models import Word2Vec
        from gensim.models.callbacks import CallbackAny2Vec

        p = self.params
        sentences = [[str(i) for i in s.tolist() if i >= 0] for s in data.sessions()]
        sentences = [s for s in sentences if s]
        self.vectors = np.zeros((len(self.space), p["dim"]), np.float32)
        self.known = np.zeros(len(self.space), bool)
        if not sentences:
            return

        class Epochs(CallbackAny2Vec):
            def __init__(self) -> None:
                self.n = 0

            def on_epoch_end(self, model) -> None:
                self.n += 1
                if progress is not None:
                    progress(Progress(self.n, p["epochs"], f"item2vec epoch {self.n}/{p['epochs']}"))
                if cancel is not None and cancel.cancelled:
                    raise Cancelled()

        w2v = Word2Vec(
            sentences,
            vector_size=p["dim"],
            window=p["window"],
            min_count=1,
            sg=0,
            negative=p["negative"],
            epochs=p["epochs"],
            seed=p["seed"] + 1,
            workers=1,
            callbacks=[Epochs()],
        )
        keys = np.asarray([int(k) for k in w2v.wv.index_to_key], np.int64)
        vec = w2v.wv.vectors.astype(np.float32)
        vec /= np.maximum(np.linalg.norm(vec, axis=1, keepdims=True), 1e-9)
        self.vectors[keys] = vec
        self.known[keys] = True

    def scores(self, state: Any) -> np.ndarray:
        recent = [
            i for i in state["items"][-self.params["context"] :] if 0 <= i < self.known.size and self.known[i]
        ]
        out = np.full(len(self.space), -np.inf, dtype=np.float64)
        if not recent:
            out[self.known] = 0.0
            return out
        weights = np.arange(1, len(recent) + 1, dtype=np.float32)  # latest counts most
        query = weights @ self.vectors[recent]
        idx, mat = self._known_matrix()
        out[idx] = np.einsum("ij,j->i", mat, query)  # not BLAS: its threads thrash on a busy 2-core box
        return out

    def _known_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """Indices and vectors of the items with a vector (cached: copying them per call is the cost)."""
        cached = getattr(self, "_known_cache", None)
        if cached is None or cached[1].shape[0] != int(self.known.sum()):
            idx = np.flatnonzero(self.known)
            cached = (idx, np.ascontiguousarray(self.vectors[idx]))
            self._known_cache = cached
        return cached

    def reason(self, state: Any, item: int) -> str:
        return f"sounds like a fit after {{track:{state['items'][-1]}}} in your listening"

    def arrays(self) -> dict[str, np.ndarray]:
        return {"vectors": self.vectors, "known": self.known.astype(np.uint8)}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.vectors = arrays["vectors"]
        self.known = arrays["known"].astype(bool)
