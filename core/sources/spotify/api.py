"""The few Spotify Web API calls Segue makes: who am I, find a track, make a playlist, add to it.

Only display, linking and playlist export (docs/architecture.md §5; Spotify's terms forbid using API content to
train models). Uses the post-February-2026 endpoints that development-mode apps keep:
``POST /me/playlists`` and ``POST /playlists/{id}/items``; search asks for at most 10 results.
Rate limits (429 + Retry-After) and transient errors are retried by ``core.net.HttpClient``; an
expired token (401) is refreshed once and the call repeated; refreshed tokens are stored.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from typing import Any

import httpx

from core.jobs import CancelToken, Progress
from core.net import AuthRequired, HttpClient, ServiceError, default_classify
from core.normalize import artist_key, track_key
from core.sources.spotify import auth
from core.sources.spotify.auth import Tokens

MAX_ADD = 100


def _classify(resp: httpx.Response) -> ServiceError | None:
    err = default_classify(resp)
    if err is None:
        return None
    try:
        body = resp.json()
        message = body.get("error", {}).get("message") if isinstance(body.get("error"), dict) else None
    except ValueError:
        message = None
    if message:
        err.args = (f"{err.args[0]}: {message}",)
    return err


class SpotifyApi:
    def __init__(
        self,
        client_id: str,
        tokens: Tokens | None = None,
        *,
        api_root: str = auth.API_ROOT,
        accounts_root: str = auth.ACCOUNTS_ROOT,
        per_second: float = 5.0,
        attempts: int = 4,
        backoff_s: float = 1.0,
        persist: bool = True,
    ):
        self.client_id = client_id
        self.tokens = tokens or auth.load_tokens()
        if self.tokens is None:
            raise AuthRequired("Spotify is not connected; connect it under Accounts & import")
        self.accounts_root = accounts_root
        self.persist = persist
        self.http = HttpClient(
            api_root.rstrip("/"),
            per_second=per_second,
            attempts=attempts,
            backoff_s=backoff_s,
            classify=_classify,
        )

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> SpotifyApi:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _refresh(self) -> None:
        self.tokens = auth.refresh(self.client_id, self.tokens, self.accounts_root)
        if self.persist:
            auth.save_tokens(self.tokens)

    def call(self, method: str, path: str, *, cancel: CancelToken | None = None, **kwargs) -> Any:
        if self.tokens.expired():
            self._refresh()
        for attempt in (0, 1):
            headers = {"Authorization": f"Bearer {self.tokens.access_token}"}
            try:
                return self.http.request(
                    method,
                    path,
                    cancel=cancel,
                    headers=headers,
                    parse=lambda r: r.json() if r.content else {},
                    **kwargs,
                )
            except AuthRequired:
                if attempt == 1 or not self.tokens.refresh_token:
                    raise
                self._refresh()
        raise AssertionError("unreachable")

    # -- endpoints --------------------------------------------------------------------------
    def me(self, cancel: CancelToken | None = None) -> dict:
        return self.call("GET", "/me", cancel=cancel)

    def search_track(self, artist: str, title: str, cancel: CancelToken | None = None) -> dict | None:
        """The best matching track object, preferring exact (normalised) artist and title matches."""
        q = f'track:"{title}" artist:"{artist}"'
        body = self.call("GET", "/search", params={"q": q, "type": "track", "limit": 5}, cancel=cancel)
        items = (body.get("tracks") or {}).get("items") or []
        want_a, want_t = artist_key(artist), track_key(title)

        def score(item: dict) -> int:
            names = {artist_key(a.get("name", "")) for a in item.get("artists", [])}
            return (2 if want_a in names else 0) + (1 if track_key(item.get("name", "")) == want_t else 0)

        ranked = sorted(items, key=score, reverse=True)
        return ranked[0] if ranked and score(ranked[0]) >= 2 else None

    def create_playlist(
        self, name: str, description: str = "", public: bool = False, cancel: CancelToken | None = None
    ) -> dict:
        return self.call(
            "POST",
            "/me/playlists",
            json={"name": name, "description": description, "public": public},
            cancel=cancel,
        )

    def add_items(
        self, playlist_id: str, uris: Sequence[str], cancel: CancelToken | None = None
    ) -> str | None:
        snapshot = None
        for i in range(0, len(uris), MAX_ADD):
            body = self.call(
                "POST",
                f"/playlists/{playlist_id}/items",
                json={"uris": list(uris[i : i + MAX_ADD])},
                cancel=cancel,
            )
            snapshot = body.get("snapshot_id", snapshot)
        return snapshot


@dataclass
class ExportResult:
    playlist_id: str
    url: str | None
    added: int
    missing: list[tuple[str, str]] = field(default_factory=list)


def export_playlist(
    api: SpotifyApi,
    name: str,
    tracks: Sequence[tuple[str, str]],
    description: str = "",
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, ExportResult]:
    """Find each (artist, title) on Spotify and put the found ones, in order, into a new private playlist."""
    cancel = cancel or CancelToken()
    uris: list[str] = []
    missing: list[tuple[str, str]] = []
    total = len(tracks) + 1
    for n, (artist, title) in enumerate(tracks):
        cancel.raise_if_cancelled()
        yield Progress(n, total, f"Finding {artist} — {title} on Spotify")
        found = api.search_track(artist, title, cancel=cancel)
        if found and found.get("uri"):
            uris.append(found["uri"])
        else:
            missing.append((artist, title))
    cancel.raise_if_cancelled()
    yield Progress(len(tracks), total, "Creating the playlist")
    playlist = api.create_playlist(name, description, cancel=cancel)
    if uris:
        api.add_items(playlist["id"], uris, cancel=cancel)
    url = (playlist.get("external_urls") or {}).get("spotify")
    yield Progress(total, total, f"Playlist ready: {len(uris)} tracks")
    return ExportResult(playlist["id"], url, len(uris), missing)
