"""The one job runner: one FIFO queue per resource, a history row per recorded run, events to watchers.

Everything long runs here — the GUI's work (through ``app/jobs.py``), the schedule's, the CLI's:

- ``submit(name, **params)`` runs a registered job (``core.jobs.registry``) on the queue of its
  resource (``"train:{account}:{model}"``), in-process or in a child process as its spec says
  (``isolate``), and records it in ``job_run`` (``core.jobs.history``). A training started from
  the GUI and a scheduled retrain of the same model therefore wait for each other.
- ``call(title, fn, resource=None)`` runs an *ephemeral* job ``fn(token)`` (a quick query, a write;
  a plain value or a Progress generator): unrecorded, on the queue of ``resource`` when given, else
  on the shared lane where up to ``lanes`` such calls run side by side.

Jobs on one resource run one after another in submission order; jobs on different resources run in
parallel, each queue on its own worker thread (the shared lane on up to ``lanes``), which waits
``LINGER_S`` for more work once its queue is empty and then ends. A registered job
already *waiting* in its queue with the same parameters is not queued twice (scheduler ticks do not
pile up). Progress is throttled (``THROTTLE_S``; the last report always arrives).

``watch(fn)`` calls ``fn(event, handle)`` for ``submitted`` (on the submitting thread), ``started``,
``progress`` and ``ended`` (on the job's worker thread). Outcomes: ok / failed / cancelled, and a
run cut short by a crash is marked ``interrupted`` when the next runner attaches to the store. Jobs
resume by design: they commit as they go and skip what is stored, so running one again continues it.
"""

from __future__ import annotations

import dataclasses
import inspect
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.jobs.history import finish_run, mark_interrupted, start_run
from core.jobs.isolate import run_isolated, store_url
from core.jobs.progress import THROTTLE_S, Cancelled, CancelToken, Progress, run_job
from core.jobs.registry import REGISTRY, JobContext, JobRegistry, JobSpec

log = logging.getLogger(__name__)
Watcher = Callable[[str, "JobHandle"], None]
SHARED = ""  # the lane of calls without a resource
LINGER_S = 10.0
"""An idle worker waits this long for more work on its queue before its thread ends: the GUI's
bursts of quick calls reuse threads instead of starting one per call (as QThreadPool's expiry did)."""
_ids = itertools.count(1)


@dataclass(eq=False)
class JobHandle:
    name: str  # the registered name, or a call's title
    params: dict
    resource: str  # SHARED for a call without a resource
    spec: JobSpec | None = None  # None: an ephemeral call
    fn: Callable[[CancelToken], Any] | None = None
    throttle_s: float = THROTTLE_S
    token: CancelToken = field(default_factory=CancelToken)
    state: str = "queued"  # queued | running | ok | failed | cancelled | interrupted
    progress: Progress | None = None
    result: Any = None
    error: str | None = None  # "Type: message"
    exception: BaseException | None = None
    run_id: int | None = None
    seq: int = field(default_factory=lambda: next(_ids))
    _done: threading.Event = field(default_factory=threading.Event, repr=False)

    def cancel(self) -> None:
        self.token.cancel()

    def wait(self, timeout: float | None = None) -> bool:
        return self._done.wait(timeout)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    @property
    def recorded(self) -> bool:
        return self.spec is not None

    def to_json(self) -> dict:
        p = self.progress
        return {
            "job": self.name,
            "params": self.params,
            "resource": self.resource,
            "state": self.state,
            "run_id": self.run_id,
            "error": self.error,
            "progress": None if p is None else {"done": p.done, "total": p.total, "message": p.message},
        }


def counts_of(result: Any) -> dict | None:
    """A JSON-able summary of a job's return value for the history."""
    if result is None:
        return None
    if hasattr(result, "to_json"):
        result = result.to_json()
    elif hasattr(result, "as_dict"):
        result = result.as_dict()
    elif dataclasses.is_dataclass(result) and not isinstance(result, type):
        result = dataclasses.asdict(result)
    return result if isinstance(result, dict) else {"result": result}


class Runner:
    def __init__(
        self,
        store=None,
        registry: JobRegistry = REGISTRY,
        *,
        record: bool = True,
        lanes: int = 4,
        throttle_s: float = THROTTLE_S,
        linger_s: float = LINGER_S,
        on_progress: Callable[[JobHandle, Progress], None] | None = None,
    ):
        """``store`` may come later (``attach``): the GUI's runner exists before the store is open."""
        self.registry = registry
        self.record = record
        self.lanes = lanes
        self.throttle_s = throttle_s
        self.linger_s = linger_s
        self.store = None
        self.interrupted = 0
        self._watchers: list[Watcher] = []
        self._lock = threading.RLock()  # watchers of "submitted" run under it and may call back in
        self._changed = threading.Condition(self._lock)  # a job was queued or ended; a worker left
        self._queues: dict[str, deque[JobHandle]] = {}
        self._running: dict[str, list[JobHandle]] = {}
        self._workers: dict[str, int] = {}  # resource → live worker threads
        self._closed = False
        if on_progress is not None:
            self.watch(lambda event, h: event == "progress" and on_progress(h, h.progress))
        if store is not None:
            self.attach(store)

    def attach(self, store) -> int:
        """Use ``store`` for registered jobs; marks the runs a dead process left ``running`` as
        ``interrupted`` (a database write: call it off the GUI thread). Returns how many."""
        self.store = store
        self.interrupted = mark_interrupted(store.engine) if self.record else 0
        return self.interrupted

    def watch(self, fn: Watcher) -> None:
        self._watchers.append(fn)

    # -- submitting --------------------------------------------------------------------------
    def submit(self, name: str, **params) -> JobHandle:
        """Queue the registered job ``name``; returns its handle (or the identical one still waiting)."""
        spec = self.registry.get(name)
        params = {**dict(spec.defaults), **params}
        resource = spec.resource_for(params)
        if self.store is None:
            raise RuntimeError("the job runner has no store yet: open the library first")
        with self._lock:
            for waiting in self._queues.get(resource, ()):
                if waiting.spec is spec and waiting.params == params and not waiting.token.cancelled:
                    return waiting
            handle = JobHandle(name, params, resource, spec=spec, throttle_s=self.throttle_s)
            self._enqueue(handle)
        return handle

    def call(
        self,
        title: str,
        fn: Callable[[CancelToken], Any],
        *,
        resource: str | None = None,
        throttle_s: float | None = None,
    ) -> JobHandle:
        """Queue an ephemeral job ``fn(token)`` (unrecorded); see the module docstring."""
        handle = JobHandle(
            title,
            {},
            resource or SHARED,
            fn=fn,
            throttle_s=self.throttle_s if throttle_s is None else throttle_s,
        )
        with self._lock:
            self._enqueue(handle)
        return handle

    def _enqueue(self, handle: JobHandle) -> None:  # under the lock
        if self._closed:
            raise RuntimeError("the job runner is shut down")
        self._queues.setdefault(handle.resource, deque()).append(handle)
        self._emit("submitted", handle)
        self._changed.notify_all()  # a lingering worker of this resource takes it
        width = self.lanes if handle.resource == SHARED else 1
        workers = self._workers.get(handle.resource, 0)
        waiting = len(self._queues[handle.resource]) + len(self._running.get(handle.resource, ()))
        if workers < width and waiting > workers:  # more work than threads (idle ones take it first)
            self._workers[handle.resource] = self._workers.get(handle.resource, 0) + 1
            threading.Thread(
                target=self._work,
                args=(handle.resource,),
                name=f"job:{handle.resource or 'calls'}",
                daemon=True,
            ).start()

    def run(self, name: str, **params) -> JobHandle:
        """Submit and wait (the CLI); Ctrl-C cancels the job and waits for it to stop cleanly."""
        handle = self.submit(name, **params)
        try:
            while not handle.wait(0.2):
                pass
        except KeyboardInterrupt:
            handle.cancel()
            handle.wait()
            raise
        return handle

    # -- state ---------------------------------------------------------------------------------
    def active(self) -> list[JobHandle]:
        with self._lock:
            running = [h for hs in self._running.values() for h in hs]
            queued = [h for q in self._queues.values() for h in q]
        return running + queued

    def busy(self, resource: str) -> bool:
        return any(h.resource == resource for h in self.active())

    def cancel(self, resource: str | None = None) -> int:
        """Cancel the running and queued jobs of ``resource`` (all when None)."""
        n = 0
        for h in self.active():
            if resource is None or h.resource == resource:
                h.cancel()
                n += 1
        return n

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Block until no job is queued or running (shutdown and tests — never the GUI thread)."""
        deadline = None if timeout is None else time.monotonic() + timeout
        with self._changed:
            while self._running or any(self._queues.values()):
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    return False
                self._changed.wait(left)
        return True

    def shutdown(self, *, cancel: bool = True, timeout: float | None = 30.0) -> bool:
        with self._lock:
            self._closed = True
            self._changed.notify_all()  # lingering workers end now
        if cancel:
            self.cancel()
        return self.wait_idle(timeout)

    # -- running -------------------------------------------------------------------------------
    def _emit(self, event: str, handle: JobHandle) -> None:
        for fn in list(self._watchers):
            try:
                fn(event, handle)
            except Exception:  # noqa: BLE001 - a watcher must not stop the queue
                log.exception("job watcher failed on %s of %s", event, handle.name)

    def _work(self, resource: str) -> None:
        try:
            while True:
                with self._lock:
                    idle_until = time.monotonic() + self.linger_s
                    while not self._queues.get(resource) and not self._closed:
                        left = idle_until - time.monotonic()
                        if left <= 0:
                            break
                        self._changed.wait(left)
                    queue = self._queues.get(resource)
                    if not queue:  # leave in the same critical section that saw the queue empty
                        self._leave(resource)
                        return
                    handle = queue.popleft()
                    self._running.setdefault(resource, []).append(handle)
                try:
                    self._execute(handle)
                finally:
                    self._emit("ended", handle)  # before ``wait`` returns: watchers have seen the end
                    with self._lock:
                        running = self._running.get(resource, [])
                        running.remove(handle)
                        if not running:
                            self._running.pop(resource, None)
                        handle._done.set()
                        self._changed.notify_all()
        except BaseException:  # the process is ending (SystemExit): the queue must not look served
            with self._lock:
                self._leave(resource)
            raise

    def _leave(self, resource: str) -> None:  # under the lock
        self._workers[resource] -= 1
        if not self._workers[resource]:
            del self._workers[resource]
            if not self._queues.get(resource):
                self._queues.pop(resource, None)
        self._changed.notify_all()

    def _body(self, handle: JobHandle):
        """The generator (or plain value) the job produces."""
        if handle.spec is None:
            return handle.fn(handle.token)  # type: ignore[misc]
        spec = handle.spec
        if spec.isolate:
            return run_isolated(
                spec.target, handle.params, store_url(self.store), handle.token, throttle_s=handle.throttle_s
            )
        return spec.body(JobContext(self.store, handle.token, self), **handle.params)

    def _execute(self, handle: JobHandle) -> None:
        if handle.token.cancelled:
            handle.state = "cancelled"
            return
        handle.state = "running"
        self._emit("started", handle)
        record = handle.recorded and self.record
        engine = self.store.engine if record else None
        if record:
            handle.run_id = start_run(engine, handle.name, handle.resource)

        def report(p: Progress) -> None:
            handle.progress = p
            self._emit("progress", handle)

        outcome, message = "ok", None
        try:
            out = self._body(handle)
            if inspect.isgenerator(out):
                out = run_job(out, report, throttle_s=handle.throttle_s, cancel=handle.token)
            handle.result = out
            message = handle.progress.message if handle.progress else None
        except Cancelled:
            outcome, message = "cancelled", "cancelled; finished work is saved"
        except Exception as exc:  # noqa: BLE001 - a failed job is recorded, the runner goes on
            if handle.recorded:
                log.error("job %s on %s failed", handle.name, handle.resource, exc_info=True)
            else:
                log.error("%s failed", handle.name, exc_info=True)
            outcome, message = "failed", f"{type(exc).__name__}: {exc}"
            handle.error, handle.exception = message, exc
        except (KeyboardInterrupt, SystemExit):
            handle.state = "interrupted"
            if handle.run_id is not None:
                finish_run(engine, handle.run_id, "interrupted", None, "stopped by the process ending")
            raise
        handle.state = outcome
        if handle.run_id is not None:
            finish_run(engine, handle.run_id, outcome, counts_of(handle.result), message)
