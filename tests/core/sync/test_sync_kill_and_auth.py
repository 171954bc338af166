"""A real SIGKILL in the middle of `segue sync`, and the pylast desktop login against a TLS fake."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time

import pytest
from fakes.lastfm_server import DEFAULT_API_KEY, DEFAULT_API_SECRET
from sync_helpers import api, real_history, source_keys, stored_keys
from testpaths import LISTENING, ROOT

from core import secrets
from core.jobs import run_job
from core.sources.lastfm.api import TokenNotAuthorised
from core.sources.lastfm.auth import begin_login, finish_login, session_secret_name
from core.sources.lastfm.sync import sync_account
from core.store import open_store


def test_sigkill_mid_sync_then_rerun_loses_and_duplicates_nothing(tmp_path, fake_lastfm_factory, shared):
    history = real_history(LISTENING, 6000)
    server = fake_lastfm_factory(users={"alice": list(history)})
    db = tmp_path / "killed.sqlite"
    env = dict(
        os.environ,
        SEGUE_LASTFM_API_KEY=DEFAULT_API_KEY,
        SEGUE_LASTFM_API_ROOT=server.url,
        SEGUE_HOME=str(tmp_path / "home"),
    )
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "app",
            "--db",
            f"sqlite:///{db}",
            "sync",
            "--account",
            "me",
            "--user",
            "alice",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    deadline = time.monotonic() + 60
    while server.request_count("user.getRecentTracks") < 8 and time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"sync ended early: {proc.stderr.read().decode()}")
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(10)

    with sqlite3.connect(db) as raw:
        assert raw.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    store = open_store(f"sqlite:///{db}")
    partial = stored_keys(store)
    assert 0 < len(partial) < len(source_keys(history))
    assert len(partial) == len(set(partial)) and set(partial) <= source_keys(history)

    client = api(server)
    report = run_job(sync_account(store, "me", "alice", client))
    client.close()
    keys = stored_keys(store)
    assert len(keys) == len(set(keys)) and set(keys) == source_keys(history)
    assert report.added == len(source_keys(history)) - len(partial)
    store.dispose()


def test_desktop_login_through_pylast_stores_the_session_key(fake_lastfm_factory, monkeypatch):
    import pylast

    server = fake_lastfm_factory(users={"alice": []}, tls=True)
    monkeypatch.setattr(pylast, "SSL_CONTEXT", server.client_ssl_context())
    pending = begin_login(DEFAULT_API_KEY, DEFAULT_API_SECRET, server.url)
    assert pending.url.startswith(server.root + "/api/auth/") and pending.token in pending.url
    with pytest.raises(TokenNotAuthorised):
        finish_login(pending, "me")  # not approved in the browser yet
    server.approve_token(pending.token, "alice")
    assert finish_login(pending, "me") == "alice"
    key = secrets.get_secret(session_secret_name("me"))
    assert key and key in server.sessions
