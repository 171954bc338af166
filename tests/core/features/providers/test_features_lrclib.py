"""LRCLIB lyrics source against the fake LRCLIB (real HTTP on 127.0.0.1)."""

from __future__ import annotations

import pytest
from fakes.http_fake import Fault, unused_port
from fakes.lrclib_server import FakeLrclib, LrcRecord
from features_helpers import FAST

from core.features.providers.base import Item
from core.features.providers.lrclib import LrclibSource, lrc_to_plain
from core.net import USER_AGENT

SYNCED = "[ar: Daft Punk]\n[00:12.34]One more time\n[00:15.00][00:30.00]We're gonna celebrate\n"
RECORDS = [
    LrcRecord(
        3396226,
        "Around the World",
        "Daft Punk",
        "Homework",
        429.0,
        plainLyrics="Around the world, around the world\nAround the world, around the world",
    ),
    LrcRecord(101, "One More Time", "Daft Punk", "Discovery", 320.0, syncedLyrics=SYNCED),
    LrcRecord(102, "Aerodynamic", "Daft Punk", "Discovery", 212.0, instrumental=True),
    LrcRecord(103, "Nightvision", "Daft Punk", "Discovery", 104.0),  # known, no lyrics
    LrcRecord(104, "Digital Love (Live)", "Daft Punk", "Alive", 300.0, plainLyrics="live words"),
    LrcRecord(
        105, "Digital Love", "Daft Punk", "Discovery", 301.0, plainLyrics="Last night I had a dream about you"
    ),
]


def item(title, album="", duration_ms=None, artist="Daft Punk"):
    return Item("track", 1, artist, title, album, duration_ms)


@pytest.fixture
def lrc():
    with FakeLrclib(RECORDS) as server:
        yield server


def source(server, **kw):
    opts = dict(FAST)
    opts.update(kw)
    return LrclibSource(server.root + "/api/", per_second=1000, **opts)


def test_get_by_signature_within_two_seconds(lrc):
    out = source(lrc).fetch(item("Around the World", "Homework", 430_900))
    assert out.kind == "ok" and out.data["text"].startswith("Around the world")
    assert [r.path for r in lrc.requests] == ["/api/get"]
    q = lrc.requests[0].query
    assert q == {
        "track_name": "Around the World",
        "artist_name": "Daft Punk",
        "album_name": "Homework",
        "duration": "431",
    }
    assert lrc.requests[0].user_agent == USER_AGENT


def test_duration_outside_tolerance_falls_back_to_search_and_is_missing(lrc):
    out = source(lrc).fetch(item("Around the World", "Homework", 425_000))
    assert out.kind == "missing"
    assert [r.path for r in lrc.requests] == ["/api/get", "/api/search"]


def test_no_album_goes_straight_to_search(lrc):
    out = source(lrc).fetch(item("Digital Love", duration_ms=300_000))
    assert (
        out.kind == "ok" and out.data["text"] == "Last night I had a dream about you"
    )  # not the live version
    assert [r.path for r in lrc.requests] == ["/api/search"]


def test_synced_only_is_stored_as_plain_text(lrc):
    out = source(lrc).fetch(item("One More Time", "Discovery", 320_000))
    assert out.kind == "ok"
    assert out.data["text"] == "One more time\nWe're gonna celebrate"
    assert lrc_to_plain(SYNCED) == out.data["text"]


def test_instrumental_is_ok_with_empty_text_and_flag(lrc):
    out = source(lrc).fetch(item("Aerodynamic", "Discovery", 212_000))
    assert out.kind == "ok" and out.data == {"text": "", "instrumental": True, "lrclib_id": 102}
    assert out.reason == "instrumental"


def test_known_track_without_lyrics_and_unknown_track_are_missing(lrc):
    assert source(lrc).fetch(item("Nightvision", "Discovery", 104_000)).kind == "missing"
    assert source(lrc).fetch(item("Not A Song", "Discovery", 100_000)).kind == "missing"
    assert source(lrc).fetch(item("Not A Song")).kind == "missing"  # empty search list


@pytest.mark.parametrize("status", [500, 502, 503])
def test_server_errors_are_retryable_errors(lrc, status):
    lrc.inject(Fault.status(status), times=None)
    out = source(lrc).fetch(item("Around the World", "Homework", 429_000))
    assert out.kind == "error" and out.retry and not out.stop
    assert str(status) in out.reason
    assert lrc.count() == FAST["attempts"]  # retried, then gave up for this run


def test_429_waits_and_retries(lrc):
    lrc.inject(
        Fault.status(
            429,
            {"message": "slow down", "name": "TooManyRequests", "statusCode": 429},
            headers={"Retry-After": "0"},
        )
    )
    out = source(lrc).fetch(item("Around the World", "Homework", 429_000))
    assert out.kind == "ok" and lrc.count() == 2


def test_server_side_rate_limit_is_respected_by_the_client_limit():
    with FakeLrclib(RECORDS, rate_limit=5, rate_window=1.0) as lrc:
        src = LrclibSource(lrc.root + "/api/", per_second=4.0, **FAST)
        for _ in range(6):
            assert src.fetch(item("Around the World", "Homework", 429_000)).kind == "ok"
        assert lrc.max_requests_in(1.0) <= 5
        assert all(r.status == 200 for r in lrc.requests)


def test_slow_answer_times_out_as_retryable_error(lrc):
    lrc.inject(Fault.slow(1.5), times=None)
    out = source(lrc, timeout=0.3, attempts=1).fetch(item("Around the World", "Homework", 429_000))
    assert out.kind == "error" and out.retry and "time" in out.reason


@pytest.mark.parametrize("variant", ["truncated", "empty", "html"])
def test_malformed_body_is_a_retryable_error(lrc, variant):
    lrc.inject(Fault.malformed(variant), times=None)
    out = source(lrc).fetch(item("Around the World", "Homework", 429_000))
    assert out.kind == "error" and out.retry and "malformed" in out.reason


def test_wrong_shape_is_an_error_not_a_crash(lrc):
    lrc.inject(Fault.status(200, {"unexpected": True}), path="/api/get")
    out = source(lrc).fetch(item("Around the World", "Homework", 429_000))
    assert out.kind == "error" and out.retry


def test_nothing_listening_is_offline():
    src = LrclibSource(f"http://127.0.0.1:{unused_port()}/api/", per_second=1000, **FAST)
    out = src.fetch(item("Around the World", "Homework", 429_000))
    assert out.kind == "offline" and out.retry
