"""Maloja JSON export: ``{"maloja": {...}, "scrobbles": [{time, track: {artists, title, album:
{artists, albumtitle}, length}, duration, origin}]}``.

``time`` is Unix seconds (the play's start); several artists are joined with ", " (as ListenBrainz
imports them); ``duration`` is the seconds played, ``track.length`` the track's length.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePath
from typing import Any

from core.sources.importers import jsonio
from core.sources.importers.base import ImportOptions, Item, Source, as_source, bad_row, make_play, text
from core.sources.importers.text import head_text

FORMAT = "maloja"
DESCRIPTION = "Maloja JSON export: {maloja, scrobbles: [{time, track: {artists, title, album}, duration}]}"


def sniff(path: PurePath, head: bytes) -> float:
    txt = head_text(head)
    if txt.lstrip().startswith("{") and '"maloja"' in txt and '"scrobbles"' in txt:
        return 0.97
    return 0.0


def _seconds(value: Any) -> int | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and value > 0:
        return int(value * 1000)
    return None


def read(path: Path | Source, options: ImportOptions) -> Iterator[Item]:
    src = as_source(path)
    for i, item in jsonio.objects(src, jsonio.iter_array(src, "scrobbles")):
        stamp = item.get("time")
        track = item.get("track")
        if isinstance(stamp, bool) or not isinstance(stamp, int | float):
            yield bad_row(i, f"bad time {stamp!r} (expected Unix seconds)", "time")
            continue
        if not isinstance(track, dict):
            yield bad_row(i, "scrobble without a track object", "track")
            continue
        artists = track.get("artists") if isinstance(track.get("artists"), list) else []
        album = track.get("album") if isinstance(track.get("album"), dict) else {}
        yield make_play(
            ", ".join(a for a in map(text, artists) if a),
            text(track.get("title")),
            int(stamp),
            i,
            album=text(album.get("albumtitle")),
            ms_played=_seconds(item.get("duration")),
            duration_ms=_seconds(track.get("length")),
        )
