"""Personal popularity and recency-weighted popularity: how often (lately) you played each track."""

from __future__ import annotations

import numpy as np

from core.jobs import CancelToken
from models.base import ProgressFn, TrainData
from models.baselines.common import CountingRecommender, SeqState, grid_search
from models.baselines.counting import DecayedCounts
from models.registry import register

DAY = 86_400
HALF_LIVES_S = (DAY, 7 * DAY, 30 * DAY, 180 * DAY, 730 * DAY)


@register
class PersonalPopularity(CountingRecommender):
    name = "pop"
    description = "your most played tracks"

    def init_counts(self, state: SeqState, items: np.ndarray, times: np.ndarray) -> None:
        ok = items[items >= 0]
        state.extra["count"] = np.bincount(ok, minlength=self.n_items).astype(np.float64)

    def add_play(self, state: SeqState, item: int, played_at: int, new_session: bool) -> None:
        if item >= 0:
            state.extra["count"][item] += 1.0

    def scores(self, state: SeqState) -> np.ndarray:
        return state.extra["count"]

    def reason(self, state: SeqState, item: int) -> str:
        return f"one of your most played: {int(state.extra['count'][item])} plays"


@register
class RecencyPopularity(CountingRecommender):
    """Plays weighted by 2^(-age/half-life); the half-life is tuned on validation."""

    name = "recency_pop"
    description = "what you have played most lately"

    def __init__(self, half_life_s: float = 30 * DAY, **params):
        super().__init__(half_life_s=half_life_s, **params)

    def tune(self, data: TrainData, progress: ProgressFn | None, cancel: CancelToken | None) -> None:
        best = grid_search(
            lambda p: RecencyPopularity(**{**self.params, **p}),
            ({"half_life_s": h} for h in HALF_LIVES_S),
            data,
            progress,
            cancel,
        )
        if best:
            self.params.update(best)

    def init_counts(self, state: SeqState, items: np.ndarray, times: np.ndarray) -> None:
        state.extra["recent"] = DecayedCounts(self.n_items, self.params["half_life_s"]).init(items, times)

    def add_play(self, state: SeqState, item: int, played_at: int, new_session: bool) -> None:
        state.extra["recent"].observe(item, played_at)

    def scores(self, state: SeqState) -> np.ndarray:
        return state.extra["recent"].values

    def reason(self, state: SeqState, item: int) -> str:
        return "in heavy rotation lately"
