"""The served list: what the app shows as "Up next" and "New to you", built from two ranked streams.

- **continuation**: tracks the listener knows, ranked by ``default`` (or any next-track model);
- **discovery**: tracks new to the listener from the candidate catalogue, ranked by the discovery
  ranker (today's seam: ``default.explore_scores`` over the catalogue's candidates).

Both streams are put on one scale — the chance that the candidate is the next play, from the rank it
holds in its stream (:class:`Calibration`, measured on the validation span when the model was
trained) — so the neutral list is "as the models rank them". Then the listener's rules:

- dismissed tracks never appear; liked ones gain ``LIKE_BITS``;
- at most ``Rules.max_per_artist`` tracks per artist in the top ``Rules.top``;
- tracks already played in the current session only as often as this listener replays within a
  session (:func:`session_replay_rate` on their history: a listener who replays 20% of the time gets
  up to 2 of 10, one who never does gets none), and each such track's chance scaled by that rate (a
  replay the model ranks first does not stay first for a listener who replays one time in ten);
  ``session_replays`` "never" / "allow" overrides it;
- the familiar ↔ explore slider and the lift (``models.steering``) decide how many of the top are new
  and in what order; in the middle the list is the calibrated ranking itself.

The "New to you" list is the best discoveries that are not already in the main list (same artist cap),
shown whenever the catalogue has candidates. :func:`serve` is a pure function: the app, the CLI and
``benchmarks/bench_served.py`` call the same code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from models.base import Recommendation
from models.steering import Steering, familiarity, lift_signal, new_slots, select

LIKE_BITS = 1.0  # a liked track counts as if it were twice as likely
REPLAY_POLICIES = ("auto", "never", "allow")
TILT_RANKS = 20  # at the slider's ends, familiarity is worth this many ranks of the continuation
REPLAY_FLOOR = 0.01  # the least a session replay's chance is scaled by (auto)


@dataclass(frozen=True)
class Rules:
    """The listener's rules for the served list (settings)."""

    max_per_artist: int = 3
    session_replays: str = "auto"  # auto (from the listener's history) | never | allow
    top: int = 10

    def __post_init__(self) -> None:
        if self.session_replays not in REPLAY_POLICIES:
            raise ValueError(
                f"session_replays must be one of {REPLAY_POLICIES}, got {self.session_replays!r}"
            )
        if self.max_per_artist < 1 or self.top < 1:
            raise ValueError("max_per_artist and top must be at least 1")

    def session_slots(self, replay_rate: float) -> int:
        """Tracks of the current session the top may hold: as many as this listener's replay rate
        gives (``top × rate``, rounded), none, or any."""
        if self.session_replays == "never":
            return 0
        if self.session_replays == "allow":
            return self.top
        return int(np.floor(self.top * replay_rate + 0.5))


@dataclass(frozen=True)
class Calibration:
    """P(next play) by stream rank, measured on validation: ``known[r-1]`` for the continuation's
    rank r; ``new`` for the discovery ranker's (None: discovery is ranked below every continuation
    candidate, as ``default``'s own tiers do)."""

    known: tuple[float, ...] = ()
    new: tuple[float, ...] | None = None

    @classmethod
    def of(cls, model, discovery=None) -> Calibration:
        cal = getattr(model, "params", {}).get("calibration") or {}
        new = (
            getattr(discovery, "params", {}).get("calibration", {}).get("hit_rate_at_rank")
            if discovery
            else None
        )
        return cls(tuple(cal.get("hit_rate_at_rank", ())), tuple(new) if new else None)

    def _log2(self, table: Sequence[float], rank: int) -> float:
        """log2 P at a 1-based rank; past the table (or where it is 0) the chance keeps falling as 1/rank."""
        floor = 1e-6
        if not table:
            return float(-np.log2(1.0 + rank))  # uncalibrated: the rank utility
        last = max(table[-1], floor)
        p = table[rank - 1] if rank <= len(table) else last * len(table) / rank
        return float(np.log2(max(p, floor * len(table) / max(rank, 1))))

    def known_utility(self, rank: int) -> float:
        return self._log2(self.known, rank)

    def new_utility(self, rank: int, n_known: int) -> float:
        if self.new:
            return self._log2(self.new, rank)
        return self._log2(self.known, n_known + rank) - 1.0  # strictly below the continuation

    @property
    def strength(self) -> float:
        """Bits the familiarity tilt is worth at the slider's ends: ``TILT_RANKS`` ranks of the
        continuation (at least one bit)."""
        return max(1.0, self.known_utility(1) - self.known_utility(TILT_RANKS))


@dataclass
class Served:
    main: list[Recommendation] = field(default_factory=list)
    new_to_you: list[Recommendation] = field(default_factory=list)
    session_slots: int = 0
    replay_rate: float = 0.0
    neutral_new: int = 0  # new tracks the calibrated ranking alone puts in the top


def session_replay_rate(items: np.ndarray, times: np.ndarray, gap_s: int) -> float:
    """Share of plays that replay a track already played earlier in the same session (sessions split
    where a play starts more than ``gap_s`` after the previous one; consecutive repeats are already
    collapsed)."""
    items = np.asarray(items, np.int64)
    times = np.asarray(times, np.int64)
    if items.size < 2:
        return 0.0
    session = np.concatenate([[0], np.cumsum(np.diff(times) > gap_s)])
    ok = items >= 0
    pairs = session[ok] * (int(items.max()) + 1) + items[ok]
    return float(1.0 - np.unique(pairs).size / max(int(ok.sum()), 1))


def serve(
    familiar: Sequence[Recommendation],
    discoveries: Sequence[Recommendation],
    *,
    artist_of: dict[int, int],
    plays: dict[int, int],
    session: Sequence[int] = (),
    replay_rate: float = 0.0,
    calibration: Calibration = Calibration(),
    rules: Rules = Rules(),
    steering: Steering = Steering(),
    liked: Sequence[int] = (),
    dismissed: Sequence[int] = (),
    valence: dict[int, float] | None = None,
    energy: dict[int, float] | None = None,
    new_to_you: int = 10,
) -> Served:
    """The main list (``rules.top`` long) and the "New to you" list from the two ranked streams
    (each best first; store track ids). ``session``: track ids played in the current session."""
    gone = {int(t) for t in dismissed}
    fam = [r for r in familiar if int(r.track_id) not in gone]
    seen = {int(r.track_id) for r in fam}
    new = [r for r in discoveries if int(r.track_id) not in gone and int(r.track_id) not in seen]
    pool = fam + new
    size = len(pool)
    if size == 0:
        return Served(replay_rate=replay_rate, session_slots=rules.session_slots(replay_rate))
    ids = np.array([int(r.track_id) for r in pool], np.int64)
    is_new = np.array([False] * len(fam) + [True] * len(new))
    u = np.array(
        [calibration.known_utility(i + 1) for i in range(len(fam))]
        + [calibration.new_utility(i + 1, len(fam)) for i in range(len(new))]
    )
    likes = {int(t) for t in liked}
    u = u + LIKE_BITS * np.isin(ids, list(likes))
    in_session = np.isin(ids, np.asarray(list(session), np.int64))
    if rules.session_replays == "auto":  # a replay is as likely as this listener's replays make it
        u = u + np.where(in_session, np.log2(max(replay_rate, REPLAY_FLOOR)), 0.0)
    rank = np.argsort(np.argsort(-u, kind="stable"), kind="stable")  # the neutral (calibrated) order
    counts = np.array([0 if is_new[i] else max(int(plays.get(int(t), 1)), 1) for i, t in enumerate(ids)])
    tilt = calibration.strength * float(steering.explore) * (1.0 - 2.0 * familiarity(counts))
    nan = float("nan")
    lift = 0.0
    if steering.lift:
        from models.steering import LIFT_STRENGTH

        v = np.array([(valence or {}).get(int(t), nan) for t in ids])
        e = np.array([(energy or {}).get(int(t), nan) for t in ids])
        lift = LIFT_STRENGTH * float(steering.lift) * lift_signal(v, e, size)
    steered = u + tilt + lift
    artist = np.array([int(artist_of.get(int(t), -1 - i)) for i, t in enumerate(ids)], np.int64)
    slots = rules.session_slots(replay_rate)
    top = min(rules.top, size)
    per_artist = rules.max_per_artist * max(1, -(-top // 10))  # the cap is per 10 shown
    kw = dict(artist=artist, per_artist=per_artist, limited=in_session, limited_slots=slots)
    cap = rules.max_per_artist
    neutral = per_ten(select(u, rank, is_new, top, None, **kw), artist, cap, top)
    neutral_new = int(is_new[neutral].sum())
    if steering.neutral:
        order = neutral
    else:
        wanted = new_slots(top, neutral_new, steering.explore)
        order = per_ten(select(steered, rank, is_new, top, wanted, **kw), artist, cap, top)
    main = [pool[i] for i in order.tolist()]
    shown = {int(r.track_id) for r in main}
    rest = [i for i in range(len(fam), size) if int(ids[i]) not in shown]
    picks = per_ten(np.asarray(rest, np.int64), artist, cap, new_to_you)
    discover = [pool[i] for i in picks.tolist()]
    return Served(main, discover, slots, replay_rate, neutral_new)


def per_ten(order: np.ndarray, artist: np.ndarray, cap: int, limit: int) -> np.ndarray:
    """``order`` (the selection's whole ranking) with at most ``cap`` tracks of one artist in any ten
    consecutive places: the selection caps a longer list as a whole (``cap`` per ten shown), which let a
    12-long list hold four of one artist in its top ten, and fixed blocks (1–10, 11–20) let it hold five
    in twelve (three at 7–9, two more at 11–12). Each place takes the best waiting track whose artist
    has fewer than ``cap`` in the nine places before it; a track over the cap waits and the next best
    of another artist takes its place, order otherwise kept (when no waiting track fits, the best
    waiting one fills the place, as the selection fills its top). The first ``limit`` are returned."""
    out: list[int] = []
    waiting = [int(i) for i in order.tolist()]
    while waiting and len(out) < limit:
        recent: dict[int, int] = {}
        for j in out[-9:]:
            recent[int(artist[j])] = recent.get(int(artist[j]), 0) + 1
        pick = next((k for k, i in enumerate(waiting) if recent.get(int(artist[i]), 0) < cap), 0)
        out.append(waiting.pop(pick))
    return np.asarray(out, np.int64)
