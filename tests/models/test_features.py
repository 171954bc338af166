"""models.features: the ItemFeatures adapter over a real store (erzadel + real feature tables)."""

from __future__ import annotations

import hashlib
import shutil

import numpy as np
import pytest
from sqlalchemy import select
from testpaths import FEATURES, LISTENING

from core.features.embeddings.store import account_scope, load_vectors
from core.features.embeddings.tagvec import build_tag_embeddings
from core.features.embeddings.text import build_text_embeddings
from core.features.embeddings.vae import build_audio_vae
from core.features.embeddings.w2v import build_w2v
from core.features.tables import import_table
from core.jobs import run_job
from core.sources.importing import import_files
from core.store.engine import open_store
from core.store.schema import Scrobble, Track
from models.base import ItemSpace
from models.features import (
    ARTIST_LEVEL,
    TRACK_LEVEL,
    ModalityMatrix,
    StaticItemFeatures,
    load_item_features,
    w2v_from_sessions,
)

EDELGRACE = LISTENING / "edelgrace"


class _HashEncoder:
    """Deterministic stand-in for MiniLM (hashed words → 384-d): the adapter only reads stored vectors."""

    dim = 384
    version = "st:hash-test"

    def encode(self, texts, batch_size=32):
        out = np.zeros((len(texts), self.dim), np.float32)
        for r, t in enumerate(texts):
            for w in t.lower().split():
                h = int(hashlib.md5(w.encode()).hexdigest()[:8], 16)
                out[r, h % self.dim] += 1.0
        return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("features-store")
    store = open_store(f"sqlite:///{folder / 'store.sqlite'}")
    assert run_job(import_files(store, [EDELGRACE / "erzadel_cleaned.csv"], "erzadel")).ok
    for path, kind in (
        (FEATURES / "audio" / "spotify-hit-predictor" / "dataset-of-00s.csv", "audio"),
        (FEATURES / "audio" / "spotify-kaggle-160k-aggregates" / "data_by_artist.csv", "audio"),
        (EDELGRACE / "lyrics.csv", "lyrics"),
        (EDELGRACE / "artists.csv", "tags"),
    ):
        run_job(import_table(store, path, kind, account="erzadel"))
    run_job(build_text_embeddings(store, "lyrics", encoder=_HashEncoder()))
    run_job(build_tag_embeddings(store, epochs=1))
    run_job(build_audio_vae(store, epochs=2, min_steps=100))
    run_job(build_w2v(store, 1, gap_s=7200, epochs=2))
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(Track.id, Track.artist_id)
            .where(Track.id.in_(select(Scrobble.track_id).distinct()))
            .order_by(Track.id)
        ).all()
    tracks = np.array([r[0] for r in rows] + [10**9], np.int64)  # + one id the store does not know
    _, artist_of = np.unique(np.array([r[1] for r in rows] + [-1]), return_inverse=True)
    space = ItemSpace(tracks, artist_of.astype(np.int64))
    yield store, space
    store.dispose()
    shutil.rmtree(folder, ignore_errors=True)


def test_modalities_shapes_and_masks(built):
    store, space = built
    f = load_item_features(store.engine, space, account="erzadel")
    n = len(space)
    assert f.modalities() == ["audio_raw", "audio", "lyrics", "tags", "tag_weights", "w2v"]
    dims = {"audio_raw": 11, "audio": 150, "lyrics": 150, "tags": 150, "w2v": 150}
    for m in f.modalities():
        x, mask = f.matrix(m)
        assert x.dtype == np.float32 and mask.dtype == bool and x.shape[0] == n and mask.shape == (n,)
        assert np.isfinite(x).all()
        assert not x[~mask].any()  # absent rows are zeros *and* masked out
        assert not mask[-1]  # the unknown track has nothing
        assert m == "tag_weights" or x.shape[1] == dims[m]
        lvl = f.level(m)
        assert ((lvl > 0) == mask).all()
    assert f.columns("audio_raw")[0] == "acousticness" and len(f.columns("audio_raw")) == 11


def test_track_level_counts_match_the_store(built):
    store, space = built
    f = load_item_features(store.engine, space, account="erzadel")
    _, lyr = f.matrix("lyrics")
    assert lyr.sum() == 226 and (f.level("lyrics")[lyr] == TRACK_LEVEL).all()
    _, audio = f.matrix("audio_raw")
    lvl = f.level("audio_raw")
    assert (lvl == TRACK_LEVEL).sum() == 235  # hit-predictor tracks
    assert (lvl == ARTIST_LEVEL).sum() > 3 * 235  # data_by_artist and table means fill in by artist
    _, vae = f.matrix("audio")
    assert (f.level("audio") == lvl).all() and vae.sum() == audio.sum()
    assert (f.level("tags")[f.matrix("tags")[1]] == ARTIST_LEVEL).all()  # only artist tag lists were imported
    ids, _ = load_vectors(store.engine, "w2v", account_scope(1))
    assert f.matrix("w2v")[1].sum() == np.isin(space.track_ids, ids).sum()


def test_without_artist_fallback(built):
    store, space = built
    f = load_item_features(store.engine, space, account="erzadel", artist_fallback=False)
    assert f.matrix("audio_raw")[1].sum() == 235
    assert not f.matrix("tags")[1].any() and not f.matrix("tag_weights")[1].any()
    assert "tags" not in f.modalities()


def test_audio_raw_is_standardised_with_column_masks(built):
    store, space = built
    f = load_item_features(store.engine, space)
    x, mask = f.matrix("audio_raw")
    cm = f.column_mask("audio_raw")
    assert cm.shape == x.shape and (cm.any(1) == mask).all()
    known = x[cm.astype(bool)]
    assert np.abs(known).max() <= 5.0 and abs(float(np.mean(known))) < 0.5


def test_tag_weights_vocabulary(built):
    store, space = built
    f = load_item_features(store.engine, space, tag_vocab=50)
    x, mask = f.matrix("tag_weights")
    vocab = f.columns("tag_weights")
    assert x.shape == (len(space), 50) == (len(space), len(vocab))
    assert len(set(vocab)) == 50 and "rock" in vocab
    assert (x[mask].max(1) <= 1.0).all() and x.min() >= 0.0


def test_w2v_account_is_inferred(built):
    store, space = built
    a = load_item_features(store.engine, space, account="erzadel").matrix("w2v")
    b = load_item_features(store.engine, space).matrix("w2v")
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])


def test_w2v_from_training_sessions_only():
    sessions = [np.array([0, 1, 2, 1]), np.array([2, 3]), np.array([4])]  # item 4 never has context
    mm = w2v_from_sessions(sessions, 6, dim=16, epochs=2)
    assert mm.matrix.shape == (6, 16) and mm.mask.tolist() == [True, True, True, True, False, False]


def test_static_item_features():
    mask = np.array([True, False, True])
    f = StaticItemFeatures(3, {"audio": (np.ones((3, 4)), mask)})
    x, m = f.matrix("audio")
    assert x.dtype == np.float32 and x[1].sum() == 0 and f.modalities() == ["audio"]
    assert f.coverage() == {"audio": {"track": 2, "artist": 0, "absent": 1}}
    with pytest.raises(ValueError):
        f.set("lyrics", (np.ones((2, 4)), mask[:2]))
    with pytest.raises(KeyError):
        f.matrix("nope")
    f.set("tags", ModalityMatrix(np.ones((3, 2), np.float32), mask, np.array([2, 0, 1], np.int8)))
    assert f.level("tags").tolist() == [2, 0, 1]
