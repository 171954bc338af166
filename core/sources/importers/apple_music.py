"""Apple Music "Play Activity" CSV from Apple's privacy export (``Apple Music Play Activity.csv``).

31 to 44 columns depending on the year; the ones read are ``Artist Name``, ``Content Name`` (newer:
``Song Name``), ``Album Name`` or ``Container Name`` when present, ``Event Start Timestamp`` (ISO,
UTC), ``Play Duration Milliseconds``, ``Media Duration In Milliseconds`` and ``Event Type``. A play is
a ``PLAY_END`` event (older files leave the type empty): ``PLAY_START``, ``LYRIC_DISPLAY`` and other
events → ``SkippedRow("not_a_play")``; rows without artist or title (Apple's aggregate
"non-catalog play time") → ``SkippedRow("not_music")``. Plays under 30 s are stored as skips, as for
Spotify. Exports without an ``Artist Name`` column (some newer ones) cannot be imported: the file is
refused with that reason.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePath

from core.sources.importers.base import (
    SKIP_THRESHOLD_MS,
    ImportOptions,
    Item,
    Source,
    as_source,
    bad_row,
    failure,
    make_play,
)
from core.sources.importers.text import head_lines, open_table
from core.sources.importers.timeparse import iso_parser
from core.sources.records import SkippedRow

FORMAT = "apple-music"
DESCRIPTION = "Apple Music Play Activity CSV (privacy export): Artist Name, Content/Song Name, Event Start"

_MARKERS = ("event start timestamp", "play duration milliseconds")
TITLE = ("content name", "song name")


def _is_header(names: list[str]) -> bool:
    return all(m in names for m in _MARKERS) and any(t in names for t in TITLE)


def sniff(path: PurePath, head: bytes) -> float:
    lines = head_lines(head, 1)
    if not lines:
        return 0.0
    names = [c.strip(' "\ufeff').lower() for c in lines[0].split(",")]
    if _is_header(names):
        return 0.98
    return 0.0


def _int(text: str) -> int | None:
    text = text.strip()
    try:
        return int(float(text)) if text else None
    except ValueError:
        return None


def read(path: Path | Source, options: ImportOptions) -> Iterator[Item]:
    src = as_source(path)
    parse = iso_parser()
    with open_table(src, _is_header, what="Apple Music Play Activity header") as t:
        artist = t.index("artist name")
        if artist is None:
            raise failure(
                src,
                "this Play Activity export has no 'Artist Name' column, so its plays cannot be told apart",
            )
        title, start = t.index(*TITLE), t.index("event start timestamp")
        played, length = t.index("play duration milliseconds"), t.index("media duration in milliseconds")
        album, event = t.index("album name", "container name"), t.index("event type")
        for line, row in t.each():
            if type(row) is SkippedRow:
                yield row
                continue
            kind = row[event].strip() if event is not None else ""
            if kind not in ("", "PLAY_END"):
                yield SkippedRow("not_a_play", line, kind)
                continue
            name, song = row[artist].strip(), row[title].strip()
            if not name or not song:
                yield SkippedRow("not_music", line)
                continue
            stamp = row[start].strip()
            try:
                played_at, _ = parse(stamp)
            except ValueError:
                yield bad_row(line, f"bad timestamp {stamp!r}", "Event Start Timestamp")
                continue
            ms = _int(row[played])
            duration = _int(row[length]) if length is not None else None
            yield make_play(
                name,
                song,
                played_at,
                line,
                album=row[album].strip() if album is not None else None,
                ms_played=ms,
                duration_ms=duration if duration and duration > 0 else None,
                kind="skip" if ms is not None and ms < SKIP_THRESHOLD_MS else "play",
            )
