"""Spotify *basic* ("Account data") history: ``StreamingHistory*.json``.

Items: ``{endTime: "YYYY-MM-DD HH:MM" (UTC, the END of the play), artistName, trackName, msPlayed}``.
``played_at`` = ``endTime`` − ``msPlayed`` (rounded to the second), ``precision_s=60`` because
``endTime`` has minute resolution. Plays under 30 s → ``kind="skip"``; an item without ``msPlayed``
→ ``SkippedRow("no_ms_played")``.

Podcasts: newer exports put episodes in ``StreamingHistory_podcast_*.json`` (items with
``podcastName``/``episodeName``): every item there → ``SkippedRow("podcast")``. Older exports mix
them into the music files without a flag; ``podcasts.classify_artists`` picks the shows and
audiobook readings out (documented heuristic: episode-like titles, play lengths, sentence-like titles,
numbered chapters), and their items → ``SkippedRow("podcast" | "audiobook", detail=show)``.
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
from core.sources.importers.podcasts import classify_artists
from core.sources.importers.text import head_text
from core.sources.importers.timeparse import parse_iso
from core.sources.records import SkippedRow

FORMAT = "spotify-basic"
DESCRIPTION = "Spotify basic account-data history JSON (StreamingHistory*.json)"

_NAME = re.compile(r"StreamingHistory(_music|_podcast)?_?\d*\.json", re.I)
_PODCAST_FILE = re.compile(r"StreamingHistory_podcast", re.I)


def sniff(path: PurePath, head: bytes) -> float:
    txt = head_text(head)
    if (
        txt.lstrip().startswith("[")
        and '"endTime"' in txt
        and '"msPlayed"' in txt
        and ('"artistName"' in txt or '"podcastName"' in txt)
    ):
        return 0.95
    return 0.6 if _NAME.fullmatch(path.name) else 0.0


def _end_time(item: dict[str, Any]) -> int:
    value = item.get("endTime")
    try:
        return parse_iso(value.strip())[0]
    except (ValueError, AttributeError):
        raise BadRow(f"bad endTime {value!r}", "endTime") from None


def _ms(item: dict[str, Any]) -> int | None:
    value = item.get("msPlayed")
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise BadRow(f"msPlayed is not a number: {value!r}", "msPlayed")
    return int(value)


def _ms_or_zero(item: dict[str, Any]) -> int:
    try:
        return _ms(item) or 0
    except BadRow:
        return 0


def read(path: Path | Source, options: ImportOptions) -> Iterator[Item]:
    """Two streamed passes: the first tells the podcast shows (per-artist counts only), the second reads."""
    src = as_source(path)
    podcast_file = bool(_PODCAST_FILE.search(src.pure_path.name))
    shows: dict[str, str] = {}
    if not podcast_file:
        shows = classify_artists(
            (text(it.get("artistName")), text(it.get("trackName")), _ms_or_zero(it))
            for _, it in jsonio.objects(src, jsonio.iter_array(src))
        )
    for i, item in jsonio.objects(src, jsonio.iter_array(src)):
        artist = text(item.get("artistName"))
        try:
            end = _end_time(item)
            ms = _ms(item)
        except BadRow as exc:
            yield bad_row(i, *exc.args)
            continue
        if podcast_file or "podcastName" in item or "episodeName" in item or artist in shows:
            yield SkippedRow(shows.get(artist, "podcast"), i, text(item.get("podcastName")) or artist)
            continue
        if ms is None:
            yield SkippedRow("no_ms_played", i)
            continue
        yield make_play(
            artist,
            text(item.get("trackName")),
            end - (ms + 500) // 1000,
            i,
            ms_played=ms,
            precision_s=60,
            kind="skip" if ms < SKIP_THRESHOLD_MS else "play",
        )
