"""The store on PostgreSQL (a household server): migrations, import, dedupe, queries.

A throwaway server is started from the machine's `initdb`/`pg_ctl` (as `nobody` when run as root, as
PostgreSQL refuses root); the test is skipped where PostgreSQL is not installed.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest
from testpaths import LISTENING

from core.jobs import run_job
from core.reports import stats_report
from core.sources.importing import import_files
from core.store import open_store
from core.store.queries import account_by_name

pytestmark = pytest.mark.skipif(
    shutil.which("initdb") is None or shutil.which("pg_ctl") is None,
    reason="PostgreSQL server binaries not installed",
)


def _as_db_user(cmd: list[str]) -> list[str]:
    return ["runuser", "-u", "nobody", "--", *cmd] if os.geteuid() == 0 else cmd


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def pg_url():
    pytest.importorskip("psycopg")
    root = Path(tempfile.mkdtemp(prefix="segue-pg-"))  # outside pytest's 0700 folder: `nobody` must enter it
    os.chmod(root, 0o777)
    data, port = root / "data", _free_port()
    subprocess.run(
        _as_db_user(["initdb", "-D", str(data), "-A", "trust", "-U", "segue", "-E", "UTF8"]),
        check=True,
        capture_output=True,
        timeout=120,
    )
    subprocess.run(
        _as_db_user(
            [
                "pg_ctl",
                "-D",
                str(data),
                "-l",
                str(root / "log"),
                "-w",
                "-o",
                f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off",
                "start",
            ]
        ),
        check=True,
        capture_output=True,
        timeout=120,
    )
    url = f"postgresql+psycopg://segue@127.0.0.1:{port}/postgres"
    for _ in range(50):
        try:
            open_store(url, migrate_to_head=False).engine.connect().close()
            break
        except Exception:  # noqa: BLE001 - still starting
            time.sleep(0.2)
    yield url
    subprocess.run(_as_db_user(["pg_ctl", "-D", str(data), "-m", "immediate", "stop"]), capture_output=True)
    shutil.rmtree(root, ignore_errors=True)


def test_store_works_on_postgresql(pg_url, shared):
    store = open_store(pg_url)
    path = LISTENING / "lastfm-exports" / "aleex-cs__aleex_cs.csv"
    first = run_job(import_files(store, [path], "pg"))
    assert first.ok and first.files[0].added > 5900
    again = run_job(import_files(store, [path], "pg"))
    assert again.files[0].added == 0
    acc = account_by_name(store.engine, "pg")
    assert acc.plays == first.files[0].added
    report = stats_report(store.engine, acc.id)
    assert report["plays"] == acc.plays and report["top_artists_by_plays"][0]["plays"] > 0
    store.dispose()
