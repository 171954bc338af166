"""YouTube Music history from Google Takeout: ``watch-history.json`` (YouTube and YouTube Music).

An array of ``{header, title, titleUrl, subtitles: [{name, url}], time, products, activityControls}``
for everything watched on YouTube; entries whose ``header`` is ``"YouTube Music"`` are music plays,
the rest → ``SkippedRow("not_music")``. ``title`` is the song behind a localised verb ("Watched X",
"X angesehen", "Vous avez regardé X"); ``subtitles[0].name`` the channel, which for the music catalogue
is "<Artist> - Topic". ``time`` (ISO, UTC) is when the play started. An entry without a channel (a
removed video, "Watched a video that has been removed") → ``SkippedRow("removed")``. The export has no
play length.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePath

from core.sources.importers import jsonio
from core.sources.importers.base import ImportOptions, Item, Source, as_source, bad_row, make_play, text
from core.sources.importers.text import head_text
from core.sources.importers.timeparse import parse_iso
from core.sources.records import SkippedRow

FORMAT = "youtube-music"
DESCRIPTION = 'Google Takeout watch-history.json: entries under "YouTube Music" (title, channel, time)'

MUSIC = "YouTube Music"
_VERBS = re.compile(
    r"^(?:Watched|Listened to|Vous avez regardé|Has visto|Hai guardato|Assistiu a|Du har sett|Obejrzano:?)\s+"
    r"|\s+(?:angesehen|bekeken|angehört)$"
)
_TOPIC = re.compile(r"\s+-\s+(?:Topic|Thema|Thème|Tema|Sujet)$")


def sniff(path: PurePath, head: bytes) -> float:
    txt = head_text(head)
    obj = jsonio.first_object(txt)
    if obj is not None and "header" in obj and "titleUrl" in obj and "time" in obj:
        return 0.96 if f'"{MUSIC}"' in txt else 0.55
    return 0.0


def song(title: str) -> str:
    """The song's title from an entry's localised "Watched …" line."""
    return _VERBS.sub("", title).strip()


def artist(channel: str) -> str:
    """The artist from a channel name: "Radiohead - Topic" → "Radiohead"."""
    return _TOPIC.sub("", channel).strip()


def read(path: Path | Source, options: ImportOptions) -> Iterator[Item]:
    src = as_source(path)
    for i, item in jsonio.objects(src, jsonio.iter_array(src)):
        if item.get("header") != MUSIC:
            yield SkippedRow("not_music", i)
            continue
        subtitles = item.get("subtitles")
        channel = (
            text(subtitles[0].get("name"))
            if isinstance(subtitles, list) and subtitles and isinstance(subtitles[0], dict)
            else ""
        )
        if not channel:
            yield SkippedRow("removed", i, text(item.get("title")))
            continue
        stamp = item.get("time")
        try:
            played_at, _ = parse_iso(stamp.strip())
        except (ValueError, AttributeError):
            yield bad_row(i, f"bad time {stamp!r}", "time")
            continue
        yield make_play(artist(channel), song(text(item.get("title"))), played_at, i)
