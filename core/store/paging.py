"""Paged reads for long lists in the GUI (and anything else that shows a page at a time).

- Plays: newest first, keyset-paged on the ``(account, played_at, track)`` unique index, with an
  optional text filter on artist / track / album names (matched on the casefolded name keys, so
  Cyrillic, Greek and other cased scripts filter case-insensitively too).
- Sessions: ``SessionIndex`` sessionizes an account once (vectorised), answers filters with index
  arrays, and materialises names one page of rows at a time.
- Small reads/writes the GUI lists need: feedback (like / dismiss), model runs, sync state.

Everything here is Qt-free and returns plain dataclasses; callers run it off the GUI thread.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, Engine, delete, func, or_, select, tuple_

from core.normalize import basic_key
from core.sessions import Sessions, sessionize
from core.store.queries import _conn, load_plays, names, track_info
from core.store.schema import Album, Artist, Feedback, ModelRun, Scrobble, SyncState, Track

Bind = Connection | Engine


def _like(text: str) -> str:
    escaped = basic_key(text).replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# -- plays --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class PlayRow:
    played_at: int
    track_id: int
    track: str
    artist: str
    album: str | None
    ms_played: int | None
    duration_ms: int | None
    source: str


Cursor = tuple[int, int]  # (played_at, track_id) of the last row served


def plays_page(
    bind: Bind, account_id: int, after: Cursor | None = None, limit: int = 200, text: str = ""
) -> tuple[list[PlayRow], Cursor | None]:
    """One page of plays, newest first; returns the rows and the cursor for the next page (None at the end)."""
    stmt = (
        select(
            Scrobble.played_at,
            Scrobble.track_id,
            Track.name,
            Artist.name,
            Album.name,
            Scrobble.ms_played,
            Track.duration_ms,
            Scrobble.source,
        )
        .join(Track, Track.id == Scrobble.track_id)
        .join(Artist, Artist.id == Track.artist_id)
        .outerjoin(Album, Album.id == func.coalesce(Scrobble.album_id, Track.album_id))
        .where(Scrobble.account_id == account_id)
        .order_by(Scrobble.played_at.desc(), Scrobble.track_id.desc())
        .limit(limit)
    )
    if after is not None:
        stmt = stmt.where(
            tuple_(Scrobble.played_at, Scrobble.track_id) < tuple_(int(after[0]), int(after[1]))
        )
    if text.strip():
        pattern = _like(text)
        stmt = stmt.where(
            or_(
                Track.name_key.like(pattern, escape="\\"),
                Artist.name_key.like(pattern, escape="\\"),
                Album.name_key.like(pattern, escape="\\"),
            )
        )
    with _conn(bind) as conn:
        rows = [PlayRow(*r) for r in conn.execute(stmt)]
    nxt = (rows[-1].played_at, rows[-1].track_id) if len(rows) == limit else None
    return rows, nxt


def count_plays(bind: Bind, account_id: int) -> int:
    with _conn(bind) as conn:
        return int(
            conn.execute(
                select(func.count()).select_from(Scrobble).where(Scrobble.account_id == account_id)
            ).scalar()
            or 0
        )


def matching_ids(bind: Bind, text: str) -> tuple[np.ndarray, np.ndarray]:
    """(artist ids, track ids) whose names contain ``text`` (casefolded)."""
    if not text.strip():
        e = np.empty(0, np.int64)
        return e, e.copy()
    pattern = _like(text)
    with _conn(bind) as conn:
        artists = [
            r[0] for r in conn.execute(select(Artist.id).where(Artist.name_key.like(pattern, escape="\\")))
        ]
        tracks = [
            r[0] for r in conn.execute(select(Track.id).where(Track.name_key.like(pattern, escape="\\")))
        ]
    return np.asarray(artists, np.int64), np.asarray(tracks, np.int64)


# -- sessions -----------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionRow:
    index: int
    start: int  # unix seconds, first play
    end: int  # end of the last play (its length known or estimated)
    plays: int
    skips: int
    top_artists: tuple[tuple[str, int], ...]  # (name, plays), most played first
    end_estimated: bool = False  # the last play's length is an estimate

    @property
    def minutes(self) -> float:
        return (self.end - self.start) / 60.0


@dataclass(frozen=True)
class SessionPlay:
    played_at: int
    track_id: int
    track: str
    artist: str
    album: str | None
    seconds: float  # listening time (known or estimated)
    estimated: bool
    gap_s: int | None  # silence before this play: start − (previous start + previous length); 0 for the
    # first play, None when the previous play's length is unknown (the gap cannot be told)
    skipped: bool


class SessionIndex:
    """An account's sessions under one gap threshold, with per-session numbers precomputed."""

    def __init__(self, sessions: Sessions):
        self.sessions = sessions
        self.size = sessions.sizes.astype(np.int64)
        self.seconds, self.estimated = sessions.seconds, sessions.estimated
        if len(sessions):
            self.first = sessions.first
            self.last_end = sessions.last_end
            self.end_estimated = sessions.end_estimated
            self.skips = np.add.reduceat(sessions.skipped.astype(np.int64), sessions.start)
        else:
            self.first = self.last_end = self.skips = np.empty(0, np.int64)
            self.end_estimated = np.zeros(0, bool)

    def __len__(self) -> int:
        return len(self.sessions)

    @property
    def gap_s(self) -> int:
        return self.sessions.gap_s

    def years(self) -> list[int]:
        if not len(self):
            return []
        years = {time.gmtime(int(t)).tm_year for t in (self.first.min(), self.first.max())}
        return list(range(max(years), min(years) - 1, -1))

    def filter(
        self,
        min_plays: int = 1,
        max_plays: int | None = None,
        min_minutes: float = 0.0,
        start: int | None = None,
        end: int | None = None,
        artist_ids: np.ndarray | None = None,
        track_ids: np.ndarray | None = None,
    ) -> np.ndarray:
        """Indices of matching sessions, newest first. ``artist_ids``/``track_ids``: sessions with any
        play of one of them (either list may be given; both together mean 'either')."""
        keep = self.size >= min_plays
        if max_plays is not None:
            keep &= self.size <= max_plays
        if min_minutes > 0:
            keep &= (self.last_end - self.first) >= min_minutes * 60
        if start is not None:
            keep &= self.first >= start
        if end is not None:
            keep &= self.first < end
        if artist_ids is not None or track_ids is not None:
            f = self.sessions.frame
            hit = np.zeros(len(f), dtype=bool)
            if artist_ids is not None and artist_ids.size:
                hit |= np.isin(f.artist_id, artist_ids)
            if track_ids is not None and track_ids.size:
                hit |= np.isin(f.track_id, track_ids)
            has = np.zeros(len(self), dtype=bool)
            has[np.unique(self.sessions.session_of()[hit])] = True
            keep &= has
        return np.flatnonzero(keep)[::-1].copy()

    def rows(self, bind: Bind, ids: Sequence[int], top: int = 3) -> list[SessionRow]:
        """Materialise rows (with top artist names) for the given session indices."""
        f = self.sessions.frame
        picked: list[tuple[int, np.ndarray, np.ndarray]] = []
        wanted: set[int] = set()
        for i in ids:
            s, e = int(self.sessions.start[i]), int(self.sessions.end[i])
            uniq, counts = np.unique(f.artist_id[s:e], return_counts=True)
            order = np.argsort(-counts, kind="stable")[:top]
            picked.append((int(i), uniq[order], counts[order]))
            wanted.update(int(a) for a in uniq[order])
        label = names(bind, Artist, wanted)
        return [
            SessionRow(
                i,
                int(self.first[i]),
                int(self.last_end[i]),
                int(self.size[i]),
                int(self.skips[i]),
                tuple((label.get(int(a), "?"), int(c)) for a, c in zip(arts, cnts, strict=True)),
                bool(self.end_estimated[i]),
            )
            for i, arts, cnts in picked
        ]

    def plays(self, bind: Bind, i: int) -> list[SessionPlay]:
        """The plays of session ``i`` with names, listening time, gaps and skips."""
        f = self.sessions.frame
        s, e = int(self.sessions.start[i]), int(self.sessions.end[i])
        info = track_info(bind, np.unique(f.track_id[s:e]))
        known = np.where(self.estimated[s:e], np.nan, self.seconds[s:e])
        out = []
        for k in range(s, e):
            t = info.get(int(f.track_id[k]))
            gap: int | None = 0
            if k > s:
                prev_len = known[k - 1 - s]
                gap = None if np.isnan(prev_len) else int(f.played_at[k] - f.played_at[k - 1] - prev_len)
            out.append(
                SessionPlay(
                    int(f.played_at[k]),
                    int(f.track_id[k]),
                    t.name if t else "?",
                    t.artist if t else "?",
                    t.album if t else None,
                    float(self.seconds[k]),
                    bool(self.estimated[k]),
                    gap,
                    bool(self.sessions.skipped[k]),
                )
            )
        return out


def build_session_index(bind: Bind, account_id: int, gap_s: int, start: int | None = None) -> SessionIndex:
    return SessionIndex(sessionize(load_plays(bind, account_id, start), gap_s))


def last_session(
    bind: Bind, account_id: int, gap_s: int, now: int | None = None, lookback_s: int = 3 * 86400
) -> tuple[list[SessionPlay], bool]:
    """The session in progress (last play within ``gap_s`` of ``now``) or else the last one.

    Returns (plays oldest first, in_progress). Only the last few days of plays are read.
    """
    now = int(time.time()) if now is None else now
    with _conn(bind) as conn:
        newest = conn.execute(
            select(func.max(Scrobble.played_at)).where(Scrobble.account_id == account_id)
        ).scalar()
    if newest is None:
        return [], False
    index = build_session_index(bind, account_id, gap_s, start=int(newest) - lookback_s)
    if not len(index):
        return [], False
    i = len(index) - 1
    in_progress = now - int(index.last_end[i]) <= gap_s
    return index.plays(bind, i), in_progress


# -- feedback -----------------------------------------------------------------------------------
FEEDBACK_KINDS = ("like", "dismiss")


def set_feedback(
    bind: Engine, account_id: int, track_id: int, kind: str | None, context: dict | None = None
) -> None:
    """Record ``like``/``dismiss`` for a track (replacing an earlier one); ``None`` clears it."""
    if kind is not None and kind not in FEEDBACK_KINDS:
        raise ValueError(f"unknown feedback kind {kind!r}")
    with bind.begin() as conn:
        conn.execute(delete(Feedback).where(Feedback.account_id == account_id, Feedback.track_id == track_id))
        if kind is not None:
            conn.execute(
                Feedback.__table__.insert(),
                [
                    {
                        "account_id": account_id,
                        "track_id": int(track_id),
                        "kind": kind,
                        "created_at": int(time.time()),
                        "context": context,
                    }
                ],
            )


def feedback(bind: Bind, account_id: int) -> dict[str, set[int]]:
    """Track ids per feedback kind for an account."""
    out: dict[str, set[int]] = {k: set() for k in FEEDBACK_KINDS}
    with _conn(bind) as conn:
        for track_id, kind in conn.execute(
            select(Feedback.track_id, Feedback.kind).where(Feedback.account_id == account_id)
        ):
            out.setdefault(kind, set()).add(int(track_id))
    return out


# -- models and sync state ----------------------------------------------------------------------
@dataclass(frozen=True)
class ModelRunRow:
    id: int
    model: str
    kind: str
    seed: int | None
    status: str
    started_at: int
    finished_at: int | None
    plays_at_train: int | None
    metrics: dict | None
    artefact_path: str | None


def model_runs(bind: Bind, account_id: int, kind: str | None = None) -> list[ModelRunRow]:
    """Model runs of an account, newest first."""
    stmt = (
        select(
            ModelRun.id,
            ModelRun.model,
            ModelRun.kind,
            ModelRun.seed,
            ModelRun.status,
            ModelRun.started_at,
            ModelRun.finished_at,
            ModelRun.plays_at_train,
            ModelRun.metrics,
            ModelRun.artefact_path,
        )
        .where(ModelRun.account_id == account_id)
        .order_by(ModelRun.started_at.desc(), ModelRun.id.desc())
    )
    if kind is not None:
        stmt = stmt.where(ModelRun.kind == kind)
    with _conn(bind) as conn:
        return [ModelRunRow(*r) for r in conn.execute(stmt)]


@dataclass(frozen=True)
class SyncRow:
    source: str
    watermark: int | None
    last_full_check: int | None
    updated_at: int | None


def sync_states(bind: Bind, account_id: int) -> list[SyncRow]:
    with _conn(bind) as conn:
        return [
            SyncRow(*r)
            for r in conn.execute(
                select(
                    SyncState.source, SyncState.watermark, SyncState.last_full_check, SyncState.updated_at
                ).where(SyncState.account_id == account_id)
            )
        ]
