"""What every session-item model here shares: the row state, batched scoring, reasons, persistence.

Subclasses implement ``fit`` (building ``self.vocab`` and calling ``_remember_sessions``) and
``_score_rows(rows) -> float32 [B, V]`` over the model's vocabulary; everything else is here.
Scores outside the vocabulary are -inf. Reasons name tracks as ``{track:<dense index>}`` (rendered
with names by models/serving/reasons.py) and never speak of "other listeners": there is one listener. A tiny personal-popularity term (1e-6 × log plays) only
breaks exact ties (e.g. an empty row), it never reorders distinct scores of a trained model.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from models.base import ModelError, Recommender, TrainData
from models.graph.session_rows import Rows, RowSpec, RowState, Vocab, make_row

TIE_BREAK = 1e-6


class SessionItemRecommender(Recommender):
    defaults: ClassVar[dict[str, Any]] = {}
    batch_size: ClassVar[int] = 256  # the harness batches snapshots through score_batch
    fallback_reason: ClassVar[str] = "fits the mix of this session"

    def __init__(self, **params: Any):
        super().__init__(**{**RowSpec().__dict__, **self.defaults, **params})
        self.spec = RowSpec.from_params(self.params)
        self.vocab: Vocab | None = None
        self.pop: np.ndarray | None = None  # log1p training plays per vocab item
        self._item_sessions: tuple[np.ndarray, np.ndarray] | None = None  # CSR vocab item -> sessions

    # -- helpers for fit ------------------------------------------------------------------------
    def _check_data(self, data: TrainData) -> None:
        if data.items.size == 0 or not (data.items >= 0).any():
            raise ModelError(f"{self.name}: no plays to learn from; import or sync some listening first")
        self.space = data.space

    def _remember_sessions(self, data: TrainData) -> None:
        """Popularity and the item → session index behind the reasons."""
        assert self.vocab is not None
        counts = np.bincount(data.items[data.items >= 0], minlength=data.n_items)
        self.pop = np.log1p(counts[self.vocab.items]).astype(np.float32)
        per_session = []
        for seq in data.sessions():
            v = np.unique(self.vocab.pos[seq[seq >= 0]])
            v = v[v >= 0]
            per_session.append((v, np.ones(v.size, np.float32)))
        csc = Rows.stack(per_session).scipy(len(self.vocab)).tocsc()
        self._item_sessions = (csc.indptr.astype(np.int64), csc.indices.astype(np.int64))

    # -- scoring ---------------------------------------------------------------------------------
    def start(self, items: np.ndarray, played_at: np.ndarray) -> RowState:
        return RowState.from_history(self.spec, np.asarray(items), np.asarray(played_at))

    def observe(self, state: RowState, item: int, played_at: int) -> RowState:
        state.push(self.spec, int(item), int(played_at))
        return state

    def snapshot(self, state: RowState) -> RowState:
        return state.copy()

    def _rows(self, states: Sequence[RowState]) -> Rows:
        assert self.vocab is not None, "fit or load the model first"
        return Rows.stack([make_row(self.spec, s.sessions, self.vocab) for s in states])

    def _score_rows(self, rows: Rows) -> np.ndarray:
        raise NotImplementedError

    def score_vocab(self, rows: Rows) -> np.ndarray:
        out = np.asarray(self._score_rows(rows), dtype=np.float32)
        assert self.pop is not None
        return out + TIE_BREAK * self.pop[None, :]

    def scores(self, state: RowState) -> np.ndarray:
        return self.score_batch([state])[0]

    def score_batch(self, states: Sequence[RowState]) -> np.ndarray:
        assert self.space is not None and self.vocab is not None, "fit or load the model first"
        out = np.empty((len(states), len(self.space)), dtype=np.float32)
        for b in range(0, len(states), 128):  # bounded memory: MacridVAE holds K logits per chunk
            chunk = states[b : b + 128]
            out[b : b + len(chunk)] = self.vocab.to_space(
                self.score_vocab(self._rows(chunk)), len(self.space)
            )
        return out

    # -- reasons ---------------------------------------------------------------------------------
    def _co_session(self, item: int, others: list[int]) -> tuple[int, int]:
        """(space index of the row item sharing most training sessions with ``item``, how many)."""
        assert self.vocab is not None
        if self._item_sessions is None:
            return -1, 0
        indptr, indices = self._item_sessions
        v = int(self.vocab.pos[item])
        if v < 0:
            return -1, 0
        mine = indices[indptr[v] : indptr[v + 1]]
        best, best_n = -1, 0
        for o in dict.fromkeys(others):
            u = int(self.vocab.pos[o]) if o >= 0 else -1
            if u < 0 or o == item:
                continue
            n = int(np.intersect1d(mine, indices[indptr[u] : indptr[u + 1]], assume_unique=True).size)
            if n > best_n:
                best, best_n = o, n
        return best, best_n

    def reason(self, state: RowState, item: int) -> str:
        current = state.current_items()
        recent = [i for s in state.sessions for i in s]
        other, n = self._co_session(item, recent[::-1])
        if n >= 2:  # {track:i} is rendered as the track's name by models/serving/reasons.py
            return f"often in the same sessions as {{track:{other}}} ({n} of your sessions)"
        if item in current:
            return "you played it earlier in this session"
        if item in recent:
            return "you played it in your previous session"
        return self.fallback_reason

    # -- persistence -----------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        assert self.vocab is not None and self.pop is not None and self._item_sessions is not None
        return {
            "vocab": self.vocab.items,
            "pop": self.pop,
            "item_sessions.indptr": self._item_sessions[0],
            "item_sessions.indices": self._item_sessions[1],
            **self._arrays(),
        }

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        assert self.space is not None
        self.vocab = Vocab(arrays["vocab"], len(self.space))
        self.pop = arrays["pop"]
        self._item_sessions = (arrays["item_sessions.indptr"], arrays["item_sessions.indices"])
        self._load_arrays(arrays)

    def _arrays(self) -> dict[str, np.ndarray]:
        return {}

    def _load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        pass
