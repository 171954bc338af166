"""A throwaway PostgreSQL server for the tests that run on both engines (``@pytest.mark.engines``).

The server comes from the machine's own PostgreSQL binaries (Debian keeps them in
``/usr/lib/postgresql/<version>/bin``; ``make postgres`` installs the package when they are missing).
It is started once per test session in a private temporary folder, as ``nobody`` when the tests run
as root (PostgreSQL refuses root), listening on a free port on 127.0.0.1 only, with fsync off. It is
the test process's own child and dies with it: stopped at the end of the session, and — should pytest
be killed — told by the kernel (``PR_SET_PDEATHSIG``) to shut down immediately. Each test gets a fresh
database: an empty one (``create_database()``) or a copy of one migrated once to head
(``create_database(template=...)``), which costs a file copy instead of a migration.
"""

from __future__ import annotations

import ctypes
import glob
import itertools
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

REQUIRE_ENV = "SEGUE_REQUIRE_PG"
"""Set by ``make test``: a missing PostgreSQL then fails the engine tests instead of skipping them."""


def binaries() -> Path | None:
    """The folder holding ``initdb`` and ``postgres`` (newest Debian version first), or ``None``."""
    for folder in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version, reverse=True):
        if Path(folder, "initdb").exists() and Path(folder, "postgres").exists():
            return Path(folder)
    found = shutil.which("initdb")
    return (
        Path(found).resolve().parent
        if found and Path(found).resolve().with_name("postgres").exists()
        else None
    )


def _version(folder: str) -> tuple[int, ...]:
    part = Path(folder).parent.name
    return tuple(int(x) for x in part.split(".") if x.isdigit())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PgServer:
    def __init__(self, bin_dir: Path):
        self.bin = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="segue-pg-"))
        self.data = self.root / "data"
        self.port = _free_port()
        self.proc: subprocess.Popen | None = None
        self._names = itertools.count(1)
        self._user = None
        if os.geteuid() == 0:
            self._user = pwd.getpwnam("nobody")
            os.chown(self.root, self._user.pw_uid, self._user.pw_gid)

    def _run_kwargs(self) -> dict:
        if self._user is None:
            return {}
        return {"user": self._user.pw_uid, "group": self._user.pw_gid, "extra_groups": []}

    def start(self) -> PgServer:
        subprocess.run(
            [str(self.bin / "initdb"), "-D", str(self.data), "-A", "trust", "-U", "segue", "-E", "UTF8"],
            check=True,
            capture_output=True,
            timeout=180,
            cwd=self.root,
            **self._run_kwargs(),
        )
        self.proc = subprocess.Popen(
            [
                str(self.bin / "postgres"),
                "-D",
                str(self.data),
                "-p",
                str(self.port),
                "-k",
                str(self.root),
                "-c",
                "listen_addresses=127.0.0.1",
                "-c",
                "fsync=off",
                "-c",
                "synchronous_commit=off",
                "-c",
                "full_page_writes=off",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "server.log", "wb"),  # noqa: SIM115 - the child keeps it open
            cwd=self.root,
            preexec_fn=_die_with_parent,  # after the switch to nobody: a credential change clears it
            **self._run_kwargs(),
        )
        self._wait_ready()
        return self

    def _wait_ready(self, timeout: float = 60.0) -> None:
        import psycopg

        deadline = time.monotonic() + timeout
        while True:
            try:
                psycopg.connect(self.dsn("postgres"), connect_timeout=2).close()
                return
            except psycopg.OperationalError:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    log = (self.root / "server.log").read_text(errors="replace")[-2000:]
                    raise RuntimeError(f"PostgreSQL did not start:\n{log}") from None
                time.sleep(0.1)

    def dsn(self, db: str) -> str:
        return f"host=127.0.0.1 port={self.port} user=segue dbname={db}"

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://segue@127.0.0.1:{self.port}/{db}"

    def create_database(self, template: str = "template0") -> str:
        """A new empty database (or a copy of ``template``); returns its SQLAlchemy URL."""
        import psycopg

        name = f"t{next(self._names)}"
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def drop_database(self, url: str) -> None:
        import psycopg

        name = url.rsplit("/", 1)[1]
        with psycopg.connect(self.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # "fast" shutdown: disconnect clients, stop
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        shutil.rmtree(self.root, ignore_errors=True)


def _die_with_parent() -> None:
    """In the server's process, before exec: SIGQUIT (PostgreSQL's immediate shutdown) when the test
    process dies, so a killed pytest never leaves a server behind."""
    libc = ctypes.CDLL(None, use_errno=True)
    pr_set_pdeathsig = 1
    libc.prctl(pr_set_pdeathsig, signal.SIGQUIT, 0, 0, 0)
