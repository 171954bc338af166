"""Every baseline and ``default`` on a real cut (3,000 plays of aleex-cs through the importer)."""

from __future__ import annotations

import numpy as np
import pytest

from models.evaluation import splits
from models.evaluation.harness import rank_targets, walk
from models.evaluation.metrics import ndcg
from models.registry import create

FAST = {"default": {"max_train_targets": 400}, "item2vec": {"tune": False}}
BASELINES = ("pop", "recency_pop", "markov", "sr", "markov_recency", "sknn", "vsknn", "item2vec", "default")


def fitted(name, seq, seed=1):
    split = splits.test_split(len(seq))
    model = create(name, **FAST.get(name, {}))
    model.fit(seq.prefix(split.start, seed))
    return model, split


@pytest.fixture(scope="module")
def results(cut_sequence):
    out = {}
    for name in BASELINES:
        model, split = fitted(name, cut_sequence)
        run = rank_targets(model, cut_sequence.items, cut_sequence.played_at, split.start)
        out[name] = (model, run)
    return out


def test_every_baseline_ranks_the_whole_space(results, cut_sequence):
    n = len(cut_sequence.space)
    for name, (_model, run) in results.items():
        assert run.ranks.size == splits.test_split(len(cut_sequence)).n_targets, name
        assert np.all((run.ranks >= 1) & ((run.ranks <= n) | np.isinf(run.ranks))), name
        assert (run.top >= -1).all() and (run.top < n).all(), name


def test_sequence_models_beat_popularity_and_default_keeps_repeats(results, cut_sequence):
    score = {name: ndcg(run.ranks) for name, (_, run) in results.items()}
    assert score["markov"] > score["pop"] and score["markov_recency"] > score["pop"]
    repeat = splits.repeat_mask(cut_sequence.items, results["default"][1].positions)
    assert ndcg(results["default"][1].ranks[~repeat]) == 0.0, "explore targets stay in their own tier"
    assert ndcg(results["default"][1].ranks[repeat]) > ndcg(results["pop"][1].ranks[repeat])
    assert all(np.isfinite(v) for v in score.values())


def test_explore_targets_are_unreachable_for_id_only_models(results, cut_sequence):
    for name in ("markov", "markov_recency", "item2vec"):
        run = results[name][1]
        repeat = splits.repeat_mask(cut_sequence.items, run.positions)
        assert (run.ranks[~repeat] > 10).all(), name


@pytest.mark.parametrize("name", ["markov_recency", "sr", "vsknn", "default"])
def test_scores_do_not_depend_on_future_plays(cut_sequence, name):
    """Scores at position p are the same whatever comes after p (nothing reads ahead)."""
    model, split = fitted(name, cut_sequence)
    items, times = cut_sequence.items.copy(), cut_sequence.played_at
    p = split.start + 30
    first = [model.scores(s).copy() for q, s in walk(model, items, times, split.start, p + 1) if q == p][0]
    items[p:] = np.random.default_rng(0).permutation(items[p:])
    second = [model.scores(s).copy() for q, s in walk(model, items, times, split.start, p + 1) if q == p][0]
    assert np.array_equal(first, second)


def test_tuned_hyper_parameters_come_from_validation(results):
    model = results["markov_recency"][0]
    assert 0 < model.params["alpha"] < 1 and model.params["half_life_s"] > 0
    default = results["default"][0].params
    assert "to check it" in default["trained_on"]
    check = default["validation"]["check_ndcg"]
    assert check[default["validation"]["chosen"]] >= check["markov_recency"]


def test_item2vec_is_reproducible_with_a_seed(cut_sequence):
    a, _ = fitted("item2vec", cut_sequence, seed=3)
    b, _ = fitted("item2vec", cut_sequence, seed=3)
    assert np.array_equal(a.vectors, b.vectors)


def test_default_scores_tracks_first_heard_after_training(cut_sequence):
    model, split = fitted("default", cut_sequence)
    items, times = cut_sequence.items, cut_sequence.played_at
    before = set(items[: split.start].tolist())
    state = model.start(items[: split.start], times[: split.start])
    for p in range(split.start, len(items)):
        it = int(items[p])
        if it not in before:
            unheard = model.scores(state)[it]
            state = model.observe(state, it, int(times[p]))
            heard = model.scores(state)[it]
            assert unheard < -1e5 < heard, "a track becomes a known candidate as soon as it is played"
            break
        state = model.observe(state, it, int(times[p]))
    else:
        pytest.skip("no new track in the test span of this cut")
    reason = model.reason(state, int(np.argmax(model.scores(state))))
    assert isinstance(reason, str) and len(reason) > 10
