"""Genius (through lyricsgenius) against the fake: only with a token; 403 Cloudflare and 401 handled."""

from __future__ import annotations

import pytest
from fakes.genius_server import FakeGenius, GeniusSong
from fakes.http_fake import Fault, unused_port
from fakes.lrclib_server import FakeLrclib
from features_helpers import FAST, items, make_store, statuses

from core.features.fetch import fetch_features
from core.features.providers import ProviderConfig, build_providers
from core.features.providers.base import Item
from core.features.providers.genius import GeniusSource
from core.features.providers.lrclib import LrclibSource
from core.features.providers.lyrics import LyricsProvider
from core.jobs import run_job
from core.net import USER_AGENT

TOKEN = "test-genius-token"
SONGS = [
    GeniusSong(
        378195,
        "Chandelier",
        "Sia",
        "[Verse 1]\nParty girls don't get hurt\nCan't feel anything\n\n[Chorus]\nI'm gonna swing",
    ),
    GeniusSong(5, "Intro", "Sia", instrumental=True),
]


@pytest.fixture
def genius():
    with FakeGenius(SONGS, token=TOKEN) as server:
        yield server


def source(server, token=TOKEN):
    return GeniusSource(
        token,
        api_root=server.api_root,
        web_root=server.web_root,
        per_second=1000,
        timeout=FAST["timeout"],
        attempts=FAST["attempts"],
        backoff_s=FAST["backoff_s"],
    )


def test_lyrics_found_and_section_headers_removed(genius):
    out = source(genius).fetch(Item("track", 1, "Sia", "Chandelier"))
    assert out.kind == "ok" and out.source == "genius"
    assert "Party girls don't get hurt" in out.data["text"] and "[Verse 1]" not in out.data["text"]
    api, page = genius.requests
    assert api.path == "/search" and api.header("Authorization") == f"Bearer {TOKEN}"
    assert page.path == "/Sia-chandelier-lyrics" and USER_AGENT in page.user_agent


def test_not_found_and_instrumental(genius):
    assert source(genius).fetch(Item("track", 1, "Sia", "Unknown Song")).kind == "missing"
    out = source(genius).fetch(Item("track", 1, "Sia", "Intro"))
    assert out.kind == "ok" and out.data["instrumental"] and out.data["text"] == ""


def test_cloudflare_403_is_a_readable_retryable_error_that_stops_genius(genius):
    genius.cloudflare = True
    out = source(genius).fetch(Item("track", 1, "Sia", "Chandelier"))
    assert out.kind == "error" and out.retry and out.stop
    assert "Cloudflare" in out.reason and "403" in out.reason
    assert genius.count() == 1  # a Cloudflare wall is not hammered with retries


def test_cloudflare_on_the_song_page_only(genius):
    genius.inject(Fault.status(403), path="/Sia-")
    out = source(genius).fetch(Item("track", 1, "Sia", "Chandelier"))
    assert out.kind == "error" and "Cloudflare" in out.reason


def test_rejected_token_stops_without_blaming_the_track(genius):
    out = source(genius, token="wrong").fetch(Item("track", 1, "Sia", "Chandelier"))
    assert out.kind == "error" and out.stop and not out.retry and "token" in out.reason


def test_server_error_retried_then_error_malformed_and_offline(genius):
    genius.inject(Fault.status(502), times=1)
    assert source(genius).fetch(Item("track", 1, "Sia", "Chandelier")).kind == "ok"  # retried with backoff
    genius.inject(Fault.status(502), times=None)
    assert source(genius).fetch(Item("track", 1, "Sia", "Chandelier")).kind == "error"
    genius.clear_faults()
    genius.inject(Fault.malformed("truncated"), path="/search")
    out = source(genius).fetch(Item("track", 1, "Sia", "Chandelier"))
    assert out.kind == "error" and out.retry
    off = GeniusSource(TOKEN, api_root=f"http://127.0.0.1:{unused_port()}/", per_second=1000, backoff_s=0.01)
    assert off.fetch(Item("track", 1, "Sia", "Chandelier")).kind == "offline"


def test_genius_is_only_built_with_a_token(tmp_path):
    cfg = ProviderConfig(lrclib_root="http://127.0.0.1:9/api/", lyrics_sources=["lrclib", "genius"])
    providers, _ = build_providers(cfg, ["lyrics"])
    assert [s.name for s in providers[0].sources] == ["lrclib"]
    cfg.genius_token = TOKEN
    providers, _ = build_providers(cfg, ["lyrics"])
    assert [s.name for s in providers[0].sources] == ["lrclib", "genius"]
    cfg.lyrics_sources = ["lrclib"]  # a token alone adds Genius at the end
    providers, _ = build_providers(cfg, ["lyrics"])
    assert [s.name for s in providers[0].sources] == ["lrclib", "genius"]


def test_chain_lrclib_then_genius_with_cloudflare_wall(tmp_path, genius):
    """LRCLIB misses; Genius is walled off: the first track is a retryable error, Genius is not asked
    again in this run, and later tracks stay retryable errors too (never 'missing')."""
    store = make_store(
        tmp_path,
        [
            ("Sia", "Chandelier", "1000 Forms of Fear", 216_000),
            ("Sia", "Elastic Heart", "1000 Forms of Fear", 257_000),
        ],
    )
    genius.cloudflare = True
    with FakeLrclib([]) as lrc:
        chain = LyricsProvider([LrclibSource(lrc.root + "/api/", per_second=1000, **FAST), source(genius)])
        summary = run_job(fetch_features(store, "alice", ["lyrics"], providers=[chain], concurrent=False))
    run = summary.modalities["lyrics"]
    assert (run.ok, run.missing, run.error) == (0, 0, 2)
    assert genius.count() == 1
    st = statuses(store, "track", "lyrics")
    assert all(r.retryable and "Cloudflare" in r.reason for r in st.values())
    genius.cloudflare = False
    with FakeLrclib([]) as lrc:
        chain = LyricsProvider([LrclibSource(lrc.root + "/api/", per_second=1000, **FAST), source(genius)])
        # retryable errors wait for their backoff (10 min after the first attempt): force a retry now
        summary = run_job(
            fetch_features(store, "alice", ["lyrics"], providers=[chain], concurrent=False, now=2_000_000_000)
        )
    assert summary.modalities["lyrics"].ok == 1 and summary.modalities["lyrics"].missing == 1
    assert statuses(store, "track", "lyrics")[items(store)["Chandelier"].id].provider == "genius"


def test_429_is_waited_out_and_slow_times_out(genius):
    genius.inject(Fault.status(429, {"meta": {"status": 429}}, headers={"Retry-After": "0"}), path="/search")
    assert source(genius).fetch(Item("track", 1, "Sia", "Chandelier")).kind == "ok"
    genius.inject(Fault.slow(1.5), times=None)
    slow = GeniusSource(
        TOKEN, api_root=genius.api_root, web_root=genius.web_root, per_second=1000, timeout=0.3, attempts=1
    )
    out = slow.fetch(Item("track", 1, "Sia", "Chandelier"))
    assert out.kind == "error" and out.retry and "time" in out.reason
