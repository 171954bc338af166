"""Sentence embeddings of lyrics (per track) and bios (per artist), then PCA to 150 dimensions.

Two vector kinds per source: ``<source>_st`` holds the encoder output (384-d for MiniLM), keyed by a
hash of the cleaned text and the model id, so only new or edited texts are encoded (batch by batch,
each batch committed: a cancelled or killed run resumes where it stopped). ``<source>`` holds the
PCA-150 projection. The PCA basis is fitted **globally** — over every encoded text in the store, all
accounts together — because lyrics and bios describe the item, not the listener, and more texts give
a steadier basis; it is stored in ``feature_model`` and refitted only as ``refit.needs_refit`` says.
With fewer texts than 150 the basis has fewer components and the remaining dimensions are zero.
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np
from sqlalchemy import select

from core.features.embeddings.encoder import Encoder, clean_bio, clean_lyrics, encoder_version
from core.features.embeddings.refit import needs_refit
from core.features.embeddings.store import (
    GLOBAL,
    delete_vectors,
    digest,
    load_model,
    load_vectors,
    save_model,
    save_vectors,
    stored_versions,
)
from core.jobs import CancelToken, Progress
from core.store.schema import ArtistInfo, Lyrics

PCA_DIM = 150
SOURCES = {"lyrics": "track", "bio": "artist"}


def read_texts(engine, source: str) -> dict[int, str]:
    """item id → cleaned text (empty texts left out)."""
    with engine.connect() as conn:
        if source == "lyrics":
            rows = conn.execute(select(Lyrics.track_id, Lyrics.text)).all()
            clean = clean_lyrics
        else:
            rows = [
                (a, c or s)
                for a, s, c in conn.execute(
                    select(ArtistInfo.artist_id, ArtistInfo.summary, ArtistInfo.content)
                )
            ]
            clean = clean_bio
    out = {}
    for item, text in rows:
        t = clean(text or "")
        if t:
            out[int(item)] = t
    return out


def build_text_embeddings(
    store,
    source: str,
    *,
    encoder: Encoder | None = None,
    batch: int = 64,
    force: bool = False,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, dict]:
    """Encode new/changed ``source`` texts ("lyrics" | "bio"), then (re)project them to PCA-150."""
    if source not in SOURCES:
        raise ValueError(f"unknown text source {source!r}")
    cancel = cancel or CancelToken()
    item_kind = SOURCES[source]
    st_kind = f"{source}_st"
    texts = read_texts(store.engine, source)
    yield Progress(0, None, f"{source}: {len(texts):,} texts")
    old = stored_versions(store.engine, st_kind, GLOBAL)
    hashes = {i: digest(t) for i, t in texts.items()}
    enc_version = encoder.version if encoder is not None else encoder_version()
    todo = [i for i in sorted(texts) if force or old.get((item_kind, i)) != (enc_version, hashes[i])]
    if todo and encoder is None:
        encoder = Encoder()  # loading the model costs seconds: only when there is something to encode
    gone = [k for k in old if k[1] not in texts]
    if gone:
        with store.engine.begin() as conn:
            delete_vectors(conn, st_kind, GLOBAL, gone)
            delete_vectors(conn, source, GLOBAL, gone)
    for start in range(0, len(todo), batch):
        cancel.raise_if_cancelled()
        part = todo[start : start + batch]
        vecs = encoder.encode([texts[i] for i in part])
        with store.engine.begin() as conn:
            save_vectors(conn, st_kind, GLOBAL, item_kind, part, vecs, enc_version, [hashes[i] for i in part])
        yield Progress(start + len(part), len(todo), f"{source}: encoded {start + len(part):,}/{len(todo):,}")
    projected = yield from _project(store, source, item_kind, force=force, cancel=cancel)
    return {
        "kind": source,
        "encoded": len(todo),
        "unchanged": len(texts) - len(todo),
        "deleted": len(gone),
        **projected,
    }


def fit_pca(x: np.ndarray, dim: int) -> tuple[np.ndarray, np.ndarray, float]:
    """(mean, components [k, d], explained variance share) by SVD; each component's sign is fixed so its
    largest loading is positive (deterministic across runs)."""
    x64 = np.asarray(x, np.float64)
    mean = x64.mean(0)
    _, sv, vt = np.linalg.svd(x64 - mean, full_matrices=False)
    k = min(dim, len(x64), x64.shape[1])
    comps = vt[:k]
    signs = np.sign(comps[np.arange(k), np.abs(comps).argmax(1)])
    comps = comps * np.where(signs == 0, 1, signs)[:, None]
    total = float((sv**2).sum())
    explained = float((sv[:k] ** 2).sum() / total) if total > 0 else 0.0
    return mean.astype(np.float32), comps.astype(np.float32), explained


def _project(
    store, source: str, item_kind: str, *, force: bool, cancel: CancelToken
) -> Generator[Progress, None, dict]:
    st_kind = f"{source}_st"
    ids, x = load_vectors(store.engine, st_kind, GLOBAL, item_kind)
    st_versions = stored_versions(store.engine, st_kind, GLOBAL)
    if not ids.size:
        return {"pca_refit": False, "projected": 0}
    versions = [st_versions[(item_kind, int(i))][0] for i in ids.tolist()]
    upstream = max(set(versions), key=versions.count)  # mixed only after a cancelled model change
    same = np.array([v == upstream for v in versions])
    ids, x = ids[same], x[same]
    in_hash = [st_versions[(item_kind, int(i))][1] for i in ids.tolist()]
    fit_hash = digest(upstream, ids, *in_hash)
    name = f"{source}_pca"
    model = load_model(store.engine, name)
    refit = needs_refit(model, fit_hash=fit_hash, n_items=len(ids), upstream=upstream, force=force)
    if refit:
        yield Progress(0, None, f"{source}: fitting PCA on {len(ids):,} vectors")
        mean, comps, explained = fit_pca(x, PCA_DIM)
        k = comps.shape[0]
        version = f"pca{PCA_DIM}:{digest(mean, comps)}"
        with store.engine.begin() as conn:
            save_model(
                conn,
                name,
                GLOBAL,
                version=version,
                fit_hash=fit_hash,
                fit_items=len(ids),
                params={"upstream": upstream, "components": k, "explained_variance": explained},
                arrays={"mean": mean, "components": comps},
            )
    else:
        mean, comps, version = model.arrays["mean"], model.arrays["components"], model.version
    cancel.raise_if_cancelled()
    old = stored_versions(store.engine, source, GLOBAL)
    stale = np.array(
        [old.get((item_kind, int(i))) != (version, h) for i, h in zip(ids.tolist(), in_hash, strict=True)]
    )
    if stale.any():
        proj = np.zeros((int(stale.sum()), PCA_DIM), np.float32)
        proj[:, : comps.shape[0]] = (x[stale] - mean) @ comps.T
        with store.engine.begin() as conn:
            save_vectors(
                conn,
                source,
                GLOBAL,
                item_kind,
                ids[stale].tolist(),
                proj,
                version,
                [h for h, s in zip(in_hash, stale, strict=True) if s],
            )
    return {"pca_refit": refit, "projected": int(stale.sum())}
