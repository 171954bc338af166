"""Genre classes from tags: tags → Word2Vec tag vectors → k-means → each item's genre mix.

1. Each tagged item is a "sentence" of its tags, strongest first (``tag_weights`` modality; repeated
   for items played more, so the listener's own music shapes the vectors). gensim Word2Vec (CBOW,
   window spanning the whole sentence) learns a vector per tag from which tags go together.
2. k-means on the tag vectors (each tag weighted by its total weight over the items) gives
   ``n_genres`` genre classes; a class is named by its three heaviest tags ("indie, dream pop, shoegaze").
3. An item's genre mix is the tag-weighted share of its tags in each class. Items without tags get
   the extra class "untagged" (the last column): a missing modality is a class of its own, never a
   zero vector posing as a genre.

Without raw tag weights but with a ``tags`` embedding, step 1–2 are replaced by k-means over the item
tag embeddings (hard assignment); without either, every item is "untagged".
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from models.base import ItemFeatures

UNTAGGED = "untagged"


@dataclass
class GenreMap:
    mix: np.ndarray  # float32 [n_items, G+1], rows sum to 1; last column = untagged
    names: list[str]  # G+1 class labels
    source: str  # "tag_weights+word2vec" | "tags-embedding" | "none"

    @property
    def n_classes(self) -> int:
        return int(self.mix.shape[1])


def _columns(features: ItemFeatures, modality: str) -> list[str] | None:
    getter = getattr(features, "columns", None) or getattr(features, "column_names", None)
    try:
        return list(getter(modality)) if getter is not None and getter(modality) is not None else None
    except KeyError:
        return None


def _untagged(n_items: int, source: str = "none") -> GenreMap:
    mix = np.zeros((n_items, 1), np.float32)
    mix[:, 0] = 1.0
    return GenreMap(mix, [UNTAGGED], source)


def build_genres(
    features: ItemFeatures | None,
    n_items: int,
    plays: np.ndarray,
    n_genres: int = 16,
    dim: int = 32,
    seed: int = 0,
) -> GenreMap:
    """Genre classes for the item space; ``plays`` = training plays per item (weights the corpus)."""
    mods = set(features.modalities()) if features is not None else set()
    if "tag_weights" in mods:
        mat, mask = features.matrix("tag_weights")
        names = _columns(features, "tag_weights") or [f"tag {j}" for j in range(mat.shape[1])]
        return _from_tag_weights(
            np.asarray(mat, np.float32), np.asarray(mask, bool), names, plays, n_genres, dim, seed
        )
    if "tags" in mods:
        mat, mask = features.matrix("tags")
        return _from_embedding(np.asarray(mat, np.float32), np.asarray(mask, bool), n_genres, seed)
    return _untagged(n_items)


def _from_tag_weights(
    mat: np.ndarray, mask: np.ndarray, names: list[str], plays: np.ndarray, n_genres: int, dim: int, seed: int
) -> GenreMap:
    from gensim.models import Word2Vec
    from sklearn.cluster import KMeans

    n = mat.shape[0]
    rows = np.flatnonzero(mask & (mat.sum(1) > 0))
    if rows.size == 0:
        return _untagged(n, "tag_weights (empty)")
    corpus = []
    for r in rows.tolist():
        cols = np.flatnonzero(mat[r] > 0)
        sentence = [str(c) for c in cols[np.argsort(-mat[r, cols], kind="stable")][:20]]
        repeat = 1 + int(min(4, np.log1p(plays[r]))) if r < plays.size else 1
        corpus.extend([sentence] * repeat)
    longest = max(len(s) for s in corpus)
    w2v = Word2Vec(
        corpus,
        vector_size=dim,
        window=max(2, longest),
        min_count=1,
        sg=0,
        epochs=30,
        seed=seed,
        workers=1,
        sorted_vocab=False,
    )
    tag_ids = np.array([int(k) for k in w2v.wv.index_to_key], dtype=np.int64)
    vecs = w2v.wv.vectors.astype(np.float64)
    vecs /= np.linalg.norm(vecs, axis=1, keepdims=True) + 1e-12
    tag_mass = mat[rows][:, tag_ids].sum(0).astype(np.float64)
    k = int(max(1, min(n_genres, tag_ids.size // 2 or 1)))
    km = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(vecs, sample_weight=tag_mass + 1e-6)
    cluster_of_col = np.full(mat.shape[1], -1, np.int64)
    cluster_of_col[tag_ids] = km.labels_
    onehot = np.zeros((mat.shape[1], k + 1), np.float32)
    known = cluster_of_col >= 0
    onehot[np.flatnonzero(known), cluster_of_col[known]] = 1.0
    mix = mat @ onehot
    total = mix.sum(1)
    mix[total > 0] /= total[total > 0, None]
    mix[total <= 0] = 0.0
    mix[total <= 0, k] = 1.0
    labels = []
    for c in range(k):
        cols = tag_ids[km.labels_ == c]
        top = cols[np.argsort(-tag_mass[km.labels_ == c], kind="stable")][:3]
        labels.append(", ".join(names[int(t)] for t in top))
    return GenreMap(mix.astype(np.float32), labels + [UNTAGGED], "tag_weights+word2vec")


def _from_embedding(mat: np.ndarray, mask: np.ndarray, n_genres: int, seed: int) -> GenreMap:
    from sklearn.cluster import KMeans

    n = mat.shape[0]
    rows = np.flatnonzero(mask)
    if rows.size < 2:
        return _untagged(n, "tags-embedding (empty)")
    k = int(max(1, min(n_genres, rows.size // 2)))
    x = mat[rows] / (np.linalg.norm(mat[rows], axis=1, keepdims=True) + 1e-12)
    km = KMeans(n_clusters=k, n_init=4, random_state=seed).fit(x)
    mix = np.zeros((n, k + 1), np.float32)
    mix[rows, km.labels_] = 1.0
    mix[~mask, k] = 1.0
    return GenreMap(mix, [f"genre {c + 1}" for c in range(k)] + [UNTAGGED], "tags-embedding")
