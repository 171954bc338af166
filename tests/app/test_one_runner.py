"""One job runner for the GUI and the schedule: a training the user starts and a scheduled retrain of
the same model wait for each other, and the model folder they both write ends up whole."""

from __future__ import annotations

import json
import math
import time

import pytest
from sqlalchemy import select

from core.jobs.history import recent_runs
from core.store.schema import ModelRun


@pytest.mark.slow
def test_a_gui_training_and_a_scheduled_retrain_of_one_model_serialise(make_app, store_url, qtbot):
    app = make_app(store_url, account="felhag", background=True)
    qtbot.waitUntil(lambda: app.ctx.background.ready, timeout=20000)
    ctx, runner = app.ctx, app.ctx.jobs.runner
    plays = {a.name: a.plays for a in ctx.accounts}
    with ctx.store.engine.begin() as conn:  # the other accounts were just trained: only felhag is due
        for acc in ctx.accounts:
            if acc.name != "felhag":
                conn.execute(
                    ModelRun.__table__.insert().values(
                        account_id=acc.id,
                        model="default",
                        kind="train",
                        status="ok",
                        started_at=1,
                        finished_at=2,
                        plays_at_train=acc.plays,
                    )  # fmt: skip
                )
    events: list[tuple[str, int, float]] = []
    runner.watch(
        lambda e, h: (
            h.name == "train" and e in ("started", "ended") and events.append((e, h.seq, time.monotonic()))
        )
    )

    app.window.show_page("suggestions")
    gui = app.window.pages["suggestions"].train_default()  # the user clicks "Train"
    check = ctx.background.scheduler.fire("retrain_check", {})  # what the schedule fires (every interval)
    assert check.wait(30) and check.result["submitted"] == ["felhag"], check.error
    scheduled = next(h for h in runner.active() if h.name == "train" and h is not gui.core)
    assert gui.core.resource == scheduled.resource == "train:felhag:default"
    assert scheduled.state == "queued"  # the GUI's training holds the queue: the retrain waits

    with qtbot.waitSignal(gui.done, timeout=240000):
        pass
    assert gui.state == "ok", gui.error
    assert scheduled.wait(240) and scheduled.state == "ok", scheduled.error
    # one after the other: the second started only after the first ended
    assert [(e, seq) for e, seq, _ in events] == [
        ("started", gui.core.seq),
        ("ended", gui.core.seq),
        ("started", scheduled.seq),
        ("ended", scheduled.seq),
    ]
    assert [r.outcome for r in recent_runs(ctx.store.engine, job="train")] == ["ok", "ok"]

    # the saved model is whole: it loads, its folder has no half-written leftovers, it recommends
    from models import api
    from models.artefacts import load_model, model_dir

    folder = model_dir("felhag", "default")
    assert sorted(p.name for p in folder.parent.iterdir()) == ["default"]
    assert json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert load_model("felhag", "default") is not None
    recs = api.recommend(ctx.store, "felhag", k=10, train_if_missing=False)
    assert len(recs) == 10 and all(math.isfinite(r.score) for r in recs)
    assert len({r.track_id for r in recs}) == 10
    with ctx.store.engine.connect() as conn:
        runs = conn.execute(
            select(ModelRun.started_at, ModelRun.finished_at, ModelRun.metrics, ModelRun.plays_at_train)
            .where(ModelRun.model == "default", ModelRun.status == "ok", ModelRun.started_at > 2)
            .order_by(ModelRun.id)
        ).all()
    assert len(runs) == 2 and runs[0].finished_at <= runs[1].started_at
    for r in runs:
        assert r.metrics["plays"] > 1000 and r.metrics["items"] > 100 and r.metrics["train_seconds"] > 0
        assert r.plays_at_train == r.metrics["plays"] <= plays["felhag"]  # collapsed duplicates
