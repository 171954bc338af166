"""SQLite scrobble database in the spacedlevo/lastfm-analysis layout.

Tables ``artists(id, mbid, name)``, ``albums(id, mbid, name, artist_id)``, ``tracks(id, mbid, name,
artist_id, album_id)``, ``listens(id, track_id, timestamp)`` with ``timestamp`` in Unix seconds.
The track table (names joined once) is read into memory, then listens are streamed in ``listens.id``
order, as column blocks; ``line`` is ``listens.id``. Every play of a track shares the same name objects,
so the ingest's lookups hash each name once, not once per play. A file on disk is opened read-only
(``file:...?mode=ro``); a zip member is streamed (with the archive's size limits) into a private
temporary file that is removed when the read ends — SQLite needs a file, and memory stays bounded.
A listens row with a timestamp that is not one → ``bad_row`` (skipped and named).
"""

from __future__ import annotations

import re
import shutil
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from itertools import compress
from pathlib import Path, PurePath

from core.sources.importers.base import ImportOptions, Item, Source, Stream, as_source, bad_row, failure
from core.sources.importers.timeparse import parse_any
from core.sources.records import PlayBlock, PlayRecord, SkippedRow

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
BLOCK = 20_000  # plays per block: the ingest's batch size


def sniff(path: PurePath, head: bytes) -> float:
    if not head.startswith(MAGIC):
        return 0.0
    found = sum(bool(re.search(rb'CREATE TABLE\s+["`\[]?' + t.encode(), head, re.I)) for t in TABLES)
    return 0.95 if found == len(TABLES) else 0.2


@contextmanager
def connect(src: Source) -> Iterator[sqlite3.Connection]:
    """Read-only connection to the file itself, or to a temporary copy of a zip member."""
    if src.path is not None:
        with _open(src, src.path) as conn:
            yield conn
        return
    folder = tempfile.mkdtemp(prefix="segue-sqlite-")
    try:
        copy = Path(folder) / "member.sqlite"
        with src.open() as fh, open(copy, "wb") as out:
            shutil.copyfileobj(fh, out, 1 << 20)
        with _open(src, copy) as conn:
            yield conn
    finally:
        shutil.rmtree(folder, ignore_errors=True)


@contextmanager
def _open(src: Source, path: Path) -> Iterator[sqlite3.Connection]:
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as exc:
        raise failure(src, f"cannot open as SQLite: {exc}") from None
    with closing(conn):
        yield conn


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ("" if value is None else str(value))


def read(path: Path | Source, options: ImportOptions) -> Stream:
    """Plays in blocks of columns (``PlayBlock``), in ``listens.id`` order.

    A chunk whose rows all name a known track and carry integer timestamps — every chunk of a sound
    file — becomes one block without a per-row Python step; any other chunk goes row by row, so an
    empty name is reported as a skipped row and a bad timestamp names its row.
    """
    src = as_source(path)
    with connect(src) as conn:
        try:
            # Names and ids come trimmed (empty → NULL) from SQL; a track without both names is absent.
            names = {row[0]: row[1:] for row in conn.execute(TRACKS) if row[1] and row[2]}
            cursor = conn.execute(LISTENS)
        except sqlite3.Error as exc:
            raise failure(src, f"not the artists/albums/tracks/listens layout: {exc}") from None
        try:
            while rows := cursor.fetchmany(BLOCK):
                lids, track_ids, stamps = zip(*rows, strict=True)
                if not all(type(ts) is int for ts in stamps):
                    yield from _row_by_row(src, rows, names)
                    continue
                found = list(map(names.get, track_ids))
                if None in found:
                    yield from (
                        SkippedRow("empty_name", lid) for lid, f in zip(lids, found, strict=True) if f is None
                    )
                    keep = [f is not None for f in found]
                    lids, stamps, found = (tuple(compress(col, keep)) for col in (lids, stamps, found))
                    if not found:
                        continue
                artist, track, album, artist_mbid, album_mbid, track_mbid = zip(*found, strict=True)
                n = len(lids)
                yield PlayBlock(
                    artist,
                    track,
                    stamps,
                    album,
                    (None,) * n,
                    (None,) * n,
                    artist_mbid,
                    album_mbid,
                    track_mbid,
                    (1,) * n,
                    ("play",) * n,
                    lids,
                )
        except sqlite3.Error as exc:
            raise failure(src, f"SQLite error while reading: {exc}") from None


def _row_by_row(src: Source, rows: list[tuple], names: dict[int, tuple]) -> Iterator[Item]:
    for lid, track_id, ts in rows:
        found = names.get(track_id)
        if found is None:
            yield SkippedRow("empty_name", lid)
            continue
        if type(ts) is not int:
            try:
                ts = _timestamp(ts)
            except (ValueError, OverflowError):
                yield bad_row(lid, f"bad timestamp {ts!r} in listens row {lid}", "timestamp")
                continue
        artist, track, album, artist_mbid, album_mbid, track_mbid = found
        yield PlayRecord(
            artist, track, ts, album, None, None, artist_mbid, album_mbid, track_mbid, 1, "play", lid
        )


def _timestamp(value: object) -> int:
    if isinstance(value, float):
        return int(value)
    return parse_any(_text(value))[0]
