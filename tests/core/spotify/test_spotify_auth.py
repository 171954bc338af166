"""PKCE login on a 127.0.0.1 loopback redirect, token storage and refresh, against the fake Spotify."""

from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fakes.spotify_server import CLIENT_ID

from core import secrets
from core.jobs import Cancelled, CancelToken, run_job
from core.net import AuthRequired, Fatal
from core.sources.spotify import auth


def browser(opened: list[str]):
    """Stands in for the user's browser: follows /authorize back to the loopback callback."""

    def open_url(url: str) -> None:
        opened.append(url)
        httpx.get(url, follow_redirects=True, timeout=10)

    return open_url


def login(fake, **kw):
    opened: list[str] = []
    tokens = run_job(
        auth.login(
            CLIENT_ID,
            open_browser=browser(opened),
            accounts_root=fake.accounts_root,
            api_root=fake.api_root,
            **kw,
        )
    )
    return tokens, opened


def test_pkce_pair_is_rfc7636():
    verifier, challenge = auth.pkce_pair()
    assert 43 <= len(verifier) <= 128
    assert set(verifier) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
    # RFC 7636 appendix B test vector
    assert (
        auth.challenge_for("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


def test_login_stores_tokens_and_profile(fake_spotify):
    tokens, opened = login(fake_spotify)
    q = parse_qs(urlsplit(opened[0]).query)
    redirect = q["redirect_uri"][0]
    assert redirect.startswith("http://127.0.0.1:") and redirect.endswith("/callback")
    assert "localhost" not in opened[0]
    assert q["code_challenge_method"] == ["S256"] and q["response_type"] == ["code"]
    assert "playlist-modify-private" in q["scope"][0]
    assert tokens.user_id == "wizzler" and tokens.display_name == "JM Wizzler"
    stored = auth.load_tokens()
    assert stored is not None and stored.access_token == tokens.access_token
    # never in settings.json: the secret store holds it
    assert secrets.get_secret(auth.SECRET_NAME)
    token_call = next(r for r in fake_spotify.requests if r.path == "/accounts/api/token")
    assert token_call.body["code_verifier"] and "client_secret" not in token_call.body


def test_declined_login_is_a_readable_error(fake_spotify):
    fake_spotify.approve = False
    with pytest.raises(auth.SpotifyAuthError, match="declined"):
        login(fake_spotify)
    assert auth.load_tokens() is None


def test_wrong_client_id_is_refused(fake_spotify):
    with pytest.raises(Fatal):
        run_job(auth.login("", open_browser=lambda u: None, accounts_root=fake_spotify.accounts_root))
    rx_codes = []

    def bad_browser(url):
        rx_codes.append(httpx.get(url.replace(CLIENT_ID, "nope"), timeout=10).status_code)
        # the real page shows an error and never redirects: the user closes the tab

    token = CancelToken()
    threading.Timer(0.5, token.cancel).start()
    with pytest.raises(Cancelled):
        run_job(
            auth.login(
                CLIENT_ID, open_browser=bad_browser, accounts_root=fake_spotify.accounts_root, cancel=token
            )
        )
    assert rx_codes == [400]


def test_code_is_single_use_and_verifier_checked(fake_spotify):
    verifier, challenge = auth.pkce_pair()
    redirect = "http://127.0.0.1:5555/callback"
    url = auth.authorize_url(CLIENT_ID, redirect, challenge, "s", accounts_root=fake_spotify.accounts_root)
    loc = httpx.get(url, follow_redirects=False, timeout=10).headers["location"]
    code = parse_qs(urlsplit(loc).query)["code"][0]
    with pytest.raises(AuthRequired, match="code_verifier"):
        auth.exchange_code(CLIENT_ID, code, redirect, "x" * 50, fake_spotify.accounts_root)
    with pytest.raises(AuthRequired, match="Invalid authorization code"):  # burnt by the failed attempt
        auth.exchange_code(CLIENT_ID, code, redirect, verifier, fake_spotify.accounts_root)


def test_refresh_rotates_and_keeps_old_refresh_token_when_absent(fake_spotify):
    tokens, _ = login(fake_spotify)
    new = auth.refresh(CLIENT_ID, tokens, fake_spotify.accounts_root)
    assert new.access_token != tokens.access_token and new.refresh_token != tokens.refresh_token
    assert new.user_id == "wizzler"
    with pytest.raises(AuthRequired):  # the rotated-out refresh token is dead
        auth.refresh(CLIENT_ID, tokens, fake_spotify.accounts_root)
    fake_spotify.rotate_refresh = False
    newer = auth.refresh(CLIENT_ID, new, fake_spotify.accounts_root)
    assert newer.refresh_token == new.refresh_token


def test_forget_disconnects(fake_spotify):
    login(fake_spotify)
    assert auth.connected()
    auth.forget()
    assert not auth.connected()
