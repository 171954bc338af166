"""``lastfm.tag.getTopTracks``: the top tracks of the listener's strongest tags (ranked, no counts).

The seed tags are the listener's artist tags (``core.catalogue.seeds``): only after the tag backlog
(``segue features fetch``) or a tag table import has given the listener's artists tags.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from core.catalogue.sources.base import Entry, Want
from core.catalogue.sources.lastfm_base import LastfmSource, ranked_tracks, require, section

NAME = "lastfm.tag.getTopTracks"


class LastfmTagTracks(LastfmSource):
    name = NAME
    method = "tag.getTopTracks"
    level = "track"

    def wants(self, conn: Connection, seeds, now: int) -> list[Want]:
        return [Want(key=tag, weight=w, seed_tag=tag, query={"tag": tag}) for tag, w in seeds.tags]

    def params(self, want: Want) -> dict[str, Any]:
        return {"tag": want.query["tag"]}

    def parse(self, body: Any) -> list[Entry]:
        return ranked_tracks(require(section(body, "tracks", "track"), "tracks"))
