"""``musicbrainz.artist``: artist name → MusicBrainz artist MBID, for the ListenBrainz sources.

Asked only for the listener's seed artists and second-hop artists that have no MBID yet (Last.fm
exports and answers carry many). ``/ws/2/artist?query=artist:"NAME"&fmt=json``: accepted only when a
result's normalised name (or one of its aliases) equals ours with score ≥ 90, and no other artist of
that name scores as well (two bands called "Phoenix": no ID) — a wrong ID is worse than none. The MBID goes onto the artist row; the answer (found / not found) is cached like any other.
Shares the MusicBrainz client code and its 1 req/s limit with the recording-ID provider.
"""

from __future__ import annotations

from sqlalchemy import Connection, select

from core.catalogue.expand import similar_artists
from core.catalogue.sources.base import DAY, BaseSource, Want
from core.features.providers.base import Outcome, outcome_from_error
from core.features.providers.musicbrainz import _UUID, http_client, lucene_escape
from core.features.providers.rows import fill_mbid
from core.jobs import CancelToken
from core.net import ServiceError, Transient
from core.normalize import artist_key
from core.store.schema import Artist

NAME = "musicbrainz.artist"
MIN_SCORE = 90


def choose_artist(artists: list, name: str) -> str | None:
    """The MBID of the best-scored artist named ``name`` (or aliased so); None when nothing matches
    or when two different artists of that name tie for the best score — a wrong ID is worse than none."""
    want = artist_key(name)
    scored: list[tuple[int, str]] = []
    for a in artists:
        if not isinstance(a, dict) or not _UUID.match(str(a.get("id", ""))):
            continue
        score = int(a.get("score", 0) or 0)
        names = [a.get("name") or "", a.get("sort-name") or ""]
        names += [al.get("name") or "" for al in a.get("aliases") or [] if isinstance(al, dict)]
        if score >= MIN_SCORE and want in {artist_key(n) for n in names if n}:
            scored.append((score, a["id"].lower()))
    if not scored:
        return None
    best = max(s for s, _ in scored)
    ids = {i for s, i in scored if s == best}
    return ids.pop() if len(ids) == 1 else None


class MusicBrainzArtists(BaseSource):
    name = NAME
    service = "musicbrainz"
    level = "ids"
    ttl_s = 180 * DAY

    def __init__(self, providers, *, hops: int = 60):
        """``providers``: the ``ProviderConfig`` (MusicBrainz root, rate, timeouts, User-Agent)."""
        self.hops = hops
        self.per_second = providers.rate("musicbrainz")
        self.http = http_client(
            providers.musicbrainz_root,
            per_second=self.per_second,
            timeout=providers.timeout,
            attempts=providers.attempts,
            backoff_s=providers.backoff_s,
            user_agent=providers.user_agent,
        )

    @property
    def requests_made(self) -> int:
        return self.http.requests_made

    def close(self) -> None:
        self.http.close()

    def wants(self, conn: Connection, seeds, now: int) -> list[Want]:
        ids = {a.id: (a.name, a.weight) for a in seeds.artists}
        for hop in similar_artists(conn, seeds.account_id, self.hops, exclude=set(ids)):
            ids.setdefault(hop.artist_id, (hop.name, hop.weight))
        have = set(
            conn.execute(
                select(Artist.id).where(Artist.id.in_(list(ids)), Artist.mbid.is_not(None))
            ).scalars()
        )
        return [
            Want(key=artist_key(name), weight=w, seed_artist_id=i, query={"artist": name})
            for i, (name, w) in ids.items()
            if i not in have and name.strip()
        ]

    def fetch(self, want: Want, cancel: CancelToken | None = None) -> Outcome:
        name = want.query["artist"]
        try:
            body = self.http.get_json(
                "artist",
                {"query": f'artist:"{lucene_escape(name)}"', "fmt": "json", "limit": 10},
                cancel=cancel,
            )
            if not isinstance(body, dict) or not isinstance(body.get("artists"), list):
                raise Transient("artist search answer without artists")
        except ServiceError as exc:
            return outcome_from_error(exc, "MusicBrainz")
        mbid = choose_artist(body["artists"], name)
        if mbid is None:
            return Outcome.missing("MusicBrainz: no artist with this name")
        return Outcome.ok({"mbid": mbid})

    def save(self, conn: Connection, want: Want, outcome: Outcome, now: int) -> None:
        if outcome.kind == "ok":
            fill_mbid(conn, Artist, want.seed_artist_id, outcome.data["mbid"])
