"""SQLite scrobble database in the spacedlevo/lastfm-analysis layout.

Tables ``artists(id, mbid, name)``, ``albums(id, mbid, name, artist_id)``, ``tracks(id, mbid, name,
artist_id, album_id)``, ``listens(id, track_id, timestamp)`` with ``timestamp`` in Unix seconds.
The track table (names joined once) is read into memory, then listens are streamed in ``listens.id``
order; ``line`` is ``listens.id``. Every play of a track shares the same name objects, so the ingest's
lookups hash each name once, not once per play. A file on
disk is opened read-only (``file:...?mode=ro``); a zip member is loaded into memory with
``Connection.deserialize`` (nothing is extracted to disk).
"""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path, PurePath

from core.sources.importers.base import ImportOptions, Item, Source, as_source, failure
from core.sources.importers.timeparse import parse_any
from core.sources.records import PlayRecord, SkippedRow

FORMAT = "lastfm-sqlite"
DESCRIPTION = "SQLite scrobble DB: artists, albums, tracks, listens(track_id, timestamp) tables"

MAGIC = b"SQLite format 3\x00"
TABLES = ("artists", "albums", "tracks", "listens")
TRACKS = """
SELECT t.id, trim(a.name), trim(t.name), NULLIF(trim(al.name), ''),
       NULLIF(trim(a.mbid), ''), NULLIF(trim(al.mbid), ''), NULLIF(trim(t.mbid), '')
FROM tracks AS t
LEFT JOIN artists AS a ON a.id = t.artist_id
LEFT JOIN albums AS al ON al.id = t.album_id
"""
LISTENS = "SELECT id, track_id, timestamp FROM listens ORDER BY id"


def sniff(path: PurePath, head: bytes) -> float:
    if not head.startswith(MAGIC):
        return 0.0
    found = sum(bool(re.search(rb'CREATE TABLE\s+["`\[]?' + t.encode(), head, re.I)) for t in TABLES)
    return 0.95 if found == len(TABLES) else 0.2


def connect(src: Source) -> sqlite3.Connection:
    """Read-only connection: the file itself, or an in-memory copy of a zip member."""
    try:
        if src.path is not None:
            return sqlite3.connect(f"{src.path.resolve().as_uri()}?mode=ro", uri=True)
        conn = sqlite3.connect(":memory:")
        conn.deserialize(src.read_bytes())
        return conn
    except sqlite3.Error as exc:
        raise failure(src, f"cannot open as SQLite: {exc}") from None


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value))


def read(path: Path | Source, options: ImportOptions) -> Iterator[Item]:
    src = as_source(path)
    new = tuple.__new__
    with closing(connect(src)) as conn:
        try:
            names = {row[0]: row[1:] for row in conn.execute(TRACKS)}
            cursor = conn.execute(LISTENS)
        except sqlite3.Error as exc:
            raise failure(src, f"not the artists/albums/tracks/listens layout: {exc}") from None
        cursor.arraysize = 5000
        unknown = (None,) * 6
        try:
            while rows := cursor.fetchmany():
                # Names and ids come trimmed (empty → NULL) from SQL: no per-row Python string work.
                for lid, track_id, ts in rows:
                    artist, track, album, artist_mbid, album_mbid, track_mbid = names.get(track_id, unknown)
                    if type(ts) is not int:
                        ts = _timestamp(src, ts, lid)
                    if not artist or not track:
                        yield SkippedRow("empty_name", lid)
                        continue
                    yield new(PlayRecord, (
                        artist, track, ts, album, None, None, artist_mbid, album_mbid, track_mbid, 1, "play", lid,
                    ))
        except sqlite3.Error as exc:
            raise failure(src, f"SQLite error while reading: {exc}") from None


def _timestamp(src: Source, value: object, lid: int) -> int:
    try:
        if isinstance(value, float):
            return int(value)
        return parse_any(_text(value))[0]
    except ValueError:
        raise failure(src, f"bad timestamp {value!r} in listens row {lid}", line=lid, field="timestamp") from None
