"""Last.fm 2.0 REST client over core.net: signing, JSON error bodies, the error-code table.

Error handling (docs/architecture.md §5): 8/11/16 and 5xx → back off and retry; 29 → pause for minutes;
26 suspended key / 10 bad key → stop and tell the user; 9/4 → log in again; 14/15 → restart the
login; 17 → the profile is private (sign with the session key); an error body may come with HTTP 200.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

import httpx

from core.jobs import CancelToken
from core.net import (
    AuthRequired,
    Fatal,
    HttpClient,
    NotFound,
    RateLimited,
    ServiceError,
    Transient,
    shared_limiter,
)

DEFAULT_ROOT = "https://ws.audioscrobbler.com/2.0/"
MAX_RPS = 4.0


class PrivateProfile(ServiceError):
    """Error 17: the user's recent tracks are private; a signed request with their session is needed."""


class TokenNotAuthorised(ServiceError):
    """Errors 14/15: the browser step was not completed or the token expired; start the login again."""


def _error_for(code: int, message: str, status: int | None, rate_pause_s: float) -> ServiceError:
    text = f"Last.fm error {code}: {message}"
    if code in (8, 11, 16):
        return Transient(text, status, code)
    if code == 29:
        return RateLimited(text + " (pausing)", rate_pause_s, status, code)
    if code in (9, 4):
        return AuthRequired(text + " — connect your Last.fm account again", status, code)
    if code in (14, 15):
        return TokenNotAuthorised(text + " — start the login again", status, code)
    if code == 17:
        return PrivateProfile(
            text + " — this profile is private: connect the account to sync it", status, code
        )
    if code == 6:
        return NotFound(text, status, code)
    if code == 26:
        return Fatal(text + " — the API key was suspended; set another key in Settings", status, code)
    if code == 10:
        return Fatal(text + " — the API key is not valid; check it in Settings", status, code)
    return Fatal(text, status, code)


def sign(params: Mapping[str, Any], secret: str) -> str:
    """Last.fm api_sig: md5 of sorted name+value pairs (format/callback excluded) + shared secret."""
    text = "".join(f"{k}{params[k]}" for k in sorted(params) if k not in ("format", "callback", "api_sig"))
    return hashlib.md5((text + secret).encode("utf-8")).hexdigest()


class LastfmApi:
    """Calls ``method`` with the API key (and session signature when given); returns the JSON body."""

    def __init__(
        self,
        api_key: str,
        *,
        api_secret: str | None = None,
        session_key: str | None = None,
        root: str = DEFAULT_ROOT,
        per_second: float = MAX_RPS,
        timeout: float = 20.0,
        attempts: int = 5,
        backoff_s: float = 2.0,
        rate_pause_s: float = 300.0,
    ):
        self.api_key = api_key
        self.api_secret = api_secret
        self.session_key = session_key
        self.rate_pause_s = rate_pause_s
        self.http = HttpClient(
            root,
            per_second=per_second,
            timeout=timeout,
            attempts=attempts,
            backoff_s=backoff_s,
            classify=self._classify,
        )
        # One budget per process: a sync and the tag/bio backlog together stay under Last.fm's limit.
        self.http.limiter = shared_limiter("lastfm", per_second)

    def close(self) -> None:
        self.http.close()

    @property
    def requests_made(self) -> int:
        return self.http.requests_made

    def _classify(self, resp: httpx.Response) -> ServiceError | None:
        if resp.status_code >= 500 and "json" not in resp.headers.get("content-type", ""):
            return Transient(f"Last.fm is unavailable (HTTP {resp.status_code})", resp.status_code)
        try:
            body = resp.json()
        except ValueError:
            if resp.status_code >= 400:
                return Transient(f"Last.fm answered HTTP {resp.status_code}", resp.status_code)
            return Transient("Last.fm sent a malformed response")
        if isinstance(body, dict) and "error" in body:
            try:
                code = int(body["error"])
            except (TypeError, ValueError):
                return Transient("Last.fm sent an unreadable error")
            return _error_for(code, str(body.get("message", "")), resp.status_code, self.rate_pause_s)
        if resp.status_code == 429:
            return RateLimited("Last.fm rate limit (HTTP 429)", self.rate_pause_s, 429)
        if resp.status_code >= 400:
            return Transient(f"Last.fm answered HTTP {resp.status_code}", resp.status_code)
        return None

    def call(
        self, method: str, *, signed: bool = False, cancel: CancelToken | None = None, **params: Any
    ) -> dict:
        query: dict[str, Any] = {k: v for k, v in params.items() if v is not None}
        query.update(method=method, api_key=self.api_key)
        if signed:
            if not (self.session_key and self.api_secret):
                raise AuthRequired("this needs a connected Last.fm account (session key and API secret)")
            query["sk"] = self.session_key
            query["api_sig"] = sign(query, self.api_secret)
        query["format"] = "json"
        body = self.http.request("GET", "", params=query, cancel=cancel, parse=lambda r: r.json())
        if not isinstance(body, dict):
            raise Transient("Last.fm sent an unexpected response")
        return body
