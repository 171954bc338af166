"""Tag embeddings: gensim Word2Vec over tag co-occurrence, averaged per item with its tag weights.

Each tagged item (track or artist) is one "sentence" of its tags, strongest first; skip-gram with a
window spanning the whole list learns which tags go together. Tags on fewer than ``MIN_COUNT``
items get no vector. An item's embedding is the weighted mean of its tags' vectors (weights scaled
per item, see ``tagdata``); an item none of whose tags has a vector gets none. The tag model is fitted
globally on every tagged item in the store and stored in ``feature_model``; ``tag_vectors`` exposes it
(e.g. for k-means genre classes).
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np

from core.features.embeddings.refit import needs_refit
from core.features.embeddings.store import (
    GLOBAL,
    delete_vectors,
    digest,
    load_model,
    save_model,
    save_vectors,
    stored_versions,
)
from core.features.embeddings.tagdata import load_item_tags
from core.jobs import CancelToken, Progress

KIND = "tags"
MODEL = "tag_w2v"
DIM = 150
MIN_COUNT = 2
EPOCHS = 10
MAX_TAGS = 30
UPSTREAM = f"tag-w2v:sg:d{DIM}:min{MIN_COUNT}:top{MAX_TAGS}"


def _sentence(tags: dict[str, float]) -> list[str]:
    return [t for t, _ in sorted(tags.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_TAGS]]


def train_tag_vectors(
    item_tags: dict, *, epochs: int = EPOCHS, seed: int = 0, workers: int = 2
) -> tuple[list[str], np.ndarray]:
    """(vocabulary, float32 [n_tags, DIM]) from {item: {tag: weight}}."""
    from gensim.models import Word2Vec

    corpus = [_sentence(d) for _, d in sorted(item_tags.items()) if len(d) >= 2]
    if not corpus:
        return [], np.empty((0, DIM), np.float32)
    model = Word2Vec(
        corpus,
        vector_size=DIM,
        window=MAX_TAGS,
        min_count=MIN_COUNT,
        sg=1,
        epochs=epochs,
        seed=seed,
        workers=workers,
    )
    return list(model.wv.index_to_key), model.wv.vectors.astype(np.float32)


def _vocab_array(vocab: list[str]) -> np.ndarray:
    return np.frombuffer("\n".join(vocab).encode("utf-8"), dtype=np.uint8).copy()


def tag_vectors(engine) -> tuple[list[str], np.ndarray]:
    """The stored tag model: (vocabulary of tag keys, float32 [n_tags, DIM]); empty before a build."""
    model = load_model(engine, MODEL)
    if model is None:
        return [], np.empty((0, DIM), np.float32)
    raw = model.arrays["vocab"].tobytes().decode("utf-8")
    return (raw.split("\n") if raw else []), model.arrays["vectors"]


def item_vector(tags: dict[str, float], index: dict[str, int], vectors: np.ndarray) -> np.ndarray | None:
    rows = [(index[t], w) for t, w in tags.items() if t in index]
    if not rows:
        return None
    idx = np.array([r[0] for r in rows])
    w = np.array([r[1] for r in rows], np.float32)
    return (w[:, None] * vectors[idx]).sum(0) / w.sum()


def build_tag_embeddings(
    store, *, epochs: int = EPOCHS, seed: int = 0, force: bool = False, cancel: CancelToken | None = None
) -> Generator[Progress, None, dict]:
    cancel = cancel or CancelToken()
    item_tags = load_item_tags(store.engine)
    yield Progress(0, None, f"tags: {len(item_tags):,} tagged items")
    old = stored_versions(store.engine, KIND, GLOBAL)
    gone = set(old) - set(item_tags)
    fit_hash = digest(*[(k, sorted(d.items())) for k, d in sorted(item_tags.items())])
    model = load_model(store.engine, MODEL)
    refit = bool(item_tags) and needs_refit(
        model,
        fit_hash=fit_hash,
        n_items=len(item_tags),
        upstream=f"{UPSTREAM}:e{epochs}:s{seed}",
        force=force,
    )
    if refit:
        yield Progress(0, None, "tags: training tag Word2Vec")
        vocab, vectors = train_tag_vectors(item_tags, epochs=epochs, seed=seed)
        version = f"tagw2v{DIM}:{digest(_vocab_array(vocab), vectors)}"
        with store.engine.begin() as conn:
            save_model(
                conn,
                MODEL,
                GLOBAL,
                version=version,
                fit_hash=fit_hash,
                fit_items=len(item_tags),
                params={"upstream": f"{UPSTREAM}:e{epochs}:s{seed}", "tags": len(vocab)},
                arrays={"vocab": _vocab_array(vocab), "vectors": vectors},
            )
    elif model is not None:
        vocab, vectors = tag_vectors(store.engine)
        version = model.version
    else:
        vocab, vectors, version = [], np.empty((0, DIM), np.float32), ""
    cancel.raise_if_cancelled()
    index = {t: i for i, t in enumerate(vocab)}
    computed = {"track": ([], [], []), "artist": ([], [], [])}
    no_vector = []
    for key, tags in item_tags.items():
        h = digest(sorted((t, round(w, 6)) for t, w in tags.items() if t in index))
        if not force and old.get(key) == (version, h):
            continue
        vec = item_vector(tags, index, vectors)
        if vec is None:
            no_vector.append(key)
            continue
        ids, vecs, hashes = computed[key[0]]
        ids.append(key[1])
        vecs.append(vec)
        hashes.append(h)
    with store.engine.begin() as conn:
        for kind, (ids, vecs, hashes) in computed.items():
            if ids:
                save_vectors(conn, KIND, GLOBAL, kind, ids, np.stack(vecs), version, hashes)
        delete_vectors(conn, KIND, GLOBAL, gone | (set(no_vector) & set(old)))
    n = sum(len(v[0]) for v in computed.values())
    yield Progress(1, 1, f"tags: {n:,} item vectors computed")
    return {
        "kind": KIND,
        "items": len(item_tags),
        "refit": refit,
        "computed": n,
        "without_vector": len(no_vector),
        "deleted": len(gone),
    }
