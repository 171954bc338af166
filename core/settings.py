"""User settings: a small JSON file in the home folder, merged over the defaults in resources/."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from core import paths


@dataclass
class Settings:
    session_gap_minutes: int = 120
    sync_interval_minutes: int = 60
    retrain_after_plays: int = 500
    theme: str = "system"  # system | light | dark
    music_folder: str = ""
    lastfm_api_key: str = ""
    lastfm_api_root: str = "https://ws.audioscrobbler.com/2.0/"
    spotify_client_id: str = ""
    lyrics_providers: list[str] = field(default_factory=lambda: ["lrclib", "local"])
    embedding_model: str = ""  # empty: the packaged all-MiniLM-L6-v2
    timezone: str = ""  # empty: the machine's local zone
    last_account: str = ""
    # the discovery catalogue (core.catalogue): per-source on/off and TTL overrides, the demo account
    catalogue_include_demo: bool = False  # let the bundled demo history feed a real account's catalogue
    catalogue_sources: dict[str, bool] = field(default_factory=dict)  # source name → on/off (absent: on)
    catalogue_ttl_days: dict[str, float] = field(default_factory=dict)  # source name → days
    catalogue_interval_minutes: int = 720
    listenbrainz_api_root: str = "https://api.listenbrainz.org/1/"
    listenbrainz_labs_root: str = "https://labs.api.listenbrainz.org/"  # has moved before
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def path(cls) -> Path:
        return paths.home() / "settings.json"

    @classmethod
    def load(cls) -> Settings:
        known = {f.name for f in fields(cls)}
        data: dict[str, Any] = {}
        defaults = paths.resource("default_settings.json")
        for source in (defaults, cls.path()):
            if source.exists():
                try:
                    data.update(json.loads(source.read_text(encoding="utf-8")))
                except (OSError, ValueError):
                    continue  # a damaged settings file falls back to defaults rather than stopping the app
        return cls(**{k: v for k, v in data.items() if k in known})

    def save(self) -> None:
        """Atomic write so a crash never leaves half a settings file."""
        target = self.path()
        fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".settings-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(asdict(self), fh, indent=2, ensure_ascii=False)
        os.replace(tmp, target)
