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
- Listening time of a play (``play_lengths``): ``ms_played`` when the source recorded it, else the
  track's length (imports, MusicBrainz, the user's own files and feature tables all fill
  ``track.duration_ms``), else an *estimate*: the gap to the next play, capped at the track's typical
  length in this history (the median of its own gaps under 20 min, once it has 3) or at 4 min. Only
  those plays are marked estimated. A session ends when its last play does (known or estimated), and
  its length in whole minutes (``whole_minutes``) is the one figure the CLI and the GUI both show.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from core.store.queries import PlayFrame

DEFAULT_GAP_S = 2 * 3600
DUPLICATE_WINDOW_S = 30
SKIP_TOLERANCE_S = 10
ESTIMATE_CAP_S = 240.0  # a typical track: the longest an unknown-length play is assumed to last ...
TYPICAL_GAP_MAX_S = 20 * 60  # ... unless this track's own gaps (those under 20 min) say it is longer
TYPICAL_MIN_GAPS = 3


def whole_minutes(seconds: float) -> int:
    """A length in whole minutes, rounded half up (41:30 is 42 min) — CLI and GUI both use this."""
    return int((max(0.0, float(seconds)) + 30) // 60)


def _length_s(frame: PlayFrame) -> np.ndarray:
    """Best-known length of each play in seconds (ms_played, else track duration), NaN if unknown."""
    ms = np.where(np.isnan(frame.ms_played), frame.duration_ms, frame.ms_played)
    return ms / 1000.0


def _typical_lengths(frame: PlayFrame, unknown: np.ndarray) -> np.ndarray:
    """Per play, the cap for an estimate: its track's median gap to the next play (gaps of at most
    ``TYPICAL_GAP_MAX_S``, at least ``TYPICAL_MIN_GAPS`` of them) when above ``ESTIMATE_CAP_S``."""
    n = len(frame)
    cap = np.full(n, ESTIMATE_CAP_S)
    if n < 2:
        return cap
    gaps = np.diff(frame.played_at).astype(np.float64)
    tracks = frame.track_id[:-1]
    ok = unknown[:-1] & (gaps > 0) & (gaps <= TYPICAL_GAP_MAX_S)
    if not ok.any():
        return cap
    t, g = tracks[ok], gaps[ok]
    order = np.lexsort((g, t))
    t, g = t[order], g[order]
    uniq, first, counts = np.unique(t, return_index=True, return_counts=True)
    median = g[first + (counts - 1) // 2]
    typical = np.where(counts >= TYPICAL_MIN_GAPS, np.maximum(median, ESTIMATE_CAP_S), ESTIMATE_CAP_S)
    pos = np.searchsorted(uniq, frame.track_id)
    pos = np.clip(pos, 0, uniq.size - 1)
    found = uniq[pos] == frame.track_id
    return np.where(found, typical[pos], ESTIMATE_CAP_S)


def play_lengths(frame: PlayFrame) -> tuple[np.ndarray, np.ndarray]:
    """(listening seconds per play, mask of plays whose length is an estimate) — see the module doc."""
    known = _length_s(frame)
    estimated = np.isnan(known)
    if not estimated.any():
        return known, estimated
    cap = _typical_lengths(frame, estimated)
    gap = cap.copy()
    if len(frame) > 1:
        gap[:-1] = np.clip(np.diff(frame.played_at), 0, cap[:-1])
    return np.where(estimated, gap, known), estimated


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
    seconds: np.ndarray  # listening seconds per play (``play_lengths``)
    estimated: np.ndarray  # bool per play: its length is an estimate

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

    @property
    def first(self) -> np.ndarray:
        """Start of each session's first play (unix seconds)."""
        return self.frame.played_at[self.start].astype(np.int64)

    @property
    def last_end(self) -> np.ndarray:
        """End of each session's last play: its start plus its length (known or estimated)."""
        last = self.end - 1
        return (self.frame.played_at[last] + np.rint(self.seconds[last])).astype(np.int64)

    @property
    def end_estimated(self) -> np.ndarray:
        """True where a session's end rests on an estimated length (its last play's)."""
        return self.estimated[self.end - 1] if len(self) else np.zeros(0, bool)

    def bounds(self, i: int) -> tuple[int, int]:
        """(first start, end) of session i in unix seconds."""
        s, last = int(self.start[i]), int(self.end[i]) - 1
        return int(self.frame.played_at[s]), int(
            self.frame.played_at[last] + round(float(self.seconds[last]))
        )


def sessionize(frame: PlayFrame, gap_s: int = DEFAULT_GAP_S, collapse: bool = True) -> Sessions:
    """Split plays into sessions by the gap rule, inferring skips."""
    if collapse:
        frame, _ = collapse_duplicates(frame)
    n = len(frame)
    if n == 0:
        e = np.empty(0, np.int64)
        return Sessions(frame, e, e.copy(), np.zeros(0, bool), gap_s, np.zeros(0), np.zeros(0, bool))
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
    seconds, estimated = play_lengths(frame)
    return Sessions(frame, start, end, skipped, gap_s, seconds, estimated)
