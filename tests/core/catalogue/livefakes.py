"""A small hand-written world served by the fake Last.fm, ListenBrainz and MusicBrainz, and a listener
whose history names some of it (spelled differently where it can be)."""

from __future__ import annotations

from contextlib import contextmanager
from dataclasses import fields

from fakes.discovery_world import DiscoveryWorld
from fakes.lastfm_server import FakeLastfm
from fakes.listenbrainz_server import FakeListenBrainz
from fakes.musicbrainz_server import FakeMusicBrainz, artists_from_world
from helpers import add_account, spaced

from core.catalogue.seeds import SeedPolicy
from core.catalogue.sources import CatalogueConfig
from core.features.providers import ProviderConfig

FAST_RATES = {"lastfm": 40.0, "listenbrainz": 40.0, "musicbrainz": 40.0}


def world() -> DiscoveryWorld:
    w = DiscoveryWorld()
    w.add_artist("Radiohead", ["Creep", "Karma Police", "Nude", "Lucky", "Reckoner"],
                 similar=["Thom Yorke", "Portishead", "Muse"], tags=["alternative"])  # fmt: skip
    w.add_artist("Portishead", ["Roads", "Glory Box", "Sour Times"], similar=["Massive Attack", "Radiohead"],
                 tags=["trip-hop"])  # fmt: skip
    w.add_artist("Thom Yorke", ["Hearing Damage", "Black Swan"], similar=["Radiohead"])
    w.add_artist("Muse", ["Hysteria", "Starlight"], similar=["Radiohead"])
    w.add_artist("Massive Attack", ["Teardrop", "Angel"], similar=["Portishead"], tags=["trip-hop"])
    w.set_similar_tracks("Radiohead", "Creep", [("Muse", "Starlight", 1.0), ("Radiohead", "Lucky", 0.7)])
    return w


# Radiohead is "radiohead" in the listener's export: Last.fm's spelling must land on the same row
HISTORY = spaced([("radiohead", "Creep"), ("radiohead", "Karma Police"), ("Portishead", "Roads")] * 4)


@contextmanager
def fakes(w: DiscoveryWorld | None = None, **lastfm_kwargs):
    w = w or world()
    with (
        FakeLastfm(world=w, **lastfm_kwargs) as fm,
        FakeListenBrainz(w) as lb,
        FakeMusicBrainz(artists=artists_from_world(w)) as mb,
    ):
        yield fm, lb, mb


def config(fm, lb, mb, **kw) -> CatalogueConfig:
    """Sources pointed at the fakes, fast; ``kw`` sets CatalogueConfig or ProviderConfig fields."""
    providers = ProviderConfig(
        lastfm_api_key=fm.api_key,
        lastfm_root=fm.url,
        musicbrainz_root=mb.url,
        rates=dict(FAST_RATES),
        attempts=3,
        backoff_s=0.05,
        lastfm_rate_pause_s=0.2,
        timeout=5.0,
    )
    for name in [k for k in kw if k in {f.name for f in fields(ProviderConfig)}]:
        setattr(providers, name, kw.pop(name))
    base = dict(
        providers=providers,
        listenbrainz_root=lb.url,
        listenbrainz_labs_root=lb.labs_url,
        listenbrainz_rate=providers.rate("listenbrainz"),
        seeds=SeedPolicy(tags=3),
    )
    base.update(kw)
    return CatalogueConfig(**base)


def listener(store, tmp_path, name: str = "me"):
    account = add_account(store, tmp_path, name, HISTORY)
    from sqlalchemy import select

    from core.features.providers.rows import replace_tags
    from core.store.schema import Artist

    with store.engine.begin() as conn:  # what the tag backlog would have stored for her artists
        ph = conn.execute(select(Artist.id).where(Artist.name == "Portishead")).scalar_one()
        replace_tags(conn, "artist", ph, [("trip-hop", 100)], "lastfm")
    return account
