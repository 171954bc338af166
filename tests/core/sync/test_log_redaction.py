"""No secret in any log: a full login + private-profile sync + failing call with ``-v``, then grep.

The session key, API key and shared secret must appear neither on stderr nor in
``$SEGUE_HOME/logs/segue.log``; the log folder is 0700 and the file 0600.
"""

from __future__ import annotations

import logging
import os
import stat

import pytest
from fakes.lastfm_server import DEFAULT_API_KEY, DEFAULT_API_SECRET
from sync_helpers import real_history
from testpaths import LISTENING

from app.__main__ import main as segue
from core import logs, secrets
from core.sources.lastfm.auth import session_secret_name


@pytest.fixture(autouse=True)
def _restore_logging():
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for h in root.handlers:
        if h not in handlers:
            h.close()
    root.handlers[:] = handlers
    root.setLevel(level)


def test_login_sync_and_error_with_verbose_log_no_secret(tmp_path, fake_lastfm_factory, monkeypatch, capsys):
    import pylast

    history = real_history(LISTENING, 600)
    server = fake_lastfm_factory(
        users={"alice": list(history)}, private_users=["alice"], tls=True, auto_approve_user="alice"
    )
    monkeypatch.setattr(pylast, "SSL_CONTEXT", server.client_ssl_context())
    home = tmp_path / "home"
    monkeypatch.setenv("SEGUE_HOME", str(home))
    monkeypatch.setenv("SEGUE_KEYRING", "file")
    monkeypatch.setenv("SEGUE_LASTFM_API_KEY", DEFAULT_API_KEY)
    monkeypatch.setenv("SEGUE_LASTFM_API_SECRET", DEFAULT_API_SECRET)
    monkeypatch.setenv("SEGUE_LASTFM_API_ROOT", server.url)
    monkeypatch.setenv("SSL_CERT_FILE", str(server.cafile))  # httpx (the sync) trusts the fake's CA
    db = f"sqlite:///{tmp_path / 'store.sqlite'}"

    def approve(_prompt: str = "") -> str:  # the user approves in the browser, then presses Enter
        import httpx

        url = capsys.readouterr().out.split("\n  ", 1)[1].split()[0]
        httpx.get(url, verify=server.cafile)
        return ""

    monkeypatch.setattr("builtins.input", approve)
    assert segue(["-v", "--db", db, "login", "--account", "me", "--no-browser"]) == 0
    session_key = secrets.get_secret(session_secret_name("me"))
    assert session_key and len(session_key) >= 16

    assert segue(["-v", "--db", db, "sync", "--account", "me", "--user", "alice"]) == 0
    assert server.request_count("user.getRecentTracks") >= 2  # signed pages: the profile is private
    server.set_private("alice", False)
    monkeypatch.setenv("SEGUE_LASTFM_API_KEY", "0" * 32)  # a bad key: error 10, logged and shown
    assert segue(["-v", "--db", db, "sync", "--account", "me", "--user", "alice"]) != 0

    logging.shutdown()
    err = capsys.readouterr().err
    log_dir = home / "logs"
    text = "".join(p.read_text(encoding="utf-8") for p in log_dir.iterdir())
    assert "HTTP Request" in err and "HTTP Request" in text  # httpx's own lines are kept, redacted
    for secret in (session_key, DEFAULT_API_KEY, DEFAULT_API_SECRET, "0" * 32):
        assert secret not in err
        assert secret not in text
    assert "sk=***" in text and "api_sig=***" in text
    if os.name == "posix":
        assert stat.S_IMODE(log_dir.stat().st_mode) == 0o700
        for path in log_dir.iterdir():
            assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_redact_covers_params_json_headers_and_registered_values():
    logs.register_secret("s3cr3t-value-42")
    line = (
        'GET https://x/?method=a&api_key=abc123&sk=deadbeef&api_sig=f00 {"access_token": "tok-1"} '
        "Authorization: Bearer eyJhbGciOi.J9 and s3cr3t-value-42"
    )
    out = logs.redact(line)
    for leaked in ("abc123", "deadbeef", "f00", "tok-1", "eyJhbGciOi.J9", "s3cr3t-value-42"):
        assert leaked not in out
    assert "method=a" in out
    assert logs.redact("a code review of the skyline") == "a code review of the skyline"


def test_an_older_wide_log_file_is_tightened(tmp_path, monkeypatch):
    monkeypatch.setenv("SEGUE_HOME", str(tmp_path))
    folder = tmp_path / "logs"
    folder.mkdir(mode=0o755)
    (folder / "segue.log").write_text("old\n")
    os.chmod(folder / "segue.log", 0o644)
    logs.setup_logging(False)
    logging.getLogger("x").warning("hello")
    if os.name == "posix":
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert stat.S_IMODE((folder / "segue.log").stat().st_mode) == 0o600
