"""Numpy side of the sequence models: scoring states, training examples, validation split, metrics.

Token convention shared by every network here: 0 is padding, item ``i`` is token ``i + 1`` and
(BERT4Rec only) ``n_items + 1`` is the mask token. Windows are left-padded so the most recent play
is always the last position.

A single listener's history is one long sequence, so training examples are cut from it directly
(crossing session boundaries, as the evaluation history does):
- ``last``: one example per target ``t``: the ``L`` plays before ``t`` → ``t`` (attentive network);
- ``all``: chunks of ``L`` plays, predicting the next play at every position (GRU4Rec, SASRec,
  TransRec) — chunk offsets move each epoch so every play is a target at several context lengths;
- ``masked``: chunks of ``L`` plays with random positions masked (BERT4Rec).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

IGNORE = -100  # target value cross-entropy ignores


@dataclass(frozen=True)
class SeqState:
    """The last ``max_len`` known plays (dense indices) — all a window model needs to score.

    Immutable: ``observe`` returns a new state, so callers may keep snapshots of earlier states.
    """

    items: np.ndarray  # int64, oldest first

    def push(self, item: int, max_len: int) -> SeqState:
        if item < 0:  # a track unknown to the item space carries no signal for an ID model
            return self
        return SeqState(np.append(self.items[-(max_len - 1) :] if max_len > 1 else self.items[:0], item))


def make_state(items: np.ndarray, max_len: int) -> SeqState:
    items = np.asarray(items, dtype=np.int64)
    return SeqState(items[items >= 0][-max_len:].copy())


def left_pad(windows: list[np.ndarray], length: int, extra: int | None = None) -> np.ndarray:
    """Token matrix [len(windows), length]: items shifted by one, left-padded with 0.

    ``extra`` (a token) is appended after each window, which then keeps its last ``length - 1`` items.
    """
    out = np.zeros((len(windows), length), dtype=np.int64)
    keep = length if extra is None else length - 1
    for r, w in enumerate(windows):
        w = w[-keep:] if keep > 0 else w[:0]
        if extra is None:
            if w.size:
                out[r, length - w.size :] = w + 1
        else:
            out[r, length - 1] = extra
            if w.size:
                out[r, length - 1 - w.size : length - 1] = w + 1
    return out


def windows_before(seq: np.ndarray, targets: np.ndarray, length: int) -> np.ndarray:
    """Left-padded tokens of the ``length`` plays before each target position [len(targets), length]."""
    idx = targets[:, None] - length + np.arange(length)[None, :]
    tok = np.where(idx >= 0, seq[np.clip(idx, 0, None)] + 1, 0)
    return tok.astype(np.int64)


def chunk_ends(lo: int, hi: int, length: int, rng: np.random.Generator) -> np.ndarray:
    """Last positions of chunks covering targets ``lo..hi-1``, shifted by a random offset."""
    if hi - lo <= 0:
        return np.empty(0, dtype=np.int64)
    off = int(rng.integers(0, length))
    ends = np.arange(hi - 1 - off, lo - 1, -length)
    return np.unique(np.concatenate([[hi - 1], ends])).astype(np.int64)


def next_item_chunks(
    seq: np.ndarray, ends: np.ndarray, length: int, lo: int
) -> tuple[np.ndarray, np.ndarray]:
    """Inputs [n, L] and next-item targets [n, L] (IGNORE outside ``lo..end``) for chunks ending at ``ends``.

    Chunk ``e`` feeds plays ``e-L .. e-1`` and predicts ``e-L+1 .. e``.
    """
    idx = ends[:, None] - length + np.arange(length)[None, :]  # input positions
    inputs = np.where(idx >= 0, seq[np.clip(idx, 0, None)] + 1, 0)
    tgt_pos = idx + 1
    targets = np.where((tgt_pos >= max(lo, 1)) & (idx >= 0), seq[np.clip(tgt_pos, 0, len(seq) - 1)], IGNORE)
    return inputs.astype(np.int64), targets.astype(np.int64)


def masked_chunks(
    seq: np.ndarray,
    ends: np.ndarray,
    length: int,
    lo: int,
    mask_token: int,
    prob: float,
    last_prob: float,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Cloze examples: chunks ``e-L+1 .. e`` with positions ``>= lo`` masked at random.

    With probability ``last_prob`` a chunk masks only its last play (the situation at prediction
    time); every chunk masks at least one play.
    """
    idx = ends[:, None] - length + 1 + np.arange(length)[None, :]
    valid = idx >= 0
    tokens = np.where(valid, seq[np.clip(idx, 0, None)] + 1, 0)
    maskable = valid & (idx >= lo)
    chosen = (rng.random(tokens.shape) < prob) & maskable
    only_last = rng.random(len(ends)) < last_prob
    chosen[only_last] = False
    chosen[only_last, -1] = maskable[only_last, -1]
    none = ~chosen.any(axis=1)
    chosen[none, -1] = maskable[none, -1]
    targets = np.where(chosen, tokens - 1, IGNORE)
    inputs = np.where(chosen, mask_token, tokens)
    return inputs.astype(np.int64), targets.astype(np.int64)


def batches(n: int, size: int, rng: np.random.Generator | None) -> Iterator[np.ndarray]:
    order = rng.permutation(n) if rng is not None else np.arange(n)
    for s in range(0, n, size):
        yield order[s : s + size]


def validation_cut(n_plays: int, frac: float, min_plays: int = 50) -> int:
    """Index where the validation tail of the training span starts (``n_plays`` when too short)."""
    if n_plays < min_plays or frac <= 0:
        return n_plays
    return n_plays - max(1, int(round(frac * n_plays)))


def rank_metrics(scores: np.ndarray, targets: np.ndarray, k: int = 10) -> tuple[float, float]:
    """(HR@k, NDCG@k) of ``targets`` under full ranking; ties count against the target."""
    target_scores = scores[np.arange(len(targets)), targets]
    rank = (scores > target_scores[:, None]).sum(axis=1) + (scores == target_scores[:, None]).sum(axis=1) - 1
    hit = rank < k
    ndcg = np.where(hit, 1.0 / np.log2(rank + 2.0), 0.0)
    return float(hit.mean()), float(ndcg.mean())
