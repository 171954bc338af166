"""The one adapter between core jobs and Qt: runs work on a QThreadPool and reports through signals.

A *job* is a callable taking a ``CancelToken``; it returns either a generator yielding
``core.jobs.Progress`` (and returning its result) or a plain value (a quick query). Everything slow —
disk queries of size, network, import, training, evaluation — goes through :class:`JobRunner`, so the
GUI thread never waits on them.

- Signals (``progress``, ``finished``, ``failed``, ``cancelled``, ``done``) are delivered on the GUI
  thread, in order; ``done`` always comes last.
- Progress is throttled in the worker (at most one event per ``throttle_ms``; the last one is always
  delivered) so a chatty job cannot flood the event loop.
- ``resource``: jobs sharing a resource key run one at a time, in submission order (one queue per
  resource: an account's sync, a model's training). Jobs without one run as soon as a thread is free.
- Failures become a :class:`JobError` with one readable sentence (``describe_error``); the traceback
  goes to the log, never to a dialog.
"""

from __future__ import annotations

import inspect
import logging
import time
import traceback
from collections import deque
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, QThreadPool, Signal, Slot

from app.errors import JobError, describe_error
from core.jobs import Cancelled, CancelToken, Progress

log = logging.getLogger(__name__)

Job = Callable[[CancelToken], Any]


class JobHandle(QObject):
    """One submitted job. Lives on the GUI thread; its public signals fire there."""

    progress = Signal(object)  # Progress
    finished = Signal(object)  # the job's result
    failed = Signal(object)  # JobError
    cancelled = Signal()
    done = Signal()  # after finished/failed/cancelled

    # emitted by the worker, delivered queued to the GUI thread. The payload always travels inside a
    # 1-tuple: a bare None through a queued object argument trips a refcount bug in PySide6 6.12.
    _report = Signal(str, object)

    def __init__(
        self, name: str, job: Job, resource: str | None, throttle_ms: int, parent: QObject | None = None
    ):
        super().__init__(parent)
        self.name = name
        self.job = job
        self.resource = resource
        self.throttle_s = throttle_ms / 1000.0
        self.token = CancelToken()
        self.state = "queued"  # queued | running | ok | failed | cancelled
        self.last_progress: Progress | None = None
        self.result: Any = None
        self.error: JobError | None = None
        self.started_at: float | None = None
        self.ended_at: float | None = None
        self._report.connect(self._on_report, Qt.ConnectionType.QueuedConnection)

    # -- public ---------------------------------------------------------------------------------
    def cancel(self) -> None:
        """Ask the job to stop; it ends with ``cancelled`` (or ``finished`` if it was already done)."""
        self.token.cancel()

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    # -- worker side ----------------------------------------------------------------------------
    def _run(self) -> None:
        self._report.emit("started", (None,))
        try:
            if self.token.cancelled:
                raise Cancelled()
            out = self.job(self.token)
            if inspect.isgenerator(out):
                out = self._drive(out)
            self._report.emit("finished", (out,))
        except Cancelled:
            self._report.emit("cancelled", (None,))
        except BaseException as exc:  # noqa: BLE001 - everything becomes a readable message
            log.error("job %s failed: %s\n%s", self.name, exc, traceback.format_exc())
            self._report.emit("failed", (describe_error(exc),))

    def _drive(self, gen) -> Any:
        last_sent = 0.0
        pending: Progress | None = None
        while True:
            try:
                p = next(gen)
            except StopIteration as stop:
                if pending is not None:
                    self._report.emit("progress", (pending,))
                return stop.value
            if self.token.cancelled:
                gen.close()
                raise Cancelled()
            now = time.monotonic()
            if now - last_sent >= self.throttle_s:
                self._report.emit("progress", (p,))
                last_sent, pending = now, None
            else:
                pending = p

    # -- GUI side -------------------------------------------------------------------------------
    @Slot(str, object)
    def _on_report(self, kind: str, boxed: tuple) -> None:
        payload = boxed[0]
        if kind == "started":
            self.state = "running"
            self.started_at = time.monotonic()
            return
        if kind == "progress":
            self.last_progress = payload
            self.progress.emit(payload)
            return
        self.ended_at = time.monotonic()
        if kind == "finished":
            self.state, self.result = "ok", payload
            self.finished.emit(payload)
        elif kind == "failed":
            self.state, self.error = "failed", payload
            self.failed.emit(payload)
        else:
            self.state = "cancelled"
            self.cancelled.emit()
        self.done.emit()


class JobRunner(QObject):
    """Submits jobs to a thread pool, keeps one queue per resource and tracks what is running."""

    jobStarted = Signal(object)  # JobHandle
    jobEnded = Signal(object)  # JobHandle

    def __init__(
        self, pool: QThreadPool | None = None, max_threads: int | None = None, parent: QObject | None = None
    ):
        super().__init__(parent)
        self.pool = pool or QThreadPool(self)
        if max_threads:
            self.pool.setMaxThreadCount(max_threads)
        self._active: list[JobHandle] = []
        self._queues: dict[str, deque[JobHandle]] = {}
        self._busy: set[str] = set()

    def submit(self, name: str, job: Job, *, resource: str | None = None, throttle_ms: int = 80) -> JobHandle:
        """Run ``job(cancel_token)`` off the GUI thread; returns its handle (connect before returning to
        the event loop: no signal is delivered before that)."""
        # no Qt parent and no deleteLater: the worker's closure and ``_active`` keep the handle alive exactly
        # as long as something may still emit on it or listen to it
        handle = JobHandle(name, job, resource, throttle_ms)
        self._active.append(handle)
        handle.done.connect(lambda h=handle: self._on_done(h))
        self.jobStarted.emit(handle)
        if resource is None:
            self._start(handle)
        elif resource in self._busy:
            self._queues.setdefault(resource, deque()).append(handle)
        else:
            self._busy.add(resource)
            self._start(handle)
        return handle

    def _start(self, handle: JobHandle) -> None:
        self.pool.start(handle._run)

    def call(
        self, name: str, fn: Callable[..., Any], *args: Any, resource: str | None = None, **kwargs: Any
    ) -> JobHandle:
        """Run a plain function ``fn(*args, **kwargs)`` off the GUI thread (a query, a write)."""
        return self.submit(name, lambda _token: fn(*args, **kwargs), resource=resource)

    def active(self) -> list[JobHandle]:
        return [h for h in self._active if h.active]

    def busy(self, resource: str) -> bool:
        return any(h.resource == resource for h in self.active())

    def cancel_all(self) -> None:
        for h in list(self._active):
            h.cancel()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until the pool is idle (shutdown and tests only — never from a page)."""
        return self.pool.waitForDone(timeout_ms)

    def _on_done(self, handle: JobHandle) -> None:
        if handle in self._active:
            self._active.remove(handle)
        res = handle.resource
        if res is not None:
            queue = self._queues.get(res)
            if queue:
                # a job cancelled while it waited still runs through _run, which ends it as cancelled
                self._start(queue.popleft())
            else:
                self._busy.discard(res)
                self._queues.pop(res, None)
        self.jobEnded.emit(handle)


class CoreJobBridge(QObject):
    """Moves ``core.jobs.runner.Runner`` jobs (scheduled sync, features, embeddings, retraining; they run on
    the core runner's own per-resource threads) into Qt signals, with handles shaped like ``JobHandle``.

    Pass :meth:`on_progress` as the runner's ``on_progress`` and call :meth:`attach` once; submit through
    :meth:`submit` to get a Qt handle for a job the user started (so a manual sync and a scheduled one of
    the same account share the runner's one queue for that resource).
    """

    _progress = Signal(object, object)  # core handle, Progress — emitted on runner threads
    _ended = Signal(object)  # core handle (never None)
    jobStarted = Signal(object)  # JobHandle-like, for every core job seen
    jobEnded = Signal(object)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self.runner = None
        self._handles: dict[int, BridgedHandle] = {}
        self._progress.connect(self._on_progress, Qt.ConnectionType.QueuedConnection)
        self._ended.connect(self._on_ended, Qt.ConnectionType.QueuedConnection)

    def on_progress(self, core_handle, p: Progress) -> None:  # runner thread
        self._progress.emit(core_handle, p)

    def attach(self, runner) -> None:
        self.runner = runner
        runner.add_listener(lambda h: self._ended.emit(h))

    def submit(self, name: str, title: str | None = None, **params) -> BridgedHandle:
        core_handle = self.runner.submit(name, **params)
        return self._wrap(core_handle, title)

    def _wrap(self, core_handle, title: str | None = None) -> BridgedHandle:
        h = self._handles.get(id(core_handle))
        if h is None:
            h = BridgedHandle(core_handle, title or _title(core_handle))
            self._handles[id(core_handle)] = h
            self.jobStarted.emit(h)
        return h

    @Slot(object, object)
    def _on_progress(self, core_handle, p: Progress) -> None:
        h = self._wrap(core_handle)
        h.state = "running"
        h.last_progress = p
        h.progress.emit(p)

    @Slot(object)
    def _on_ended(self, core_handle) -> None:
        h = self._wrap(core_handle)
        self._handles.pop(id(core_handle), None)
        h._finish()
        self.jobEnded.emit(h)


def _title(core_handle) -> str:
    names = {
        "sync": "Syncing {account} with Last.fm",
        "features": "Fetching track features",
        "embeddings": "Building embeddings",
        "retrain_check": "Checking whether to retrain",
        "train_default": "Training the default model for {account}",
    }
    template = names.get(core_handle.name, core_handle.name.replace("_", " ").capitalize())
    try:
        return template.format(**core_handle.params)
    except KeyError:
        return template


class BridgedHandle(QObject):
    """A core runner job seen from the GUI: the same signals and attributes as ``JobHandle``."""

    progress = Signal(object)
    finished = Signal(object)
    failed = Signal(object)
    cancelled = Signal()
    done = Signal()

    def __init__(self, core_handle, name: str, parent: QObject | None = None):
        super().__init__(parent)
        self.core = core_handle
        self.name = name
        self.resource = core_handle.resource
        self.state = "queued" if not core_handle.done else core_handle.state
        self.last_progress: Progress | None = core_handle.progress
        self.result: Any = None
        self.error: JobError | None = None

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    def cancel(self) -> None:
        self.core.cancel()

    def _finish(self) -> None:
        c = self.core
        if c.state == "ok":
            self.state, self.result = "ok", c.result
            self.finished.emit(c.result)
        elif c.state in ("cancelled", "interrupted"):
            self.state = "cancelled"
            self.cancelled.emit()
        else:
            exc = getattr(c, "exception", None)
            if isinstance(exc, BaseException):
                self.error = describe_error(exc)
            else:  # the runner keeps "Type: message"; the message is the readable part
                text = (c.error or "unknown error").split(": ", 1)[-1]
                self.error = JobError(f"{text} (details are in the log file)")
            self.state = "failed"
            self.failed.emit(self.error)
        self.done.emit()
