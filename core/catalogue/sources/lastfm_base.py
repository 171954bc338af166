"""What the four Last.fm discovery sources share: the API client, reading its JSON, mapping errors.

Last.fm's JSON is converted XML, with its quirks: a list of one comes as a single object, numbers come
as strings (or as numbers, depending on the method), ranks sit in ``@attr.rank``, an empty answer is
``{"track": []}``, ``{"#text": "\\n"}`` or an empty document (the JSON of ``<lfm status="ok"/>``), and
error bodies (``{"error": 6, "message": ...}``) come with HTTP 200 as well as 4xx. Error 6 ("artist
could not be found", "Track not found") means the seed is unknown there: ``not_found``; every other
error goes through ``core.sources.lastfm.api`` (8/11/16/5xx and 29 back off, 10/26 stop the source).
API key only, no login; one rate limit (4 req/s) shared with the history sync and the tag backlog.
"""

from __future__ import annotations

from typing import Any

from core.catalogue.sources.base import DAY, BaseSource, Entry, Want
from core.features.providers.base import Outcome, outcome_from_error
from core.jobs import CancelToken
from core.net import NotFound, ServiceError, Transient
from core.sources.lastfm.api import LastfmApi


def as_list(value: Any) -> list:
    """Last.fm's "list or single object or nothing"."""
    if isinstance(value, list):
        return value
    return [value] if isinstance(value, dict) else []


def number(value: Any) -> float | None:
    try:
        return float(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


def whole(value: Any) -> int | None:
    n = number(value)
    return int(n) if n is not None else None


def section(body: Any, outer: str, inner: str) -> list | None:
    """``body[outer][inner]`` as a list; [] for the empty forms; None when ``outer`` is not there."""
    if not isinstance(body, dict):
        return None
    if not body:  # <lfm status="ok"/> as JSON: nothing at all
        return []
    part = body.get(outer)
    if part is None:
        return None
    if not isinstance(part, dict):  # "similartracks": "" or "\n"
        return []
    return as_list(part.get(inner))


def track_entry(item: dict, *, score_key: str | None = None) -> Entry | None:
    artist = item.get("artist")
    artist_name = (artist.get("name") or artist.get("#text")) if isinstance(artist, dict) else artist
    title = item.get("name")
    if not (
        isinstance(artist_name, str) and artist_name.strip() and isinstance(title, str) and title.strip()
    ):
        return None
    duration = whole(item.get("duration"))
    return Entry(
        artist=artist_name,
        track=title,
        artist_mbid=(artist.get("mbid") or None) if isinstance(artist, dict) else None,
        track_mbid=item.get("mbid") or None,
        duration_ms=duration * 1000 if duration else None,
        score=number(item.get(score_key)) if score_key else None,
        listeners=whole(item.get("listeners")),
        playcount=whole(item.get("playcount")),
    )


def ranked_tracks(items: list) -> list[Entry]:
    """Track entries in ``@attr.rank`` order (answer order where a rank is missing)."""
    ranked = []
    for i, item in enumerate(items):
        if isinstance(item, dict) and (entry := track_entry(item)) is not None:
            ranked.append((whole((item.get("@attr") or {}).get("rank")) or i + 1, i, entry))
    return [e for _, _, e in sorted(ranked, key=lambda x: x[:2])]


class LastfmSource(BaseSource):
    """One Last.fm method: subclasses set ``name``/``method`` and implement ``wants`` and ``parse``."""

    service = "lastfm"
    method = ""
    ttl_s = 30 * DAY

    def __init__(self, api: LastfmApi, *, limit: int = 50):
        self.api = api
        self.limit = limit
        self.per_second = 1.0 / api.http.limiter.interval if api.http.limiter.interval else 0.0

    @property
    def requests_made(self) -> int:
        return self.api.requests_made

    def params(self, want: Want) -> dict[str, Any]:
        return {"artist": want.query["artist"], "autocorrect": "1"}

    def parse(self, body: Any) -> list[Entry]:
        raise NotImplementedError

    def fetch(self, want: Want, cancel: CancelToken | None = None) -> Outcome:
        try:
            body = self.api.call(self.method, limit=self.limit, cancel=cancel, **self.params(want))
            entries = self.parse(body)
        except NotFound as exc:
            return Outcome.missing(f"Last.fm: {exc}")
        except ServiceError as exc:
            return outcome_from_error(exc, "Last.fm")
        return Outcome.ok(entries)

    def close(self) -> None:
        self.api.close()  # shared by the Last.fm sources; closing twice is harmless, and all close at the end


def require(entries: list | None, what: str) -> list:
    if entries is None:
        raise Transient(f"Last.fm sent an answer without {what}")
    return entries
