"""The user's own music folder: scan audio files (tags via mutagen) and match them to store tracks.

Files are matched by normalised artist + title (``core.normalize``), from the file's tags (artist,
album artist, title) or, for untagged files, from a ``Artist - Title.ext`` file name.  The scan is
incremental: tags are cached per path with the file's size and mtime in a JSON file under the cache
folder, so a re-scan only opens new or changed files.
"""

from __future__ import annotations

import json
import logging
import os
import re
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

from core.features.providers.base import Item
from core.jobs import CancelToken
from core.normalize import artist_key, track_key

log = logging.getLogger(__name__)
AUDIO_EXTENSIONS = frozenset(
    {
        ".mp3",
        ".flac",
        ".ogg",
        ".oga",
        ".opus",
        ".m4a",
        ".mp4",
        ".aac",
        ".wav",
        ".aif",
        ".aiff",
        ".wma",
        ".ape",
        ".wv",
        ".mpc",
    }
)
_NAME = re.compile(r"^(?:\d{1,3}[\s.\-_]+)?(?P<artist>.+?)\s+-\s+(?P<title>.+)$")


@dataclass
class LocalFile:
    path: str
    artist: str
    title: str
    album: str
    album_artist: str
    duration_s: float | None
    size: int
    mtime: float
    recording_mbid: str = ""


def _first(tags, *keys: str) -> str:
    for key in keys:
        try:
            value = tags.get(key) if tags is not None else None
        except (KeyError, ValueError, TypeError):
            value = None
        if value is None:
            continue
        if isinstance(value, list):
            value = value[0] if value else ""
        text = str(getattr(value, "text", [value])[0] if hasattr(value, "text") else value).strip()
        if text:
            return text
    return ""


def read_file(path: Path) -> LocalFile | None:
    """Tags and length of one audio file (None when mutagen cannot read it)."""
    import mutagen

    try:
        st = path.stat()
        audio = mutagen.File(path, easy=True)
    except Exception as exc:  # noqa: BLE001 - unreadable/corrupt files are skipped, not fatal
        log.debug("cannot read %s: %s", path, exc)
        return None
    if audio is None:
        return None
    tags = audio.tags
    artist = _first(tags, "artist", "TPE1")
    title = _first(tags, "title", "TIT2")
    album = _first(tags, "album", "TALB")
    album_artist = _first(tags, "albumartist", "TPE2")
    mbid = _first(tags, "musicbrainz_trackid", "TXXX:MusicBrainz Release Track Id")
    if not (artist and title):
        m = _NAME.match(path.stem)
        if m:
            artist = artist or m.group("artist").strip()
            title = title or m.group("title").strip()
    length = getattr(getattr(audio, "info", None), "length", None)
    return LocalFile(
        str(path),
        artist,
        title,
        album,
        album_artist,
        float(length) if length else None,
        st.st_size,
        st.st_mtime,
        mbid,
    )


class MusicLibrary:
    """Index of the audio files under ``folders`` (scanned on first use)."""

    def __init__(self, folders: Iterable[str | Path], cache_path: Path | None = None):
        self.folders = [Path(f).expanduser() for f in folders if str(f).strip()]
        self.cache_path = cache_path
        self.files: list[LocalFile] = []
        self._index: dict[tuple[str, str], list[LocalFile]] = {}
        self.scanned = False

    def _load_cache(self) -> dict[str, dict]:
        if self.cache_path is None or not self.cache_path.exists():
            return {}
        try:
            return json.loads(self.cache_path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def _save_cache(self) -> None:
        if self.cache_path is None:
            return
        self.cache_path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.cache_path.parent, prefix=".library-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump({f.path: asdict(f) for f in self.files}, fh)
        os.replace(tmp, self.cache_path)

    def scan(self, cancel: CancelToken | None = None) -> int:
        """(Re)read the folders; returns the number of audio files found."""
        cache = self._load_cache()
        files: list[LocalFile] = []
        for folder in self.folders:
            if not folder.is_dir():
                log.warning("music folder %s does not exist", folder)
                continue
            for dirpath, _dirs, names in os.walk(folder):
                if cancel is not None:
                    cancel.raise_if_cancelled()
                for name in names:
                    path = Path(dirpath) / name
                    if path.suffix.lower() not in AUDIO_EXTENSIONS:
                        continue
                    cached = cache.get(str(path))
                    try:
                        st = path.stat()
                    except OSError:
                        continue
                    if cached and cached.get("size") == st.st_size and cached.get("mtime") == st.st_mtime:
                        files.append(LocalFile(**cached))
                        continue
                    found = read_file(path)
                    if found is not None:
                        files.append(found)
        self.files = files
        self._index = {}
        for f in files:
            for artist in {f.artist, f.album_artist} - {""}:
                if f.title:
                    self._index.setdefault((artist_key(artist), track_key(f.title)), []).append(f)
        self.scanned = True
        self._save_cache()
        return len(files)

    def match(self, item: Item) -> LocalFile | None:
        """The file for a track (closest length when several match), or None."""
        if not self.scanned:
            self.scan()
        found = self._index.get((artist_key(item.artist), track_key(item.title)), [])
        if not found:
            return None
        if item.duration_ms and len(found) > 1:
            want = item.duration_ms / 1000
            return min(found, key=lambda f: abs((f.duration_s or 0) - want))
        return found[0]
