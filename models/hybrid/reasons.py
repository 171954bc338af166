"""Why ``default`` suggests a track — in words that are true of the listener's history.

A reason is a claim, so it is built from *evidence*: exact counts over the plays the model was shown
(the same collapsed sequence it scores from), each with its anchor (the track or artist it is
about), its window and its dates. The blend decides *which* evidence to state — the signal group that
added most to the track's score — but a group is only stated when its evidence holds (e.g. "after X"
needs X to have been followed by the track at least once); otherwise the next group is tried, and
the last resort is the plain fact of how often and when the track was played.

Every :class:`Evidence` is rendered by :meth:`Evidence.text` and exported by
:meth:`Evidence.to_evidence` as ``models.base.Evidence`` (store ids, unix times) so tests can check it
against the store. "Lately"
is always a stated window: "in the last 7 days" when the history is up to date (the latest play is
less than a day old), else "in the 7 days to 12 Mar 2024".
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import UTC, datetime

import numpy as np

from models.base import Evidence as BaseEvidence
from models.baselines.common import SeqState
from models.hybrid.signals import SESSION_CONTEXT, SR_WINDOW, Signals

DAY = 86_400
WINDOWS_DAYS = (7, 30)
FAVOURITE_PLAYS = 5
FRESH_S = DAY  # the latest play is this recent: windows are "the last N days"


@dataclass(frozen=True)
class Evidence:
    """One claim about the history. ``kind``:

    - ``after``: ``item`` was played right after ``anchor`` ``count`` times (latest ``last_at``);
    - ``session``: in one session ``item`` came within ``within`` plays after ``anchor``, ``count`` times;
    - ``artist_session``: ``count`` of the current session's ``of`` plays are by ``artist``;
    - ``in_session``: ``item`` was played in the current session, last ``ago`` plays back
      (``count`` times in it);
    - ``artist_next``: a track by ``artist`` came right after one by ``from_artist`` ``count`` times;
    - ``recent``: ``item`` was played ``count`` times in the ``days`` days up to ``until``;
    - ``favourite``: ``item`` was played ``count`` times since ``first_at``;
    - ``heard``: ``item`` was played ``count`` times, last at ``last_at``;
    - ``new_artist_recent``: ``item`` is unheard; its ``artist`` was played ``count`` times in the
      ``days`` days up to ``until``; ``new_artist``: ... ``count`` times in all, last at ``last_at``;
    - ``new``: unheard, nothing known about its artist here (``count`` = 0).
    """

    kind: str
    item: int
    count: int
    anchor: int = -1  # dense track index
    artist: int = -1  # dense artist index
    from_artist: int = -1
    of: int = 0
    within: int = 0
    ago: int = 0
    days: int = 0
    until: int = 0  # unix s: the window's end (the latest play)
    last_at: int = 0
    first_at: int = 0
    fresh: bool = True

    def text(self) -> str:
        n = _times(self.count)
        window = (
            f"in the last {self.days} days"
            if self.fresh
            else f"in the {self.days} days to {_date(self.until)}"
        )
        t, a = f"{{track:{self.anchor}}}", f"{{artist:{self.artist}}}"
        when = f"on {_date(self.last_at)}" if self.count == 1 else f"last on {_date(self.last_at)}"
        if self.kind == "after":
            return f"you played it right after {t} {n}, {when}"
        if self.kind == "session":
            return f"it came within {self.within} tracks after {t} {n} in your sessions, {when}"
        if self.kind == "artist_session":
            were = "was" if self.count == 1 else "were"
            return f"more {a}: {self.count} of this session's {self.of} plays {were} theirs"
        if self.kind == "in_session":
            return f"you played it earlier in this session, {self.ago} tracks ago"
        if self.kind == "artist_next":
            return f"after {{artist:{self.from_artist}}} you went on to {a} {n}"
        if self.kind == "recent":
            return f"back in rotation: you played it {n} {window}"
        if self.kind == "favourite":
            return f"one of your favourites: {self.count} plays since {_date(self.first_at)}"
        if self.kind == "heard":
            return f"you played it {n}, {when}"
        if self.kind == "new_artist_recent":
            return f"new to you: by {a}, whom you played {n} {window}"
        if self.kind == "new_artist":
            return f"new to you: by {a}, whom you played {n} (last on {_date(self.last_at)})"
        return "new to you"

    def to_evidence(self, sig: Signals, source: str = "default") -> BaseEvidence:
        """The claim with store ids and unix times (``models.base.Evidence``), checkable against the store."""
        space = sig.space

        def artist_id(idx: int) -> int | None:
            return int(space.artist_ids[idx]) if idx >= 0 and space.artist_ids is not None else None

        return BaseEvidence(
            source=source,
            kind=self.kind,
            plays=self.count,
            anchor_track=int(space.track_ids[self.anchor]) if self.anchor >= 0 else None,
            artist=artist_id(self.artist),
            from_artist=artist_id(self.from_artist),
            last_played=self.last_at or None,
            first_played=self.first_at or None,
            window_days=self.days or None,
            window_end=self.until if self.days else None,
            within=self.within or None,
            tracks_ago=self.ago or None,
            session_plays=self.of or None,
        )


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _date(t: int) -> str:
    d = datetime.fromtimestamp(int(t), UTC)
    return f"{d.day} {d:%b %Y}"


class History:
    """numpy views of a state's plays (built once per state length): items, times, session ids."""

    def __init__(self, state: SeqState, gap_s: int, before: History | None = None):
        """``before``: the history of this state when it was shorter (states only grow), so a new play
        converts only the plays since, not a long history's whole list."""
        start = before.items.size if before is not None else 0
        items = np.asarray(state.items[start:], np.int64)
        times = np.asarray(state.times[start:], np.int64)
        if before is not None and before.times.size:
            gaps = np.diff(np.concatenate([before.times[-1:], times])) > gap_s
            session = before.session[-1] + np.cumsum(gaps)
            self.items = np.concatenate([before.items, items])
            self.times = np.concatenate([before.times, times])
            self.session = np.concatenate([before.session, session])
        else:
            self.items, self.times = items, times
            self.session = np.concatenate([[0], np.cumsum(np.diff(times) > gap_s)]) if times.size else times
        self.now = int(self.times[-1]) if self.times.size else 0

    @classmethod
    def of(cls, state: SeqState, gap_s: int) -> History:
        cached = state.extra.get("history")
        n = len(state.items)
        if cached is None or cached[0] != n or cached[2] != gap_s:
            before = cached[1] if cached is not None and cached[0] < n and cached[2] == gap_s else None
            cached = (n, cls(state, gap_s, before), gap_s)
            state.extra["history"] = cached
        return cached[1]

    def after(self, sig: Signals, a: int, b: int) -> tuple[int, int]:
        """(times ``b`` came right after ``a``, time of the latest)."""
        pos = np.asarray(sig.positions.get(a, ()), np.int64)
        pos = pos[pos + 1 < self.items.size]
        hits = pos[self.items[pos + 1] == b] + 1
        return int(hits.size), int(self.times[hits[-1]]) if hits.size else 0

    def within_session(self, sig: Signals, a: int, b: int, window: int) -> tuple[int, int]:
        """(plays of ``a`` followed by ``b`` within ``window`` plays in the same session, latest time)."""
        return self._followers(sig, a, window).get(b, (0, 0))

    def _followers(self, sig: Signals, a: int, window: int) -> dict[int, tuple[int, int]]:
        """For every track that came within ``window`` plays after a play of ``a`` in its session:
        (how many of ``a``'s plays it followed so, the latest time) — once per anchor and state."""
        cache = self.__dict__.setdefault("_follow", {})
        if (a, window) in cache:
            return cache[(a, window)]
        out: dict[int, tuple[int, int]] = {}
        pos = np.asarray(sig.positions.get(a, ()), np.int64)
        if pos.size:
            steps = pos[:, None] + np.arange(1, window + 1)
            ok = steps < self.items.size
            steps = np.where(ok, steps, 0)
            ok &= self.session[steps] == self.session[pos][:, None]
            rows, cols = np.nonzero(ok)
            items, times = self.items[steps[rows, cols]], self.times[steps[rows, cols]]
            keep = items >= 0
            rows, items, times = rows[keep], items[keep], times[keep]
            # each play of ``a`` counts once per follower: its first step reaching it
            pair = np.unique(rows * (int(self.items.max()) + 1) + items, return_index=True)[1]
            rows, items, times = rows[pair], items[pair], times[pair]
            order = np.argsort(items, kind="stable")
            items, times = items[order], times[order]
            uniq, start, count = np.unique(items, return_index=True, return_counts=True)
            latest = np.maximum.reduceat(times, start) if start.size else start
            out = {int(i): (int(c), int(t)) for i, c, t in zip(uniq, count, latest, strict=True)}
        cache[(a, window)] = out
        return out

    def session_artists(self, sig: Signals, start: int) -> tuple[dict[int, int], int]:
        """({artist: plays} of the known plays from ``start`` on, how many known plays) — once per
        state: a long session in progress would otherwise be walked once per candidate."""
        cache = self.__dict__.setdefault("_session_artists", {})
        if start not in cache:
            tail = self.items[start:]
            tail = tail[tail >= 0]
            arts, counts = np.unique(sig.artist_of[tail], return_counts=True)
            cache[start] = (dict(zip(arts.tolist(), counts.tolist(), strict=True)), int(tail.size))
        return cache[start]

    def plays_since(self, item: int, since: int) -> int:
        start = int(np.searchsorted(self.times, since, side="left"))
        return int(np.count_nonzero(self.items[start:] == item))

    def artist_plays_since(self, artist_of: np.ndarray, artist: int, since: int) -> int:
        start = int(np.searchsorted(self.times, since, side="left"))
        tail = self.items[start:]
        tail = tail[tail >= 0]
        return int(np.count_nonzero(artist_of[tail] == artist))


def known_evidence(
    state: SeqState, sig: Signals, item: int, groups: list[str], gap_s: int, now: float
) -> Evidence:
    """The first group (in ``groups``' order, strongest first) whose claim the history supports."""
    h = History.of(state, gap_s)
    last = state.last
    fresh = now - h.now < FRESH_S
    for group in groups:
        if group == "next" and last >= 0:
            n, at = h.after(sig, last, item)
            if n:
                return Evidence("after", item, n, anchor=last, last_at=at)
        if group in ("next", "session") and last >= 0:
            best = (0, 0, -1)
            session = state.items[max(state.session_start, len(state.items) - SESSION_CONTEXT) :]
            for anchor in reversed(session):
                if anchor < 0 or anchor == item:
                    continue
                n, at = h.within_session(sig, anchor, item, SR_WINDOW)
                if n > best[0]:
                    best = (n, at, anchor)
            if best[0]:
                return Evidence("session", item, best[0], anchor=best[2], last_at=best[1], within=SR_WINDOW)
        if group == "artist":
            art = int(sig.artist_of[item])
            by_artist, known = h.session_artists(sig, state.session_start)
            in_session = by_artist.get(art, 0)
            if in_session:
                return Evidence("artist_session", item, in_session, artist=art, of=known)
            if last >= 0:
                from_art = int(sig.artist_of[last])
                cols, vals = sig.art_trans.row(from_art)
                n = int(vals[cols == art].sum())
                if n and from_art != art:
                    return Evidence("artist_next", item, n, artist=art, from_artist=from_art)
        if group == "rotation":
            session = h.items[state.session_start :]
            mine = np.flatnonzero(session == item)
            if mine.size:
                ago = int(session.size - mine[-1])
                return Evidence("in_session", item, int(mine.size), ago=ago, last_at=int(sig.last_time[item]))
            for days in WINDOWS_DAYS:
                n = h.plays_since(item, h.now - days * DAY)
                if n >= 2:
                    return Evidence("recent", item, n, days=days, until=h.now, fresh=fresh)
        if group == "favourite" and sig.count[item] >= FAVOURITE_PLAYS:
            return Evidence("favourite", item, int(sig.count[item]), first_at=int(sig.first_time[item]))
    return Evidence("heard", item, int(sig.count[item]), last_at=int(sig.last_time[item]))


def new_evidence(
    state: SeqState, sig: Signals, item: int, gap_s: int, now: float, artist: int | None = None
) -> Evidence:
    """For a track new to the listener (``item``: its dense index, -1 when outside the space, then
    ``artist``: its dense artist index, -1 unknown): how much its artist was played — in a stated
    window first, then in all."""
    h = History.of(state, gap_s)
    art = int(sig.artist_of[item]) if item >= 0 else int(-1 if artist is None else artist)
    if art < 0:
        return Evidence("new", item, 0)
    fresh = now - h.now < FRESH_S
    for days in WINDOWS_DAYS:
        n = h.artist_plays_since(sig.artist_of, art, h.now - days * DAY)
        if n:
            return Evidence("new_artist_recent", item, n, artist=art, days=days, until=h.now, fresh=fresh)
    known = np.flatnonzero(h.items >= 0)
    mine = known[sig.artist_of[h.items[known]] == art]
    if mine.size:
        return Evidence("new_artist", item, int(mine.size), artist=art, last_at=int(h.times[mine[-1]]))
    return Evidence("new", item, 0, artist=art)


def wall_clock() -> float:
    return time.time()
