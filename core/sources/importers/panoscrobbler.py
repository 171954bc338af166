"""Pano Scrobbler JSON-lines export: ``{timeHuman, timeMs, artist, track, album, albumArtist, durationMs,
mediaPlayerName, ..., event}`` per line.

``timeMs`` is the play's start in Unix milliseconds; ``durationMs`` the track's length. Lines whose
``event`` is present and not ``scrobble`` (loves, now-playing) → ``SkippedRow("not_a_scrobble")``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePath

from core.sources.importers import jsonio
from core.sources.importers.base import ImportOptions, Item, Source, as_source, bad_row, make_play, text
from core.sources.importers.text import head_text
from core.sources.records import SkippedRow

FORMAT = "pano-scrobbler"
DESCRIPTION = "Pano Scrobbler JSON lines: timeMs, artist, track, album, durationMs, mediaPlayerName, event"


def sniff(path: PurePath, head: bytes) -> float:
    obj = jsonio.first_object(head_text(head))
    if obj is not None and "timeMs" in obj and "artist" in obj and "track" in obj:
        return 0.96 if "mediaPlayerPackage" in obj or "timeHuman" in obj else 0.85
    return 0.0


def read(path: Path | Source, options: ImportOptions) -> Iterator[Item]:
    src = as_source(path)
    for line, item in jsonio.iter_lines(src):
        event = item.get("event")
        if event is not None and event != "scrobble":
            yield SkippedRow("not_a_scrobble", line, text(event))
            continue
        ms = item.get("timeMs")
        if isinstance(ms, bool) or not isinstance(ms, int | float):
            yield bad_row(line, f"bad timeMs {ms!r}", "timeMs")
            continue
        duration = item.get("durationMs")
        yield make_play(
            text(item.get("artist")),
            text(item.get("track")),
            int(ms) // 1000,
            line,
            album=text(item.get("album")),
            duration_ms=int(duration) if isinstance(duration, int | float) and duration > 0 else None,
        )
