"""Training jobs, persistence without pickle, version refusal, suggestions for any account size."""

from __future__ import annotations

import json
import re
import threading

import numpy as np
import pytest
from sqlalchemy import select

from core.jobs import Cancelled, CancelToken, Progress, run_job
from core.store.queries import account_by_name
from core.store.schema import ModelRun, Scrobble
from models.base import ModelError, Recommender
from models.evaluation import splits
from models.registry import create
from models.training import load_model, model_dir, recommend_for, train_model

FAST = {"max_train_targets": 300}


def runs(store, account):
    acc = account_by_name(store.engine, account)
    with store.engine.connect() as conn:
        return conn.execute(select(ModelRun).where(ModelRun.account_id == acc.id).order_by(ModelRun.id)).all()


def test_train_model_yields_progress_saves_and_records_a_run(cut_store):
    events: list[Progress] = []
    result = run_job(train_model(cut_store, "aleex", "default", seed=1, params=FAST), events.append)
    assert events and all(isinstance(e, Progress) for e in events)
    assert any("validation" in e.message for e in events)
    directory = model_dir("aleex", "default")
    assert {p.name for p in directory.iterdir()} == {"config.json", "arrays.safetensors", "meta.json"}
    assert not list(directory.parent.glob(".*tmp*")), "no temporary folders left behind"
    (run,) = [r for r in runs(cut_store, "aleex") if r.model == "default"][-1:]
    assert run.status == "ok" and run.kind == "train" and run.plays_at_train == result.plays
    assert run.artefact_path == str(directory) and run.metrics["train_seconds"] >= 0


@pytest.mark.parametrize("name", ["default", "markov_recency", "item2vec", "vsknn"])
def test_save_load_round_trip_scores_identically(cut_sequence, tmp_path, name):
    split = splits.test_split(len(cut_sequence))
    model = create(name, **(FAST if name == "default" else {}))
    model.fit(cut_sequence.prefix(split.start, 2))
    model.save(tmp_path / name)
    assert b"pickle" not in (tmp_path / name / "config.json").read_bytes()
    again = Recommender.load(tmp_path / name)
    assert type(again) is type(model) and again.params == json.loads(json.dumps(model.params))
    items, times = cut_sequence.items, cut_sequence.played_at
    a = model.scores(model.start(items[: split.start], times[: split.start]))
    b = again.scores(again.start(items[: split.start], times[: split.start]))
    assert np.array_equal(a, b)


def test_a_model_file_from_another_version_is_refused(cut_sequence, tmp_path):
    model = create("markov_recency")
    model.fit(cut_sequence.prefix(500))
    model.save(tmp_path / "m")
    cfg = tmp_path / "m" / "config.json"
    data = json.loads(cfg.read_text())
    cfg.write_text(json.dumps({**data, "format_version": 999}))
    with pytest.raises(ModelError, match="another version"):
        Recommender.load(tmp_path / "m")
    cfg.write_text(json.dumps({**data, "model_version": 0}))
    with pytest.raises(ModelError, match="retrain"):
        Recommender.load(tmp_path / "m")
    with pytest.raises(ModelError, match="no trained model"):
        Recommender.load(tmp_path / "missing")


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


def test_recommend_for_gives_reasons_in_plain_words(cut_store):
    run_job(train_model(cut_store, "aleex", "default", params=FAST))
    recs = recommend_for(cut_store, "aleex", k=10)
    assert len(recs) == 10 and len({r.track_id for r in recs}) == 10
    assert all(r.reason and "{" not in r.reason for r in recs)
    assert all(not r.new_to_user for r in recs)
    assert recs == sorted(recs, key=lambda r: -r.score)
    with cut_store.engine.connect() as conn:
        last = conn.execute(
            select(Scrobble.track_id)
            .where(Scrobble.account_id == account_by_name(cut_store.engine, "aleex").id)
            .order_by(Scrobble.played_at.desc())
            .limit(1)
        ).scalar_one()
    assert last not in {r.track_id for r in recs}, "the track playing now is not suggested"
    excluded = recommend_for(cut_store, "aleex", k=10, exclude=[recs[0].track_id])
    assert recs[0].track_id not in {r.track_id for r in excluded}


def test_recommend_for_catches_up_with_new_plays(cut_store):
    run_job(train_model(cut_store, "twenty", "default"))
    first = recommend_for(cut_store, "twenty", k=5)
    acc = account_by_name(cut_store.engine, "twenty")
    with cut_store.engine.begin() as conn:
        last_t = max(
            r[0] for r in conn.execute(select(Scrobble.played_at).where(Scrobble.account_id == acc.id))
        )
        conn.execute(
            Scrobble.__table__.insert().values(
                account_id=acc.id, track_id=first[0].track_id, played_at=last_t + 300, source="test"
            )
        )
    after = recommend_for(cut_store, "twenty", k=5)
    assert first[0].track_id not in {r.track_id for r in after}, "the new play is now the one playing"


def test_tiny_accounts_get_a_fallback_or_a_clear_message(cut_store):
    for account in ("empty", "one"):
        recs = recommend_for(cut_store, account, k=5)
        assert recs and all(r.new_to_user and "popular on this computer" in r.reason for r in recs)
    with pytest.raises(ModelError, match="at least 2"):
        run_job(train_model(cut_store, "one", "default"))
    twenty = recommend_for(cut_store, "twenty", k=5)  # trains on demand with fallback weights
    assert twenty and all(r.reason for r in twenty)
    assert "fallback" in load_model("twenty").params["trained_on"]
    with pytest.raises(ModelError, match="no account"):
        recommend_for(cut_store, "nobody")


def test_explore_ranks_tracks_new_to_the_listener(cut_store):
    recs = recommend_for(cut_store, "twenty", k=5, explore=True)
    own = set()
    with cut_store.engine.connect() as conn:
        own = set(
            conn.execute(
                select(Scrobble.track_id).where(
                    Scrobble.account_id == account_by_name(cut_store.engine, "twenty").id
                )
            ).scalars()
        )
    assert recs and all(
        r.new_to_user and r.track_id not in own and r.reason.startswith("new to you") for r in recs
    )
