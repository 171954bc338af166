"""The refresh as a registered job: the runner runs and records it; the schedule follows each listener."""

from __future__ import annotations

from helpers import add_account, spaced

from core.catalogue import load_catalogue
from core.jobs.runner import Runner
from core.store.schema import JobRun

LOCAL = ["local.accounts", "local.tables"]


def test_the_runner_runs_the_registered_catalogue_job(store, tmp_path):
    from core.jobs.builtin import register_core_jobs
    from core.jobs.registry import JobRegistry

    registry = register_core_jobs(JobRegistry())

    me = add_account(store, tmp_path, "me", spaced([("Air", "Sexy Boy")] * 3))
    add_account(store, tmp_path, "friend", spaced([("Air", "Kelly Watch the Stars"), ("Moby", "Porcelain")]))
    spec = registry.get("catalogue")
    assert spec.resource_for({"account": "me"}) == "catalogue:me"
    runner = Runner(store, registry)
    try:
        handle = runner.run("catalogue", account="me", sources=LOCAL)
    finally:
        runner.shutdown()
    assert handle.state == "ok", handle.error
    assert handle.result.sources["local.accounts"].ok == 1
    assert len(load_catalogue(store.engine, me)) == 2
    with store.engine.connect() as conn:
        run = conn.execute(JobRun.__table__.select().where(JobRun.job == "catalogue")).first()
    assert run.outcome == "ok" and run.resource == "catalogue:me"
    assert run.counts["sources"]["local.accounts"]["items"] == 2
