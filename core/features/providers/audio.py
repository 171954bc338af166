"""Audio features from the user's own music files (see ``audio_analysis`` for what is computed and why).

Tracks are matched to files by normalised artist + title; a track with no file is ``missing`` (and
asked again after a day, so newly added music is picked up); a file that cannot be decoded is a
definite error (retried only when stale or forced).  Decoding and analysis take about a second per
minute of audio on one core.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Connection

from core.features.providers.audio_analysis import analyse_file
from core.features.providers.base import BaseProvider, Item, Outcome
from core.features.providers.library import MusicLibrary
from core.features.providers.rows import merge_audio_features
from core.jobs import CancelToken

PROVIDER = "librosa"


class LocalAudio(BaseProvider):
    name = PROVIDER
    modality = "audio"
    item_kind = "track"
    service = "local-audio"
    per_second = 0.0

    def __init__(self, library: MusicLibrary, analyse: Callable[[str | Path], dict] = analyse_file):
        self.library = library
        self.analyse = analyse
        self.analysed = 0

    def prepare(self, conn: Connection, now: int, force: bool = False) -> None:
        if force or not self.library.scanned:
            self.library.scan()

    def fetch(self, item: Item, cancel: CancelToken | None = None) -> Outcome:
        found = self.library.match(item)
        if found is None:
            return Outcome.missing("no file in the music folder matches this track", source=PROVIDER)
        try:
            features = self.analyse(found.path)
        except Exception as exc:  # noqa: BLE001 - any decoder failure is this file's problem, not the job's
            return Outcome.error(
                f"cannot analyse {Path(found.path).name}: {type(exc).__name__}: {exc}"[:300],
                retry=False,
                source=PROVIDER,
            )
        self.analysed += 1
        return Outcome.ok({"features": features, "path": found.path}, source=PROVIDER)

    def save(self, conn: Connection, item: Item, outcome: Outcome, now: int) -> None:
        if outcome.kind == "ok":
            merge_audio_features(conn, "track", item.id, outcome.data["features"], PROVIDER, now)
