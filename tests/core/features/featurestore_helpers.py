"""Shared setup for the feature tests: a real store with one real listener, copied per test."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import numpy as np
from testpaths import FEATURES, LISTENING

from core.jobs import run_job
from core.sources.importing import import_files
from core.store.engine import open_store

EDELGRACE = LISTENING / "edelgrace"
ERZADEL_HISTORY = EDELGRACE / "erzadel_cleaned.csv"
HIT_00S = FEATURES / "audio" / "spotify-hit-predictor" / "dataset-of-00s.csv"
DATA_BY_ARTIST = FEATURES / "audio" / "spotify-kaggle-160k-aggregates" / "data_by_artist.csv"
MUSICOSET = FEATURES / "audio" / "musicoset" / "musicoset_songfeatures" / "acoustic_features.csv"
MUSICOSET_LYRICS = (
    FEATURES / "audio" / "musicoset" / "musicoset_songfeatures" / "lyrics.TRUNCATED_931rows.csv"
)
TOP_HITS = FEATURES / "audio" / "spotify-top-hits-2000-2019" / "songs_normalize.csv"
POPLYRICS = FEATURES / "lyrics" / "lyrics-poplyrics-1k" / "poplyric-1k.parquet"
ARIANA = FEATURES / "lyrics" / "lyrics-song-lyrics-dataset-21-artists" / "ArianaGrande.csv"
HETREC = FEATURES / "tags" / "hetrec2011-lastfm-2k"


def build_template(folder: Path) -> Path:
    """A SQLite store holding the real erzadel history (29,662 scrobbles), built once per session."""
    db = folder / "erzadel.sqlite"
    store = open_store(f"sqlite:///{db}")
    report = run_job(import_files(store, [ERZADEL_HISTORY], "erzadel"))
    assert report.ok, report.failures
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.dispose()
    return db


def copy_store(template: Path, folder: Path):
    db = folder / "store.sqlite"
    shutil.copy(template, db)
    return open_store(f"sqlite:///{db}")


class HashEncoder:
    """A tiny deterministic text encoder (hashed words → 384-d) so versioning tests run in milliseconds;
    the real MiniLM path is covered by the slow test."""

    dim = 384

    def __init__(self, model_id: str = "hash-test-1"):
        self.version = f"st:{model_id}"

    def encode(self, texts: list[str], batch_size: int = 32) -> np.ndarray:
        out = np.zeros((len(texts), self.dim), np.float32)
        for r, text in enumerate(texts):
            for word in text.lower().split():
                h = int(hashlib.md5(word.encode()).hexdigest()[:8], 16)
                out[r, h % self.dim] += 1.0 if (h >> 9) & 1 else -1.0
        return out
