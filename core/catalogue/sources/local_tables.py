"""``local.tables``: tracks (artist + title) the open feature tables list, so a listener with no
network still gets a catalogue of tens of thousands of tracks.

A table enters the catalogue when ``segue features import`` imported it (``remember_table``, called
there) or when a caller names it (``remember_table`` from code, e.g. the evaluation). One answer per
table file (key ``<kind>:<absolute path>``), refreshed when the file's size or modification time
changes. Fetching reads the table with ``core.features.table_readers``, gives every row an artist and
track row (the names resolved like the importer does: an artist the store knows wins, so a listed
track the listener played is the row of their plays), then re-runs the table import so the new rows
get the table's features (audio, lyrics, tags) like any played track. Track-level tables give track
entries; artist-level tables (no title column, HetRec) give artist entries.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, select

from core.catalogue.sources.base import DAY, BaseSource, Entry, Want
from core.features.providers.base import Outcome
from core.features.table_readers import Table, TableError, read_table
from core.jobs import CancelToken
from core.normalize import artist_key, track_key
from core.store.catalog import Catalog
from core.store.schema import CatalogueFetch

NAME = "local.tables"


def table_key(path: str | Path, kind: str) -> str:
    return f"{kind}:{Path(path).expanduser().resolve()}"


def fingerprint(path: str | Path, kind: str) -> dict:
    p = Path(path).expanduser().resolve()
    try:
        st = p.stat()
        if p.is_dir():  # a HetRec folder: its newest member stands for it
            st = max((f.stat() for f in p.iterdir() if f.is_file()), key=lambda s: s.st_mtime, default=st)
        return {"path": str(p), "kind": kind, "size": int(st.st_size), "mtime": int(st.st_mtime)}
    except OSError:
        return {"path": str(p), "kind": kind, "missing": True}


def remember_table(conn: Connection, path: str | Path, kind: str, ttl_s: int = 30 * DAY) -> None:
    """Register a feature table for the catalogue (idempotent; the next refresh reads it)."""
    from core.catalogue.cache import ensure_fetches

    resolved = str(Path(path).expanduser().resolve())
    want = Want(table_key(path, kind), 1.0, detail={"path": resolved, "kind": kind})
    ensure_fetches(conn, NAME, [want], ttl_s, 0)


def _resolve_rows(catalog: Catalog, table: Table) -> list[Entry]:
    """Artist (and track) ids for every table row, preferring artists and tracks the store knows."""
    artists, tracks = catalog.artists, catalog.tracks
    chosen: list[tuple[str, str | None, int | None]] = []  # (artist name, title, known artist id)
    for row in table.rows:
        pick: tuple[str, int | None] | None = None
        for name in row.artists:
            aid = artists.get(artist_key(name))
            if aid is None:
                continue
            if row.title is None or (aid, track_key(row.title)) in tracks:
                pick = (name, aid)
                break
            pick = pick or (name, aid)
        name, aid = pick if pick is not None else (row.artists[0], None)
        chosen.append((name, row.title, aid))
    catalog.artist_ids((name, None) for name, _, aid in chosen if aid is None)
    with_ids = [(artists[artist_key(name)] if aid is None else aid, title) for name, title, aid in chosen]
    catalog.track_ids((a, t, None, None, None) for a, t in with_ids if t is not None)
    return [
        Entry(artist_id=a, track_id=None if t is None else tracks[(a, track_key(t))]) for a, t in with_ids
    ]


class LocalTables(BaseSource):
    name = NAME
    service = "local"
    level = "track"
    ttl_s = 30 * DAY

    def __init__(self, store, *, tables: list[tuple[str, str]] = ()):
        """``tables``: extra (path, kind) pairs to follow besides the imported ones (settings)."""
        self.store = store
        self.tables = list(tables)

    def wants(self, conn: Connection, seeds, now: int) -> list[Want]:
        known = [
            (d.get("path"), d.get("kind"))
            for (d,) in conn.execute(select(CatalogueFetch.detail).where(CatalogueFetch.source == NAME))
            if d
        ]
        out, seen = [], set()
        for path, kind in known + self.tables:
            if not path or not kind or table_key(path, kind) in seen:
                continue
            key = table_key(path, kind)
            seen.add(key)
            out.append(
                Want(key=key, weight=1.0, query={"path": path, "kind": kind}, detail=fingerprint(path, kind))
            )
        return out

    def fetch(self, want: Want, cancel: CancelToken | None = None) -> Outcome:
        from core.features.tables import import_table
        from core.jobs import run_job

        path, kind = Path(want.query["path"]), want.query["kind"]
        if not path.exists():
            return Outcome.missing(f"{path}: the table file is gone")
        try:
            table = read_table(path, kind)
        except TableError as exc:
            return Outcome.error(str(exc), retry=False)
        if cancel is not None:
            cancel.raise_if_cancelled()
        with self.store.engine.begin() as conn:
            entries = _resolve_rows(Catalog(conn), table)
        # the rows exist now: the table's own import gives them its features
        try:
            run_job(import_table(self.store, path, kind, cancel=cancel))
        except TableError as exc:
            return Outcome.error(str(exc), retry=False)
        return Outcome.ok(entries)
