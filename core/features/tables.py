"""``segue features import``: feature tables (audio, lyrics, tags) into the store, matched by name.

Rows are matched to store tracks by normalised artist + title (``core.normalize``: NFKC, casefold,
feat./remaster rules; zero-width characters dropped), trying each artist a cell names. Artist-level
tables (no title column: data_by_artist, HetRec, artist tag lists) go to ``item_kind="artist"``.
Artist fallback from track tables: for every matched artist, the table's rows of that artist are
averaged (audio) or pooled (tags) into an artist-level row with provider ``table-mean:<file>`` —
written only where the artist has no artist-level row of its own, so data_by_artist or Last.fm
artist tags are never replaced by the mean of a few hits. Lyrics have no artist fallback.

Every item written gets ``feature_status`` ok (provider ``table:<file>``). A matched row without any
value (an empty lyric) is only counted: its item stays pending so the providers still look for it. Tables never overwrite data from
other providers (lyrics from LRCLIB, audio from the user's files) unless ``replace=True``; a table
re-import replaces that table's own rows. Unknown values stay NULL. One transaction per table: a bad
table changes nothing and raises ``TableError`` (file, line, column).
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from sqlalchemy import Connection, delete, select

from core.features.embeddings.store import upsert_rows
from core.features.providers.rows import fill_durations
from core.features.table_readers import AUDIO_COLUMNS, KINDS, Table, TableError, TableRow, read_table
from core.jobs import CancelToken, Progress
from core.normalize import artist_key, track_key
from core.store.catalog import Catalog, insert_ignore
from core.store.schema import AudioFeatures, FeatureStatus, ItemTag, Lyrics, Scrobble, Track

__all__ = ["KINDS", "TableError", "TableSummary", "import_table", "expand_tables"]
_MODALITY = {"audio": "audio", "lyrics": "lyrics", "tags": "tags"}


@dataclass
class TableSummary:
    path: str
    kind: str
    layout: str
    level: str
    provider: str
    rows: int = 0
    duplicates: int = 0
    repaired: int = 0
    skipped: dict[str, int] = field(default_factory=dict)
    matched_tracks: int = 0
    matched_artists: int = 0  # artist-level rows (artist tables) or artist means (track tables)
    unmatched: int = 0
    written: int = 0
    empty: int = 0  # matched rows without any value (no status written: providers may still find it)
    kept_existing: int = 0

    def to_json(self) -> dict:
        return dict(self.__dict__)


def expand_tables(path: Path) -> list[Path]:
    """A file, a HetRec folder, or a folder of table files (csv/tsv/txt/parquet, sorted)."""
    if path.is_dir() and not (path / "user_taggedartists.dat").exists():
        return sorted(p for p in path.iterdir() if p.suffix.lower() in {".csv", ".tsv", ".txt", ".parquet"})
    return [path]


def provider_for(path: Path, prefix: str = "table") -> str:
    return f"{prefix}:{path.name}"[:40]


def import_table(
    store,
    path: str | Path,
    kind: str,
    *,
    account: str | None = None,
    replace: bool = False,
    artist_fallback: bool = True,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, TableSummary]:
    """Import one table for ``kind`` (audio | lyrics | tags), matching against every store track or only
    ``account``'s; returns the summary."""
    cancel = cancel or CancelToken()
    path = Path(path)
    yield Progress(0, 3, f"reading {path.name}")
    table = read_table(path, kind)
    cancel.raise_if_cancelled()
    provider = provider_for(path)
    s = TableSummary(
        str(path),
        kind,
        table.layout,
        table.level,
        provider,
        rows=len(table.rows),
        repaired=table.repaired,
        skipped=dict(table.skipped),
    )
    yield Progress(1, 3, f"matching {len(table.rows):,} rows of {path.name}")
    now = int(time.time())
    with store.engine.begin() as conn:
        tracks, artists = _matches(conn, table, account, s)
        cancel.raise_if_cancelled()
        yield Progress(2, 3, f"storing {len(tracks) + len(artists):,} items from {path.name}")
        writer = _Writer(conn, kind, provider, now, replace, s)
        if table.level == "track":
            writer.write("track", tracks)
            if artist_fallback and kind != "lyrics":
                means = {a: _pool(kind, rows) for a, rows in artists.items()}
                fallback = _Writer(conn, kind, provider_for(path, "table-mean"), now, False, s, only_new=True)
                fallback.write("artist", means)
        else:
            writer.write("artist", {a: _pool(kind, rows) for a, rows in artists.items()})
    yield Progress(3, 3, f"{path.name}: {s.matched_tracks:,} tracks, {s.matched_artists:,} artists")
    return s


def _matches(
    conn: Connection, table: Table, account: str | None, s: TableSummary
) -> tuple[dict[int, TableRow], dict[int, list[TableRow]]]:
    """(track id → first matching row, artist id → all rows naming that artist)."""
    cat = Catalog(conn)
    artist_ids, track_ids = cat.artists, cat.tracks
    allowed_tracks = allowed_artists = None
    if account is not None:
        from core.store.catalog import find_account

        acc = find_account(conn, account)
        if acc is None:
            raise TableError(table.path.name, f"no account named {account!r}")
        pairs = conn.execute(
            select(Track.id, Track.artist_id).where(
                Track.id.in_(select(Scrobble.track_id).where(Scrobble.account_id == acc).distinct())
            )
        ).all()
        allowed_tracks = {t for t, _ in pairs}
        allowed_artists = {a for _, a in pairs}
    tracks: dict[int, TableRow] = {}
    artists: dict[int, list[TableRow]] = {}
    for row in table.rows:
        track = artist = None
        for name in row.artists:
            aid = artist_ids.get(artist_key(name))
            if aid is None or (allowed_artists is not None and aid not in allowed_artists):
                continue
            artist = artist or aid
            if row.title is None:
                break
            tid = track_ids.get((aid, track_key(row.title)))
            if tid is not None and (allowed_tracks is None or tid in allowed_tracks):
                track, artist = tid, aid
                break
        if track is not None:
            if track in tracks:
                s.duplicates += 1
                if "tags" in row.values:
                    _merge_tags(tracks[track], row)
            else:
                tracks[track] = row
        if artist is not None:
            artists.setdefault(artist, []).append(row)
        if (track if table.level == "track" else artist) is None:
            s.unmatched += 1
    s.matched_tracks, s.matched_artists = len(tracks), len(artists)
    return tracks, artists


def _merge_tags(into: TableRow, row: TableRow) -> None:
    tags = into.values["tags"]
    for t, w in row.values["tags"].items():
        tags[t] = max(tags.get(t, 0.0), w)


def _pool(kind: str, rows: list[TableRow]) -> TableRow:
    """One artist-level row from several: mean of known audio values, summed tag weights, first lyric."""
    if len(rows) == 1:
        return rows[0]
    if kind == "audio":
        cols = list(rows[0].values)
        arr = np.array(
            [[np.nan if r.values.get(c) is None else r.values[c] for c in cols] for r in rows], float
        )
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(arr, axis=0) if len(arr) else arr
        values = {c: (None if np.isnan(v) else float(v)) for c, v in zip(cols, mean, strict=True)}
        if "key" in values:  # a mean key is meaningless: keep the most common one
            keys = [r.values.get("key") for r in rows if r.values.get("key") is not None]
            values["key"] = max(set(keys), key=keys.count) if keys else None
        return TableRow(rows[0].line, rows[0].artists, None, values)
    if kind == "tags":
        pooled: dict[str, float] = {}
        for r in rows:
            for t, w in r.values["tags"].items():
                pooled[t] = pooled.get(t, 0.0) + w
        return TableRow(rows[0].line, rows[0].artists, None, {"tags": pooled})
    return rows[0]


def _has_values(kind: str, row: TableRow) -> bool:
    if kind == "audio":
        return any(row.values.get(c) is not None for c in AUDIO_COLUMNS if c != "key")
    if kind == "lyrics":
        return bool(row.values["text"].strip())
    return bool(row.values["tags"])


def _is_table(provider: str | None) -> bool:
    """Written by tables only ("a+b" lists every source merged into a row, see providers.rows)."""
    return bool(provider) and all(p.startswith(("table:", "table-mean:")) for p in provider.split("+"))


class _Writer:
    """Writes one kind's rows for one item level, honouring other providers' data and statuses."""

    def __init__(
        self,
        conn: Connection,
        kind: str,
        provider: str,
        now: int,
        replace: bool,
        summary: TableSummary,
        only_new: bool = False,
    ):
        self.conn, self.kind, self.provider, self.now = conn, kind, provider, now
        self.replace, self.s, self.only_new = replace, summary, only_new
        self.modality = _MODALITY[kind]

    def _existing(self, item_kind: str, ids: list[int]) -> dict[int, str]:
        out: dict[int, str] = {}
        for i in range(0, len(ids), 400):
            part = ids[i : i + 400]
            if self.kind == "audio":
                stmt = select(AudioFeatures.item_id, AudioFeatures.provider).where(
                    AudioFeatures.item_kind == item_kind, AudioFeatures.item_id.in_(part)
                )
            elif self.kind == "lyrics":
                stmt = select(Lyrics.track_id, Lyrics.provider).where(Lyrics.track_id.in_(part))
            else:
                stmt = select(ItemTag.item_id, ItemTag.provider).where(
                    ItemTag.item_kind == item_kind, ItemTag.item_id.in_(part)
                )
            for item, prov in self.conn.execute(stmt):
                if not _is_table(out.get(item)):  # a non-table provider anywhere on the item wins
                    out[item] = prov
        return out

    def write(self, item_kind: str, items: dict[int, TableRow]) -> None:
        ids = sorted(items)
        existing = self._existing(item_kind, ids)
        ok, missing = [], []
        for item in ids:
            prov = existing.get(item)
            if prov is not None and prov != self.provider:
                if self.only_new and not prov.startswith("table-mean:"):
                    continue
                if not self.replace and not _is_table(prov):
                    self.s.kept_existing += 1
                    continue
            (ok if _has_values(self.kind, items[item]) else missing).append(item)
        getattr(self, f"_store_{self.kind}")(item_kind, ok, items)
        self._status(item_kind, ok)
        self.s.written += len(ok)
        self.s.empty += len(missing)

    def _store_audio(self, item_kind: str, ids: list[int], items: dict[int, TableRow]) -> None:
        rows = [
            {
                "item_kind": item_kind,
                "item_id": i,
                **{c: items[i].values.get(c) for c in AUDIO_COLUMNS},
                "provider": self.provider,
                "fetched_at": self.now,
            }
            for i in ids
        ]
        upsert_rows(self.conn, AudioFeatures.__table__, rows, ("item_kind", "item_id"))
        if item_kind == "track" and not self.provider.startswith("table-mean:"):
            fill_durations(self.conn, {r["item_id"]: r.get("duration_ms") for r in rows})

    def _store_lyrics(self, item_kind: str, ids: list[int], items: dict[int, TableRow]) -> None:
        rows = [
            {
                "track_id": i,
                "text": items[i].values["text"],
                "synced": False,
                "provider": self.provider,
                "fetched_at": self.now,
            }
            for i in ids
        ]
        upsert_rows(self.conn, Lyrics.__table__, rows, ("track_id",))

    def _store_tags(self, item_kind: str, ids: list[int], items: dict[int, TableRow]) -> None:
        for i in range(0, len(ids), 400):  # replace tags written by tables (this one or another)
            self.conn.execute(
                delete(ItemTag).where(
                    ItemTag.item_kind == item_kind,
                    ItemTag.item_id.in_(ids[i : i + 400]),
                    ItemTag.provider.like("table%:%"),
                )
            )
        rows = [
            (item_kind, i, t, float(w), self.provider)
            for i in ids
            for t, w in items[i].values["tags"].items()
        ]
        insert_ignore(
            self.conn, ItemTag.__table__, ("item_kind", "item_id", "tag", "weight", "provider"), rows
        )

    def _status(self, item_kind: str, ids: list[int]) -> None:
        rows = [
            {
                "item_kind": item_kind,
                "item_id": i,
                "modality": self.modality,
                "provider": self.provider,
                "status": "ok",
                "reason": None,
                "fetched_at": self.now,
                "attempts": 1,
            }
            for i in ids
        ]
        upsert_rows(self.conn, FeatureStatus.__table__, rows, ("item_kind", "item_id", "modality"))
