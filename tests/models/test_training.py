"""The training job: progress, saving, a model_run row per run, cancellation."""

from __future__ import annotations

import re
import threading

import pytest
from sqlalchemy import select

from core.jobs import Cancelled, CancelToken, Progress, run_job
from core.store.queries import account_by_name
from core.store.schema import ModelRun
from models.artefacts import model_dir
from models.training import train_model

FAST = {"max_train_targets": 300}


def runs(store, account):
    acc = account_by_name(store.engine, account)
    with store.engine.connect() as conn:
        return conn.execute(select(ModelRun).where(ModelRun.account_id == acc.id).order_by(ModelRun.id)).all()


def test_train_model_yields_progress_saves_and_records_a_run(cut_store):
    events: list[Progress] = []
    result = run_job(train_model(cut_store, "aleex", "default", seed=1, params=FAST), events.append)
    assert events and all(isinstance(e, Progress) for e in events)
    assert any("learning the blend" in e.message for e in events)  # the fit on the validation tail
    directory = model_dir("aleex", "default")
    assert {p.name for p in directory.iterdir()} == {"config.json", "arrays.safetensors", "meta.json"}
    assert not list(directory.parent.glob(".*tmp*")), "no temporary folders left behind"
    (run,) = [r for r in runs(cut_store, "aleex") if r.model == "default"][-1:]
    assert run.status == "ok" and run.kind == "train" and run.plays_at_train == result.plays
    assert run.artefact_path == str(directory) and run.metrics["train_seconds"] >= 0


def test_training_can_be_cancelled_between_epochs(cut_store):
    cancel = CancelToken()
    job = train_model(cut_store, "aleex", "item2vec", seed=1, cancel=cancel)
    seen = []
    with pytest.raises(Cancelled):
        for p in job:
            seen.append(p)
            if re.search(r"epoch \d+/", p.message):
                cancel.cancel()
    assert any("epoch 1/" in p.message for p in seen), "per-epoch progress"
    assert not any("epoch 10/" in p.message for p in seen)
    assert runs(cut_store, "aleex")[-1].status == "cancelled"


def test_closing_the_job_stops_the_fit(cut_store):
    job = train_model(cut_store, "aleex", "item2vec", seed=1)
    next(job)
    next(job)
    job.close()
    assert not [t for t in threading.enumerate() if t.name.startswith("fit-")]
    assert runs(cut_store, "aleex")[-1].status == "cancelled"
