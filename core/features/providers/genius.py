"""Lyrics from Genius through lyricsgenius — only when the user gave their own API token.

lyricsgenius does the work (``search_songs`` on api.genius.com with the token, then scraping the
song page's ``data-lyrics-container`` blocks on genius.com).  Its HTTP session is replaced by one
that goes through our rate limiter and turns answers into ``core.net`` errors, because Genius often
refuses non-browser clients: a Cloudflare "Just a moment..." page with HTTP 403.  That becomes a
readable, retryable error and disables Genius for the rest of the run; a rejected token (401) stops
it too and tells the user; nothing here raises into the backlog job.
"""

from __future__ import annotations

import logging
import time

import requests

from core.features.providers.base import Item, Outcome, outcome_from_error
from core.jobs import CancelToken
from core.net import (
    USER_AGENT,
    AuthRequired,
    Fatal,
    NotFound,
    Offline,
    RateLimited,
    RateLimiter,
    ServiceError,
    Transient,
    shared_limiter,
)
from core.normalize import artist_key, track_key

log = logging.getLogger(__name__)
DEFAULT_RPS = 1.0


def is_cloudflare(resp: requests.Response) -> bool:
    server = resp.headers.get("Server", "").lower()
    head = resp.text[:2000].lower() if resp.content else ""
    return (
        "cloudflare" in server
        or "cf-ray" in {k.lower() for k in resp.headers}
        or "just a moment" in head
        or "attention required" in head
    )


def classify(resp: requests.Response) -> ServiceError | None:
    code = resp.status_code
    if code < 400:
        return None
    if code == 401:
        return AuthRequired("Genius rejected the API token (HTTP 401): set a new one in Settings", code)
    if code == 403:
        if is_cloudflare(resp):
            return Transient("Genius blocked the request (Cloudflare challenge page, HTTP 403)", code)
        return Fatal("Genius refused the request (HTTP 403)", code)
    if code == 404:
        return NotFound("not found on Genius (HTTP 404)", code)
    if code == 429:
        wait = resp.headers.get("Retry-After", "")
        return RateLimited("Genius rate limit (HTTP 429)", float(wait) if wait.isdigit() else 30.0, code)
    if code >= 500:
        return Transient(f"Genius is unavailable (HTTP {code})", code)
    return Fatal(f"Genius refused the request (HTTP {code})", code)


class _CheckedSession(requests.Session):
    """requests.Session that waits for the rate limiter, retries transient failures with exponential
    backoff (like ``core.net.HttpClient``; never a Cloudflare wall) and raises ``core.net`` errors."""

    def __init__(self, limiter: RateLimiter, headers: dict, attempts: int = 3, backoff_s: float = 1.0):
        super().__init__()
        self.headers.update(headers)
        self.limiter = limiter
        self.attempts = max(1, attempts)
        self.backoff_s = backoff_s
        self.cancel: CancelToken | None = None
        self.requests_made = 0

    def _once(self, method, url, *args, **kwargs) -> requests.Response:  # noqa: ANN001
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        self.limiter.wait(self.cancel)
        self.requests_made += 1
        try:
            resp = super().request(method, url, *args, **kwargs)
        except requests.exceptions.ConnectTimeout as exc:
            raise Offline(f"cannot reach Genius ({type(exc).__name__})") from exc
        except requests.exceptions.Timeout as exc:
            raise Transient("Genius did not answer in time") from exc
        except requests.exceptions.ConnectionError as exc:
            raise Offline(f"cannot reach Genius ({type(exc).__name__})") from exc
        err = classify(resp)
        if err is not None:
            raise err
        return resp

    def request(self, method, url, *args, **kwargs):  # noqa: ANN001 - requests' signature
        for attempt in range(self.attempts):
            try:
                return self._once(method, url, *args, **kwargs)
            except ServiceError as exc:
                if not exc.retry or exc.status == 403 or attempt == self.attempts - 1:
                    raise
                wait = exc.wait_s if isinstance(exc, RateLimited) else self.backoff_s * 2**attempt
                if self.cancel is not None:
                    if self.cancel.wait(wait):
                        self.cancel.raise_if_cancelled()
                else:
                    time.sleep(wait)
        raise AssertionError("unreachable")


class GeniusSource:
    """A lyrics source (see ``core.features.providers.lyrics``); construct only with a user token."""

    name = "genius"
    network = True

    def __init__(
        self,
        token: str,
        *,
        api_root: str | None = None,
        web_root: str | None = None,
        per_second: float = DEFAULT_RPS,
        timeout: float = 15.0,
        user_agent: str = USER_AGENT,
        limiter: RateLimiter | None = None,
        attempts: int = 3,
        backoff_s: float = 1.0,
    ):
        if not token:
            raise ValueError("Genius needs the user's API token")
        from lyricsgenius import Genius

        self.per_second = per_second
        self.genius = Genius(
            token,
            timeout=timeout,
            sleep_time=0,
            retries=0,
            user_agent=user_agent,
            remove_section_headers=True,
            skip_non_songs=True,
        )
        if api_root:
            self.genius.API_ROOT = api_root if api_root.endswith("/") else api_root + "/"
        if web_root:
            root = web_root if web_root.endswith("/") else web_root + "/"
            self.genius.WEB_ROOT = root
            self.genius.PUBLIC_API_ROOT = root + "api/"
        headers = dict(self.genius._session.headers)
        headers["User-Agent"] = user_agent
        self.session = _CheckedSession(
            limiter or shared_limiter("genius", per_second), headers, attempts, backoff_s
        )
        self.genius._session = self.session

    @property
    def requests_made(self) -> int:
        return self.session.requests_made

    def close(self) -> None:
        self.session.close()

    def fetch(self, item: Item, cancel: CancelToken | None = None) -> Outcome:
        self.session.cancel = cancel
        try:
            found = self.genius.search_songs(f"{item.title} {item.artist}", per_page=5)
            song = self._match(found, item)
            if song is None:
                return Outcome.missing("genius: not found", source=self.name)
            if song.get("instrumental"):
                return Outcome.ok(
                    {"text": "", "instrumental": True, "genius_id": song.get("id")},
                    source=self.name,
                    reason="instrumental",
                )
            if song.get("lyrics_state") not in (None, "complete") or not song.get("url"):
                return Outcome.missing("genius: the song has no complete lyrics", source=self.name)
            text = self.genius.lyrics(song_url=song["url"])
        except ServiceError as exc:
            if exc.status == 403 and exc.retry:  # Cloudflare: retry the item later, stop asking for this run
                return Outcome.error(f"genius: {exc}", retry=True, stop=True, source=self.name)
            return outcome_from_error(exc, "genius", source=self.name)
        except (
            ValueError,
            KeyError,
            TypeError,
            AssertionError,
        ) as exc:  # malformed JSON / lyricsgenius surprises
            return Outcome.error(
                f"genius: unexpected answer ({type(exc).__name__}: {exc})"[:300], retry=True, source=self.name
            )
        finally:
            self.session.cancel = None
        if not text or not text.strip():
            return Outcome.missing("genius: the song page has no lyrics", source=self.name)
        return Outcome.ok(
            {"text": text.strip(), "instrumental": False, "genius_id": song.get("id")}, source=self.name
        )

    @staticmethod
    def _match(found: dict, item: Item) -> dict | None:
        want_a, want_t = artist_key(item.artist), track_key(item.title)
        for hit in (found or {}).get("hits", []) if isinstance(found, dict) else []:
            song = hit.get("result") if isinstance(hit, dict) else None
            if not isinstance(song, dict) or hit.get("type", "song") != "song":
                continue
            artist = (song.get("primary_artist") or {}).get("name") or song.get("artist_names") or ""
            if artist_key(artist) == want_a and track_key(song.get("title") or "") == want_t:
                return song
        return None
