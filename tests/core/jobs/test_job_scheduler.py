"""The APScheduler schedule on a real SQLite file: survives a restart, fires what fell due while closed,
retrains after N new plays, chains embeddings after new features."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from jobbodies import wait_for
from testpaths import LISTENING

from core.jobs import Progress, run_job
from core.jobs.builtin import due_for_retrain, register_core_jobs
from core.jobs.history import recent_runs
from core.jobs.runner import JobRegistry, Runner
from core.jobs.scheduler import Scheduler
from core.settings import Settings
from core.sources.importing import import_files
from core.store.catalog import get_or_create_account
from core.store.engine import open_store
from core.store.schema import ModelRun


def _registry(calls: list) -> JobRegistry:
    """The core jobs, with the network-bound ones replaced by jobs that only record their call."""
    reg = register_core_jobs(JobRegistry())

    def recorder(name):
        def job(ctx, **params):
            calls.append((name, params))
            yield Progress(1, 1, name)
            return {"modalities": {"tags": {"ok": 2}}} if name == "features" else {"ran": name}

        return job

    for name, resource in (
        ("features", "features"),
        ("embeddings", "embeddings"),
        ("sync", "sync:{account}"),
        ("train", "train:{account}:{model}"),
    ):
        reg.register(name, recorder(name), resource=resource)
    return reg


def _open(db):
    return open_store(f"sqlite:///{db}")


def test_schedule_survives_a_restart(tmp_path):
    db = tmp_path / "segue.sqlite"
    store = _open(db)
    with store.engine.begin() as conn:
        get_or_create_account(conn, "alice", kind="lastfm")
        get_or_create_account(conn, "local-only", kind="local")
    runner = Runner(store, _registry([]))
    sched = Scheduler(store, runner, Settings(sync_interval_minutes=30))
    sched.start(paused=True)
    before = {s["id"]: s for s in sched.schedules()}
    assert set(before) == {
        "sync:alice",
        "features",
        "embeddings",
        "retrain_check",
        "catalogue:alice",
        "catalogue:local-only",
    }
    assert before["sync:alice"]["every_minutes"] == 30
    sched.shutdown()
    runner.shutdown()
    store.dispose()

    store = _open(db)  # a new process, as far as the schedule knows
    runner = Runner(store, _registry([]))
    sched = Scheduler(store, runner, Settings(sync_interval_minutes=30))
    sched.start(paused=True)
    after = {s["id"]: s for s in sched.schedules()}
    assert after == before  # same jobs, same next run times: nothing was reset
    assert sched.ensure_schedules() == []
    # a changed setting updates that schedule only; a removed account drops its sync
    sched.settings = Settings(sync_interval_minutes=10)
    with store.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE account SET kind='local' WHERE name='alice'")
    assert sorted(sched.ensure_schedules()) == ["retrain_check", "sync:alice"]
    now = {s["id"]: s for s in sched.schedules()}
    assert "sync:alice" not in now and now["retrain_check"]["every_minutes"] == 10
    assert now["features"] == before["features"]
    sched.shutdown()
    runner.shutdown()
    store.dispose()


def test_a_run_missed_while_closed_fires_once_at_start(tmp_path):
    db = tmp_path / "segue.sqlite"
    store = _open(db)
    calls: list = []
    runner = Runner(store, _registry(calls))
    sched = Scheduler(store, runner, Settings())
    sched.start(paused=True)
    past = datetime.now(UTC) - timedelta(hours=5)
    sched._aps.modify_job("features", next_run_time=past)  # it fell due while the app was closed
    sched.shutdown()
    runner.shutdown()
    store.dispose()

    store = _open(db)
    runner = Runner(store, _registry(calls))
    sched = Scheduler(store, runner, Settings())
    sched.start()
    assert wait_for(lambda: ("embeddings", {}) in calls)  # features ran, stored something → embeddings
    sched.shutdown()
    runner.shutdown(timeout=10)
    assert calls.count(("features", {})) == 1
    assert [(r.job, r.outcome) for r in reversed(recent_runs(store.engine))] == [
        ("features", "ok"),
        ("embeddings", "ok"),
    ]
    store.dispose()


@pytest.fixture
def erzadel(tmp_path):
    store = _open(tmp_path / "erz.sqlite")
    assert run_job(import_files(store, [LISTENING / "edelgrace" / "erzadel_cleaned.csv"], "erzadel")).ok
    yield store
    store.dispose()


def test_retrain_after_enough_new_plays(erzadel):
    assert due_for_retrain(erzadel.engine, 500) == ["erzadel"]  # never trained, 29,662 plays
    calls: list = []
    runner = Runner(erzadel, _registry(calls))
    h = runner.submit("retrain_check", threshold=500)
    assert h.wait(10) and h.result["submitted"] == ["erzadel"]
    gap_s = Settings.load().session_gap_minutes * 60  # the user's session gap, as every submission has it
    assert wait_for(lambda: ("train", {"account": "erzadel", "model": "default", "gap_s": gap_s}) in calls)
    with erzadel.engine.begin() as conn:  # trained 400 plays ago: not yet due
        conn.execute(
            ModelRun.__table__.insert().values(
                account_id=1,
                model="default",
                kind="train",
                status="ok",
                started_at=1,
                finished_at=2,
                plays_at_train=29662 - 400,
            )
        )
    assert due_for_retrain(erzadel.engine, 500) == []
    assert due_for_retrain(erzadel.engine, 400) == ["erzadel"]
    runner.shutdown()


def test_retrain_check_without_a_registered_trainer(erzadel):
    runner = Runner(erzadel, register_core_jobs(JobRegistry()))
    h = runner.submit("retrain_check", threshold=500)
    assert (
        h.wait(10) and h.state == "ok" and h.result == {"due": ["erzadel"], "submitted": [], "threshold": 500}
    )
    runner.shutdown()
