"""Training follows the data: an import that adds plays trains ``default`` next on the same runner, a
sync only when the model is missing or due, nothing when the user turned ``train_automatically`` off. The import is the real (isolated) import job of a real export; ``train`` records what it was
asked (the real training is tested in tests/models and tests/app)."""

from __future__ import annotations

import time

import pytest
from testpaths import LISTENING

from core.jobs import Progress
from core.jobs.builtin import follow_new_plays, register_core_jobs, should_train
from core.jobs.runner import JobRegistry, Runner
from core.store.engine import open_store
from core.store.schema import Account, ModelRun

FELHAG = LISTENING / "lastfm-exports" / "felhag__lastfmstats-TestUser.json"


@pytest.fixture
def store(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'follow.sqlite'}")
    yield s
    s.dispose()


def _runner(store, trained: list) -> Runner:
    reg = register_core_jobs(JobRegistry())

    def train(ctx, account: str, model: str = "default", gap_s: int | None = None):
        trained.append(account)
        yield Progress(1, 1, "trained")
        return {"account": account}

    reg.register("train", train, resource="train:{account}:{model}", defaults={"model": "default"})
    runner = Runner(store, reg)
    follow_new_plays(runner)
    return runner


def _wait(runner: Runner, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while runner.active() and time.monotonic() < deadline:
        time.sleep(0.05)


def import_files_into(store, account: str) -> None:
    from core.jobs import run_job
    from core.sources.importing import import_files

    run_job(import_files(store, [FELHAG], account))


def _record_training(store, account: str, plays: int) -> None:
    with store.engine.begin() as conn:
        acc = conn.execute(Account.__table__.select().where(Account.name == account)).first()
        conn.execute(
            ModelRun.__table__.insert().values(
                account_id=acc.id,
                model="default",
                kind="train",
                seed=0,
                status="ok",
                started_at=0,
                finished_at=1,
                plays_at_train=plays,
            )
        )


def test_an_import_that_adds_plays_trains_default_next(store):
    if not FELHAG.exists():
        pytest.skip("shared data missing")
    trained: list[str] = []
    runner = _runner(store, trained)
    job = runner.submit("import", paths=[str(FELHAG)], account="felhag")
    _wait(runner)
    assert job.state == "ok", job.error
    assert trained == ["felhag"]
    # the same file again adds nothing: nothing to learn, no training
    runner.submit("import", paths=[str(FELHAG)], account="felhag")
    _wait(runner)
    assert trained == ["felhag"]
    runner.shutdown()


def test_syncs_train_when_the_model_is_missing_or_due_and_the_setting_can_stop_it(store):
    if not FELHAG.exists():
        pytest.skip("shared data missing")
    from core.settings import Settings

    import_files_into(store, "cli-import")  # an import made elsewhere (the CLI): no runner
    engine = store.engine
    assert should_train(engine, "cli-import", 5, imported=False), (
        "never trained: a sync that adds plays trains"
    )
    _record_training(store, "cli-import", 1891)
    assert not should_train(engine, "cli-import", 5, imported=False), "trained, 0 new since: counts follow"
    assert should_train(engine, "cli-import", 5, imported=True), "an import always retrains"
    assert not should_train(engine, "cli-import", 0, imported=True)
    settings = Settings.load()
    settings.update(train_automatically=False)
    settings.save()
    assert not should_train(engine, "cli-import", 5, imported=True), "the user turned it off"
