"""Running named jobs: one FIFO queue per resource, a history row per run.

A job is registered by name with a factory ``factory(ctx: JobContext, **params) -> generator``
yielding ``Progress`` (``core.jobs.progress``) and a resource template such as ``"sync:{account}"``
or ``"train:{account}:default"``. Jobs on one resource run one after another (two syncs of one
account never overlap); jobs on different resources run in parallel, each queue on its own worker
thread that exits when the queue is empty. Submitting a job that is already waiting in its queue
with the same parameters returns the waiting one (scheduler ticks do not pile up).

Every run writes a ``job_run`` row (``core.jobs.history``): running → ok / failed / cancelled; a run
cut short by a crash is marked ``interrupted`` when the next runner starts. Jobs resume by design:
they commit as they go and skip what is already stored, so running one again continues it.

``core`` never imports ``models`` or ``app``: the composition root registers jobs such as
``train_default`` on ``REGISTRY`` (or its own registry) before building the runner.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import threading
import time
from collections import deque
from collections.abc import Callable, Generator
from dataclasses import dataclass, field
from typing import Any

from core.jobs.history import finish_run, mark_interrupted, start_run
from core.jobs.progress import Cancelled, CancelToken, Progress

log = logging.getLogger(__name__)
JobFactory = Callable[..., Generator[Progress, None, Any]]


@dataclass
class JobContext:
    """What a job factory gets besides its parameters."""

    store: Any  # core.store.engine.Store
    cancel: CancelToken
    runner: Runner | None = None


@dataclass(frozen=True)
class JobSpec:
    name: str
    factory: JobFactory
    resource: str = "{name}"  # format string over the job's params (+ name)
    description: str = ""
    params: tuple[str, ...] = ()  # parameter names the job takes (for `segue jobs list`)

    def resource_for(self, params: dict) -> str:
        try:
            return self.resource.format(name=self.name, **params)
        except KeyError as exc:
            raise ValueError(f"job {self.name!r} needs parameter {exc.args[0]!r}") from None


class JobRegistry:
    def __init__(self) -> None:
        self._specs: dict[str, JobSpec] = {}

    def register(
        self,
        name: str,
        factory: JobFactory,
        *,
        resource: str = "{name}",
        description: str = "",
        params: tuple[str, ...] = (),
    ) -> JobSpec:
        spec = JobSpec(name, factory, resource, description, params)
        self._specs[name] = spec
        return spec

    def get(self, name: str) -> JobSpec:
        if name not in self._specs:
            raise KeyError(f"no job named {name!r}; known: {', '.join(sorted(self._specs)) or 'none'}")
        return self._specs[name]

    def __contains__(self, name: str) -> bool:
        return name in self._specs

    def specs(self) -> list[JobSpec]:
        return [self._specs[n] for n in sorted(self._specs)]


REGISTRY = JobRegistry()
_ids = itertools.count(1)


@dataclass(eq=False)
class JobHandle:
    name: str
    params: dict
    resource: str
    token: CancelToken = field(default_factory=CancelToken)
    state: str = "queued"  # queued | running | ok | failed | cancelled | interrupted
    progress: Progress | None = None
    result: Any = None
    error: str | None = None
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
        store,
        registry: JobRegistry = REGISTRY,
        *,
        record: bool = True,
        on_progress: Callable[[JobHandle, Progress], None] | None = None,
    ):
        self.store = store
        self.registry = registry
        self.record = record
        self.on_progress = on_progress
        self._listeners: list[Callable[[JobHandle], None]] = []
        self._lock = threading.Lock()
        self._queues: dict[str, deque[JobHandle]] = {}
        self._running: dict[str, JobHandle] = {}
        self._workers: dict[str, threading.Thread] = {}
        self._closed = False
        self.interrupted = mark_interrupted(store.engine) if record else 0

    def add_listener(self, fn: Callable[[JobHandle], None]) -> None:
        """``fn(handle)`` after every job ends (called on the worker thread)."""
        self._listeners.append(fn)

    # -- submitting --------------------------------------------------------------------------
    def submit(self, name: str, **params) -> JobHandle:
        spec = self.registry.get(name)
        resource = spec.resource_for(params)
        with self._lock:
            if self._closed:
                raise RuntimeError("the job runner is shut down")
            queue = self._queues.setdefault(resource, deque())
            for waiting in queue:
                if waiting.name == name and waiting.params == params and not waiting.token.cancelled:
                    return waiting
            handle = JobHandle(name, dict(params), resource)
            queue.append(handle)
            worker = self._workers.get(resource)
            if worker is None or not worker.is_alive():
                worker = threading.Thread(
                    target=self._work, args=(resource,), name=f"job:{resource}", daemon=True
                )
                self._workers[resource] = worker
                worker.start()
        return handle

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
            running = list(self._running.values())
            queued = [h for q in self._queues.values() for h in q]
        return running + queued

    def cancel(self, resource: str | None = None) -> int:
        """Cancel the running and queued jobs of ``resource`` (all when None)."""
        n = 0
        for h in self.active():
            if resource is None or h.resource == resource:
                h.cancel()
                n += 1
        return n

    def shutdown(self, *, cancel: bool = True, timeout: float | None = 30.0) -> None:
        with self._lock:
            self._closed = True
            workers = list(self._workers.values())
        if cancel:
            self.cancel()
        deadline = None if timeout is None else time.monotonic() + timeout
        for w in workers:
            w.join(None if deadline is None else max(0.0, deadline - time.monotonic()))

    # -- running -------------------------------------------------------------------------------
    def _work(self, resource: str) -> None:
        while True:
            with self._lock:
                queue = self._queues.get(resource)
                if not queue:
                    self._workers.pop(resource, None)
                    self._queues.pop(resource, None)
                    return
                handle = queue.popleft()
                self._running[resource] = handle
            try:
                self._execute(handle)
            finally:
                with self._lock:
                    self._running.pop(resource, None)
                handle._done.set()
                for fn in list(self._listeners):
                    try:
                        fn(handle)
                    except Exception:  # noqa: BLE001 - a listener must not stop the queue
                        log.exception("job listener failed after %s", handle.name)

    def _execute(self, handle: JobHandle) -> None:
        spec = self.registry.get(handle.name)
        engine = self.store.engine
        if handle.token.cancelled:
            handle.state = "cancelled"
            return
        handle.state = "running"
        if self.record:
            handle.run_id = start_run(engine, handle.name, handle.resource)
        outcome, message = "ok", None
        try:
            gen = spec.factory(JobContext(self.store, handle.token, self), **handle.params)
            while True:
                try:
                    p = next(gen)
                except StopIteration as stop:
                    handle.result = stop.value
                    break
                handle.progress = p
                if self.on_progress is not None:
                    self.on_progress(handle, p)
            message = handle.progress.message if handle.progress else None
        except Cancelled:
            outcome, message = "cancelled", "cancelled; finished work is saved"
        except Exception as exc:  # noqa: BLE001 - a failed job is recorded, the runner goes on
            log.exception("job %s on %s failed", handle.name, handle.resource)
            outcome, message = "failed", f"{type(exc).__name__}: {exc}"
            handle.error = message
        except BaseException:
            handle.state = "interrupted"
            if handle.run_id is not None:
                finish_run(engine, handle.run_id, "interrupted", None, "stopped by the process ending")
            raise
        handle.state = outcome
        if handle.run_id is not None:
            finish_run(engine, handle.run_id, outcome, counts_of(handle.result), message)
