"""``lastfm.artist.getSimilar``: artists Last.fm lists as similar to each seed artist (``match`` 0–1).

An artist-level answer: its entries become ``artist_edges`` (seed → similar) and the second hop
(``core.catalogue.expand``) whose top tracks ``lastfm.artist.getTopTracks`` fetches next.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from core.catalogue.sources.base import Entry, Want
from core.catalogue.sources.lastfm_base import LastfmSource, as_list, number, require, section
from core.normalize import artist_key

NAME = "lastfm.artist.getSimilar"


def artist_wants(seeds) -> list[Want]:
    return [
        Want(
            key=artist_key(a.name),
            weight=a.weight,
            seed_artist_id=a.id,
            query={"artist": a.name, "mbid": a.mbid},
        )
        for a in seeds.artists
        if a.name.strip()
    ]


class LastfmSimilarArtists(LastfmSource):
    name = NAME
    method = "artist.getSimilar"
    level = "artist"

    def wants(self, conn: Connection, seeds, now: int) -> list[Want]:
        return artist_wants(seeds)

    def parse(self, body: Any) -> list[Entry]:
        items = require(section(body, "similarartists", "artist"), "similarartists")
        out = []
        for item in as_list(items):
            name = item.get("name") if isinstance(item, dict) else None
            if isinstance(name, str) and name.strip():
                out.append(
                    Entry(artist=name, artist_mbid=item.get("mbid") or None, score=number(item.get("match")))
                )
        return out
