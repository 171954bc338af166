"""``listenbrainz.lb_radio``: LB Radio's recordings for a seed artist — the artist and its similar
artists, a few popular recordings each (``/1/lb-radio/artist/MBID?mode=easy&max_similar_artists=N
&max_recordings_per_artist=M&pop_begin=0&pop_end=100``: ``{artist_mbid: [{recording_mbid,
similar_artist_mbid, similar_artist_name, total_listen_count}]}``). The answer has no recording
names: one ``POST /1/metadata/recording/`` (``{"recording_mbids": [...], "inc": "artist"}``) names
them; recordings it does not know are left out. LB Radio picks at random, so the cached answer (TTL)
is what keeps the catalogue stable between runs."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from core.catalogue.sources.base import Entry, Want
from core.catalogue.sources.listenbrainz_base import ListenBrainzSource, artists_with_mbids
from core.features.providers.base import Outcome, outcome_from_error
from core.jobs import CancelToken
from core.net import NotFound, ServiceError, Transient

NAME = "listenbrainz.lb_radio"
MAX_LOOKUP = 1000  # recordings per metadata POST (the API's MAX_ITEMS_PER_GET)


def radio_recordings(body: Any) -> list[dict]:
    """The answer's recordings, artist by artist, most listened first within each."""
    if not isinstance(body, dict):
        raise Transient("ListenBrainz sent an LB Radio answer that is not an object")
    out = []
    for recs in body.values():
        rows = (
            [r for r in recs if isinstance(r, dict) and r.get("recording_mbid")]
            if isinstance(recs, list)
            else []
        )
        out += sorted(rows, key=lambda r: -(r.get("total_listen_count") or 0))
    return out


def named_entries(recordings: list[dict], metadata: Any) -> list[Entry]:
    if not isinstance(metadata, dict):
        raise Transient("ListenBrainz sent recording metadata that is not an object")
    out = []
    for r in recordings:
        meta = metadata.get(r["recording_mbid"]) or {}
        rec, artist = meta.get("recording") or {}, meta.get("artist") or {}
        title = rec.get("name")
        name = artist.get("name") or r.get("similar_artist_name")
        if not (isinstance(title, str) and title.strip() and isinstance(name, str) and name.strip()):
            continue
        length = rec.get("length")
        listens = r.get("total_listen_count")
        out.append(
            Entry(
                artist=name,
                track=title,
                artist_mbid=r.get("similar_artist_mbid")
                if len(artist.get("artists") or [None]) == 1
                else None,
                track_mbid=r["recording_mbid"],
                duration_ms=int(length) if isinstance(length, (int, float)) else None,
                playcount=int(listens) if isinstance(listens, (int, float)) else None,
            )
        )
    return out


class ListenBrainzRadio(ListenBrainzSource):
    name = NAME
    level = "track"

    def __init__(
        self, client, *, seeds: int = 20, mode: str = "easy", similar: int = 10, per_artist: int = 5
    ):
        super().__init__(client)
        self.n_seeds, self.mode, self.similar, self.per_artist = seeds, mode, similar, per_artist

    def wants(self, conn: Connection, seeds, now: int) -> list[Want]:
        return artists_with_mbids(conn, seeds, 0, limit=self.n_seeds)

    def fetch(self, want: Want, cancel: CancelToken | None = None) -> Outcome:
        params = {
            "mode": self.mode,
            "max_similar_artists": self.similar,
            "max_recordings_per_artist": self.per_artist,
            "pop_begin": 0,
            "pop_end": 100,
        }
        try:
            recordings = radio_recordings(
                self.client.get(f"{self.client.root}lb-radio/artist/{want.key}", params, cancel)
            )
            if not recordings:
                return Outcome.ok([])
            metadata: dict = {}
            for i in range(0, len(recordings), MAX_LOOKUP):
                part = [r["recording_mbid"] for r in recordings[i : i + MAX_LOOKUP]]
                got = self.client.post(
                    f"{self.client.root}metadata/recording/",
                    {"recording_mbids": part, "inc": "artist"},
                    cancel,
                )
                metadata.update(got if isinstance(got, dict) else {})
            entries = named_entries(recordings, metadata)
        except NotFound as exc:
            return Outcome.missing(f"ListenBrainz: {exc}")
        except ServiceError as exc:
            return outcome_from_error(exc, "ListenBrainz")
        return Outcome.ok(entries)
