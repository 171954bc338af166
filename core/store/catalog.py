"""Artists, albums and tracks: resolving names to ids in bulk, creating what is new.

Keys come from ``core.normalize`` so spelling variants meet on one row; the first spelling seen is
kept as the display name. Lookups are cached per ``Catalog`` (one per import or sync run).

What any input may hold is made storable the same way on every engine (SQLite would take almost
anything; PostgreSQL refuses NUL characters, over-long indexed keys and out-of-range integers): names
are stored as given without their NUL characters (``storable_name``); keys are bounded
(``core.normalize``); an MBID that is not a UUID is dropped (``clean_mbid``); a duration outside
1 ms .. 2^31 ms is unknown (``clean_duration``). Account names are at most ``ACCOUNT_NAME_CHARS`` characters without
control characters (``check_account_name``): refused, not cut, as the user chose them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

from sqlalchemy import Connection, func, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from core.normalize import album_key, artist_key, track_key
from core.store.schema import Account, Album, Artist, Track

_CHUNK = 400
ACCOUNT_NAME_CHARS = 200
INT32_MAX = 2**31 - 1
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


class AccountNameError(ValueError):
    """An account name that cannot be stored; ``shown`` is the name as a message may print it."""

    def __init__(self, name: str, message: str):
        super().__init__(message)
        self.shown = "account " + repr(name if len(name) <= 40 else name[:40] + "…")


def check_account_name(name: str) -> str:
    """``name`` if it can be an account name on every engine, else ``AccountNameError`` saying why."""
    if not name or not name.strip():
        raise AccountNameError(name, "an account name cannot be empty")
    if len(name) > ACCOUNT_NAME_CHARS:
        raise AccountNameError(
            name,
            f"the name is {len(name):,} characters long; an account name has at most {ACCOUNT_NAME_CHARS}",
        )
    if _CONTROL.search(name):
        raise AccountNameError(name, "an account name cannot contain control characters")
    return name


def storable_name(name: str) -> str:
    """A name as it can be stored everywhere: without NUL characters (never empty)."""
    if "\x00" in name:
        name = name.replace("\x00", "") or "\ufffd"
    return name


def clean_mbid(value: str | None) -> str | None:
    """A MusicBrainz ID in canonical form, or ``None`` for anything that is not one."""
    if not value:
        return None
    value = value.strip().lower()
    return value if _UUID.fullmatch(value) else None


def clean_duration(value: int | None) -> int | None:
    return value if value is not None and 0 < value <= INT32_MAX else None


def upsert_ignore(conn: Connection, table):
    """``INSERT ... ON CONFLICT DO NOTHING`` for the connection's dialect."""
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(table).on_conflict_do_nothing()


def insert_ignore(conn: Connection, table, columns: Sequence[str], rows: list[tuple]) -> int:
    """Bulk ``INSERT`` skipping conflicting rows; returns how many were inserted.

    On SQLite this goes straight to the driver's ``executemany`` with tuples: SQLAlchemy's per-row
    parameter processing costs more than the insert itself at 100k rows/s. On PostgreSQL the rows are
    streamed with ``COPY`` into a temporary table and moved over in one ``INSERT ... SELECT ... ON
    CONFLICT DO NOTHING`` (its row count is exact): a multi-row ``INSERT ... RETURNING`` built by
    SQLAlchemy spent most of a 1M-row import composing and parsing the statement text.
    """
    if not rows:
        return 0
    if conn.dialect.name == "sqlite":
        sql = (
            f"INSERT OR IGNORE INTO {table.name} ({', '.join(columns)}) "
            f"VALUES ({', '.join('?' * len(columns))})"
        )
        cur = conn.connection.driver_connection.cursor()
        try:
            cur.executemany(sql, rows)
            return cur.rowcount
        finally:
            cur.close()
    if conn.dialect.driver == "psycopg":
        return _copy_insert_ignore(conn, table.name, columns, rows)
    # Other drivers: RETURNING tells exactly which rows went in (executemany rowcounts are unreliable).
    stmt = upsert_ignore(conn, table).returning(*table.primary_key.columns)
    result = conn.execute(stmt, [dict(zip(columns, r, strict=True)) for r in rows])
    return len(result.all())


def _copy_insert_ignore(conn: Connection, table: str, columns: Sequence[str], rows: list[tuple]) -> int:
    cols = ", ".join(columns)
    staging = f"staging_{table}"
    cur = conn.connection.driver_connection.cursor()
    try:
        cur.execute(
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS "
            f"SELECT {cols} FROM {table} WITH NO DATA"
        )
        with cur.copy(f"COPY {staging} ({cols}) FROM STDIN") as copy:
            write = copy.write_row
            for row in rows:
                write(row)
        cur.execute(f"INSERT INTO {table} ({cols}) SELECT {cols} FROM {staging} ON CONFLICT DO NOTHING")
        inserted = cur.rowcount
        cur.execute(f"TRUNCATE {staging}")
        return inserted
    finally:
        cur.close()


def _chunks(seq: Sequence, n: int = _CHUNK):
    for i in range(0, len(seq), n):
        yield seq[i : i + n]


class Catalog:
    """Bulk name → id resolution. Each table's keys are loaded once per run (one plain SELECT), then
    new rows are inserted in bulk and read back by id, so a batch costs two statements, not N."""

    def __init__(self, conn: Connection):
        self.conn = conn
        self._artists: dict[str, int] | None = None
        self._albums: dict[tuple[int, str], int] | None = None
        self._tracks: dict[tuple[int, str], int] | None = None

    def fork(self, conn: Connection) -> Catalog:
        """A catalogue for the next transaction that starts from what this one knows (copies: if that
        transaction rolls back, its new rows vanish from its copy only). Importing a folder of many
        small files no longer reloads every key for each file."""
        other = Catalog(conn)
        other._artists = None if self._artists is None else dict(self._artists)
        other._albums = None if self._albums is None else dict(self._albums)
        other._tracks = None if self._tracks is None else dict(self._tracks)
        return other

    @property
    def artists(self) -> dict[str, int]:
        if self._artists is None:
            self._artists = {k: i for k, i in self.conn.execute(select(Artist.name_key, Artist.id))}
        return self._artists

    @property
    def albums(self) -> dict[tuple[int, str], int]:
        if self._albums is None:
            self._albums = {
                (a, k): i for a, k, i in self.conn.execute(select(Album.artist_id, Album.name_key, Album.id))
            }
        return self._albums

    @property
    def tracks(self) -> dict[tuple[int, str], int]:
        if self._tracks is None:
            self._tracks = {
                (a, k): i for a, k, i in self.conn.execute(select(Track.artist_id, Track.name_key, Track.id))
            }
        return self._tracks

    def artist_ids(self, names: Iterable[tuple[str, str | None]]) -> None:
        """Ensure every (name, mbid) has an artist row; fills ``self.artists`` by key."""
        cache = self.artists
        new: dict[str, dict] = {}
        for name, mb in names:
            key = artist_key(name)
            if key not in cache and key not in new:
                new[key] = (storable_name(name), key, clean_mbid(mb))
        if new:
            self._insert(Artist, ("name", "name_key", "mbid"), new, cache, (Artist.name_key,), lambda r: r[0])

    def album_ids(self, items: Iterable[tuple[int, str, str | None]]) -> None:
        """Ensure every (artist_id, album name, mbid) has an album row."""
        cache = self.albums
        new: dict[tuple[int, str], dict] = {}
        for artist_id, name, mb in items:
            k = (artist_id, album_key(name))
            if k not in cache and k not in new:
                new[k] = (artist_id, storable_name(name), k[1], clean_mbid(mb))
        if new:
            self._insert(
                Album,
                ("artist_id", "name", "name_key", "mbid"),
                new,
                cache,
                (Album.artist_id, Album.name_key),
                lambda r: (r[0], r[1]),
            )

    def track_ids(self, items: Iterable[tuple[int, str, int | None, str | None, int | None]]) -> None:
        """Ensure every (artist_id, title, album_id, mbid, duration_ms) has a track row."""
        cache = self.tracks
        new: dict[tuple[int, str], dict] = {}
        for artist_id, name, album_id, mb, ms in items:
            k = (artist_id, track_key(name))
            if k not in cache and k not in new:
                new[k] = (artist_id, storable_name(name), k[1], album_id, clean_mbid(mb), clean_duration(ms))
        if new:
            self._insert(
                Track,
                ("artist_id", "name", "name_key", "album_id", "mbid", "duration_ms"),
                new,
                cache,
                (Track.artist_id, Track.name_key),
                lambda r: (r[0], r[1]),
            )

    def _insert(
        self, model, columns: tuple[str, ...], new: dict, cache: dict, key_cols: tuple, key_of
    ) -> None:
        before = self.conn.execute(select(func.coalesce(func.max(model.id), 0))).scalar_one()
        insert_ignore(self.conn, model.__table__, columns, list(new.values()))
        rows = self.conn.execute(select(*key_cols, model.id).where(model.id > before)).all()
        if len(key_cols) == 1:
            cache.update((r[0], r[1]) for r in rows)
        else:
            cache.update(((r[0], r[1]), r[2]) for r in rows)
        missing = [k for k in new if k not in cache]  # inserted meanwhile by another writer
        column = key_cols[0] if len(key_cols) == 1 else tuple_(*key_cols)
        for part in _chunks(missing):
            for row in self.conn.execute(select(*key_cols, model.id).where(column.in_(part))):
                cache[key_of(row)] = row[-1]


def get_or_create_account(
    conn: Connection, name: str, kind: str = "local", username: str | None = None, now: int = 0
) -> int:
    """The id of account ``name``, created if needed (``AccountNameError`` for a name that cannot be)."""
    row = conn.execute(select(Account.id).where(Account.name == name)).first()
    if row:
        return row[0]
    check_account_name(name)
    conn.execute(
        upsert_ignore(conn, Account.__table__),
        [{"name": name, "kind": kind, "username": username, "created_at": now}],
    )
    return conn.execute(select(Account.id).where(Account.name == name)).scalar_one()


def find_account(conn: Connection, name: str) -> int | None:
    return conn.execute(select(Account.id).where(Account.name == name)).scalar()
