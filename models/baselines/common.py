"""Shared pieces of the counting baselines: the sequence state and validation tuning.

A counting model keeps no learned weights beyond a few tuned hyper-parameters: ``start`` counts the
history it is shown and ``observe`` adds one play. Hyper-parameters are tuned in ``fit`` on the
validation targets at the end of the training span (``models.evaluation.splits``), never on the test
span, and stored in ``self.params`` so a saved model reloads with them.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

import numpy as np

from core.jobs import CancelToken, Progress
from core.sessions import DEFAULT_GAP_S
from models.base import ItemFeatures, ProgressFn, Recommender, TrainData
from models.evaluation.harness import rank_targets
from models.evaluation.metrics import ndcg
from models.evaluation.splits import validation_split

MIN_VALIDATION_TARGETS = 30


class SeqState:
    """Plays seen so far, the current session's first position, and model-specific counters."""

    __slots__ = ("items", "times", "session_start", "extra")

    def __init__(self, items: np.ndarray, times: np.ndarray, gap_s: int):
        self.items: list[int] = [int(i) for i in items]
        self.times: list[int] = [int(t) for t in times]
        self.session_start = 0
        if len(self.times) > 1:
            breaks = np.flatnonzero(np.diff(np.asarray(self.times)) > gap_s)
            self.session_start = int(breaks[-1]) + 1 if breaks.size else 0
        self.extra: dict[str, Any] = {}

    @property
    def last(self) -> int:
        return self.items[-1] if self.items else -1

    @property
    def session(self) -> list[int]:
        return self.items[self.session_start :]

    def append(self, item: int, played_at: int, gap_s: int) -> bool:
        """Add a play; returns True when it starts a new session."""
        new = bool(self.times) and played_at - self.times[-1] > gap_s
        if new:
            self.session_start = len(self.items)
        self.items.append(int(item))
        self.times.append(int(played_at))
        return new


class CountingRecommender(Recommender):
    """Base for models whose state is counts over the history (deterministic: no seed effect)."""

    deterministic = True
    family = "baseline"

    def __init__(self, **params: Any):
        params.setdefault("gap_s", DEFAULT_GAP_S)
        super().__init__(**params)

    @property
    def n_items(self) -> int:
        assert self.space is not None
        return len(self.space)

    def fit(
        self,
        data: TrainData,
        features: ItemFeatures | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self.space = data.space
        self.tune(data, progress, cancel)

    def tune(self, data: TrainData, progress: ProgressFn | None, cancel: CancelToken | None) -> None:
        """Choose hyper-parameters on the validation span (default: nothing to tune)."""

    def start(self, items: np.ndarray, played_at: np.ndarray) -> SeqState:
        state = SeqState(items, played_at, self.params["gap_s"])
        self.init_counts(state, np.asarray(items, np.int64), np.asarray(played_at, np.int64))
        return state

    def observe(self, state: SeqState, item: int, played_at: int) -> SeqState:
        new_session = state.append(item, played_at, self.params["gap_s"])
        self.add_play(state, int(item), int(played_at), new_session)
        return state

    def init_counts(self, state: SeqState, items: np.ndarray, times: np.ndarray) -> None:
        """Build the counters from the history (bulk)."""

    def add_play(self, state: SeqState, item: int, played_at: int, new_session: bool) -> None:
        """Update the counters with one play (already appended to ``state``)."""


def validation_ndcg(model: Recommender, data: TrainData, cancel: CancelToken | None = None) -> float | None:
    """NDCG@10 of an already configured ``model`` on the validation span of ``data`` (None if too few)."""
    split = validation_split(len(data.items))
    if split.n_targets < MIN_VALIDATION_TARGETS:
        return None
    run = rank_targets(model, data.items, data.played_at, split.start, cancel=cancel)
    return ndcg(run.ranks)


def grid_search(
    make: Callable[[dict], Recommender],
    grid: Iterable[dict],
    data: TrainData,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict | None:
    """The grid point with the best validation NDCG@10 (None when validation is too small).

    ``make(params)`` returns a model ready to score (counting models need no fit on the prefix:
    their state is the history they are shown).
    """
    grid = list(grid)
    best, best_score = None, -1.0
    for n, params in enumerate(grid, 1):
        model = make(params)
        model.space = data.space
        score = validation_ndcg(model, data, cancel)
        if score is None:
            return None
        if score > best_score:
            best, best_score = params, score
        if progress is not None:
            progress(Progress(n, len(grid), f"tuning {model.name}: {params} → NDCG@10 {score:.4f}"))
    return best
