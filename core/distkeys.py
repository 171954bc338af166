"""API credentials the distributor of a packaged build supplied, so a packaged user only logs in.

``make dist`` writes them (from the build environment or ``SEGUE_DIST_KEYS=FILE``; see
packaging/README.md) into the bundle as ``resources/distributor.json``; a checkout, a venv and CI
have none. They are a fallback only: a key the user set (environment, keyring, Settings) always wins,
and the distributor's Last.fm secret is only ever paired with the distributor's own key. Every value
is registered with the log redactor as it is read.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from functools import cache

from core import paths
from core.logs import register_secret

FILE = "distributor.json"
FIELDS = ("lastfm_api_key", "lastfm_api_secret", "spotify_client_id")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DistributorKeys:
    lastfm_api_key: str = ""
    lastfm_api_secret: str = ""
    spotify_client_id: str = ""


@cache
def distributor_keys() -> DistributorKeys:
    """The keys shipped with this build (empty strings when there are none)."""
    try:
        path = paths.resource(FILE)
        raw = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
    except (OSError, ValueError) as exc:  # a damaged file: run as a build without keys, and say so
        log.warning("ignoring the distributor keys file: %s", type(exc).__name__)
        raw = {}
    if not isinstance(raw, dict):
        raw = {}
    values = {f: str(raw.get(f) or "").strip() for f in FIELDS}
    for value in values.values():
        register_secret(value)
    return DistributorKeys(**values)


def spotify_client_id(own: str) -> str:
    """The Spotify client id to log in with: the user's own (Settings) when set, else the distributor's."""
    return own.strip() or distributor_keys().spotify_client_id
