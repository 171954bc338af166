"""Walking a span of targets: the only way any model is scored (test and validation alike).

``walk`` builds the model's state from the plays before the first target, then for each target
hands out the state *before* the target is observed, and observes the target only afterwards. A
model therefore never sees a target before it is predicted, and is never refitted inside the span.
Models with ``batch_size > 1`` get independent ``snapshot``s taken before each target and are scored
with ``score_batch``.

The previous play is excluded from every ranking: consecutive duplicates are collapsed, so it can
never be the target (the same rule applies to every model).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.jobs import CancelToken, Progress
from models.base import ProgressFn, Recommender, top_k
from models.evaluation.metrics import CUTOFF_COVERAGE, rank_of


def walk(
    model: Recommender,
    items: np.ndarray,
    times: np.ndarray,
    start: int,
    stop: int | None = None,
    cancel: CancelToken | None = None,
) -> Iterator[tuple[int, Any]]:
    """Yield ``(p, state)`` for p in ``start..stop-1``; the state holds plays ``[0, p)`` only.

    The consumer must finish with the state before asking for the next one (it is then updated).
    """
    stop = len(items) if stop is None else stop
    state = model.start(items[:start], times[:start])
    for p in range(start, stop):
        if cancel is not None and p % 64 == 0:
            cancel.raise_if_cancelled()
        yield p, state
        state = model.observe(state, int(items[p]), int(times[p]))


@dataclass
class RankRun:
    positions: np.ndarray  # int64 [n_targets]
    ranks: np.ndarray  # float64 [n_targets], 1-based, inf = could not score
    top: np.ndarray  # int64 [n_targets, CUTOFF_COVERAGE] item indices (-1 padding)


def _top(scores: np.ndarray, k: int) -> np.ndarray:
    out = np.full(k, -1, dtype=np.int64)
    best = top_k(scores, k)
    out[: best.size] = best
    return out


def target_rank(scores: np.ndarray, items: np.ndarray, p: int, exclude_previous: bool = True) -> float:
    """Rank of ``items[p]`` under ``scores`` with the harness rules (previous play excluded)."""
    s = np.array(scores, dtype=np.float64, copy=True)
    if exclude_previous and p > 0:
        s[items[p - 1]] = -np.inf
    s[np.isnan(s)] = -np.inf
    return rank_of(s, int(items[p]))


def _score_one(
    scores: np.ndarray, items: np.ndarray, p: int, exclude_previous: bool, k: int
) -> tuple[float, np.ndarray]:
    s = np.array(scores, dtype=np.float64, copy=True)
    if exclude_previous and p > 0:
        s[items[p - 1]] = -np.inf
    s[np.isnan(s)] = -np.inf
    return rank_of(s, int(items[p])), _top(s, k)


def rank_targets(
    model: Recommender,
    items: np.ndarray,
    times: np.ndarray,
    start: int,
    stop: int | None = None,
    *,
    exclude_previous: bool = True,
    topk: int = CUTOFF_COVERAGE,
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
) -> RankRun:
    """Rank every target in ``[start, stop)`` with a full ranking over the model's item space."""
    stop = len(items) if stop is None else stop
    n = max(0, stop - start)
    ranks = np.full(n, np.inf)
    top = np.full((n, topk), -1, dtype=np.int64)
    every = max(1, n // 20)
    batch = max(1, int(getattr(model, "batch_size", 1)))
    pending: list[tuple[int, Any]] = []

    def flush() -> None:
        scores = model.score_batch([s for _, s in pending])
        for (p, _), row in zip(pending, scores, strict=True):
            ranks[p - start], top[p - start] = _score_one(row, items, p, exclude_previous, topk)
        pending.clear()

    for p, state in walk(model, items, times, start, stop, cancel):
        j = p - start
        if batch == 1:
            ranks[j], top[j] = _score_one(model.scores(state), items, p, exclude_previous, topk)
        else:
            pending.append((p, model.snapshot(state)))
            if len(pending) >= batch:
                flush()
        if progress is not None and (j + 1) % every == 0:
            progress(Progress(j + 1, n, f"scored {j + 1:,}/{n:,} targets"))
    if pending:
        flush()
    return RankRun(np.arange(start, stop, dtype=np.int64), ranks, top)
