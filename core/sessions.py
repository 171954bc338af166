"""Sessionization and skip inference (docs/architecture.md §6), vectorised over a PlayFrame.

- Consecutive duplicate scrobbles collapse: the same track again before the previous play of it
  could have ended (or within 30 s when its length is unknown) is one play.
- A play is a *skip* when it was cut short: the next play starts before it could have ended (the
  track's known length minus a 10 s tolerance), or — when the source recorded how long it played
  (Spotify) — it played for less than the track's known length minus 10 s. When the source gives
  the played time but the track length is unknown, nothing is inferred: the start times of such
  sources are derived from the played time (and often rounded to the minute), so an overlap with the
  next play says nothing about skipping. (Spotify plays under 30 s are already stored as skips.)
- Gap = start − (previous start + previous length when known). A gap above the threshold (default
  2 h, a setting) starts a new session.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.store.queries import PlayFrame

DEFAULT_GAP_S = 2 * 3600
DUPLICATE_WINDOW_S = 30
SKIP_TOLERANCE_S = 10


def _length_s(frame: PlayFrame) -> np.ndarray:
    """Best-known length of each play in seconds (ms_played, else track duration), NaN if unknown."""
    ms = np.where(np.isnan(frame.ms_played), frame.duration_ms, frame.ms_played)
    return ms / 1000.0


def collapse_duplicates(frame: PlayFrame) -> tuple[PlayFrame, np.ndarray]:
    """Drop repeated scrobbles of one play; returns the kept frame and the kept indices."""
    n = len(frame)
    if n < 2:
        return frame, np.arange(n)
    length = _length_s(frame)
    delta = np.diff(frame.played_at).astype(np.float64)
    limit = np.where(
        np.isnan(length[:-1]),
        DUPLICATE_WINDOW_S,
        np.maximum(length[:-1] - SKIP_TOLERANCE_S, DUPLICATE_WINDOW_S),
    )
    dup = (frame.track_id[1:] == frame.track_id[:-1]) & (delta < limit)
    keep = np.concatenate([[True], ~dup])
    idx = np.flatnonzero(keep)
    return frame.take(idx), idx


@dataclass
class Sessions:
    """Sessions over a (collapsed) frame: ``start[i]:end[i]`` index plays of session i."""

    frame: PlayFrame
    start: np.ndarray
    end: np.ndarray
    skipped: np.ndarray  # bool per play
    gap_s: int

    def __len__(self) -> int:
        return int(self.start.size)

    @property
    def sizes(self) -> np.ndarray:
        return self.end - self.start

    def session_of(self) -> np.ndarray:
        """Session index of every play."""
        out = np.zeros(len(self.frame), dtype=np.int64)
        if len(self):
            out[self.start[1:]] = 1
            out = np.cumsum(out)
        return out

    def bounds(self, i: int) -> tuple[int, int]:
        """(first start, estimated end) of session i in unix seconds."""
        s, e = int(self.start[i]), int(self.end[i])
        last = e - 1
        length = _length_s(self.frame.take(np.array([last])))[0]
        end = self.frame.played_at[last] + (0 if np.isnan(length) else length)
        return int(self.frame.played_at[s]), int(end)


def sessionize(frame: PlayFrame, gap_s: int = DEFAULT_GAP_S, collapse: bool = True) -> Sessions:
    """Split plays into sessions by the gap rule, inferring skips."""
    if collapse:
        frame, _ = collapse_duplicates(frame)
    n = len(frame)
    if n == 0:
        e = np.empty(0, np.int64)
        return Sessions(frame, e, e.copy(), np.zeros(0, bool), gap_s)
    length = _length_s(frame)
    known = np.nan_to_num(length[:-1], nan=0.0)
    starts = frame.played_at.astype(np.float64)
    gap = starts[1:] - (starts[:-1] + known)
    new_session = gap > gap_s
    duration = frame.duration_ms / 1000.0
    played = frame.ms_played / 1000.0
    skipped = (~np.isnan(played)) & (~np.isnan(duration)) & (played < duration - SKIP_TOLERANCE_S)
    overlap = np.zeros(n, dtype=bool)
    overlap[:-1] = (
        np.isnan(played[:-1])
        & ~np.isnan(duration[:-1])
        & (np.diff(starts) < duration[:-1] - SKIP_TOLERANCE_S)
        & ~new_session
    )
    skipped |= overlap
    start = np.concatenate([[0], np.flatnonzero(new_session) + 1])
    end = np.concatenate([start[1:], [n]])
    return Sessions(frame, start, end, skipped, gap_s)
