"""A fake of the ListenBrainz API (and its labs API) for the discovery sources, over a DiscoveryWorld.

Endpoints and bodies follow the server's own code and docs (metabrainz/listenbrainz-server,
``webserver/views/{popularity_api,api,metadata_api}.py``, ``labs_api/labs/api/similar_artists.py``,
``docs/users/api/index.rst``; read, not copied):

* ``GET /1/popularity/top-recordings-for-artist/<mbid>`` — a JSON list of ``{artist_mbids,
  artist_name, caa_id, caa_release_mbid, length, recording_mbid, recording_name, release_color,
  release_mbid, release_name, total_listen_count, total_user_count}``, most listened first; an
  invalid MBID → 400. With ``require_token`` (as the real service since 2026-08 for this "expensive"
  endpoint) a request without ``Authorization: Token ...`` → 401.
* ``GET /1/lb-radio/artist/<mbid>?mode=&max_similar_artists=&max_recordings_per_artist=&pop_begin=
  &pop_end=`` — ``{artist_mbid: [{recording_mbid, similar_artist_mbid, similar_artist_name,
  total_listen_count}]}`` for the seed and its similar artists; each parameter is required and
  checked like the real one (400 with its message).
* ``GET|POST /1/metadata/recording/`` (``recording_mbids``, ``inc``) — ``{mbid: {"recording":
  {"name", "length", "rels"}, "artist": {"name", "artists": [...]}}}`` for the MBIDs it knows.
* ``GET <labs>/similar-artists/json?artist_mbids=&algorithm=`` — a JSON list of ``{artist_mbid, name,
  comment, type, gender, score, reference_mbid}``; the labs root is any prefix (it has moved before).

Every answer carries ``X-RateLimit-Limit / -Remaining / -Reset-In / -Reset``; beyond ``rate_limit``
requests per ``rate_window`` seconds the fake answers 429 ``{"code": 429, "error": ...}`` with those
headers and ``Retry-After``. Errors are ``{"code": N, "error": "..."}``.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from typing import Any

from .discovery_world import DiscoveryWorld, WorldArtist
from .http_fake import FakeService, Reply, Request, json_reply

__all__ = ["FakeListenBrainz", "segue_env"]

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
TOKEN_MESSAGE = (
    "Due to bad actors and AI scrapers causing undue traffic on our sites, "
    "you need to provide an Auth token for this endpoint. Sorry for this mess."
)
RATE_MESSAGE = (
    "You have exceeded your rate limit. See the X-RateLimit headers and https://listenbrainz.readthedocs.io"
)


def _error(status: int, message: str, headers: dict | None = None) -> Reply:
    return json_reply(status, {"code": status, "error": message}, headers)


class FakeListenBrainz(FakeService):
    """``with FakeListenBrainz(world) as lb: client(root=lb.url, labs_root=lb.labs_url)``."""

    name = "listenbrainz"

    def __init__(
        self,
        world: DiscoveryWorld | None = None,
        *,
        require_token: bool = False,
        tokens: tuple[str, ...] = ("lb-test-token",),
        rate_limit: float | None = None,
        rate_window: float = 10.0,
        advertised_limit: int = 30,
        port: int = 0,
    ) -> None:
        super().__init__(rate_limit=rate_limit, rate_window=rate_window, port=port)
        self.world = world if world is not None else DiscoveryWorld()
        self.require_token = require_token
        self.tokens = set(tokens)
        self.advertised_limit = advertised_limit
        self._window_start = time.monotonic()
        self._window_count = 0

    @property
    def url(self) -> str:
        return f"{self.root}/1/"

    @property
    def labs_url(self) -> str:
        return f"{self.root}/labs/"

    # ------------------------------------------------------------------ rate-limit headers

    def _rate_headers(self) -> dict[str, str]:
        """The headers the real service sends on every answer, over a ``rate_window`` window."""
        with self._lock:
            now = time.monotonic()
            if now - self._window_start >= self.rate_window:
                self._window_start, self._window_count = now, 0
            self._window_count += 1
            limit = int(self.rate_limit * self.rate_window) if self.rate_limit else self.advertised_limit
            reset_in = max(0, int(round(self.rate_window - (now - self._window_start))))
            return {
                "X-RateLimit-Limit": str(limit),
                "X-RateLimit-Remaining": str(max(0, limit - self._window_count)),
                "X-RateLimit-Reset-In": str(reset_in),
                "X-RateLimit-Reset": str(int(time.time()) + reset_in),
            }

    def rate_limited(self, req: Request) -> Reply:
        headers = self._rate_headers()
        headers["X-RateLimit-Remaining"] = "0"
        headers["Retry-After"] = headers["X-RateLimit-Reset-In"] = str(max(1, int(self.rate_window)))
        return _error(429, RATE_MESSAGE, headers)

    def default_error(self, status: int, req: Request) -> Reply:
        messages = {404: "Not found", 500: "An unknown error occured.", 503: "Service unavailable"}
        return _error(status, messages.get(status, f"HTTP {status}"))

    # ------------------------------------------------------------------ routing

    def route(self, req: Request) -> Reply:
        reply = self._answer(req)
        reply.headers = {**self._rate_headers(), **reply.headers}
        return reply

    def _token_ok(self, req: Request) -> bool:
        auth = req.header("Authorization")
        return auth.startswith("Token ") and auth.split(" ", 1)[1] in self.tokens

    def _answer(self, req: Request) -> Reply:
        path = req.path
        if path.endswith("/similar-artists/json"):
            return self._similar_artists(req)
        m = re.fullmatch(r"/1/popularity/top-recordings-for-artist/([^/]+)/?", path)
        if m:
            return self._top_recordings(m.group(1), req)
        m = re.fullmatch(r"/1/lb-radio/artist/([^/]+)/?", path)
        if m:
            return self._radio(m.group(1), req)
        if re.fullmatch(r"/1/metadata/recording/?", path):
            return self._metadata(req)
        return self.default_error(404, req)

    # ------------------------------------------------------------------ endpoints

    def _similar_artists(self, req: Request) -> Reply:
        mbids = [m.strip() for m in req.query.get("artist_mbids", "").split(",") if m.strip()]
        if not mbids or not all(_UUID.match(m) for m in mbids) or not req.query.get("algorithm"):
            return _error(400, "artist_mbids (valid UUIDs) and algorithm are required")
        out = []
        for mbid in mbids:
            a = self.world.artist_by_mbid(mbid)
            if a is None:
                continue
            for other_key, match in a.similar:
                o = self.world.artists.get(other_key)
                if o is not None:
                    out.append(
                        {
                            "artist_mbid": o.mbid,
                            "name": o.name,
                            "comment": "",
                            "type": "Group",
                            "gender": None,
                            "score": int(round(match * 10_000)),
                            "reference_mbid": mbid,
                        }
                    )
        return json_reply(200, out)

    def _top_recordings(self, mbid: str, req: Request) -> Reply:
        if not _UUID.match(mbid):
            return _error(400, f"artist_mbid: '{mbid}' is not a valid uuid")
        if self.require_token and not self._token_ok(req):
            return _error(401, TOKEN_MESSAGE)
        a = self.world.artist_by_mbid(mbid)
        if a is None:
            return json_reply(200, [])
        return json_reply(200, [self._recording_json(a, t) for t in a.tracks])

    @staticmethod
    def _recording_json(a: WorldArtist, t) -> dict[str, Any]:
        release = str(uuid.uuid5(uuid.NAMESPACE_URL, t.mbid))
        return {
            "artist_mbids": [a.mbid],
            "artist_name": a.name,
            "caa_id": None,
            "caa_release_mbid": None,
            "length": t.duration_s * 1000 or None,
            "recording_mbid": t.mbid,
            "recording_name": t.title,
            "release_color": {},
            "release_mbid": release,
            "release_name": "",
            "total_listen_count": t.plays,
            "total_user_count": t.listeners,
        }

    def _radio(self, mbid: str, req: Request) -> Reply:
        if not _UUID.match(mbid):
            return _error(400, "Seed artist mbid is not a valid UUID.")
        q = req.query
        try:
            max_similar = int(q["max_similar_artists"])
            per_artist = int(q["max_recordings_per_artist"])
        except (KeyError, ValueError):
            return _error(
                400, "Argument max_similar_artists and max_recordings_per_artist must be specified."
            )
        if q.get("mode") not in ("easy", "medium", "hard"):
            return _error(400, "mode must be one of: easy, medium or hard.")
        try:
            pop_begin, pop_end = float(q["pop_begin"]) / 100, float(q["pop_end"]) / 100
        except (KeyError, ValueError):
            return _error(400, "pop_begin and pop_end must be numbers from 0 to 100")
        seed = self.world.artist_by_mbid(mbid)
        if seed is None:
            return json_reply(200, {})
        chosen = [seed] + [
            self.world.artists[k] for k, _ in seed.similar[:max_similar] if k in self.world.artists
        ]
        out: dict[str, list] = {}
        for a in chosen:
            tracks = a.tracks
            if tracks:  # the popularity range, as a percent rank within the artist's tracks
                n = len(tracks)
                tracks = [
                    t for i, t in enumerate(tracks) if pop_begin <= 1 - i / n <= max(pop_end, 1e-9) + 1e-9
                ]
            rows = [
                {
                    "recording_mbid": t.mbid,
                    "similar_artist_mbid": a.mbid,
                    "similar_artist_name": a.name,
                    "total_listen_count": t.plays,
                }
                for t in tracks[:per_artist]
            ]
            if rows:
                out[a.mbid] = rows
        return json_reply(200, out)

    def _metadata(self, req: Request) -> Reply:
        if req.method == "POST":
            try:
                body = json.loads(req.body or b"{}")
            except ValueError:
                return _error(400, "Cannot parse JSON document")
            mbids = body.get("recording_mbids")
            if not isinstance(mbids, list) or not mbids:
                return _error(
                    400, "recording_mbids JSON element must be present and contain a list of recording_mbids"
                )
        else:
            raw = req.query.get("recording_mbids")
            if raw is None:
                return _error(400, "recording_mbids argument must be present")
            mbids = [m.strip() for m in raw.split(",")]
        for m in mbids:
            if not isinstance(m, str) or not _UUID.match(m):
                return _error(400, f"recording_mbid {m} is not valid.")
        out = {}
        for m in mbids:
            t = self.world.recording(m)
            if t is None:
                continue
            a = self.world.artist(t.artist)
            recording = {"name": t.title, "rels": [], "isrcs": []}
            if t.duration_s:
                recording["length"] = t.duration_s * 1000
            out[m] = {
                "recording": recording,
                "artist": {
                    "name": t.artist,
                    "artists": [{"artist_mbid": a.mbid if a else None, "name": t.artist, "join_phrase": ""}],
                },
            }
        return json_reply(200, out)


def segue_env(lastfm, listenbrainz, musicbrainz) -> dict[str, str]:
    """The environment that points a ``segue`` process at the three discovery fakes."""
    return {
        "SEGUE_LASTFM_API_KEY": lastfm.api_key,
        "SEGUE_LASTFM_API_ROOT": lastfm.url,
        "SEGUE_LISTENBRAINZ_ROOT": listenbrainz.url,
        "SEGUE_LISTENBRAINZ_LABS_ROOT": listenbrainz.labs_url,
        "SEGUE_MUSICBRAINZ_ROOT": musicbrainz.url,
    }
