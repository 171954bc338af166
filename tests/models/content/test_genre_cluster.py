"""The genre-cluster content model on a real listening cut with real Last.fm tags."""

from __future__ import annotations

import numpy as np
import pytest
from model_checks import check_beats_random, check_cancel, check_round_trip, check_scoring, fit
from model_cuts import all_missing

from models.content.genres import UNTAGGED, build_genres

FAST = {"max_epochs": 8, "time_budget_s": 60.0}


def test_genres_come_from_real_tags(small_cut, small_features):
    n = len(small_cut.space)
    plays = np.bincount(small_cut.data.items, minlength=n).astype(float)
    g = build_genres(small_features, n, plays, n_genres=8, seed=0)
    assert g.source == "tag_weights+word2vec"
    assert g.names[-1] == UNTAGGED and len(g.names) == 9
    np.testing.assert_allclose(g.mix.sum(1), 1.0, rtol=1e-5)
    _, mask = small_features.matrix("tag_weights")
    assert (g.mix[~mask, -1] == 1.0).all() and (g.mix[mask, -1] == 0.0).all()
    vocab = set(small_features.columns("tag_weights"))
    for name in g.names[:-1]:
        assert all(t in vocab for t in name.split(", "))  # classes are named by their real tags
    again = build_genres(small_features, n, plays, n_genres=8, seed=0)
    np.testing.assert_array_equal(again.mix, g.mix)  # seeded


def test_genre_cluster_learns_persists_and_explains(small_cut, small_features, tmp_path):
    model = fit("genre_cluster", small_cut, small_features, **FAST)
    assert model.params["genre_source"] == "tag_weights+word2vec"
    assert model.params["fusion_modalities"] == ["audio"]  # audio_raw present; no lyrics in this cut
    check_scoring(model, small_cut)
    # a content model: on this cut personal popularity scores 0 and random 0.009 (HR@10)
    check_beats_random(model, small_cut, factor=2.0)
    check_round_trip(model, small_cut, tmp_path)
    d = small_cut.data
    state = model.start(d.items, d.played_at)
    p = model.genre_vector([state])[0]
    assert p.shape == (len(model.params["genre_names"]),) and abs(p.sum() - 1) < 1e-4
    reasons = [r.reason for r in model.recommend(state, k=10)]
    assert any("genre cluster" in r and "(" in r for r in reasons), reasons


def test_without_tags_or_features(small_cut, small_features):
    for features in (None, all_missing(len(small_cut.space), small_features.modalities())):
        model = fit("genre_cluster", small_cut, features, **FAST)
        assert model.params["genre_names"] == [UNTAGGED] and model.params["fusion_modalities"] == []
        scores = check_scoring(model, small_cut)
        unplayed = np.setdiff1d(np.arange(len(small_cut.space)), small_cut.data.items)
        assert np.isneginf(scores[0, unplayed]).all()  # nothing known about them (before they are played)


def test_cancel(small_cut, small_features):
    check_cancel("genre_cluster", small_cut, small_features, **FAST)


@pytest.mark.slow
def test_full_export_beats_random_clearly(full_cut, full_features):
    model = fit("genre_cluster", full_cut, full_features)
    check_beats_random(model, full_cut, factor=5.0)
