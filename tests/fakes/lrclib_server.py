"""A fake of the LRCLIB lyrics API (https://lrclib.net/docs), modelled on its server source.

Routes and semantics follow tranxuanthang/lrclib ``server/src/routes`` (see
tests/fixtures/features/SOURCES.md):

* ``GET /api/get?track_name&artist_name[&album_name][&duration]`` — exact match on the normalised
  names (``prepare_input``: lower-case, diacritics and punctuation folded, apostrophes dropped,
  whitespace collapsed) and ``|duration - d| <= 2`` seconds when a duration is given; the first
  match by id.  Not found → 404 ``{"message": "Failed to find specified track", "name":
  "TrackNotFound", "statusCode": 404}``; empty/invalid parameters → 400 ``ValidationError``.
* ``GET /api/search?q=...`` or ``?track_name=...[&artist_name][&album_name]`` — up to 20 records
  whose normalised fields contain the query words; neither ``q`` nor ``track_name`` → ``[]``.
* ``GET /api/get/{id}`` — one record or 404.

Records are ``{id, name, trackName, artistName, albumName, duration, instrumental, plainLyrics,
syncedLyrics}`` (the TrackResponse struct, camelCase).  LRCLIB asks clients for a User-Agent; with
``require_user_agent=True`` requests without one get 400.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import asdict, dataclass

from .http_fake import FakeService, Reply, Request, json_reply

__all__ = ["FakeLrclib", "LrcRecord", "prepare_input"]

_PUNCT = re.compile(r"[`~!@#$%^&*()_|+\-=?;:\",.<>{}\[\]\\/]")
_APOS = re.compile(r"['’]")
_SPACE = re.compile(r"\s+")


def prepare_input(text: str) -> str:
    """LRCLIB's ``utils::prepare_input``: fold case and diacritics, punctuation → space, drop quotes."""
    folded = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)).lower()
    folded = _PUNCT.sub(" ", folded)
    folded = _APOS.sub("", folded)
    return _SPACE.sub(" ", folded).strip()


@dataclass
class LrcRecord:
    id: int
    trackName: str  # noqa: N815 - the API's field names
    artistName: str  # noqa: N815
    albumName: str  # noqa: N815
    duration: float
    instrumental: bool = False
    plainLyrics: str | None = None  # noqa: N815
    syncedLyrics: str | None = None  # noqa: N815

    def as_json(self) -> dict:
        out = {"id": self.id, "name": self.trackName}
        out.update(asdict(self))
        return out


def _error(status: int, name: str, message: str) -> Reply:
    return json_reply(status, {"message": message, "name": name, "statusCode": status})


class FakeLrclib(FakeService):
    """``with FakeLrclib(records) as lrc: GET lrc.root + '/api/get?...'``."""

    name = "lrclib"

    def __init__(
        self,
        records: Iterable[LrcRecord] = (),
        *,
        require_user_agent: bool = True,
        rate_limit: float | None = None,
        rate_window: float = 1.0,
        port: int = 0,
    ) -> None:
        super().__init__(rate_limit=rate_limit, rate_window=rate_window, port=port)
        self.require_user_agent = require_user_agent
        self._records: list[LrcRecord] = []
        self._norm: dict[int, tuple[str, str, str]] = {}  # id -> prepared (track, artist, album)
        self._by_name: dict[tuple[str, str], list[LrcRecord]] = {}
        self._by_word: dict[str, set[int]] = {}
        self._by_id: dict[int, LrcRecord] = {}
        self.add(records)

    def add(self, records: Iterable[LrcRecord]) -> None:
        """Add records (indexed like the real server's name_lower columns and FTS table)."""
        with self._lock:
            for rec in records:
                norm = (
                    prepare_input(rec.trackName),
                    prepare_input(rec.artistName),
                    prepare_input(rec.albumName),
                )
                self._records.append(rec)
                self._by_id[rec.id] = rec
                self._norm[rec.id] = norm
                self._by_name.setdefault(norm[:2], []).append(rec)
                for word in set(" ".join(norm).split()):
                    self._by_word.setdefault(word, set()).add(rec.id)
            self._records.sort(key=lambda r: r.id)
            for recs in self._by_name.values():
                recs.sort(key=lambda r: r.id)

    def _candidates(self, words: list[str]) -> list[LrcRecord]:
        with self._lock:
            ids: set[int] | None = None
            for w in words:
                found = self._by_word.get(w, set())
                ids = set(found) if ids is None else ids & found
            return sorted((self._by_id[i] for i in ids or ()), key=lambda r: r.id)

    def rate_limited(self, req: Request) -> Reply:
        reply = _error(429, "TooManyRequests", "Too many requests, please slow down")
        reply.headers["Retry-After"] = "1"
        return reply

    def default_error(self, status: int, req: Request) -> Reply:
        if status == 404:
            return _error(404, "TrackNotFound", "Failed to find specified track")
        if status >= 500:
            return _error(status, "UnknownError", "Something bad happened when processing your request")
        return super().default_error(status, req)

    def route(self, req: Request) -> Reply:
        if self.require_user_agent and not req.user_agent:
            return _error(400, "ValidationError", "a User-Agent header is required")
        if req.method not in ("GET", "HEAD"):
            return _error(405, "MethodNotAllowed", "method not allowed")
        if req.path == "/api/get":
            return self._get(req)
        if req.path == "/api/search":
            return json_reply(200, [r.as_json() for r in self._search(req.query)][:20])
        m = re.fullmatch(r"/api/get/(\d+)", req.path)
        if m:
            with self._lock:
                found = self._by_id.get(int(m.group(1)))
            return json_reply(200, found.as_json()) if found else self.default_error(404, req)
        return _error(404, "NotFound", "Not found")

    def _get(self, req: Request) -> Reply:
        q = req.query
        track, artist = prepare_input(q.get("track_name", "")), prepare_input(q.get("artist_name", ""))
        if not q.get("track_name", "").strip() or not q.get("artist_name", "").strip():
            return _error(400, "ValidationError", "track_name: cannot be empty, artist_name: cannot be empty")
        duration: float | None = None
        if q.get("duration"):
            try:
                duration = float(q["duration"])
            except ValueError:
                return _error(400, "ValidationError", "Failed to deserialize query string")
            if not 1.0 <= duration <= 3600.0:
                return _error(400, "ValidationError", "duration: must be between 1 and 3600")
        album = prepare_input(q["album_name"]) if q.get("album_name", "").strip() else None
        with self._lock:
            found = list(self._by_name.get((track, artist), []))
        for rec in found:
            if duration is not None and not (duration - 2.0 <= rec.duration <= duration + 2.0):
                continue
            if album is not None and self._norm[rec.id][2] != album:
                continue
            return json_reply(200, rec.as_json())
        return self.default_error(404, req)

    def _search(self, q: dict[str, str]) -> Iterator[LrcRecord]:
        if q.get("q", "").strip():
            words = prepare_input(q["q"]).split()
            yield from self._candidates(words)
            return
        if not q.get("track_name", "").strip():
            return
        track = prepare_input(q["track_name"]).split()
        artist = prepare_input(q.get("artist_name", "")).split()
        album = prepare_input(q.get("album_name", "")).split()
        for rec in self._candidates(track + artist + album):
            name, art, alb = (x.split() for x in self._norm[rec.id])
            if (
                all(w in name for w in track)
                and all(w in art for w in artist)
                and all(w in alb for w in album)
            ):
                yield rec
