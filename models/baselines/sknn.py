"""Session kNN over the listener's own past sessions: SKNN and V-SKNN (Ludewig & Jannach 2018).

The query is the current session (its last ``max_query`` plays). Candidate neighbours are the most
recent ``sample`` past sessions sharing a track with it; the ``k`` most similar vote for their
tracks with their similarity. SKNN uses cosine similarity of binary track sets; V-SKNN weights the
query's tracks linearly by position (latest = 1) and sums the weights of shared tracks. Sessions
that end during the walk join the neighbour pool (counting the history, not retraining).
"""

from __future__ import annotations

import numpy as np

from models.baselines.common import CountingRecommender, SeqState
from models.baselines.counting import session_ids
from models.registry import register


class SessionIndex:
    """Past sessions as item arrays, and item → session ids (bulk CSR part + online lists)."""

    def __init__(self, n_items: int):
        self.n_items = n_items
        self.sessions: list[np.ndarray] = []
        self.lengths = np.zeros(0)
        self.indptr = np.zeros(n_items + 1, np.int64)
        self.sids = np.empty(0, np.int64)
        self.extra: dict[int, list[int]] = {}

    def init(self, items: np.ndarray, sess: np.ndarray) -> SessionIndex:
        ok = items >= 0
        items, sess = items[ok], sess[ok]
        if items.size:
            _, sess = np.unique(sess, return_inverse=True)
            cuts = np.flatnonzero(np.diff(sess)) + 1
            self.sessions = [np.unique(s) for s in np.split(items, cuts)]
        self.lengths = np.array([s.size for s in self.sessions], dtype=np.float64)
        if self.sessions:
            flat = np.concatenate(self.sessions)
            owner = np.repeat(np.arange(len(self.sessions)), [s.size for s in self.sessions])
            order = np.argsort(flat, kind="stable")  # sessions stay in time order within an item
            self.sids = owner[order]
            self.indptr = np.concatenate([[0], np.cumsum(np.bincount(flat, minlength=self.n_items))])
        return self

    def add(self, items: list[int]) -> None:
        uniq = np.unique(np.asarray([i for i in items if i >= 0], np.int64))
        if uniq.size == 0:
            return
        sid = len(self.sessions)
        self.sessions.append(uniq)
        self.lengths = np.append(self.lengths, uniq.size)
        for i in uniq.tolist():
            self.extra.setdefault(i, []).append(sid)

    def grow(self, n_items: int) -> None:
        if n_items > self.n_items:
            self.indptr = np.concatenate([self.indptr, np.full(n_items - self.n_items, self.indptr[-1])])
            self.n_items = n_items

    def containing(self, item: int) -> np.ndarray:
        if item < 0 or item >= self.n_items:
            return np.empty(0, np.int64)
        base = self.sids[self.indptr[item] : self.indptr[item + 1]]
        more = self.extra.get(item)
        return np.concatenate([base, np.asarray(more, np.int64)]) if more else base


def neighbours(
    index: SessionIndex, query: list[int], k: int = 100, sample: int = 500, weighted: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """(session ids, similarities) of the ``k`` past sessions most like ``query`` (item list, oldest
    first). Weighted (V-SKNN): linear position weights, latest = 1; else cosine of binary sets."""
    q = [i for i in query if i >= 0]
    if not q or not index.sessions:
        return np.empty(0, np.int64), np.empty(0)
    weights: dict[int, float] = {}
    for pos, item in enumerate(q, 1):  # later occurrences overwrite: latest position counts
        weights[item] = pos / len(q) if weighted else 1.0
    q_items = np.fromiter(weights.keys(), np.int64, len(weights))
    q_w = np.fromiter(weights.values(), float, len(weights))
    lists = [index.containing(int(i)) for i in q_items]
    sids = np.concatenate(lists)
    if sids.size == 0:
        return np.empty(0, np.int64), np.empty(0)
    overlap = np.bincount(
        sids, weights=np.repeat(q_w, [x.size for x in lists]), minlength=len(index.sessions)
    )
    cand = np.flatnonzero(overlap)[-sample:]  # the most recent sharing sessions
    sim = overlap[cand]
    if not weighted:
        sim = sim / np.sqrt(index.lengths[cand] * q_items.size)
    k = min(k, cand.size)
    top = np.argpartition(-sim, k - 1)[:k]
    return cand[top], sim[top]


class _SessionKNN(CountingRecommender):
    weighted = False

    def __init__(self, k: int = 100, sample: int = 500, max_query: int = 20, **params):
        super().__init__(k=k, sample=sample, max_query=max_query, **params)

    def init_counts(self, state: SeqState, items: np.ndarray, times: np.ndarray) -> None:
        sess = session_ids(times, self.params["gap_s"])
        done = sess < sess[-1] if sess.size else np.zeros(0, bool)  # the current session is the query
        state.extra["index"] = SessionIndex(self.n_items).init(items[done], sess[done])
        state.extra["prev_start"] = state.session_start

    def add_play(self, state: SeqState, item: int, played_at: int, new_session: bool) -> None:
        if new_session:  # the previous session is complete: it becomes a neighbour candidate
            state.extra["index"].add(state.items[state.extra["prev_start"] : state.session_start])
        state.extra["prev_start"] = state.session_start

    def neighbours(self, state: SeqState) -> tuple[np.ndarray, np.ndarray]:
        p = self.params
        return neighbours(
            state.extra["index"], state.session[-p["max_query"] :], p["k"], p["sample"], self.weighted
        )

    def scores(self, state: SeqState) -> np.ndarray:
        out = np.zeros(self.n_items)
        sids, sim = self.neighbours(state)
        if sids.size:
            sessions = state.extra["index"].sessions
            members = [sessions[s] for s in sids.tolist()]
            np.add.at(out, np.concatenate(members), np.repeat(sim, [m.size for m in members]))
        return out

    def reason(self, state: SeqState, item: int) -> str:
        return "played in your past sessions that resemble this one"


@register
class SKNN(_SessionKNN):
    name = "sknn"
    description = "session kNN: tracks from your past sessions most like the current one"


@register
class VSKNN(_SessionKNN):
    name = "vsknn"
    description = "session kNN weighting the latest tracks of the current session most"
    weighted = True
