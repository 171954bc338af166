"""Job bodies for the job tests (module-level, so a child process can import them by name), and the
helpers those tests share."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from core.jobs import Progress
from core.sources.records import ImportFailure


def target(fn) -> str:
    return f"{fn.__module__}:{fn.__qualname__}"


def count(ctx, n: int, pid_file: str | None = None):
    """``n`` progress reports as fast as possible; checks the token between them."""
    if pid_file:
        Path(pid_file).write_text(str(os.getpid()), encoding="utf-8")
    for i in range(n):
        ctx.cancel.raise_if_cancelled()
        yield Progress(i + 1, n, f"step {i + 1}")
    return {"counted": n, "pid": os.getpid()}


def forever(ctx, pid_file: str, check: bool = True):
    """Runs until cancelled (``check``) — or, with ``check=False``, ignores the token and never yields."""
    Path(pid_file).write_text(str(os.getpid()), encoding="utf-8")
    yield Progress(0, None, "started")
    while True:
        if check:
            ctx.cancel.raise_if_cancelled()
        time.sleep(0.02)


def bad_import(ctx):
    """Fails the way an importer does: an exception whose __init__ does not take its own args."""
    yield Progress(0, 1, "reading")
    raise ImportFailure("plays.csv", "no timestamp column", line=3, field="date")


def report_with_failures(ctx):
    """Returns a result that holds exceptions (like ``ImportReport.failures``)."""
    yield Progress(1, 1, "done")
    return {"failures": [ImportFailure("a.json", "not JSON", line=1)], "ok": 0}


def crash(ctx, code: int = 3):
    yield Progress(0, 1, "about to die")
    os._exit(code)


def uses_store(ctx):
    from core.store.queries import list_accounts

    yield Progress(0, 1, "reading accounts")
    return [a.name for a in list_accounts(ctx.store.engine)]


def wait_for(pred, timeout: float = 15.0) -> bool:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(0.02)
    return False


def run_then_kill(script: Path, *args: str) -> None:
    """Run ``script`` (which prints "started" once its job runs) and SIGKILL it then: a crash."""
    root = Path(__file__).resolve().parents[3]
    proc = subprocess.Popen(
        [sys.executable, str(script), *args],
        cwd=root,
        stdout=subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(root)},
        text=True,
    )
    try:
        assert proc.stdout.readline().strip() == "started"
    finally:
        proc.kill()
        proc.wait(10)
