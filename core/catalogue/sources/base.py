"""What every catalogue source is: the seeds it wants for a listener in, entries for one seed out.

A source names one kind of answer (``lastfm.artist.getSimilar``, ``local.accounts``, ...). For a
listener it lists :class:`Want` s — one per seed (an artist, a track, a tag, another account, a table
file) with the seed's weight — and fetches one at a time. ``fetch`` never raises for service trouble;
it returns a :class:`core.features.providers.base.Outcome` (the same outcome every feature provider
returns, mapped from ``core.net`` errors by ``outcome_from_error``):

* ``ok(entries)`` — the answer: a list of :class:`Entry` (an empty list is stored as ``empty``);
* ``missing(reason)`` — the service does not know the seed (error 6, 404): ``not_found``;
* ``error(reason, retry, stop=...)`` — recorded with its reason and retried later (``stop``: the source
  cannot work this run, e.g. a bad API key);
* ``offline(reason)`` — no network: nothing is concluded, the seed stays due.

The refresh job (``core.catalogue.refresh``) decides what is due (new, expired, failed long enough
ago, or its input changed), resolves entry names to the store's artist/track rows and commits each
answer on its own, so a run can stop anywhere and the next one continues.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Connection

from core.features.providers.base import BaseProvider, Outcome
from core.jobs import CancelToken

DAY = 86_400
LEVELS = ("track", "artist", "ids")


@dataclass(frozen=True)
class Entry:
    """One line of an answer. Live sources give names (resolved to rows with the normalised matching
    every importer uses); local sources give ids. ``track`` None: an artist-level entry."""

    artist: str = ""
    track: str | None = None
    artist_mbid: str | None = None
    track_mbid: str | None = None
    duration_ms: int | None = None
    score: float | None = None
    listeners: int | None = None
    playcount: int | None = None
    artist_id: int | None = None
    track_id: int | None = None


@dataclass(frozen=True)
class Want:
    """A seed a listener wants fetched. ``key`` is the normalised seed key (unique per source);
    ``query`` what the request needs (names, MBIDs, a path); ``detail`` a fingerprint of the input for
    local sources (a changed fingerprint makes a fresh answer due again)."""

    key: str
    weight: float
    seed_artist_id: int | None = None
    seed_track_id: int | None = None
    seed_tag: str | None = None
    seed_account_id: int | None = None
    query: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)
    detail: dict[str, Any] | None = field(default=None, compare=False, hash=False)


@runtime_checkable
class CatalogueSource(Protocol):
    """A discovery source. ``service`` names the rate-limited resource it shares (``lastfm``,
    ``listenbrainz``, ``musicbrainz``, ``local``); ``level`` says what its entries are (track, artist,
    or ``ids`` for a lookup that only fills MBIDs); ``ttl_s`` how long an answer stays fresh."""

    name: str
    service: str
    level: str
    ttl_s: int

    def wants(self, conn: Connection, seeds: Any, now: int) -> list[Want]:
        """The seeds this listener needs from the source (``seeds``: ``core.catalogue.seeds.Seeds``)."""

    def fetch(self, want: Want, cancel: CancelToken | None = None) -> Outcome: ...

    def save(self, conn: Connection, want: Want, outcome: Outcome, now: int) -> None:
        """Store what is not an item (e.g. an MBID on the artist row); items are the job's."""

    def close(self) -> None: ...


class BaseSource(BaseProvider):
    """Defaults for the optional parts of the protocol (``save``, ``close``, ``requests_made``: the
    feature providers' own)."""

    name = "base"
    service = "local"
    level = "track"
    ttl_s = 30 * DAY
