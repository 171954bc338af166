"""Last.fm's own data exporter (2013–2015 "Your Last.fm archive"): ``json/scrobbles/YYYY-MM.json``.

Each monthly file is an array of ``{timestamp: {iso, unixtimestamp}, track: {name, mbid, corrected,
artist: {name, mbid}}, uncorrectedTrack: {...}, album: {name, mbid, artist}, application}`` (some
copies name the time ``time: {iso, unixtime}``). The corrected ``track`` is what Last.fm showed, so it
is what is stored. ``bootstrap.json`` entries (iTunes play counts imported when the account was made)
have no time → ``SkippedRow("bootstrap")``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePath
from typing import Any

from core.sources.importers import jsonio
from core.sources.importers.base import ImportOptions, Item, Source, as_source, bad_row, make_play, text
from core.sources.importers.text import head_text
from core.sources.importers.timeparse import parse_any
from core.sources.records import SkippedRow

FORMAT = "lastfm-archive-json"
DESCRIPTION = "Last.fm data exporter archive (2013-2015): json/scrobbles/YYYY-MM.json, timestamp + track"


def sniff(path: PurePath, head: bytes) -> float:
    obj = jsonio.first_object(head_text(head))
    if obj is None:
        return 0.0
    track = obj.get("track")
    if isinstance(track, dict) and isinstance(track.get("artist"), dict):
        if isinstance(obj.get("timestamp") or obj.get("time"), dict) or obj.get("bootstrapped") is not None:
            return 0.96 if "uncorrectedTrack" in obj or "application" in obj else 0.85
    return 0.0


def _name(value: Any) -> str:
    return text(value.get("name")) if isinstance(value, dict) else ""


def _mbid(value: Any) -> str:
    return text(value.get("mbid")) if isinstance(value, dict) else ""


def _time(item: dict[str, Any]) -> int | None:
    stamp = item.get("timestamp") if isinstance(item.get("timestamp"), dict) else item.get("time")
    if not isinstance(stamp, dict):
        return None
    for key in ("unixtimestamp", "unixtime", "iso"):
        value = stamp.get(key)
        if value in (None, ""):
            continue
        try:
            return parse_any(text(value))[0]
        except ValueError:
            continue
    raise ValueError(f"no readable time in {stamp!r}")


def read(path: Path | Source, options: ImportOptions) -> Iterator[Item]:
    src = as_source(path)
    for i, item in jsonio.objects(src, jsonio.iter_array(src)):
        try:
            played_at = _time(item)
        except ValueError as exc:
            yield bad_row(i, str(exc), "timestamp")
            continue
        if played_at is None:
            yield (
                SkippedRow("bootstrap", i)
                if item.get("bootstrapCount") is not None
                else bad_row(i, "scrobble without a timestamp", "timestamp")
            )
            continue
        track = item.get("track") if isinstance(item.get("track"), dict) else {}
        artist = track.get("artist")
        album = item.get("album")
        yield make_play(
            _name(artist),
            text(track.get("name")),
            played_at,
            i,
            album=_name(album),
            artist_mbid=_mbid(artist),
            album_mbid=_mbid(album),
            track_mbid=text(track.get("mbid")),
        )
