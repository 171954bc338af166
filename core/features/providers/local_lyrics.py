"""Lyrics from the user's own files: an ``.lrc`` (or ``.txt``) file next to the audio file, or lyrics
embedded in its tags — ID3 ``USLT`` / ``SYLT`` (MP3, WAV, AIFF), Vorbis comments ``LYRICS`` /
``UNSYNCEDLYRICS`` (FLAC, Ogg, Opus), MP4 ``©lyr`` (M4A), APEv2 ``Lyrics``."""

from __future__ import annotations

import logging
from pathlib import Path

from core.features.providers.base import Item, Outcome
from core.features.providers.library import MusicLibrary
from core.features.providers.lrclib import lrc_to_plain
from core.jobs import CancelToken

log = logging.getLogger(__name__)


def _read_text(path: Path) -> str:
    data = path.read_bytes()
    for enc in ("utf-8-sig", "utf-16", "cp1252"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def sidecar_lyrics(audio: Path) -> str | None:
    """Text of ``song.lrc`` / ``song.LRC`` / ``song.txt`` beside ``song.mp3`` (LRC stamps stripped)."""
    for suffix in (".lrc", ".LRC", ".Lrc", ".txt"):
        cand = audio.with_suffix(suffix)
        if cand.is_file():
            try:
                text = lrc_to_plain(_read_text(cand))
            except OSError:
                continue
            if text:
                return text
    return None


def embedded_lyrics(audio: Path) -> str | None:
    """Lyrics stored in the file's tags, as plain text (synced ones flattened)."""
    import mutagen

    try:
        f = mutagen.File(audio)
    except Exception as exc:  # noqa: BLE001 - a broken tag is "no lyrics", not a crash
        log.debug("cannot read tags of %s: %s", audio, exc)
        return None
    tags = getattr(f, "tags", None)
    if tags is None:
        return None
    if hasattr(tags, "getall"):  # ID3
        for frame in tags.getall("USLT"):
            if str(frame.text).strip():
                return lrc_to_plain(str(frame.text))
        for frame in tags.getall("SYLT"):
            lines = [str(t) for t, _ms in frame.text if str(t).strip()]
            if lines:
                return "\n".join(x.strip() for x in lines)
        return None
    for key in ("LYRICS", "UNSYNCEDLYRICS", "lyrics", "unsyncedlyrics", "\xa9lyr", "Lyrics"):
        try:
            value = tags.get(key)
        except (KeyError, ValueError, TypeError):
            value = None
        if value is None:
            continue
        if isinstance(value, list):
            value = "\n".join(str(v) for v in value)
        text = lrc_to_plain(str(value))
        if text:
            return text
    return None


class LocalLyricsSource:
    """A lyrics source reading the user's music folder (no network, no rate limit)."""

    name = "local"
    network = False
    per_second = 0.0
    requests_made = 0

    def __init__(self, library: MusicLibrary):
        self.library = library

    def close(self) -> None:
        return None

    def fetch(self, item: Item, cancel: CancelToken | None = None) -> Outcome:
        found = self.library.match(item)
        if found is None:
            return Outcome.missing("local: no audio file for this track", source=self.name)
        audio = Path(found.path)
        text = sidecar_lyrics(audio) or embedded_lyrics(audio)
        if not text:
            return Outcome.missing("local: no lyrics next to or inside the file", source=self.name)
        return Outcome.ok({"text": text, "instrumental": False, "path": str(audio)}, source=self.name)
