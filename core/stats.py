"""Charts and reports over a PlayFrame: tops by plays AND listening time, calendar, streaks, clock.

Listening time per play is ``core.sessions.play_lengths`` (recorded, else the track's length, else an
estimate from the gap to the next play); how much of the total was estimated is reported so charts
can say so. Named ranges ("Last 30 days") are defined here once, for the CLI and the GUI alike, and
top lists carry each row's share and its rank in the period before.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np

from core.sessions import play_lengths
from core.store.queries import PlayFrame

DAY_S = 86400


def resolve_tz(name: str | None) -> ZoneInfo | None:
    """A ZoneInfo for ``name``; None means the machine's local zone."""
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError):
        return None


def last_days(last_played: int, days: int) -> tuple[int, int]:
    """``[start, end)`` of the ``days`` whole UTC calendar days ending with the day of ``last_played``.

    "Last 30 days" means this everywhere (``segue stats --last 30``, the Stats page): the day of the
    newest play and the 29 before it, midnight to midnight UTC, like ``--from``/``--to``.
    """
    end = (int(last_played) // DAY_S + 1) * DAY_S
    return end - days * DAY_S, end


def previous_period(start: int | None, end: int | None) -> tuple[int, int] | None:
    """The period of the same length just before ``[start, end)``; None for an open range."""
    if start is None or end is None or end <= start:
        return None
    return start - (end - start), start


def local_seconds(ts: np.ndarray, tz: ZoneInfo | None = None) -> np.ndarray:
    """Unix seconds shifted into local wall-clock seconds (offset taken per UTC day, DST-aware)."""
    if ts.size == 0:
        return ts.copy()
    days = ts // 86400
    uniq, inv = np.unique(days, return_inverse=True)
    offsets = np.empty(uniq.size, dtype=np.int64)
    for i, d in enumerate(uniq.tolist()):
        moment = datetime.fromtimestamp(d * 86400 + 43200, UTC)
        local = moment.astimezone(tz) if tz is not None else moment.astimezone()
        offsets[i] = int(local.utcoffset().total_seconds())
    return ts + offsets[inv]


def window(frame: PlayFrame, start: int | None = None, end: int | None = None) -> PlayFrame:
    """Plays with ``start <= played_at < end``."""
    if start is None and end is None:
        return frame
    lo = 0 if start is None else int(np.searchsorted(frame.played_at, start, "left"))
    hi = len(frame) if end is None else int(np.searchsorted(frame.played_at, end, "left"))
    return frame.take(np.arange(lo, hi))


@dataclass(frozen=True)
class TopRow:
    id: int
    plays: int
    seconds: float


def top(frame: PlayFrame, by: str = "artist", metric: str = "plays", limit: int = 20) -> list[TopRow]:
    """Top artists/tracks/albums of ``frame`` ranked by ``plays`` or listening ``time``."""
    ids = {"artist": frame.artist_id, "track": frame.track_id, "album": frame.album_id}[by]
    valid = ids >= 0
    if not valid.any():
        return []
    secs, _ = play_lengths(frame)
    uniq, inv = np.unique(ids[valid], return_inverse=True)
    plays = np.bincount(inv)
    seconds = np.bincount(inv, weights=secs[valid])
    key = plays if metric == "plays" else seconds
    other = seconds if metric == "plays" else plays
    order = np.lexsort((-other, -key))
    if limit:
        order = order[:limit]
    return [TopRow(int(uniq[i]), int(plays[i]), float(seconds[i])) for i in order]


def ranks(rows: list[TopRow]) -> dict[int, int]:
    """id -> 1-based rank."""
    return {r.id: i for i, r in enumerate(rows, 1)}


def daily_counts(frame: PlayFrame, tz: ZoneInfo | None = None) -> dict[date, int]:
    """Plays per local calendar day (days without plays are absent)."""
    if len(frame) == 0:
        return {}
    days = local_seconds(frame.played_at, tz) // 86400
    uniq, counts = np.unique(days, return_counts=True)
    epoch = date(1970, 1, 1)
    return {epoch + timedelta(days=int(d)): int(c) for d, c in zip(uniq, counts, strict=True)}


@dataclass(frozen=True)
class Streak:
    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1


def streaks(days: dict[date, int], today: date | None = None) -> tuple[Streak | None, Streak | None]:
    """(longest run of consecutive listening days, current run ending today or yesterday)."""
    if not days:
        return None, None
    ordered = sorted(days)
    runs: list[Streak] = []
    run_start = prev = ordered[0]
    for d in ordered[1:]:
        if (d - prev).days != 1:
            runs.append(Streak(run_start, prev))
            run_start = d
        prev = d
    runs.append(Streak(run_start, prev))
    longest = max(runs, key=lambda s: (s.days, s.end))
    today = today or date.today()
    last = runs[-1]
    current = last if (today - last.end).days <= 1 else None
    return longest, current


def hour_weekday(frame: PlayFrame, tz: ZoneInfo | None = None) -> np.ndarray:
    """7×24 matrix of plays by local weekday (0 = Monday) and hour."""
    out = np.zeros((7, 24), dtype=np.int64)
    if len(frame) == 0:
        return out
    local = local_seconds(frame.played_at, tz)
    hour = (local % 86400) // 3600
    weekday = ((local // 86400) + 3) % 7  # 1970-01-01 was a Thursday
    np.add.at(out, (weekday, hour), 1)
    return out
