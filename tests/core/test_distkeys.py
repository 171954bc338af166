"""Distributor keys of a packaged build: used only when the user has none; the user's key wins."""

from __future__ import annotations

import json
import logging

import pytest

from core import distkeys, paths, secrets
from core.logs import redact
from core.settings import Settings
from core.sources.lastfm.config import load_config

DIST = {
    "lastfm_api_key": "dist-key-0123456789",
    "lastfm_api_secret": "dist-secret-0123456789",
    "spotify_client_id": "dist-client-0123456789",
}


@pytest.fixture
def shipped(tmp_path, monkeypatch):
    """A resources folder with distributor.json, as `make dist` puts it into the bundle."""
    folder = tmp_path / "resources"
    folder.mkdir()
    (folder / paths.MARKER).parent.mkdir(parents=True)
    (folder / paths.MARKER).write_text("/* */", encoding="utf-8")
    (folder / distkeys.FILE).write_text(json.dumps(DIST), encoding="utf-8")
    monkeypatch.setattr(paths, "resources_root", lambda: folder)
    distkeys.distributor_keys.cache_clear()
    monkeypatch.delenv("SEGUE_LASTFM_API_KEY", raising=False)
    monkeypatch.delenv("SEGUE_LASTFM_API_SECRET", raising=False)
    yield folder
    distkeys.distributor_keys.cache_clear()


def test_a_checkout_has_no_distributor_keys():
    distkeys.distributor_keys.cache_clear()
    assert distkeys.distributor_keys() == distkeys.DistributorKeys()


def test_a_packaged_user_without_keys_gets_the_distributors_pair(shipped):
    cfg = load_config("me", Settings())
    assert (cfg.api_key, cfg.api_secret) == (DIST["lastfm_api_key"], DIST["lastfm_api_secret"])
    assert distkeys.spotify_client_id("") == DIST["spotify_client_id"]


def test_the_users_own_key_wins_and_is_never_paired_with_the_distributors_secret(shipped):
    cfg = load_config("me", Settings(lastfm_api_key="my-own-key-0123"))
    assert cfg.api_key == "my-own-key-0123" and cfg.api_secret is None
    secrets.set_secret("lastfm:api_secret", "my-own-secret-0123")
    cfg = load_config("me", Settings(lastfm_api_key="my-own-key-0123"))
    assert cfg.api_secret == "my-own-secret-0123"
    assert distkeys.spotify_client_id("  mine ") == "mine"


def test_distributor_values_are_redacted_from_logs(shipped, caplog):
    distkeys.distributor_keys()
    for value in DIST.values():
        assert value not in redact(f"GET /?method=x&k={value} {value}")


def test_a_damaged_file_means_no_keys_not_a_crash(shipped, caplog):
    (shipped / distkeys.FILE).write_text("{not json", encoding="utf-8")
    distkeys.distributor_keys.cache_clear()
    with caplog.at_level(logging.WARNING):
        assert distkeys.distributor_keys().lastfm_api_key == ""
    assert "distributor keys" in caplog.text
