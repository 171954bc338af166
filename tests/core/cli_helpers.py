"""Running the real ``segue`` command line in a child process against a throwaway store and home."""

from __future__ import annotations

import os
import subprocess
import sys

from testpaths import LISTENING, ROOT

ALEEX = LISTENING / "lastfm-exports" / "aleex-cs__aleex_cs.csv"


def segue(tmp_path, *args: str, **run) -> subprocess.CompletedProcess:
    """``segue --db <tmp store> ARGS`` with SEGUE_HOME in ``tmp_path``; ``run`` goes to subprocess.run."""
    env = dict(os.environ, SEGUE_HOME=str(tmp_path / "home"))
    run.setdefault("capture_output", True)
    return subprocess.run(
        [sys.executable, "-m", "app", "--db", f"sqlite:///{tmp_path / 'cli.sqlite'}", *args],
        cwd=ROOT,
        env=env,
        text=True,
        timeout=120,
        **run,
    )
