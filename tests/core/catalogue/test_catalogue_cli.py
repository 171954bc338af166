"""``segue catalogue refresh|status`` as a user runs it: against the fakes, then a readable status."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from fakes.listenbrainz_server import segue_env
from helpers import write_history
from livefakes import HISTORY, fakes
from testpaths import ROOT


def segue(tmp_path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = dict(os.environ, SEGUE_HOME=str(tmp_path / "home"), **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "app", "--db", f"sqlite:///{tmp_path / 'cli.sqlite'}", *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_refresh_and_status_json_and_text(tmp_path):
    history = write_history(tmp_path / "me.csv", HISTORY)
    assert segue(tmp_path, "import", str(history), "--account", "me").returncode == 0
    with fakes() as (fm, lb, mb):
        env = segue_env(fm, lb, mb)
        out = segue(tmp_path, "catalogue", "refresh", "--account", "me", "--json", env=env)
        assert out.returncode == 0, out.stderr
        refresh = json.loads(out.stdout)
        assert refresh["sources"]["lastfm.artist.getSimilar"]["ok"] == 2
        status = json.loads(segue(tmp_path, "catalogue", "status", "--account", "me", "--json").stdout)
        text = segue(tmp_path, "catalogue", "status", "--account", "me")
    assert status["candidates"] > 10 and status["new_artists"] >= 3
    top = status["sources"]["lastfm.artist.getTopTracks"]
    assert top["candidates"] > 0 and top["artists"] > 0 and top["errors"] == 0 and top["newest_days"] == 0
    assert set(top) >= {"candidates", "artists", "new_artists", "seeds", "status", "oldest_days", "errors"}
    assert (
        text.returncode == 0 and "lastfm.artist.getTopTracks" in text.stdout and "new to you" in text.stdout
    )


def test_unknown_account_and_source_are_one_line_errors(tmp_path):
    history = write_history(tmp_path / "me.csv", HISTORY)
    segue(tmp_path, "import", str(history), "--account", "me")
    out = segue(tmp_path, "catalogue", "status", "--account", "nobody")
    assert out.returncode == 2 and "no account named 'nobody'" in out.stderr and "Traceback" not in out.stderr
    out = segue(tmp_path, "catalogue", "refresh", "--account", "me", "--source", "lastfm.nothing")
    assert out.returncode == 2 and "unknown catalogue source lastfm.nothing" in out.stderr
