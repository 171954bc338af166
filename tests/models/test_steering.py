"""Steering controls: neutral is the identity, explore raises new-to-user share, lift favours higher
valence/energy only among items where they are known, and everything is deterministic."""

from __future__ import annotations

import numpy as np
import pytest

from models.steering import (
    Steering,
    candidate_pool,
    load_valence_energy,
    play_counts,
    rank_utility,
    steer,
    steer_recommendations,
)

NAN = float("nan")


def _tiered(n_known: int = 50, n_new: int = 50, seed: int = 0):
    """A ``default``-like list: known tracks first (with play counts), new-to-user ones after them."""
    rng = np.random.default_rng(seed)
    scores = np.concatenate(
        [np.sort(rng.normal(5, 1, n_known))[::-1], -1e6 + np.sort(rng.random(n_new))[::-1]]
    )
    plays = np.concatenate([rng.integers(1, 200, n_known), np.zeros(n_new, int)])
    return scores, plays


def _new_share(order: np.ndarray, plays: np.ndarray, k: int = 10) -> float:
    return float((plays[order[:k]] == 0).mean())


def test_neutral_is_the_identity():
    scores, plays = _tiered()
    scores[7] = -np.inf  # cannot be suggested
    valence = np.linspace(0, 1, scores.size)
    out = steer(scores, plays, valence, valence, Steering())
    assert np.array_equal(out.scores, scores)
    assert np.array_equal(out.order, np.argsort(-scores, kind="stable")[:-1])
    assert 7 not in out.order
    assert Steering().neutral and not Steering(explore=0.1).neutral


def test_explore_raises_new_share_monotonically_and_familiar_lowers_it():
    scores, plays = _tiered()
    shares = [
        _new_share(steer(scores, plays, steering=Steering(explore=e)).order, plays)
        for e in (-1.0, 0.0, 0.25, 0.5, 1.0)
    ]
    assert shares[1] == 0.0  # the model ranks new tracks last
    assert shares == sorted(shares) and shares[-1] == 1.0 and shares[3] > 0.0
    # familiar: among known tracks the most played rise over ones heard once
    mixed = np.where(np.arange(plays.size) % 2 == 0, 1, 100) * (plays > 0)
    fam = steer(scores, mixed, steering=Steering(explore=-1.0)).order[:10]
    assert mixed[fam].mean() > mixed[np.argsort(-scores)[:10]].mean()
    assert (mixed[fam] == 100).sum() >= 9


def test_explore_keeps_the_models_order_within_equally_familiar_items():
    scores = np.array([5.0, 4.0, 3.0, -1e6 + 3, -1e6 + 2, -1e6 + 1])
    plays = np.array([4, 4, 4, 0, 0, 0])
    order = steer(scores, plays, steering=Steering(explore=1.0)).order
    assert order.tolist() == [3, 4, 5, 0, 1, 2]


def test_lift_favours_higher_valence_among_known_and_leaves_unknown_neutral():
    n = 12
    scores = np.ones(n)  # tied: the model has no preference, the lift decides
    plays = np.full(n, 5)
    valence = np.array([0.1, 0.9, NAN, 0.2, 0.8, NAN, 0.5, NAN, 0.3, 0.7, NAN, 0.6])
    energy = np.full(n, NAN)
    base = rank_utility(scores)
    out = steer(scores, plays, valence, energy, Steering(lift=1.0))
    unknown = np.isnan(valence)
    assert np.allclose(out.scores[unknown], base[unknown]), "unknown valence gains and loses nothing"
    known = np.flatnonzero(~unknown)
    pos = {int(i): r for r, i in enumerate(out.order)}
    by_valence = sorted(known, key=lambda i: -valence[i])
    assert [pos[i] for i in by_valence] == sorted(pos[i] for i in by_valence)
    assert pos[1] < pos[0] and pos[4] < pos[3]
    # on a real ranking the lift moves the top-5 towards higher valence without reordering unknowns
    ranked = steer(np.linspace(10, 9, n), plays, valence, energy, Steering(lift=1.0))
    assert np.nanmean(valence[ranked.order[:5]]) > np.nanmean(valence[:5])
    unknown_pos = [int(np.flatnonzero(ranked.order == i)[0]) for i in np.flatnonzero(unknown)]
    assert unknown_pos == sorted(unknown_pos)
    # an item with energy only counts by its energy
    energy_only = np.full(n, NAN)
    energy_only[[11, 0]] = 0.95, 0.1
    e_only = steer(scores, plays, np.full(n, NAN), energy_only, Steering(lift=1.0))
    assert e_only.order[0] == 11 and e_only.order[-1] == 0
    # nothing known at all: lift changes nothing
    none = steer(scores, plays, np.full(n, NAN), np.full(n, NAN), Steering(lift=1.0))
    assert np.array_equal(none.order, np.arange(n))


def test_determinism_and_validation():
    scores, plays = _tiered(seed=3)
    v = np.random.default_rng(1).random(scores.size)
    v[::3] = NAN
    a = steer(scores, plays, v, v, Steering(explore=0.4, lift=0.7))
    b = steer(scores.copy(), plays.copy(), v.copy(), v.copy(), Steering(explore=0.4, lift=0.7))
    assert np.array_equal(a.order, b.order) and np.array_equal(a.scores, b.scores)
    with pytest.raises(ValueError):
        Steering(explore=1.5)
    with pytest.raises(ValueError):
        Steering(lift=-0.1)
    assert Steering.from_slider(0.5) == Steering()
    assert Steering.from_slider(1.0).explore == 1.0 and Steering.from_slider(0.0).explore == -1.0
    assert Steering.from_slider(0.25, neutral_at=0.0).explore == 0.25


def test_candidate_pool_takes_both_tiers():
    scores = np.array([3.0, -1e6 + 1, 2.0, -np.inf, -1e6 + 2, 1.0])
    heard = np.array([True, False, True, False, False, True])
    pool = candidate_pool(scores, heard, n_familiar=2, n_new=1)
    assert pool.tolist() == [0, 2, 4]


def test_steer_recommendations_reorders_objects():
    from models.base import Recommendation

    recs = [Recommendation(10, 3.0, "a"), Recommendation(11, 2.0, "b"), Recommendation(12, 1.0, "c", True)]
    assert steer_recommendations(recs, {10: 50, 11: 40}) == recs
    out = steer_recommendations(recs, {10: 50, 11: 40}, steering=Steering(explore=1.0))
    assert out[0].track_id == 12 and out[0] is recs[2]


def test_loaders_read_track_values_with_artist_fallback(store):
    from core.store.schema import Account, Artist, AudioFeatures, Scrobble, Track

    with store.engine.begin() as conn:
        conn.execute(Account.__table__.insert(), [{"id": 1, "name": "me", "created_at": 0}])
        conn.execute(
            Artist.__table__.insert(),
            [{"id": 1, "name": "A", "name_key": "a"}, {"id": 2, "name": "B", "name_key": "b"}],
        )
        conn.execute(
            Track.__table__.insert(),
            [
                {"id": 1, "artist_id": 1, "name": "t1", "name_key": "t1"},
                {"id": 2, "artist_id": 1, "name": "t2", "name_key": "t2"},
                {"id": 3, "artist_id": 2, "name": "t3", "name_key": "t3"},
            ],
        )
        conn.execute(
            AudioFeatures.__table__.insert(),
            [
                {
                    "item_kind": "track",
                    "item_id": 1,
                    "valence": 0.9,
                    "energy": None,
                    "provider": "t",
                    "fetched_at": 0,
                },
                {
                    "item_kind": "artist",
                    "item_id": 1,
                    "valence": 0.2,
                    "energy": 0.4,
                    "provider": "t",
                    "fetched_at": 0,
                },
            ],
        )
        conn.execute(
            Scrobble.__table__.insert(),
            [
                {"account_id": 1, "track_id": t, "played_at": 1_600_000_000 + i * 300, "source": "t"}
                for i, t in enumerate([1, 1, 3, 1])
            ],
        )
    valence, energy = load_valence_energy(store.engine, [1, 2, 3])
    assert valence[0] == 0.9 and energy[0] == 0.4  # own valence, artist's energy
    assert valence[1] == 0.2 and energy[1] == 0.4  # artist fallback
    assert np.isnan(valence[2]) and np.isnan(energy[2])  # unknown stays unknown
    assert play_counts(store.engine, 1, [1, 2, 3]) == {1: 3, 3: 1}


def _slider_share(scores, plays, x: float) -> float:
    return _new_share(steer(scores, plays, steering=Steering.from_slider(x)).order, plays)


def test_the_slider_is_monotone_continuous_and_neutral_in_the_middle():
    """New share in the top 10 rises with the slider in steps of one track, from none to all."""
    scores, plays = _tiered()
    grid = np.linspace(0, 1, 101)
    shares = [_slider_share(scores, plays, x) for x in grid]
    assert shares == sorted(shares), "monotone"
    assert shares[0] == 0.0 and shares[-1] == 1.0 and shares[50] == 0.0
    assert max(np.diff(shares)) <= 0.1 + 1e-9, "never more than one track per 1% of the slider"
    assert len(set(shares)) == 11, "every count from 0 to 10 new tracks is reachable"
    # each quarter step changes the list (known tracks played from once to 120 times, as in real
    # lists: to the left favourites rise); the middle is the model's own order
    plays = np.where(
        plays > 0, np.random.default_rng(2).choice([1, 1, 2, 3, 5, 8, 20, 50, 120], plays.size), 0
    )
    tops = [steer(scores, plays, steering=Steering.from_slider(x)).order[:10].tolist() for x in SLIDER]
    assert all(a != b for a, b in zip(tops, tops[1:], strict=False))
    assert tops[2] == np.argsort(-scores, kind="stable")[:10].tolist()


def test_new_slots_interpolate_through_the_models_own_count():
    from models.steering import new_slots

    assert [new_slots(10, 4, e) for e in (-1, -0.5, 0, 0.5, 1)] == [0, 2, 4, 7, 10]
    assert [new_slots(10, 0, e) for e in (-1, 0, 0.25, 1)] == [0, 0, 3, 10]


SLIDER = (0.0, 0.25, 0.5, 0.75, 1.0)
