"""Where the Last.fm API key, secret, session key and API root come from.

Order: environment (``SEGUE_LASTFM_API_KEY``, ``SEGUE_LASTFM_API_SECRET``, ``SEGUE_LASTFM_API_ROOT``;
for scripts and CI), then the keyring (``lastfm:api_key``, ``lastfm:api_secret``), then settings
(API key and root only: the secret never goes to settings.json), then the key and secret a packaged
build's distributor supplied (``core.distkeys``) — used as a pair, only when the user has no key.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from core import secrets
from core.distkeys import distributor_keys
from core.logs import register_secret
from core.net import Fatal
from core.settings import Settings
from core.sources.lastfm.api import DEFAULT_ROOT, LastfmApi
from core.sources.lastfm.auth import session_secret_name


@dataclass
class LastfmConfig:
    api_key: str
    api_secret: str | None
    session_key: str | None
    root: str


def load_config(account: str, settings: Settings | None = None) -> LastfmConfig:
    settings = settings or Settings.load()
    key = (
        os.environ.get("SEGUE_LASTFM_API_KEY")
        or secrets.get_secret("lastfm:api_key")
        or settings.lastfm_api_key
    )
    secret = os.environ.get("SEGUE_LASTFM_API_SECRET") or secrets.get_secret("lastfm:api_secret")
    if not key:
        dist = distributor_keys()
        key, secret = dist.lastfm_api_key, dist.lastfm_api_secret or None
    root = os.environ.get("SEGUE_LASTFM_API_ROOT") or settings.lastfm_api_root or DEFAULT_ROOT
    register_secret(key)  # the API key is in every request URL; redacted from the log like the secret
    register_secret(secret)
    return LastfmConfig(key or "", secret, secrets.get_secret(session_secret_name(account)), root)


def make_api(config: LastfmConfig, **kwargs) -> LastfmApi:
    if not config.api_key:
        raise Fatal(
            "no Last.fm API key: set it in Settings (or SEGUE_LASTFM_API_KEY); "
            "get one at https://www.last.fm/api/account/create"
        )
    return LastfmApi(
        config.api_key,
        api_secret=config.api_secret,
        session_key=config.session_key,
        root=config.root,
        **kwargs,
    )
