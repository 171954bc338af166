"""Run a job body in a child process: progress, result, failure and cancellation over one pipe.

``run_isolated(target, params, store_url, cancel)`` is a generator (a job like any other): it spawns
a fresh interpreter (``multiprocessing`` "spawn": no fork of a process that holds Qt, threads or
SQLite handles; works in a frozen app too), which imports ``target`` ("module:function"), opens the
store from ``store_url``, calls ``body(JobContext(store, token), **params)`` and drives it with
``run_job`` (throttled). The parent relays what the child sends:

- ``progress`` → yielded;
- ``result`` → returned (results and parameters must pickle; exceptions inside them cross by value,
  ``core.jobs.wire``);
- ``error`` → the child's exception rebuilt by value and raised, so its message reads the same as
  in-process (``core.jobs.wire``);
- ``cancelled`` → ``Cancelled``.

Cancelling the token sets an event the child turns into its own ``CancelToken``: the body stops at
its next check and leaves the store consistent, as in-process. A child that has not stopped
``CANCEL_GRACE_S`` later is terminated (its work is transactional). A child that dies without a word
(killed, a crash in C) raises ``JobCrashed`` with its exit code. The child ignores Ctrl-C: the
terminal's SIGINT reaches the whole process group, and the parent cancels it through the event. A
child whose parent dies (killed) cancels itself the same way.
"""

from __future__ import annotations

import importlib
import logging
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Generator
from typing import Any

from core.jobs import wire
from core.jobs.progress import THROTTLE_S, Cancelled, CancelToken, Progress, run_job
from core.jobs.registry import JobContext

log = logging.getLogger(__name__)
CANCEL_GRACE_S = 3.0
NICE = 10  # children yield the CPU to the window (Unix; elsewhere they run at normal priority)
POLL_S = 0.1


def store_url(store) -> str:
    """The URL a child opens (with its password: the child is this user's own process)."""
    return store.engine.url.render_as_string(hide_password=False)


def run_isolated(
    target: str,
    params: dict,
    store_url: str | None,
    cancel: CancelToken,
    *,
    throttle_s: float = THROTTLE_S,
) -> Generator[Progress, None, Any]:
    ctx = multiprocessing.get_context("spawn")
    receive, send = ctx.Pipe(duplex=False)
    stop = ctx.Event()
    proc = ctx.Process(
        target=_child,
        args=(send, stop, target, params, store_url, throttle_s),
        daemon=True,
        name=f"segue-job:{target}",
    )
    proc.start()
    send.close()
    finished = False
    cancelled_at: float | None = None
    try:
        while True:
            if cancel.cancelled:
                stop.set()
                cancelled_at = cancelled_at or time.monotonic()
                if time.monotonic() - cancelled_at > CANCEL_GRACE_S:
                    raise Cancelled()  # it did not stop in time: ``finally`` terminates it
            if receive.poll(POLL_S):  # waits without holding the GIL
                try:
                    kind, payload = wire.loads(receive.recv_bytes())
                except EOFError:
                    raise _crashed(proc) from None
                if kind == "progress":
                    yield payload
                elif kind == "result":
                    finished = True
                    return payload
                elif kind == "cancelled":
                    finished = True
                    raise Cancelled()
                else:
                    finished = True
                    raise wire.rebuild(payload)
            elif not proc.is_alive() and not receive.poll(0):
                raise _crashed(proc)
    finally:
        receive.close()
        if not finished and proc.is_alive():  # closed early (cancel, shutdown): ask, then insist
            stop.set()
            proc.join(CANCEL_GRACE_S)
        proc.join(10 if finished else 0)
        if proc.is_alive():
            proc.terminate()
            proc.join(5)


def _crashed(proc) -> wire.JobCrashed:
    proc.join(5)
    return wire.JobCrashed(f"the job's process ended unexpectedly (exit code {proc.exitcode})")


def _resolve(target: str):
    module, _, qualname = target.partition(":")
    obj: Any = importlib.import_module(module)
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _cancel_when(stop, token: CancelToken) -> None:
    """Cancel the job when the parent asks, or when the parent is gone (killed: nobody reads the result
    and the next runner marks the run interrupted — the job should stop as cleanly as on a cancel)."""
    from multiprocessing.connection import wait

    parent = multiprocessing.parent_process()
    while not stop.wait(POLL_S * 5):
        if parent is not None and wait([parent.sentinel], 0):
            break
    token.cancel()


def _child(conn, stop, target: str, params: dict, url: str | None, throttle_s: float) -> None:
    """The child's main: run the body, report every outcome as one message, never raise."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(os, "nice"):
        try:
            os.nice(NICE)
        except OSError:
            pass

    def send(kind: str, payload: Any) -> None:
        try:
            data = wire.dumps((kind, payload))
        except Exception:  # noqa: BLE001 - a result that does not pickle is summarised, not lost
            data = wire.dumps((kind, repr(payload)))
        try:
            conn.send_bytes(data)
        except (BrokenPipeError, EOFError, OSError):  # the parent is gone (shutdown): nothing to tell
            pass

    token = CancelToken()
    threading.Thread(target=_cancel_when, args=(stop, token), daemon=True).start()
    store = None
    try:
        body = _resolve(target)
        if url is not None:
            from core.store.engine import open_store

            store = open_store(url, migrate_to_head=False)  # the parent opened (and migrated) it
        result = run_job(
            body(JobContext(store, token), **params),
            lambda p: send("progress", p),
            throttle_s=throttle_s,
            cancel=token,
        )
        send("result", result)
    except Cancelled:
        send("cancelled", None)
    except BaseException as exc:  # noqa: BLE001 - the parent raises it again, by value
        log.error("isolated job %s failed", target, exc_info=True)
        send("error", wire.error_value(exc))
    finally:
        if store is not None:
            store.dispose()
        conn.close()
