"""The one adapter between core's job runner and Qt: core job events become signals on the GUI thread.

There is one job runner, ``core.jobs.runner.Runner``; the GUI never runs work any other way.
:class:`QtJobs` wraps it:

- ``start(name, title, **params)`` submits a *registered* job (sync, import, train, …: recorded in
  the job history, isolated in a child process when its spec says so, on its resource's queue — the
  same queue as the schedule's runs of it);
- ``submit(title, job, resource=None)`` / ``call(title, fn, *args)`` run the GUI's quick off-thread
  work (a page's query, a keyring write) as *ephemeral* jobs of the same runner: unrecorded, on the
  runner's shared lane, or on ``resource``'s queue when they must not overlap another job there.

Every job — also those the scheduler submits — gets one :class:`JobHandle` whose signals
(``progress``, ``finished``, ``failed``, ``cancelled``, ``done``) fire on the GUI thread, in order;
``done`` always comes last. Progress arrives throttled by the runner (``core.jobs.THROTTLE_S``).
Failures become a :class:`JobError` with one readable sentence (``describe_error``); the traceback
goes to the log, never to a dialog.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal, Slot

from app.errors import JobError, describe_error
from core.jobs import CancelToken, Progress
from core.jobs.runner import JobHandle as CoreHandle
from core.jobs.runner import Runner

log = logging.getLogger(__name__)

Job = Callable[[CancelToken], Any]
TITLES = {
    "sync": "Syncing {account} with Last.fm",
    "import": "Importing into {account}",
    "features": "Fetching track features",
    "features_import": "Importing a feature table",
    "embeddings": "Building embeddings",
    "retrain_check": "Checking whether to retrain",
    "train": "Training {model} for {account}",
}


def title_of(name: str, params: dict) -> str:
    template = TITLES.get(name, name.replace("_", " ").capitalize())
    try:
        return template.format(**params)
    except (KeyError, IndexError):
        return template


class JobHandle(QObject):
    """One job as the GUI sees it. Lives on the GUI thread; its signals fire there."""

    progress = Signal(object)  # Progress
    finished = Signal(object)  # the job's result
    failed = Signal(object)  # JobError
    cancelled = Signal()
    done = Signal()  # after finished/failed/cancelled

    def __init__(self, core: CoreHandle, name: str, origin: str, parent: QObject | None = None):
        super().__init__(parent)
        self.core = core
        self.name = name
        self.origin = origin  # "gui": started from a page; "background": by the schedule
        self.resource = core.resource or None
        self.state = "queued"  # queued | running | ok | failed | cancelled
        self.last_progress: Progress | None = None
        self.result: Any = None
        self.error: JobError | None = None

    def cancel(self) -> None:
        """Ask the job to stop; it ends with ``cancelled`` (or ``finished`` if it was already done)."""
        self.core.cancel()

    @property
    def active(self) -> bool:
        return self.state in ("queued", "running")

    def _deliver(self, event: str, p: Progress | None) -> None:
        c = self.core
        if event == "started":
            self.state = "running"
        elif event == "progress":
            self.state = "running"
            self.last_progress = p
            self.progress.emit(p)
        elif event == "ended":
            if c.state == "ok":
                self.state, self.result = "ok", c.result
                self.finished.emit(c.result)
            elif c.state == "failed":
                exc = c.exception
                self.error = describe_error(exc) if exc is not None else JobError(c.error or "unknown error")
                self.state = "failed"
                self.failed.emit(self.error)
            else:  # cancelled (or interrupted by the app closing)
                self.state = "cancelled"
                self.cancelled.emit()
            self.done.emit()


class QtJobs(QObject):
    """The runner seen from Qt: submits to it and announces every job it runs (see the module doc)."""

    jobStarted = Signal(object)  # JobHandle, for every job the runner takes (also scheduled ones)
    jobEnded = Signal(object)  # JobHandle
    # runner threads → GUI thread: (core handle, its progress at that moment), inside a tuple (a bare
    # None through a queued object argument trips a refcount bug in PySide6 6.12)
    _event = Signal(str, object)

    def __init__(self, runner: Runner, parent: QObject | None = None):
        super().__init__(parent)
        self.runner = runner
        self._handles: dict[int, JobHandle] = {}  # core seq → handle, until its end is delivered
        self._event.connect(self._on_event, Qt.ConnectionType.QueuedConnection)
        runner.watch(lambda event, core: self._event.emit(event, (core, core.progress)))

    # -- submitting (GUI thread) ------------------------------------------------------------
    def start(self, name: str, title: str | None = None, **params) -> JobHandle:
        """Run the registered job ``name`` (see the module docstring)."""
        core = self.runner.submit(name, **params)
        return self._handle(core, title or title_of(name, core.params), "gui")

    def submit(self, title: str, job: Job, *, resource: str | None = None, throttle_ms: int | None = None):
        """Run ``job(cancel_token)`` — a plain value or a Progress generator — off the GUI thread;
        returns its handle (connect before returning to the event loop: no signal comes before that)."""
        throttle_s = None if throttle_ms is None else throttle_ms / 1000.0
        core = self.runner.call(title, job, resource=resource, throttle_s=throttle_s)
        return self._handle(core, title, "gui")

    def call(
        self, title: str, fn: Callable[..., Any], *args: Any, resource: str | None = None, **kwargs: Any
    ) -> JobHandle:
        """Run a plain function ``fn(*args, **kwargs)`` off the GUI thread (a query, a write)."""
        return self.submit(title, lambda _token: fn(*args, **kwargs), resource=resource)

    # -- state --------------------------------------------------------------------------------
    def active(self) -> list[JobHandle]:
        return [h for h in self._handles.values() if h.active]

    def busy(self, resource: str) -> bool:
        """Whether a job on ``resource`` is queued or running, as the GUI has been told so far."""
        return any(h.resource == resource for h in self.active())

    def cancel_all(self) -> None:
        self.runner.cancel()

    def wait(self, timeout_ms: int = 30000) -> bool:
        """Block until the runner is idle (shutdown and tests only — never from a page)."""
        return self.runner.wait_idle(timeout_ms / 1000.0)

    # -- events (GUI thread) ------------------------------------------------------------------
    def _handle(self, core: CoreHandle, title: str, origin: str) -> JobHandle:
        h = self._handles.get(core.seq)
        if h is None:
            # no Qt parent and no deleteLater: ``_handles`` and the page that asked keep it alive as
            # long as something may still emit on it or listen to it
            h = JobHandle(core, title, origin)
            self._handles[core.seq] = h
            self.jobStarted.emit(h)
        return h

    @Slot(str, object)
    def _on_event(self, event: str, boxed: tuple) -> None:
        core, p = boxed
        if event == "submitted":  # a GUI submission already has its handle; the schedule's get one here
            self._handle(core, title_of(core.name, core.params) if core.recorded else core.name, "background")
            return
        h = self._handles.get(core.seq)
        if h is None:
            return
        h._deliver(event, p)
        if event == "ended":
            del self._handles[core.seq]
            self.jobEnded.emit(h)
