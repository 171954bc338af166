"""benjaminbenben.com lastfm-to-csv export: headerless ``artist,album,track,date``.

``date`` is Last.fm's minute text, ``24 Jan 2023 09:42`` or ``24 Jan 2023, 09:42`` (UTC unless
``options.timezone`` says otherwise), so records get ``precision_s=60``. A header line
``artist,album,track,date`` is tolerated. A row with an empty date is the track that was playing
during the export (Last.fm's "now playing" has no date) → ``SkippedRow("no_timestamp")``; a date
that does not parse, or a row without four fields → ``bad_row`` (skipped, line and field named).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePath

from core.sources.importers.base import ImportOptions, Item, Source, as_source, bad_row
from core.sources.importers.text import (
    field_count_problem,
    guess_delimiter,
    head_lines,
    head_rows,
    looks_binary,
    open_csv,
)
from core.sources.importers.timeparse import UTC, parse_lastfm_text
from core.sources.records import PlayRecord, SkippedRow

FORMAT = "lastfm-benjaminbenben"
DESCRIPTION = "benjaminbenben lastfm-to-csv: headerless artist,album,track,date ('24 Jan 2023 09:42')"

HEADER = ["artist", "album", "track", "date"]


def _is_date(text: str) -> bool:
    try:
        parse_lastfm_text(text.strip())
    except ValueError:
        return False
    return True


def sniff(path: PurePath, head: bytes) -> float:
    if looks_binary(head):
        return 0.0
    lines = head_lines(head, 200)
    delim = guess_delimiter(lines) or ","
    rows = head_rows(head, delim, 200)
    if rows and [c.strip().lower() for c in rows[0]] == HEADER:
        rows = rows[1:]
    if not rows or any(len(r) != 4 for r in rows):
        return 0.0
    dates = [r[3] for r in rows if r[3].strip()]  # a "now playing" row has no date
    return 0.9 if dates and all(_is_date(d) for d in dates) else 0.0


def read(path: Path | Source, options: ImportOptions) -> Iterator[Item]:
    src = as_source(path)
    tz = options.tz
    new = tuple.__new__
    with open_csv(src) as reader:
        prev = 0
        for row in reader:
            line = prev + 1
            prev = reader.line_num
            if len(row) != 4:
                if row:
                    yield bad_row(line, field_count_problem(4, len(row)))
                continue
            artist, album, track, date = row
            date = date.strip()
            if not date:
                yield SkippedRow("no_timestamp", line)
                continue
            try:
                played_at, precision = parse_lastfm_text(date, tz) if tz is not UTC else _utc(date)
            except ValueError as exc:
                if line == 1 and [c.strip().lower() for c in row] == HEADER:
                    continue
                yield bad_row(line, f"bad date {date!r}: {exc}", "date")
                continue
            artist = artist.strip()
            track = track.strip()
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
                    None,
                    None,
                    None,
                    precision,
                    "play",
                    line,
                ),
            )


_CACHE: dict[str, tuple[int, int]] = {}


def _utc(date: str) -> tuple[int, int]:
    """Last.fm minute text repeats (many plays per minute-day): cache the parse."""
    hit = _CACHE.get(date)
    if hit is None:
        if len(_CACHE) > 100_000:
            _CACHE.clear()
        hit = _CACHE[date] = parse_lastfm_text(date)
    return hit
