"""Any CSV/TSV whose columns can be recognised (see ``columns`` for how), or mapped with ``--map``.

Timestamps: Unix seconds or milliseconds, ISO-8601 (``T`` or space, ``Z``/offset or naive),
``YYYY-MM-DD HH:MM[:SS]``, or Last.fm's ``24 Jan 2023, 09:42``. Naive text is read in
``options.timezone`` (UTC by default). A text column whose sampled values all have ``:00`` seconds
(≥ 20 rows, e.g. ``2025-08-16 11:45:00``) is minute-resolution data: ``precision_s=60``.

Spotify-derived CSVs: a timestamp column named ``ts``/``endTime`` together with an ``ms_played``
column is the *end* of the play, so ``ms_played`` is subtracted. With an ``ms_played`` column, plays
under 30 s are ``kind="skip"``. With Spotify's ``master_metadata_*`` columns, a row without a track
name is a podcast/non-music row → ``SkippedRow("not_music")``; elsewhere an empty artist or track →
``SkippedRow("empty_name")``; an empty timestamp (an exported "now playing" row) →
``SkippedRow("no_timestamp")``; a row whose timestamp or counts do not parse, or whose field count is
wrong → ``bad_row`` (skipped and named). Zero and other impossible timestamps pass through (the
ingest judges).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from operator import itemgetter
from pathlib import Path, PurePath

from core.sources.importers.base import (
    SKIP_THRESHOLD_MS,
    BadRow,
    ImportOptions,
    Item,
    Source,
    as_source,
    bad_row,
    failure,
)
from core.sources.importers.columns import Layout, LayoutError, infer
from core.sources.importers.text import field_count_problem, head_text, looks_binary, open_csv
from core.sources.importers.timeparse import (
    UTC,
    iso_parser,
    parse_any,
    parse_iso,
    parse_lastfm_text,
    parse_number,
)
from core.sources.records import PlayRecord, SkippedRow

FORMAT = "generic-csv"
DESCRIPTION = "Any CSV/TSV with recognisable columns (artist, track, timestamp, ...) or --map col=field"

_ORDER = (
    "artist",
    "track",
    "timestamp",
    "album",
    "ms_played",
    "duration_ms",
    "artist_mbid",
    "album_mbid",
    "track_mbid",
)


def sniff(path: PurePath, head: bytes) -> float:
    if looks_binary(head) or head_text(head).lstrip()[:1] in ("[", "{"):
        return 0.0
    try:
        layout = infer(head)
    except LayoutError as exc:
        # A timestamp column and text we cannot assign: claim the file so the user hears why.
        return 0.5 if "artist/track" in str(exc) else 0.0
    except (IndexError, ValueError):
        return 0.0
    return 0.8 if layout.by_header else 0.7


def _parser(layout: Layout, tz) -> Callable[[str], tuple[int, int]]:
    kind = layout.time_kind
    if kind == "number":
        return parse_number
    if kind in ("iso", "iso_minute"):
        return iso_parser(tz)
    if kind == "date":
        return parse_iso if tz is UTC else lambda s: parse_iso(s, tz)
    if kind == "lastfm" and tz is not UTC:
        return lambda s: parse_lastfm_text(s, tz)
    if kind == "lastfm":
        cache: dict[str, tuple[int, int]] = {}

        def cached(s: str) -> tuple[int, int]:
            hit = cache.get(s)
            if hit is None:
                if len(cache) > 100_000:
                    cache.clear()
                hit = cache[s] = parse_lastfm_text(s)
            return hit

        return cached
    return lambda s: parse_any(s, tz)


def read(path: Path | Source, options: ImportOptions) -> Iterator[Item]:
    src = as_source(path)
    head = src.head()
    if not head.strip():
        raise failure(src, "file is empty")
    try:
        layout = infer(head, options.mapping)
    except LayoutError as exc:
        raise failure(src, str(exc)) from None
    yield from _rows(src, layout, options)


def _rows(src: Source, layout: Layout, options: ImportOptions) -> Iterator[Item]:
    tz = options.tz
    parse = _parser(layout, tz)
    n = layout.ncols
    cols = layout.columns
    pick = itemgetter(*(cols.get(f, n) for f in _ORDER))  # absent fields read the "" appended at n
    ts_label = layout.label(cols["timestamp"])
    has_ms = "ms_played" in cols
    ms_label = layout.label(cols["ms_played"]) if has_ms else ""
    end_time, not_music = layout.end_time, layout.spotify
    minute = 60 if layout.minute_only else 0
    new = tuple.__new__
    with open_csv(src, layout.delimiter, layout.quoting) as reader:
        prev = 0
        header_pending = layout.has_header
        for row in reader:
            line = prev + 1
            prev = reader.line_num
            if header_pending and row:
                header_pending = False
                continue
            if len(row) != n:
                if row:
                    yield bad_row(line, field_count_problem(n, len(row)))
                continue
            row.append("")
            artist, track, ts, album, ms, dur, amb, almb, tmb = pick(row)
            ts = ts.strip()
            try:
                try:
                    played_at, precision = parse(ts)
                except ValueError:
                    if not ts:
                        yield SkippedRow("no_timestamp", line)
                        continue
                    played_at, precision = _slow_time(ts, tz, ts_label)
                ms_played = None
                if has_ms:
                    try:
                        ms_played = int(ms)
                    except ValueError:
                        ms_played = _int(ms, ms_label)
                duration = _int(dur, "duration_ms") if dur else None
            except BadRow as exc:
                yield bad_row(line, *exc.args)
                continue
            if minute and precision < minute:
                precision = minute
            artist = artist.strip()
            track = track.strip()
            if not track and not_music:
                yield SkippedRow("not_music", line)
                continue
            if not artist or not track:
                yield SkippedRow("empty_name", line)
                continue
            kind = "play"
            if ms_played is not None:
                if end_time:
                    played_at -= (ms_played + 500) // 1000
                if ms_played < SKIP_THRESHOLD_MS:
                    kind = "skip"
            yield new(
                PlayRecord,
                (
                    artist,
                    track,
                    played_at,
                    album.strip() or None,
                    ms_played,
                    duration,
                    amb.strip() or None,
                    almb.strip() or None,
                    tmb.strip() or None,
                    precision,
                    kind,
                    line,
                ),
            )


def _slow_time(text: str, tz, label: str) -> tuple[int, int]:
    """A value unlike the rest of its column: accept any known form, else the row is bad."""
    try:
        return parse_any(text, tz)
    except ValueError as exc:
        raise BadRow(f"bad timestamp {text!r}: {exc}", label) from None


def _int(text: str, label: str) -> int | None:
    text = text.strip()
    if not text:
        return None
    try:
        return int(text)
    except ValueError:
        try:
            return int(float(text))
        except (ValueError, OverflowError):
            raise BadRow(f"not a number: {text!r}", label) from None
