"""Tidal's streaming history from its privacy export (``streaming.csv``).

Read as ListenBrainz's Tidal importer (metabrainz/listenbrainz-server, commit 8cd64deed) reads it: a
header row — possibly after preamble lines — naming at least ``artist_name``, ``track_title`` and
``entry_date``; ``entry_date`` is ``DD/MM/YYYY HH:MM``. The export has a time-zone column: a
``time_zone``/``timezone`` value that names an IANA zone is used for the row, else ``--timezone``
(default UTC). Minute resolution: ``precision_s=60``. A row whose date does not parse → ``bad_row``.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import lru_cache
from pathlib import Path, PurePath
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from core.sources.importers.base import ImportOptions, Item, Source, as_source, bad_row, make_play
from core.sources.importers.text import head_lines, looks_binary, open_table
from core.sources.records import SkippedRow

FORMAT = "tidal"
DESCRIPTION = "Tidal privacy-export streaming.csv: artist_name, track_title, entry_date (DD/MM/YYYY HH:MM)"

REQUIRED = {"artist_name", "track_title", "entry_date"}


def _is_header(names: list[str]) -> bool:
    return REQUIRED <= set(names)


def sniff(path: PurePath, head: bytes) -> float:
    if looks_binary(head):
        return 0.0
    for ln in head_lines(head, 20):
        if _is_header([c.strip(' "').lower() for c in ln.split(",")]):
            return 0.97
    return 0.0


@lru_cache(maxsize=64)
def _zone(name: str):
    try:
        return ZoneInfo(name) if "/" in name or name == "UTC" else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


def read(path: Path | Source, options: ImportOptions) -> Iterator[Item]:
    src = as_source(path)
    default = options.tz
    with open_table(src, _is_header, what="Tidal header (artist_name, track_title, entry_date)") as t:
        artist, title, date = t.index("artist_name"), t.index("track_title"), t.index("entry_date")
        zone, album = t.index("time_zone", "timezone", "tz"), t.index("album_title", "album_name")
        for line, row in t.each():
            if type(row) is SkippedRow:
                yield row
                continue
            text = row[date].strip()
            tz = (_zone(row[zone].strip()) if zone is not None else None) or default
            try:
                played_at = int(datetime.strptime(text, "%d/%m/%Y %H:%M").replace(tzinfo=tz).timestamp())
            except ValueError:
                yield bad_row(line, f"bad entry_date {text!r} (expected DD/MM/YYYY HH:MM)", "entry_date")
                continue
            yield make_play(
                row[artist].strip(),
                row[title].strip(),
                played_at,
                line,
                album=row[album].strip() if album is not None else None,
                precision_s=60,
            )
