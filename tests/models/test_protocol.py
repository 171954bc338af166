"""The evaluation protocol: splits, no target leaks (plain and batched), repeat/explore labels, metrics."""

from __future__ import annotations

import numpy as np
import pytest

from models.base import ItemSpace, Recommender, TrainData, top_k
from models.evaluation import metrics, splits
from models.evaluation.harness import rank_targets


def test_holdout_sizes_and_validation_inside_training_span():
    for n in (2, 3, 10, 11, 99, 1000, 71371):
        test = splits.test_split(n)
        assert 1 <= test.start < n and test.n_targets == max(1, round(n * 0.1))
        val = splits.validation_split(test.start)
        assert val.n == test.start and all(val.positions < test.start), (
            "validation never reaches the test span"
        )
        assert val.start >= 1 or val.n_targets == 0
    assert splits.test_split(1).n_targets == 0 and splits.test_split(0).n_targets == 0
    assert splits.validation_split(1000, 0.5).start == 500


def test_repeat_mask_labels():
    items = np.array([0, 1, 0, 2, 1, 3, 3])
    assert splits.repeat_mask(items, np.arange(7)).tolist() == [False, False, True, False, True, False, True]


class Spy(Recommender):
    """Records the history it holds at every prediction; scores favour the most recent item."""

    name = "spy"

    def __init__(self, batch: int = 1, window: int | None = None, **params):
        super().__init__(**params)
        self.batch_size = batch  # type: ignore[misc]
        self.history_window = window  # type: ignore[misc]
        self.seen: list[list[int]] = []

    def fit(self, data, features=None, progress=None, cancel=None):
        self.space = data.space

    def scores(self, state):
        self.seen.append(list(state["items"]))
        out = np.zeros(len(self.space))
        out[state["items"][-1]] = 1.0
        return out

    def score_batch(self, states):
        return np.stack([self.scores(s) for s in states])


def _space(n: int) -> ItemSpace:
    return ItemSpace(np.arange(100, 100 + n), np.zeros(n, np.int64), np.array([7]))


@pytest.mark.parametrize("batch,window", [(1, None), (4, None), (3, 2)])
def test_no_model_sees_a_target_before_predicting_it(batch, window):
    rng = np.random.default_rng(0)
    items = rng.integers(0, 30, 200)
    times = np.arange(200) * 60
    spy = Spy(batch, window)
    spy.fit(TrainData(_space(30), items[:150], times[:150], np.zeros(150, np.int64)))
    run = rank_targets(spy, items, times, 150)
    assert len(spy.seen) == 50
    for j, hist in enumerate(spy.seen):
        p = 150 + j
        expected = items[:p].tolist()
        assert hist == (expected[-window:] if window else expected), f"target {p} leaked or history missing"
    assert run.ranks.shape == (50,) and run.top.shape == (50, 20)


def test_previous_play_is_excluded_and_ties_are_pessimistic():
    items = np.array([0, 1, 2, 3])
    times = np.arange(4)
    spy = Spy()
    spy.space = _space(5)
    run = rank_targets(spy, items, times, 2)  # Spy ranks the previous play first: excluded by the harness
    assert 1 not in run.top[0] and 2 not in run.top[1]
    # every remaining item ties at 0: the target is placed after all of them
    assert run.ranks.tolist() == [4.0, 4.0]


def test_rank_and_metrics_on_hand_made_cases():
    s = np.array([0.9, 0.5, 0.5, 0.1, -np.inf])
    assert metrics.rank_of(s, 0) == 1 and metrics.rank_of(s, 1) == 3 and metrics.rank_of(s, 2) == 3
    assert metrics.rank_of(s, 4) == float("inf")
    ranks = np.array([1.0, 2.0, 10.0, 11.0, 20.0, np.inf])
    assert metrics.hit_rate(ranks) == pytest.approx(3 / 6)
    assert metrics.ndcg(ranks) == pytest.approx((1 + 1 / np.log2(3) + 1 / np.log2(11)) / 6)
    assert metrics.mrr(ranks) == pytest.approx((1 + 1 / 2 + 1 / 10 + 1 / 11 + 1 / 20) / 6)
    top = np.array([[0, 1, -1], [1, 2, -1]])
    assert metrics.coverage(top, 10) == pytest.approx(0.3)
    out = metrics.summarise(ranks, np.array([1, 1, 1, 0, 0, 0], bool), top, 10)
    assert (
        out["n_test"] == 6
        and out["n_repeat"] == 3
        and out["hr@10_repeat"] == 1.0
        and out["hr@10_explore"] == 0.0
    )
    assert out["ndcg@10_explore"] == 0.0 and out["mrr@20_explore"] == pytest.approx((1 / 11 + 1 / 20) / 3)
    empty = metrics.summarise(ranks[:2], np.array([True, True]), top, 10)
    assert empty["hr@10_explore"] is None


def test_top_k_handles_massive_ties_and_non_finite_scores():
    s = np.zeros(10_000)
    s[[5, 9, 3]] = [3.0, 2.0, 1.0]
    s[7] = -np.inf
    best = top_k(s, 5)
    assert best[:3].tolist() == [5, 9, 3] and len(best) == 5 and 7 not in best
    assert top_k(np.full(4, -np.inf), 3).size == 0
    r = np.random.default_rng(1).random(500)
    assert top_k(r, 20).tolist() == np.argsort(-r)[:20].tolist()


def test_the_baselines_and_default_are_registered():
    from models.registry import broken_modules, get_model_class, model_names

    names = set(model_names())
    mine = {"pop", "recency_pop", "markov", "sr", "markov_recency", "sknn", "vsknn", "item2vec", "default"}
    assert mine <= names
    assert not {m for m in broken_modules() if m.startswith(("models.baselines", "models.hybrid"))}
    assert get_model_class("default").family == "hybrid"
