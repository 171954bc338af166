"""Fine-tuning: a retrain starts from the saved weights (item rows mapped by track id), trains on the
recent window, falls back to a full retrain when the saved network does not fit, and says which it did."""

from __future__ import annotations

import re

import numpy as np
import pytest
import torch
from model_cuts import ALEEX, write_cut
from sqlalchemy import select

from core.jobs import Cancelled, CancelToken, run_job
from core.store.queries import account_by_name
from core.store.schema import ModelRun
from models import finetune
from models.artefacts import load_model, model_dir, read_meta
from models.base import ItemSpace, TrainData
from models.data import build_sequence
from models.evaluation.datasets import import_into
from models.registry import create
from models.training import train_model

TINY = {"max_epochs": 2, "min_epochs": 1, "dim": 16, "hidden": 16, "max_len": 10, "time_budget_s": 900}
VAE = {"max_epochs": 2, "min_updates": 0, "hidden": 32, "latent": 16, "rows_per_epoch": 512}
OLDER, NEWEST = 2500, 3000  # the saved model knows the older 2,500 of the newest 3,000 scrobbles


# -- the mapping ---------------------------------------------------------------------------------
def test_item_rows_move_by_track_id_and_new_tracks_keep_their_fresh_rows():
    old_ids, new_ids = np.array([10, 20, 30]), np.array([5, 10, 20, 25, 30])
    saved = {
        "emb": np.arange(4 * 2, dtype=np.float32).reshape(4, 2) + 1,  # a padding row, then the items
        "bias": np.array([1.0, 2.0, 3.0], np.float32),
        "enc": np.arange(2 * 3, dtype=np.float32).reshape(2, 3),  # items on the second axis
        "shared": np.ones((2, 2), np.float32),
    }
    fresh = {
        "emb": torch.full((6, 2), -1.0),
        "bias": torch.full((5,), -1.0),
        "enc": torch.full((2, 5), -1.0),
        "shared": torch.zeros(2, 2),
        "data": torch.full((5,), 7.0),
    }
    out = finetune.mapped_state(saved, old_ids, fresh, new_ids, frozenset({"data"}))
    src = [-1, 0, 1, -1, 2]  # saved row of each new item
    for j, i in enumerate(src):
        if i < 0:
            assert (out["emb"][j + 1] == -1).all() and out["bias"][j] == -1 and (out["enc"][:, j] == -1).all()
        else:
            assert np.array_equal(out["emb"][j + 1].numpy(), saved["emb"][i + 1])
            assert out["bias"][j] == saved["bias"][i]
            assert np.array_equal(out["enc"][:, j].numpy(), saved["enc"][:, i])
    assert np.array_equal(out["emb"][0].numpy(), saved["emb"][0])  # the padding row is a weight too
    assert (out["shared"] == 1).all() and (out["data"] == 7).all()


def test_another_shape_or_another_item_set_is_incompatible():
    ids = np.array([1, 2, 3])
    with pytest.raises(finetune.Incompatible):
        finetune.mapped_state({"w": np.zeros((3, 4))}, ids, {"w": torch.zeros(4, 8)}, np.array([1, 2, 3, 4]))
    with pytest.raises(finetune.Incompatible):  # as many items, not the same ones
        finetune.mapped_state({"w": np.zeros(3)}, ids, {"w": torch.zeros(3)}, np.array([1, 2, 4]))
    with pytest.raises(finetune.Incompatible):
        finetune.mapped_state({}, ids, {"w": torch.zeros(3)}, ids)


# -- the families ------------------------------------------------------------------------------------
def saved_view(data: TrainData, n: int) -> TrainData:
    """The first ``n`` plays over the space of the tracks they hold (what a saved model knew)."""
    used = np.unique(data.items[:n])
    sub = ItemSpace(data.space.track_ids[used], data.space.artist_of[used], data.space.artist_ids)
    remap = np.full(len(data.space), -1, np.int64)
    remap[used] = np.arange(used.size)
    return TrainData(sub, remap[data.items[:n]], data.played_at[:n], data.session[:n], data.seed)


@pytest.fixture(scope="module")
def grown(cut_sequence):
    """(the saved model's data, today's data): today's has 20% more plays and tracks the saved lacks."""
    data = cut_sequence.all(seed=0)
    n = int(len(data.items) * 0.8)
    old = saved_view(data, n)
    assert len(old.space) < len(data.space)
    return old, data, n


def saved_state(name: str, params: dict, old) -> tuple[dict, np.ndarray]:
    """The warm state (weights, track ids) of ``name`` fitted on the older plays."""
    saved = create(name, **params)
    saved.fit(old)
    return saved.warm_state()


@pytest.mark.parametrize(
    ("name", "params"), [("gru4rec", TINY), ("sasrec", TINY), ("bert4rec", TINY), ("multivae", VAE)]
)
def test_fine_tune_starts_from_the_saved_weights_over_a_grown_vocabulary(name, params, grown):
    old, today, n = grown
    state, ids = saved_state(name, params, old)

    tuned = create(name, **params)
    tuned.warm = finetune.WarmStart(state, ids, n, epochs=1)
    tuned.fit(today)
    # a fine-tune from an untrained network of the same shape: the same routine, only the start differs
    untrained = {
        k: np.random.default_rng(1).normal(0, 0.05, v.shape).astype(v.dtype) for k, v in state.items()
    }
    cold = create(name, **params)
    cold.warm = finetune.WarmStart(untrained, ids, n, epochs=1)
    cold.fit(today)
    assert first_loss(tuned) < first_loss(cold)

    # every track the saved model knew is scored by the tuned one; the new ones got rows too
    got, _ = tuned.warm_state()
    new_ids = today.space.track_ids if name != "multivae" else today.space.track_ids[tuned.vocab.items]
    assert set(ids.tolist()) <= set(new_ids.tolist()) and len(new_ids) > len(ids)
    assert np.isfinite(
        tuned.scores(tuned.start(today.items, today.played_at))[today.space.indices(ids)]
    ).all()
    assert {k: v.shape for k, v in got.items()}.keys() == state.keys()


def history(model) -> list[dict]:
    log = getattr(model, "fit_log", None)
    return log.history if log is not None else model.fit_info["history"]


def first_loss(model) -> float:
    return float(next(h["loss"] for h in history(model) if "loss" in h))  # epoch 0 is validation only


@pytest.mark.parametrize(("name", "params"), [("gru4rec", TINY), ("multivae", VAE)])
def test_a_fine_tune_is_early_stopped_on_the_newest_plays_of_its_window(name, params, grown):
    old, today, n = grown
    state, ids = saved_state(name, params, old)
    tuned = create(name, **params)
    tuned.warm = finetune.WarmStart(state, ids, n, epochs=3)
    cut = tuned.warm.valid_start(today.items.size)
    assert tuned.warm.window_start(today.items.size) < cut < today.items.size
    tuned.fit(today)
    h = history(tuned)
    # the saved weights are scored first (epoch 0), then every epoch on the held-out newest plays
    assert h[0]["epoch"] == 0 and "ndcg@10" in h[0] and "loss" not in h[0]
    assert all("ndcg@10" in e for e in h) and 1 <= len(h) - 1 <= 3
    # "saved as is": no epoch, no tail pass, the mapped weights unchanged
    same = create(name, **params)
    same.warm = finetune.WarmStart(state, ids, n, epochs=0)
    same.fit(today)
    assert history(same) == []
    got, _ = same.warm_state()
    for key, value in state.items():
        if got[key].shape == value.shape:  # the item-free weights (item rows moved, new ones fresh)
            assert np.array_equal(got[key], value), key
    assert any(got[k].shape == v.shape for k, v in state.items())


def test_the_mapped_rows_are_the_saved_ones_before_any_step(grown):
    old, today, n = grown
    saved = create("gru4rec", **TINY)
    saved.fit(old)
    state, ids = saved.warm_state()
    net = create("gru4rec", **TINY).build_net(len(today.space))
    out = finetune.mapped_state(state, ids, net.state_dict(), today.space.track_ids)
    rows = today.space.indices(ids)
    assert np.array_equal(out["items.emb.weight"][rows + 1].numpy(), state["items.emb.weight"][1:])
    assert np.array_equal(out["items.bias"][rows].numpy(), state["items.bias"])
    for key in out:
        if "items." not in key:
            assert np.array_equal(out[key].numpy(), state[key]), key


# -- the decision, end to end through train_model -------------------------------------------------------
def runs(store, account):
    acc = account_by_name(store.engine, account)
    with store.engine.connect() as conn:
        return conn.execute(select(ModelRun).where(ModelRun.account_id == acc.id).order_by(ModelRun.id)).all()


@pytest.fixture
def growing_store(store, tmp_path):
    """'aleex' with the older 2,500 of the newest 3,000 scrobbles, and a function adding the other 500."""
    if not ALEEX.exists():
        pytest.skip(f"shared data not found at {ALEEX}")
    lines = ALEEX.read_text(encoding="utf-8").splitlines()
    older = tmp_path / "older.csv"  # the export is newest first: skip the newest 500
    older.write_text("\n".join([lines[0], *lines[1 + NEWEST - OLDER : 1 + NEWEST]]) + "\n", encoding="utf-8")
    import_into(store, [older], "aleex")

    def arrive() -> None:
        import_into(store, [write_cut(ALEEX, tmp_path / "newest.csv", NEWEST)], "aleex")

    return store, arrive


def test_train_model_fine_tunes_when_few_plays_are_new_and_records_it(growing_store):
    store, arrive = growing_store
    first = run_job(train_model(store, "aleex", "gru4rec", params=TINY, fine_tune_below=0.5))
    assert first.mode == "full" and runs(store, "aleex")[-1].metrics["mode"] == "full"
    before = load_model("aleex", "gru4rec")
    arrive()
    events = []
    second = run_job(train_model(store, "aleex", "gru4rec", params=TINY, fine_tune_below=0.5), events.append)
    run = runs(store, "aleex")[-1]
    assert second.mode == "fine-tune" and run.metrics["mode"] == "fine-tune" and run.status == "ok"
    assert run.metrics["new_plays"] == second.plays - first.plays > 0
    assert any("fine-tune training" in e.message for e in events)
    assert any("(fine-tune): epoch 1/" in e.message for e in events)
    after = load_model("aleex", "gru4rec")
    assert len(after.space) > len(before.space)  # tracks first heard in the new plays have rows
    meta = read_meta(model_dir("aleex", "gru4rec"))
    assert meta["mode"] == "fine-tune" and meta["plays"] == second.plays


def test_many_new_plays_or_the_setting_at_zero_retrain_in_full(growing_store):
    store, arrive = growing_store
    run_job(train_model(store, "aleex", "gru4rec", params=TINY, fine_tune_below=0.5))
    arrive()
    result = run_job(train_model(store, "aleex", "gru4rec", params=TINY, fine_tune_below=0.05))
    assert result.mode == "full" and "more than 5%" in runs(store, "aleex")[-1].metrics["mode_reason"]
    again = run_job(train_model(store, "aleex", "gru4rec", params=TINY, fine_tune_below=0.0))
    assert again.mode == "full" and "off" in runs(store, "aleex")[-1].metrics["mode_reason"]


def test_a_saved_network_of_another_shape_falls_back_to_a_full_retrain(growing_store):
    store, arrive = growing_store
    run_job(train_model(store, "aleex", "gru4rec", params=TINY, fine_tune_below=0.5))
    arrive()
    events = []
    wider = {**TINY, "dim": 24}
    result = run_job(train_model(store, "aleex", "gru4rec", params=wider, fine_tune_below=0.5), events.append)
    run = runs(store, "aleex")[-1]
    assert result.mode == "full" and run.metrics["mode"] == "full" and run.status == "ok"
    assert "another shape" in run.metrics["mode_reason"]
    assert any(e.message.startswith("full training: ") for e in events)
    assert load_model("aleex", "gru4rec").params["dim"] == 24


def test_plays_inserted_into_the_past_retrain_in_full(tmp_path):
    seq = np.arange(100, dtype=np.int64) * 60
    folder = tmp_path / "acct" / "gru4rec"
    folder.mkdir(parents=True)
    (folder / "meta.json").write_text('{"plays": 90, "last_played_at": 12345}', encoding="utf-8")
    how = finetune.plan(folder, "gru4rec", seq, 0.5)
    assert how.mode == "full" and "past" in how.reason
    assert finetune.plan(folder, "markov", seq, 0.5).mode == "full"  # no weights to start from


def test_a_cancelled_fine_tune_leaves_the_saved_model_and_says_cancelled(growing_store):
    store, arrive = growing_store
    run_job(train_model(store, "aleex", "gru4rec", params=TINY, fine_tune_below=0.5))
    saved_meta = read_meta(model_dir("aleex", "gru4rec"))
    arrive()
    cancel = CancelToken()
    seen = []
    with pytest.raises(Cancelled):
        for p in train_model(store, "aleex", "gru4rec", params=TINY, fine_tune_below=0.5, cancel=cancel):
            seen.append(p.message)
            if re.search(r"\(fine-tune\): epoch 1/", p.message):
                cancel.cancel()
    run = runs(store, "aleex")[-1]
    assert run.status == "cancelled" and run.metrics["mode"] == "fine-tune"
    assert any("(fine-tune): epoch 1/" in m for m in seen)
    assert read_meta(model_dir("aleex", "gru4rec")) == saved_meta  # the saved model stays as it was


def test_train_data_of_the_growing_store_appends_in_time(growing_store):
    store, arrive = growing_store
    acc = account_by_name(store.engine, "aleex")
    before = build_sequence(store.engine, acc.id)
    arrive()
    after = build_sequence(store.engine, acc.id)
    assert len(after) > len(before) and after.played_at[len(before) - 1] == before.played_at[-1]
