"""Recording MBIDs and ISRCs from MusicBrainz (https://musicbrainz.org/doc/MusicBrainz_API).

A track that already has an MBID (Last.fm sends one for many scrobbles) is looked up directly
(``/ws/2/recording/{mbid}?inc=isrcs+releases``); otherwise, or when that MBID is unknown there, we
search ``/ws/2/recording?query=recording:"T" AND artist:"A"&fmt=json`` and accept only a recording
whose normalised title and credited artist equal ours (and whose length is within 10 s of ours when
both are known) — a wrong ID is worse than none.  The result fills ``track.mbid``/``track.isrc`` and,
when one of the recording's releases has our album's name, ``album.mbid`` (which the Cover Art
Archive provider needs) and ``artist.mbid``; the recording's ``length`` fills ``track.duration_ms``
when the import did not know it (listening time and session lengths then stop being estimates).

MusicBrainz allows 1 request/s on average per client and requires a meaningful User-Agent; going
faster gets HTTP 503 for every request, which we treat as "rate limited: wait and retry".
"""

from __future__ import annotations

import re

import httpx
from sqlalchemy import Connection

from core.features.providers.base import BaseProvider, Item, Outcome, outcome_from_error
from core.features.providers.rows import fill_durations, fill_mbid, set_track_ids
from core.features.providers.state import clear_status
from core.jobs import CancelToken
from core.net import (
    USER_AGENT,
    Fatal,
    HttpClient,
    NotFound,
    RateLimited,
    ServiceError,
    Transient,
    shared_limiter,
)
from core.normalize import album_key, artist_key, track_key
from core.store.schema import Album, Artist

DEFAULT_ROOT = "https://musicbrainz.org/ws/2/"
DEFAULT_RPS = 1.0
LENGTH_TOLERANCE_MS = 10_000
_LUCENE_SPECIAL = re.compile(r'([+\-!(){}\[\]^"~*?:\\/]|&&|\|\|)')
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)


def lucene_escape(text: str) -> str:
    return _LUCENE_SPECIAL.sub(r"\\\1", text)


def classify(resp: httpx.Response):
    code = resp.status_code
    if code < 400:
        return None
    if code == 503:
        retry = resp.headers.get("Retry-After", "")
        return RateLimited(
            "MusicBrainz rate limit (HTTP 503)", float(retry) if retry.isdigit() else 2.0, code
        )
    if code == 404:
        return NotFound("not in MusicBrainz (HTTP 404)", code)
    if code == 429:
        return RateLimited("MusicBrainz rate limit (HTTP 429)", 5.0, code)
    if code >= 500:
        return Transient(f"MusicBrainz is unavailable (HTTP {code})", code)
    try:
        message = resp.json().get("error", "")
    except ValueError:
        message = ""
    return Fatal(f"MusicBrainz refused the request (HTTP {code}{': ' + message if message else ''})", code)


def credit_names(rec: dict) -> list[str]:
    credits = rec.get("artist-credit") or []
    names = [
        c.get("name") or (c.get("artist") or {}).get("name") or "" for c in credits if isinstance(c, dict)
    ]
    joined = "".join(
        (c.get("name") or "") + (c.get("joinphrase") or "") for c in credits if isinstance(c, dict)
    )
    return [n for n in names + [joined] if n]


def choose_recording(recordings: list, item: Item, min_score: int = 80) -> dict | None:
    """The best recording naming our artist and title; None rather than a guess."""
    want_a, want_t = artist_key(item.artist), track_key(item.title)
    best, best_key = None, None
    for rec in recordings:
        if not isinstance(rec, dict) or not _UUID.match(str(rec.get("id", ""))):
            continue
        if int(rec.get("score", 100) or 0) < min_score:
            continue
        if track_key(rec.get("title") or "") != want_t:
            continue
        if want_a not in {artist_key(n) for n in credit_names(rec)}:
            continue
        length = rec.get("length")
        off = abs(length - item.duration_ms) if isinstance(length, int) and item.duration_ms else None
        if off is not None and off > LENGTH_TOLERANCE_MS:
            continue
        key = (off is None, off or 0, not rec.get("isrcs"), -int(rec.get("score", 100) or 0))
        if best_key is None or key < best_key:
            best, best_key = rec, key
    return best


def choose_release(rec: dict, album: str) -> dict | None:
    """The recording's release named like our album (official first)."""
    if not album.strip():
        return None
    want = album_key(album)
    named = [
        r
        for r in rec.get("releases") or []
        if isinstance(r, dict) and album_key(r.get("title") or "") == want
    ]
    named.sort(key=lambda r: (r.get("status") != "Official", r.get("date") or "9999"))
    return named[0] if named else None


class MusicBrainzIds(BaseProvider):
    name = "musicbrainz"
    modality = "ids"
    item_kind = "track"
    service = "musicbrainz"

    def __init__(
        self,
        root: str = DEFAULT_ROOT,
        *,
        per_second: float = DEFAULT_RPS,
        timeout: float = 20.0,
        attempts: int = 4,
        backoff_s: float = 2.0,
        user_agent: str = USER_AGENT,
        min_score: int = 80,
    ):
        self.per_second = per_second
        self.min_score = min_score
        self.http = HttpClient(
            root if root.endswith("/") else root + "/",
            per_second=per_second,
            timeout=timeout,
            attempts=attempts,
            backoff_s=backoff_s,
            user_agent=user_agent,
            classify=classify,
        )
        self.http.limiter = shared_limiter("musicbrainz", per_second)  # shared by every MusicBrainz client

    @property
    def requests_made(self) -> int:
        return self.http.requests_made

    def close(self) -> None:
        self.http.close()

    def fetch(self, item: Item, cancel: CancelToken | None = None) -> Outcome:
        try:
            rec = None
            if item.mbid and _UUID.match(item.mbid):
                try:
                    rec = self.http.get_json(
                        f"recording/{item.mbid.lower()}",
                        {"inc": "isrcs+releases+artist-credits", "fmt": "json"},
                        cancel=cancel,
                    )
                except NotFound:
                    rec = None  # a stale Last.fm MBID: search instead
            if rec is None:
                if not (item.artist.strip() and item.title.strip()):
                    return Outcome.missing("no artist or title to search MusicBrainz with")
                query = f'recording:"{lucene_escape(item.title)}" AND artist:"{lucene_escape(item.artist)}"'
                body = self.http.get_json(
                    "recording", {"query": query, "fmt": "json", "limit": 10}, cancel=cancel
                )
                if not isinstance(body, dict) or not isinstance(body.get("recordings"), list):
                    raise Transient("search answer without recordings")
                rec = choose_recording(body["recordings"], item, self.min_score)
                if rec is None:
                    return Outcome.missing("MusicBrainz: no recording with this artist and title")
                if "isrcs" not in rec:  # some search answers leave ISRCs out: one lookup fills them in
                    rec = (
                        self.http.get_json(
                            f"recording/{rec['id']}", {"inc": "isrcs+releases", "fmt": "json"}, cancel=cancel
                        )
                        or rec
                    )
        except ServiceError as exc:
            return outcome_from_error(exc, "MusicBrainz")
        if not isinstance(rec, dict) or not _UUID.match(str(rec.get("id", ""))):
            return Outcome.error("MusicBrainz: unexpected answer", retry=True)
        release = choose_release(rec, item.album)
        credits = rec.get("artist-credit") or []
        artist_mbid = next(
            (
                c.get("artist", {}).get("id")
                for c in credits
                if isinstance(c, dict) and artist_key(c.get("name") or "") == artist_key(item.artist)
            ),
            None,
        )
        isrcs = [i for i in rec.get("isrcs") or [] if isinstance(i, str)]
        length = rec.get("length")
        return Outcome.ok(
            {
                "mbid": rec["id"],
                "length_ms": length if isinstance(length, int) and length > 0 else None,
                "isrcs": isrcs,
                "release_mbid": (release or {}).get("id"),
                "artist_mbid": artist_mbid,
            },
            source=self.name,
        )

    def save(self, conn: Connection, item: Item, outcome: Outcome, now: int) -> None:
        if outcome.kind != "ok":
            return
        d = outcome.data
        set_track_ids(conn, item.id, mbid=d["mbid"], isrc=(d["isrcs"] or [None])[0])
        fill_durations(conn, {item.id: d.get("length_ms")})  # the recording's length: sessions use it
        if fill_mbid(conn, Album, item.album_id, d.get("release_mbid")) and item.album_id is not None:
            clear_status(conn, "album", item.album_id, "art", only="missing")  # art can be fetched now
        fill_mbid(conn, Artist, item.artist_id, d.get("artist_mbid"))
