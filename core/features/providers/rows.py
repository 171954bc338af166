"""Writing fetched features into the store (one small function per table; the caller owns the transaction)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from sqlalchemy import Connection, delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from core.store.schema import Album, Artist, ArtistInfo, Artwork, AudioFeatures, ItemTag, Lyrics, Track

#: The columns of ``audio_features`` that hold features (NULL = unknown, never 0).
AUDIO_COLUMNS: tuple[str, ...] = (
    "acousticness",
    "danceability",
    "duration_ms",
    "energy",
    "instrumentalness",
    "liveness",
    "loudness",
    "speechiness",
    "tempo",
    "valence",
    "mode",
    "key",
)


def upsert(conn: Connection, model, values: Mapping[str, Any], keys: Iterable[str]) -> None:
    """INSERT ... ON CONFLICT (keys) DO UPDATE SET every other given column (SQLite and PostgreSQL)."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    stmt = dialect.insert(model).values(**values)
    keys = list(keys)
    rest = {k: stmt.excluded[k] for k in values if k not in keys}
    conn.execute(
        stmt.on_conflict_do_update(index_elements=keys, set_=rest)
        if rest
        else stmt.on_conflict_do_nothing(index_elements=keys)
    )


def replace_tags(
    conn: Connection, kind: str, item_id: int, tags: Iterable[tuple[str, float]], provider: str
) -> int:
    """Replace ``provider``'s tags of one item; names are trimmed, lower-cased and de-duplicated."""
    conn.execute(
        delete(ItemTag).where(
            ItemTag.item_kind == kind, ItemTag.item_id == item_id, ItemTag.provider == provider
        )
    )
    seen: dict[str, float] = {}
    for name, weight in tags:
        key = " ".join(str(name).split()).lower()[:200]
        if key and key not in seen:
            seen[key] = float(weight)
    if seen:
        conn.execute(
            ItemTag.__table__.insert(),
            [
                {"item_kind": kind, "item_id": item_id, "tag": k, "weight": w, "provider": provider}
                for k, w in seen.items()
            ],
        )
    return len(seen)


def save_lyrics(conn: Connection, track_id: int, text: str, *, synced: bool, provider: str, now: int) -> None:
    upsert(
        conn,
        Lyrics,
        {
            "track_id": track_id,
            "text": text,
            "synced": bool(synced),
            "provider": provider[:40],
            "fetched_at": now,
        },
        ["track_id"],
    )


def merge_audio_features(
    conn: Connection, kind: str, item_id: int, values: Mapping[str, float | None], provider: str, now: int
) -> None:
    """Write the known features of one item, keeping columns this source does not know (NULL stays NULL,
    other sources' values stay).  ``provider`` lists every source that contributed ('librosa+acousticbrainz')."""
    known = {k: float(v) for k, v in values.items() if k in AUDIO_COLUMNS and v is not None}
    if kind == "track" and known.get("duration_ms"):
        fill_durations(conn, {item_id: known["duration_ms"]})
    row = conn.execute(
        select(AudioFeatures.provider).where(
            AudioFeatures.item_kind == kind, AudioFeatures.item_id == item_id
        )
    ).first()
    if row is None:
        conn.execute(
            AudioFeatures.__table__.insert().values(
                item_kind=kind, item_id=item_id, provider=provider[:40], fetched_at=now, **known
            )
        )
        return
    parts = [p for p in (row[0] or "").split("+") if p]
    if provider not in parts:
        parts.append(provider)
    conn.execute(
        update(AudioFeatures)
        .where(AudioFeatures.item_kind == kind, AudioFeatures.item_id == item_id)
        .values(provider="+".join(parts)[:40], fetched_at=now, **known)
    )


def save_artist_info(
    conn: Connection,
    artist_id: int,
    *,
    summary: str | None,
    content: str | None,
    url: str | None,
    license: str | None,
    now: int,
) -> None:  # noqa: A002 - column name
    upsert(
        conn,
        ArtistInfo,
        {
            "artist_id": artist_id,
            "summary": summary,
            "content": content,
            "url": url,
            "license": license,
            "fetched_at": now,
        },
        ["artist_id"],
    )


def save_artwork(
    conn: Connection, album_id: int, *, path: str | None, source_url: str | None, now: int
) -> None:
    upsert(
        conn,
        Artwork,
        {"album_id": album_id, "path": path, "source_url": source_url, "fetched_at": now},
        ["album_id"],
    )


def set_track_ids(conn: Connection, track_id: int, *, mbid: str | None, isrc: str | None) -> None:
    values = {}
    if mbid:
        values["mbid"] = mbid[:36]
    if isrc:
        values["isrc"] = isrc[:15]
    if values:
        conn.execute(update(Track).where(Track.id == track_id).values(**values))


def fill_durations(conn: Connection, lengths: Mapping[int, float | int | None]) -> int:
    """Set ``track.duration_ms`` where it is still NULL (an import's own length always wins); returns
    how many tracks gained one. Sessions and listening time then use it instead of an estimate."""
    changed = 0
    for track_id, ms in lengths.items():
        if ms is None or not 1000 <= float(ms) <= 86_400_000:
            continue
        result = conn.execute(
            update(Track)
            .where(Track.id == int(track_id), Track.duration_ms.is_(None))
            .values(duration_ms=int(round(float(ms))))
        )
        changed += int(result.rowcount or 0)
    return changed


def backfill_durations(conn: Connection) -> int:
    """Give tracks without a length the one their stored audio features know (rows saved before
    ``fill_durations`` existed); artist-level means never count. Returns how many changed."""
    feature = (
        select(AudioFeatures.duration_ms)
        .where(
            AudioFeatures.item_kind == "track",
            AudioFeatures.item_id == Track.id,
            AudioFeatures.duration_ms >= 1000,
            ~AudioFeatures.provider.like("table-mean:%"),
        )
        .limit(1)
        .scalar_subquery()
    )
    result = conn.execute(
        update(Track)
        .where(Track.duration_ms.is_(None), feature.isnot(None))
        .values(duration_ms=func.round(feature))
    )
    return int(result.rowcount or 0)


def fill_mbid(conn: Connection, model, row_id: int | None, mbid: str | None) -> bool:
    """Set ``model.mbid`` where it is still NULL; True when it changed."""
    if row_id is None or not mbid or model not in (Album, Artist, Track):
        return False
    result = conn.execute(
        update(model).where(model.id == row_id, model.mbid.is_(None)).values(mbid=mbid[:36])
    )
    return bool(result.rowcount)
