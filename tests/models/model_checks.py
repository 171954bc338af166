"""Contract checks every session-item model must pass (used by the graph, vae and content tests)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from model_cuts import Cut, hit_rate, random_hr

from core.jobs import Cancelled, CancelToken
from models.base import Recommender
from models.registry import create

# keep a torch model's fit to a few seconds (a budget far above that, so the epoch count — not the
# machine's load — decides the result); models then only need to beat random.
FAST = {
    "max_epochs": 6,
    "time_budget_s": 60.0,
    "min_updates": 0,
    "rows_per_epoch": 1024,
    "max_val_targets": 200,
}


def fit(name: str, cut: Cut, features=None, **params) -> Recommender:
    model = create(name, **params)
    seen = []
    model.fit(cut.data, features, progress=seen.append)
    assert seen, "fit reports progress"
    assert all(p.message for p in seen)
    return model


def check_scoring(model: Recommender, cut: Cut) -> np.ndarray:
    """Scores are float32 over the space, batched scoring equals single scoring, observe is incremental."""
    data = cut.data
    state = model.start(data.items, data.played_at)
    single = model.scores(model.snapshot(state))
    assert single.shape == (len(cut.space),) and single.dtype == np.float32
    assert np.isfinite(single).sum() >= 10 and not np.isnan(single).any()
    snaps = [model.snapshot(state)]
    for item, t in zip(cut.test_items[:5], cut.test_times[:5], strict=True):
        state = model.observe(state, int(item), int(t))
        snaps.append(model.snapshot(state))
    batch = model.score_batch(snaps)
    np.testing.assert_allclose(batch[0], single, rtol=1e-5, atol=1e-5)
    # the state after observing equals a state started from the longer history
    n = data.items.size
    fresh = model.start(
        np.concatenate([data.items, cut.test_items[:5]]), np.concatenate([data.played_at, cut.test_times[:5]])
    )
    np.testing.assert_allclose(model.scores(fresh), batch[-1], rtol=1e-5, atol=1e-5)
    assert n == data.items.size
    recs = model.recommend(state, k=5)
    assert len(recs) == 5
    assert all(r.track_id in set(cut.space.track_ids.tolist()) for r in recs)
    assert all(isinstance(r.reason, str) and r.reason for r in recs)
    return batch


def check_round_trip(model: Recommender, cut: Cut, tmp_path: Path) -> None:
    data = cut.data
    states = [model.start(data.items[:p], data.played_at[:p]) for p in (50, 500, data.items.size)]
    before = model.score_batch(states)
    model.save(tmp_path / "m")
    loaded = Recommender.load(tmp_path / "m")
    assert type(loaded) is type(model)
    states = [loaded.start(data.items[:p], data.played_at[:p]) for p in (50, 500, data.items.size)]
    np.testing.assert_array_equal(loaded.score_batch(states), before)
    assert not list((tmp_path / "m").glob("*.pkl"))


def check_beats_random(model: Recommender, cut: Cut, factor: float = 3.0) -> float:
    hr = hit_rate(model, cut)
    assert hr > factor * random_hr(cut), (model.name, hr, random_hr(cut))
    return hr


def check_cancel(name: str, cut: Cut, features=None, **params) -> None:
    """A token cancelled before fit, and one cancelled at the first progress report, both stop the fit."""
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        create(name, **params).fit(cut.data, features, cancel=token)
    token = CancelToken()
    with pytest.raises(Cancelled):
        create(name, **params).fit(cut.data, features, progress=lambda p: token.cancel(), cancel=token)
