"""The "familiar ↔ explore" and "lift" controls: a re-ranking of a recommender's candidates (docs/architecture.md §10).

Both controls change suggestions **only when the user sets them**: the default :class:`Steering` is
neutral and :func:`steer` then returns the recommender's own scores and order untouched ("as the
model ranks them"). Nothing here reads an inferred state (insights, questionnaires); the caller
passes the user's settings.

The re-ranking is a pure function of the candidates, so the served list, the Suggestions page and
the evaluation (``benchmarks/bench_controls.py``) use the same code:

- **How many are new** (the slider's main effect, monotone and continuous): with ``m`` new-to-user
  candidates in the neutral top ``n``, ``explore`` in −1 … +1 gives the top ``n``
  :func:`new_slots` new ones — linearly from 0 (familiar end) through ``m`` (neutral) to ``n``
  (explore end), as far as there are candidates. So the new share in the top 10 follows the slider
  in steps of one track, never jumps from none to all, and each quarter of the slider changes it
  (by ``m/2`` on the left, ``(n − m)/2`` on the right).
- **Which ones, and in what order**: a *utility* in bits. Uncalibrated scores of any scale become
  the rank utility ``-log2(1 + rank)`` (the DCG discount); a served list passes calibrated
  ``log2 P(next play)`` instead (``utility=``). Each candidate's familiarity ``f`` is 0 for a track
  new to the user and ``½ + ½ · plays / (plays + FAMILIAR_HALF)`` for a known one; the utility gains
  ``strength · explore · (1 − 2f)`` bits: to the left favourites rise over tracks heard once or
  twice, to the right those rise over favourites and new tracks over both. The top ``n`` is the
  best ``new_slots`` new and the best remaining familiar candidates by utility, ordered by utility.
- **lift** (``lift`` in 0 … 1): favours higher valence/energy *where known*. A candidate's level is
  the mean of its known valence and energy; it is compared with the median level of the candidates
  that have one and earns ``LIFT_STRENGTH · lift · tanh(difference / LIFT_SCALE)`` bits (strictly
  increasing with the level, at most ``±LIFT_STRENGTH · lift``). A candidate with neither value
  known gains nothing and loses nothing: unknown is never read as low.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

EXPLORE_STRENGTH = 4.0  # bits at |explore| = 1 for a new track vs. a neutral one (uncalibrated utility)
LIFT_STRENGTH = 2.0  # bits at lift = 1 for a candidate LIFT_SCALE above the list's median
LIFT_SCALE = 0.25  # valence/energy distance (0-1 scale) that earns 76% (tanh 1) of the full lift
FAMILIAR_HALF = 3.0  # plays at which a known track is halfway from "heard once" to "favourite"
POOL_FAMILIAR = 50
POOL_NEW = 50
TOP = 10  # the list the slider's new share is measured on


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


def new_slots(n: int, neutral_new: int, explore: float) -> int:
    """New-to-user tracks in a top ``n`` at ``explore`` (−1 … +1) when the neutral top ``n`` holds
    ``neutral_new``: linear from 0 through ``neutral_new`` to ``n``, rounded to whole tracks."""
    e = float(np.clip(explore, -1.0, 1.0))
    if e >= 0:
        return int(np.floor(neutral_new + e * (n - neutral_new) + 0.5))
    return int(np.floor(neutral_new * (1.0 + e) + 0.5))


def steer(
    scores: np.ndarray,
    plays: np.ndarray,
    valence: np.ndarray | None = None,
    energy: np.ndarray | None = None,
    steering: Steering = Steering(),
    *,
    n: int = TOP,
    utility: np.ndarray | None = None,
    strength: float = EXPLORE_STRENGTH,
) -> Steered:
    """Re-rank candidates by the user's controls (see the module docstring).

    ``scores``: the recommender's scores (higher is better, -inf = cannot be suggested) — they set
    the neutral order; ``plays``: how often the user has played each candidate (0 = new to the
    user); ``valence``/``energy``: 0…1, NaN where unknown; ``utility``: calibrated log2-probabilities
    in the neutral order's sense (default: the rank utility); ``strength``: bits the familiarity
    tilt is worth at ``|explore| = 1``. Deterministic; the neutral setting returns the input unchanged.
    """
    s = np.asarray(scores, dtype=np.float64)
    size = s.size
    if np.asarray(plays).shape != (size,):
        raise ValueError("plays must align with scores")
    ok = np.flatnonzero(np.isfinite(s))
    neutral = ok[np.argsort(-s[ok], kind="stable")].astype(np.int64)
    if steering.neutral:
        return Steered(s.copy(), neutral)
    base = (
        rank_utility(s)
        if utility is None
        else np.where(np.isfinite(s), np.asarray(utility, np.float64), -np.inf)
    )
    fam = familiarity(plays)
    u = base + strength * float(steering.explore) * (1.0 - 2.0 * fam)
    if steering.lift:
        u = u + LIFT_STRENGTH * float(steering.lift) * lift_signal(valence, energy, size)
    rank = np.empty(size, np.int64)
    rank[neutral] = np.arange(neutral.size)
    new = fam == 0.0
    top_n = min(n, ok.size)
    wanted = new_slots(top_n, int(new[neutral[:top_n]].sum()), float(steering.explore))
    return Steered(u, select(u, rank, new, top_n, wanted))


def select(
    u: np.ndarray,
    rank: np.ndarray,
    new: np.ndarray,
    n: int,
    wanted_new: int | None = None,
    *,
    artist: np.ndarray | None = None,
    per_artist: int | None = None,
    limited: np.ndarray | None = None,
    limited_slots: int = 0,
) -> np.ndarray:
    """The top ``n`` by utility ``u`` (ties: lower ``rank`` first) holding ``wanted_new`` new ones
    (None: as they come), at most ``per_artist`` per ``artist`` and at most ``limited_slots`` of the
    ``limited`` candidates; then every other finite candidate by utility. When the rules leave the top
    short (too few candidates of a kind), the next best candidates fill it."""
    ok = np.flatnonzero(np.isfinite(u))
    by_u = ok[np.lexsort((rank[ok], -u[ok]))].astype(np.int64)
    chosen: list[int] = []
    counts: dict[int, int] = {}
    n_new = n_limited = 0
    for strict in (True, False):
        for i in by_u.tolist():
            if len(chosen) >= n:
                break
            if i in chosen:
                continue
            if strict and wanted_new is not None:
                if new[i] and n_new >= wanted_new or not new[i] and len(chosen) - n_new >= n - wanted_new:
                    continue
            if artist is not None and per_artist is not None and counts.get(int(artist[i]), 0) >= per_artist:
                continue
            if limited is not None and limited[i] and n_limited >= limited_slots:
                continue
            chosen.append(i)
            n_new += bool(new[i])
            n_limited += bool(limited is not None and limited[i])
            if artist is not None:
                counts[int(artist[i])] = counts.get(int(artist[i]), 0) + 1
    top = np.asarray(chosen, np.int64)
    top = top[np.lexsort((rank[top], -u[top]))] if top.size else top
    return np.concatenate([top, by_u[~np.isin(by_u, top)]]).astype(np.int64)


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


def load_valence_energy(
    engine, track_ids: Sequence[int] | np.ndarray, artist_of: dict[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(valence, energy) per track from the store: the track's own row, else its artist's; NaN unknown.
    ``artist_of`` (track id → artist id), when the caller has it, saves looking the artists up."""
    from core.insights.itemdata import load_audio

    return load_audio(engine, np.asarray(track_ids, dtype=np.int64), artist_of)


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
