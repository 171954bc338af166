"""The `segue` command line as other tools use it: JSON contracts, exit codes, readable errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from cli_helpers import ALEEX, segue
from testpaths import ROOT


def test_import_json_summary_contract(tmp_path, shared):
    out = segue(tmp_path, "import", str(ALEEX), "--account", "aleex", "--json")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    (f,) = data["files"]
    assert set(f) >= {"path", "format", "read", "added", "duplicates", "skipped", "first", "last"}
    assert f["format"] == "lastfm-ghan" and f["read"] == 6001 and f["added"] > 5900
    assert f["first"].endswith("Z") and f["first"] < f["last"]
    again = json.loads(segue(tmp_path, "import", str(ALEEX), "--account", "aleex", "--json").stdout)
    assert again["files"][0]["added"] == 0


def _broken_copy(tmp_path, bad_lines: range):
    bad = tmp_path / "broken.csv"
    lines = ALEEX.read_text(encoding="utf-8").splitlines()
    for i in bad_lines:
        lines[i] = '"notatime","22 Feb 2026, 11:50","Roy Harper","","Stormcock","","Hors","",""'
    bad.write_text("\n".join(lines[:40]) + "\n", encoding="utf-8")
    return bad


def test_one_unreadable_row_is_skipped_and_named(tmp_path, shared):
    bad = _broken_copy(tmp_path, range(10, 11))
    out = segue(tmp_path, "import", str(bad), "--account", "b")
    assert out.returncode == 0, out.stderr
    assert "added 38" in out.stdout and "malformed 1" in out.stdout
    assert "line 11: expected 8 fields, found 9 (a stray delimiter or quote?)" in out.stdout
    data = json.loads(segue(tmp_path, "import", str(bad), "--account", "c", "--json").stdout)
    assert data["files"][0]["problems"] == [
        "line 11: expected 8 fields, found 9 (a stray delimiter or quote?)"
    ]


def test_mostly_unreadable_file_exits_2_with_one_clear_message_and_no_traceback(tmp_path, shared):
    segue(tmp_path, "import", str(ALEEX), "--account", "a")
    bad = _broken_copy(tmp_path, range(1, 11))  # 10 of 39 rows: more than 10%
    out = segue(tmp_path, "import", str(bad), "--account", "a", "--json")
    assert out.returncode == 2
    assert "broken.csv" in out.stderr and "10 of 39 rows could not be read" in out.stderr
    assert "line 2" in out.stderr and "Traceback" not in out.stderr + out.stdout
    fresh = segue(tmp_path, "import", str(bad), "--account", "fresh")
    assert fresh.returncode == 2
    accounts = json.loads(segue(tmp_path, "accounts", "--json").stdout)["accounts"]
    assert all(a["plays"] == 0 for a in accounts if a["name"] == "fresh"), "the bad file added nothing"


@pytest.mark.parametrize(
    "content,name",
    [
        (b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 4, "cover.png"),
        (b"", "empty.csv"),
        (b"hello there\nthis is not a history\n", "notes.txt"),
    ],
)
def test_unrecognised_files_exit_2(tmp_path, content, name):
    path = tmp_path / name
    path.write_bytes(content)
    out = segue(tmp_path, "import", str(path), "--account", "a")
    assert out.returncode == 2 and name in out.stderr and "Traceback" not in out.stderr


def test_stats_and_sessions_json(tmp_path, shared):
    segue(tmp_path, "import", str(ALEEX), "--account", "aleex")
    stats = json.loads(segue(tmp_path, "stats", "--account", "aleex", "--json").stdout)
    assert stats["plays"] > 5900 and stats["sessions"] > 10
    assert stats["first"] < stats["last"]
    assert stats["top_artists_by_plays"][0]["plays"] >= stats["top_artists_by_plays"][1]["plays"]
    assert len(stats["hour_weekday"]) == 7 and len(stats["hour_weekday"][0]) == 24
    sessions = json.loads(segue(tmp_path, "sessions", "--account", "aleex", "--gap", "30m", "--json").stdout)
    assert sessions["gap_seconds"] == 1800 and len(sessions["sessions"]) > stats["sessions"]
    assert sum(s["plays"] for s in sessions["sessions"]) <= stats["plays"]


def test_unknown_account_is_a_clear_error(tmp_path):
    out = segue(tmp_path, "stats", "--account", "nobody")
    assert out.returncode == 2 and "no account named 'nobody'" in out.stderr


def test_sync_without_api_key_explains_what_to_do(tmp_path):
    env_key = os.environ.pop("SEGUE_LASTFM_API_KEY", None)
    try:
        out = segue(tmp_path, "sync", "--account", "me")
    finally:
        if env_key:
            os.environ["SEGUE_LASTFM_API_KEY"] = env_key
    assert out.returncode == 2 and "API key" in out.stderr


def test_output_into_a_closed_pipe_ends_quietly(tmp_path, shared):
    """`segue accounts | head -0`: the reader is gone; no "unexpected error", no traceback."""
    segue(tmp_path, "import", str(ALEEX), "--account", "aleex")
    read_end, write_end = os.pipe()
    os.close(read_end)
    env = dict(os.environ, SEGUE_HOME=str(tmp_path / "home"))
    out = subprocess.run(
        [sys.executable, "-m", "app", "--db", f"sqlite:///{tmp_path / 'cli.sqlite'}", "accounts"],
        cwd=ROOT,
        env=env,
        stdout=write_end,
        stderr=subprocess.PIPE,
        text=True,
        timeout=120,
    )
    os.close(write_end)
    assert (out.returncode, out.stderr) == (141, "")
