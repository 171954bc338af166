"""``lastfm.track.getSimilar``: tracks Last.fm lists as similar to the listener's heavy and recent
tracks (``match`` 0–1, playcount). It needs artist AND track; an unknown track is an empty answer,
a brand-new one error 6 "Track not found" (``not_found``)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from core.catalogue.sources.base import Entry, Want
from core.catalogue.sources.lastfm_base import LastfmSource, require, section, track_entry
from core.normalize import artist_key, track_key

NAME = "lastfm.track.getSimilar"


class LastfmSimilarTracks(LastfmSource):
    name = NAME
    method = "track.getSimilar"
    level = "track"

    def wants(self, conn: Connection, seeds, now: int) -> list[Want]:
        return [
            Want(
                key=f"{artist_key(t.artist)}\t{track_key(t.title)}",
                weight=t.weight,
                seed_artist_id=t.artist_id,
                seed_track_id=t.id,
                query={"artist": t.artist, "track": t.title},
            )
            for t in seeds.tracks
            if t.artist.strip() and t.title.strip()
        ]

    def params(self, want: Want) -> dict[str, Any]:
        return {"artist": want.query["artist"], "track": want.query["track"], "autocorrect": "1"}

    def parse(self, body: Any) -> list[Entry]:
        items = require(section(body, "similartracks", "track"), "similartracks")
        return [e for e in (track_entry(i, score_key="match") for i in items if isinstance(i, dict)) if e]
