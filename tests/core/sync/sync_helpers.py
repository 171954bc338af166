"""Shared bits for the Last.fm sync tests: the real 75k history, API clients, store contents."""

from __future__ import annotations

from functools import lru_cache

from fakes.lastfm_server import DEFAULT_API_KEY, DEFAULT_API_SECRET, load_sqlite_history
from sqlalchemy import select

from core.normalize import artist_key, track_key
from core.sources.lastfm.api import LastfmApi
from core.store.schema import Artist, Scrobble, Track

SQLITE_75K = "lastfm-exports/spacedlevo__lastfmscrobbles.sqlite"


@lru_cache(maxsize=2)
def real_history(listening, limit: int | None = None):
    return tuple(load_sqlite_history(listening / SQLITE_75K, limit=limit))


def api(server, *, per_second: float = 1000.0, session_key: str | None = None, **kw) -> LastfmApi:
    kw.setdefault("backoff_s", 0.01)
    kw.setdefault("rate_pause_s", 0.05)
    kw.setdefault("timeout", 5.0)
    return LastfmApi(
        DEFAULT_API_KEY,
        api_secret=DEFAULT_API_SECRET,
        session_key=session_key,
        root=server.url,
        per_second=per_second,
        **kw,
    )


def play_key(artist: str, track: str, ts: int) -> tuple[int, str, str]:
    return (int(ts), artist_key(artist), track_key(track))


def source_keys(plays) -> set[tuple[int, str, str]]:
    return {play_key(p.artist, p.track, p.played_at) for p in plays if p.artist.strip() and p.track.strip()}


def stored_keys(store, account_id: int | None = None) -> list[tuple[int, str, str]]:
    stmt = (
        select(Scrobble.played_at, Artist.name_key, Track.name_key)
        .join(Track, Track.id == Scrobble.track_id)
        .join(Artist, Artist.id == Track.artist_id)
    )
    if account_id is not None:
        stmt = stmt.where(Scrobble.account_id == account_id)
    with store.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(stmt)]
