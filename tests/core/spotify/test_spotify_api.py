"""Search, playlist export, token refresh on 401 and 429 handling against the fake Spotify."""

from __future__ import annotations

import time

import httpx
import pytest
from fakes.spotify_server import CLIENT_ID

from core.jobs import run_job
from core.net import AuthRequired
from core.sources.spotify import auth
from core.sources.spotify.api import SpotifyApi, export_playlist


@pytest.fixture
def api(fake_spotify):
    tokens = run_job(
        auth.login(
            CLIENT_ID,
            open_browser=lambda u: httpx.get(u, follow_redirects=True, timeout=10),
            accounts_root=fake_spotify.accounts_root,
            api_root=fake_spotify.api_root,
        )
    )
    with SpotifyApi(
        CLIENT_ID,
        tokens,
        api_root=fake_spotify.api_root,
        accounts_root=fake_spotify.accounts_root,
        backoff_s=0.01,
    ) as client:
        yield client


def test_search_matches_normalised_names_in_any_script(api):
    hit = api.search_track("кино", "группа крови")
    assert hit is not None and hit["uri"].startswith("spotify:track:") and hit["artists"][0]["name"] == "Кино"
    assert api.search_track("宇多田ヒカル", "First Love")["name"] == "First Love"
    assert api.search_track("Nobody", "Nothing") is None


def test_export_playlist_uses_current_endpoints(api, fake_spotify):
    tracks = [("Muse", "Starlight"), ("Arctic Monkeys", "505"), ("Unknown", "Absent")]
    result = run_job(export_playlist(api, "Segue · test", tracks, "made by Segue"))
    assert result.added == 2 and result.missing == [("Unknown", "Absent")]
    assert result.url.startswith("https://open.spotify.com/playlist/")
    pl = fake_spotify.playlists[result.playlist_id]
    assert len(pl["items"]) == 2 and pl["public"] is False
    paths = fake_spotify.paths()
    assert "POST /v1/me/playlists" in paths
    assert f"POST /v1/playlists/{result.playlist_id}/items" in paths
    assert all("/tracks" not in p and "/users/" not in p for p in paths)
    searches = [r for r in fake_spotify.requests if r.path == "/v1/search"]
    assert all(int(r.query["limit"]) <= 10 for r in searches)


def test_expired_token_is_refreshed_once_and_stored(api, fake_spotify):
    old = api.tokens.access_token
    fake_spotify.expire_tokens()
    assert api.me()["id"] == "wizzler"
    assert api.tokens.access_token != old
    assert auth.load_tokens().access_token == api.tokens.access_token


def test_locally_expired_token_refreshes_before_calling(api, fake_spotify):
    api.tokens.expires_at = time.time() - 1
    n = len(fake_spotify.requests)
    api.me()
    assert [r.path for r in fake_spotify.requests[n:]] == ["/accounts/api/token", "/v1/me"]


def test_rate_limit_waits_retry_after(api, fake_spotify):
    fake_spotify.fail("/v1/me", 429, times=1, retry_after=1)
    t = time.monotonic()
    assert api.me()["id"] == "wizzler"
    assert time.monotonic() - t >= 0.9


def test_revoked_login_asks_to_connect_again(api, fake_spotify):
    fake_spotify.expire_tokens()
    fake_spotify._refresh.clear()  # the user revoked access on spotify.com
    with pytest.raises(AuthRequired):
        api.me()


def test_not_connected_is_a_clear_message():
    with pytest.raises(AuthRequired, match="not connected"):
        SpotifyApi(CLIENT_ID)
