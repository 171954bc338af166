"""The items a backlog works on: an account's distinct tracks, their artists and albums, most played first."""

from __future__ import annotations

from sqlalchemy import Connection, func, select

from core.features.providers.base import Item
from core.store.schema import Album, Artist, Scrobble, Track


def _plays(account_id: int | None):
    stmt = select(
        Scrobble.track_id.label("track_id"),
        func.count().label("plays"),
        func.max(Scrobble.album_id).label("album_id"),
    )
    if account_id is not None:
        stmt = stmt.where(Scrobble.account_id == account_id)
    return stmt.group_by(Scrobble.track_id).subquery()


def _with_plays(stmt, plays, account_id: int | None):
    """Join the play counts right after ``track`` (inner join when counting one account's tracks)."""
    if account_id is not None:
        return stmt.join(plays, plays.c.track_id == Track.id)
    return stmt.outerjoin(plays, plays.c.track_id == Track.id)


def track_items(conn: Connection, account_id: int | None) -> list[Item]:
    """Every distinct track the account played (all tracks in the store when ``account_id`` is None)."""
    plays = _plays(account_id)
    album_id = func.coalesce(Track.album_id, plays.c.album_id)
    n = func.coalesce(plays.c.plays, 0)
    stmt = select(
        Track.id,
        Artist.name,
        Track.name,
        Album.name,
        Track.duration_ms,
        Track.mbid,
        Track.artist_id,
        album_id,
        n,
    ).select_from(Track)
    stmt = (
        _with_plays(stmt, plays, account_id)
        .join(Artist, Artist.id == Track.artist_id)
        .outerjoin(Album, Album.id == album_id)
        .order_by(n.desc(), Track.id)
    )
    return [
        Item("track", tid, artist or "", title or "", album or "", dur, mbid, aid, alb, int(p or 0))
        for tid, artist, title, album, dur, mbid, aid, alb, p in conn.execute(stmt)
    ]


def artist_items(conn: Connection, account_id: int | None) -> list[Item]:
    plays = _plays(account_id)
    n = func.coalesce(func.sum(plays.c.plays), 0)
    stmt = select(Artist.id, Artist.name, Artist.mbid, n).select_from(Track)
    stmt = (
        _with_plays(stmt, plays, account_id)
        .join(Artist, Artist.id == Track.artist_id)
        .group_by(Artist.id, Artist.name, Artist.mbid)
        .order_by(n.desc(), Artist.id)
    )
    return [
        Item("artist", aid, name or "", mbid=mbid, artist_id=aid, plays=int(p or 0))
        for aid, name, mbid, p in conn.execute(stmt)
    ]


def album_items(conn: Connection, account_id: int | None) -> list[Item]:
    plays = _plays(account_id)
    album_id = func.coalesce(Track.album_id, plays.c.album_id)
    n = func.coalesce(func.sum(plays.c.plays), 0)
    stmt = select(Album.id, Artist.name, Album.name, Album.mbid, Album.artist_id, n).select_from(Track)
    stmt = (
        _with_plays(stmt, plays, account_id)
        .join(Album, Album.id == album_id)
        .join(Artist, Artist.id == Album.artist_id)
        .group_by(Album.id, Artist.name, Album.name, Album.mbid, Album.artist_id)
        .order_by(n.desc(), Album.id)
    )
    return [
        Item(
            "album", alb, artist or "", title or "", mbid=mbid, artist_id=aid, album_id=alb, plays=int(p or 0)
        )
        for alb, artist, title, mbid, aid, p in conn.execute(stmt)
    ]


def items_for(conn: Connection, kind: str, account_id: int | None) -> list[Item]:
    return {"track": track_items, "artist": artist_items, "album": album_items}[kind](conn, account_id)
