"""Background work the app keeps running: core's job runner and its APScheduler schedule.

Started once the store is open (off the GUI thread: the runner marks interrupted runs, the scheduler
reads its persisted schedule). Scheduled jobs — periodic Last.fm sync, the feature backlog,
embeddings, retraining ``default`` after enough new plays — run on the core runner's per-resource
threads; ``app.jobs.CoreJobBridge`` turns their progress and endings into Qt signals, so they show in
the sidebar with a Cancel button, and a manual "Sync now" joins the same per-account queue.

``train_default`` is registered here (the composition root), because ``core`` never imports ``models``.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject

from app.jobs import BridgedHandle, CoreJobBridge

log = logging.getLogger(__name__)


def register_model_jobs(registry) -> bool:
    """Register ``train_default`` when ``models`` offers training; returns whether it did."""
    try:
        from models.training import train_model  # noqa: F401 - only asks whether training exists
    except Exception:  # noqa: BLE001 - models/ without training: nothing to register
        return False
    if "train_default" in registry:
        return True

    def train_default(ctx, account: str):
        # in a child process, like training started from the Models page: never holds the GUI's GIL
        from app.procjobs import in_process, store_url

        job = in_process("app.procjobs:train_job", store_url(ctx.store), account, "default")
        return (yield from job(ctx.cancel))

    registry.register(
        "train_default",
        train_default,
        resource="train:{account}:default",
        params=("account",),
        description="train the default recommender of an account",
    )
    return True


def register_process_jobs(registry) -> None:
    """Run core's CPU-heavy scheduled jobs (feature backlog with audio analysis, embeddings) in child
    processes: same names, resources and results as core registers, but they never hold the GUI's GIL."""
    from app.procjobs import in_process, store_url

    def features(ctx, account: str | None = None):
        return (yield from in_process("app.procjobs:features_job", store_url(ctx.store), account)(ctx.cancel))

    def embeddings(ctx, account: str | None = None):
        return (
            yield from in_process("app.procjobs:embeddings_job", store_url(ctx.store), account)(ctx.cancel)
        )

    for name, factory in (("features", features), ("embeddings", embeddings)):
        if name in registry:
            spec = registry.get(name)
            registry.register(
                name, factory, resource=spec.resource, description=spec.description, params=spec.params
            )


class Background(QObject):
    def __init__(self, ctx, schedule: bool = True, parent: QObject | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.schedule = schedule
        self.bridge = CoreJobBridge(self)
        self.runner = None
        self.scheduler = None
        self.bridge.jobEnded.connect(self._job_ended)
        ctx.storeReady.connect(self.start)
        ctx.settingsChanged.connect(lambda _s: self.reschedule())
        ctx.accountsChanged.connect(lambda _a: self.reschedule())

    @property
    def ready(self) -> bool:
        return self.runner is not None

    def start(self) -> None:
        store, settings, schedule, bridge = self.ctx.store, self.ctx.settings, self.schedule, self.bridge

        def job(_t):
            from core.jobs.runner import REGISTRY, Runner
            from core.jobs.scheduler import Scheduler, register_core_jobs

            register_core_jobs(REGISTRY)
            register_process_jobs(REGISTRY)
            register_model_jobs(REGISTRY)
            runner = Runner(store, REGISTRY, on_progress=bridge.on_progress)
            scheduler = None
            if schedule:
                scheduler = Scheduler(store, runner, settings)
                scheduler.start()
            return runner, scheduler

        self.ctx.run("Starting background jobs", job, on_result=self._started, quiet=True).failed.connect(
            lambda err: log.warning("background jobs not started: %s", err.message)
        )

    def _started(self, result) -> None:
        self.runner, self.scheduler = result
        self.bridge.attach(self.runner)
        if self.runner.interrupted:
            self.ctx.notify(
                f"{self.runner.interrupted} background job(s) were cut short when Segue last closed; "
                "they resume on their next run.",
                "info",
            )

    def submit(self, name: str, title: str | None = None, **params) -> BridgedHandle | None:
        if self.runner is None:
            return None
        return self.bridge.submit(name, title, **params)

    def reschedule(self) -> None:
        sched = self.scheduler
        if sched is None:
            return
        sched.settings = self.ctx.settings
        self.ctx.jobs.call("Updating the schedule", sched.ensure_schedules)

    def _job_ended(self, handle: BridgedHandle) -> None:
        core = handle.core
        if core.state == "ok" and core.name in ("sync", "train_default", "features_import"):
            added = getattr(core.result, "added", None)
            if core.name != "sync" or added:
                self.ctx.data_changed(-1)

    def shutdown(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown()
            self.scheduler = None
        if self.runner is not None:
            self.runner.shutdown(cancel=True, timeout=10)
            self.runner = None
