"""Last.fm-1K (Celma) TSV: ``userid \\t timestamp \\t artist-mbid \\t artist \\t track-mbid \\t track``.

No header, no quoting (titles contain ``"``), ISO-8601 UTC timestamps (``2009-05-04T23:08:57Z``).
The file holds many users; every row is yielded whatever its user (``PlayRecord`` has no user field),
so importing the full dataset into one account merges listeners: cut one user's rows out first.
A row without six fields or with a bad timestamp → ``bad_row`` (skipped and named).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path, PurePath

from core.sources.importers.base import ImportOptions, Item, Source, as_source, bad_row
from core.sources.importers.text import field_count_problem, head_lines, looks_binary, open_csv
from core.sources.importers.timeparse import iso_parser
from core.sources.records import PlayRecord, SkippedRow

FORMAT = "lastfm-1k"
DESCRIPTION = "Last.fm-1K dataset TSV: userid, ISO timestamp, artist-mbid, artist, track-mbid, track"

_LINE = re.compile(r"[^\t]+\t\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\t[^\t]*\t[^\t]*\t[^\t]*\t[^\t]*")


def sniff(path: PurePath, head: bytes) -> float:
    lines = [] if looks_binary(head) else head_lines(head, 50)
    if not lines:
        return 0.0
    hits = sum(bool(_LINE.fullmatch(ln)) for ln in lines)
    if hits == len(lines):
        return 0.95 if lines[0].startswith("user_") else 0.85
    return 0.0


def read(path: Path | Source, options: ImportOptions) -> Iterator[Item]:
    src = as_source(path)
    new = tuple.__new__
    parse = iso_parser()
    with open_csv(src, delimiter="\t", quoting=csv.QUOTE_NONE) as reader:
        prev = 0
        for row in reader:
            line = prev + 1
            prev = reader.line_num
            if len(row) != 6:
                if row:
                    yield bad_row(line, field_count_problem(6, len(row)))
                continue
            _user, ts, artist_mbid, artist, track_mbid, track = row
            try:
                played_at, precision = parse(ts.strip())
            except ValueError as exc:
                yield bad_row(line, f"bad timestamp {ts!r}: {exc}", "timestamp")
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
                    None,
                    None,
                    None,
                    artist_mbid.strip() or None,
                    None,
                    track_mbid.strip() or None,
                    precision,
                    "play",
                    line,
                ),
            )
