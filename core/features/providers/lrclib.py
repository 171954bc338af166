"""Lyrics from LRCLIB (https://lrclib.net): ``/api/get`` by signature, then ``/api/search``.

``/api/get`` takes the track's exact signature — title, artist, album, duration in seconds — and the
server matches the duration within ±2 s; without an album or duration we go straight to search.
``/api/search?track_name&artist_name`` returns up to 20 records; we keep the first whose normalised
artist and title equal ours (and whose duration is within ±2 s when we know ours).  No key is needed;
LRCLIB asks for a User-Agent naming the app.  An instrumental record is a result ("ok", empty text,
flag), not a miss.  Synced (LRC) lyrics are stored as plain text: timestamps are stripped.
"""

from __future__ import annotations

import re
from typing import Any

import httpx

from core.features.providers.base import Item, Outcome, outcome_from_error
from core.jobs import CancelToken
from core.net import (
    USER_AGENT,
    HttpClient,
    NotFound,
    RateLimited,
    RateLimiter,
    ServiceError,
    Transient,
    default_classify,
    shared_limiter,
)
from core.normalize import artist_key, track_key

DEFAULT_ROOT = "https://lrclib.net/api/"
DEFAULT_RPS = 2.0  # LRCLIB publishes no limit; stay polite
DURATION_TOLERANCE_S = 2.0
_TIMESTAMP = re.compile(r"\[(?:\d{1,3}:)?\d{1,2}:\d{1,2}(?:[.:]\d{1,3})?\]")
_META = re.compile(r"^\s*\[(?:ar|ti|al|au|by|re|ve|length|offset|#)\s*:[^\]]*\]\s*$", re.I)


def lrc_to_plain(text: str) -> str:
    """Plain lines from LRC: drop ``[mm:ss.xx]`` stamps (several per line allowed) and ``[ar:...]`` tags."""
    lines = []
    for line in text.splitlines():
        if _META.match(line):
            continue
        lines.append(_TIMESTAMP.sub("", line).strip())
    return "\n".join(lines).strip()


def classify(resp: httpx.Response):
    if resp.status_code == 429:
        retry = resp.headers.get("Retry-After", "")
        wait = float(retry) if retry.replace(".", "", 1).isdigit() else 5.0
        return RateLimited("LRCLIB rate limit (HTTP 429)", wait, 429)
    return default_classify(resp)


def record_outcome(rec: Any, source: str = "lrclib") -> Outcome:
    """One LRCLIB record → ok (text, instrumental flag) or missing (the track exists without lyrics)."""
    if not isinstance(rec, dict) or "id" not in rec:
        return Outcome.error("LRCLIB: unexpected response shape", retry=True, source=source)
    if rec.get("instrumental"):
        return Outcome.ok(
            {"text": "", "instrumental": True, "lrclib_id": rec["id"]}, source=source, reason="instrumental"
        )
    plain = (rec.get("plainLyrics") or "").strip()
    if not plain and rec.get("syncedLyrics"):
        plain = lrc_to_plain(rec["syncedLyrics"])
    if not plain:
        return Outcome.missing("LRCLIB: track known but without lyrics", source=source)
    return Outcome.ok({"text": plain, "instrumental": False, "lrclib_id": rec["id"]}, source=source)


class LrclibSource:
    """A lyrics source (see ``core.features.providers.lyrics``) backed by the LRCLIB API."""

    name = "lrclib"
    network = True

    def __init__(
        self,
        root: str = DEFAULT_ROOT,
        *,
        per_second: float = DEFAULT_RPS,
        timeout: float = 15.0,
        attempts: int = 3,
        backoff_s: float = 1.0,
        user_agent: str = USER_AGENT,
        limiter: RateLimiter | None = None,
    ):
        self.per_second = per_second
        self.http = HttpClient(
            root if root.endswith("/") else root + "/",
            per_second=per_second,
            timeout=timeout,
            attempts=attempts,
            backoff_s=backoff_s,
            user_agent=user_agent,
            classify=classify,
        )
        self.http.limiter = limiter or shared_limiter("lrclib", per_second)

    @property
    def requests_made(self) -> int:
        return self.http.requests_made

    def close(self) -> None:
        self.http.close()

    def fetch(self, item: Item, cancel: CancelToken | None = None) -> Outcome:
        if not (item.artist.strip() and item.title.strip()):
            return Outcome.missing("LRCLIB: no artist or title to look up", source=self.name)
        duration = round(item.duration_ms / 1000) if item.duration_ms and item.duration_ms >= 1000 else None
        try:
            if item.album.strip() and duration:
                try:
                    rec = self.http.get_json(
                        "get",
                        {
                            "track_name": item.title,
                            "artist_name": item.artist,
                            "album_name": item.album,
                            "duration": duration,
                        },
                        cancel=cancel,
                    )
                    return record_outcome(rec, self.name)
                except NotFound:
                    pass
            results = self.http.get_json(
                "search", {"track_name": item.title, "artist_name": item.artist}, cancel=cancel
            )
        except ServiceError as exc:
            return outcome_from_error(exc, "LRCLIB", source=self.name)
        if not isinstance(results, list):
            return outcome_from_error(Transient("search answer is not a list"), "LRCLIB", source=self.name)
        best = pick_search_result(results, item, duration)
        if best is None:
            return Outcome.missing("LRCLIB: not found", source=self.name)
        return record_outcome(best, self.name)


def pick_search_result(results: list, item: Item, duration: float | None) -> dict | None:
    """The first result naming our artist and title (normalised) within ±2 s, preferring ones with lyrics."""
    want_a, want_t = artist_key(item.artist), track_key(item.title)
    candidates = []
    for rec in results:
        if not isinstance(rec, dict):
            continue
        if artist_key(str(rec.get("artistName") or "")) != want_a:
            continue
        if track_key(str(rec.get("trackName") or rec.get("name") or "")) != want_t:
            continue
        d = rec.get("duration")
        if duration is not None and isinstance(d, (int, float)) and abs(d - duration) > DURATION_TOLERANCE_S:
            continue
        candidates.append(rec)
    with_text = [
        r for r in candidates if r.get("plainLyrics") or r.get("syncedLyrics") or r.get("instrumental")
    ]
    return (with_text or candidates or [None])[0]
