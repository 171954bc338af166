"""The job runner: one queue per resource, cancel, failures, history rows, interrupted runs."""

from __future__ import annotations

import json
import os
import textwrap
import threading
import time

import pytest
from jobbodies import run_then_kill
from sqlalchemy import select

from core.cli import main
from core.jobs import Progress
from core.jobs.history import recent_runs
from core.jobs.runner import JobRegistry, Runner
from core.store.engine import open_store
from core.store.schema import JobRun


@pytest.fixture
def store(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'jobs.sqlite'}")
    yield s
    s.dispose()


def _registry(log: list) -> JobRegistry:
    reg = JobRegistry()

    def gate(ctx, key: str, gate: threading.Event | None = None, resource: str = ""):
        log.append(("start", key, time.monotonic()))
        yield Progress(0, 1, f"{key} started")
        if gate is not None:
            while not gate.wait(0.01):
                ctx.cancel.raise_if_cancelled()
        log.append(("end", key, time.monotonic()))
        yield Progress(1, 1, f"{key} done")
        return {"key": key}

    def fail(ctx):
        yield Progress(0, 1, "about to fail")
        raise ValueError("the input was wrong")

    reg.register("gate", gate, resource="{resource}")
    reg.register("fail", fail, resource="fail")
    return reg


def test_one_queue_per_resource(store):
    log: list = []
    runner = Runner(store, _registry(log))
    g1, g3 = threading.Event(), threading.Event()
    a = runner.submit("gate", key="a", gate=g1, resource="sync:alice")
    b = runner.submit("gate", key="b", resource="sync:alice")  # same resource: waits for a
    c = runner.submit("gate", key="c", gate=g3, resource="train:alice:default")  # another: runs alongside
    deadline = time.monotonic() + 10
    while (
        not ({("start", "a"), ("start", "c")} <= {(e, k) for e, k, _ in log}) and time.monotonic() < deadline
    ):
        time.sleep(0.01)
    assert ("start", "b") not in {(e, k) for e, k, _ in log}
    assert a.state == "running" and b.state == "queued" and c.state == "running"
    g1.set()
    assert b.wait(10)
    g3.set()
    assert c.wait(10)
    order = [(e, k) for e, k, _ in log]
    assert order.index(("end", "a")) < order.index(("start", "b"))
    assert order.index(("start", "c")) < order.index(("end", "a"))
    runner.shutdown()
    runs = {r.job + ":" + str((r.counts or {}).get("key")): r.outcome for r in recent_runs(store.engine)}
    assert runs == {"gate:a": "ok", "gate:b": "ok", "gate:c": "ok"}


def test_cancel_failure_and_history(store):
    log: list = []
    runner = Runner(store, _registry(log))
    gate = threading.Event()
    h = runner.submit("gate", key="slow", gate=gate, resource="features")
    while h.state != "running":
        time.sleep(0.01)
    h.cancel()
    assert h.wait(10) and h.state == "cancelled"
    f = runner.submit("fail")
    assert f.wait(10) and f.state == "failed" and "ValueError: the input was wrong" in f.error
    runner.shutdown()
    runs = {r.job: r for r in recent_runs(store.engine)}
    assert runs["gate"].outcome == "cancelled" and runs["gate"].finished_at is not None
    assert runs["fail"].outcome == "failed" and "the input was wrong" in runs["fail"].message
    assert runs["gate"].to_json()["counts"] is None  # the owner bookkeeping is not shown


def test_waiting_duplicates_are_not_queued_twice(store):
    log: list = []
    runner = Runner(store, _registry(log))
    gate = threading.Event()
    first = runner.submit("gate", key="x", gate=gate, resource="r")
    while first.state != "running":
        time.sleep(0.01)
    second = runner.submit("gate", key="y", resource="r")
    assert runner.submit("gate", key="y", resource="r") is second
    gate.set()
    assert second.wait(10)
    runner.shutdown()
    assert [k for e, k, _ in log if e == "start"] == ["x", "y"]


def test_unknown_job_and_missing_parameter(store):
    runner = Runner(store, _registry([]))
    with pytest.raises(KeyError, match="no job named 'nope'"):
        runner.submit("nope")
    with pytest.raises(ValueError, match="needs parameter 'resource'"):
        runner.submit("gate", key="k")
    runner.shutdown()


CRASHER = textwrap.dedent("""
    import sys, time
    from core.jobs import Progress
    from core.jobs.runner import JobRegistry, Runner
    from core.store.engine import open_store

    def forever(ctx):
        yield Progress(0, None, "working")
        print("started", flush=True)
        while True:
            time.sleep(0.05)
            yield Progress(1, None, "still working")

    reg = JobRegistry()
    reg.register("forever", forever, resource="sync:crash")
    Runner(open_store(sys.argv[1]), reg).submit("forever")
    time.sleep(60)
""")


def test_a_killed_process_leaves_an_interrupted_run(store, tmp_path):
    script = tmp_path / "crasher.py"
    script.write_text(CRASHER, encoding="utf-8")
    run_then_kill(script, store.url)
    with store.engine.begin() as conn:  # a run of a live process (this one) must stay "running"
        conn.execute(
            JobRun.__table__.insert().values(
                job="live",
                resource="x",
                started_at=int(time.time()),
                outcome="running",
                counts={"_pid": os.getpid(), "_pid_started": None, "_host": os.uname().nodename},
            )
        )
    runner = Runner(store, JobRegistry())
    assert runner.interrupted == 1
    runner.shutdown()
    with store.engine.connect() as conn:
        rows = dict(conn.execute(select(JobRun.job, JobRun.outcome)).all())
    assert rows == {"forever": "interrupted", "live": "running"}


def test_cli_jobs_run_and_list(store, capsys):
    assert main(["--db", store.url, "jobs", "run", "retrain_check", "--param", "threshold=10", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["outcome"] == "ok" and out["counts"] == {"due": [], "submitted": [], "threshold": 10}
    assert main(["--db", store.url, "jobs", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert {"sync", "features", "embeddings", "retrain_check"} <= {j["name"] for j in listed["jobs"]}
    assert listed["runs"][0]["job"] == "retrain_check" and listed["runs"][0]["outcome"] == "ok"
    assert main(["--db", store.url, "jobs", "run", "nope"]) == 2
    assert main(["--db", store.url, "jobs", "run", "sync"]) == 2  # needs --account


def test_quick_calls_share_a_few_lingering_threads_and_shutdown_ends_them():
    runner = Runner(None, JobRegistry(), lanes=2)
    idents = set()
    for _ in range(20):  # one after another, like a page's loads: the idle worker takes the next one
        h = runner.call("query", lambda _t: idents.add(threading.get_ident()))
        assert h.wait(10) and h.state == "ok"
    burst = [runner.call("query", lambda _t: (time.sleep(0.01), threading.get_ident())[1]) for _ in range(20)]
    assert all(h.wait(10) for h in burst)
    assert len(idents) == 1 and len({h.result for h in burst}) <= 2  # at most ``lanes`` side by side
    assert runner.wait_idle(5) and runner.shutdown(timeout=5)
    alive = lambda: [t for t in threading.enumerate() if t.name == "job:calls"]  # noqa: E731
    deadline = time.monotonic() + 5
    while alive() and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not alive()
