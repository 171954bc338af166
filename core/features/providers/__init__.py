"""Feature providers (one module per source) and how they are configured and built.

=========  ==========  ======================================================  ===================
modality   item kind   provider (module)                                       default rate
=========  ==========  ======================================================  ===================
tags       track       Last.fm track/artist.getTopTags (``tags``)              4/s (shared Last.fm)
bio        artist      Last.fm artist.getInfo, CC BY-SA (``bio``)              (shared Last.fm)
lyrics     track       LRCLIB → local .lrc/tags → Genius w/ token (``lyrics``)  2/s LRCLIB, 1/s Genius
audio      track       librosa + pyloudnorm on the music folder (``audio``)     local
ids        track       MusicBrainz recording search/lookup (``musicbrainz``)   1/s
art        album       Cover Art Archive front-250 (``coverart``)              1/s
length     track       Last.fm track.getInfo (``lastfm_length``)               (shared Last.fm)
=========  ==========  ======================================================  ===================

``length`` asks only for tracks whose length no import, MusicBrainz answer or file has given.

AcousticBrainz dumps are a file import (``acousticbrainz.import_acousticbrainz``), not a provider.
API roots, rates, timeouts and keys come from :class:`ProviderConfig` (settings, keyring,
environment), so tests and benchmarks point providers at local fakes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from core import paths, secrets
from core.features.providers.base import MODALITIES, BaseProvider, Item, Outcome, Provider
from core.features.providers.state import FetchPolicy
from core.logs import register_secret
from core.net import USER_AGENT

__all__ = [
    "MODALITIES",
    "BaseProvider",
    "Item",
    "Outcome",
    "Provider",
    "ProviderConfig",
    "build_providers",
    "lastfm_api",
]

GENIUS_SECRET = "genius:token"


def _registered(value: str | None) -> str | None:
    register_secret(value)
    return value


DEFAULT_RATES = {"lastfm": 4.0, "lrclib": 2.0, "genius": 1.0, "musicbrainz": 1.0, "coverartarchive": 1.0}


@dataclass
class ProviderConfig:
    lastfm_api_key: str = ""
    lastfm_root: str = "https://ws.audioscrobbler.com/2.0/"
    lrclib_root: str = "https://lrclib.net/api/"
    musicbrainz_root: str = "https://musicbrainz.org/ws/2/"
    coverart_root: str = "https://coverartarchive.org/"
    genius_token: str = ""
    genius_api_root: str | None = None  # None: lyricsgenius' own (api.genius.com / genius.com)
    genius_web_root: str | None = None
    music_folders: list[str] = field(default_factory=list)
    lyrics_sources: list[str] = field(default_factory=lambda: ["lrclib", "local"])
    rates: dict[str, float] = field(default_factory=lambda: dict(DEFAULT_RATES))
    timeout: float = 20.0
    attempts: int = 4
    backoff_s: float = 2.0
    lastfm_rate_pause_s: float = 300.0
    art_size: str = "250"
    user_agent: str = USER_AGENT
    library_cache: Path | None = None

    @classmethod
    def from_settings(cls, settings=None, account: str | None = None) -> ProviderConfig:
        """Keys from the environment/keyring/settings (as the Last.fm sync reads them); API roots from
        ``SEGUE_<NAME>_ROOT`` environment variables or the settings (``lrclib_api_root``,
        ``musicbrainz_api_root``, ``coverart_api_root``, ``genius_api_root``, ``genius_web_root``)."""
        from core.settings import Settings
        from core.sources.lastfm.config import load_config

        settings = settings or Settings.load()
        lastfm = load_config(account or "", settings)

        def root(name: str, default: str) -> str:
            return (
                os.environ.get(f"SEGUE_{name.upper()}_ROOT")
                or getattr(settings, f"{name}_api_root")
                or default
            )

        rates = {**DEFAULT_RATES, **settings.feature_rates}
        folders = [f for f in str(settings.music_folder or "").split(os.pathsep) if f.strip()]
        return cls(
            lastfm_api_key=lastfm.api_key,
            lastfm_root=lastfm.root,
            lrclib_root=root("lrclib", cls.lrclib_root),
            musicbrainz_root=root("musicbrainz", cls.musicbrainz_root),
            coverart_root=root("coverart", cls.coverart_root),
            genius_token=_registered(os.environ.get("SEGUE_GENIUS_TOKEN"))
            or secrets.get_secret(GENIUS_SECRET)
            or "",
            genius_api_root=settings.genius_api_root or None,
            genius_web_root=settings.genius_web_root or None,
            music_folders=folders,
            lyrics_sources=list(settings.lyrics_providers or ["lrclib", "local"]),
            rates=rates,
        )

    def rate(self, service: str) -> float:
        return float(self.rates.get(service, DEFAULT_RATES.get(service, 1.0)))


def lastfm_api(config: ProviderConfig):
    """A Last.fm API client for these settings, on the process-wide Last.fm limiter (``LastfmApi``
    takes it), so the sync, the tag/bio backlog and the discovery catalogue together stay under 4/s."""
    from core.sources.lastfm.api import LastfmApi

    return LastfmApi(
        config.lastfm_api_key,
        root=config.lastfm_root,
        per_second=config.rate("lastfm"),
        timeout=config.timeout,
        attempts=config.attempts,
        backoff_s=config.backoff_s,
        rate_pause_s=config.lastfm_rate_pause_s,
    )


def build_providers(
    config: ProviderConfig,
    modalities: list[str] | tuple[str, ...] | None = None,
    policy: FetchPolicy | None = None,
) -> tuple[list[Provider], dict[str, str]]:
    """Providers for ``modalities`` (default all) in backlog order, plus {modality: why skipped}."""
    wanted = [m for m in (modalities or MODALITIES)]
    unknown = sorted(set(wanted) - set(MODALITIES))
    if unknown:
        raise ValueError(f"unknown modality {', '.join(unknown)} (choose from {', '.join(MODALITIES)})")
    providers: list[Provider] = []
    skipped: dict[str, str] = {}
    library = None

    def music_library():
        nonlocal library
        if library is None and config.music_folders:
            from core.features.providers.library import MusicLibrary

            library = MusicLibrary(
                config.music_folders, config.library_cache or paths.cache_dir() / "music_library.json"
            )
        return library

    lastfm = None
    if {"tags", "bio", "length"} & set(wanted):
        if config.lastfm_api_key:
            lastfm = lastfm_api(config)  # tags, bios and lengths share it
        else:
            for m in ("tags", "bio", "length"):
                if m in wanted:
                    skipped[m] = "no Last.fm API key: set it in Settings (or SEGUE_LASTFM_API_KEY)"
    for modality in MODALITIES:
        if modality not in wanted or modality in skipped:
            continue
        if modality == "tags":
            from core.features.providers.tags import LastfmTags

            providers.append(LastfmTags(lastfm, policy=policy))
        elif modality == "bio":
            from core.features.providers.bio import LastfmBio

            providers.append(LastfmBio(lastfm))
        elif modality == "length":
            from core.features.providers.lastfm_length import LastfmLength

            providers.append(LastfmLength(lastfm))
        elif modality == "lyrics":
            lyr = _lyrics_provider(config, music_library)
            if lyr is None:
                skipped["lyrics"] = (
                    "no lyrics source available (LRCLIB disabled, no music folder, no Genius token)"
                )
            else:
                providers.append(lyr)
        elif modality == "audio":
            lib = music_library()
            if lib is None:
                skipped["audio"] = "no music folder set: audio features come from your own files (Settings)"
            else:
                from core.features.providers.audio import LocalAudio

                providers.append(LocalAudio(lib))
        elif modality == "ids":
            from core.features.providers.musicbrainz import MusicBrainzIds

            providers.append(
                MusicBrainzIds(
                    config.musicbrainz_root,
                    per_second=config.rate("musicbrainz"),
                    timeout=config.timeout,
                    attempts=config.attempts,
                    backoff_s=config.backoff_s,
                    user_agent=config.user_agent,
                )
            )
        elif modality == "art":
            from core.features.providers.coverart import CoverArt

            providers.append(
                CoverArt(
                    config.coverart_root,
                    size=config.art_size,
                    per_second=config.rate("coverartarchive"),
                    timeout=config.timeout,
                    attempts=config.attempts,
                    backoff_s=config.backoff_s,
                    user_agent=config.user_agent,
                )
            )
    return providers, skipped


def _lyrics_provider(config: ProviderConfig, music_library):
    from core.features.providers.lyrics import LyricsProvider

    order = list(config.lyrics_sources)
    if config.genius_token and "genius" not in order:
        order.append("genius")
    sources = []
    for name in order:
        if name == "lrclib":
            from core.features.providers.lrclib import LrclibSource

            sources.append(
                LrclibSource(
                    config.lrclib_root,
                    per_second=config.rate("lrclib"),
                    timeout=config.timeout,
                    attempts=config.attempts,
                    backoff_s=config.backoff_s,
                    user_agent=config.user_agent,
                )
            )
        elif name == "local" and music_library() is not None:
            from core.features.providers.local_lyrics import LocalLyricsSource

            sources.append(LocalLyricsSource(music_library()))
        elif name == "genius" and config.genius_token:
            from core.features.providers.genius import GeniusSource

            sources.append(
                GeniusSource(
                    config.genius_token,
                    api_root=config.genius_api_root,
                    web_root=config.genius_web_root,
                    per_second=config.rate("genius"),
                    timeout=config.timeout,
                    user_agent=config.user_agent,
                    attempts=config.attempts,
                    backoff_s=config.backoff_s,
                )
            )
    return LyricsProvider(sources) if sources else None
