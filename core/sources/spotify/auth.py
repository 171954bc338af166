"""Spotify login for a desktop app: Authorization Code with PKCE on a 127.0.0.1 loopback redirect.

Bring-your-own client ID (settings ``spotify_client_id``): the user registers an app in the Spotify
developer dashboard with the redirect URI ``http://127.0.0.1/callback`` (Spotify accepts any port
for loopback IP literals, so we bind an ephemeral port; a fixed ``port`` can be given instead).
``localhost`` is not allowed by Spotify and never used. No client secret exists in this flow.

Flow (RFC 7636 + RFC 8252): make a verifier/challenge pair and a random ``state`` → start a one-shot
HTTP listener on 127.0.0.1 → open ``/authorize`` in the browser → the browser comes back to
``/callback?code=…&state=…`` → POST the code with the verifier to ``/api/token``. Tokens are kept
with ``core.secrets`` (OS keyring or the 0600 fallback file), never in settings.json, and refreshed
with the refresh token when they expire (Spotify may rotate the refresh token; a missing one means
keep the old).

Spotify's API is used only for display, linking and playlist export (docs/architecture.md §5), never as
training data.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import secrets as pysecrets
import threading
import time
import webbrowser
from collections.abc import Callable, Generator
from dataclasses import asdict, dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx

from core import secrets
from core.jobs import Cancelled, CancelToken, Progress
from core.net import USER_AGENT, AuthRequired, Fatal, Offline, ServiceError, Transient

ACCOUNTS_ROOT = "https://accounts.spotify.com"
API_ROOT = "https://api.spotify.com/v1"
SCOPES = ("playlist-modify-private", "playlist-modify-public", "user-read-private")
SECRET_NAME = "spotify.tokens"
CALLBACK_PATH = "/callback"
LOGIN_TIMEOUT_S = 300


class SpotifyAuthError(ServiceError):
    """Login did not complete (declined, wrong state, bad client ID ...); the message says why."""


@dataclass
class Tokens:
    access_token: str
    refresh_token: str | None
    expires_at: float
    scope: str = ""
    token_type: str = "Bearer"
    user_id: str | None = None
    display_name: str | None = None

    def expired(self, now: float | None = None, margin_s: float = 60.0) -> bool:
        return (now or time.time()) >= self.expires_at - margin_s

    @classmethod
    def from_response(cls, body: dict, previous: Tokens | None = None, now: float | None = None) -> Tokens:
        try:
            access = body["access_token"]
            expires_in = float(body.get("expires_in", 3600))
        except (KeyError, TypeError, ValueError) as exc:
            raise Transient(f"unexpected token response from Spotify: {exc}") from exc
        return cls(
            access_token=access,
            refresh_token=body.get("refresh_token") or (previous.refresh_token if previous else None),
            expires_at=(now or time.time()) + expires_in,
            scope=body.get("scope", previous.scope if previous else ""),
            token_type=body.get("token_type", "Bearer"),
            user_id=previous.user_id if previous else None,
            display_name=previous.display_name if previous else None,
        )


# -- PKCE ---------------------------------------------------------------------------------------
def pkce_pair(length: int = 64) -> tuple[str, str]:
    """(code_verifier, S256 code_challenge). The verifier is 43..128 unreserved characters."""
    if not 43 <= length <= 128:
        raise ValueError("PKCE verifier length must be 43..128")
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~"
    verifier = "".join(pysecrets.choice(alphabet) for _ in range(length))
    return verifier, challenge_for(verifier)


def challenge_for(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def authorize_url(
    client_id: str,
    redirect_uri: str,
    challenge: str,
    state: str,
    scopes: tuple[str, ...] = SCOPES,
    accounts_root: str = ACCOUNTS_ROOT,
) -> str:
    query = urlencode(
        {
            "client_id": client_id,
            "response_type": "code",
            "redirect_uri": redirect_uri,
            "code_challenge_method": "S256",
            "code_challenge": challenge,
            "state": state,
            "scope": " ".join(scopes),
        }
    )
    return f"{accounts_root.rstrip('/')}/authorize?{query}"


# -- loopback listener --------------------------------------------------------------------------
_PAGE = """<!doctype html><html><head><meta charset="utf-8"><title>Segue</title>
<style>body{{font-family:system-ui,sans-serif;margin:15vh auto;max-width:32em;text-align:center;color:#222}}</style>
</head><body><h2>{title}</h2><p>{text}</p></body></html>"""


class LoopbackReceiver:
    """A one-shot HTTP listener on 127.0.0.1 that captures the ``/callback`` query."""

    def __init__(self, port: int = 0, path: str = CALLBACK_PATH):
        self.path = path
        self.result: dict[str, str] | None = None
        self._got = threading.Event()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802 - http.server API
                parts = urlsplit(self.path)
                if parts.path != receiver.path:
                    self.send_error(404)
                    return
                params = {k: v[0] for k, v in parse_qs(parts.query).items()}
                ok = "code" in params
                title = "Segue is connected to Spotify" if ok else "Spotify login did not complete"
                text = (
                    "You can close this tab and go back to Segue."
                    if ok
                    else html.escape(params.get("error", "no authorization code in the redirect"))
                )
                body = _PAGE.format(title=title, text=text).encode("utf-8")
                self.send_response(200)
                self.send_header("Content-Type", "text/html; charset=utf-8")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)
                if receiver.result is None:
                    receiver.result = params
                    receiver._got.set()

            def log_message(self, *_args) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(
            target=self.server.serve_forever, args=(0.05,), name="spotify-loopback", daemon=True
        )

    @property
    def redirect_uri(self) -> str:
        return f"http://127.0.0.1:{self.port}{self.path}"

    def __enter__(self) -> LoopbackReceiver:
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait(self, timeout_s: float, cancel: CancelToken | None = None) -> dict[str, str]:
        deadline = time.monotonic() + timeout_s
        while not self._got.wait(0.2):
            if cancel is not None and cancel.cancelled:
                raise Cancelled()
            if time.monotonic() > deadline:
                raise SpotifyAuthError("Spotify login timed out: the browser did not come back to Segue")
        assert self.result is not None
        return self.result


# -- token endpoint -----------------------------------------------------------------------------
def _token_request(accounts_root: str, data: dict, client: httpx.Client | None = None) -> dict:
    url = f"{accounts_root.rstrip('/')}/api/token"
    own = client is None
    client = client or httpx.Client(timeout=20.0, headers={"User-Agent": USER_AGENT})
    try:
        resp = client.post(url, data=data, headers={"Content-Type": "application/x-www-form-urlencoded"})
    except httpx.TimeoutException as exc:
        raise Transient("Spotify did not answer in time") from exc
    except (httpx.ConnectError, httpx.NetworkError) as exc:
        raise Offline(f"cannot reach Spotify ({type(exc).__name__})") from exc
    finally:
        if own:
            client.close()
    try:
        body = resp.json()
    except ValueError:
        body = {}
    if resp.status_code == 200:
        return body
    error = body.get("error", "") if isinstance(body, dict) else ""
    desc = body.get("error_description", "") if isinstance(body, dict) else ""
    if resp.status_code >= 500:
        raise Transient(f"Spotify's login service failed (HTTP {resp.status_code})", resp.status_code)
    if error == "invalid_client":
        raise Fatal(
            f"Spotify rejected the client ID ({desc or error}); check it in Settings", resp.status_code
        )
    if error == "invalid_grant":
        raise AuthRequired(f"Spotify refused the login ({desc or error}); connect again", resp.status_code)
    raise SpotifyAuthError(
        f"Spotify login failed: {desc or error or 'HTTP ' + str(resp.status_code)}", resp.status_code
    )


def exchange_code(
    client_id: str,
    code: str,
    redirect_uri: str,
    verifier: str,
    accounts_root: str = ACCOUNTS_ROOT,
    client: httpx.Client | None = None,
) -> Tokens:
    body = _token_request(
        accounts_root,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri,
            "client_id": client_id,
            "code_verifier": verifier,
        },
        client,
    )
    return Tokens.from_response(body)


def refresh(
    client_id: str, tokens: Tokens, accounts_root: str = ACCOUNTS_ROOT, client: httpx.Client | None = None
) -> Tokens:
    if not tokens.refresh_token:
        raise AuthRequired("the Spotify login has no refresh token; connect again")
    body = _token_request(
        accounts_root,
        {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token, "client_id": client_id},
        client,
    )
    return Tokens.from_response(body, previous=tokens)


# -- storage ------------------------------------------------------------------------------------
def save_tokens(tokens: Tokens) -> None:
    secrets.set_secret(SECRET_NAME, json.dumps(asdict(tokens)))


def load_tokens() -> Tokens | None:
    raw = secrets.get_secret(SECRET_NAME)
    if not raw:
        return None
    try:
        return Tokens(**json.loads(raw))
    except (TypeError, ValueError):
        return None


def forget() -> None:
    """Disconnect: drop the stored tokens (the user can also revoke access on spotify.com)."""
    secrets.delete_secret(SECRET_NAME)


def connected() -> bool:
    return load_tokens() is not None


# -- the whole login as a job -------------------------------------------------------------------
def login(
    client_id: str,
    *,
    open_browser: Callable[[str], object] = webbrowser.open,
    port: int = 0,
    accounts_root: str = ACCOUNTS_ROOT,
    api_root: str = API_ROOT,
    scopes: tuple[str, ...] = SCOPES,
    timeout_s: float = LOGIN_TIMEOUT_S,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, Tokens]:
    """Run the PKCE login; yields progress, stores and returns the tokens (with the user's id/name)."""
    if not client_id.strip():
        raise Fatal(
            "Spotify needs your own client ID: create an app at developer.spotify.com, add the "
            "redirect URI http://127.0.0.1/callback, and paste its client ID in Settings"
        )
    cancel = cancel or CancelToken()
    verifier, challenge = pkce_pair()
    state = pysecrets.token_urlsafe(24)
    with LoopbackReceiver(port) as rx:
        url = authorize_url(client_id.strip(), rx.redirect_uri, challenge, state, scopes, accounts_root)
        yield Progress(0, 3, "Waiting for you to approve Segue in the browser…")
        open_browser(url)
        params = rx.wait(timeout_s, cancel)
    if params.get("state") != state:
        raise SpotifyAuthError("Spotify login answer did not match this request (state mismatch); try again")
    if "error" in params:
        reason = params["error"]
        raise SpotifyAuthError(
            "you declined access in the browser"
            if reason == "access_denied"
            else f"Spotify login failed: {reason}"
        )
    if "code" not in params:
        raise SpotifyAuthError("Spotify did not send an authorization code")
    yield Progress(1, 3, "Exchanging the code for a token…")
    tokens = exchange_code(client_id.strip(), params["code"], rx.redirect_uri, verifier, accounts_root)
    yield Progress(2, 3, "Reading your Spotify profile…")
    from core.sources.spotify.api import SpotifyApi

    with SpotifyApi(client_id.strip(), tokens, api_root=api_root, accounts_root=accounts_root) as api:
        me = api.me(cancel=cancel)
    tokens.user_id = me.get("id")
    tokens.display_name = me.get("display_name") or me.get("id")
    save_tokens(tokens)
    yield Progress(3, 3, f"Connected as {tokens.display_name}")
    return tokens
