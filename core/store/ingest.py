"""Turning a stream of PlayRecords into scrobble rows: validation, dedupe, bulk insert.

Dedupe rules (docs/architecture.md §4, issue 2):
- the same (account, played_at, track) is one row (UNIQUE), so re-importing a file adds nothing;
- across sources, the same track within a few seconds is one play: 10 s for second-resolution
  timestamps, 70 s when either side has minute resolution (Spotify basic exports, "24 Jan 2023,
  09:42"-style text). Within one source only the exact key applies, so a service's own double
  scrobbles stay as it lists them (the user's counts match their profile);
- rows with an impossible timestamp (before 2000, or in the future) are reported and skipped;
- a played time outside 0 .. 2^31 ms is stored as unknown (names and ids: ``core.store.catalog``).

The caller owns the transaction: an importer runs one file per transaction, the sync one page.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Iterable, Iterator, Sequence
from itertools import chain, compress, repeat

import numpy as np
from sqlalchemy import Connection, select

from core.normalize import album_key, artist_key, track_key
from core.sources.records import ImportSummary, PlayBlock, PlayRecord, SkippedRow
from core.store.catalog import INT32_MAX, Catalog, insert_ignore
from core.store.schema import Scrobble, Skip

MIN_VALID_TS = 946_684_800  # 2000-01-01T00:00:00Z
FUTURE_SLACK_S = 600
WINDOW_S = 10
WIDE_WINDOW_S = 70
LARGE_BATCH = 2_000  # rows; see Ingestor._new_plays
_SCROBBLE_COLS = ("account_id", "track_id", "album_id", "played_at", "source", "ms_played", "precision_s")
_SKIP_COLS = ("account_id", "track_id", "played_at", "source", "ms_played")


def _window(precision: np.ndarray) -> np.ndarray:
    return np.where(precision > 1, WIDE_WINDOW_S, WINDOW_S)


def _pack(track: np.ndarray, ts: np.ndarray) -> np.ndarray:
    return (track.astype(np.int64) << 32) | ts.astype(np.int64)


def _has_neighbour(sorted_keys: np.ndarray, keys: np.ndarray, window: np.ndarray | int) -> np.ndarray:
    """For each key, whether ``sorted_keys`` holds a value within ±window (same track: high bits)."""
    if sorted_keys.size == 0:
        return np.zeros(keys.shape, dtype=bool)
    lo = np.searchsorted(sorted_keys, keys - window, side="left")
    hi = np.searchsorted(sorted_keys, keys + window, side="right")
    return hi > lo


class Ingestor:
    """Writes records for one account and source through an open connection, in batches."""

    def __init__(
        self,
        conn: Connection,
        account_id: int,
        source: str,
        *,
        now: int | None = None,
        batch_size: int = 20_000,
        catalog: Catalog | None = None,
    ):
        self.conn = conn
        self.account_id = account_id
        self.source = source[:40]
        self.now = int(now if now is not None else time.time())
        self.batch_size = batch_size
        self.catalog = catalog.fork(conn) if catalog is not None else Catalog(conn)
        self._ids: dict[tuple[str, str | None, str], tuple[int, int | None]] = {}
        self._other_sources: list[str] | None = None

    def run(
        self, records: Iterable[PlayRecord | PlayBlock | SkippedRow], summary: ImportSummary
    ) -> Iterator[int]:
        """Consume ``records`` into the store, updating ``summary``; yields rows read after each batch.

        The cyclic garbage collector is paused meanwhile: a batch keeps tens of thousands of record
        tuples alive, and every collection walks them all — it cost more than parsing and inserting
        together. Nothing here makes reference cycles; the collector resumes when the run ends.
        """
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            yield from self._run(records, summary)
        finally:
            if was_enabled:
                gc.enable()

    def _run(
        self, records: Iterable[PlayRecord | PlayBlock | SkippedRow], summary: ImportSummary
    ) -> Iterator[int]:
        batch: list[PlayRecord] = []
        append, size = batch.append, self.batch_size
        read = summary.read
        for rec in records:  # the per-row loop: keep it to a type check and an append
            read += 1
            if type(rec) is SkippedRow:
                summary.skip(rec.reason, rec.line, rec.detail)
            elif type(rec) is PlayBlock:
                if batch:  # rows read before the block go first: the earliest spelling of a name wins
                    self._write(_columns(batch), summary)
                    batch.clear()
                read += len(rec.played_at) - 1
                summary.read = read
                self._write(rec, summary)
                yield read
            else:
                append(rec)
                if len(batch) >= size:
                    summary.read = read
                    self._write(_columns(batch), summary)
                    batch.clear()
                    yield read
        summary.read = read
        if batch:
            self._write(_columns(batch), summary)
        yield read

    def _write(self, cols: Sequence[Sequence], summary: ImportSummary) -> None:
        """Store plays given as columns in ``PlayRecord`` field order."""
        cols = self._drop_bad_timestamps(cols, summary)
        n = len(cols[2])
        if n == 0:
            return
        track_ids, album_ids = self._resolve(cols)
        ts = np.array(cols[2], dtype=np.int64)
        precision = np.array(cols[9], dtype=np.int64)
        is_skip = np.array([k == "skip" for k in cols[10]], dtype=bool) if "skip" in cols[10] else None
        lo, hi = int(ts.min()), int(ts.max())
        summary.first = lo if summary.first is None else min(summary.first, lo)
        summary.last = hi if summary.last is None else max(summary.last, hi)
        acc, src, ms = self.account_id, self.source, _storable_ms(cols[4])
        tl = track_ids.tolist()

        if is_skip is not None:
            idx = np.flatnonzero(is_skip).tolist()
            rows = [(acc, tl[i], cols[2][i], src, ms[i]) for i in idx]
            summary.skips_stored += insert_ignore(self.conn, Skip.__table__, _SKIP_COLS, rows)
            summary.skipped["short_play"] = summary.skipped.get("short_play", 0) + len(rows)
            plays = np.flatnonzero(~is_skip)
            if plays.size == 0:
                return
            keep = np.zeros(n, dtype=bool)
            keep[plays] = self._new_plays(track_ids[plays], ts[plays], precision[plays])
            n_plays = int(plays.size)
        else:
            keep = self._new_plays(track_ids, ts, precision)
            n_plays = n
        rows = list(
            compress(zip(repeat(acc), tl, album_ids, cols[2], repeat(src), ms, cols[9]), keep.tolist())
        )
        added = insert_ignore(self.conn, Scrobble.__table__, _SCROBBLE_COLS, rows)
        summary.added += added
        summary.duplicates += n_plays - added

    def _drop_bad_timestamps(self, cols: Sequence[Sequence], summary: ImportSummary) -> Sequence[Sequence]:
        """``cols`` without the plays dated before 2000 or in the future, each reported by its line.

        Python ints, not numpy: a malformed source can carry a timestamp beyond int64."""
        lo, hi = MIN_VALID_TS, self.now + FUTURE_SLACK_S
        ok = [lo <= t <= hi for t in cols[2]]
        if all(ok):
            return cols
        for good, line in zip(ok, cols[11], strict=True):
            if not good:
                summary.skip("bad_timestamp", line)
        return [list(compress(col, ok)) for col in cols]

    def _new_plays(self, tracks: np.ndarray, ts: np.ndarray, precision: np.ndarray) -> np.ndarray:
        """Mask of plays that do not repeat a stored play of the same track from another source.

        Exact repeats (same second, same track) are left to the UNIQUE key, so a source's own
        back-to-back double scrobbles stay as the service lists them.

        A large batch of an unsorted file spans a wide time range, and scanning it for other sources'
        plays once per batch grew quadratically with the store; so for large batches the run first asks,
        once, which other sources the account has at all (usually none). Small batches — a sync's
        pages — keep the plain range query, whose range is a page's few hours.
        """
        keys = _pack(tracks, ts)
        window = _window(precision)
        keep = np.ones(len(keys), dtype=bool)
        lo, hi = int(ts.min()) - WIDE_WINDOW_S, int(ts.max()) + WIDE_WINDOW_S
        others = Scrobble.source != self.source
        if len(keys) >= LARGE_BATCH:
            if self._other_sources is None:
                self._other_sources = list(
                    self.conn.execute(
                        select(Scrobble.source)
                        .where(Scrobble.account_id == self.account_id, others)
                        .distinct()
                    ).scalars()
                )
            if not self._other_sources:
                return keep
            others = Scrobble.source.in_(self._other_sources)
        existing = self.conn.execute(
            select(Scrobble.track_id, Scrobble.played_at, Scrobble.precision_s).where(
                Scrobble.account_id == self.account_id, Scrobble.played_at.between(lo, hi), others
            )
        ).all()
        if existing:
            ex = np.fromiter(chain.from_iterable(existing), dtype=np.int64, count=3 * len(existing))
            ex = ex.reshape(-1, 3)
            ex_keys = np.sort(_pack(ex[:, 0], ex[:, 1]))
            wide = ex[:, 2] > 1
            wide_keys = np.sort(_pack(ex[wide, 0], ex[wide, 1]))
            dup = _has_neighbour(ex_keys, keys, window) | _has_neighbour(wide_keys, keys, WIDE_WINDOW_S)
            keep &= ~dup
        return keep

    def _resolve(self, cols: Sequence[Sequence]) -> tuple[np.ndarray, list[int | None]]:
        """Track and album ids per play. A run remembers every (artist, album, track) spelling it has
        resolved, so a history's repeated plays cost one dict lookup; new spellings are normalised and
        resolved once per batch."""
        keys = list(zip(cols[0], cols[3], cols[1], strict=True))
        known = self._ids
        found = list(map(known.get, keys))
        if None in found:
            first = dict(zip(reversed(keys), range(len(keys) - 1, -1, -1), strict=True))  # earliest play wins
            new = [i for k, i in first.items() if k not in known]

            def pick(col: Sequence) -> list:
                return [col[i] for i in new]

            artists, albums, titles = pick(cols[0]), pick(cols[3]), pick(cols[1])
            cat = self.catalog
            cat.artist_ids(zip(artists, pick(cols[6]), strict=True))
            artist_of = [cat.artists[artist_key(a)] for a in artists]
            cat.album_ids(
                (a, al, mbid) for a, al, mbid in zip(artist_of, albums, pick(cols[7]), strict=True) if al
            )
            album_of = [
                cat.albums[(a, album_key(al))] if al else None
                for a, al in zip(artist_of, albums, strict=True)
            ]
            cat.track_ids(zip(artist_of, titles, album_of, pick(cols[8]), pick(cols[5]), strict=True))
            for a, al, artist, album, title in zip(artist_of, album_of, artists, albums, titles, strict=True):
                known[(artist, album, title)] = (cat.tracks[(a, track_key(title))], al)
            found = list(map(known.__getitem__, keys))
        tracks, albums_ = zip(*found, strict=True)
        return np.array(tracks, dtype=np.int64), list(albums_)


def _storable_ms(ms: Sequence[int | None]) -> Sequence[int | None]:
    """Played milliseconds as an INTEGER column holds them on every engine: out of range → unknown."""
    if all(m is None or 0 <= m <= INT32_MAX for m in ms):
        return ms
    return [m if m is None or 0 <= m <= INT32_MAX else None for m in ms]


def _columns(batch: list[PlayRecord]) -> list[tuple]:
    return list(zip(*batch, strict=True))  # transposed in C
