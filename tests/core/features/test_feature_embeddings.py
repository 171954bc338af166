"""Embeddings: versioned by model and input (unchanged → not recomputed, changed → rebuilt), the acoustic
VAE's training and masks, tag and session Word2Vec — on the real erzadel history and real tables."""

from __future__ import annotations

import time

import numpy as np
import pytest
from featurestore_helpers import DATA_BY_ARTIST, EDELGRACE, HETREC, HIT_00S, HashEncoder
from sqlalchemy import select, update

from core.features.embeddings import refit
from core.features.embeddings.audio import AUDIO_FEATURES, AudioStats, load_audio_rows
from core.features.embeddings.store import GLOBAL, account_scope, load_model, load_vectors, stored_versions
from core.features.embeddings.tagvec import build_tag_embeddings, tag_vectors
from core.features.embeddings.text import build_text_embeddings
from core.features.embeddings.vae import build_audio_vae, encode, train_vae
from core.features.embeddings.w2v import build_w2v
from core.features.tables import import_table
from core.jobs import Cancelled, CancelToken, run_job
from core.store.schema import AudioFeatures, Lyrics, Scrobble


def _lyrics(store, encoder=None, **kw):
    return run_job(build_text_embeddings(store, "lyrics", encoder=encoder or HashEncoder(), **kw))


@pytest.fixture
def with_lyrics(erz_store):
    run_job(import_table(erz_store, EDELGRACE / "lyrics.csv", "lyrics", account="erzadel"))
    return erz_store


def test_lyrics_vectors_are_built_once_and_rebuilt_when_input_changes(with_lyrics, monkeypatch):
    store = with_lyrics
    first = _lyrics(store)
    assert (first["encoded"], first["projected"], first["pca_refit"]) == (226, 226, True)
    ids, vecs = load_vectors(store.engine, "lyrics")
    assert ids.size == 226 and vecs.shape == (226, 150) and vecs.dtype == np.float32
    st_ids, st = load_vectors(store.engine, "lyrics_st")
    assert st.shape == (226, 384)

    again = _lyrics(store)
    assert (again["encoded"], again["unchanged"], again["projected"], again["pca_refit"]) == (
        0,
        226,
        0,
        False,
    )

    # one edited lyric: only it is encoded again; with a fit set this small the PCA is refitted
    tid = int(ids[0])
    with store.engine.begin() as conn:
        conn.execute(update(Lyrics).where(Lyrics.track_id == tid).values(text="new words entirely\nand more"))
    edited = _lyrics(store)
    assert (edited["encoded"], edited["pca_refit"], edited["projected"]) == (1, True, 226)

    # above the small-set threshold a small change keeps the basis: only that item is projected
    monkeypatch.setattr(refit, "SMALL", 10)
    with store.engine.begin() as conn:
        conn.execute(update(Lyrics).where(Lyrics.track_id == tid).values(text="yet another text"))
    small = _lyrics(store)
    assert (small["encoded"], small["pca_refit"], small["projected"]) == (1, False, 1)

    # another sentence model: everything is encoded again
    other = _lyrics(store, encoder=HashEncoder("hash-test-2"))
    assert other["encoded"] == 226 and other["pca_refit"] is True
    assert {v for v, _ in stored_versions(store.engine, "lyrics_st").values()} == {"st:hash-test-2"}

    # a deleted lyric takes its vectors with it
    with store.engine.begin() as conn:
        conn.execute(Lyrics.__table__.delete().where(Lyrics.track_id == tid))
    gone = _lyrics(store, encoder=HashEncoder("hash-test-2"))
    assert gone["deleted"] == 1 and load_vectors(store.engine, "lyrics")[0].size == 225


def test_text_build_resumes_after_cancel(with_lyrics):
    store = with_lyrics
    token = CancelToken()
    with pytest.raises(Cancelled):
        for p in build_text_embeddings(store, "lyrics", encoder=HashEncoder(), batch=50, cancel=token):
            if p.total == 226 and p.done >= 100:
                token.cancel()
    assert len(stored_versions(store.engine, "lyrics_st")) == 100  # two committed batches survive
    rest = _lyrics(store)
    assert (rest["encoded"], rest["unchanged"]) == (126, 100)
    assert len(stored_versions(store.engine, "lyrics")) == 226


def test_w2v_versioned_by_the_sessions(erz_store):
    aid = 1
    first = run_job(build_w2v(erz_store, aid, gap_s=7200, epochs=2))
    assert first["computed"] > 5000 and first["scope"] == account_scope(aid)
    again = run_job(build_w2v(erz_store, aid, gap_s=7200, epochs=2))
    assert again["computed"] == 0 and again["unchanged"] == first["computed"]
    with erz_store.engine.begin() as conn:  # a new play right after the last one changes the corpus
        last = conn.execute(
            select(Scrobble.played_at, Scrobble.track_id).order_by(Scrobble.played_at.desc())
        ).first()
        other = conn.execute(select(Scrobble.track_id).where(Scrobble.track_id != last[1])).first()[0]
        conn.execute(
            Scrobble.__table__.insert().values(
                account_id=aid, track_id=other, played_at=last[0] + 200, source="test", precision_s=1
            )
        )
    changed = run_job(build_w2v(erz_store, aid, gap_s=7200, epochs=2))
    assert changed["computed"] >= first["computed"]
    ids, vecs = load_vectors(erz_store.engine, "w2v", account_scope(aid))
    assert vecs.shape == (changed["computed"], 150) and np.isfinite(vecs).all()


@pytest.fixture
def with_audio(erz_store):
    run_job(import_table(erz_store, HIT_00S, "audio", account="erzadel"))
    run_job(import_table(erz_store, DATA_BY_ARTIST, "audio", account="erzadel"))
    return erz_store


def test_vae_trains_and_ignores_masked_values(with_audio):
    kinds, ids, raw = load_audio_rows(with_audio.engine)
    assert len(ids) == 235 + 615 + 12  # tracks, data_by_artist, means for the 12 artists it lacks
    stats = AudioStats.fit(raw)
    z, known = stats.apply(raw)
    assert np.isfinite(z).all() and known.all()
    state, losses = run_job(train_vae(z, known, epochs=5, min_steps=200, seed=0))
    assert losses[-1] < 0.8 * losses[0]
    # a feature marked unknown does not reach the encoder, whatever number sits in its slot
    m = known[:5].copy()
    m[:, AUDIO_FEATURES.index("tempo")] = False
    a, b = z[:5].copy(), z[:5].copy()
    b[:, AUDIO_FEATURES.index("tempo")] = 4.0
    assert np.allclose(encode(state, a, m), encode(state, b, m))
    assert not np.allclose(encode(state, a, known[:5]), encode(state, b, known[:5]))


def test_vae_latents_versioned(with_audio, monkeypatch):
    store = with_audio
    first = run_job(build_audio_vae(store, epochs=3, min_steps=100))
    assert first["refit"] and first["computed"] == first["rows"] == 862
    t_ids, t_vec = load_vectors(store.engine, "audio", GLOBAL, "track")
    a_ids, _ = load_vectors(store.engine, "audio", GLOBAL, "artist")
    assert t_vec.shape == (235, 150) and a_ids.size == 627
    again = run_job(build_audio_vae(store, epochs=3, min_steps=100))
    assert (again["refit"], again["computed"]) == (False, 0)
    monkeypatch.setattr(refit, "SMALL", 10)
    with store.engine.begin() as conn:
        conn.execute(
            update(AudioFeatures)
            .where(AudioFeatures.item_kind == "track", AudioFeatures.item_id == int(t_ids[0]))
            .values(tempo=None)
        )
    one = run_job(build_audio_vae(store, epochs=3, min_steps=100))
    assert (one["refit"], one["computed"]) == (False, 1)
    model = load_model(store.engine, "audio_vae")
    assert model.fit_items == 862 and "stats.mean" in model.arrays


def test_vae_cancel_leaves_no_half_model(with_audio):
    token = CancelToken()
    token.cancel()
    with pytest.raises(Cancelled):
        run_job(build_audio_vae(with_audio, epochs=3, cancel=token))
    assert load_model(with_audio.engine, "audio_vae") is None


def test_tag_vectors_from_cooccurrence(erz_store):
    run_job(import_table(erz_store, HETREC, "tags", account="erzadel"))
    t0 = time.perf_counter()
    first = run_job(build_tag_embeddings(erz_store, epochs=3))
    assert (
        first["items"] == 643
        and first["computed"] + first["without_vector"] == 643
        and first["computed"] > 600
    )
    assert time.perf_counter() - t0 < 60
    vocab, vectors = tag_vectors(erz_store.engine)
    assert len(vocab) == vectors.shape[0] > 100 and "rock" in vocab
    again = run_job(build_tag_embeddings(erz_store, epochs=3))
    assert (again["refit"], again["computed"]) == (False, 0)
    sims = (
        vectors
        @ vectors[vocab.index("rock")]
        / (np.linalg.norm(vectors, axis=1) * np.linalg.norm(vectors[vocab.index("rock")]) + 1e-9)
    )
    near = [vocab[i] for i in np.argsort(-sims)[1:15]]
    assert any("rock" in t or t in {"alternative", "indie", "metal", "punk", "grunge"} for t in near), near


@pytest.mark.slow
def test_minilm_lyrics_embeddings(with_lyrics):
    """The packaged MiniLM, offline: 384-d unit vectors, PCA-150 stored, nothing recomputed on a rerun."""
    from core.features.embeddings.encoder import Encoder

    enc = Encoder("")
    assert enc.version.startswith("st:all-MiniLM-L6-v2") and enc.dim == 384
    v = enc.encode(["I miss you every night", "I miss you every night", "tax law reform"])
    assert np.allclose(v[0], v[1]) and np.allclose(np.linalg.norm(v, axis=1), 1.0, atol=1e-3)
    assert float(v[0] @ v[2]) < float(v[0] @ v[1])
    with with_lyrics.engine.begin() as conn:  # 40 real lyrics keep this test to seconds
        keep = select(Lyrics.track_id).order_by(Lyrics.track_id).limit(40).scalar_subquery()
        conn.execute(Lyrics.__table__.delete().where(Lyrics.track_id.not_in(keep)))
    first = run_job(build_text_embeddings(with_lyrics, "lyrics", encoder=enc))
    assert first["encoded"] == 40 and first["projected"] == 40
    assert load_vectors(with_lyrics.engine, "lyrics")[1].shape == (40, 150)  # 40 components, zero-padded
    again = run_job(build_text_embeddings(with_lyrics, "lyrics"))  # default model: the same packaged MiniLM
    assert again["encoded"] == 0
