"""Jobs isolated in a child process: progress, results and failures by value, cancel, crashes."""

from __future__ import annotations

import os
import time

import pytest
from jobbodies import (
    bad_import,
    count,
    crash,
    forever,
    report_with_failures,
    run_then_kill,
    target,
    uses_store,
    wait_for,
)

from core.jobs import Cancelled, CancelToken, Progress, Throttle, run_job
from core.jobs.history import recent_runs
from core.jobs.isolate import CANCEL_GRACE_S, run_isolated, store_url
from core.jobs.runner import JobRegistry, Runner
from core.jobs.wire import JobCrashed, RemoteError, dumps, loads
from core.sources.records import ImportFailure
from core.store.catalog import get_or_create_account


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:  # a zombie (exited, not yet reaped by its parent) counts as gone
        with open(f"/proc/{pid}/stat", encoding="ascii") as fh:
            return fh.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return True


def test_progress_and_result_come_back_throttled(store):
    seen: list[Progress] = []
    out = run_job(run_isolated(target(count), {"n": 20000}, store_url(store), CancelToken()), seen.append)
    assert out["counted"] == 20000 and out["pid"] != os.getpid()
    assert seen[-1].done == 20000  # the last report always arrives
    assert 1 <= len(seen) < 2000  # the child's throttle: not one message per step


def test_the_child_opens_the_store(store):
    with store.engine.begin() as conn:
        get_or_create_account(conn, "alice", kind="local")
    assert run_job(run_isolated(target(uses_store), {}, store_url(store), CancelToken())) == ["alice"]


def test_an_import_failure_crosses_as_itself_with_its_message():
    with pytest.raises(ImportFailure) as info:
        run_job(run_isolated(target(bad_import), {}, None, CancelToken()))
    exc = info.value
    assert str(exc) == "plays.csv, line 3, field 'date': no timestamp column"
    assert (exc.path, exc.line, exc.field, exc.reason) == ("plays.csv", 3, "date", "no timestamp column")


def test_exceptions_inside_a_result_cross_by_value():
    out = run_job(run_isolated(target(report_with_failures), {}, None, CancelToken()))
    (failure,) = out["failures"]
    assert isinstance(failure, ImportFailure) and str(failure) == "a.json, line 1: not JSON"


def test_an_unknown_exception_class_arrives_as_a_remote_error_with_its_name():
    class Weird(Exception):
        def __init__(self, a, b):
            super().__init__(f"{a}/{b}")

    Weird.__module__ = "somewhere.else"
    back = loads(dumps(Weird(1, 2)))
    assert isinstance(back, RemoteError) and back.type_name.endswith("Weird") and str(back) == "1/2"
    missing = loads(dumps(FileNotFoundError(2, "No such file or directory", "/x/plays.csv")))
    assert isinstance(missing, FileNotFoundError) and missing.filename == "/x/plays.csv"


def test_a_crashing_child_is_a_readable_failure():
    with pytest.raises(JobCrashed, match=r"ended unexpectedly \(exit code 3\)"):
        run_job(run_isolated(target(crash), {"code": 3}, None, CancelToken()))


def test_cancel_stops_the_child(tmp_path):
    token = CancelToken()
    pid_file = tmp_path / "pid"
    gen = run_isolated(target(forever), {"pid_file": str(pid_file)}, None, token)
    assert next(gen).message == "started"
    pid = int(pid_file.read_text())
    t0 = time.monotonic()
    token.cancel()
    with pytest.raises(Cancelled):
        run_job(gen, cancel=token)
    assert time.monotonic() - t0 < CANCEL_GRACE_S  # it stopped at its own check, no terminate needed
    assert wait_for(lambda: not _alive(pid), 5)


def test_a_child_that_ignores_cancel_is_terminated_after_the_grace(tmp_path):
    token = CancelToken()
    pid_file = tmp_path / "pid"
    gen = run_isolated(target(forever), {"pid_file": str(pid_file), "check": False}, None, token)
    next(gen)
    pid = int(pid_file.read_text())
    t0 = time.monotonic()
    token.cancel()
    with pytest.raises(Cancelled):
        run_job(gen)  # no cancel check in the driver: the isolate loop notices the token itself
    assert CANCEL_GRACE_S <= time.monotonic() - t0 < CANCEL_GRACE_S + 5
    assert wait_for(lambda: not _alive(pid), 5)


def test_the_runner_records_an_isolated_failure_with_its_message(store):
    reg = JobRegistry()
    reg.register("bad", bad_import, resource="import", isolate=True)
    runner = Runner(store, reg)
    h = runner.submit("bad")
    assert h.wait(60) and h.state == "failed"
    assert isinstance(h.exception, ImportFailure)
    assert h.error == "ImportFailure: plays.csv, line 3, field 'date': no timestamp column"
    runner.shutdown()
    (run,) = recent_runs(store.engine)
    assert run.outcome == "failed" and "no timestamp column" in run.message


def test_an_isolated_body_must_be_importable():
    def local(ctx):
        yield Progress(0)

    with pytest.raises(ValueError, match="module-level"):
        JobRegistry().register("local", local, isolate=True)


def test_one_throttle():
    now = [0.0]
    t = Throttle(0.05, clock=lambda: now[0])
    assert t.offer(Progress(1)) == Progress(1)
    now[0] = 0.01
    assert t.offer(Progress(2)) is None and t.offer(Progress(3)) is None
    now[0] = 0.07
    assert t.offer(Progress(4)) == Progress(4) and t.flush() is None
    now[0] = 0.08
    t.offer(Progress(5))
    assert t.flush() == Progress(5)


def test_the_runner_throttles_progress_and_keeps_the_last(store):
    reg = JobRegistry()
    reg.register("count", count, resource="r")
    seen = []
    runner = Runner(store, reg, on_progress=lambda h, p: seen.append(p.done))
    h = runner.submit("count", n=20000)
    assert h.wait(30) and h.state == "ok"
    runner.shutdown()
    assert seen[-1] == 20000 and len(seen) < 500


KILLED_PARENT = """
import sys, time
from pathlib import Path
sys.path.insert(0, sys.argv[3])
from jobbodies import forever
from core.jobs.runner import JobRegistry, Runner
from core.store.engine import open_store

if __name__ == "__main__":
    reg = JobRegistry()
    reg.register("forever", forever, resource="train:x:default", isolate=True)
    Runner(open_store(sys.argv[1]), reg).submit("forever", pid_file=sys.argv[2])
    while not Path(sys.argv[2]).exists():
        time.sleep(0.02)
    print("started", flush=True)
    time.sleep(120)
"""


def test_a_killed_parent_leaves_an_interrupted_run_and_its_child_stops(store, tmp_path):
    from pathlib import Path

    script, pid_file = tmp_path / "parent.py", tmp_path / "child.pid"
    script.write_text(KILLED_PARENT, encoding="utf-8")
    run_then_kill(script, store.url, str(pid_file), str(Path(__file__).resolve().parent))
    child = int(pid_file.read_text())
    assert wait_for(lambda: not _alive(child), 10)  # it noticed its parent was gone and stopped
    runner = Runner(store, JobRegistry())
    assert runner.interrupted == 1
    runner.shutdown()
    (run,) = recent_runs(store.engine)
    assert run.job == "forever" and run.outcome == "interrupted" and "run it again" in run.message
