"""The discovery ranker on a real store: space, state, factorised scores, learning, evidence, saving."""

from __future__ import annotations

import numpy as np
import pytest
from discovery_fixtures import (
    add_account,
    artist,
    everything_history,
    refresh_local,
    sessions_history,
    similar_answer,
)
from sqlalchemy import func, select

from core.catalogue import load_catalogue
from core.store.queries import load_plays
from core.store.schema import Artist, CatalogueItem, Scrobble, Track
from models.base import TrainData
from models.data import collapse_consecutive
from models.discovery.baselines import AffinityBaseline, PopularityBaseline
from models.discovery.features import LinearScores, artist_matrix, blocks, track_matrix
from models.discovery.ranker import DiscoveryRanker
from models.discovery.reasons import explain
from models.discovery.signals import AFFINITY, ARTIST_FEATURES, TRACK_FEATURES, Context, DiscoveryState
from models.discovery.space import build_space


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    from core.store import open_store

    folder = tmp_path_factory.mktemp("discovery")
    store = open_store(f"sqlite:///{folder / 'd.sqlite'}")
    me = add_account(store, folder, "me", sessions_history())
    add_account(store, folder, "other", everything_history())
    refresh_local(store, "me")
    similar_answer(store, me, artist(0), [(artist(7), 0.9), (artist(8), 0.4)])
    yield store, me
    store.dispose()


def _setup(store, me):
    frame = load_plays(store.engine, me)
    frame = frame.take(collapse_consecutive(frame.track_id))
    cat = load_catalogue(store.engine, me, exclude_heard=False)
    dspace = build_space(store.engine, cat, frame.track_id, frame.artist_id)
    items = dspace.space.indices(frame.track_id)
    data = TrainData(dspace.space, items, frame.played_at, np.zeros(items.size, np.int64), seed=1)
    return dspace, Context(dspace), data


def test_space_candidates_are_the_catalogues_and_unheard_ones_rank(world):
    store, me = world
    dspace, ctx, data = _setup(store, me)
    with store.engine.connect() as conn:
        others = set(conn.execute(select(Scrobble.track_id).where(Scrobble.account_id != me)).scalars())
        mine = set(conn.execute(select(Scrobble.track_id).where(Scrobble.account_id == me)).scalars())
    assert set(dspace.space.track_ids[dspace.candidate].tolist()) == others
    state = DiscoveryState(ctx, data.items, data.played_at)
    rankable = set(dspace.space.track_ids[state.rankable()].tolist())
    assert rankable == others - mine and rankable
    # the similar-artist answer became an edge; artist_pool holds every catalogue artist
    sim = dspace.edges["lastfm.artist.getSimilar"]
    a0, a7 = (int(np.searchsorted(dspace.space.artist_ids, _artist_id(store, artist(i)))) for i in (0, 7))
    assert sim[a0, a7] == pytest.approx(0.9)
    assert dspace.artist_pool.sum() == 12


def _artist_id(store, name):
    with store.engine.connect() as conn:
        return conn.execute(select(Artist.id).where(Artist.name == name)).scalar_one()


def test_state_observed_play_by_play_equals_state_built_at_once(world):
    store, me = world
    _, ctx, data = _setup(store, me)
    n = data.items.size
    whole = DiscoveryState(ctx, data.items, data.played_at)
    walked = DiscoveryState(ctx, data.items[: n - 50], data.played_at[: n - 50])
    for i, t in zip(data.items[n - 50 :], data.played_at[n - 50 :], strict=True):
        walked.observe(int(i), int(t))
    np.testing.assert_array_equal(whole.artist_count, walked.artist_count)
    np.testing.assert_array_equal(whole.heard, walked.heard)
    for a, b in zip(whole.artist_recent, walked.artist_recent, strict=True):
        np.testing.assert_allclose(a.values, b.values, rtol=1e-9)
    assert whole.session_start == walked.session_start
    wb, bb = blocks(whole), blocks(walked)
    idx = whole.rankable()
    np.testing.assert_allclose(track_matrix(wb, idx), track_matrix(bb, idx), rtol=1e-5, atol=1e-6)


def test_factorised_scores_equal_the_feature_matrix_times_the_weights(world):
    store, me = world
    _, ctx, data = _setup(store, me)
    state = DiscoveryState(ctx, data.items, data.played_at)
    b = blocks(state)
    rng = np.random.default_rng(3)
    idx = state.rankable()
    coef = rng.normal(size=len(TRACK_FEATURES))
    want = track_matrix(b, idx).astype(np.float64) @ coef + 0.5
    np.testing.assert_allclose(
        LinearScores(TRACK_FEATURES, coef, 0.5).tracks(b, idx), want, rtol=1e-4, atol=1e-4
    )
    arts = state.rankable_artists()
    coef_a = rng.normal(size=len(ARTIST_FEATURES))
    want_a = artist_matrix(b, arts).astype(np.float64) @ coef_a - 1.0
    np.testing.assert_allclose(
        LinearScores(ARTIST_FEATURES, coef_a, -1.0).artists(b, arts), want_a, rtol=1e-4, atol=1e-4
    )


def test_affinity_baseline_is_default_explore_scores_with_a_popularity_tie_break(world):
    store, me = world
    dspace, ctx, data = _setup(store, me)
    from models.hybrid.default import Default

    d = Default()
    d.space = dspace.space
    s_default = d.explore_scores(d.start(data.items, data.played_at))
    base = AffinityBaseline().bind(ctx)
    base.fit(data)
    s_base = base.scores(base.start(data.items, data.played_at))
    ok = np.isfinite(s_base)
    pop = np.nan_to_num(dspace.popularity[ok])
    np.testing.assert_allclose(s_base[ok] - 0.01 * pop, s_default[ok], rtol=1e-6, atol=1e-9)


def _hits(model, ctx, data, start):
    state = model.start(data.items[:start], data.played_at[:start])
    hits = n = 0
    for p in range(start, data.items.size):
        item = int(data.items[p])
        if not state.heard[item] and ctx.dspace.candidate[item]:
            s = model.scores(state)
            hits += int(np.count_nonzero(s >= s[item]) <= 10)
            n += 1
        model.observe(state, item, int(data.played_at[p]))
    return hits / max(n, 1)


def test_the_ranker_learns_on_validation_and_beats_popularity_later(world):
    store, me = world
    _, ctx, data = _setup(store, me)
    n = data.items.size
    train = TrainData(
        data.space,
        data.items[: int(n * 0.8)],
        data.played_at[: int(n * 0.8)],
        data.session[: int(n * 0.8)],
        1,
    )
    ranker = DiscoveryRanker().bind(ctx)
    ranker.fit(train)
    assert ranker.params["fit"]["tracks"]["lists"] >= 30
    cal = ranker.params["calibration"]  # what the served list merges the two streams by
    assert cal["hit_rate_at_rank"][0] > 0 and sum(cal["hit_rate_at_rank"]) <= 1
    pop = PopularityBaseline().bind(ctx)
    pop.fit(train)
    start = int(n * 0.8)
    assert _hits(ranker, ctx, data, start) > 2 * _hits(pop, ctx, data, start)
    # switching a group off leaves its columns without weight
    off = DiscoveryRanker(groups=["popularity", "sources", "album"]).bind(ctx)
    off.fit(train)
    w = dict(zip(TRACK_FEATURES, off.tracks.ranker.weights, strict=True))
    assert all(w[f] == 0 for f in AFFINITY) and any(w[f] != 0 for f in w)


def test_a_saved_ranker_scores_the_same_after_loading(world, tmp_path):
    store, me = world
    _, ctx, data = _setup(store, me)
    ranker = DiscoveryRanker().bind(ctx)
    ranker.fit(data)
    ranker.save(tmp_path / "m")
    loaded = DiscoveryRanker.load(tmp_path / "m").bind(ctx)
    a = ranker.scores(ranker.start(data.items, data.played_at))
    b = loaded.scores(loaded.start(data.items, data.played_at))
    np.testing.assert_array_equal(a, b)


def test_a_ranker_of_another_version_is_refused_and_discover_trains_it_again(tmp_path):
    import json

    from core.jobs import run_job
    from core.store import open_store
    from models.artefacts import model_dir
    from models.base import ModelOutdated
    from models.discovery import service

    store = open_store(f"sqlite:///{tmp_path / 'd.sqlite'}")
    add_account(store, tmp_path, "me", sessions_history())
    add_account(store, tmp_path, "other", everything_history())
    refresh_local(store, "me")
    run_job(service.train_discovery(store, "me"))
    config = model_dir("me", "discovery") / "config.json"
    old = json.loads(config.read_text())
    old["model_version"] = DiscoveryRanker.version - 1  # a blend saved before artist_popularity
    config.write_text(json.dumps(old))
    with pytest.raises(ModelOutdated, match="retrain it"):
        DiscoveryRanker.load(config.parent)
    service._WARM.clear()
    with pytest.raises(ModelOutdated):
        service.discover(store, "me", 5, train_if_missing=False)
    assert len(service.discover(store, "me", 5)) == 5  # trained again, then served
    assert json.loads(config.read_text())["model_version"] == DiscoveryRanker.version
    store.dispose()


def test_artist_popularity_is_the_best_known_track_of_the_artist(world):
    from models.discovery.signals import ARTIST_STATIC

    store, me = world
    dspace, ctx, _ = _setup(store, me)
    col = ctx.artist_static[:, ARTIST_STATIC.index("artist_popularity")]
    art = dspace.space.artist_of
    for a in range(dspace.n_artists):
        mine = dspace.candidate & (art == a) & ~np.isnan(dspace.popularity)
        assert col[a] == (dspace.popularity[mine].max() if mine.any() else 0.0)
    assert (col > 0).any()


def test_evidence_is_true_of_the_store(world):
    store, me = world
    _, ctx, data = _setup(store, me)
    ranker = DiscoveryRanker().bind(ctx)
    ranker.fit(data)
    state = ranker.start(data.items, data.played_at)
    s = ranker.scores(state)
    b = blocks(state)
    top = np.argsort(-s)[:20]
    kinds = set()
    with store.engine.connect() as conn:
        for item in top.tolist():
            ev = explain(ranker.tracks, b, item)
            kinds.add(ev.kind)
            tid = int(ctx.dspace.space.track_ids[item])
            assert conn.execute(select(Track.artist_id).where(Track.id == tid)).scalar_one() == ev.artist
            assert not conn.execute(
                select(Scrobble.id).where(Scrobble.account_id == me, Scrobble.track_id == tid)
            ).first()
            if ev.kind == "affinity":  # "by Y, whom you played N times": N is the count of collapsed plays
                stored = conn.execute(
                    select(func.count())
                    .select_from(Scrobble)
                    .join(Track)
                    .where(Scrobble.account_id == me, Track.artist_id == ev.artist)
                ).scalar_one()
                assert 0 < ev.plays <= stored
            if ev.kind == "similar":
                assert conn.execute(
                    select(CatalogueItem.score).where(CatalogueItem.artist_id == ev.artist)
                ).first()
    assert "affinity" in kinds


def test_discover_trains_serves_with_reasons_and_follows_new_plays(tmp_path):
    from core.store import open_store
    from models.discovery.service import discover, train_discovery

    store = open_store(f"sqlite:///{tmp_path / 'd.sqlite'}")
    history = sessions_history()
    me = add_account(store, tmp_path, "me", history)
    add_account(store, tmp_path, "other", everything_history())
    refresh_local(store, "me")
    from core.jobs import run_job

    result = run_job(train_discovery(store, "me"))
    assert result["params"]["fit"]["tracks"]["lists"] >= 30
    recs = discover(store, "me", 20)
    assert len(recs) == 20
    with store.engine.connect() as conn:
        mine = set(conn.execute(select(Scrobble.track_id).where(Scrobble.account_id == me)).scalars())
    assert not {r.track_id for r in recs} & mine
    assert all(r.reason and "{" not in r.reason for r in recs)
    by_artist = [r for r in recs if r.evidence.kind == "affinity"]
    assert by_artist and "whom you played" in by_artist[0].reason
    # a dismissed track is left out; a new play is counted at once
    again = discover(store, "me", 20, exclude=[recs[0].track_id])
    assert recs[0].track_id not in {r.track_id for r in again}
    with store.engine.connect() as conn:
        a, t = conn.execute(
            select(Artist.name, Track.name).join(Track).where(Track.id == recs[1].track_id)
        ).one()
    add_account(store, tmp_path, "me", [(a, t, history[-1][2] + 600)])
    after = discover(store, "me", 20)
    assert recs[1].track_id not in {r.track_id for r in after}
    store.dispose()


def test_a_play_back_filled_into_the_past_is_seen_at_the_next_check(tmp_path, monkeypatch):
    from core.store import open_store
    from models.discovery import service

    store = open_store(f"sqlite:///{tmp_path / 'd.sqlite'}")
    history = sessions_history()
    add_account(store, tmp_path, "me", history)
    add_account(store, tmp_path, "other", everything_history())
    refresh_local(store, "me")
    recs = service.discover(store, "me", 20)
    with store.engine.connect() as conn:
        a, t = conn.execute(
            select(Artist.name, Track.name).join(Track).where(Track.id == recs[0].track_id)
        ).one()
    add_account(store, tmp_path, "me", [(a, t, history[0][2] - 86_400)])  # an older export, imported later
    assert recs[0].track_id in {r.track_id for r in service.discover(store, "me", 20)}  # not checked yet
    monkeypatch.setattr(service, "RECHECK_S", 0.0)
    assert recs[0].track_id not in {r.track_id for r in service.discover(store, "me", 20)}
    store.dispose()


def test_the_artist2vec_reason_claims_no_other_listeners():
    """The artist2vec is fitted on every local account's sessions, the listener's own included: with
    one account on the computer those are the listener's alone, so the sentence must not claim others."""
    from models.discovery.reasons import DiscoveryEvidence, reason_text

    ev = DiscoveryEvidence("artist2vec", "local.accounts", 2, anchor_artist=1, score=0.8)
    text = reason_text(ev, {}, {1: "Nena", 2: "Scorpions"}, {})
    assert "yours included" in text and "Scorpions" in text and "Nena" in text
    assert "also play" not in text and "listeners" not in text
