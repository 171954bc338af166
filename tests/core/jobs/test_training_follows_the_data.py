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


def _runner(store, trained: list, models: list | None = None) -> Runner:
    reg = register_core_jobs(JobRegistry())

    def train(ctx, account: str, model: str = "default", gap_s: int | None = None):
        trained.append(account)
        if models is not None:
            models.append(model)
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


def test_a_catalogue_refresh_that_stores_candidates_trains_the_discovery_ranker_next(store):
    """The real (isolated) catalogue job over the other local account's plays; a second refresh finds
    every answer fresh, stores nothing and trains nothing; with the setting off, nothing trains."""
    if not FELHAG.exists():
        pytest.skip("shared data missing")
    from core.settings import Settings
    from core.store.schema import Scrobble

    import_files_into(store, "felhag")  # another listener on this computer: the catalogue's candidates
    with store.engine.begin() as conn:  # "me" played one of felhag's tracks a few times
        me = conn.execute(Account.__table__.insert().values(name="me", kind="lastfm", created_at=0))
        track = conn.execute(Scrobble.__table__.select().limit(1)).first().track_id
        for t in range(3):
            conn.execute(
                Scrobble.__table__.insert().values(
                    account_id=me.inserted_primary_key[0],
                    track_id=track,
                    played_at=1_600_000_000 + 600 * t,
                    source="test",
                )
            )
    trained: list[str] = []
    models: list[str] = []
    runner = _runner(store, trained, models)
    job = runner.submit("catalogue", account="me", sources=["local.accounts"])
    _wait(runner)
    assert job.state == "ok", job.error
    assert (trained, models) == (["me"], ["discovery"])
    runner.submit("catalogue", account="me", sources=["local.accounts"])
    _wait(runner)
    assert models == ["discovery"], "nothing new was stored: nothing to learn"
    settings = Settings.load()
    settings.update(train_automatically=False)
    settings.save()
    runner.submit("catalogue", account="me", sources=["local.accounts"], force=True)
    _wait(runner)
    assert models == ["discovery"], "the user turned training by itself off"
    runner.shutdown()
