"""Catalogue sources (one module per source) and how they are configured and built.

=================================  =======  ==================================================  ==========
source (module)                    level    answer for one seed                                 rate
=================================  =======  ==================================================  ==========
``local.accounts``                 track    another local account's tracks by plays             local
``local.tables``                   track    an imported open feature table's tracks             local
``lastfm.artist.getSimilar``       artist   similar artists (match 0–1)                          4/s shared
``musicbrainz.artist``             ids      the artist's MusicBrainz MBID (for ListenBrainz)    1/s shared
``listenbrainz.similar_artists``   artist   similar artists (labs API, raw score)               1/s shared
``lastfm.artist.getTopTracks``     track    top tracks of a seed or second-hop artist           (Last.fm)
``lastfm.track.getSimilar``        track    tracks similar to a seed track (match 0–1)          (Last.fm)
``lastfm.tag.getTopTracks``        track    top tracks of a seed tag                            (Last.fm)
``listenbrainz.top_recordings``    track    top recordings of a seed or second-hop artist       (LB)
``listenbrainz.lb_radio``          track    LB Radio recordings for a seed artist               (LB)
=================================  =======  ==================================================  ==========

Sources run in this order: the similar-artist answers come before the top-track sources that follow
their second hop, MBIDs before the ListenBrainz sources that need them. API roots, rates, TTLs, answer
sizes and which sources are on come from :class:`CatalogueConfig` (settings, keyring, environment), so
tests and benchmarks point them at local fakes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from core.catalogue.seeds import SeedPolicy
from core.catalogue.sources.base import DAY, BaseSource, CatalogueSource, Entry, Want
from core.features.providers import ProviderConfig, lastfm_api

__all__ = [
    "SOURCES",
    "BaseSource",
    "CatalogueConfig",
    "CatalogueSource",
    "Entry",
    "Want",
    "build_sources",
]

#: Every source, in run order.
SOURCES: tuple[str, ...] = (
    "local.accounts",
    "local.tables",
    "lastfm.artist.getSimilar",
    "musicbrainz.artist",
    "listenbrainz.similar_artists",
    "lastfm.artist.getTopTracks",
    "lastfm.track.getSimilar",
    "lastfm.tag.getTopTracks",
    "listenbrainz.top_recordings",
    "listenbrainz.lb_radio",
)
LASTFM = tuple(s for s in SOURCES if s.startswith("lastfm."))
LISTENBRAINZ = tuple(s for s in SOURCES if s.startswith("listenbrainz."))

DEFAULT_TTL_DAYS: dict[str, float] = {
    "local.accounts": 7,
    "local.tables": 30,
    "lastfm.artist.getSimilar": 60,
    "musicbrainz.artist": 180,
    "listenbrainz.similar_artists": 60,
    "lastfm.artist.getTopTracks": 30,
    "lastfm.track.getSimilar": 60,
    "lastfm.tag.getTopTracks": 30,
    "listenbrainz.top_recordings": 30,
    "listenbrainz.lb_radio": 14,
}


@dataclass
class CatalogueConfig:
    """What the sources need. Last.fm and MusicBrainz (key, roots, rates, timeouts, User-Agent) come
    from the same :class:`ProviderConfig` the feature providers use, so they are set once."""

    providers: ProviderConfig = field(default_factory=ProviderConfig)
    enabled: dict[str, bool] = field(default_factory=dict)  # source → on/off (absent: on)
    include_demo: bool = False
    tables: list[tuple[str, str]] = field(default_factory=list)  # extra (path, kind) tables to follow
    ttl_days: dict[str, float] = field(default_factory=dict)
    seeds: SeedPolicy = field(default_factory=SeedPolicy)
    answer_size: int = 50  # entries asked per answer
    hops: int = 60  # second-hop artists whose top tracks are fetched
    radio_seeds: int = 20  # seed artists LB Radio is asked for
    listenbrainz_root: str = "https://api.listenbrainz.org/1/"
    listenbrainz_labs_root: str = "https://labs.api.listenbrainz.org/"
    listenbrainz_token: str = ""
    listenbrainz_rate: float = 1.0

    @classmethod
    def from_settings(cls, settings=None, account: str | None = None) -> CatalogueConfig:
        """Keys and roots as every other client reads them (``ProviderConfig.from_settings``); the
        catalogue's own settings are the ``catalogue_*`` / ``listenbrainz_*`` fields;
        ``SEGUE_LISTENBRAINZ_ROOT`` / ``SEGUE_LISTENBRAINZ_LABS_ROOT`` override the roots and the
        token comes from the keyring (``listenbrainz:token``) or ``SEGUE_LISTENBRAINZ_TOKEN``."""
        from core import secrets
        from core.catalogue.sources.listenbrainz_base import TOKEN_SECRET
        from core.logs import register_secret
        from core.settings import Settings

        settings = settings or Settings.load()
        token = os.environ.get("SEGUE_LISTENBRAINZ_TOKEN") or secrets.get_secret(TOKEN_SECRET) or ""
        register_secret(token)
        providers = ProviderConfig.from_settings(settings, account)
        return cls(
            providers=providers,
            enabled=dict(settings.catalogue_sources),
            include_demo=bool(settings.catalogue_include_demo),
            ttl_days=dict(settings.catalogue_ttl_days),
            listenbrainz_root=os.environ.get("SEGUE_LISTENBRAINZ_ROOT") or settings.listenbrainz_api_root,
            listenbrainz_labs_root=os.environ.get("SEGUE_LISTENBRAINZ_LABS_ROOT")
            or settings.listenbrainz_labs_root,
            listenbrainz_token=token,
            listenbrainz_rate=providers.rate("listenbrainz"),
        )

    def ttl_s(self, source: str) -> int:
        return int(float(self.ttl_days.get(source, DEFAULT_TTL_DAYS.get(source, 30))) * DAY)

    def is_on(self, source: str) -> bool:
        return bool(self.enabled.get(source, True))


def _listenbrainz(config: CatalogueConfig):
    from core.catalogue.sources.listenbrainz_base import ListenBrainzClient

    p = config.providers
    return ListenBrainzClient(
        config.listenbrainz_root,
        config.listenbrainz_labs_root,
        token=config.listenbrainz_token,
        per_second=config.listenbrainz_rate,
        timeout=p.timeout,
        attempts=p.attempts,
        backoff_s=p.backoff_s,
        user_agent=p.user_agent,
    )


def build_sources(
    config: CatalogueConfig, store, names: list[str] | tuple[str, ...] | None = None
) -> tuple[list[CatalogueSource], dict[str, str]]:
    """Sources for ``names`` (default: every enabled one) in run order, plus {source: why skipped}."""
    wanted = list(names) if names else [s for s in SOURCES if config.is_on(s)]
    unknown = sorted(set(wanted) - set(SOURCES))
    if unknown:
        raise ValueError(f"unknown catalogue source {', '.join(unknown)} (choose from {', '.join(SOURCES)})")
    sources: list[CatalogueSource] = []
    skipped: dict[str, str] = {}
    lastfm = lb = None
    if set(LASTFM) & set(wanted) and not config.providers.lastfm_api_key:
        skipped.update(
            (s, "no Last.fm API key: set it in Settings (or SEGUE_LASTFM_API_KEY)")
            for s in LASTFM
            if s in wanted
        )
    n, hops = config.answer_size, config.hops
    for name in SOURCES:
        if name not in wanted or name in skipped:
            continue
        if name.startswith("lastfm."):
            lastfm = lastfm or lastfm_api(config.providers)
        if name.startswith("listenbrainz."):
            lb = lb or _listenbrainz(config)
        src: CatalogueSource
        if name == "local.accounts":
            from core.catalogue.sources.local_accounts import LocalAccounts

            src = LocalAccounts(store.engine, include_demo=config.include_demo)
        elif name == "local.tables":
            from core.catalogue.sources.local_tables import LocalTables

            src = LocalTables(store, tables=config.tables)
        elif name == "lastfm.artist.getSimilar":
            from core.catalogue.sources.lastfm_similar_artists import LastfmSimilarArtists

            src = LastfmSimilarArtists(lastfm, limit=n)
        elif name == "lastfm.artist.getTopTracks":
            from core.catalogue.sources.lastfm_top_tracks import LastfmTopTracks

            src = LastfmTopTracks(lastfm, limit=n, hops=hops)
        elif name == "lastfm.track.getSimilar":
            from core.catalogue.sources.lastfm_similar_tracks import LastfmSimilarTracks

            src = LastfmSimilarTracks(lastfm, limit=n)
        elif name == "lastfm.tag.getTopTracks":
            from core.catalogue.sources.lastfm_tag_tracks import LastfmTagTracks

            src = LastfmTagTracks(lastfm, limit=n)
        elif name == "musicbrainz.artist":
            from core.catalogue.sources.musicbrainz_artists import MusicBrainzArtists

            src = MusicBrainzArtists(config.providers, hops=hops)
        elif name == "listenbrainz.similar_artists":
            from core.catalogue.sources.listenbrainz_similar_artists import ListenBrainzSimilarArtists

            src = ListenBrainzSimilarArtists(lb, limit=n)
        elif name == "listenbrainz.top_recordings":
            from core.catalogue.sources.listenbrainz_top_recordings import ListenBrainzTopRecordings

            src = ListenBrainzTopRecordings(lb, limit=n, hops=hops)
        else:
            from core.catalogue.sources.listenbrainz_radio import ListenBrainzRadio

            src = ListenBrainzRadio(lb, seeds=config.radio_seeds)
        src.ttl_s = config.ttl_s(name)
        sources.append(src)
    return sources, skipped
