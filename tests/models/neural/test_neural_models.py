"""Every neural sequence model on a real listening history: learns, persists, cancels, reports."""

from __future__ import annotations

import numpy as np
import pytest
from model_cuts import all_missing, hit_rate

from core.jobs import Cancelled, CancelToken
from models.base import ItemSpace, Recommender
from models.registry import create, model_names

NEURAL = [
    "ann",
    "annw",
    "ann_lsa",
    "ann_mm",
    "gru4rec",
    "sasrec",
    "transrec",
    "bert4rec",
    "bert4rec_mm_concat",
    "bert4rec_mm_pca",
    "bert4rec_mm_towers",
]
# small and quick: a couple of epochs on ~5,100 plays. The wall-clock budget is far above what two
# epochs take, so a busy machine never cuts an epoch short (same seed → same model must hold).
# The multimodal models take the feature modalities that need no training (the default ones are the
# acoustic VAE latent, MiniLM lyrics and tag Word2Vec); lyrics stay absent (no MiniLM here).
MODALITIES = ["audio_raw", "lyrics", "tag_weights"]
FAST = {
    "max_epochs": 2,
    "min_epochs": 1,
    "dim": 32,
    "max_len": 10,
    "lr": 1e-2,
    "time_budget_s": 900,
    "modalities": MODALITIES,
    "modal_max_dim": 16,
}


def test_every_neural_model_is_registered():
    assert set(NEURAL) <= set(model_names())


@pytest.mark.parametrize("name", NEURAL)
def test_learns_beats_random_and_round_trips(name, full_cut, full_features, tmp_path):
    model = create(name, **FAST)
    events = []
    model.fit(full_cut.data, full_features, progress=events.append)
    epochs = [e for e in events if "epoch" in e.message]
    assert [e.done for e in epochs] == [1, 2] and all(e.total == 2 for e in epochs)
    assert model.device.type == "cpu"  # no CUDA / MPS here: the device pick falls back to CPU

    n_items = len(full_cut.data.space)
    hr = hit_rate(model, full_cut)
    assert hr > 3 * 10 / n_items, f"{name}: HR@10 {hr:.4f} vs random {10 / n_items:.4f}"

    model.save(tmp_path / name)
    loaded = Recommender.load(tmp_path / name)
    data = full_cut.data
    states = [model.start(data.items[:k], data.played_at[:k]) for k in (0, 1, 500, len(data.items))]
    np.testing.assert_array_equal(model.score_batch(states), loaded.score_batch(states))
    # one state alone vs in a batch: same numbers up to float summation order
    np.testing.assert_allclose(model.scores(states[-1]), model.score_batch(states)[-1], rtol=1e-4, atol=1e-5)
    recs = loaded.recommend(states[-1], k=5)
    assert len(recs) == 5 and all(r.reason for r in recs)


@pytest.mark.parametrize("name", ["transrec", "bert4rec_mm_towers"])
def test_same_seed_same_model(name, full_cut, full_features):
    a, b = create(name, **FAST), create(name, **FAST)
    a.fit(full_cut.data, full_features)
    b.fit(full_cut.data, full_features)
    state = a.start(full_cut.data.items, full_cut.data.played_at)
    np.testing.assert_array_equal(a.scores(state), b.scores(state))


class CountingToken(CancelToken):
    """Cancels itself at the ``at``-th check; counts every check."""

    def __init__(self, at: int):
        super().__init__()
        self.at, self.checks = at, 0

    def raise_if_cancelled(self) -> None:
        self.checks += 1
        if self.checks == self.at:
            self.cancel()
        super().raise_if_cancelled()


@pytest.mark.parametrize("name", ["ann", "sasrec", "bert4rec"])
def test_cancel_stops_within_one_batch(name, full_cut):
    model = create(name, **{**FAST, "max_epochs": 50})
    token, events = CountingToken(at=3), []
    with pytest.raises(Cancelled):
        model.fit(full_cut.data, None, progress=events.append, cancel=token)
    assert token.checks == 3  # the check that saw the cancel raised: no further batch ran
    assert not events  # an epoch has more than three batches: cancelled inside the first one
    assert model.net is None  # nothing half-trained is left behind


@pytest.mark.parametrize("name", ["ann_mm", "bert4rec_mm_concat", "bert4rec_mm_pca", "bert4rec_mm_towers"])
def test_multimodal_without_features(name, full_cut, tmp_path):
    n_items = len(full_cut.data.space)
    for features in (None, all_missing(n_items, MODALITIES)):
        model = create(name, **FAST)
        model.fit(full_cut.data, features)
        assert model.params["modal_dims"] == []
        scores = model.scores(model.start(full_cut.data.items, full_cut.data.played_at))
        assert np.isfinite(scores).all()
        assert hit_rate(model, full_cut) > 10 / n_items
    model.save(tmp_path / name)
    assert Recommender.load(tmp_path / name).params["modal_dims"] == []


def test_partial_masks_use_a_learned_missing_vector(full_cut, full_features):
    model = create("ann_mm", **FAST)
    model.fit(full_cut.data, full_features)
    used = dict((name, dim) for name, dim in model.params["modal_dims"])
    assert set(used) == {"audio_raw", "tag_weights"}  # no lyric embeddings in this store: dropped
    parts = {k: v.detach().numpy() for k, v in model.net.item_parts().items()}
    masks = model.net.modal_masks()
    for name in used:
        absent = ~masks[name]
        assert absent.any() and masks[name].any()
        rows = parts[name][absent]
        np.testing.assert_array_equal(rows, np.broadcast_to(rows[0], rows.shape))  # one shared vector
        assert np.abs(rows[0]).sum() > 0  # ... and it is a learned vector, not zeros


def test_reasons_name_recent_tracks_and_stay_plain(full_cut, full_features):
    import re

    model = create("ann_mm", **FAST)
    model.fit(full_cut.data, full_features)
    state = model.start(full_cut.data.items, full_cut.data.played_at)
    reasons = [r.reason for r in model.recommend(state, k=20)]
    starts = (
        "follows your recent plays",
        "you played it recently",
        "sounds like",
        "lyrics close to",
        "tagged like",
    )
    assert all(r.startswith(starts) for r in reasons), reasons
    assert not any("_" in r.split("{")[0] for r in reasons)  # no modality names such as "tag_weights" leak
    named = [int(i) for r in reasons for i in re.findall(r"\{track:(\d+)\}", r)]
    assert named and set(named) <= set(state.items.tolist())  # only tracks from the recent plays are named


def test_new_tracks_after_training_are_not_scored(full_cut):
    model = create("sasrec", **FAST)
    model.fit(full_cut.data, None)
    space = full_cut.data.space
    model.space = ItemSpace(np.append(space.track_ids, [999_999]), np.append(space.artist_of, [0]))
    state = model.start(np.append(full_cut.data.items, len(space)), full_cut.data.played_at)
    scores = model.scores(state)
    assert scores.shape == (len(space) + 1,) and scores[-1] == -np.inf and np.isfinite(scores[:-1]).all()


def test_too_little_history_is_a_clear_error(full_cut):
    from models.base import ModelError, TrainData

    d = full_cut.data
    tiny = TrainData(d.space, d.items[:2], d.played_at[:2], d.session[:2], 0)
    with pytest.raises(ModelError, match="needs a few plays"):
        create("gru4rec", **FAST).fit(tiny, None)


def test_listing_models_does_not_import_torch():
    import subprocess
    import sys

    code = (
        "import sys; import models.neural.ann, models.neural.gru4rec, models.neural.sasrec, "
        "models.neural.bert4rec, models.neural.transrec; from models.registry import get_model_class; "
        "get_model_class('sasrec'); print('torch' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
