"""``lastfm.artist.getTopTracks``: an artist's most played tracks, with listeners and playcount.

Asked for the listener's seed artists (most new-to-you plays are by an artist the listener already
knows: 43–93% on the real histories) and for the strongest similar artists the similar-artist answers
named (the second hop, ``core.catalogue.expand``), so new artists arrive with tracks.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from core.catalogue.expand import similar_artists
from core.catalogue.sources.base import Entry, Want
from core.catalogue.sources.lastfm_base import LastfmSource, ranked_tracks, require, section
from core.catalogue.sources.lastfm_similar_artists import artist_wants
from core.normalize import artist_key

NAME = "lastfm.artist.getTopTracks"


def artist_and_hop_wants(conn: Connection, seeds, hops: int) -> list[Want]:
    """The seed artists, then the ``hops`` strongest similar artists (weight: seed weight × similarity)."""
    wants = artist_wants(seeds)
    seen = {w.seed_artist_id for w in wants}
    for hop in similar_artists(conn, seeds.account_id, hops, exclude=seen):
        wants.append(
            Want(
                key=artist_key(hop.name),
                weight=hop.weight,
                seed_artist_id=hop.artist_id,
                query={"artist": hop.name, "mbid": hop.mbid, "via": hop.via_artist_id},
            )
        )
    return wants


class LastfmTopTracks(LastfmSource):
    name = NAME
    method = "artist.getTopTracks"
    level = "track"

    def __init__(self, api, *, limit: int = 50, hops: int = 60):
        super().__init__(api, limit=limit)
        self.hops = hops

    def wants(self, conn: Connection, seeds, now: int) -> list[Want]:
        return artist_and_hop_wants(conn, seeds, self.hops)

    def parse(self, body: Any) -> list[Entry]:
        return ranked_tracks(require(section(body, "toptracks", "track"), "toptracks"))
