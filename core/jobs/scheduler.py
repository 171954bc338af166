"""The background schedule (APScheduler 3.x): when the runner gets which job.

Schedules live in the store's database (APScheduler's ``SQLAlchemyJobStore``, table
``segue_schedule``), so they survive restarts: a run that fell due while the app was closed fires
once at the next start (``coalesce``, a day of misfire grace). What is scheduled:

- ``sync:<account>`` — Last.fm sync of every Last.fm account, every ``settings.sync_interval_minutes``;
- ``features`` — the feature backlog (``core.features.fetch``) for all accounts, every
  ``settings.feature_interval_minutes``;
- ``embeddings`` — after a feature fetch or table import that stored something, and every
  ``settings.embedding_interval_minutes`` (a no-op when nothing changed);
- ``retrain_check`` — after each sync and every sync interval: submits ``train`` of ``default`` for
  an account with ``settings.retrain_after_plays`` new plays since its last ``default`` training.

A scheduled trigger only *submits* a named job (``core.jobs.builtin``, ``models.jobs``) to the one
``Runner``; its per-resource queues run it and record the history, so a scheduled retrain and a
training the user started wait for each other. The persisted schedule holds only the job name and
plain parameters (APScheduler pickles that small record).
"""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from core.jobs.runner import JobHandle, Runner
from core.store.schema import Account

log = logging.getLogger(__name__)
TABLE = "segue_schedule"
_active: dict[str, Scheduler] = {}  # scheduler key → instance, for the persisted trigger function
_active_lock = threading.Lock()


# -- the schedule ---------------------------------------------------------------------------------


def _fire(key: str, job: str, params: dict) -> None:
    """The persisted trigger target: hand the job to the live scheduler's runner."""
    with _active_lock:
        sched = _active.get(key)
    if sched is None:
        log.warning("schedule %s fired with no live scheduler", job)
        return
    sched.fire(job, params)


class Scheduler:
    """A BackgroundScheduler over the store's database; ``ensure_schedules`` keeps it in line with the
    settings and accounts without resetting the next run time of schedules that did not change."""

    def __init__(self, store, runner: Runner, settings=None, *, tablename: str = TABLE, key: str = "default"):
        from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
        from apscheduler.schedulers.background import BackgroundScheduler

        from core.settings import Settings

        self.store = store
        self.runner = runner
        self.settings = settings or Settings.load()
        self.key = key
        self.fired: list[tuple[str, dict]] = []
        self._aps = BackgroundScheduler(
            jobstores={"default": SQLAlchemyJobStore(engine=store.engine, tablename=tablename)},
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 24 * 3600},
            timezone=UTC,
        )
        runner.watch(lambda event, handle: event == "ended" and self._after(handle))

    # lifecycle
    def start(self, paused: bool = False, ensure: bool = True) -> None:
        """Start (schedules are read from the store); ``ensure`` syncs them with settings first."""
        with _active_lock:
            _active[self.key] = self
        self._aps.start(paused=True)  # the job store is only readable once started
        if ensure:
            self.ensure_schedules()
        if not paused:
            self._aps.resume()

    def resume(self) -> None:
        self._aps.resume()

    def shutdown(self) -> None:
        if self._aps.running:
            # APScheduler 3 wakes its thread once more after shutdown and would "run" due jobs into the
            # stopped executor, advancing their next run time: a run due now would be lost. Detaching
            # the job store first leaves the persisted schedule exactly as it was.
            self._aps.pause()
            self._aps.remove_jobstore("default", shutdown=False)
            self._aps.shutdown(wait=False)
        with _active_lock:
            if _active.get(self.key) is self:
                del _active[self.key]

    # schedules
    def _intervals(self) -> dict[str, tuple[str, dict, float]]:
        """schedule id → (job, params, minutes)."""
        s = self.settings
        out: dict[str, tuple[str, dict, float]] = {}
        with self.store.engine.connect() as conn:
            lastfm = [n for (n,) in conn.execute(select(Account.name).where(Account.kind == "lastfm"))]
        for name in lastfm:
            out[f"sync:{name}"] = ("sync", {"account": name}, float(s.sync_interval_minutes))
        out["features"] = ("features", {}, float(s.feature_interval_minutes))
        out["embeddings"] = ("embeddings", {}, float(s.embedding_interval_minutes))
        out["retrain_check"] = ("retrain_check", {}, float(s.sync_interval_minutes))
        return out

    def ensure_schedules(self) -> list[str]:
        """Add missing schedules, update changed intervals, drop schedules of removed accounts."""
        from apscheduler.triggers.interval import IntervalTrigger

        wanted = self._intervals()
        existing = {j.id: j for j in self._aps.get_jobs()}
        changed = []
        for sid, (job, params, minutes) in wanted.items():
            trigger = IntervalTrigger(seconds=max(1, int(minutes * 60)), timezone=UTC)
            old = existing.get(sid)
            if (
                old is not None
                and getattr(old.trigger, "interval", None) == trigger.interval
                and list(old.args) == [self.key, job, params]
            ):
                continue
            self._aps.add_job(
                _fire, trigger, args=[self.key, job, params], id=sid, name=sid, replace_existing=True
            )
            changed.append(sid)
        for sid in set(existing) - set(wanted):
            self._aps.remove_job(sid)
            changed.append(sid)
        return changed

    def schedules(self) -> list[dict]:
        out = []
        for j in self._aps.get_jobs():
            nxt = getattr(j, "next_run_time", None)
            out.append(
                {
                    "id": j.id,
                    "job": j.args[1],
                    "params": j.args[2],
                    "every_minutes": j.trigger.interval.total_seconds() / 60,
                    "next_run": nxt.astimezone(UTC).isoformat() if nxt else None,
                }
            )
        return sorted(out, key=lambda d: d["id"])

    def run_soon(self, schedule_id: str, delay_s: float = 0.0) -> None:
        """Move a schedule's next run to now + ``delay_s`` (the GUI's "sync now")."""
        self._aps.modify_job(schedule_id, next_run_time=datetime.now(UTC) + timedelta(seconds=delay_s))

    # firing
    def fire(self, job: str, params: dict) -> JobHandle | None:
        self.fired.append((job, dict(params)))
        if job not in self.runner.registry:
            log.info("scheduled job %s is not registered in this process; skipped", job)
            return None
        try:
            return self.runner.submit(job, **params)
        except RuntimeError:  # runner already shut down
            return None

    def _after(self, handle: JobHandle) -> None:
        """Chains: new features → embeddings; a sync that added plays → retrain check."""
        if handle.state != "ok":
            return
        result = handle.result
        if handle.name in ("features", "features_import") and _stored_something(result):
            self.fire("embeddings", {})
        elif handle.name == "sync" and getattr(result, "added", 0):
            self.fire("retrain_check", {})


def _stored_something(result) -> bool:
    if result is None:
        return False
    d = result.as_dict() if hasattr(result, "as_dict") else result
    if isinstance(d, dict):
        mods = d.get("modalities")
        if isinstance(mods, dict):
            return any((r or {}).get("ok", 0) for r in mods.values())
        return bool(d.get("written", 0))
    return True
