"""The product on PostgreSQL (a household server), end to end through the command line: import, stats,
sessions, train, recommend and explore — on the session's throwaway server (``tests/pgserver.py``).

The store-level tests (ingest, names, re-keying, sessions) run on both engines through the
``engines`` marker; this one drives the whole path the way a user on a server does.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from testpaths import LISTENING, ROOT

ALEEX = LISTENING / "lastfm-exports" / "aleex-cs__aleex_cs.csv"
ROWS = 2_000  # the newest 2,000 real plays: enough to train on, quick on 2 cores


def _segue(url: str, home, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "app", "--db", url, *args],
        cwd=ROOT,
        env=dict(os.environ, SEGUE_HOME=str(home)),
        capture_output=True,
        text=True,
        timeout=600,
    )


@pytest.fixture(scope="module")
def pg_url(pg_server) -> str:
    """A fresh database on the session's server (tests elsewhere import this fixture by name)."""
    return pg_server.create_database()


@pytest.fixture(scope="module")
def trained(pg_server, tmp_path_factory):
    """A PostgreSQL store with ``pg`` imported (twice) and trained through the CLI: (run, import JSONs)."""
    if not ALEEX.exists():
        pytest.skip(f"shared data not found at {ALEEX}")
    url = pg_server.create_database()
    folder = tmp_path_factory.mktemp("pg-cli")
    cut = folder / "aleex_cut.csv"
    cut.write_text("".join(ALEEX.read_text(encoding="utf-8").splitlines(keepends=True)[: ROWS + 1]), "utf-8")

    def segue(*args: str, ok: bool = True) -> subprocess.CompletedProcess:
        out = _segue(url, folder / "home", *args)
        if ok:
            assert out.returncode == 0, out.stderr
        assert "Traceback" not in out.stderr
        return out

    imports = [json.loads(segue("import", str(cut), "--account", "pg", "--json").stdout) for _ in range(2)]
    segue("train", "--account", "pg")
    return segue, imports


@pytest.mark.slow
def test_import_stats_sessions_train_recommend_on_postgresql(trained):
    segue, (first, again) = trained
    assert first["files"][0]["added"] == ROWS and again["files"][0]["added"] == 0
    stats = json.loads(segue("stats", "--account", "pg", "--json").stdout)
    assert stats["plays"] == ROWS and stats["top_artists_by_plays"][0]["plays"] > 0
    sessions = json.loads(segue("sessions", "--account", "pg", "--json").stdout)["sessions"]
    assert 0 < len(sessions) and sum(s["plays"] for s in sessions) <= ROWS
    recs = json.loads(segue("recommend", "--account", "pg", "-k", "5", "--json").stdout)["suggestions"]
    assert len(recs) == 5 and all(r["track"] and r["reason"] for r in recs)


@pytest.mark.slow
def test_explore_on_postgresql(trained):
    segue, _ = trained
    explore = json.loads(segue("recommend", "--account", "pg", "-k", "5", "--explore", "--json").stdout)
    assert all(r["new_to_user"] for r in explore["suggestions"])
