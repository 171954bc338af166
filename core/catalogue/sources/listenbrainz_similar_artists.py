"""``listenbrainz.similar_artists``: artists similar to a seed artist, from the ListenBrainz labs API
(``{labs root}similar-artists/json?artist_mbids=MBID&algorithm=ALG``: a JSON list of
``{artist_mbid, name, comment, type, gender, score, reference_mbid}``; ``score`` is LB's raw
similarity, larger = closer). An artist-level answer, like ``lastfm.artist.getSimilar``."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from core.catalogue.sources.base import Entry, Want
from core.catalogue.sources.listenbrainz_base import ListenBrainzSource, artists_with_mbids
from core.features.providers.base import Outcome, outcome_from_error
from core.jobs import CancelToken
from core.net import NotFound, ServiceError, Transient

NAME = "listenbrainz.similar_artists"
DEFAULT_ALGORITHM = (
    "session_based_days_7500_session_300_contribution_5_threshold_10_limit_100_filter_True_skip_30"
)


def parse_similar(body: Any, seed_mbid: str) -> list[Entry]:
    if not isinstance(body, list):
        raise Transient("ListenBrainz sent a similar-artists answer that is not a list")
    out = []
    for item in body:
        if not isinstance(item, dict):
            continue
        mbid, name = str(item.get("artist_mbid") or "").lower(), item.get("name")
        if mbid == seed_mbid or not (isinstance(name, str) and name.strip()):
            continue  # the reference artist itself, or a row without a name
        score = item.get("score")
        out.append(
            Entry(
                artist=name,
                artist_mbid=mbid or None,
                score=float(score) if isinstance(score, (int, float)) else None,
            )
        )
    return out


class ListenBrainzSimilarArtists(ListenBrainzSource):
    name = NAME
    level = "artist"

    def __init__(self, client, *, algorithm: str = DEFAULT_ALGORITHM, limit: int = 50):
        super().__init__(client)
        self.algorithm = algorithm
        self.limit = limit

    def wants(self, conn: Connection, seeds, now: int) -> list[Want]:
        return artists_with_mbids(conn, seeds, 0)

    def fetch(self, want: Want, cancel: CancelToken | None = None) -> Outcome:
        url = self.client.labs_root + "similar-artists/json"
        try:
            body = self.client.get(url, {"artist_mbids": want.key, "algorithm": self.algorithm}, cancel)
            entries = parse_similar(body, want.key)
        except NotFound as exc:
            return Outcome.missing(f"ListenBrainz: {exc}")
        except ServiceError as exc:
            return outcome_from_error(exc, "ListenBrainz")
        return Outcome.ok(entries[: self.limit])
