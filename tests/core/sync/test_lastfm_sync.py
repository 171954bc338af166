"""The Last.fm sync against a real HTTP fake serving a real 75k-play history."""

from __future__ import annotations

import time

import pytest
from fakes.lastfm_server import Fault, Play
from sync_helpers import api, play_key, real_history, source_keys, stored_keys
from testpaths import LISTENING

from core.jobs import Cancelled, CancelToken, run_job
from core.net import AuthRequired, Fatal, NotFound, Transient
from core.sources.lastfm.api import PrivateProfile
from core.sources.lastfm.sync import sync_account
from core.store.queries import account_by_name

NOW = int(time.time())


def recent_plays(n: int, start: int = NOW - 3 * 86400, step: int = 60) -> list[Play]:
    return [Play(f"Artist {i % 7}", f"Song {i}", "Album", start + i * step) for i in range(n)]


def sync(store, server, user="alice", account="me", **kw):
    client = kw.pop("client", None) or api(server)
    try:
        return run_job(sync_account(store, account, user, client, **kw))
    finally:
        client.close()


@pytest.mark.slow
def test_full_backfill_equals_the_source_history(store, fake_lastfm_factory, shared):
    history = real_history(LISTENING)
    server = fake_lastfm_factory(users={"alice": list(history)})
    report = sync(store, server)
    keys = stored_keys(store)
    assert len(keys) == len(set(keys)), "no play stored twice"
    assert set(keys) == source_keys(history)
    assert report.mode == "backfill" and report.pages == (len(history) + 199) // 200
    calls = server.calls("user.getRecentTracks")
    assert {c.params["to"] for c in calls} == {calls[0].params["to"]}, "`to` is pinned for the whole walk"
    assert all(c.params["limit"] == "200" for c in calls)
    assert all("Segue/" in c.user_agent for c in calls)


def test_backfill_small_history_exact_and_idempotent(store, fake_lastfm_factory, shared):
    history = real_history(LISTENING, 1500)
    server = fake_lastfm_factory(users={"alice": list(history)})
    first = sync(store, server)
    assert set(stored_keys(store)) == source_keys(history)
    assert first.added == len(source_keys(history))
    again = sync(store, server)
    assert again.added == 0 and again.mode == "incremental"
    assert sorted(stored_keys(store)) == sorted(set(stored_keys(store)))


def test_cancel_mid_way_then_resume_loses_and_duplicates_nothing(store, fake_lastfm_factory, shared):
    history = real_history(LISTENING, 2000)
    server = fake_lastfm_factory(users={"alice": list(history)})
    token = CancelToken()
    client = api(server)
    gen = sync_account(store, "me", "alice", client, cancel=token)
    seen = 0
    with pytest.raises(Cancelled):
        for p in gen:
            seen += 1
            if p.done == 4:
                token.cancel()
    partial = stored_keys(store)
    assert 0 < len(partial) < len(source_keys(history))
    assert set(partial) <= source_keys(history)
    sync(store, server)
    keys = stored_keys(store)
    assert len(keys) == len(set(keys)) and set(keys) == source_keys(history)


def test_service_failure_mid_way_keeps_committed_pages_and_resumes(store, fake_lastfm_factory, shared):
    history = real_history(LISTENING, 2000)
    server = fake_lastfm_factory(users={"alice": list(history)})
    server.inject(Fault.http(503), method="user.getRecentTracks", page=3, times=None)
    with pytest.raises(Transient):
        sync(store, server, client=api(server, attempts=2))
    committed = len(stored_keys(store))
    assert committed > 0  # the oldest pages were committed before page 3 failed
    server.clear_faults()
    sync(store, server)
    keys = stored_keys(store)
    assert len(keys) == len(set(keys)) and set(keys) == source_keys(history)


def test_new_scrobbles_arrive_between_runs(store, fake_lastfm_factory):
    server = fake_lastfm_factory(users={"alice": recent_plays(450)})
    sync(store, server)
    server.add_plays([Play("Late", "Arrival", "", NOW - 60)], user="alice")
    report = sync(store, server)
    assert report.added == 1
    assert play_key("Late", "Arrival", NOW - 60) in set(stored_keys(store))


def test_edit_and_deletion_inside_recheck_window_are_mirrored(store, fake_lastfm_factory):
    server = fake_lastfm_factory(users={"alice": recent_plays(300)})
    sync(store, server)
    victim, edited = (
        server.find_plays(user="alice", track="Song 10")[0],
        server.find_plays(user="alice", track="Song 20")[0],
    )
    server.delete_play(victim.id, user="alice")
    server.edit_play(edited.id, user="alice", track="Song 20 (corrected)")
    report = sync(store, server, force_recheck=True)
    keys = set(stored_keys(store))
    assert play_key("Artist 3", "Song 10", victim.played_at) not in keys
    assert play_key(edited.artist, "Song 20", edited.played_at) not in keys
    assert play_key(edited.artist, "Song 20 (corrected)", edited.played_at) in keys
    assert report.deleted == 1 and report.edited == 1 and report.rechecked
    assert len(keys) == 299


def test_recheck_never_touches_other_sources_or_old_plays(store, fake_lastfm_factory):
    old = [Play("Old", f"Song {i}", "", NOW - 100 * 86400 + i * 300) for i in range(5)]
    server = fake_lastfm_factory(users={"alice": old + recent_plays(20)})
    sync(store, server)
    for p in server.find_plays(user="alice", artist="Old"):
        server.delete_play(p.id, user="alice")
    sync(store, server, force_recheck=True)
    assert sum(1 for k in stored_keys(store) if k[1] == "old") == 5, (
        "deletions older than 14 days are not mirrored"
    )


def test_now_playing_row_is_skipped(store, fake_lastfm_factory):
    server = fake_lastfm_factory(users={"alice": recent_plays(5)})
    server.set_now_playing(Play("Live", "Right Now", "", 0), user="alice")
    sync(store, server)
    assert all(k[1] != "live" for k in stored_keys(store))
    assert len(stored_keys(store)) == 5


def test_noop_incremental_sync_makes_one_request(store, fake_lastfm_factory):
    server = fake_lastfm_factory(users={"alice": recent_plays(600)})
    sync(store, server)
    sync(store, server, force_recheck=True)
    server.clear_log()
    report = sync(store, server)
    assert report.added == 0 and not report.rechecked
    assert server.request_count("user.getRecentTracks") == 1


def test_rate_limit_is_at_most_four_requests_per_second(store, fake_lastfm_factory):
    server = fake_lastfm_factory(users={"alice": recent_plays(1400)})  # 7 pages; page 1 doubles as the probe
    sync(store, server, client=api(server, per_second=4.0))
    assert server.request_count("user.getRecentTracks") == 7
    assert server.max_requests_in(1.0) <= 4


@pytest.mark.parametrize(
    "fault",
    [
        Fault.error(8),
        Fault.error(11),
        Fault.error(16),
        Fault.error(16, status=200),
        Fault.http(500),
        Fault.http(502),
        Fault.malformed("truncated"),
        Fault.malformed("html"),
        Fault.reset(),
        Fault.close(),
        Fault.incomplete(),
        Fault.error(29),
    ],
    ids=lambda f: f"{f.kind}-{getattr(f, 'code', '')}-{getattr(f, 'status', '')}",
)
def test_transient_errors_are_retried(store, fake_lastfm_factory, fault):
    server = fake_lastfm_factory(users={"alice": recent_plays(450)})
    server.inject(fault, method="user.getRecentTracks", page=2, times=2)
    sync(store, server)
    assert len(stored_keys(store)) == 450


def test_slow_page_times_out_and_is_retried(store, fake_lastfm_factory):
    server = fake_lastfm_factory(users={"alice": recent_plays(250)})
    server.inject(Fault.slow(3.0), method="user.getRecentTracks", page=2, times=1)
    sync(store, server, client=api(server, timeout=0.5))
    assert len(stored_keys(store)) == 250


def test_rate_limit_error_pauses_before_retrying(store, fake_lastfm_factory):
    server = fake_lastfm_factory(users={"alice": recent_plays(50)})
    server.inject(29, method="user.getRecentTracks", times=1)
    t0 = time.monotonic()
    sync(store, server, client=api(server, rate_pause_s=0.6))
    assert time.monotonic() - t0 >= 0.6
    assert len(stored_keys(store)) == 50


@pytest.mark.parametrize(
    "code,exc",
    [(10, Fatal), (26, Fatal), (9, AuthRequired), (4, AuthRequired), (2, Fatal), (3, Fatal), (13, Fatal)],
)
def test_fatal_errors_stop_with_a_message_and_leave_the_store_alone(store, fake_lastfm_factory, code, exc):
    server = fake_lastfm_factory(users={"alice": recent_plays(450)})
    sync(store, server)
    before = stored_keys(store)
    server.add_plays(recent_plays(3, start=NOW - 600, step=60), user="alice")
    server.inject(code, method="user.getRecentTracks", times=None)
    with pytest.raises(exc) as info:
        sync(store, server)
    assert str(code) in str(info.value)
    assert stored_keys(store) == before


def test_unknown_user_is_not_found(store, fake_lastfm_factory):
    server = fake_lastfm_factory(users={"alice": recent_plays(3)})
    with pytest.raises(NotFound):
        sync(store, server, user="nobody")


def test_private_profile_needs_and_uses_the_session_key(store, fake_lastfm_factory):
    server = fake_lastfm_factory(users={"alice": recent_plays(250)}, private_users=["alice"])
    with pytest.raises(PrivateProfile):
        sync(store, server)
    sk = server.add_session("alice")
    sync(store, server, client=api(server, session_key=sk))
    assert len(stored_keys(store)) == 250
    assert account_by_name(store.engine, "me").kind == "lastfm"
