"""The schedule the app keeps running: core's APScheduler schedule over the app's one job runner.

Started once the store is open (off the GUI thread: the scheduler reads its persisted schedule).
Scheduled jobs — periodic Last.fm sync, the feature backlog, embeddings, retraining ``default``
after enough new plays — are submitted to the same runner as the user's own jobs (``app.jobs``),
so they show in the sidebar with a Cancel button, and a manual "Sync now" or "Train" joins the
same per-resource queue. When a scheduled job changed the library, the pages are told.
"""

from __future__ import annotations

import logging

from PySide6.QtCore import QObject

from app.jobs import JobHandle

log = logging.getLogger(__name__)
CHANGES_DATA = ("sync", "train", "features_import", "import")


class Background(QObject):
    def __init__(self, ctx, parent: QObject | None = None):
        super().__init__(parent)
        self.ctx = ctx
        self.scheduler = None
        ctx.jobs.jobEnded.connect(self._job_ended)
        ctx.storeReady.connect(self.start)
        ctx.settingsChanged.connect(lambda _s: self.reschedule())
        ctx.accountsChanged.connect(lambda _a: self.reschedule())

    @property
    def ready(self) -> bool:
        return self.scheduler is not None

    def start(self) -> None:
        store, settings, runner = self.ctx.store, self.ctx.settings, self.ctx.jobs.runner

        def job(_t):
            from core.jobs.scheduler import Scheduler

            scheduler = Scheduler(store, runner, settings)
            scheduler.start()
            return scheduler

        self.ctx.run("Starting the schedule", job, on_result=self._started, quiet=True).failed.connect(
            lambda err: log.warning("the schedule did not start: %s", err.message)
        )

    def _started(self, scheduler) -> None:
        self.scheduler = scheduler

    def reschedule(self) -> None:
        sched = self.scheduler
        if sched is None:
            return
        sched.settings = self.ctx.settings
        self.ctx.jobs.call("Updating the schedule", sched.ensure_schedules)

    def _job_ended(self, handle: JobHandle) -> None:
        """A scheduled job that changed the library refreshes the pages (a page's own jobs do it
        themselves, with the account they concern)."""
        core = handle.core
        if handle.origin != "background" or core.state != "ok" or core.name not in CHANGES_DATA:
            return
        if core.name != "sync" or getattr(core.result, "added", None):
            self.ctx.data_changed(-1)

    def shutdown(self) -> None:
        if self.scheduler is not None:
            self.scheduler.shutdown()
            self.scheduler = None
