"""Training examples never reach past their span; states stay small and immutable; inits are seeded."""

from __future__ import annotations

import numpy as np

from models.neural.init import lsa_init, training_sessions, word2vec_init
from models.neural.modal import multimodal_init, prepare_modalities
from models.neural.sequences import (
    IGNORE,
    SeqState,
    chunk_ends,
    left_pad,
    make_state,
    masked_chunks,
    next_item_chunks,
    validation_cut,
    windows_before,
)

SEQ = np.arange(100, dtype=np.int64) * 3


def test_windows_hold_only_earlier_plays():
    tok = windows_before(SEQ, np.array([0, 1, 7]), 4)
    assert tok.tolist() == [[0, 0, 0, 0], [0, 0, 0, SEQ[0] + 1], [SEQ[i] + 1 for i in range(3, 7)]]


def test_next_item_chunks_cover_each_target_of_the_span_only():
    rng = np.random.default_rng(0)
    lo, hi = 30, 60
    ends = chunk_ends(lo, hi, 8, rng)
    x, y = next_item_chunks(SEQ, ends, 8, lo)
    targets = y[y != IGNORE]
    assert set(targets.tolist()) == set(SEQ[lo:hi].tolist())
    for row_x, row_y in zip(x, y, strict=True):
        for tok, tgt in zip(row_x, row_y, strict=True):
            if tgt != IGNORE:
                assert tok != 0 and SEQ.tolist().index(tgt) == SEQ.tolist().index(tok - 1) + 1


def test_masked_chunks_mask_only_inside_the_span():
    rng = np.random.default_rng(1)
    lo, hi = 40, 70
    ends = chunk_ends(lo, hi, 10, rng)
    x, y = masked_chunks(SEQ, ends, 10, lo, mask_token=999, prob=0.5, last_prob=0.25, rng=rng)
    assert ends.max() == hi - 1
    masked = y != IGNORE
    assert (masked.sum(axis=1) >= 1).all()
    assert (x[masked] == 999).all() and (x[~masked] != 999).all()
    assert set(y[masked].tolist()) <= set(SEQ[lo:hi].tolist())


def test_validation_cut_is_the_end_of_the_training_span():
    assert validation_cut(1000, 0.1) == 900
    assert validation_cut(20, 0.1) == 20  # too short to hold anything out


def test_states_are_bounded_and_immutable():
    s = make_state(np.array([5, -1, 6, 7]), max_len=2)
    assert s.items.tolist() == [6, 7]
    t = s.push(8, 2)
    assert s.items.tolist() == [6, 7] and t.items.tolist() == [7, 8]
    assert s.push(-1, 2) is s
    assert left_pad([t.items, np.array([], np.int64)], 3, extra=50).tolist() == [[8, 9, 50], [0, 0, 50]]
    assert isinstance(t, SeqState)


def test_embedding_inits_are_seeded_and_cover_trained_items(full_cut):
    data = full_cut.data
    sessions = training_sessions(data, 2000)
    n = len(data.space)
    for init in (word2vec_init, lsa_init):
        a, has = init(sessions, n, 16, 3, 0.05)
        b, _ = init(sessions, n, 16, 3, 0.05)
        np.testing.assert_array_equal(a, b)
        assert set(np.flatnonzero(has)) == set(np.unique(data.items[:2000]).tolist())
        assert abs(float(a[has].std()) - 0.05) < 0.01


def test_multimodal_inits_respect_masks(full_cut, full_features):
    n = len(full_cut.data.space)
    mods = prepare_modalities(full_features, n, ["audio_raw", "lyrics", "tag_weights"], max_dim=8)
    assert [m.name for m in mods] == ["audio_raw", "tag_weights"]  # no lyric embeddings in this store
    any_mod = mods[0].mask | mods[1].mask
    for how in ("concat", "pca"):
        init, has = multimodal_init(mods, n, 16, how, np.random.default_rng(0), 0.05)
        assert init.shape == (n, 16) and np.isfinite(init).all()
        np.testing.assert_array_equal(has, any_mod)
    assert prepare_modalities(None, n) == []
