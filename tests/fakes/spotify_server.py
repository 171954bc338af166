"""A fake of Spotify's accounts service and the slice of the Web API Segue uses, for tests.

A real HTTP server on 127.0.0.1 with two roots on one port: ``/accounts`` (``/authorize``,
``/api/token``) and ``/v1`` (``/me``, ``/search``, ``/me/playlists``, ``/playlists/{id}/items``).
Bodies are shaped like the recordings in ``../shared/fixtures/api/spotify-web-api-java`` (the token
responses, the user profile, the track object of a search, the created playlist, the snapshot id);
error bodies use Spotify's two real formats — ``{"error": "invalid_grant", "error_description": ...}``
on the accounts service and ``{"error": {"status": 401, "message": ...}}`` on the Web API.

What it checks, like the real service: the client ID; a loopback redirect URI ``http://127.0.0.1:<any
port>/callback`` (``localhost`` refused); PKCE S256 (the verifier must hash to the challenge); codes
are single-use and bound to their redirect URI; access tokens expire; refresh tokens rotate; search
``limit`` ≤ 10; playlist items ≤ 100 per request; the endpoints removed for development-mode apps in
February 2026 (``POST /users/{id}/playlists``, ``/playlists/{id}/tracks``) answer 403.

The ``/authorize`` page stands in for the user: with ``approve=True`` (default) it redirects straight
back with a code, with ``approve=False`` with ``error=access_denied``. ``fail(path, status, times,
retry_after)`` injects errors; ``requests`` logs what was asked.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

SHARED = Path(os.environ.get("SEGUE_SHARED", Path(__file__).resolve().parents[3] / "shared"))
FIXTURES = SHARED / "fixtures" / "api" / "spotify-web-api-java" / "requests"
CLIENT_ID = "5fe01282e44241328a84e7c5cc169165"
USER_ID = "wizzler"


def _fixture(rel: str) -> dict:
    return json.loads((FIXTURES / rel).read_text(encoding="utf-8"))


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _sid(n: int = 22) -> str:
    alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
    return "".join(secrets.choice(alphabet) for _ in range(n))


@dataclass
class _Code:
    client_id: str
    redirect_uri: str
    challenge: str
    scope: str
    used: bool = False


@dataclass
class _Fault:
    prefix: str
    status: int
    times: int
    retry_after: float | None = None
    message: str = "injected failure"


@dataclass
class Request:
    method: str
    path: str
    query: dict[str, str]
    body: Any
    headers: dict[str, str] = field(default_factory=dict)


class FakeSpotify:
    """``with FakeSpotify(catalogue=[("Muse", "Starlight")]) as sp: ...`` — see the module docstring."""

    def __init__(
        self,
        catalogue: Iterable[tuple[str, str]] = (),
        *,
        client_id: str = CLIENT_ID,
        token_ttl: float = 3600.0,
        approve: bool = True,
        rotate_refresh: bool = True,
    ):
        self.client_id = client_id
        self.token_ttl = token_ttl
        self.approve = approve
        self.rotate_refresh = rotate_refresh
        self.catalogue = [(a, t) for a, t in catalogue]
        self.playlists: dict[str, dict] = {}
        self.requests: list[Request] = []
        self._codes: dict[str, _Code] = {}
        self._access: dict[str, float] = {}  # token -> expires_at
        self._refresh: set[str] = set()
        self._faults: list[_Fault] = []
        self._lock = threading.RLock()
        self._track_template = _fixture("data/search/simplified/SearchTracksRequest.json")["tracks"]["items"][
            0
        ]
        self._profile = _fixture("data/users_profile/GetCurrentUsersProfileRequest.json")
        self._playlist_template = _fixture("data/playlists/CreatePlaylistRequest.json")
        self._token_template = _fixture("authorization/authorization_code/AuthorizationCode.json")
        self._refresh_template = _fixture(
            "authorization/authorization_code/pkce/AuthorizationCodePKCERefresh.json"
        )
        self._server: ThreadingHTTPServer | None = None

    # -- lifecycle --------------------------------------------------------------------------
    def start(self) -> FakeSpotify:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:  # noqa: N802
                fake._handle(self, "GET")

            def do_POST(self) -> None:  # noqa: N802
                fake._handle(self, "POST")

            def log_message(self, *_args) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True).start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None

    def __enter__(self) -> FakeSpotify:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    @property
    def root(self) -> str:
        assert self._server is not None, "start() the server first"
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def accounts_root(self) -> str:
        return f"{self.root}/accounts"

    @property
    def api_root(self) -> str:
        return f"{self.root}/v1"

    # -- test controls ----------------------------------------------------------------------
    def fail(
        self,
        prefix: str,
        status: int,
        times: int = 1,
        retry_after: float | None = None,
        message: str = "injected failure",
    ) -> None:
        """The next ``times`` requests whose path starts with ``prefix`` answer ``status``."""
        with self._lock:
            self._faults.append(_Fault(prefix, status, times, retry_after, message))

    def expire_tokens(self) -> None:
        with self._lock:
            for token in self._access:
                self._access[token] = 0.0

    def paths(self) -> list[str]:
        return [f"{r.method} {r.path}" for r in self.requests]

    # -- plumbing ---------------------------------------------------------------------------
    def _send(
        self,
        h: BaseHTTPRequestHandler,
        status: int,
        body: Any = None,
        headers: dict | None = None,
        content_type: str = "application/json",
    ) -> None:
        raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
        h.send_response(status)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        if raw or status != 204:
            h.send_header("Content-Type", content_type)
        h.send_header("Content-Length", str(len(raw)))
        h.end_headers()
        h.wfile.write(raw)

    def _api_error(self, h, status: int, message: str, headers: dict | None = None) -> None:
        self._send(h, status, {"error": {"status": status, "message": message}}, headers)

    def _handle(self, h: BaseHTTPRequestHandler, method: str) -> None:
        parts = urlsplit(h.path)
        query = {k: v[0] for k, v in parse_qs(parts.query).items()}
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length) if length else b""
        ctype = h.headers.get("Content-Type", "")
        if "json" in ctype and raw:
            body: Any = json.loads(raw)
        elif raw:
            body = {k: v[0] for k, v in parse_qs(raw.decode()).items()}
        else:
            body = None
        with self._lock:
            self.requests.append(Request(method, parts.path, query, body, dict(h.headers)))
            fault = next((f for f in self._faults if parts.path.startswith(f.prefix) and f.times > 0), None)
            if fault is not None:
                fault.times -= 1
        if fault is not None:
            headers = {"Retry-After": str(int(fault.retry_after))} if fault.retry_after is not None else None
            return self._api_error(h, fault.status, fault.message, headers)
        path = parts.path
        if path == "/accounts/authorize" and method == "GET":
            return self._authorize(h, query)
        if path == "/accounts/api/token" and method == "POST":
            return self._token(h, body or {})
        if path.startswith("/v1/"):
            return self._api(h, method, path[3:], query, body)
        self._send(h, 404, {"error": {"status": 404, "message": "Service not found"}})

    # -- accounts service -------------------------------------------------------------------
    def _redirect_ok(self, uri: str) -> bool:
        p = urlsplit(uri)
        return p.scheme == "http" and p.hostname == "127.0.0.1" and p.path == "/callback"

    def _authorize(self, h, q: dict[str, str]) -> None:
        if q.get("client_id") != self.client_id:
            return self._send(h, 400, b"INVALID_CLIENT: Invalid client", content_type="text/plain")
        redirect = q.get("redirect_uri", "")
        if not self._redirect_ok(redirect):
            return self._send(h, 400, b"INVALID_CLIENT: Invalid redirect URI", content_type="text/plain")
        if (
            q.get("response_type") != "code"
            or q.get("code_challenge_method") != "S256"
            or not q.get("code_challenge")
        ):
            return self._send(h, 400, b"INVALID_REQUEST: PKCE parameters missing", content_type="text/plain")
        if not self.approve:
            target = f"{redirect}?{urlencode({'error': 'access_denied', 'state': q.get('state', '')})}"
        else:
            code = _sid(64)
            with self._lock:
                self._codes[code] = _Code(self.client_id, redirect, q["code_challenge"], q.get("scope", ""))
            target = f"{redirect}?{urlencode({'code': code, 'state': q.get('state', '')})}"
        self._send(h, 302, b"", {"Location": target}, content_type="text/plain")

    def _token_error(self, h, error: str, description: str, status: int = 400) -> None:
        self._send(h, status, {"error": error, "error_description": description})

    def _issue(self, template: dict, scope: str) -> dict:
        body = copy.deepcopy(template)
        access, refresh = _sid(88), _sid(88)
        with self._lock:
            self._access[access] = time.time() + self.token_ttl
            self._refresh.add(refresh)
        body.update(access_token=access, refresh_token=refresh, expires_in=int(self.token_ttl), scope=scope)
        return body

    def _token(self, h, form: dict[str, str]) -> None:
        if form.get("client_id") != self.client_id:
            return self._token_error(h, "invalid_client", "Invalid client")
        grant = form.get("grant_type")
        if grant == "authorization_code":
            with self._lock:
                code = self._codes.get(form.get("code", ""))
                if code is None or code.used:
                    return self._token_error(h, "invalid_grant", "Invalid authorization code")
                code.used = True
            if form.get("redirect_uri") != code.redirect_uri:
                return self._token_error(h, "invalid_grant", "Invalid redirect URI")
            if _challenge(form.get("code_verifier", "")) != code.challenge:
                return self._token_error(h, "invalid_grant", "code_verifier was incorrect")
            return self._send(h, 200, self._issue(self._token_template, code.scope))
        if grant == "refresh_token":
            token = form.get("refresh_token", "")
            with self._lock:
                if token not in self._refresh:
                    return self._token_error(h, "invalid_grant", "Invalid refresh token")
                if self.rotate_refresh:
                    self._refresh.discard(token)
            body = self._issue(self._refresh_template, self._refresh_template["scope"])
            if not self.rotate_refresh:
                body.pop("refresh_token")
            return self._send(h, 200, body)
        self._token_error(
            h, "unsupported_grant_type", "grant_type must be authorization_code or refresh_token"
        )

    # -- Web API ----------------------------------------------------------------------------
    def _authorised(self, h) -> str | None:
        auth = h.headers.get("Authorization", "")
        if not auth.startswith("Bearer "):
            self._api_error(h, 401, "No token provided")
            return None
        token = auth[7:]
        with self._lock:
            expires = self._access.get(token)
        if expires is None:
            self._api_error(h, 401, "Invalid access token")
            return None
        if expires <= time.time():
            self._api_error(h, 401, "The access token expired")
            return None
        return token

    def _track(self, n: int, artist: str, title: str) -> dict:
        item = copy.deepcopy(self._track_template)
        tid = hashlib.sha1(f"{artist}\0{title}".encode()).hexdigest()[:22]
        item.update(
            id=tid,
            name=title,
            uri=f"spotify:track:{tid}",
            href=f"https://api.spotify.com/v1/tracks/{tid}",
            external_urls={"spotify": f"https://open.spotify.com/track/{tid}"},
            popularity=50 - n % 50,
        )
        aid = hashlib.sha1(artist.encode()).hexdigest()[:22]
        item["artists"] = [
            {
                "external_urls": {"spotify": f"https://open.spotify.com/artist/{aid}"},
                "href": f"https://api.spotify.com/v1/artists/{aid}",
                "id": aid,
                "name": artist,
                "type": "artist",
                "uri": f"spotify:artist:{aid}",
            }
        ]
        return item

    def _search(self, h, q: dict[str, str]) -> None:
        try:
            limit = int(q.get("limit", 20))
            offset = int(q.get("offset", 0))
        except ValueError:
            return self._api_error(h, 400, "Invalid limit")
        if not 0 <= limit <= 10:
            return self._api_error(h, 400, "Invalid limit")
        if q.get("type") != "track":
            return self._api_error(h, 400, "Bad search type field")
        words = re.sub(r"\b(?:track|artist|album):", " ", q.get("q", "")).replace('"', " ").casefold().split()
        hits = [
            (i, a, t)
            for i, (a, t) in enumerate(self.catalogue)
            if words and all(w in f"{a} {t}".casefold() for w in words)
        ]
        items = [self._track(i, a, t) for i, a, t in hits[offset : offset + limit]]
        base = f"https://api.spotify.com/v1/search?{urlencode({'query': q.get('q', ''), 'type': 'track'})}"
        self._send(
            h,
            200,
            {
                "tracks": {
                    "href": f"{base}&offset={offset}&limit={limit}",
                    "items": items,
                    "limit": limit,
                    "next": None,
                    "offset": offset,
                    "previous": None,
                    "total": len(hits),
                }
            },
        )

    def _api(self, h, method: str, path: str, q: dict[str, str], body: Any) -> None:
        if self._authorised(h) is None:
            return
        if path == "/me" and method == "GET":
            return self._send(h, 200, self._profile)
        if path == "/search" and method == "GET":
            return self._search(h, q)
        if path == "/me/playlists" and method == "POST":
            if not isinstance(body, dict) or not body.get("name"):
                return self._api_error(h, 400, "Missing required field: name")
            pl = copy.deepcopy(self._playlist_template)
            pid = _sid()
            pl.update(
                id=pid,
                name=body["name"],
                description=body.get("description") or None,
                public=bool(body.get("public", False)),
                uri=f"spotify:playlist:{pid}",
                href=f"https://api.spotify.com/v1/playlists/{pid}",
                external_urls={"spotify": f"https://open.spotify.com/playlist/{pid}"},
            )
            pl["owner"]["id"] = USER_ID
            pl["items"] = []
            with self._lock:
                self.playlists[pid] = pl
            return self._send(h, 201, pl)
        parts = path.strip("/").split("/")
        if len(parts) == 3 and parts[0] == "users" and parts[2] == "playlists":
            return self._api_error(h, 403, "Forbidden")
        if len(parts) == 3 and parts[0] == "playlists" and parts[2] == "tracks":
            return self._api_error(h, 403, "Forbidden")
        if len(parts) == 3 and parts[0] == "playlists" and parts[2] == "items" and method == "POST":
            pl = self.playlists.get(parts[1])
            if pl is None:
                return self._api_error(h, 404, "Not found.")
            uris = (body or {}).get("uris") if isinstance(body, dict) else None
            if not isinstance(uris, list) or not uris:
                return self._api_error(h, 400, "Missing uris")
            if len(uris) > 100:
                return self._api_error(h, 400, "You can add a maximum of 100 tracks per request.")
            if any(not str(u).startswith("spotify:track:") for u in uris):
                return self._api_error(h, 400, "Invalid track uri")
            with self._lock:
                pl["items"].extend(uris)
                pl["snapshot_id"] = _sid(48)
            return self._send(h, 201, {"snapshot_id": pl["snapshot_id"]})
        self._api_error(h, 404, "Service not found")


@pytest.fixture
def fake_spotify() -> Iterator[FakeSpotify]:
    with FakeSpotify(
        catalogue=[
            ("Muse", "Starlight"),
            ("Arctic Monkeys", "505"),
            ("Кино", "Группа крови"),
            ("宇多田ヒカル", "First Love"),
        ]
    ) as server:
        yield server
