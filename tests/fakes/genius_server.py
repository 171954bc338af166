"""A fake of the Genius API (https://docs.genius.com) and of genius.com song pages, on one port.

* ``GET /search?q=...`` with ``Authorization: Bearer TOKEN`` →
  ``{"meta": {"status": 200}, "response": {"hits": [{"highlights": [], "index": "song", "type": "song",
  "result": {...song...}}]}}``; no token → 401 ``{"meta": {"status": 401, "message": "This call
  requires an access_token..."}}``; a wrong token → 401 ``{"error": "invalid_token", ...}``.
* ``GET /songs/{id}`` → ``{"meta": ..., "response": {"song": {...}}}``.
* ``GET /{Artist-title}-lyrics`` → the song page: ``<div data-lyrics-container="true">`` blocks with
  ``<br/>`` line breaks, which is what lyricsgenius scrapes.
* ``cloudflare=True`` (or ``Fault.status(403)``): every request gets Cloudflare's 403 "Just a
  moment..." challenge page with ``Server: cloudflare``, ``cf-ray`` and ``cf-mitigated: challenge``,
  which is what Genius serves to many non-browser clients.

Song URLs in API answers are the real ``https://genius.com/...`` ones; point the client's web root at
this fake to fetch them.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable
from dataclasses import dataclass

from .http_fake import FakeService, Reply, Request, json_reply

__all__ = ["CLOUDFLARE_PAGE", "FakeGenius", "GeniusSong", "cloudflare_reply"]

CLOUDFLARE_PAGE = (
    '<!DOCTYPE html><html lang="en-US"><head><title>Just a moment...</title>'
    '<meta http-equiv="Content-Type" content="text/html; charset=UTF-8">'
    '<meta name="robots" content="noindex,nofollow"></head><body><div class="main-wrapper" role="main">'
    '<div class="main-content"><h1 class="zone-name-title h1">genius.com</h1>'
    '<h2 class="h2" id="challenge-running">Checking if the site connection is secure</h2>'
    '<noscript><div class="h2">Enable JavaScript and cookies to continue</div></noscript></div></div>'
    "</body></html>"
)


def cloudflare_reply() -> Reply:
    return Reply(
        403,
        CLOUDFLARE_PAGE.encode(),
        "text/html; charset=UTF-8",
        {
            "Server": "cloudflare",
            "cf-ray": "8a1b2c3d4e5f6a7b-FRA",
            "cf-mitigated": "challenge",
            "Cache-Control": "private, max-age=0, no-store, no-cache, must-revalidate",
        },
    )


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-")


@dataclass
class GeniusSong:
    id: int
    title: str
    artist: str
    lyrics: str = ""
    instrumental: bool = False
    lyrics_state: str = "complete"
    artist_id: int = 0

    @property
    def path(self) -> str:
        return f"/{_slug(self.artist).capitalize()}-{_slug(self.title).lower()}-lyrics"

    def as_json(self) -> dict:
        aid = self.artist_id or (abs(hash(self.artist)) % 900000 + 1000)
        artist = {
            "api_path": f"/artists/{aid}",
            "header_image_url": "https://images.genius.com/a.jpg",
            "id": aid,
            "image_url": "https://images.genius.com/a.jpg",
            "is_meme_verified": False,
            "is_verified": False,
            "name": self.artist,
            "url": f"https://genius.com/artists/{_slug(self.artist)}",
        }
        return {
            "annotation_count": 1,
            "api_path": f"/songs/{self.id}",
            "artist_names": self.artist,
            "full_title": f"{self.title} by {self.artist}",
            "header_image_thumbnail_url": "https://images.genius.com/t.300x300x1.jpg",
            "header_image_url": "https://images.genius.com/t.1000x1000x1.jpg",
            "id": self.id,
            "instrumental": self.instrumental,
            "lyrics_owner_id": 1,
            "lyrics_state": self.lyrics_state,
            "lyrics_updated_at": 1600000000,
            "path": self.path,
            "primary_artist_names": self.artist,
            "pyongs_count": None,
            "relationships_index_url": f"https://genius.com{self.path}/sample",
            "release_date_components": {"year": 2014, "month": 3, "day": 17},
            "release_date_for_display": "March 17, 2014",
            "release_date_with_abbreviated_month_for_display": "Mar. 17, 2014",
            "song_art_image_thumbnail_url": "https://images.genius.com/s.300x300x1.jpg",
            "song_art_image_url": "https://images.genius.com/s.1000x1000x1.jpg",
            "stats": {"unreviewed_annotations": 0, "hot": False, "pageviews": 1234},
            "title": self.title,
            "title_with_featured": self.title,
            "url": f"https://genius.com{self.path}",
            "featured_artists": [],
            "primary_artist": artist,
            "primary_artists": [artist],
        }

    def page(self) -> str:
        blocks = []
        for stanza in self.lyrics.split("\n\n"):
            lines = "<br/>".join(html.escape(line) for line in stanza.split("\n"))
            blocks.append(
                f'<div data-lyrics-container="true" class="Lyrics__Container-sc-1ynbvzw-1 kUgSbL">'
                f"{lines}</div>"
            )
        header = (
            '<div class="LyricsHeader__Container-sc-1"><h2>' + html.escape(self.title) + " Lyrics</h2></div>"
        )
        return (
            "<!DOCTYPE html><html><head><title>"
            + html.escape(f"{self.artist} – {self.title} Lyrics | Genius")
            + '</title></head><body><div id="lyrics-root">'
            + header
            + "".join(blocks)
            + "</div></body></html>"
        )


class FakeGenius(FakeService):
    name = "genius"

    def __init__(
        self,
        songs: Iterable[GeniusSong] = (),
        *,
        token: str = "test-genius-token",
        cloudflare: bool = False,
        rate_limit: float | None = None,
        rate_window: float = 1.0,
        port: int = 0,
    ) -> None:
        super().__init__(rate_limit=rate_limit, rate_window=rate_window, port=port)
        self.token = token
        self.cloudflare = cloudflare
        self._songs: dict[int, GeniusSong] = {s.id: s for s in songs}

    @property
    def api_root(self) -> str:
        return self.root + "/"

    @property
    def web_root(self) -> str:
        return self.root + "/"

    def add(self, song: GeniusSong) -> None:
        with self._lock:
            self._songs[song.id] = song

    def rate_limited(self, req: Request) -> Reply:
        return json_reply(
            429, {"meta": {"status": 429, "message": "Too many requests"}}, {"Retry-After": "1"}
        )

    def default_error(self, status: int, req: Request) -> Reply:
        if status == 403:
            return cloudflare_reply()
        return super().default_error(status, req)

    def route(self, req: Request) -> Reply:
        if self.cloudflare:
            return cloudflare_reply()
        if req.path == "/search" or re.fullmatch(r"/songs/\d+", req.path):
            auth = req.header("Authorization")
            if not auth:
                return json_reply(
                    401,
                    {
                        "meta": {
                            "status": 401,
                            "message": "This call requires an access_token. "
                            "Please see: https://genius.com/developers",
                        }
                    },
                )
            if auth != f"Bearer {self.token}":
                return json_reply(
                    401,
                    {
                        "error": "invalid_token",
                        "error_description": "The access token provided is expired, revoked, malformed or invalid "
                        "for other reasons.",
                    },
                )
            if req.path == "/search":
                return self._search(req.query.get("q", ""))
            with self._lock:
                song = self._songs.get(int(req.path.rsplit("/", 1)[1]))
            if song is None:
                return json_reply(404, {"meta": {"status": 404, "message": "Not found"}})
            return json_reply(200, {"meta": {"status": 200}, "response": {"song": song.as_json()}})
        with self._lock:
            song = next((s for s in self._songs.values() if s.path == req.path), None)
        if song is None:
            return Reply(
                404,
                b"<html><head><title>Page not found | Genius</title></head><body>Oops! Page not "
                b"found</body></html>",
                "text/html; charset=utf-8",
            )
        return Reply(200, song.page().encode("utf-8"), "text/html; charset=utf-8")

    def _search(self, q: str) -> Reply:
        words = set(re.findall(r"\w+", q.casefold()))
        with self._lock:
            songs = list(self._songs.values())
        hits = []
        for s in songs:
            have = set(re.findall(r"\w+", f"{s.title} {s.artist}".casefold()))
            if words and words <= have:
                hits.append({"highlights": [], "index": "song", "type": "song", "result": s.as_json()})
        return json_reply(200, {"meta": {"status": 200}, "response": {"hits": hits[:10]}})
