"""Mult-VAE, MacridVAE (plain and multimodal) and the diffusion variants on a real listening cut."""

from __future__ import annotations

import numpy as np
import pytest
from model_checks import FAST, check_beats_random, check_cancel, check_round_trip, check_scoring, fit
from model_cuts import all_missing

PLAIN = ["multivae", "macridvae", "diffvae", "diffrec"]
MULTIMODAL = ["multivae_mm", "macridvae_mm"]


@pytest.mark.parametrize("name", PLAIN)
def test_plain_models_learn_and_persist(name, small_cut, tmp_path):
    model = fit(name, small_cut, **FAST)
    info = model.params["fit"]
    assert 1 <= info["epochs_run"] <= FAST["max_epochs"] and info["n_rows"] > 0
    scores = check_scoring(model, small_cut)
    unplayed = np.setdiff1d(np.arange(len(small_cut.space)), small_cut.data.items)
    assert np.isneginf(scores[:, unplayed]).all()  # ID-only: tracks never played in training are not scored
    check_beats_random(model, small_cut)
    check_round_trip(model, small_cut, tmp_path)


@pytest.mark.parametrize("name", MULTIMODAL)
def test_multimodal_models_use_features(name, small_cut, small_features, tmp_path):
    model = fit(name, small_cut, small_features, **FAST)
    assert set(model.params["content_dims"]) == {"audio_raw", "tag_weights"}
    cov = model.params["content_coverage"]
    assert 0 < cov["audio_raw"] < 1 and 0 < cov["tag_weights"] < 1  # partial masks, as in real life
    scores = check_scoring(model, small_cut)
    # tracks with features but no training play are in the vocabulary: scored through their content
    _, tag_mask = small_features.matrix("tag_weights")
    unplayed = np.setdiff1d(np.flatnonzero(tag_mask), small_cut.data.items)
    assert unplayed.size and np.isfinite(scores[:, unplayed]).all()
    check_beats_random(model, small_cut)
    check_round_trip(model, small_cut, tmp_path)  # the loaded model needs no feature tables


@pytest.mark.parametrize("name", MULTIMODAL)
def test_multimodal_models_without_features(name, small_cut, small_features):
    """features=None and all-missing masks both give the plain model (no content terms at all)."""
    for features in (None, all_missing(len(small_cut.space), small_features.modalities())):
        model = fit(name, small_cut, features, **FAST)
        assert model.params["content_dims"] == {}
        assert model.net.cond is None
        check_scoring(model, small_cut)


def test_multimodal_conditioning_changes_scores(small_cut, small_features):
    with_f = fit("multivae_mm", small_cut, small_features, **FAST)
    without = fit("multivae_mm", small_cut, None, **FAST)
    d = small_cut.data
    a = with_f.scores(with_f.start(d.items, d.played_at))
    b = without.scores(without.start(d.items, d.played_at))
    common = np.isfinite(a) & np.isfinite(b)
    assert not np.allclose(a[common], b[common])


def test_seeded_fits_are_identical(small_cut):
    d = small_cut.data
    runs = [fit("multivae", small_cut, **{**FAST, "time_budget_s": 1e6}) for _ in range(2)]
    s = [m.scores(m.start(d.items, d.played_at)) for m in runs]
    np.testing.assert_array_equal(s[0], s[1])


@pytest.mark.parametrize("name", ["multivae", "macridvae_mm", "diffrec"])
def test_cancel(name, small_cut, small_features):
    check_cancel(name, small_cut, small_features if name.endswith("_mm") else None, **FAST)


@pytest.mark.parametrize("name", ["multivae", "multivae_mm", "macridvae_mm"])
def test_sampled_softmax_is_used_only_for_large_vocabularies(name, small_cut, small_features):
    features = small_features if name.endswith("_mm") else None
    model = fit(name, small_cut, features, **{**FAST, "negatives": 100})  # ~1,000 items > 4 × 100
    assert model._proposal is not None
    check_scoring(model, small_cut)
    check_beats_random(model, small_cut)
    model = fit(name, small_cut, features, **FAST)  # default 2,048 negatives: full softmax here
    assert model._proposal is None


@pytest.mark.slow
@pytest.mark.parametrize("name", PLAIN + MULTIMODAL)
def test_full_export_beats_random_clearly(name, full_cut):
    model = fit(name, full_cut, time_budget_s=8.0)  # CPU seconds: the same training on a busy machine
    check_beats_random(model, full_cut, factor=10.0)
