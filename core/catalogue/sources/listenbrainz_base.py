"""What the ListenBrainz discovery sources share: one client, its errors, its rate-limit headers.

ListenBrainz rate-limits with ``X-RateLimit-Limit`` / ``-Remaining`` / ``-Reset-In`` headers on every
answer and 429 beyond them: the client waits ``Reset-In`` when ``Remaining`` reaches 0, and on a 429
waits ``Retry-After`` or ``Reset-In`` before retrying (``core.net`` backoff). Errors are JSON
``{"code": N, "error": "..."}``. 401/403 stop the source for the run: since 2026-08 ListenBrainz asks
for a user token on its "expensive" endpoints (top recordings for an artist, LB Radio prompts), so a
token from the keyring (``listenbrainz:token``, or ``SEGUE_LISTENBRAINZ_TOKEN``) is sent when set.
The labs API root (similar artists) has moved before, so both roots are settings.
"""

from __future__ import annotations

import threading
import time
from typing import Any

import httpx

from core.catalogue.expand import similar_artists
from core.catalogue.sources.base import DAY, BaseSource, Want
from core.jobs import CancelToken
from core.net import (
    USER_AGENT,
    AuthRequired,
    Fatal,
    HttpClient,
    NotFound,
    RateLimited,
    ServiceError,
    Transient,
    shared_limiter,
)

DEFAULT_ROOT = "https://api.listenbrainz.org/1/"
DEFAULT_LABS_ROOT = "https://labs.api.listenbrainz.org/"
TOKEN_SECRET = "listenbrainz:token"
TOKEN_HINT = "ListenBrainz asks for a user token here: add yours in Settings (listenbrainz.org/settings)"


def _seconds(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value not in (None, "") else None
    except ValueError:
        return None


class ListenBrainzClient:
    """GET/POST JSON with LB's error bodies and rate-limit headers; one per refresh run."""

    def __init__(
        self,
        root: str = DEFAULT_ROOT,
        labs_root: str = DEFAULT_LABS_ROOT,
        *,
        token: str = "",
        per_second: float = 1.0,
        timeout: float = 20.0,
        attempts: int = 4,
        backoff_s: float = 2.0,
        user_agent: str = USER_AGENT,
    ):
        self.root = root if root.endswith("/") else root + "/"
        self.labs_root = labs_root if labs_root.endswith("/") else labs_root + "/"
        headers = {"Authorization": f"Token {token}"} if token else {}
        self.http = HttpClient(
            "",
            per_second=per_second,
            timeout=timeout,
            attempts=attempts,
            backoff_s=backoff_s,
            user_agent=user_agent,
            classify=self._classify,
            headers=headers,
        )
        self.http.limiter = shared_limiter("listenbrainz", per_second)
        self._lock = threading.Lock()
        self._resume_at = 0.0  # monotonic time before which the window is used up

    @property
    def requests_made(self) -> int:
        return self.http.requests_made

    def close(self) -> None:
        self.http.close()

    def _classify(self, resp: httpx.Response) -> ServiceError | None:
        reset_in = _seconds(resp.headers.get("X-RateLimit-Reset-In"))
        remaining = resp.headers.get("X-RateLimit-Remaining")
        if remaining is not None and remaining.strip() == "0" and reset_in is not None:
            with self._lock:
                self._resume_at = max(self._resume_at, time.monotonic() + reset_in)
        code = resp.status_code
        if code < 400:
            return None
        try:
            message = str((resp.json() or {}).get("error") or "")
        except (ValueError, AttributeError):
            message = ""
        text = f"HTTP {code}{': ' + message[:200] if message else ''}"
        if code == 429:
            wait = _seconds(resp.headers.get("Retry-After")) or reset_in or 10.0
            return RateLimited(f"ListenBrainz rate limit ({text})", wait, code)
        if code in (401, 403):
            return AuthRequired(f"{text} — {TOKEN_HINT}", code)
        if code == 404:
            return NotFound(text, code)
        if code >= 500:
            return Transient(f"ListenBrainz is unavailable ({text})", code)
        return Fatal(f"ListenBrainz refused the request ({text})", code)

    def _respect_window(self, cancel: CancelToken | None) -> None:
        with self._lock:
            delay = self._resume_at - time.monotonic()
        if delay > 0:
            if cancel is not None:
                if cancel.wait(delay):
                    cancel.raise_if_cancelled()
            else:
                time.sleep(delay)

    def get(self, url: str, params: dict | None = None, cancel: CancelToken | None = None) -> Any:
        self._respect_window(cancel)
        return self.http.get_json(url, params, cancel=cancel)

    def post(self, url: str, payload: dict, cancel: CancelToken | None = None) -> Any:
        self._respect_window(cancel)
        return self.http.request("POST", url, json=payload, cancel=cancel, parse=lambda r: r.json())


def artists_with_mbids(conn, seeds, hops: int, *, limit: int | None = None) -> list[Want]:
    """Wants keyed by MBID for the seed artists (strongest first, at most ``limit``) and ``hops``
    second-hop artists that have one (MBIDs are looked up by ``musicbrainz.artist`` first)."""
    from sqlalchemy import select

    from core.store.schema import Artist

    chosen = [(a.id, a.name, a.weight, None) for a in seeds.artists][: limit if limit is not None else None]
    seen = {a.id for a in seeds.artists}
    chosen += [
        (h.artist_id, h.name, h.weight, h.via_artist_id)
        for h in similar_artists(conn, seeds.account_id, hops, exclude=seen)
    ]
    mbids = dict(
        conn.execute(select(Artist.id, Artist.mbid).where(Artist.id.in_([c[0] for c in chosen]))).all()
    )
    out, keys = [], set()
    for artist_id, name, weight, via in chosen:
        mbid = (mbids.get(artist_id) or "").lower()
        if mbid and mbid not in keys:
            keys.add(mbid)
            query = {"artist": name, "mbid": mbid} | ({"via": via} if via is not None else {})
            out.append(Want(key=mbid, weight=weight, seed_artist_id=artist_id, query=query))
    return out


class ListenBrainzSource(BaseSource):
    service = "listenbrainz"
    ttl_s = 30 * DAY

    def __init__(self, client: ListenBrainzClient):
        self.client = client
        self.per_second = 1.0 / client.http.limiter.interval if client.http.limiter.interval else 0.0

    @property
    def requests_made(self) -> int:
        return self.client.requests_made

    def close(self) -> None:
        self.client.close()  # shared by the ListenBrainz sources: all close at the end of a run
