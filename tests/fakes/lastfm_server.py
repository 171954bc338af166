"""A realistic fake of the Last.fm 2.0 web service, for tests.

Serves ``/2.0/`` (GET or POST, ``method=...&api_key=...&format=json|xml``) with bodies shaped like the
recorded responses in ``../shared/fixtures/api`` and the desktop web-auth page ``/api/auth/``.

Semantics chosen where Last.fm is vague (all switchable through constructor arguments):

* ``user.getRecentTracks`` pages NEWEST first; ``from`` is inclusive and ``to`` exclusive
  (``from <= uts < to``), i.e. the half-open range the docs' "after"/"before" words allow and the one
  that never serves a boundary play twice to a client that re-uses ``to`` as the next ``from``.
  ``limit`` defaults to 50 and is clamped to 200 (``@attr.perPage`` reports the clamped value).
* The now-playing track is prepended to EVERY page (it is not counted in ``total``; a page then holds
  ``limit + 1`` entries), whatever ``page``/``from``/``to`` say.
* A page holding exactly one entry serves ``track`` as a single object, not a list (XML-to-JSON quirk;
  ``collapse_single=False`` turns it off).  Numbers in ``@attr`` are strings.
* Errors: ``{"error": N, "message": "..."}`` with the HTTP status in :data:`ERROR_STATUS` unless a
  fault or a method overrides it (``*.getTopTags`` errors are HTTP 200, like the real service).

Run standalone for manual GUI testing: ``python tests/fakes/lastfm_server.py --sqlite FILE``.
"""

from __future__ import annotations

import argparse
import bisect
import functools
import hashlib
import json
import secrets
import sqlite3
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus, urlencode
from xml.sax.saxutils import escape as _xml_escape
from xml.sax.saxutils import quoteattr

try:
    from . import lastfm_discovery
    from .discovery_world import DiscoveryWorld
    from .http_fake import FakeService, Reply, Request, html_page
    from .http_fake import Fault as _BaseFault
except ImportError:  # run as a script (``python tests/fakes/lastfm_server.py``): no parent package
    import lastfm_discovery  # type: ignore[no-redef]
    from discovery_world import DiscoveryWorld  # type: ignore[no-redef]
    from http_fake import FakeService, Reply, Request, html_page  # type: ignore[no-redef]
    from http_fake import Fault as _BaseFault  # type: ignore[no-redef]

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "ERROR_MESSAGES",
    "ERROR_STATUS",
    "FakeLastfm",
    "Fault",
    "Play",
    "RecordedRequest",
    "lastfm_signature",
    "load_sqlite_history",
    "plays_from",
]

DEFAULT_API_KEY = "0123456789abcdef0123456789abcdef"
DEFAULT_API_SECRET = "fedcba9876543210fedcba9876543210"

#: The messages the real service sends with each error code.
ERROR_MESSAGES: dict[int, str] = {
    2: "Invalid service - This service does not exist",
    3: "Invalid Method - No method with that name in this package",
    4: "Authentication Failed - You do not have permissions to access the service",
    5: "Invalid format - This service doesn't exist in that format",
    6: "Invalid parameters - Your request is missing a required parameter",
    7: "Invalid resource specified",
    8: "Operation failed - Most likely the backend service failed. Please try again.",
    9: "Invalid session key - Please re-authenticate",
    10: "Invalid API key - You must be granted a valid key by last.fm",
    11: "Service Offline - This service is temporarily offline. Try again later.",
    13: "Invalid method signature supplied",
    14: "Unauthorized Token - This token has not been authorized",
    15: "This token has expired",
    16: "There was a temporary error processing your request. Please try again",
    17: "Login: User required to be logged in",
    26: "Suspended API key - Access for your account has been suspended, please contact Last.fm",
    29: "Rate Limit Exceeded - Your IP has made too many requests in a short period",
}

#: Default HTTP status per error code.  Documented by the community docs: 6 "User not found" 404,
#: 17 403, 29 429, getTopTags errors 200.  The rest follow what the code means: auth/key problems 403,
#: backend failures 500/503, malformed requests 400.  Last.fm also sends error bodies with HTTP 200:
#: use ``Fault.error(code, status=200)`` for that.
ERROR_STATUS: dict[int, int] = {
    2: 503, 3: 400, 4: 403, 5: 400, 6: 400, 7: 400, 8: 500, 9: 403, 10: 403, 11: 503,
    13: 403, 14: 403, 15: 403, 16: 500, 17: 403, 26: 403, 29: 429,
}  # fmt: skip

_IMAGE_SIZES = ("small", "medium", "large", "extralarge")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_CC_BY_SA = (
    "User-contributed text is available under the Creative Commons By-SA License; additional terms may apply."
)
_SIG_EXCLUDED = ("format", "callback", "api_sig")
_MAX_PAGE = 1_000_000
_API_PATH = "/2.0"
_AUTH_PATH = "/api/auth"


# --------------------------------------------------------------------------------------------- data


@dataclass(frozen=True, slots=True)
class Play:
    """One scrobble.  ``id`` is assigned by the server (not part of equality)."""

    artist: str
    track: str
    album: str = ""
    played_at: int = 0
    track_mbid: str = ""
    artist_mbid: str = ""
    album_mbid: str = ""
    loved: bool = False
    id: int | None = field(default=None, compare=False)


PlayLike = Play | Sequence[Any] | Mapping[str, Any]


def _as_play(item: PlayLike) -> Play:
    if isinstance(item, Play):
        return item
    if isinstance(item, Mapping):
        return Play(**item)
    return Play(*item)


def plays_from(items: Iterable[PlayLike]) -> list[Play]:
    """Build plays from Play objects, dicts or tuples ``(artist, track, album, played_at, *mbids)``."""
    return [_as_play(item) for item in items]


def load_sqlite_history(path: str | Path, *, limit: int | None = None) -> list[Play]:
    """Load plays from a spacedlevo-style SQLite export (artists, albums, tracks, listens) in one join.

    Returns plays oldest first; ``limit`` keeps only the most recent ``limit`` plays.
    """
    uri = Path(path).resolve().as_uri() + "?mode=ro"
    sql = (
        "SELECT COALESCE(ar.name, ''), COALESCE(t.name, ''), COALESCE(al.name, ''), l.timestamp,"
        " COALESCE(t.mbid, ''), COALESCE(ar.mbid, ''), COALESCE(al.mbid, '')"
        " FROM listens l JOIN tracks t ON t.id = l.track_id"
        " LEFT JOIN artists ar ON ar.id = t.artist_id"
        " LEFT JOIN albums al ON al.id = t.album_id"
        " ORDER BY l.timestamp DESC, l.id DESC"
    )
    if limit is not None:
        sql += f" LIMIT {int(limit)}"
    con = sqlite3.connect(uri, uri=True)
    try:
        rows = con.execute(sql).fetchall()
    finally:
        con.close()
    rows.reverse()
    return [Play(*row) for row in rows]


def lastfm_signature(params: Mapping[str, Any], secret: str) -> str:
    """``api_sig`` as Last.fm computes it: md5 of sorted ``key+value`` pairs (minus format, callback,
    api_sig) followed by the shared secret, UTF-8, lowercase hex (the service compares case-insensitively)."""
    text = "".join(f"{k}{params[k]}" for k in sorted(params) if k not in _SIG_EXCLUDED)
    return hashlib.md5((text + secret).encode("utf-8")).hexdigest()


@functools.lru_cache(maxsize=1 << 16)
def _q(text: str) -> str:
    return quote_plus(text, safe="()!*")


def _images() -> list[dict[str, str]]:
    return [{"size": size, "#text": ""} for size in _IMAGE_SIZES]


def _date_text(uts: int) -> str:
    t = time.gmtime(uts)
    return f"{t.tm_mday:02d} {_MONTHS[t.tm_mon - 1]} {t.tm_year}, {t.tm_hour:02d}:{t.tm_min:02d}"


# ------------------------------------------------------------------------------------------- faults


@dataclass
class Fault(_BaseFault):
    """Something going wrong for the next matching request(s); build with the classmethods.

    Adds Last.fm's own failures to :class:`http_fake.Fault` (slow, malformed, incomplete, reset,
    close, status): error bodies in the requested format and the "another user's data" bug.
    Targeting is filled in by :meth:`FakeLastfm.inject`; ``fired`` counts how often it was served.
    """

    code: int | None = None
    message: str | None = None
    links: bool = False
    other_user: str | None = None

    @classmethod
    def error(
        cls,
        code: int,
        *,
        status: int | None = None,
        message: str | None = None,
        links: bool = False,
        headers: Mapping[str, str] | None = None,
    ) -> Fault:
        """A Last.fm error body ``{"error": code, "message": ...}`` (real message unless given),
        with :data:`ERROR_STATUS` as HTTP status unless ``status`` is given (200 is realistic too)."""
        status = ERROR_STATUS.get(code, 400) if status is None else status
        return cls(
            "error", Reply(status, headers=dict(headers or {})), code=code, message=message, links=links
        )

    @classmethod
    def http(cls, status: int, body: bytes | str | None = None, *, content_type: str = "text/html") -> Fault:
        """A bare HTTP error (e.g. 500/502/503) with an nginx-style HTML body unless ``body`` is given."""
        fault = cls.status(status, body, content_type=None if body is None else content_type)
        return fault  # type: ignore[return-value] - built by cls

    @classmethod
    def wrong_user(cls, other_user: str) -> Fault:
        """Serve another user's data (the documented 'random results' bug; ``@attr.user`` tells)."""
        return cls("wrong_user", other_user=other_user)


def _int_or(value: str | None, default: int) -> int:
    try:
        return int(value) if value not in (None, "") else default
    except ValueError:
        return default


# ------------------------------------------------------------------------------------ request log


@dataclass
class RecordedRequest(Request):
    """One request as the server saw it.  ``method`` is the API method (``user.getRecentTracks``; ''
    for the web-auth page), ``http_method`` the HTTP verb, ``params`` query plus form body."""

    http_method: str = ""


# --------------------------------------------------------------------------------------- internals


class _ApiError(Exception):
    def __init__(
        self, code: int, message: str | None = None, *, status: int | None = None, links: bool = False
    ):
        super().__init__(code)
        self.code = code
        self.message = message or ERROR_MESSAGES.get(code, "Unknown error")
        self.status = ERROR_STATUS.get(code, 400) if status is None else status
        self.links = links


@dataclass
class _User:
    name: str
    private: bool = False
    registered: int | None = None
    realname: str = ""
    country: str = "None"
    keys: list[tuple[int, int]] = field(default_factory=list)
    by_id: dict[int, Play] = field(default_factory=dict)
    now_playing: Play | None = None


@dataclass
class _Token:
    issued_at: float
    user: str | None = None
    session_key: str | None = None
    used: bool = False
    expired: bool = False


@dataclass
class _Session:
    user: str
    revoked_code: int | None = None


@dataclass
class _ArtistInfo:
    name: str
    bio: str = ""
    summary: str | None = None
    mbid: str = ""
    tags: tuple[str, ...] = ()
    similar: tuple[str, ...] = ()
    listeners: int | None = None
    playcount: int | None = None
    published: str = "01 Jan 2010, 00:00"


def _norm_tags(tags: Iterable[str | tuple[str, int]]) -> list[tuple[str, int]]:
    out: list[tuple[str, int]] = []
    for i, tag in enumerate(tags):
        if isinstance(tag, str):
            out.append((tag, max(1, 100 - 10 * i)))
        else:
            out.append((str(tag[0]), int(tag[1])))
    return out


def _xml_elem(tag: str, value: Any) -> str:
    """Last.fm's JSON is converted XML; this inverts it (``@attr`` and scalar siblings of ``#text``
    become attributes)."""
    if isinstance(value, list):
        return "".join(_xml_elem(tag, v) for v in value)
    if isinstance(value, dict):
        attrs: dict[str, Any] = dict(value.get("@attr", {}))
        items = [(k, v) for k, v in value.items() if k != "@attr"]
        if "#text" in value:
            inner = _xml_escape(str(value["#text"]))
            for k, v in items:
                if k == "#text":
                    continue
                if isinstance(v, dict | list):
                    inner += _xml_elem(k, v)
                else:
                    attrs[k] = v
        else:
            inner = "".join(_xml_elem(k, v) for k, v in items)
        attr_text = "".join(f" {k}={quoteattr(str(v))}" for k, v in attrs.items())
        return f"<{tag}{attr_text}>{inner}</{tag}>" if inner else f"<{tag}{attr_text}/>"
    text = _xml_escape(str(value))
    return f"<{tag}>{text}</{tag}>" if text else f"<{tag}/>"


def _render(
    payload: Mapping[str, Any] | None, fmt: str, status: int, error: _ApiError | None = None
) -> Reply:
    if fmt == "json":
        if error is not None:
            body: dict[str, Any] = {"error": error.code, "message": error.message}
            if error.links:
                body["links"] = []
            payload = body
        return Reply(status, json.dumps(payload, ensure_ascii=False).encode("utf-8"), "application/json")
    if error is not None:
        text = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<lfm status="failed">\n'
            f'<error code="{error.code}">{_xml_escape(error.message)}</error>\n</lfm>\n'
        )
    else:
        assert payload is not None
        inner = "".join(_xml_elem(k, v) for k, v in payload.items())
        text = f'<?xml version="1.0" encoding="UTF-8"?>\n<lfm status="ok">\n{inner}\n</lfm>\n'
    return Reply(status, text.encode("utf-8"), "text/xml; charset=UTF-8")


# -------------------------------------------------------------------------------------------- server


class FakeLastfm(FakeService):
    """The fake service.  ``with FakeLastfm(users={"alice": plays}) as fm: httpx.get(fm.url, params=...)``.

    ``users`` maps user names to plays (``Play``, dicts or tuples); ``private_users`` start with
    "hide recent listening" on.  ``track_tags`` maps ``(artist, track)`` and ``artist_tags`` maps
    artist to tags (names, or ``(name, count)``); ``artist_info`` maps artist to keyword arguments of
    :meth:`set_artist_info`.  ``world`` (a :class:`discovery_world.DiscoveryWorld`) answers the
    discovery methods ``artist.getSimilar``, ``artist.getTopTracks``, ``track.getSimilar`` and
    ``tag.getTopTracks`` (``lastfm_discovery``); their error 6 comes with ``discovery_error_status``
    (200 by default: Last.fm sends error bodies with HTTP 200) and ``similar_tracks_empty="lfm"``
    answers an unknown track with an empty document instead of an empty list.  ``rate_limit``
    (requests per ``rate_window`` seconds) makes the server
    itself answer error 29 beyond it.  ``auto_approve_user`` approves every token whose auth page is
    visited.  ``tls=True`` serves HTTPS with a throwaway CA (``cafile``), e.g. for pylast.

    Transport, faults, rate limiting and the request log come from :class:`http_fake.FakeService`.
    """

    name = "lastfm"
    limited_prefix = _API_PATH
    headers = {"Access-Control-Allow-Origin": "*"}

    def __init__(
        self,
        users: Mapping[str, Iterable[PlayLike]] | None = None,
        *,
        private_users: Iterable[str] = (),
        api_key: str = DEFAULT_API_KEY,
        api_secret: str = DEFAULT_API_SECRET,
        track_tags: Mapping[tuple[str, str], Iterable[str | tuple[str, int]]] | None = None,
        artist_tags: Mapping[str, Iterable[str | tuple[str, int]]] | None = None,
        artist_info: Mapping[str, Mapping[str, Any]] | None = None,
        track_lengths: Mapping[tuple[str, str], int] | None = None,
        max_limit: int = 200,
        default_limit: int = 50,
        from_inclusive: bool = True,
        to_inclusive: bool = False,
        collapse_single: bool = True,
        legacy_empty: bool = False,
        rate_limit: float | None = None,
        rate_window: float = 1.0,
        token_ttl: float = 3600.0,
        auto_approve_user: str | None = None,
        tls: bool = False,
        world: DiscoveryWorld | None = None,
        discovery_error_status: int = 200,
        similar_tracks_empty: str = "list",
    ) -> None:
        super().__init__(rate_limit=rate_limit, rate_window=rate_window, tls=tls)
        self.world = world if world is not None else DiscoveryWorld()
        self.discovery_error_status = discovery_error_status
        self.similar_tracks_empty = similar_tracks_empty
        self.api_key = api_key
        self.api_secret = api_secret
        self.max_limit = max_limit
        self.default_limit = default_limit
        self.from_inclusive = from_inclusive
        self.to_inclusive = to_inclusive
        self.collapse_single = collapse_single
        self.legacy_empty = legacy_empty
        self.token_ttl = token_ttl
        self.auto_approve_user = auto_approve_user
        self._users: dict[str, _User] = {}
        self._next_id = 1
        self._artist_refs: Counter[str] = Counter()
        self._track_tags: dict[tuple[str, str], tuple[str, str, list[tuple[str, int]]]] = {}
        self._artist_tags: dict[str, tuple[str, list[tuple[str, int]]]] = {}
        self._artist_info: dict[str, _ArtistInfo] = {}
        self._track_lengths: dict[tuple[str, str], tuple[str, str, int]] = {}
        self._tokens: dict[str, _Token] = {}
        self._sessions: dict[str, _Session] = {}
        self._suspended_keys: set[str] = set()
        self._methods: dict[str, Callable[[dict[str, str], str | None], dict[str, Any]]] = {
            "user.getrecenttracks": self._m_recent_tracks,
            "user.getinfo": self._m_user_info,
            "auth.gettoken": self._m_get_token,
            "auth.getsession": self._m_get_session,
            "track.gettoptags": self._m_track_top_tags,
            "artist.gettoptags": self._m_artist_top_tags,
            "artist.getinfo": self._m_artist_info,
            "track.getinfo": self._m_track_info,
            "artist.getsimilar": self._discovery(lastfm_discovery.similar_artists),
            "artist.gettoptracks": self._discovery(lastfm_discovery.top_tracks),
            "track.getsimilar": self._discovery(lastfm_discovery.similar_tracks, empty=True),
            "tag.gettoptracks": self._discovery(lastfm_discovery.tag_tracks),
        }

        private = {u.casefold() for u in private_users}
        for name, plays in (users or {}).items():
            self.add_user(name, plays, private=name.casefold() in private)
        for (artist, track), tags in (track_tags or {}).items():
            self.set_track_tags(artist, track, tags)
        for artist, tags in (artist_tags or {}).items():
            self.set_artist_tags(artist, tags)
        for artist, info in (artist_info or {}).items():
            self.set_artist_info(artist, **info)
        for (artist, track), ms in (track_lengths or {}).items():
            self.set_track_length(artist, track, ms)

    # ------------------------------------------------------------------ addresses

    @property
    def url(self) -> str:
        """The API root, ``http(s)://127.0.0.1:PORT/2.0/``."""
        return f"{self.root}{_API_PATH}/"

    def auth_url(self, token: str, api_key: str | None = None) -> str:
        """The web-auth page a desktop app opens in the browser for ``token``."""
        return f"{self.root}{_AUTH_PATH}/?{urlencode({'api_key': api_key or self.api_key, 'token': token})}"

    # ------------------------------------------------------------------ users and history

    def add_user(
        self,
        name: str,
        plays: Iterable[PlayLike] = (),
        *,
        private: bool = False,
        registered: int | None = None,
        realname: str = "",
        country: str = "None",
    ) -> list[int]:
        """Create a user (names are case-insensitive) with a history; returns the play ids."""
        with self._lock:
            if name.casefold() in self._users:
                raise ValueError(f"user {name!r} exists")
            self._users[name.casefold()] = _User(name, private, registered, realname, country)
            return self.add_plays(plays, user=name)

    def set_private(self, user: str, private: bool = True) -> None:
        """Turn "hide recent listening information" on or off for ``user``."""
        with self._lock:
            self._user(user).private = private

    @property
    def users(self) -> list[str]:
        """User names in creation order."""
        with self._lock:
            return [u.name for u in self._users.values()]

    def _user(self, user: str | None) -> _User:
        if user is None:
            if not self._users:
                raise LookupError("no users: add_user() first")
            return next(iter(self._users.values()))
        try:
            return self._users[user.casefold()]
        except KeyError:
            raise LookupError(f"unknown user {user!r}") from None

    def add_plays(self, plays: Iterable[PlayLike], *, user: str | None = None) -> list[int]:
        """Add scrobbles (new ones arriving, or backdated); returns their ids."""
        with self._lock:
            u = self._user(user)
            new = plays_from(plays)
            ids = list(range(self._next_id, self._next_id + len(new)))
            self._next_id += len(new)
            keys = []
            for pid, p in zip(ids, new, strict=True):
                u.by_id[pid] = replace(p, played_at=int(p.played_at), id=pid)
                keys.append((int(p.played_at), pid))
                self._artist_refs[p.artist.casefold()] += 1
            if len(keys) > 64:
                u.keys.extend(keys)
                u.keys.sort()
            else:
                for key in keys:
                    bisect.insort(u.keys, key)
            return ids

    def scrobble(
        self,
        artist: str,
        track: str,
        album: str = "",
        played_at: int | None = None,
        *,
        user: str | None = None,
        **extra: Any,
    ) -> int:
        """Add one play (``played_at`` defaults to now); returns its id."""
        ts = int(time.time()) if played_at is None else played_at
        return self.add_plays([Play(artist, track, album, ts, **extra)], user=user)[0]

    def delete_play(self, play_id: int, *, user: str | None = None) -> Play:
        """Delete a scrobble (as the user can on the website); returns it."""
        with self._lock:
            u = self._user(user)
            play = u.by_id.pop(play_id)
            u.keys.pop(bisect.bisect_left(u.keys, (play.played_at, play_id)))
            self._artist_refs[play.artist.casefold()] -= 1
            return play

    def edit_play(self, play_id: int, *, user: str | None = None, **changes: Any) -> Play:
        """Edit a scrobble's fields (track, artist, album, mbids, loved, played_at); returns the new play."""
        with self._lock:
            u = self._user(user)
            old = u.by_id[play_id]
            new = replace(old, **changes)
            if new.played_at != old.played_at:
                u.keys.pop(bisect.bisect_left(u.keys, (old.played_at, play_id)))
                bisect.insort(u.keys, (new.played_at, play_id))
            self._artist_refs[old.artist.casefold()] -= 1
            self._artist_refs[new.artist.casefold()] += 1
            u.by_id[play_id] = new
            return new

    def set_now_playing(self, play: PlayLike | None, *, user: str | None = None) -> None:
        """Set (or clear with None) the now-playing track; its ``played_at`` is ignored."""
        with self._lock:
            self._user(user).now_playing = None if play is None else _as_play(play)

    def history(self, *, user: str | None = None, newest_first: bool = True) -> list[Play]:
        """The plays as stored (with ids)."""
        with self._lock:
            u = self._user(user)
            keys = reversed(u.keys) if newest_first else u.keys
            return [u.by_id[pid] for _, pid in keys]

    def find_plays(self, *, user: str | None = None, **fields: Any) -> list[Play]:
        """Plays whose fields equal the given values (e.g. ``played_at=...``), newest first."""
        return [p for p in self.history(user=user) if all(getattr(p, k) == v for k, v in fields.items())]

    # ------------------------------------------------------------------ tags and bios

    def set_track_tags(self, artist: str, track: str, tags: Iterable[str | tuple[str, int]]) -> None:
        """Top tags for a track (names get descending counts 100, 90, ...)."""
        with self._lock:
            self._track_tags[(artist.casefold(), track.casefold())] = (artist, track, _norm_tags(tags))

    def set_track_length(self, artist: str, track: str, duration_ms: int) -> None:
        """The ``duration`` track.getInfo reports (ms; 0 is Last.fm's "unknown")."""
        with self._lock:
            self._track_lengths[(artist.casefold(), track.casefold())] = (artist, track, int(duration_ms))

    def set_artist_tags(self, artist: str, tags: Iterable[str | tuple[str, int]]) -> None:
        """Top tags for an artist (an empty list gives the real empty 200 body)."""
        with self._lock:
            self._artist_tags[artist.casefold()] = (artist, _norm_tags(tags))

    def set_artist_info(
        self,
        artist: str,
        *,
        bio: str = "",
        summary: str | None = None,
        mbid: str = "",
        tags: Iterable[str] = (),
        similar: Iterable[str] = (),
        listeners: int | None = None,
        playcount: int | None = None,
        published: str = "01 Jan 2010, 00:00",
    ) -> None:
        """Register an artist for artist.getInfo.  ``bio`` is the wiki text (``content``); ``summary``
        defaults to its first paragraph.  Last.fm's "Read more" link and CC BY-SA line are appended."""
        with self._lock:
            self._artist_info[artist.casefold()] = _ArtistInfo(
                artist, bio, summary, mbid, tuple(tags), tuple(similar), listeners, playcount, published
            )

    # ------------------------------------------------------------------ auth helpers

    def sign(self, params: Mapping[str, Any]) -> str:
        """``api_sig`` for ``params`` with this server's secret."""
        return lastfm_signature(params, self.api_secret)

    def signed(self, params: Mapping[str, Any]) -> dict[str, str]:
        """``params`` (as strings) plus ``api_key`` if missing and a valid ``api_sig``."""
        out = {k: str(v) for k, v in params.items()}
        out.setdefault("api_key", self.api_key)
        out.pop("api_sig", None)
        out["api_sig"] = self.sign(out)
        return out

    def issue_token(self) -> str:
        """Create a token as auth.getToken would."""
        with self._lock:
            token = secrets.token_hex(16)
            self._tokens[token] = _Token(time.time())
            return token

    def approve_token(self, token: str, username: str, session_key: str | None = None) -> str:
        """Mark ``token`` as authorised by ``username`` (what the user does in the browser); returns the
        session key auth.getSession will hand out."""
        with self._lock:
            tok = self._tokens.setdefault(token, _Token(time.time()))
            tok.user = username
            tok.session_key = session_key or secrets.token_hex(16)
            return tok.session_key

    def expire_token(self, token: str) -> None:
        """Make ``token`` expired (auth.getSession then answers error 15)."""
        with self._lock:
            self._tokens.setdefault(token, _Token(time.time())).expired = True

    def add_session(self, username: str, session_key: str | None = None) -> str:
        """Create a session directly (skipping the browser flow); returns the session key."""
        with self._lock:
            sk = session_key or secrets.token_hex(16)
            self._sessions[sk] = _Session(username)
            return sk

    def revoke_session(self, session_key: str, code: int = 9) -> None:
        """Requests with this session key then fail with ``code`` (9 invalid session, 4 auth failed)."""
        with self._lock:
            self._sessions.setdefault(session_key, _Session("")).revoked_code = code

    def suspend_api_key(self, suspended: bool = True) -> None:
        """Every request with the API key then fails with error 26."""
        with self._lock:
            (self._suspended_keys.add if suspended else self._suspended_keys.discard)(self.api_key)

    @property
    def sessions(self) -> dict[str, str]:
        """Session key -> user name of every live session."""
        with self._lock:
            return {k: s.user for k, s in self._sessions.items() if s.revoked_code is None}

    # ------------------------------------------------------------------ faults

    def inject(  # type: ignore[override]
        self,
        fault: Fault | int,
        *,
        method: str | None = None,
        page: int | None = None,
        user: str | None = None,
        times: int | None = 1,
        when: Callable[[dict[str, str]], bool] | None = None,
        status: int | None = None,
    ) -> Fault:
        """Queue a fault (or an error code) for the next ``times`` API requests (``None`` = forever)
        for ``method`` (case-insensitive), ``page`` (absent = 1), ``user`` and where ``when(params)``
        holds.  Faults are tried in injection order; the first match is served.  Returns the armed
        fault, whose ``fired`` counts uses."""
        if isinstance(fault, int):
            fault = Fault.error(fault, status=status)

        def targets(req: Request) -> bool:
            p = req.params
            return (
                req.path.rstrip("/") == _API_PATH
                and (method is None or p.get("method", "").lower() == method.lower())
                and (page is None or _int_or(p.get("page"), 1) == page)
                and (user is None or p.get("user", "").casefold() == user.casefold())
                and (when is None or bool(when(dict(p))))
            )

        return super().inject(fault, times=times, when=targets)  # type: ignore[return-value]

    # ------------------------------------------------------------------ request log

    @property
    def requests(self) -> list[RecordedRequest]:  # type: ignore[override]
        """Every API request so far (oldest first)."""
        return [r for r in super().requests if r.path.rstrip("/") == _API_PATH]  # type: ignore[misc]

    @property
    def web_requests(self) -> list[RecordedRequest]:
        """Every request to the web-auth page."""
        return [r for r in super().requests if r.path.rstrip("/") == _AUTH_PATH]  # type: ignore[misc]

    def calls(self, method: str | None = None) -> list[RecordedRequest]:  # type: ignore[override]
        """API requests, optionally only those for ``method`` (case-insensitive)."""
        return [r for r in self.requests if method is None or r.method.lower() == method.lower()]

    def request_count(self, method: str | None = None) -> int:
        """Number of API requests (for ``method``)."""
        return self.count(method)

    def max_requests_in(self, window: float = 1.0, method: str | None = None) -> int:
        """The most API requests (for ``method``) that arrived within any half-open ``window`` seconds."""
        return super().max_requests_in(window, method)

    # ------------------------------------------------------------------ HTTP entry point (FakeService hooks)

    def make_request(
        self, verb: str, path: str, query: dict[str, str], params: dict[str, str], headers: dict[str, str]
    ) -> RecordedRequest:
        return RecordedRequest(
            time.time(), time.monotonic(), params.get("method", ""), path, query, headers,
            params=params, http_method=verb,
        )  # fmt: skip

    def route(self, req: RecordedRequest) -> Reply:  # type: ignore[override] - make_request builds them
        path = req.path.rstrip("/")
        if path == _AUTH_PATH:
            return self._web_auth(req.http_method, req.params)
        if path == _API_PATH:
            return self._dispatch(req.params, req)
        return self.default_error(404, req)

    def rate_limited(self, req: Request) -> Reply:
        req.outcome = "error 29 (rate limit)"
        return _render(None, self._fmt(req.params), 429, _ApiError(29))

    def custom_fault(self, fault: _BaseFault, req: Request) -> Reply | None:
        if fault.kind == "error":
            assert isinstance(fault, Fault) and fault.code is not None and fault.reply is not None
            req.outcome += f" {fault.code}"
            err = _ApiError(fault.code, fault.message, status=fault.reply.status, links=fault.links)
            reply = _render(None, self._fmt(req.params), err.status, err)
            reply.headers.update(fault.reply.headers)
            return reply
        if fault.kind == "wrong_user":
            assert isinstance(fault, Fault)
            return self._dispatch({**req.params, "user": fault.other_user or ""}, req)
        return super().custom_fault(fault, req)

    @staticmethod
    def _fmt(params: Mapping[str, str]) -> str:
        return "json" if params.get("format", "").lower() == "json" else "xml"

    def _dispatch(self, params: dict[str, str], record: Request) -> Reply:
        fmt_raw = params.get("format", "xml").lower() or "xml"
        fmt = self._fmt(params)
        try:
            if fmt_raw not in ("json", "xml"):
                raise _ApiError(5)
            api_key = params.get("api_key", "")
            if api_key != self.api_key:
                raise _ApiError(10)
            with self._lock:
                if api_key in self._suspended_keys:
                    raise _ApiError(26)
            handler = self._methods.get(params.get("method", "").lower())
            if handler is None:
                raise _ApiError(3)
            session_user = self._check_auth(params)
            with self._lock:
                payload = handler(params, session_user)
        except _ApiError as err:
            record.outcome = record.outcome or f"error {err.code}"
            return _render(None, fmt, err.status, err)
        record.outcome = record.outcome or "ok"
        return _render(payload, fmt, 200)

    def _check_auth(self, params: Mapping[str, str]) -> str | None:
        needs_sig = params.get("method", "").lower() == "auth.getsession" or "sk" in params
        if needs_sig or "api_sig" in params:
            given = params.get("api_sig", "")
            if not given or given.lower() != self.sign(params):
                raise _ApiError(13)
        if "sk" not in params:
            return None
        with self._lock:
            session = self._sessions.get(params["sk"])
        if session is None:
            raise _ApiError(9)
        if session.revoked_code is not None:
            raise _ApiError(session.revoked_code)
        return session.user

    # ------------------------------------------------------------------ methods (called under lock)

    def _discovery(self, fn: Callable[..., dict[str, Any]], empty: bool = False):
        def method(params: dict[str, str], session_user: str | None) -> dict[str, Any]:
            required_params = {
                lastfm_discovery.tag_tracks: ("tag",),
                lastfm_discovery.similar_tracks: ("artist", "track"),
            }
            for required in required_params.get(fn, ("artist",)):
                if not params.get(required):
                    raise _ApiError(
                        6, f"Invalid parameters - Your request is missing the [{required}] parameter"
                    )
            extra = {"empty": self.similar_tracks_empty} if empty else {}
            try:
                return fn(self.world, params, self.collapse_single, **extra)
            except lastfm_discovery.Unknown as exc:
                raise _ApiError(6, str(exc), status=self.discovery_error_status, links=True) from None

        return method

    def _lookup_user(self, params: Mapping[str, str], session_user: str | None) -> _User:
        name = params.get("user") or session_user
        if not name:
            raise _ApiError(6, "Invalid parameters - Your request is missing the [user] parameter")
        user = self._users.get(name.casefold())
        if user is None:
            raise _ApiError(6, "User not found", status=404)
        return user

    @staticmethod
    def _can_see(user: _User, session_user: str | None) -> bool:
        return not user.private or (
            session_user is not None and session_user.casefold() == user.name.casefold()
        )

    def _m_recent_tracks(self, params: dict[str, str], session_user: str | None) -> dict[str, Any]:
        user = self._lookup_user(params, session_user)
        if not self._can_see(user, session_user):
            raise _ApiError(17)
        try:
            limit = int(params.get("limit") or self.default_limit)
            page = int(params.get("page") or 1)
            t_from = int(params["from"]) if params.get("from") else None
            t_to = int(params["to"]) if params.get("to") else None
        except ValueError:
            raise _ApiError(6) from None
        if not 1 <= page <= _MAX_PAGE:
            raise _ApiError(6, f"page param out of bounds (1-{_MAX_PAGE})")
        limit = self.default_limit if limit < 1 else min(limit, self.max_limit)
        extended = params.get("extended", "0").lower() in ("1", "true")

        keys = user.keys
        lo = 0
        if t_from is not None:
            lo = bisect.bisect_left(keys, (t_from if self.from_inclusive else t_from + 1, -1))
        hi = len(keys)
        if t_to is not None:
            hi = bisect.bisect_left(keys, (t_to + 1 if self.to_inclusive else t_to, -1))
        hi = max(lo, hi)
        total = hi - lo
        total_pages = -(-total // limit)
        start = hi - (page - 1) * limit
        stop = max(lo, start - limit)
        chosen = [user.by_id[pid] for _, pid in reversed(keys[stop:start])] if start > lo else []

        tracks = [self._track_json(p, extended) for p in chosen]
        if user.now_playing is not None:
            tracks.insert(0, self._track_json(user.now_playing, extended, now_playing=True))
        attr = {
            "perPage": str(limit),
            "totalPages": str(total_pages),
            "page": str(page),
            "total": str(total),
            "user": user.name,
        }
        if not tracks and self.legacy_empty:
            return {"recenttracks": {"#text": "\n", **attr, "page": "0"}}
        track_value: Any = tracks[0] if len(tracks) == 1 and self.collapse_single else tracks
        return {"recenttracks": {"track": track_value, "@attr": attr}}

    @staticmethod
    def _track_json(p: Play, extended: bool, now_playing: bool = False) -> dict[str, Any]:
        artist_url = f"https://www.last.fm/music/{_q(p.artist)}"
        out: dict[str, Any] = {}
        if now_playing:
            out["@attr"] = {"nowplaying": "true"}
        if extended:
            out["artist"] = {"url": artist_url, "name": p.artist, "image": _images(), "mbid": p.artist_mbid}
        else:
            out["artist"] = {"mbid": p.artist_mbid, "#text": p.artist}
        out["streamable"] = "0"
        out["image"] = _images()
        out["mbid"] = p.track_mbid
        out["album"] = {"mbid": p.album_mbid, "#text": p.album}
        out["name"] = p.track
        out["url"] = f"{artist_url}/_/{_q(p.track)}"
        if extended:
            out["loved"] = "1" if p.loved else "0"
        if not now_playing:
            out["date"] = {"uts": str(p.played_at), "#text": _date_text(p.played_at)}
        return out

    def _m_user_info(self, params: dict[str, str], session_user: str | None) -> dict[str, Any]:
        user = self._lookup_user(params, session_user)
        plays = list(user.by_id.values())
        registered = user.registered
        if registered is None:
            registered = (min(user.keys)[0] - 86400) if user.keys else 1_100_000_000
        info: dict[str, Any] = {
            "name": user.name,
            "age": "0",
            "subscriber": "0",
            "realname": user.realname,
            "bootstrap": "0",
            "playcount": str(len(plays)),
            "artist_count": str(len({p.artist.casefold() for p in plays})),
            "playlists": "0",
            "track_count": str(len({(p.artist.casefold(), p.track.casefold()) for p in plays})),
            "album_count": str(len({(p.artist.casefold(), p.album.casefold()) for p in plays if p.album})),
            "image": _images(),
            "registered": {"unixtime": str(registered), "#text": registered},
            "country": user.country,
            "gender": "n",
            "url": f"https://www.last.fm/user/{_q(user.name)}",
            "type": "user",
        }
        if not self._can_see(user, session_user):
            for key in ("playcount", "artist_count", "track_count", "album_count"):
                del info[key]
        return {"user": info}

    def _m_get_token(self, params: dict[str, str], session_user: str | None) -> dict[str, Any]:
        return {"token": self.issue_token()}

    def _m_get_session(self, params: dict[str, str], session_user: str | None) -> dict[str, Any]:
        token = params.get("token")
        if not token:
            raise _ApiError(6)
        tok = self._tokens.get(token)
        if tok is None:
            raise _ApiError(4, "Invalid authentication token supplied")
        if tok.used or tok.expired or time.time() - tok.issued_at > self.token_ttl:
            raise _ApiError(15)
        if tok.user is None or tok.session_key is None:
            raise _ApiError(14)
        tok.used = True
        self._sessions[tok.session_key] = _Session(tok.user)
        return {"session": {"name": tok.user, "key": tok.session_key, "subscriber": 0}}

    def _artist_known(self, artist: str) -> bool:
        a = artist.casefold()
        return (
            self._artist_refs[a] > 0
            or a in self._artist_tags
            or a in self._artist_info
            or any(k[0] == a for k in self._track_tags)
            or any(
                u.now_playing is not None and u.now_playing.artist.casefold() == a
                for u in self._users.values()
            )
        )

    def _tags_json(self, tags: list[tuple[str, int]]) -> Any:
        out = [
            {"count": c, "name": n, "url": f"https://www.last.fm/tag/{quote_plus(n, safe='')}"}
            for n, c in tags
        ]
        return out[0] if len(out) == 1 and self.collapse_single else out

    def _m_track_top_tags(self, params: dict[str, str], session_user: str | None) -> dict[str, Any]:
        artist, track = self._track_named(params)
        entry = self._track_tags.get((artist.casefold(), track.casefold()))
        if entry is None and not self._artist_known(artist):
            raise _ApiError(6, "Track not found", status=200, links=True)
        name_a, name_t, tags = entry if entry is not None else (artist, track, [])
        return {"toptags": {"tag": self._tags_json(tags), "@attr": {"artist": name_a, "track": name_t}}}

    def _track_named(self, params: dict[str, str]) -> tuple[str, str]:
        """(artist, track) of a track method's call: its names, or the play whose track MBID it gives."""
        artist, track = params.get("artist", ""), params.get("track", "")
        if not (artist and track) and params.get("mbid"):
            found = next(
                (p for u in self._users.values() for p in u.by_id.values() if p.track_mbid == params["mbid"]),
                None,
            )
            if found is None:
                raise _ApiError(6, "Track not found", status=200, links=True)
            artist, track = found.artist, found.track
        if not (artist and track):
            raise _ApiError(6)
        return artist, track

    def _track_known(self, artist: str, track: str) -> bool:
        key = (artist.casefold(), track.casefold())
        return (
            key in self._track_lengths
            or key in self._track_tags
            or any(
                p.artist.casefold() == key[0] and p.track.casefold() == key[1]
                for u in self._users.values()
                for p in u.by_id.values()
            )
        )

    def _m_track_info(self, params: dict[str, str], session_user: str | None) -> dict[str, Any]:
        """track.getInfo in the shape of the recorded bodies (``json_examples/track.getInfo.*.json``):
        ``duration`` in ms as a string, ``"0"`` when unknown; an unknown track is error 6 with HTTP 200."""
        artist, track = self._track_named(params)
        if not self._track_known(artist, track):
            raise _ApiError(6, "Track not found", status=200, links=True)
        name_a, name_t, ms = self._track_lengths.get(
            (artist.casefold(), track.casefold()), (artist, track, 0)
        )
        entry = self._track_tags.get((artist.casefold(), track.casefold()))
        tags = [
            {"name": n, "url": f"https://www.last.fm/tag/{quote_plus(n, safe='')}"}
            for n, _ in (entry[2] if entry else [])
        ]
        return {
            "track": {
                "name": name_t,
                "url": f"https://www.last.fm/music/{_q(name_a)}/_/{_q(name_t)}",
                "duration": str(ms),
                "streamable": {"#text": "0", "fulltrack": "0"},
                "listeners": "1",
                "playcount": "1",
                "artist": {"name": name_a, "url": f"https://www.last.fm/music/{_q(name_a)}"},
                "toptags": {"tag": tags[:5]},
            }
        }

    def _m_artist_top_tags(self, params: dict[str, str], session_user: str | None) -> dict[str, Any]:
        artist = params.get("artist", "")
        if not artist:
            raise _ApiError(6)
        if not self._artist_known(artist):
            raise _ApiError(6, "The artist you supplied could not be found", status=200, links=True)
        name, tags = self._artist_tags.get(artist.casefold(), (artist, []))
        return {"toptags": {"tag": self._tags_json(tags), "@attr": {"artist": name}}}

    def _m_artist_info(self, params: dict[str, str], session_user: str | None) -> dict[str, Any]:
        artist = params.get("artist", "")
        info: _ArtistInfo | None = None
        if params.get("mbid") and not artist:
            info = next((i for i in self._artist_info.values() if i.mbid and i.mbid == params["mbid"]), None)
            if info is None:
                raise _ApiError(6, "The artist you supplied could not be found", status=404, links=True)
            artist = info.name
        if not artist:
            raise _ApiError(6)
        info = info or self._artist_info.get(artist.casefold())
        if info is None:
            if not self._artist_known(artist):
                raise _ApiError(6, "The artist you supplied could not be found", status=404, links=True)
            info = _ArtistInfo(artist)
        key = info.name.casefold()
        per_user = {
            u.name: sum(1 for p in u.by_id.values() if p.artist.casefold() == key)
            for u in self._users.values()
        }
        stats = {
            "listeners": str(
                info.listeners if info.listeners is not None else sum(1 for n in per_user.values() if n)
            ),
            "playcount": str(info.playcount if info.playcount is not None else sum(per_user.values())),
        }
        username = params.get("username")
        if username and username.casefold() in self._users:
            stats["userplaycount"] = str(per_user[self._users[username.casefold()].name])
        url = f"https://www.last.fm/music/{_q(info.name)}"
        read_more = f'<a href="{url}">Read more on Last.fm</a>'
        summary = info.summary if info.summary is not None else info.bio.split("\n\n", 1)[0]
        return {
            "artist": {
                "name": info.name,
                "mbid": info.mbid,
                "url": url,
                "image": _images(),
                "streamable": "0",
                "ontour": "0",
                "stats": stats,
                "similar": {
                    "artist": [
                        {"name": s, "url": f"https://www.last.fm/music/{_q(s)}", "image": _images()}
                        for s in info.similar
                    ]
                },
                "tags": {
                    "tag": [
                        {"name": t, "url": f"https://www.last.fm/tag/{quote_plus(t, safe='')}"}
                        for t in info.tags
                    ]
                },
                "bio": {
                    "links": {
                        "link": {
                            "#text": "",
                            "rel": "original",
                            "href": f"https://last.fm/music/{_q(info.name)}/+wiki",
                        }
                    },
                    "published": info.published,
                    "summary": f"{summary} {read_more}" if summary else f" {read_more}",
                    "content": f"{info.bio} {read_more}. {_CC_BY_SA}" if info.bio else "",
                },
            }
        }

    # ------------------------------------------------------------------ web auth page

    def _web_auth(self, verb: str, params: dict[str, str]) -> Reply:
        token = params.get("token", "")
        if params.get("api_key") != self.api_key:
            return html_page(400, "Last.fm - Invalid API key", "<h1>Invalid API key</h1>")
        with self._lock:
            tok = self._tokens.get(token)
        if tok is None:
            return html_page(400, "Last.fm - Invalid token", "<h1>This token is invalid or has expired</h1>")
        username = params.get("username") or self.auto_approve_user
        if username and (verb == "POST" or self.auto_approve_user):
            self.approve_token(token, username)
            return html_page(
                200,
                "Application authenticated | Last.fm",
                f"<h1>Application authenticated</h1><p>Signed in as {_xml_escape(username)}. "
                "You can close this window and return to the application.</p>",
            )
        form = (
            "<h1>Connect application</h1><p>An application would like to connect to your Last.fm account.</p>"
            '<form method="post" action="/api/auth/">'
            f'<input type="hidden" name="api_key" value={quoteattr(self.api_key)}>'
            f'<input type="hidden" name="token" value={quoteattr(token)}>'
            '<label>Username <input name="username"></label>'
            '<button type="submit" name="decision" value="yes">Yes, allow access</button></form>'
        )
        return html_page(200, "Connect application | Last.fm", form)


# ------------------------------------------------------------------------------------ pytest glue

try:
    import pytest
except ImportError:  # pragma: no cover - usable without pytest (standalone server)
    pytest = None  # type: ignore[assignment]

if pytest is not None:

    @pytest.fixture
    def fake_lastfm() -> Iterator[FakeLastfm]:
        """A running fake with one public user ``testuser`` and no plays."""
        with FakeLastfm(users={"testuser": []}) as server:
            yield server

    @pytest.fixture
    def fake_lastfm_factory() -> Iterator[Callable[..., FakeLastfm]]:
        """``make(**FakeLastfm kwargs) -> started FakeLastfm``; every server is stopped at teardown."""
        servers: list[FakeLastfm] = []

        def make(**kwargs: Any) -> FakeLastfm:
            server = FakeLastfm(**kwargs).start()
            servers.append(server)
            return server

        yield make
        for server in servers:
            server.stop()


def main(argv: Sequence[str] | None = None) -> None:
    """Serve a history until interrupted (for trying the app by hand)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sqlite", type=Path, help="spacedlevo-style SQLite history")
    parser.add_argument("--user", default="testuser")
    parser.add_argument("--private", action="store_true")
    parser.add_argument("--tls", action="store_true")
    args = parser.parse_args(argv)
    plays = load_sqlite_history(args.sqlite) if args.sqlite else []
    with FakeLastfm(
        users={args.user: plays},
        private_users=[args.user] if args.private else [],
        auto_approve_user=args.user,
        tls=args.tls,
    ) as server:
        print(
            f"API root {server.url}  api_key={server.api_key}  secret={server.api_secret}  plays={len(plays)}"
        )
        if server.cafile:
            print(f"CA file {server.cafile}")
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            pass


if __name__ == "__main__":
    main()
