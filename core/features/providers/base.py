"""What every feature provider is: an :class:`Item` in, an :class:`Outcome` out, results saved by the provider.

A provider fetches one modality for one kind of item (tracks, artists or albums) from one service or
folder.  ``fetch`` never raises for service trouble: it returns

* ``ok(data)`` — found; ``save`` stores ``data``;
* ``missing(reason)`` — the service answered and has nothing (404, error 6, empty list);
* ``error(reason, retry)`` — the service failed (``retry=True``: 5xx/429/timeout/malformed body, try a
  later run; ``retry=False``: this item cannot be fetched as asked, retry only when stale or forced);
  ``stop=True`` means the provider itself cannot work this run (bad key, rejected token);
* ``offline(reason)`` — no network path: nothing is concluded, the item stays pending.

Rate limit, User-Agent, timeouts and retries with backoff come from ``core.net.HttpClient``; the
backlog job (``core.features.fetch``) decides which items are due, writes ``feature_status`` and
commits per item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

from sqlalchemy import Connection

from core.jobs import CancelToken
from core.net import AuthRequired, Fatal, NotFound, Offline, ServiceError

MODALITIES: tuple[str, ...] = ("tags", "lyrics", "audio", "ids", "art", "bio", "length")
ITEM_KINDS: tuple[str, ...] = ("track", "artist", "album")
#: The item kind each modality is stored for (tags fall back to artist level inside the provider).
MODALITY_KIND: dict[str, str] = {
    "tags": "track",
    "lyrics": "track",
    "audio": "track",
    "ids": "track",
    "art": "album",
    "bio": "artist",
    "length": "track",
}


@dataclass(frozen=True)
class Item:
    """One thing to fetch for. ``title`` is the track title (track items) or the album name (album
    items); ``mbid`` is the recording, artist or release MBID matching ``kind``."""

    kind: str
    id: int
    artist: str
    title: str = ""
    album: str = ""
    duration_ms: int | None = None
    mbid: str | None = None
    artist_id: int | None = None
    album_id: int | None = None
    plays: int = 0

    def label(self) -> str:
        if self.kind == "artist":
            return self.artist
        return f"{self.artist} – {self.title}"


def needs(modality: str, item: Item) -> bool:
    """Whether ``item`` needs ``modality`` fetched at all: a length only when no source gave one yet.
    An item that does not is never due (the backlog and its count both ask here)."""
    if modality == "length":
        return not item.duration_ms
    return True


@dataclass(frozen=True)
class Outcome:
    kind: str  # ok | missing | error | offline
    data: Any = None
    reason: str = ""
    retry: bool = False
    stop: bool = False
    source: str | None = None  # the sub-source that produced it (e.g. "lrclib", "local", "genius")

    @classmethod
    def ok(cls, data: Any = None, *, source: str | None = None, reason: str = "") -> Outcome:
        return cls("ok", data, reason, source=source)

    @classmethod
    def missing(cls, reason: str, data: Any = None, *, source: str | None = None) -> Outcome:
        return cls("missing", data, reason, source=source)

    @classmethod
    def error(
        cls, reason: str, retry: bool = True, *, stop: bool = False, source: str | None = None
    ) -> Outcome:
        return cls("error", None, reason, retry=retry, stop=stop, source=source)

    @classmethod
    def offline(cls, reason: str = "offline", *, source: str | None = None) -> Outcome:
        return cls("offline", None, reason, retry=True, source=source)


def outcome_from_error(exc: ServiceError, service: str, *, source: str | None = None) -> Outcome:
    """Map ``core.net`` error classes to outcomes (the one place that decides what an error means)."""
    text = f"{service}: {exc}"
    if isinstance(exc, Offline):
        return Outcome.offline(text, source=source)
    if isinstance(exc, NotFound):
        return Outcome.missing(text, source=source)
    if isinstance(exc, (Fatal, AuthRequired)):
        # A bad key / refused token stops the provider; a 400 for one odd item does not.
        stop = isinstance(exc, AuthRequired) or exc.status in (None, 401, 403) or exc.code in (10, 26)
        return Outcome.error(text, retry=False, stop=stop, source=source)
    return Outcome.error(text, retry=bool(exc.retry), source=source)


@runtime_checkable
class Provider(Protocol):
    """A feature source. ``service`` names the rate-limited resource (providers sharing one run in
    sequence and share its limiter); ``per_second`` is 0 for local work.  An optional
    ``depends_on`` tuple of modalities makes the backlog run it after those providers."""

    name: str
    modality: str
    item_kind: str
    service: str
    per_second: float

    def prepare(self, conn: Connection, now: int, force: bool = False) -> None:
        """Load whatever cached context the provider needs before a run (may do nothing); with
        ``force`` the run refetches everything, so stored results must not stand in for requests."""

    def fetch(self, item: Item, cancel: CancelToken | None = None) -> Outcome: ...

    def save(self, conn: Connection, item: Item, outcome: Outcome, now: int) -> None:
        """Store an ``ok`` (and, where useful, a ``missing``) outcome; status rows are the job's."""

    def close(self) -> None: ...


class BaseProvider:
    """Defaults for the optional parts of the protocol."""

    name = "base"
    modality = ""
    item_kind = "track"
    service = "local"
    per_second = 0.0
    depends_on: tuple[str, ...] = ()  # modalities whose results this provider reads (run after them)

    def prepare(self, conn: Connection, now: int, force: bool = False) -> None:
        return None

    def save(self, conn: Connection, item: Item, outcome: Outcome, now: int) -> None:
        return None

    def close(self) -> None:
        return None

    @property
    def requests_made(self) -> int:
        return 0


def first(mapping: Mapping[str, Any] | None, *keys: str, default: Any = None) -> Any:
    """The first present, non-empty value among ``keys``."""
    if not mapping:
        return default
    for k in keys:
        v = mapping.get(k)
        if v not in (None, ""):
            return v
    return default
