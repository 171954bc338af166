"""Session-item rows: the "user" of every session-item model here (EASE, BPR-MF, LightGCN, the VAEs).

There is one listener, so a row is not a person but a *listening context*:

- the plays of the current session (the session holding the most recent play; at most ``window`` of
  its latest plays), the latest with weight 1 and each earlier one ``recency`` times the next
  (``recency = 1``: all equal), and
- the plays of the ``context_sessions`` sessions before it (at most ``window`` latest of each), with
  weight ``decay ** k`` for the k-th session back;
- an item's weight is the maximum over its plays (repeats do not pile up); weights under 0.01 are
  dropped.

Training rows are built by ``training_rows`` from the sessions of ``TrainData.session``: one row after
every ``stride`` plays of a session and one at its end (each row is exactly what the scoring state
holds right after that play). At scoring time ``RowState`` rebuilds exactly the same
row from the plays seen so far; sessions there are split where the start-to-start gap exceeds
``gap_s`` (2 h, the default of core/sessions.py — which also subtracts the previous track's length when
known, so the two rules can differ only for gaps within one track length of 2 h).

Items are held in a model-local vocabulary (``Vocab``): the items the model can score (e.g. the items
of the training span, capped by frequency for EASE). Scores for other items are -inf.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.base import TrainData


@dataclass(frozen=True)
class RowSpec:
    window: int = 50
    context_sessions: int = 1
    decay: float = 0.5
    gap_s: int = 7200
    recency: float = 1.0
    stride: int = 25

    @classmethod
    def from_params(cls, params: dict) -> RowSpec:
        return cls(
            int(params.get("window", cls.window)),
            int(params.get("context_sessions", cls.context_sessions)),
            float(params.get("decay", cls.decay)),
            int(params.get("gap_s", cls.gap_s)),
            float(params.get("recency", cls.recency)),
            int(params.get("stride", cls.stride)),
        )


class Vocab:
    """Model-local item indices ``0..V-1`` ↔ dense space indices."""

    def __init__(self, items: np.ndarray, n_space: int):
        self.items = np.asarray(items, dtype=np.int64)  # space index of each vocab entry
        self.pos = np.full(n_space, -1, dtype=np.int64)
        self.pos[self.items] = np.arange(self.items.size)

    def __len__(self) -> int:
        return int(self.items.size)

    @classmethod
    def from_counts(
        cls,
        data: TrainData,
        min_count: int = 1,
        max_items: int | None = None,
        extra: np.ndarray | None = None,
    ) -> Vocab:
        """Items played at least ``min_count`` times in training (the ``max_items`` most played), plus ``extra``."""
        counts = np.bincount(data.items[data.items >= 0], minlength=data.n_items)
        keep = np.flatnonzero(counts >= min_count)
        if max_items is not None and keep.size > max_items:
            order = np.lexsort((keep, -counts[keep]))  # most played first, ties by index (deterministic)
            keep = np.sort(keep[order[:max_items]])
        if extra is not None:
            keep = np.union1d(keep, np.asarray(extra, dtype=np.int64))
        return cls(keep, data.n_items)

    def to_space(self, vocab_scores: np.ndarray, n_space: int) -> np.ndarray:
        """Scatter [B, V] vocab scores into [B, n_space] with -inf outside the vocabulary."""
        vocab_scores = np.atleast_2d(vocab_scores)
        out = np.full((vocab_scores.shape[0], n_space), -np.inf, dtype=np.float32)
        out[:, self.items] = vocab_scores
        return out


@dataclass
class Rows:
    """A sparse batch of rows over the vocabulary (CSR)."""

    indptr: np.ndarray  # int64 [B+1]
    indices: np.ndarray  # int64 [nnz], vocab indices
    weights: np.ndarray  # float32 [nnz]

    def __len__(self) -> int:
        return int(self.indptr.size - 1)

    def take(self, rows: np.ndarray) -> Rows:
        rows = np.asarray(rows, dtype=np.int64)
        starts = self.indptr[rows]
        lens = self.indptr[rows + 1] - starts
        indptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        idx = np.repeat(starts - indptr[:-1], lens) + np.arange(indptr[-1])
        return Rows(indptr, self.indices[idx], self.weights[idx])

    def dense(self, n_cols: int) -> np.ndarray:
        out = np.zeros((len(self), n_cols), dtype=np.float32)
        row_of = np.repeat(np.arange(len(self)), np.diff(self.indptr))
        out[row_of, self.indices] = self.weights
        return out

    def row_ids(self) -> np.ndarray:
        return np.repeat(np.arange(len(self)), np.diff(self.indptr))

    def scipy(self, n_cols: int):
        from scipy.sparse import csr_matrix

        return csr_matrix((self.weights, self.indices, self.indptr), shape=(len(self), n_cols))

    @classmethod
    def stack(cls, rows: list[tuple[np.ndarray, np.ndarray]]) -> Rows:
        lens = np.fromiter((r[0].size for r in rows), dtype=np.int64, count=len(rows))
        indptr = np.concatenate([[0], np.cumsum(lens)]).astype(np.int64)
        if rows and indptr[-1]:
            ind = np.concatenate([r[0] for r in rows]).astype(np.int64)
            w = np.concatenate([r[1] for r in rows]).astype(np.float32)
        else:
            ind, w = np.empty(0, np.int64), np.empty(0, np.float32)
        return cls(indptr, ind, w)


MIN_WEIGHT = 0.01  # plays whose weight falls below this are left out of the row


def _effective_window(spec: RowSpec) -> int:
    if spec.recency >= 1.0 or spec.recency <= 0.0:
        return spec.window
    return max(1, min(spec.window, int(np.floor(np.log(MIN_WEIGHT) / np.log(spec.recency))) + 1))


def make_row(spec: RowSpec, sessions: list[list[int]], vocab: Vocab) -> tuple[np.ndarray, np.ndarray]:
    """(vocab indices, weights) of the row for ``sessions`` (oldest first, the current one last)."""
    weight: dict[int, float] = {}
    n = len(sessions)
    for k in range(min(n, spec.context_sessions + 1)):
        plays = sessions[n - 1 - k]
        pos = vocab.pos
        if k == 0:
            plays = plays[-_effective_window(spec) :]
            ws = (
                spec.recency ** np.arange(len(plays) - 1, -1, -1)
                if spec.recency != 1.0
                else np.ones(len(plays))
            )
        else:
            plays = plays[-spec.window :]
            ws = np.full(len(plays), spec.decay**k)
        for item, w in zip(plays, ws.tolist(), strict=True):
            if item < 0 or w < MIN_WEIGHT:
                continue
            v = int(pos[item])
            if v >= 0 and weight.get(v, 0.0) < w:
                weight[v] = w
    if not weight:
        return np.empty(0, np.int64), np.empty(0, np.float32)
    idx = np.fromiter(weight.keys(), dtype=np.int64, count=len(weight))
    w = np.fromiter(weight.values(), dtype=np.float32, count=len(weight))
    order = np.argsort(idx)
    return idx[order], w[order]


class RowState:
    """Scoring state: the last ``context_sessions + 1`` sessions of the history seen so far."""

    __slots__ = ("sessions", "last_time", "n_plays")

    def __init__(self) -> None:
        self.sessions: list[list[int]] = []
        self.last_time: int | None = None
        self.n_plays = 0

    def copy(self) -> RowState:
        s = RowState()
        s.sessions = [list(x) for x in self.sessions]
        s.last_time, s.n_plays = self.last_time, self.n_plays
        return s

    def push(self, spec: RowSpec, item: int, played_at: int) -> None:
        if self.last_time is None or not self.sessions or played_at - self.last_time > spec.gap_s:
            self.sessions.append([])
            if len(self.sessions) > spec.context_sessions + 1:
                del self.sessions[0]
        cur = self.sessions[-1]
        cur.append(int(item))
        if len(cur) > 2 * spec.window:  # keep the current session bounded; make_row reads the last window
            del cur[: len(cur) - spec.window]
        self.last_time = int(played_at)
        self.n_plays += 1

    @classmethod
    def from_history(cls, spec: RowSpec, items: np.ndarray, played_at: np.ndarray) -> RowState:
        """Only the tail that can matter is walked: the last sessions are found from the gaps."""
        state = cls()
        items = np.asarray(items, dtype=np.int64)
        times = np.asarray(played_at, dtype=np.int64)
        if items.size == 0:
            return state
        breaks = np.flatnonzero(np.diff(times) > spec.gap_s) + 1  # first play of each later session
        first = int(breaks[-(spec.context_sessions + 1)]) if breaks.size > spec.context_sessions else 0
        for item, t in zip(items[first:].tolist(), times[first:].tolist(), strict=True):
            state.push(spec, item, t)
        state.n_plays = int(items.size)
        return state

    @property
    def last(self) -> int:
        """The latest play (dense index, -1 when unknown or no play yet)."""
        return self.sessions[-1][-1] if self.sessions and self.sessions[-1] else -1

    def current_items(self) -> list[int]:
        return self.sessions[-1] if self.sessions else []


@dataclass
class TrainingRows:
    rows: Rows
    owner: np.ndarray  # int64 [n_rows], position of the row's session in ``TrainData.sessions()``
    end: np.ndarray  # int64 [n_rows], index in ``TrainData.items`` of the row's latest play

    def take(self, idx: np.ndarray) -> TrainingRows:
        return TrainingRows(self.rows.take(idx), self.owner[idx], self.end[idx])


def training_rows(
    spec: RowSpec, data: TrainData, vocab: Vocab, sessions: range | None = None
) -> TrainingRows:
    """Rows for the training sessions in ``sessions`` (positions in ``data.sessions()``, default all).

    Each row is what ``RowState`` holds right after a play: after every ``stride`` plays of a session
    and at its end. Context comes from the sessions before, whichever span they are in.
    """
    seqs = data.sessions()
    first = np.concatenate([[0], np.cumsum([len(x) for x in seqs])]).astype(np.int64)
    wanted = range(len(seqs)) if sessions is None else sessions
    stride = max(1, spec.stride)
    out: list[tuple[np.ndarray, np.ndarray]] = []
    owner: list[int] = []
    end: list[int] = []
    for s in wanted:
        seq = seqs[s].tolist()
        ends = list(range(min(stride, len(seq)), len(seq), stride)) + [len(seq)]
        context = [seqs[j].tolist() for j in range(max(0, s - spec.context_sessions), s)]
        for e in ends:
            row = make_row(spec, context + [seq[:e]], vocab)
            if row[0].size:
                out.append(row)
                owner.append(s)
                end.append(int(first[s]) + e - 1)
    return TrainingRows(Rows.stack(out), np.asarray(owner, dtype=np.int64), np.asarray(end, dtype=np.int64))


def next_targets(
    data: TrainData, vocab: Vocab, end: np.ndarray, horizon: int, decay: float, limit: int | None = None
) -> Rows:
    """For each row ending at play ``end[r]``: the next ``horizon`` plays (before ``limit``), the j-th
    weighted ``decay ** j`` (an item's weight is its largest)."""
    limit = data.items.size if limit is None else limit
    out = []
    for e in end.tolist():
        weight: dict[int, float] = {}
        for j, p in enumerate(range(e + 1, min(e + 1 + horizon, limit))):
            item = int(data.items[p])
            v = int(vocab.pos[item]) if item >= 0 else -1
            w = decay**j
            if v >= 0 and weight.get(v, 0.0) < w:
                weight[v] = w
        idx = np.fromiter(weight.keys(), dtype=np.int64, count=len(weight))
        order = np.argsort(idx)
        out.append((idx[order], np.fromiter(weight.values(), dtype=np.float32, count=len(weight))[order]))
    return Rows.stack(out)
