"""Model artefacts: persistence without pickle, version refusal, an atomic swap that survives racing
writers while readers load."""

from __future__ import annotations

import json
import multiprocessing
import threading
from pathlib import Path

import numpy as np
import pytest

from models import registry
from models.artefacts import load_generation, save_model
from models.base import ItemSpace, ModelError, Recommender
from models.evaluation import splits
from models.registry import create, register

FAST = {"max_train_targets": 300}


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


class Stamp(Recommender):
    """A model whose config (params) and arrays both carry its writer's stamp, so a reader can tell a
    folder mixed from two saves."""

    name = "test-artefact-stamp"

    def fit(self, data=None, features=None, progress=None, cancel=None) -> None:
        n = 50_000
        self.space = ItemSpace(np.arange(n, dtype=np.int64), np.zeros(n, dtype=np.int64))
        self.stamp = np.full(n, float(self.params["stamp"]))

    def scores(self, state):
        return self.stamp

    def arrays(self):
        return {"stamp": self.stamp}

    def load_arrays(self, arrays):
        self.stamp = arrays["stamp"]


@pytest.fixture
def stamp_model():
    register(Stamp)
    yield Stamp
    registry._REGISTRY.pop(Stamp.name)


def stamped(value: int) -> Stamp:
    model = Stamp(stamp=value)
    model.fit()
    return model


def write_stamps(target: str, writer: int, saves: int) -> None:
    """A writer process: ``saves`` saves of stamped models to ``target``."""
    register(Stamp)
    for i in range(1, saves + 1):
        save_model(stamped(writer * 100 + i), Path(target), {"stamp": writer * 100 + i})


def test_racing_writers_and_readers_never_meet_a_mixed_missing_or_shared_folder(tmp_path, stamp_model):
    """Two processes (a training from the window, a scheduled retrain) save the same model over and
    over while two threads load it: every load is one whole save, and nothing is left behind."""
    target = tmp_path / "account" / "m"
    save_model(stamped(0), target, {"stamp": 0})
    stop = threading.Event()
    loaded: list[tuple[float, float]] = []
    failures: list[BaseException] = []

    def read() -> None:
        try:
            while not stop.is_set():
                model, _gen = load_generation(target, "account", "m")
                loaded.append((float(model.params["stamp"]), float(model.stamp[-1])))
        except BaseException as exc:  # noqa: BLE001 - reported below
            failures.append(exc)

    spawn = multiprocessing.get_context("spawn")
    writers = [spawn.Process(target=write_stamps, args=(str(target), w, 30)) for w in (1, 2)]
    readers = [threading.Thread(target=read) for _ in range(2)]
    for t in writers + readers:
        t.start()
    for p in writers:
        p.join(120)
    stop.set()
    for t in readers:
        t.join()
    assert [p.exitcode for p in writers] == [0, 0], "a writer failed"
    assert not failures, failures
    assert loaded and all(config == arrays for config, arrays in loaded), "config and arrays of one save"
    final = Recommender.load(target)
    assert json.loads((target / "meta.json").read_text())["stamp"] == final.params["stamp"]
    assert final.params["stamp"] in (130, 230), "the last save to finish is the one in place"
    assert sorted(p.name for p in target.parent.iterdir()) == ["m"], "no temporary or .old folder left"
