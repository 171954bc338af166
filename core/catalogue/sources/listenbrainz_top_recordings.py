"""``listenbrainz.top_recordings``: an artist's most listened recordings on ListenBrainz
(``/1/popularity/top-recordings-for-artist/MBID``: a JSON list of ``{artist_name, artist_mbids,
recording_name, recording_mbid, length, release_name, total_listen_count, total_user_count, ...}``),
for the seed artists and the second hop, like ``lastfm.artist.getTopTracks``. ``listeners`` is LB's
user count, ``playcount`` its listen count."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from core.catalogue.sources.base import Entry, Want
from core.catalogue.sources.listenbrainz_base import ListenBrainzSource, artists_with_mbids
from core.features.providers.base import Outcome, outcome_from_error
from core.jobs import CancelToken
from core.net import NotFound, ServiceError, Transient

NAME = "listenbrainz.top_recordings"


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) else None


def parse_top_recordings(body: Any) -> list[Entry]:
    if not isinstance(body, list):
        raise Transient("ListenBrainz sent a top-recordings answer that is not a list")
    out = []
    for r in body:
        if not isinstance(r, dict):
            continue
        artist, title = r.get("artist_name"), r.get("recording_name")
        if not (isinstance(artist, str) and artist.strip() and isinstance(title, str) and title.strip()):
            continue
        mbids = r.get("artist_mbids") or []
        out.append(
            Entry(
                artist=artist,
                track=title,
                artist_mbid=mbids[0] if len(mbids) == 1 else None,  # a single credited artist only
                track_mbid=r.get("recording_mbid") or None,
                duration_ms=_int(r.get("length")),
                listeners=_int(r.get("total_user_count")),
                playcount=_int(r.get("total_listen_count")),
            )
        )
    return out


class ListenBrainzTopRecordings(ListenBrainzSource):
    name = NAME
    level = "track"

    def __init__(self, client, *, limit: int = 50, hops: int = 60):
        super().__init__(client)
        self.limit = limit
        self.hops = hops

    def wants(self, conn: Connection, seeds, now: int) -> list[Want]:
        return artists_with_mbids(conn, seeds, self.hops)

    def fetch(self, want: Want, cancel: CancelToken | None = None) -> Outcome:
        url = f"{self.client.root}popularity/top-recordings-for-artist/{want.key}"
        try:
            entries = parse_top_recordings(self.client.get(url, None, cancel))
        except NotFound as exc:
            return Outcome.missing(f"ListenBrainz: {exc}")
        except ServiceError as exc:
            return outcome_from_error(exc, "ListenBrainz")
        return Outcome.ok(entries[: self.limit])
