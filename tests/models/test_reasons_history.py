"""The reasons' numpy history of a state grows with it instead of being rebuilt per play."""

from __future__ import annotations

import numpy as np

from models.baselines.common import SeqState
from models.hybrid.reasons import History

GAP = 1800


def test_history_grown_play_by_play_equals_one_built_at_once():
    rng = np.random.default_rng(3)
    items = rng.integers(-1, 40, 300)
    times = np.cumsum(rng.choice([60, 240, 4000], 300))
    state = SeqState(items[:50], times[:50], GAP)
    first = History.of(state, GAP)
    for i, t in zip(items[50:].tolist(), times[50:].tolist(), strict=True):
        state.append(i, t, GAP)
        grown = History.of(state, GAP)
    assert grown is not first and grown is History.of(state, GAP)  # cached until the next play
    fresh = History(SeqState(items, times, GAP), GAP)
    for name in ("items", "times", "session"):
        assert np.array_equal(getattr(grown, name), getattr(fresh, name)), name
    assert grown.now == fresh.now == int(times[-1])
    assert History.of(state, 60) is not grown  # another gap rule is another history
