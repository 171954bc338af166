"""The job history (``job_run`` rows): start, end, outcome, counts, message.

A run is inserted as ``running`` with the owning process (pid, its start time, host) in ``counts``;
on the way out the row gets its outcome (ok / failed / cancelled) and the job's counts. A process
killed half-way leaves ``running`` behind: ``mark_interrupted`` (called when a runner starts) turns
such rows into ``interrupted`` when their process is gone — checked by pid *and* process start time,
so a reused pid does not keep a dead run alive. Rows owned by another host (a shared PostgreSQL
store) are left alone: this machine cannot tell whether they are still running.
"""

from __future__ import annotations

import json
import os
import socket
import time
from dataclasses import dataclass

from sqlalchemy import Engine, select, update

from core.store.schema import JobRun

OUTCOMES = ("running", "ok", "failed", "cancelled", "interrupted")


def _process_started(pid: int) -> float | None:
    try:
        import psutil

        return psutil.Process(pid).create_time()
    except Exception:  # noqa: BLE001 - no such process, or no permission to look
        return None


def _owner() -> dict:
    pid = os.getpid()
    return {"_pid": pid, "_pid_started": _process_started(pid), "_host": socket.gethostname()}


def _jsonable(value):
    try:
        return json.loads(json.dumps(value, default=str))
    except (TypeError, ValueError):
        return {"result": str(value)}


def start_run(engine: Engine, job: str, resource: str) -> int:
    with engine.begin() as conn:
        result = conn.execute(
            JobRun.__table__.insert().values(
                job=job[:60],
                resource=resource[:120],
                started_at=int(time.time()),
                outcome="running",
                counts=_owner(),
                message=None,
            )
        )
        return int(result.inserted_primary_key[0])


def finish_run(
    engine: Engine, run_id: int, outcome: str, counts: dict | None = None, message: str | None = None
) -> None:
    assert outcome in OUTCOMES
    with engine.begin() as conn:
        conn.execute(
            update(JobRun)
            .where(JobRun.id == run_id)
            .values(
                finished_at=int(time.time()),
                outcome=outcome,
                counts=_jsonable(counts) if counts else None,
                message=(message or None) and message[:2000],
            )
        )


def _alive(owner: dict) -> bool | None:
    """True/False for a process on this host; None when the row belongs to another host."""
    if owner.get("_host") != socket.gethostname():
        return None
    pid = owner.get("_pid")
    if not isinstance(pid, int):
        return False
    started = _process_started(pid)
    if started is None:
        return False
    recorded = owner.get("_pid_started")
    return recorded is None or abs(started - float(recorded)) < 1.0


def mark_interrupted(engine: Engine) -> int:
    """Turn ``running`` rows whose process died into ``interrupted``; returns how many."""
    with engine.begin() as conn:
        rows = conn.execute(
            select(JobRun.id, JobRun.counts, JobRun.started_at).where(JobRun.outcome == "running")
        ).all()
        dead = [rid for rid, counts, _ in rows if _alive(counts or {}) is False]
        now = int(time.time())
        for rid in dead:
            conn.execute(
                update(JobRun)
                .where(JobRun.id == rid)
                .values(
                    outcome="interrupted",
                    finished_at=now,
                    message="the process running this job ended before it finished (crash or kill); "
                    "run it again to resume",
                )
            )
    return len(dead)


@dataclass(frozen=True)
class RunRow:
    id: int
    job: str
    resource: str
    started_at: int
    finished_at: int | None
    outcome: str
    counts: dict | None
    message: str | None

    def to_json(self) -> dict:
        counts = {k: v for k, v in (self.counts or {}).items() if not k.startswith("_")} or None
        return {
            "id": self.id,
            "job": self.job,
            "resource": self.resource,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "outcome": self.outcome,
            "counts": counts,
            "message": self.message,
        }


def recent_runs(engine: Engine, limit: int = 50, job: str | None = None) -> list[RunRow]:
    stmt = (
        select(
            JobRun.id,
            JobRun.job,
            JobRun.resource,
            JobRun.started_at,
            JobRun.finished_at,
            JobRun.outcome,
            JobRun.counts,
            JobRun.message,
        )
        .order_by(JobRun.id.desc())
        .limit(limit)
    )
    if job is not None:
        stmt = stmt.where(JobRun.job == job)
    with engine.connect() as conn:
        return [RunRow(*r) for r in conn.execute(stmt)]
