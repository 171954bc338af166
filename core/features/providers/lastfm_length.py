"""Track lengths from Last.fm ``track.getInfo``, for tracks no other source has a length for.

Sessions and listening time use ``track.duration_ms`` and estimate a play's length only where it is
unknown (``core/sessions.py``). An import's own length, MusicBrainz's recording length and the user's
files fill it first; this provider asks Last.fm only for the tracks still without one so
a history whose files or MusicBrainz ids already know every length costs no request (``base.needs``). ``duration`` is
milliseconds as a string; ``"0"`` (or absent) means Last.fm does not know it either: ``missing``.
Error 6 (track not found) is ``missing`` too. The answer's tags are not used: ``track.getTopTags``
carries their weights (``tags`` modality).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection

from core.features.providers.base import BaseProvider, Item, Outcome, outcome_from_error
from core.features.providers.rows import fill_durations
from core.jobs import CancelToken
from core.net import ServiceError
from core.sources.lastfm.api import LastfmApi

MIN_MS = 1000
MAX_MS = 86_400_000


def parse_duration_ms(body: Any) -> int | None:
    """``{"track": {"duration": "157000"}}`` → 157000; None when Last.fm has no length (``"0"``, absent,
    not a number, outside 1 s .. 24 h). Raises ValueError for a body that is not a track answer."""
    track = body.get("track") if isinstance(body, dict) else None
    if not isinstance(track, dict):
        raise ValueError("track.getInfo answer without a track")
    raw = track.get("duration")
    try:
        ms = int(float(raw))
    except (TypeError, ValueError):
        return None
    return ms if MIN_MS <= ms <= MAX_MS else None


class LastfmLength(BaseProvider):
    name = "lastfm"
    modality = "length"
    item_kind = "track"
    service = "lastfm"

    def __init__(self, api: LastfmApi, *, autocorrect: bool = True):
        self.api = api
        self.autocorrect = "1" if autocorrect else "0"
        self.per_second = 1.0 / api.http.limiter.interval if api.http.limiter.interval else 0.0

    @property
    def requests_made(self) -> int:
        return self.api.requests_made

    def fetch(self, item: Item, cancel: CancelToken | None = None) -> Outcome:
        params = {"mbid": item.mbid} if item.mbid and not (item.artist and item.title) else {}
        if not params:
            params = {"artist": item.artist, "track": item.title}
        try:
            body = self.api.call("track.getInfo", autocorrect=self.autocorrect, cancel=cancel, **params)
        except ServiceError as exc:
            return outcome_from_error(exc, "Last.fm")
        try:
            ms = parse_duration_ms(body)
        except ValueError as exc:
            return Outcome.error(f"Last.fm: {exc}", retry=True)
        if ms is None:
            return Outcome.missing("Last.fm does not know this track's length")
        return Outcome.ok({"duration_ms": ms}, source=self.name)

    def save(self, conn: Connection, item: Item, outcome: Outcome, now: int) -> None:
        if outcome.kind == "ok":
            fill_durations(conn, {item.id: outcome.data["duration_ms"]})
