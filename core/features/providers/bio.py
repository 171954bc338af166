"""Artist biographies from Last.fm ``artist.getInfo``, kept with their CC BY-SA attribution.

Last.fm wiki text is user-contributed under Creative Commons BY-SA; the API appends
``<a href="https://www.last.fm/music/X">Read more on Last.fm</a>`` to ``summary`` and ``content``.
We strip that anchor from the text but keep its link in ``artist_info.url`` and store
``license = "CC BY-SA 3.0"``, so every place that shows a bio can show the attribution and link.
No bio (empty summary and content) is "missing"; error 6 (unknown artist) too.
"""

from __future__ import annotations

import re

from sqlalchemy import Connection

from core.features.providers.base import BaseProvider, Item, Outcome, outcome_from_error
from core.features.providers.rows import save_artist_info
from core.jobs import CancelToken
from core.net import ServiceError
from core.sources.lastfm.api import LastfmApi

LICENSE = "CC BY-SA 3.0"
_READ_MORE = re.compile(r'\s*<a\s+[^>]*href="([^"]*)"[^>]*>\s*Read more on Last\.fm\s*</a>\.?', re.I)


def strip_read_more(text: str | None) -> tuple[str | None, str | None]:
    """Remove the "Read more on Last.fm" anchor; returns (text or None when empty, the anchor's link)."""
    if not text:
        return None, None
    link = None
    m = _READ_MORE.search(text)
    if m:
        link = m.group(1) or None
        text = _READ_MORE.sub("", text)
    text = text.strip()
    return (text or None), link


class LastfmBio(BaseProvider):
    name = "lastfm"
    modality = "bio"
    item_kind = "artist"
    service = "lastfm"

    def __init__(self, api: LastfmApi, *, lang: str | None = None):
        self.api = api
        self.lang = lang
        self.per_second = 1.0 / api.http.limiter.interval if api.http.limiter.interval else 0.0

    @property
    def requests_made(self) -> int:
        return self.api.requests_made

    def fetch(self, item: Item, cancel: CancelToken | None = None) -> Outcome:
        try:
            body = self.api.call(
                "artist.getInfo", artist=item.artist, autocorrect="1", lang=self.lang, cancel=cancel
            )
        except ServiceError as exc:
            return outcome_from_error(exc, "Last.fm")
        artist = body.get("artist") if isinstance(body, dict) else None
        if not isinstance(artist, dict):
            return Outcome.error("Last.fm: artist.getInfo answer without an artist", retry=True)
        bio = artist.get("bio") if isinstance(artist.get("bio"), dict) else {}
        summary, link1 = strip_read_more(bio.get("summary"))
        content, link2 = strip_read_more(bio.get("content"))
        url = link1 or link2 or artist.get("url") or None
        if not summary and not content:
            return Outcome.missing("Last.fm has no biography for this artist")
        return Outcome.ok({"summary": summary, "content": content, "url": url}, source=self.name)

    def save(self, conn: Connection, item: Item, outcome: Outcome, now: int) -> None:
        if outcome.kind != "ok":
            return
        d = outcome.data
        save_artist_info(
            conn, item.id, summary=d["summary"], content=d["content"], url=d["url"], license=LICENSE, now=now
        )
