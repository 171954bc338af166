"""Read interfaces over the store for sessions, stats, models and the GUI (no ORM objects leak out)."""

from __future__ import annotations

from dataclasses import dataclass
from itertools import chain

import numpy as np
from sqlalchemy import Connection, Engine, func, select

from core.store.schema import Account, Album, Artist, Scrobble, Skip, Track


@dataclass
class PlayFrame:
    """An account's plays as time-sorted column arrays. Unknown values: -1 (ids), NaN (durations)."""

    played_at: np.ndarray  # int64 unix seconds, start of play
    track_id: np.ndarray  # int64
    artist_id: np.ndarray  # int64
    album_id: np.ndarray  # int64, -1 when unknown
    ms_played: np.ndarray  # float64, NaN when the source did not say
    duration_ms: np.ndarray  # float64 track length, NaN when unknown

    def __len__(self) -> int:
        return int(self.played_at.size)

    def take(self, idx: np.ndarray) -> PlayFrame:
        return PlayFrame(*(getattr(self, f)[idx] for f in self.__dataclass_fields__))

    @classmethod
    def empty(cls) -> PlayFrame:
        i, f = np.empty(0, np.int64), np.empty(0, np.float64)
        return cls(i, i.copy(), i.copy(), i.copy(), f, f.copy())


def _conn(bind: Connection | Engine):
    return bind.connect() if isinstance(bind, Engine) else _Borrowed(bind)


def _plain_rows(conn: Connection, stmt) -> list[tuple]:
    """The statement's rows as the driver's plain tuples, for big all-integer reads.

    SQLAlchemy's Row objects cost more than SQLite's own work here (2.6 s against 1.5 s for the
    plays of a 1M-play account); these columns need no type processing, so read the DB-API cursor.
    """
    result = conn.execute(stmt)
    try:
        return result.cursor.fetchall()
    finally:
        result.close()


class _Borrowed:
    def __init__(self, conn: Connection):
        self.conn = conn

    def __enter__(self) -> Connection:
        return self.conn

    def __exit__(self, *exc) -> None:
        return None


def load_plays(
    bind: Connection | Engine, account_id: int, start: int | None = None, end: int | None = None
) -> PlayFrame:
    """All plays of an account (optionally ``start <= played_at < end``), sorted by time."""
    stmt = (
        select(
            Scrobble.played_at,
            Scrobble.track_id,
            Track.artist_id,
            func.coalesce(Scrobble.album_id, Track.album_id, -1),
            func.coalesce(Scrobble.ms_played, -1),
            func.coalesce(Track.duration_ms, -1),
        )
        .join(Track, Track.id == Scrobble.track_id)
        .where(Scrobble.account_id == account_id)
        .order_by(Scrobble.played_at, Scrobble.track_id)
    )
    if start is not None:
        stmt = stmt.where(Scrobble.played_at >= start)
    if end is not None:
        stmt = stmt.where(Scrobble.played_at < end)
    with _conn(bind) as conn:
        rows = _plain_rows(conn, stmt)
    if not rows:
        return PlayFrame.empty()
    flat = np.fromiter(chain.from_iterable(rows), dtype=np.int64, count=6 * len(rows)).reshape(-1, 6)
    ms = flat[:, 4].astype(np.float64)
    ms[flat[:, 4] < 0] = np.nan
    dur = flat[:, 5].astype(np.float64)
    dur[flat[:, 5] <= 0] = np.nan
    return PlayFrame(flat[:, 0].copy(), flat[:, 1].copy(), flat[:, 2].copy(), flat[:, 3].copy(), ms, dur)


def count_plays_upto(bind: Connection | Engine, account_id: int, t: int) -> int:
    """How many plays of the account are stored at or before ``t``: a warm state that counted them
    compares it to its own count, and a play added to or removed from its past shows."""
    stmt = (
        select(func.count())
        .select_from(Scrobble)
        .where(Scrobble.account_id == account_id, Scrobble.played_at <= t)
    )
    with _conn(bind) as conn:
        return int(conn.execute(stmt).scalar_one())


def load_skips(bind: Connection | Engine, account_id: int) -> tuple[np.ndarray, np.ndarray]:
    """(played_at, track_id) of stored short plays (skips), time-sorted."""
    with _conn(bind) as conn:
        rows = _plain_rows(
            conn,
            select(Skip.played_at, Skip.track_id)
            .where(Skip.account_id == account_id)
            .order_by(Skip.played_at),
        )
    arr = np.array(rows, dtype=np.int64).reshape(-1, 2)
    return arr[:, 0], arr[:, 1]


@dataclass(frozen=True)
class TrackInfo:
    id: int
    name: str
    artist_id: int
    artist: str
    album: str | None
    duration_ms: int | None
    mbid: str | None
    album_id: int | None = None


def track_info(bind: Connection | Engine, ids) -> dict[int, TrackInfo]:
    """Names for track ids (chunked IN queries)."""
    ids = [int(i) for i in ids]
    out: dict[int, TrackInfo] = {}
    stmt = (
        select(
            Track.id,
            Track.name,
            Track.artist_id,
            Artist.name,
            Album.name,
            Track.duration_ms,
            Track.mbid,
            Track.album_id,
        )
        .join(Artist, Artist.id == Track.artist_id)
        .outerjoin(Album, Album.id == Track.album_id)
    )
    with _conn(bind) as conn:
        for i in range(0, len(ids), 500):
            for row in conn.execute(stmt.where(Track.id.in_(ids[i : i + 500]))):
                out[row[0]] = TrackInfo(*row)
    return out


def track_artists(bind: Connection | Engine, ids) -> dict[int, int]:
    """{track id: artist id} for the tracks of ``ids`` that exist (one table, no names: for callers
    that need only who made a track and that it is still there)."""
    ids = sorted({int(i) for i in ids})
    out: dict[int, int] = {}
    with _conn(bind) as conn:
        for i in range(0, len(ids), 500):
            stmt = select(Track.id, Track.artist_id).where(Track.id.in_(ids[i : i + 500]))
            out.update((int(t), int(a)) for t, a in conn.execute(stmt))
    return out


def tracks_of_artists(bind: Connection | Engine, artist_ids) -> list[tuple[int, int, str, str]]:
    """(track id, artist id, track name, artist name) of every stored track by ``artist_ids``."""
    ids = sorted({int(i) for i in artist_ids if i is not None and i >= 0})
    out: list[tuple[int, int, str, str]] = []
    with _conn(bind) as conn:
        for i in range(0, len(ids), 500):
            stmt = (
                select(Track.id, Track.artist_id, Track.name, Artist.name)
                .join(Artist, Artist.id == Track.artist_id)
                .where(Track.artist_id.in_(ids[i : i + 500]))
            )
            out.extend(_plain_rows(conn, stmt))
    return out


def names(bind: Connection | Engine, model, ids) -> dict[int, str]:
    """Display names for artist or album ids."""
    ids = [int(i) for i in ids if i is not None and i >= 0]
    out: dict[int, str] = {}
    with _conn(bind) as conn:
        for i in range(0, len(ids), 500):
            out.update(conn.execute(select(model.id, model.name).where(model.id.in_(ids[i : i + 500]))).all())
    return out


@dataclass(frozen=True)
class AccountInfo:
    id: int
    name: str
    kind: str
    username: str | None
    plays: int
    first: int | None
    last: int | None


def list_accounts(bind: Connection | Engine, name: str | None = None) -> list[AccountInfo]:
    """Accounts with their play counts and time span (only ``name`` when given)."""
    stmt = (
        select(
            Account.id,
            Account.name,
            Account.kind,
            Account.username,
            func.count(Scrobble.id),
            func.min(Scrobble.played_at),
            func.max(Scrobble.played_at),
        )
        .outerjoin(Scrobble, Scrobble.account_id == Account.id)
        .group_by(Account.id)
        .order_by(Account.name)
    )
    if name is not None:
        stmt = stmt.where(Account.name == name)
    with _conn(bind) as conn:
        return [AccountInfo(*row) for row in conn.execute(stmt)]


def account_by_name(bind: Connection | Engine, name: str) -> AccountInfo | None:
    found = list_accounts(bind, name)
    return found[0] if found else None
