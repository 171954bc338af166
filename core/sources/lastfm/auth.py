"""Last.fm desktop authentication through pylast's SessionKeyGenerator (docs/architecture.md §5).

Flow: ``begin_login`` asks for a token (auth.getToken) and returns the page the user opens in the
browser; after they approve, ``finish_login`` exchanges the token (auth.getSession) for a session
key, which goes to the OS keyring (core.secrets) — never to settings or logs. pylast always speaks
HTTPS to ``ws_server``; the host and path come from the configured API root so tests can point it
at a local TLS fake.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from core import secrets
from core.net import AuthRequired, Fatal, Offline, ServiceError
from core.sources.lastfm.api import DEFAULT_ROOT, TokenNotAuthorised


def session_secret_name(account: str) -> str:
    return f"lastfm:session:{account}"


@dataclass
class PendingLogin:
    url: str
    token: str
    generator: object  # pylast.SessionKeyGenerator


def _network(api_key: str, api_secret: str, root: str):
    """A pylast network whose web service (and, off Last.fm, auth page) follow ``root``."""
    import pylast

    parts = urlsplit(root or DEFAULT_ROOT)
    network = pylast.LastFMNetwork(api_key=api_key, api_secret=api_secret)
    network.ws_server = (parts.netloc, parts.path if parts.path.endswith("/") else parts.path + "/")
    if parts.hostname != "ws.audioscrobbler.com":
        network.homepage = f"https://{parts.netloc}"
    return network


def _translate(exc: Exception) -> ServiceError:
    import pylast

    if isinstance(exc, pylast.WSError):
        code = int(exc.status) if str(exc.status).isdigit() else 0
        if code in (14, 15):
            return TokenNotAuthorised(
                "Last.fm has not approved the login yet (or it expired) — "
                "approve it in the browser, or start again",
                code=code,
            )
        if code in (4, 9):
            return AuthRequired(f"Last.fm refused the login: {exc.details}", code=code)
        if code in (10, 26):
            return Fatal(f"Last.fm API key problem: {exc.details}", code=code)
        return Fatal(f"Last.fm error {code}: {exc.details}", code=code)
    if isinstance(exc, pylast.NetworkError | pylast.MalformedResponseError):
        return Offline(f"cannot reach Last.fm: {exc}")
    return Fatal(f"Last.fm login failed: {exc}")


def begin_login(api_key: str, api_secret: str, root: str = DEFAULT_ROOT) -> PendingLogin:
    """Get a token and the browser URL where the user approves Segue."""
    import pylast

    if not api_key or not api_secret:
        raise Fatal(
            "set your Last.fm API key and secret in Settings first (https://www.last.fm/api/account/create)"
        )
    generator = pylast.SessionKeyGenerator(_network(api_key, api_secret, root))
    try:
        url = generator.get_web_auth_url()
    except Exception as exc:  # noqa: BLE001 - pylast raises several unrelated types
        raise _translate(exc) from exc
    return PendingLogin(url=url, token=generator.web_auth_tokens[url], generator=generator)


def finish_login(pending: PendingLogin, account: str) -> str:
    """Exchange the approved token for a session key, store it in the keyring; returns the username."""
    try:
        key, username = pending.generator.get_web_auth_session_key_username(pending.url)
    except Exception as exc:  # noqa: BLE001
        raise _translate(exc) from exc
    secrets.set_secret(session_secret_name(account), key)
    return username


def logout(account: str) -> None:
    secrets.delete_secret(session_secret_name(account))
