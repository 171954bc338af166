"""Word2Vec (gensim CBOW) track vectors from an account's listening sessions.

A session is a sentence of track ids (docs/architecture.md §6 gap rule, consecutive duplicates collapsed).
Sessions of a single play carry no context, and a track seen only there would keep its random
initial vector, so they are left out: only tracks that co-occur with another play get a vector.
The vectors are per account (scope ``account:<id>``) and are rebuilt as a whole when the account's
sessions change (one input hash for the whole corpus): Word2Vec has no stable incremental update.
"""

from __future__ import annotations

import logging
from collections.abc import Generator, Sequence

import numpy as np

from core.features.embeddings.store import (
    account_scope,
    delete_vectors,
    digest,
    save_vectors,
    stored_versions,
)
from core.jobs import CancelToken, Progress

KIND = "w2v"
DIM = 150
WINDOW = 5
EPOCHS = 10
log = logging.getLogger(__name__)


def model_version(dim: int = DIM, window: int = WINDOW, epochs: int = EPOCHS, seed: int = 0) -> str:
    return f"gensim-w2v-cbow:d{dim}:w{window}:e{epochs}:s{seed}"


def train_word2vec(
    sentences: Sequence[Sequence[int]],
    *,
    dim: int = DIM,
    window: int = WINDOW,
    epochs: int = EPOCHS,
    seed: int = 0,
    workers: int = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """(item ids int64 [n], float32 [n, dim]) for every item in a sentence of ≥ 2 items."""
    from gensim.models import Word2Vec

    corpus = [[str(int(i)) for i in s] for s in sentences if len(s) >= 2]
    if not corpus:
        return np.empty(0, np.int64), np.empty((0, dim), np.float32)
    model = Word2Vec(
        corpus,
        vector_size=dim,
        window=window,
        min_count=1,
        sg=0,
        epochs=epochs,
        seed=seed,
        workers=workers,
        sorted_vocab=False,
    )
    keys = model.wv.index_to_key
    ids = np.fromiter((int(k) for k in keys), dtype=np.int64, count=len(keys))
    return ids, model.wv.vectors.astype(np.float32)


def account_sessions(engine, account_id: int, gap_s: int) -> list[np.ndarray]:
    """Track-id sequences of the account's sessions (duplicates collapsed)."""
    from core.sessions import sessionize
    from core.store.queries import load_plays

    frame = load_plays(engine, account_id)
    if len(frame) == 0:
        return []
    s = sessionize(frame, gap_s=gap_s)
    tracks = s.frame.track_id
    return [tracks[a:b] for a, b in zip(s.start.tolist(), s.end.tolist(), strict=True)]


def build_w2v(
    store,
    account_id: int,
    *,
    gap_s: int | None = None,
    dim: int = DIM,
    seed: int = 0,
    epochs: int = EPOCHS,
    force: bool = False,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, dict]:
    """Train and store the account's track vectors unless its sessions and the model are unchanged."""
    from core.settings import Settings

    cancel = cancel or CancelToken()
    gap_s = gap_s if gap_s is not None else Settings.load().session_gap_minutes * 60
    scope = account_scope(account_id)
    yield Progress(0, 3, "w2v: reading sessions")
    sessions = account_sessions(store.engine, account_id, gap_s)
    version = model_version(dim=dim, epochs=epochs, seed=seed)
    corpus_hash = digest(version, gap_s, *[s.astype(np.int64) for s in sessions if len(s) >= 2])
    old = stored_versions(store.engine, KIND, scope)
    if not force and old and all(v == (version, corpus_hash) for v in old.values()):
        return {"kind": KIND, "scope": scope, "computed": 0, "unchanged": len(old), "deleted": 0}
    cancel.raise_if_cancelled()
    yield Progress(1, 3, f"w2v: training on {len(sessions):,} sessions")
    ids, vecs = train_word2vec(sessions, dim=dim, epochs=epochs, seed=seed)
    cancel.raise_if_cancelled()
    yield Progress(2, 3, f"w2v: storing {len(ids):,} vectors")
    gone = set(old) - {("track", int(i)) for i in ids}
    with store.engine.begin() as conn:
        save_vectors(conn, KIND, scope, "track", ids, vecs, version, [corpus_hash] * len(ids))
        delete_vectors(conn, KIND, scope, gone)
    yield Progress(3, 3, "w2v: done")
    return {"kind": KIND, "scope": scope, "computed": int(len(ids)), "unchanged": 0, "deleted": len(gone)}
