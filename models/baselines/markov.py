"""First-order Markov, sequential rules (SR) and ``markov_recency`` — the simple baseline to beat.

- ``markov``: counts of "b right after a" over every consecutive pair of the history; scores the
  row of the last play. Tracks never played after it score 0 (ties are ranked pessimistically).
- ``sr``: sequential rules (Ludewig & Jannach 2018): pairs up to ``window`` steps apart inside a
  session, weighted 1/distance; scores the rules of the last play.
- ``markov_recency``: the "best simple baseline (Markov + recency)" of issue 3, defined plainly as
  ``(1 − α) · P(b | last play) + α · R(b) / Σ R``, where P is the first-order transition
  distribution of the last play (counted over all history seen, updated after every play) and R is
  recency-weighted popularity (plays weighted 2^(−age / half-life)). α and the half-life are chosen
  together on the validation span (grid below, best NDCG@10).
"""

from __future__ import annotations

import numpy as np

from core.jobs import CancelToken, Progress
from models.base import ProgressFn, TrainData
from models.baselines.common import MIN_VALIDATION_TARGETS, CountingRecommender, SeqState, grid_search
from models.baselines.counting import DecayedCounts, Transitions, window_pairs
from models.baselines.popularity import HALF_LIVES_S
from models.evaluation.harness import target_rank, walk
from models.evaluation.metrics import ndcg
from models.evaluation.splits import validation_split
from models.registry import register

ALPHAS = (0.001, 0.003, 0.01, 0.03, 0.1, 0.2, 0.35, 0.5, 0.7, 0.9)


@register
class Markov(CountingRecommender):
    name = "markov"
    description = "what you usually play next"

    def init_counts(self, state: SeqState, items: np.ndarray, times: np.ndarray) -> None:
        state.extra["trans"] = Transitions(self.n_items).init(items[:-1], items[1:])

    def add_play(self, state: SeqState, item: int, played_at: int, new_session: bool) -> None:
        if len(state.items) > 1:
            state.extra["trans"].add(state.items[-2], item)

    def scores(self, state: SeqState) -> np.ndarray:
        out = np.zeros(self.n_items)
        state.extra["trans"].add_row_into(out, state.last)
        return out

    def reason(self, state: SeqState, item: int) -> str:
        cols, vals = state.extra["trans"].row(state.last)
        n = int(vals[cols == item].sum())
        return f"you played this right after {{track:{state.last}}} {n} time{'s' * (n != 1)}"


@register
class SequentialRules(CountingRecommender):
    name = "sr"
    description = "sequential rules: what tends to follow your last track within a session"

    def __init__(self, window: int = 5, **params):
        super().__init__(window=window, **params)

    def tune(self, data: TrainData, progress: ProgressFn | None, cancel: CancelToken | None) -> None:
        best = grid_search(
            lambda p: SequentialRules(**{**self.params, **p}),
            ({"window": w} for w in (2, 5, 10)),
            data,
            progress,
            cancel,
        )
        if best:
            self.params.update(best)

    def init_counts(self, state: SeqState, items: np.ndarray, times: np.ndarray) -> None:
        from models.baselines.counting import session_ids

        a, b, w = window_pairs(items, session_ids(times, self.params["gap_s"]), self.params["window"])
        state.extra["rules"] = Transitions(self.n_items).init(a, b, w)

    def add_play(self, state: SeqState, item: int, played_at: int, new_session: bool) -> None:
        q = len(state.items) - 1
        for d in range(1, self.params["window"] + 1):
            if q - d < state.session_start:
                break
            state.extra["rules"].add(state.items[q - d], item, 1.0 / d)

    def scores(self, state: SeqState) -> np.ndarray:
        out = np.zeros(self.n_items)
        state.extra["rules"].add_row_into(out, state.last)
        return out

    def reason(self, state: SeqState, item: int) -> str:
        return f"often follows {{track:{state.last}}} in your sessions"


def components(trans: Transitions, recent: DecayedCounts, last: int) -> tuple[np.ndarray, np.ndarray]:
    """``markov_recency``'s two parts, (P(b | last play), R(b) / Σ R); ``default`` scores its
    baseline with the same function, so the two rank known tracks identically."""
    markov = np.zeros(trans.n)
    trans.add_row_into(markov, last, normalise=True)
    values = recent.values
    total = values.sum()
    return markov, (values / total if total > 0 else values.copy())


def blend(markov: np.ndarray, recent: np.ndarray, alpha: float) -> np.ndarray:
    return (1 - alpha) * markov + alpha * recent


@register
class MarkovRecency(CountingRecommender):
    name = "markov_recency"
    description = "first-order Markov blended with recency-weighted popularity (the baseline to beat)"

    def __init__(self, alpha: float = 0.2, half_life_s: float = 30 * 86_400, **params):
        super().__init__(alpha=alpha, half_life_s=half_life_s, **params)

    def tune(self, data: TrainData, progress: ProgressFn | None, cancel: CancelToken | None) -> None:
        split = validation_split(len(data.items))
        if split.n_targets < MIN_VALIDATION_TARGETS:
            return
        best, best_score = None, -1.0
        for n, h in enumerate(HALF_LIVES_S, 1):
            probe = MarkovRecency(**{**self.params, "half_life_s": h})
            probe.space = data.space
            ranks = np.empty((len(ALPHAS), split.n_targets))
            for p, state in walk(probe, data.items, data.played_at, split.start, cancel=cancel):
                markov, recent = probe.components(state)
                for a, alpha in enumerate(ALPHAS):
                    ranks[a, p - split.start] = target_rank(blend(markov, recent, alpha), data.items, p)
            for a, alpha in enumerate(ALPHAS):
                score = ndcg(ranks[a])
                if score is not None and score > best_score:
                    best, best_score = {"alpha": alpha, "half_life_s": h}, score
            if progress is not None:
                progress(
                    Progress(n, len(HALF_LIVES_S), f"tuning markov_recency: best NDCG@10 {best_score:.4f}")
                )
        if best:
            self.params.update(best, validation_ndcg=best_score)

    def init_counts(self, state: SeqState, items: np.ndarray, times: np.ndarray) -> None:
        state.extra["trans"] = Transitions(self.n_items).init(items[:-1], items[1:])
        state.extra["recent"] = DecayedCounts(self.n_items, self.params["half_life_s"]).init(items, times)

    def add_play(self, state: SeqState, item: int, played_at: int, new_session: bool) -> None:
        if len(state.items) > 1:
            state.extra["trans"].add(state.items[-2], item)
        state.extra["recent"].observe(item, played_at)

    def components(self, state: SeqState) -> tuple[np.ndarray, np.ndarray]:
        """(P(b | last play), R(b) / Σ R)."""
        return components(state.extra["trans"], state.extra["recent"], state.last)

    def scores(self, state: SeqState) -> np.ndarray:
        return blend(*self.components(state), self.params["alpha"])

    def reason(self, state: SeqState, item: int) -> str:
        markov, _ = self.components(state)
        if markov[item] > 0:
            return f"you often play this after {{track:{state.last}}}"
        return "in heavy rotation lately"
