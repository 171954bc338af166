"""lastfm.ghan.nl export: ``uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid``.

Columns are found by header name, so a re-ordered or semicolon/TAB-separated copy reads too.
``uts`` (Unix seconds, UTC) is the play's start; ``utc_time`` is the same instant as minute text and
is only used when ``uts`` is empty. A row with neither (a "now playing" row) →
``SkippedRow("no_timestamp")``; a row with the wrong number of fields or a time that does not parse →
``bad_row`` (skipped and named).
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from operator import itemgetter
from pathlib import Path, PurePath

from core.sources.importers.base import BadRow, ImportOptions, Item, Source, as_source, bad_row, failure
from core.sources.importers.text import (
    field_count_problem,
    guess_delimiter,
    head_lines,
    looks_binary,
    open_csv,
    reader_for,
)
from core.sources.importers.timeparse import parse_lastfm_text
from core.sources.records import PlayRecord, SkippedRow

FORMAT = "lastfm-ghan"
DESCRIPTION = "lastfm.ghan.nl CSV: uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid"

REQUIRED = ("uts", "artist", "track")
OPTIONAL = ("utc_time", "album", "artist_mbid", "album_mbid", "track_mbid")


def _header(row: list[str]) -> list[str]:
    return [c.strip().lstrip("\ufeff").lower() for c in row]


def sniff(path: PurePath, head: bytes) -> float:
    lines = [] if looks_binary(head) else head_lines(head, 20)
    if not lines:
        return 0.0
    delim = guess_delimiter(lines) or ","
    try:
        names = set(_header(next(reader_for(lines[:1], delim))))
    except csv.Error:
        return 0.0
    if {"uts", "utc_time", "artist", "track"} <= names:
        return 0.95
    return 0.0


def read(path: Path | Source, options: ImportOptions) -> Iterator[Item]:
    src = as_source(path)
    with open_csv(src) as reader:
        header = _header(next(reader, []))
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise failure(src, f"not a lastfm.ghan.nl header (missing {', '.join(missing)})", line=1)
        n = len(header)
        cols = [header.index(c) for c in REQUIRED] + [header.index(c) if c in header else n for c in OPTIONAL]
        pick = itemgetter(*cols)  # a missing optional column reads the "" appended at index n
        new = tuple.__new__
        prev = reader.line_num
        for row in reader:
            line = prev + 1
            prev = reader.line_num
            if len(row) != n:
                if row:
                    yield bad_row(line, field_count_problem(n, len(row)))
                continue
            row.append("")
            uts, artist, track, utc_time, album, amb, almb, tmb = pick(row)
            artist = artist.strip()
            track = track.strip()
            try:
                played_at = int(uts)
                precision = 1
            except ValueError:
                if not uts.strip() and not utc_time.strip():
                    yield SkippedRow("no_timestamp", line)
                    continue
                try:
                    played_at, precision = _fallback_time(uts.strip(), utc_time.strip())
                except BadRow as exc:
                    yield bad_row(line, *exc.args)
                    continue
            if not artist or not track:
                yield SkippedRow("empty_name", line)
                continue
            yield new(
                PlayRecord,
                (
                    artist,
                    track,
                    played_at,
                    album.strip() or None,
                    None,
                    None,
                    amb.strip() or None,
                    almb.strip() or None,
                    tmb.strip() or None,
                    precision,
                    "play",
                    line,
                ),
            )


def _fallback_time(uts: str, utc_time: str) -> tuple[int, int]:
    if not uts and utc_time:
        try:
            return parse_lastfm_text(utc_time)
        except ValueError as exc:
            raise BadRow(f"bad timestamp {utc_time!r}: {exc}", "utc_time") from None
    raise BadRow(f"bad Unix timestamp {uts!r}", "uts")
