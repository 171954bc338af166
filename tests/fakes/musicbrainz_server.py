"""A fake of the MusicBrainz web service v2 (https://musicbrainz.org/doc/MusicBrainz_API): recordings
and artist search.

* ``GET /ws/2/recording?query=<lucene>&fmt=json[&limit][&offset]`` — search.  A subset of the Lucene
  syntax real clients send: ``field:"quoted value"`` / ``field:word`` terms joined by ``AND`` (fields
  ``recording``, ``artist``, ``artistname``, ``release``, ``isrc``, ``rid``; bare words search the
  title).  Scores are 100 for a term-for-term match of the normalised names and fall with each
  unmatched term, like the real service ranks by relevance; results below ``min_score`` are dropped.
  Body: ``{"created", "count", "offset", "recordings": [...]}`` with ``artist-credit``, ``releases``
  (with ``release-group`` and ``media``) and ``isrcs`` per recording.
* ``GET /ws/2/recording/{mbid}?inc=isrcs+releases+artist-credits&fmt=json`` — lookup; an invalid
  MBID → 400 ``{"error": "Invalid mbid.", "help": ...}``; unknown → 404 ``{"error": "Not Found"}``.
* ``GET /ws/2/artist?query=artist:"NAME"&fmt=json`` — artist search over ``artists`` (:class:`MbArtist`;
  :func:`artists_from_world` makes them from a discovery world): ``{"created", "count", "offset",
  "artists": [{"id", "type", "score", "name", "sort-name", "country", "disambiguation", "aliases"}]}``,
  scored like the recording search (names and aliases).
* Rate limiting: over ``rate_limit`` requests per second → 503 with the service's JSON error (the
  real service answers 503 when a client exceeds 1 request/s on average).
* A request without a meaningful User-Agent is refused with 403 (MusicBrainz blocks anonymous
  clients); ``fmt`` other than json serves a minimal XML document.
"""

from __future__ import annotations

import re
import unicodedata
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field

from .http_fake import FakeService, Reply, Request, json_reply

__all__ = ["FakeMusicBrainz", "MbArtist", "MbRecording", "MbRelease", "artists_from_world", "lucene_terms"]

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_HELP = "For usage, please see: https://musicbrainz.org/development/mmd"
_RATE = (
    "Your requests are exceeding the allowable rate limit. Please see "
    "https://wiki.musicbrainz.org/MusicBrainz_API/Rate_Limiting for more information."
)
_BAD_UA = (
    "Your requests are being blocked: please send a meaningful User-Agent "
    "(https://wiki.musicbrainz.org/MusicBrainz_API/Rate_Limiting#Provide_meaningful_User-Agent_strings)"
)
_TERM = re.compile(r'(?:(\w+):)?("(?:[^"\\]|\\.)*"|[^\s()]+)')


def _norm(text: str) -> str:
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return re.sub(r"\s+", " ", re.sub(r"[^\w\s]", " ", text.casefold())).strip()


def lucene_terms(query: str) -> list[tuple[str, str]]:
    """``recording:"A b" AND artist:"C"`` → [('recording', 'A b'), ('artist', 'C')] (unescaped)."""
    out = []
    for fieldname, value in _TERM.findall(query):
        if value.upper() in ("AND", "OR", "NOT") and not fieldname:
            continue
        if value.startswith('"'):
            value = value[1:-1]
        value = re.sub(r"\\(.)", r"\1", value)
        out.append(((fieldname or "recording").lower(), value))
    return out


@dataclass
class MbRelease:
    id: str
    title: str
    status: str = "Official"
    date: str = ""
    country: str = "XW"
    group_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    group_type: str = "Album"
    track_count: int = 10
    track_number: int = 1

    def as_json(self, rec: MbRecording) -> dict:
        out = {
            "id": self.id,
            "status-id": "4e304316-386d-3409-af2e-78857eec5cfe",
            "count": 1,
            "title": self.title,
            "status": self.status,
            "release-group": {
                "id": self.group_id,
                "type-id": "f529b476-6e62-324f-b0aa-1f3e33d313fc",
                "primary-type-id": "f529b476-6e62-324f-b0aa-1f3e33d313fc",
                "title": self.title,
                "primary-type": self.group_type,
            },
            "track-count": self.track_count,
            "media": [
                {
                    "position": 1,
                    "format": "Digital Media",
                    "track": [
                        {
                            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, self.id + rec.id)),
                            "number": str(self.track_number),
                            "title": rec.title,
                            "length": rec.length,
                        }
                    ],
                    "track-count": self.track_count,
                    "track-offset": self.track_number - 1,
                }
            ],
        }
        if self.date:
            out["date"] = self.date
            out["release-events"] = [
                {
                    "date": self.date,
                    "area": {
                        "id": "525d4e18-3d00-31b9-a58b-a146a916de8f",
                        "name": "[Worldwide]",
                        "sort-name": "[Worldwide]",
                        "iso-3166-1-codes": ["XW"],
                    },
                }
            ]
        if self.country:
            out["country"] = self.country
        return out


@dataclass
class MbRecording:
    id: str
    title: str
    artist: str
    artist_id: str = field(default_factory=lambda: str(uuid.uuid4()))
    length: int | None = None  # milliseconds
    isrcs: list[str] = field(default_factory=list)
    releases: list[MbRelease] = field(default_factory=list)
    featured: str = ""  # a second credited artist (joinphrase " feat. ")
    disambiguation: str = ""

    def credit(self) -> list[dict]:
        out = [
            {
                "name": self.artist,
                "joinphrase": " feat. " if self.featured else "",
                "artist": {"id": self.artist_id, "name": self.artist, "sort-name": self.artist},
            }
        ]
        if self.featured:
            fid = str(uuid.uuid5(uuid.NAMESPACE_URL, self.featured))
            out.append(
                {
                    "name": self.featured,
                    "artist": {"id": fid, "name": self.featured, "sort-name": self.featured},
                }
            )
        return out

    def credit_text(self) -> str:
        return "".join(c["name"] + c.get("joinphrase", "") for c in self.credit())

    def search_json(self, score: int, with_isrcs: bool) -> dict:
        out = {
            "id": self.id,
            "score": score,
            "title": self.title,
            "length": self.length,
            "video": None,
            "artist-credit": self.credit(),
            "first-release-date": min((r.date for r in self.releases if r.date), default=""),
            "releases": [r.as_json(self) for r in self.releases],
        }
        if self.disambiguation:
            out["disambiguation"] = self.disambiguation
        if with_isrcs and self.isrcs:
            out["isrcs"] = list(self.isrcs)
        if out["length"] is None:
            del out["length"]
        return out

    def lookup_json(self, inc: set[str]) -> dict:
        out: dict = {
            "id": self.id,
            "title": self.title,
            "length": self.length,
            "video": False,
            "disambiguation": self.disambiguation,
            "first-release-date": min((r.date for r in self.releases if r.date), default=""),
        }
        if "isrcs" in inc:
            out["isrcs"] = list(self.isrcs)
        if "artist-credits" in inc or "artists" in inc:
            out["artist-credit"] = self.credit()
        if "releases" in inc:
            out["releases"] = [
                {k: v for k, v in r.as_json(self).items() if k not in ("media", "count")}
                for r in self.releases
            ]
        return out


@dataclass
class MbArtist:
    id: str
    name: str
    type: str = "Group"
    country: str = ""
    disambiguation: str = ""
    aliases: list[str] = field(default_factory=list)

    def search_json(self, score: int) -> dict:
        out = {
            "id": self.id,
            "type": self.type,
            "score": score,
            "name": self.name,
            "sort-name": self.name,
            "country": self.country,
            "disambiguation": self.disambiguation,
            "aliases": [
                {"name": a, "sort-name": a, "type": "Artist name", "primary": None} for a in self.aliases
            ],
        }
        return {k: v for k, v in out.items() if v not in ("", [])}


def artists_from_world(world) -> list[MbArtist]:
    """The artists of a ``discovery_world.DiscoveryWorld``, with the MBIDs the other fakes use."""
    return [MbArtist(a.mbid, a.name) for a in world.artists.values()]


class FakeMusicBrainz(FakeService):
    """``with FakeMusicBrainz([MbRecording(...)]) as mb: GET mb.url + 'recording?query=...&fmt=json'``."""

    name = "musicbrainz"

    def __init__(
        self,
        recordings: Iterable[MbRecording] = (),
        *,
        artists: Iterable[MbArtist] = (),
        rate_limit: float | None = None,
        rate_window: float = 1.0,
        min_score: int = 40,
        search_includes_isrcs: bool = True,
        port: int = 0,
    ) -> None:
        super().__init__(rate_limit=rate_limit, rate_window=rate_window, port=port)
        self.min_score = min_score
        self.search_includes_isrcs = search_includes_isrcs
        self._recordings: dict[str, MbRecording] = {}
        self._by_word: dict[
            str, set[str]
        ] = {}  # normalised title word -> recording ids (a tiny search index)
        self._artists: dict[str, MbArtist] = {a.id: a for a in artists}
        self.add(recordings)

    @property
    def url(self) -> str:
        """The web service root, ``http://127.0.0.1:PORT/ws/2/``."""
        return f"{self.root}/ws/2/"

    def add(self, recordings: Iterable[MbRecording]) -> None:
        with self._lock:
            for r in recordings:
                self._recordings[r.id] = r
                for word in _norm(r.title).split():
                    self._by_word.setdefault(word, set()).add(r.id)

    def rate_limited(self, req: Request) -> Reply:
        return json_reply(503, {"error": _RATE})

    def default_error(self, status: int, req: Request) -> Reply:
        if status == 404:
            return json_reply(404, {"error": "Not Found", "help": _HELP})
        if status == 503:
            return json_reply(503, {"error": _RATE})
        return super().default_error(status, req)

    def route(self, req: Request) -> Reply:
        ua = req.user_agent.lower()
        if not ua or ua.startswith(("python-httpx", "python-requests", "python-urllib")):
            return json_reply(403, {"error": _BAD_UA})
        if req.query.get("fmt", "xml") != "json":
            body = (
                b'<?xml version="1.0" encoding="UTF-8"?><metadata xmlns="http://musicbrainz.org/ns/mmd-2.0#">'
                b"</metadata>"
            )
            return Reply(200, body, "application/xml; charset=utf-8")
        if req.path.rstrip("/") == "/ws/2/recording":
            return self._search(req)
        if req.path.rstrip("/") == "/ws/2/artist":
            return self._artist_search(req)
        m = re.fullmatch(r"/ws/2/recording/([^/]+)", req.path)
        if m:
            return self._lookup(m.group(1), req)
        return json_reply(400, {"error": "Invalid resource", "help": _HELP})

    def _lookup(self, mbid: str, req: Request) -> Reply:
        if not _UUID.match(mbid):
            return json_reply(400, {"error": "Invalid mbid.", "help": _HELP})
        with self._lock:
            rec = self._recordings.get(mbid)
        if rec is None:
            return self.default_error(404, req)
        inc = set(req.query.get("inc", "").split("+")) | set(req.query.get("inc", "").split(" "))
        return json_reply(200, rec.lookup_json(inc))

    def _search(self, req: Request) -> Reply:
        query = req.query.get("query", "")
        if not query.strip():
            return json_reply(400, {"error": "Query is empty", "help": _HELP})
        try:
            limit = max(1, min(100, int(req.query.get("limit") or 25)))
            offset = max(0, int(req.query.get("offset") or 0))
        except ValueError:
            return json_reply(400, {"error": "Invalid limit or offset", "help": _HELP})
        terms = lucene_terms(query)
        title_words = {w for f, v in terms if f in ("recording", "recordingaccent") for w in _norm(v).split()}
        with self._lock:
            if title_words:  # only recordings sharing a title word can score: skip scanning the rest
                ids = set().union(*(self._by_word.get(w, set()) for w in title_words))
                recs = [self._recordings[i] for i in ids]
            else:
                recs = list(self._recordings.values())
        scored = [(self._score(r, terms), r) for r in recs]
        hits = sorted(((s, r) for s, r in scored if s >= self.min_score), key=lambda x: (-x[0], x[1].id))
        page = hits[offset : offset + limit]
        return json_reply(
            200,
            {
                "created": "2026-05-01T00:00:00.000Z",
                "count": len(hits),
                "offset": offset,
                "recordings": [r.search_json(s, self.search_includes_isrcs) for s, r in page],
            },
        )

    def _artist_search(self, req: Request) -> Reply:
        query = req.query.get("query", "")
        if not query.strip():
            return json_reply(400, {"error": "Query is empty", "help": _HELP})
        try:
            limit = max(1, min(100, int(req.query.get("limit") or 25)))
        except ValueError:
            return json_reply(400, {"error": "Invalid limit or offset", "help": _HELP})
        wanted = [
            _norm(v) for f, v in lucene_terms(query) if f in ("artist", "recording", "artistaccent", "alias")
        ]
        with self._lock:
            artists = list(self._artists.values())
        scored = []
        for a in artists:
            names = [_norm(a.name)] + [_norm(x) for x in a.aliases]
            best = 0
            for want in wanted:
                if want in names:
                    best = max(best, 100)
                elif any(want and (want in n or n in want) for n in names if n):
                    best = max(best, 70)
                elif any(set(want.split()) & set(n.split()) for n in names):
                    best = max(best, 45)
            if best >= self.min_score:
                scored.append((best, a))
        scored.sort(key=lambda x: (-x[0], x[1].name))
        body = {
            "created": "2026-05-01T00:00:00.000Z",
            "count": len(scored),
            "offset": 0,
            "artists": [a.search_json(sc) for sc, a in scored[:limit]],
        }
        return json_reply(200, body)

    @staticmethod
    def _score(rec: MbRecording, terms: list[tuple[str, str]]) -> int:
        if not terms:
            return 0
        got = 0.0
        for fieldname, value in terms:
            want = _norm(value)
            if fieldname in ("recording", "recordingaccent"):
                have = [_norm(rec.title)]
            elif fieldname in ("artist", "artistname", "creditname"):
                have = [_norm(rec.artist), _norm(rec.credit_text())] + (
                    [_norm(rec.featured)] if rec.featured else []
                )
            elif fieldname == "release":
                have = [_norm(r.title) for r in rec.releases]
            elif fieldname == "isrc":
                have = [i.lower() for i in rec.isrcs]
                want = value.lower()
            elif fieldname == "rid":
                have = [rec.id]
                want = value
            else:
                continue
            if want in have:
                got += 1.0
            elif any(want and (want in h or h in want) for h in have if h):
                got += 0.6
            elif any(set(want.split()) & set(h.split()) for h in have):
                got += 0.3
        return int(round(100 * got / len(terms)))
