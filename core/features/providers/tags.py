"""Tags from Last.fm: ``track.getTopTags``, falling back to ``artist.getTopTags``.

An empty tag list (HTTP 200, no tags) or error 6 means "nothing at this level".  A track without its
own tags gets its artist's tags: those are stored once per artist (``item_tag`` with item_kind
``artist``, status row for the artist) and the track's status says ``ok`` with provider
``lastfm:artist``, so consumers read track tags first and the artist's otherwise.  An artist already
known (fresh in the store, or seen earlier in the run) costs no second request.

Weights are Last.fm's ``count``: 0-100 relative to the item's top tag.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from core.features.providers.base import BaseProvider, Item, Outcome, outcome_from_error
from core.features.providers.rows import replace_tags
from core.features.providers.state import FetchPolicy, load_statuses, set_status
from core.jobs import CancelToken
from core.net import NotFound, ServiceError, Transient
from core.sources.lastfm.api import LastfmApi

PROVIDER = "lastfm"
ARTIST_LEVEL = "lastfm:artist"


def parse_top_tags(body: Any, *, min_count: int = 1, max_tags: int = 50) -> list[tuple[str, int]]:
    """``{"toptags": {"tag": [...] | {...}}}`` → [(name, count)], strongest first.

    Handles the XML-to-JSON quirks: a single tag as an object, counts as strings, ``{"#text": ...}``
    bodies with no ``tag`` key.  Raises Transient for a body that is not a toptags answer at all.
    """
    if not isinstance(body, dict) or not isinstance(body.get("toptags"), dict):
        raise Transient("Last.fm sent a response without toptags")
    raw = body["toptags"].get("tag") or []
    if isinstance(raw, dict):
        raw = [raw]
    out: list[tuple[str, int]] = []
    for tag in raw if isinstance(raw, list) else []:
        if not isinstance(tag, dict):
            continue
        name = str(tag.get("name") or "").strip()
        try:
            count = int(float(tag.get("count") or 0))
        except (TypeError, ValueError):
            count = 0
        if name and count >= min_count:
            out.append((name, max(0, min(100, count))))
    out.sort(key=lambda t: -t[1])
    return out[:max_tags]


class LastfmTags(BaseProvider):
    name = PROVIDER
    modality = "tags"
    item_kind = "track"
    service = "lastfm"

    def __init__(
        self,
        api: LastfmApi,
        *,
        policy: FetchPolicy | None = None,
        min_count: int = 1,
        max_tags: int = 50,
        autocorrect: bool = True,
    ):
        self.api = api
        self.policy = policy or FetchPolicy()
        self.min_count = min_count
        self.max_tags = max_tags
        self.autocorrect = "1" if autocorrect else "0"
        self.per_second = 1.0 / api.http.limiter.interval if api.http.limiter.interval else 0.0
        self._artists: dict[int, str] = {}  # artist id -> "ok" | "missing", known this run

    @property
    def requests_made(self) -> int:
        return self.api.requests_made

    def prepare(self, conn: Connection, now: int, force: bool = False) -> None:
        self._artists.clear()
        if force:
            return
        for artist_id, row in load_statuses(conn, "artist", self.modality).items():
            if row.status in ("ok", "missing") and not self.policy.due(self.modality, row, now):
                self._artists[artist_id] = row.status

    def _tags(self, method: str, item: Item, cancel: CancelToken | None, **params) -> list[tuple[str, int]]:
        body = self.api.call(
            method, artist=item.artist, autocorrect=self.autocorrect, cancel=cancel, **params
        )
        return parse_top_tags(body, min_count=self.min_count, max_tags=self.max_tags)

    def fetch(self, item: Item, cancel: CancelToken | None = None) -> Outcome:
        try:
            tags = self._tags("track.getTopTags", item, cancel, track=item.title)
            if tags:
                return Outcome.ok({"level": "track", "tags": tags}, source=PROVIDER)
        except NotFound:
            pass
        except ServiceError as exc:
            return outcome_from_error(exc, "Last.fm")
        return self._artist_level(item, cancel)

    def _artist_level(self, item: Item, cancel: CancelToken | None) -> Outcome:
        known = self._artists.get(item.artist_id) if item.artist_id is not None else None
        if known == "ok":
            return Outcome.ok(
                {"level": "artist", "tags": None}, source=ARTIST_LEVEL, reason="artist-level tags"
            )
        if known == "missing":
            return Outcome.missing(
                "Last.fm has no tags for this track or its artist", {"artist_checked": False}
            )
        try:
            tags = self._tags("artist.getTopTags", item, cancel)
        except NotFound:
            tags = []
        except ServiceError as exc:
            return outcome_from_error(exc, "Last.fm")
        if tags:
            return Outcome.ok(
                {"level": "artist", "tags": tags}, source=ARTIST_LEVEL, reason="artist-level tags"
            )
        return Outcome.missing("Last.fm has no tags for this track or its artist", {"artist_checked": True})

    def save(self, conn: Connection, item: Item, outcome: Outcome, now: int) -> None:
        data = outcome.data or {}
        if outcome.kind == "ok" and data.get("level") == "track":
            replace_tags(conn, "track", item.id, data["tags"], PROVIDER)
            return
        if outcome.kind not in ("ok", "missing"):
            return
        replace_tags(conn, "track", item.id, [], PROVIDER)  # the track itself has none (any more)
        if item.artist_id is None:
            return
        if outcome.kind == "ok" and data.get("tags") is not None:
            replace_tags(conn, "artist", item.artist_id, data["tags"], PROVIDER)
            set_status(conn, "artist", item.artist_id, self.modality, "ok", now=now, provider=PROVIDER)
            self._artists[item.artist_id] = "ok"
        elif outcome.kind == "missing" and data.get("artist_checked"):
            set_status(
                conn,
                "artist",
                item.artist_id,
                self.modality,
                "missing",
                now=now,
                provider=PROVIDER,
                reason="Last.fm has no tags for this artist",
            )
            self._artists[item.artist_id] = "missing"
