"""The "familiar ↔ explore" and "lift" controls: a re-ranking of a recommender's candidates (docs/architecture.md §10).

Both controls change suggestions **only when the user sets them**: the default :class:`Steering` is
neutral and :func:`steer` then returns the recommender's own scores and order untouched. Nothing here
reads an inferred state (insights, questionnaires); the caller passes the user's settings.

The re-ranking is a pure function of the candidates, so the Suggestions page and the evaluation
(``benchmarks/bench_controls.py``) use the same code:

- Scores of any scale become a *rank utility* ``-log2(1 + rank)`` (the DCG discount): moving from rank
  1 to 2 costs as much as moving from 10 to 16, so a bonus measured in bits means the same for every
  model.
- **familiar ↔ explore** (``explore`` in −1 … +1): each candidate's familiarity ``f`` is 0 for a track
  new to the user and ``½ + ½ · plays / (plays + FAMILIAR_HALF)`` for a known one (½ … 1: having heard
  a track at all is the bigger step). The utility gains ``EXPLORE_STRENGTH · explore · (1 − 2f)`` bits:
  to the right, new tracks rise most and rarely played ones a little over favourites; to the left,
  favourites rise and new tracks sink.
- **lift** (``lift`` in 0 … 1): favours higher valence/energy *where known*. A candidate's level is the
  mean of its known valence and energy; it is compared with the median level of the candidates that
  have one and earns ``LIFT_STRENGTH · lift · tanh(difference / LIFT_SCALE)`` bits (strictly
  increasing with the level, at most ``±LIFT_STRENGTH · lift``).
  A candidate with neither value known gains nothing and loses nothing: unknown is never read as low.

Tiered models (``default`` ranks every new-to-user track below every known one) need new candidates
in the list for the explore control to have anything to move up: :func:`candidate_pool` takes the best
``n_familiar`` known and the best ``n_new`` unheard items, and the strengths are set for that 50 + 50
pool: the best new track starts at rank 51 (−5.7 bits). Against a track played once (f = 0.625), at
``explore = 0.25`` it passes those ranked 21st or lower, at ``0.5`` 9th or lower, at ``1.0`` all of
them; favourites (f → 1) it passes sooner.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EXPLORE_STRENGTH = 4.0  # bits at |explore| = 1 for a new track vs. a neutral one (2x between extremes)
LIFT_STRENGTH = 2.0  # bits at lift = 1 for a candidate LIFT_SCALE above the list's median
LIFT_SCALE = 0.25  # valence/energy distance (0-1 scale) that earns 76% (tanh 1) of the full lift
FAMILIAR_HALF = 3.0  # plays at which a known track is halfway from "heard once" to "favourite"
POOL_FAMILIAR = 50
POOL_NEW = 50


@dataclass(frozen=True)
class Steering:
    """What the user set. ``explore``: −1 familiar … 0 neutral … +1 explore; ``lift``: 0 off … 1."""

    explore: float = 0.0
    lift: float = 0.0

    def __post_init__(self) -> None:
        if not -1.0 <= float(self.explore) <= 1.0:
            raise ValueError(f"explore must be within -1..1, got {self.explore}")
        if not 0.0 <= float(self.lift) <= 1.0:
            raise ValueError(f"lift must be within 0..1, got {self.lift}")

    @property
    def neutral(self) -> bool:
        return float(self.explore) == 0.0 and float(self.lift) == 0.0

    @classmethod
    def from_slider(cls, familiar_explore: float, lift: float = 0.0, neutral_at: float = 0.5) -> Steering:
        """From a 0…1 slider whose ``neutral_at`` position means "no change"."""
        x = float(familiar_explore) - neutral_at
        span = (1.0 - neutral_at) if x > 0 else neutral_at
        return cls(explore=float(np.clip(x / span if span else 0.0, -1.0, 1.0)), lift=float(lift))


@dataclass
class Steered:
    scores: np.ndarray  # float64 [n], aligned with the input; the input scores when neutral
    order: np.ndarray  # int64 candidate positions, best first (candidates that could be scored)


def rank_utility(scores: np.ndarray) -> np.ndarray:
    """``-log2(1 + rank)`` per candidate (rank 1 = best; tied scores share their mean rank, so a tie
    expresses no preference); -inf stays -inf."""
    s = np.asarray(scores, dtype=np.float64)
    out = np.full(s.shape, -np.inf)
    ok = np.flatnonzero(np.isfinite(s))
    if ok.size:
        order = ok[np.argsort(-s[ok], kind="stable")]
        vals = s[order]
        starts = np.flatnonzero(np.concatenate([[True], vals[1:] != vals[:-1]]))
        ends = np.concatenate([starts[1:], [vals.size]])  # exclusive
        mean_rank = np.repeat((starts + ends + 1) / 2.0, ends - starts)  # 1-based mean of each tie group
        out[order] = -np.log2(1.0 + mean_rank)
    return out


def familiarity(plays: np.ndarray) -> np.ndarray:
    """0 for new-to-user; ½ … 1 for known tracks (¾ at ``FAMILIAR_HALF`` plays, → 1 for favourites)."""
    p = np.maximum(np.asarray(plays, dtype=np.float64), 0.0)
    return np.where(p > 0, 0.5 + 0.5 * p / (p + FAMILIAR_HALF), 0.0)


def lift_signal(valence: np.ndarray | None, energy: np.ndarray | None, n: int) -> np.ndarray:
    """−1 … +1 per candidate: its known valence/energy level against the list's median (tanh of the
    difference over ``LIFT_SCALE``); exactly 0 when both are unknown."""
    cols = [np.asarray(c, dtype=np.float64) for c in (valence, energy) if c is not None]
    if not cols:
        return np.zeros(n)
    stack = np.vstack(cols)
    known = np.isfinite(stack)
    count = known.sum(axis=0)
    level = np.where(count > 0, np.where(known, stack, 0.0).sum(axis=0) / np.maximum(count, 1), np.nan)
    has = np.isfinite(level)
    if not has.any():
        return np.zeros(n)
    centre = float(np.median(level[has]))
    out = np.zeros(n)
    out[has] = np.tanh((level[has] - centre) / LIFT_SCALE)
    return out


def steer(
    scores: np.ndarray,
    plays: np.ndarray,
    valence: np.ndarray | None = None,
    energy: np.ndarray | None = None,
    steering: Steering = Steering(),
) -> Steered:
    """Re-rank candidates by the user's controls (see the module docstring).

    ``scores``: the recommender's scores (higher is better, -inf = cannot be suggested); ``plays``:
    how often the user has played each candidate (0 = new to the user); ``valence``/``energy``: 0…1,
    NaN where unknown. Deterministic; the neutral setting returns the input unchanged.
    """
    s = np.asarray(scores, dtype=np.float64)
    n = s.size
    if np.asarray(plays).shape != (n,):
        raise ValueError("plays must align with scores")
    if steering.neutral:
        ok = np.flatnonzero(np.isfinite(s))
        return Steered(s.copy(), ok[np.argsort(-s[ok], kind="stable")].astype(np.int64))
    u = rank_utility(s)
    if steering.explore:
        u = u + EXPLORE_STRENGTH * float(steering.explore) * (1.0 - 2.0 * familiarity(plays))
    if steering.lift:
        u = u + LIFT_STRENGTH * float(steering.lift) * lift_signal(valence, energy, n)
    ok = np.flatnonzero(np.isfinite(u))
    # ties (equal utility) keep the recommender's order: sort by utility, then by original rank
    base_rank = np.argsort(np.argsort(-np.where(np.isfinite(s), s, -np.inf), kind="stable"), kind="stable")
    order = ok[np.lexsort((base_rank[ok], -u[ok]))]
    return Steered(u, order.astype(np.int64))


def candidate_pool(
    scores: np.ndarray, heard: np.ndarray, n_familiar: int = POOL_FAMILIAR, n_new: int = POOL_NEW
) -> np.ndarray:
    """Positions of the best ``n_familiar`` heard and best ``n_new`` unheard items with finite scores,
    in the recommender's order (best first)."""
    s = np.asarray(scores, dtype=np.float64)
    heard = np.asarray(heard, dtype=bool)
    parts = []
    for mask, k in ((heard, n_familiar), (~heard, n_new)):
        idx = np.flatnonzero(mask & np.isfinite(s))
        if idx.size > k:
            idx = idx[np.argpartition(-s[idx], k - 1)[:k]]
        parts.append(idx)
    pool = np.concatenate(parts)
    return pool[np.lexsort((pool, -s[pool]))].astype(np.int64)


def steer_recommendations(
    recs: Sequence,
    plays: dict[int, int],
    valence: dict[int, float] | None = None,
    energy: dict[int, float] | None = None,
    steering: Steering = Steering(),
) -> list:
    """Re-order recommendation objects (with ``track_id`` and ``score``) by the controls; the objects are
    returned as they are (their ``score`` is the recommender's), best first. Neutral: same order."""
    if steering.neutral or not recs:
        return list(recs)
    ids = [int(r.track_id) for r in recs]
    nan = float("nan")
    result = steer(
        np.array([float(r.score) for r in recs]),
        np.array([plays.get(t, 0) for t in ids]),
        np.array([(valence or {}).get(t, nan) for t in ids]),
        np.array([(energy or {}).get(t, nan) for t in ids]),
        steering,
    )
    return [recs[i] for i in result.order]


def load_valence_energy(engine, track_ids: Sequence[int] | np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(valence, energy) per track from the store: the track's own row, else its artist's; NaN unknown."""
    from core.insights.itemdata import load_audio

    return load_audio(engine, np.asarray(track_ids, dtype=np.int64))


def play_counts(engine, account_id: int, track_ids: Sequence[int]) -> dict[int, int]:
    """How often the account has played each of ``track_ids`` (absent = never)."""
    from sqlalchemy import func, select

    from core.store.schema import Scrobble

    ids = sorted({int(t) for t in track_ids})
    out: dict[int, int] = {}
    with engine.connect() as conn:
        for i in range(0, len(ids), 500):
            part = ids[i : i + 500]
            out.update(
                {
                    int(t): int(c)
                    for t, c in conn.execute(
                        select(Scrobble.track_id, func.count())
                        .where(Scrobble.account_id == account_id, Scrobble.track_id.in_(part))
                        .group_by(Scrobble.track_id)
                    )
                }
            )
    return out
