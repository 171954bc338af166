"""ListenBrainz export: JSON lines of listens (the export .zip holds ``listens/YYYY/M.jsonl``).

Each listen: ``listened_at`` (Unix seconds, the start), ``track_metadata{artist_name, track_name,
release_name, additional_info{duration_ms | duration, recording_mbid, release_mbid, artist_mbids},
mbid_mapping{recording_mbid, release_mbid, artist_mbids}}``. MBIDs the user's client submitted
(``additional_info``) win over ListenBrainz's own mapping; ``artist_mbid`` is set only when the
listen credits exactly one artist (a "A feat. B" credit has no single artist MBID). A JSON array of
the same objects (older exports) is accepted too. ``line`` is the physical line (JSON lines) or the
1-based item number (array). The zip's ``user.json`` and feedback files are not listens and are
ignored by ``expand``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path, PurePath
from typing import Any

from core.sources.importers import jsonio
from core.sources.importers.base import ImportOptions, Item, Source, as_source, bad_row, make_play, text
from core.sources.importers.text import head_text
from core.sources.importers.timeparse import parse_any

FORMAT = "listenbrainz"
DESCRIPTION = "ListenBrainz listens export: JSON lines (or array) with listened_at and track_metadata"


def sniff(path: PurePath, head: bytes) -> float:
    txt = head_text(head)
    obj = jsonio.first_object(txt)
    if obj is not None and "listened_at" in obj and isinstance(obj.get("track_metadata"), dict):
        return 0.95
    if '"listened_at"' in txt and '"track_metadata"' in txt:
        return 0.8
    return 0.0


def _mbids(meta: dict[str, Any]) -> tuple[str, str, str]:
    info = meta.get("additional_info") or {}
    mapping = meta.get("mbid_mapping") or {}
    if not isinstance(info, dict):
        info = {}
    if not isinstance(mapping, dict):
        mapping = {}
    artists = info.get("artist_mbids") or mapping.get("artist_mbids") or []
    artist = text(artists[0]) if isinstance(artists, list) and len(artists) == 1 else ""
    album = text(info.get("release_mbid")) or text(mapping.get("release_mbid"))
    track = text(info.get("recording_mbid")) or text(mapping.get("recording_mbid"))
    return artist, album, track


def _duration_ms(meta: dict[str, Any]) -> int | None:
    info = meta.get("additional_info")
    if not isinstance(info, dict):
        return None
    ms = info.get("duration_ms")
    if isinstance(ms, int | float) and not isinstance(ms, bool) and ms > 0:
        return int(ms)
    sec = info.get("duration")
    if isinstance(sec, int | float) and not isinstance(sec, bool) and sec > 0:
        return int(sec * 1000)
    return None


def _listens(src: Source) -> Iterator[tuple[int, dict[str, Any]]]:
    head = src.head(4096).lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"["):
        return jsonio.objects(src, jsonio.iter_array(src))
    return jsonio.iter_lines(src)


def read(path: Path | Source, options: ImportOptions) -> Iterator[Item]:
    src = as_source(path)
    for line, listen in _listens(src):
        ts = listen.get("listened_at")
        try:
            if isinstance(ts, bool) or not isinstance(ts, int | float | str):
                raise ValueError
            played_at, precision = parse_any(str(ts).strip())
        except ValueError:
            yield bad_row(line, f"bad listened_at {ts!r}", "listened_at")
            continue
        meta = listen.get("track_metadata")
        if not isinstance(meta, dict):
            yield bad_row(line, "listen has no track_metadata object", "track_metadata")
            continue
        artist_mbid, album_mbid, track_mbid = _mbids(meta)
        yield make_play(
            text(meta.get("artist_name")),
            text(meta.get("track_name")),
            played_at,
            line,
            album=text(meta.get("release_name")),
            duration_ms=_duration_ms(meta),
            artist_mbid=artist_mbid,
            album_mbid=album_mbid,
            track_mbid=track_mbid,
            precision_s=precision,
        )
