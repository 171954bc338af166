"""The job adapter: progress in order on the GUI thread, results, readable errors, cancel, queues.

``QtJobs`` wraps core's one ``Runner``; these are its ephemeral jobs (the GUI's quick off-thread
work). Registered jobs through the same adapter: ``test_one_house.py``."""

from __future__ import annotations

import threading
import time

import pytest
from PySide6.QtCore import QThread
from PySide6.QtWidgets import QApplication

from app.jobs import QtJobs, describe_error
from core.jobs import Progress
from core.jobs.runner import JobRegistry, Runner


@pytest.fixture
def runner():
    core = Runner(None, JobRegistry(), lanes=4)
    yield QtJobs(core)
    core.shutdown(timeout=10)


def counting_job(n: int, delay: float = 0.0):
    def job(token):
        for i in range(n):
            token.raise_if_cancelled()
            if delay:
                time.sleep(delay)
            yield Progress(i + 1, n, f"step {i + 1}")
        return f"done {n}"

    return job


def test_progress_then_result_on_the_gui_thread(qtbot, runner):
    seen, threads = [], set()
    h = runner.submit("count", counting_job(5, 0.01), throttle_ms=0)
    h.progress.connect(lambda p: (seen.append(p.done), threads.add(QThread.currentThread())))
    with qtbot.waitSignal(h.done, timeout=5000):
        pass
    assert h.state == "ok" and h.result == "done 5"
    assert seen == [1, 2, 3, 4, 5]
    assert threads == {QApplication.instance().thread()}


def test_progress_is_throttled_but_the_last_one_arrives(qtbot, runner):
    seen = []
    h = runner.submit("chatty", counting_job(20000), throttle_ms=50)
    h.progress.connect(lambda p: seen.append(p.done))
    with qtbot.waitSignal(h.done, timeout=10000):
        pass
    assert seen[-1] == 20000 and len(seen) < 200


def test_cancel_stops_the_job(qtbot, runner):
    h = runner.submit("slow", counting_job(1000, 0.01))
    with qtbot.waitSignal(h.progress, timeout=5000):
        pass
    with qtbot.waitSignal(h.cancelled, timeout=5000):
        h.cancel()
    assert h.state == "cancelled" and not h.active


def test_errors_become_readable_messages(qtbot, runner):
    from core.net import Offline
    from core.sources.records import ImportFailure

    def broken(_token):
        raise ImportFailure("plays.csv", "no timestamp column", line=3, field="date")

    h = runner.submit("broken", broken)
    with qtbot.waitSignal(h.failed, timeout=5000) as blocker:
        pass
    err = blocker.args[0]
    assert "plays.csv, line 3, field 'date': no timestamp column" in err.message
    assert "Traceback" not in err.message and not err.retryable
    assert describe_error(Offline("cannot reach Last.fm")).retryable
    assert "No connection" in describe_error(Offline("cannot reach Last.fm")).message
    assert "Something went wrong" in describe_error(ZeroDivisionError("division by zero")).message


def test_one_resource_runs_one_job_at_a_time_in_order(qtbot, runner):
    active, peak, order = [0], [0], []
    lock = threading.Lock()

    def job(i):
        def run(_token):
            with lock:
                active[0] += 1
                peak[0] = max(peak[0], active[0])
            time.sleep(0.03)
            with lock:
                active[0] -= 1
                order.append(i)
            return i

        return run

    handles = [runner.submit(f"sync {i}", job(i), resource="sync:alice") for i in range(4)]
    with qtbot.waitSignal(handles[-1].done, timeout=5000):
        pass
    assert peak[0] == 1 and order == [0, 1, 2, 3]
    assert all(h.state == "ok" for h in handles)


def test_plain_function_call(qtbot, runner):
    h = runner.call("add", lambda a, b: a + b, 2, 3)
    with qtbot.waitSignal(h.finished, timeout=5000) as blocker:
        pass
    assert blocker.args == [5]
