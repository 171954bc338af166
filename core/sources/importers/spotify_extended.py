"""Spotify *extended* streaming history: ``Streaming_History_Audio_*.json`` / ``endsong_*.json``.

Each item: ``ts`` (ISO UTC, the *end* of the play), ``ms_played``, ``master_metadata_track_name``,
``master_metadata_album_artist_name``, ``master_metadata_album_album_name``, ``spotify_track_uri``,
``episode_*``, ``audiobook_*``, ``skipped``, ... ``played_at`` = ``ts`` − ``ms_played`` (rounded to
the second). Episodes → ``SkippedRow("podcast")``; audiobooks → ``SkippedRow("audiobook")``; an item
with no track name and neither (Spotify logs these for unavailable or non-music content) →
``SkippedRow("not_music")``; plays under 30 s → ``kind="skip"`` (Spotify's own ``skipped`` flag is
not used: it marks a forward-button press, which also happens after long listens). An item without
``ms_played`` (null or absent) → ``SkippedRow("no_ms_played")``: its start cannot be known.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePath
from typing import Any

from core.sources.importers import jsonio
from core.sources.importers.base import (
    SKIP_THRESHOLD_MS,
    BadRow,
    ImportOptions,
    Item,
    Source,
    as_source,
    bad_row,
    make_play,
    text,
)
from core.sources.importers.text import head_text
from core.sources.importers.timeparse import iso_parser
from core.sources.records import SkippedRow

FORMAT = "spotify-extended"
DESCRIPTION = "Spotify extended streaming history JSON (Streaming_History_Audio_*.json, endsong_*.json)"

_NAME = re.compile(r"(Streaming_History_(Audio|Video)_.*|endsong_?\d*)\.json", re.I)
_KEYS = ("master_metadata_track_name", "spotify_track_uri", "episode_name")


def sniff(path: PurePath, head: bytes) -> float:
    txt = head_text(head)
    if (
        txt.lstrip().startswith("[")
        and '"ms_played"' in txt
        and '"ts"' in txt
        and any(f'"{k}"' in txt for k in _KEYS)
    ):
        return 0.95
    return 0.6 if _NAME.fullmatch(path.name) else 0.0


def _ms(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRow(f"ms_played is not a number: {value!r}", "ms_played")
    return int(value)


def classify(item: dict[str, Any]) -> str | None:
    """The skip reason for a non-music item, or ``None`` for a track."""
    if item.get("episode_name") or item.get("spotify_episode_uri") or item.get("episode_show_name"):
        return "podcast"
    if item.get("audiobook_title") or item.get("audiobook_uri") or item.get("audiobook_chapter_uri"):
        return "audiobook"
    if not text(item.get("master_metadata_track_name")):
        return "not_music"
    return None


def read(path: Path | Source, options: ImportOptions) -> Iterator[Item]:
    src = as_source(path)
    parse = iso_parser()
    for i, item in jsonio.objects(src, jsonio.iter_array(src)):
        ts = item.get("ts")
        try:
            end, _ = parse(ts.strip())
        except (ValueError, AttributeError):
            yield bad_row(i, f"bad timestamp {ts!r}", "ts")
            continue
        reason = classify(item)
        if reason:
            detail = text(item.get("episode_show_name") or item.get("audiobook_title"))
            yield SkippedRow(reason, i, detail)
            continue
        if item.get("ms_played") is None:
            yield SkippedRow("no_ms_played", i)  # neither the start nor skip status can be known
            continue
        try:
            ms = _ms(item.get("ms_played"))
        except BadRow as exc:
            yield bad_row(i, *exc.args)
            continue
        yield make_play(
            text(item.get("master_metadata_album_artist_name")),
            text(item.get("master_metadata_track_name")),
            end - (ms + 500) // 1000,
            i,
            album=text(item.get("master_metadata_album_album_name")),
            ms_played=ms,
            kind="skip" if ms < SKIP_THRESHOLD_MS else "play",
        )
