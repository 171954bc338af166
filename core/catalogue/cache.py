"""The catalogue's cache in the store: fetch rows, the listener's seed links, and answers' items.

Everything here runs inside the caller's transaction; the refresh job commits once per answer.
Entry names resolve through ``core.store.catalog.Catalog`` (the normalised get-or-create every
importer uses), so "Radiohead" from Last.fm and "radiohead" from a history file are one artist row
and a listed track the listener has played is the very row of their plays.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, delete, select, update

from core.catalogue.sources.base import Entry, Want
from core.features.providers.base import Outcome
from core.features.providers.rows import fill_mbid
from core.features.providers.state import RETRY_PREFIX
from core.normalize import artist_key, track_key
from core.store.catalog import Catalog, insert_ignore, upsert_ignore
from core.store.schema import Artist, CatalogueFetch, CatalogueItem, CatalogueSeed, Track

STATUSES = ("pending", "ok", "empty", "not_found", "error")
#: ``catalogue_fetch.packed``: the answer's items as little-endian records (NaN: NULL, -1: no track).
ITEM_DTYPE = np.dtype(
    [
        ("rank", "<i4"),
        ("artist_id", "<i8"),
        ("track_id", "<i8"),
        ("score", "<f8"),
        ("listeners", "<f8"),
        ("playcount", "<f8"),
    ]
)
RETRY_BASE_S = 15 * 60  # a failed fetch is retried after 15 min, doubling per failure, capped by its TTL


@dataclass(frozen=True)
class FetchState:
    id: int
    status: str
    fetched_at: int
    checked_at: int
    ttl_s: int
    attempts: int
    detail: dict | None
    error: str | None = None


def ensure_fetches(
    conn: Connection, source: str, wants: Sequence[Want], ttl_s: int, now: int
) -> dict[str, FetchState]:
    """A fetch row per want (new ones ``pending``); returns key → state."""
    if wants:
        conn.execute(
            upsert_ignore(conn, CatalogueFetch.__table__),
            [
                {
                    "source": source,
                    "key": w.key,
                    "seed_artist_id": w.seed_artist_id,
                    "seed_track_id": w.seed_track_id,
                    "seed_tag": w.seed_tag,
                    "seed_account_id": w.seed_account_id,
                    "fetched_at": 0,
                    "checked_at": 0,
                    "ttl_s": ttl_s,
                    "status": "pending",
                    "attempts": 0,
                    "n_items": 0,
                    "detail": w.detail,
                }
                for w in wants
            ],
        )
    return fetch_states(conn, source, [w.key for w in wants])


def fetch_states(conn: Connection, source: str, keys: Iterable[str] | None = None) -> dict[str, FetchState]:
    stmt = select(
        CatalogueFetch.key,
        CatalogueFetch.id,
        CatalogueFetch.status,
        CatalogueFetch.fetched_at,
        CatalogueFetch.checked_at,
        CatalogueFetch.ttl_s,
        CatalogueFetch.attempts,
        CatalogueFetch.detail,
        CatalogueFetch.error,
    ).where(CatalogueFetch.source == source)
    wanted = None if keys is None else set(keys)
    out = {}
    for key, *rest in conn.execute(stmt):
        if wanted is None or key in wanted:
            out[key] = FetchState(*rest)
    return out


def is_due(state: FetchState, want: Want, now: int, ttl_s: int) -> bool:
    """New, expired, failed long enough ago, or (local sources) its input changed. A retryable failure
    (5xx, 429, timeout: reason starts with ``RETRY_PREFIX``) waits 15 min doubling per failure, capped
    by the TTL; any other failure (a refused request) waits the TTL, as an answer would."""
    if state.status == "pending":
        return True
    if state.status == "error":
        retryable = (state.error or "").startswith(RETRY_PREFIX)
        wait = min(ttl_s, RETRY_BASE_S * 2 ** max(0, state.attempts - 1)) if retryable else ttl_s
        return now >= state.checked_at + wait
    if want.detail is not None and want.detail != state.detail:
        return True
    return now >= state.fetched_at + ttl_s


def link_seeds(conn: Connection, account_id: int, source: str, weights: dict[int, float], now: int) -> None:
    """Make exactly ``weights`` (fetch id → weight) the account's seeds from ``source``: the catalogue
    follows the listener, so seeds that left their rotation are unlinked (their cached answers stay)."""
    own = select(CatalogueFetch.id).where(CatalogueFetch.source == source)
    conn.execute(
        delete(CatalogueSeed).where(
            CatalogueSeed.account_id == account_id,
            CatalogueSeed.fetch_id.in_(own),
            CatalogueSeed.fetch_id.not_in(list(weights)) if weights else True,
        )
    )
    if not weights:
        return
    existing = dict(
        conn.execute(
            select(CatalogueSeed.fetch_id, CatalogueSeed.weight).where(
                CatalogueSeed.account_id == account_id, CatalogueSeed.fetch_id.in_(own)
            )
        ).all()
    )
    new = [(account_id, f, float(w), now) for f, w in weights.items() if f not in existing]
    insert_ignore(conn, CatalogueSeed.__table__, ("account_id", "fetch_id", "weight", "seeded_at"), new)
    for f, w in weights.items():
        if f in existing and abs(existing[f] - w) > 1e-9:
            conn.execute(
                update(CatalogueSeed)
                .where(CatalogueSeed.account_id == account_id, CatalogueSeed.fetch_id == f)
                .values(weight=float(w), seeded_at=now)
            )


def resolve(catalog: Catalog, entries: Sequence[Entry]) -> list[tuple[int, int | None, Entry]]:
    """(artist id, track id or None, entry) per entry with a name, creating rows that are new."""
    named = [e for e in entries if e.artist_id is not None or (e.artist or "").strip()]
    catalog.artist_ids((e.artist, e.artist_mbid or None) for e in named if e.artist_id is None)
    artists = catalog.artists
    with_artist = [
        (e.artist_id if e.artist_id is not None else artists[artist_key(e.artist)], e) for e in named
    ]
    catalog.track_ids(
        (a, e.track, None, e.track_mbid or None, e.duration_ms)
        for a, e in with_artist
        if e.track_id is None and e.track is not None and e.track.strip()
    )
    tracks = catalog.tracks
    out = []
    for a, e in with_artist:
        if e.track_id is not None:
            out.append((a, e.track_id, e))
        elif e.track is None:
            out.append((a, None, e))
        elif e.track.strip():
            out.append((a, tracks[(a, track_key(e.track))], e))
    return out


def save_answer(
    conn: Connection,
    catalog: Catalog,
    fetch_id: int,
    outcome: Outcome,
    now: int,
    detail: dict | None = None,
    *,
    items: bool = True,
) -> int:
    """Store an answer (``ok`` with entries, or ``missing``) as the fetch's items; returns the item count.
    Entries resolving to the same row keep their first (best) position; MBIDs an answer gives fill the
    rows that have none. ``items=False`` (lookups such as MBIDs) records only the status."""
    rows = []
    if items:
        entries: Sequence[Entry] = (outcome.data or []) if outcome.kind == "ok" else []
        seen = set()
        for rank, (artist_id, track_id, e) in enumerate(resolve(catalog, entries), start=1):
            if (artist_id, track_id) in seen:
                continue
            seen.add((artist_id, track_id))
            rows.append((fetch_id, rank, artist_id, track_id, e.score, e.listeners, e.playcount))
            fill_mbid(conn, Artist, artist_id, e.artist_mbid)
            fill_mbid(conn, Track, track_id, e.track_mbid)
        conn.execute(delete(CatalogueItem).where(CatalogueItem.fetch_id == fetch_id))
        insert_ignore(
            conn,
            CatalogueItem.__table__,
            ("fetch_id", "rank", "artist_id", "track_id", "score", "listeners", "playcount"),
            rows,
        )
    if outcome.kind == "missing":
        status = "not_found"
    else:
        status = "ok" if rows or not items else "empty"
    values = dict(
        status=status,
        error=(outcome.reason or None) if status == "not_found" else None,
        fetched_at=now,
        checked_at=now,
        attempts=0,
    )
    if items:
        values.update(n_items=len(rows), packed=pack_items(rows) if rows else None)
    if detail is not None:
        values["detail"] = detail
    conn.execute(update(CatalogueFetch).where(CatalogueFetch.id == fetch_id).values(**values))
    return len(rows)


def pack_items(rows: Sequence[tuple]) -> bytes:
    """Item rows ``(fetch_id, rank, artist_id, track_id, score, listeners, playcount)`` as ITEM_DTYPE bytes."""
    arr = np.empty(len(rows), ITEM_DTYPE)
    nan = float("nan")
    for i, (_, rank, artist_id, track_id, score, listeners, playcount) in enumerate(rows):
        arr[i] = (
            rank,
            artist_id,
            -1 if track_id is None else track_id,
            nan if score is None else score,
            nan if listeners is None else listeners,
            nan if playcount is None else playcount,
        )
    return arr.tobytes()


def record_failure(conn: Connection, fetch_id: int, reason: str, now: int) -> None:
    """An attempt failed: the stored answer (if any) stays readable; the fetch is retried later."""
    conn.execute(
        update(CatalogueFetch)
        .where(CatalogueFetch.id == fetch_id)
        .values(status="error", error=reason[:2000], checked_at=now, attempts=CatalogueFetch.attempts + 1)
    )
