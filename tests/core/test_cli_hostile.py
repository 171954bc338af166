"""The command line against what users and the world feed it: pipes, odd names, no terminal."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from cli_helpers import ALEEX, segue
from testpaths import ROOT


def test_import_from_stdin_redirected_and_piped(tmp_path, shared):
    with open(ALEEX, "rb") as fh:
        redirected = segue(tmp_path, "import", "/dev/stdin", "--account", "a", "--json", stdin=fh)
    assert redirected.returncode == 0, redirected.stderr
    assert json.loads(redirected.stdout)["files"][0]["added"] > 5900
    piped = segue(
        tmp_path, "import", "/dev/stdin", "--account", "b", "--json", input=ALEEX.read_text("utf-8")
    )
    assert piped.returncode == 0, piped.stderr
    (f,) = json.loads(piped.stdout)["files"]
    assert f["path"] == "/dev/stdin" and f["format"] == "lastfm-ghan" and f["added"] > 5900


def test_import_from_process_substitution(tmp_path, shared):
    env = dict(os.environ, SEGUE_HOME=str(tmp_path / "home"))
    cmd = (
        f'{sys.executable} -m app --db sqlite:///{tmp_path / "p.sqlite"} import <(cat "{ALEEX}") -a p --json'
    )
    out = subprocess.run(["bash", "-c", cmd], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["files"][0]["added"] > 5900


def test_a_fifo_nobody_writes_to_exits_2_at_once(tmp_path):
    fifo = tmp_path / "scrobbles.csv"
    os.mkfifo(fifo)
    out = segue(tmp_path, "import", str(fifo), "--account", "a")
    assert out.returncode == 2
    assert out.stderr == f"segue: {fifo}: nothing was written to this pipe (file is empty)\n"


def test_names_with_terminal_escapes_print_escaped(tmp_path, shared):
    rows = ALEEX.read_text(encoding="utf-8").splitlines(keepends=True)[:40]
    rows[1:] = [r.replace('"Roy Harper"', '"Roy \x1b[31mHarper\x07"') for r in rows[1:]]
    path = tmp_path / "esc.csv"
    path.write_text("".join(rows), encoding="utf-8")
    assert segue(tmp_path, "import", str(path), "--account", "esc").returncode == 0
    for cmd in (["stats", "--account", "esc"], ["sessions", "--account", "esc"]):
        out = segue(tmp_path, *cmd)
        assert out.returncode == 0, out.stderr
        assert "\x1b" not in out.stdout and "\x07" not in out.stdout
        assert "Roy \\x1b[31mHarper\\x07" in out.stdout
    stored = json.loads(segue(tmp_path, "stats", "--account", "esc", "--json").stdout)
    assert any(
        a["name"] == "Roy \x1b[31mHarper\x07" for a in stored["top_artists_by_plays"]
    )  # stored as given


def test_questions_without_a_terminal_name_the_flag(tmp_path, shared):
    segue(tmp_path, "import", str(ALEEX), "--account", "a")
    out = segue(tmp_path, "insights", "enable", "--account", "a", stdin=subprocess.DEVNULL)
    assert out.returncode == 2 and "pass --yes to answer it" in out.stderr and "EOF" not in out.stderr
    out = segue(tmp_path, "accounts", "delete", "a", stdin=subprocess.DEVNULL)
    assert out.returncode == 2 and "pass --yes to answer it" in out.stderr
    assert segue(tmp_path, "insights", "enable", "--account", "a", "--yes").returncode == 0
    out = segue(tmp_path, "insights", "selfcheck", "k10", "--account", "a", stdin=subprocess.DEVNULL)
    assert out.returncode == 2 and "pass --answers" in out.stderr


def test_an_account_name_over_200_characters_is_refused(tmp_path, shared):
    out = segue(tmp_path, "import", str(ALEEX), "--account", "n" * 250)
    assert out.returncode == 2
    assert "the name is 250 characters long; an account name has at most 200" in out.stderr
    assert "Traceback" not in out.stderr


def test_an_unreachable_database_is_one_sentence_without_its_password(tmp_path):
    env = dict(os.environ, SEGUE_HOME=str(tmp_path / "home"))
    url = "postgresql+psycopg://me:s3cret-pass-word@127.0.0.1:1/segue"
    out = subprocess.run(
        [sys.executable, "-m", "app", "--db", url, "stats", "--account", "a"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert out.returncode == 1
    assert out.stderr.startswith(
        "segue: cannot open database postgresql+psycopg://me:***@127.0.0.1:1/segue: "
    )
    assert "s3cret" not in out.stderr + out.stdout and "unexpected error" not in out.stderr
