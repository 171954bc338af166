"""Item-embedding initialisations learned from the training sessions: Word2Vec (ANNW) and LSA.

Both see only plays before the validation cut. Items absent there keep a random row. Each result
is rescaled to the standard deviation of the random initialisation so the learning rate means the
same thing for every variant.
"""

from __future__ import annotations

import zlib

import numpy as np

from models.base import TrainData


def training_sessions(data: TrainData, cut: int) -> list[np.ndarray]:
    """Session item sequences of the first ``cut`` training plays."""
    items, session = data.items[:cut], data.session[:cut]
    if items.size == 0:
        return []
    return np.split(items, np.flatnonzero(np.diff(session)) + 1)


def _stable_hash(text: str) -> int:
    # gensim seeds each word vector with hash(seed + word); Python's str hash varies per process.
    return zlib.crc32(text.encode())


def _rescale(vectors: np.ndarray, std: float) -> np.ndarray:
    vectors = vectors - vectors.mean(axis=0)
    return vectors * (std / max(float(vectors.std()), 1e-8))


def word2vec_init(
    sessions: list[np.ndarray],
    n_items: int,
    dim: int,
    seed: int,
    std: float,
    window: int = 5,
    epochs: int = 10,
) -> tuple[np.ndarray, np.ndarray]:
    """gensim CBOW vectors for the items of ``sessions``; random rows elsewhere."""
    from gensim.models import Word2Vec

    rng = np.random.default_rng(seed)
    init = rng.normal(0, std, (n_items, dim))
    has = np.zeros(n_items, dtype=bool)
    sentences = [[str(int(i)) for i in s] for s in sessions if s.size]
    if not sentences:
        return init.astype(np.float32), has
    w2v = Word2Vec(
        sentences=sentences,
        vector_size=dim,
        window=window,
        min_count=1,
        sg=0,
        workers=1,
        seed=seed,
        epochs=epochs,
        hashfxn=_stable_hash,
    )
    keys = np.array([int(k) for k in w2v.wv.index_to_key], dtype=np.int64)
    init[keys] = _rescale(np.asarray(w2v.wv.vectors, dtype=np.float64), std)
    has[keys] = True
    return init.astype(np.float32), has


def lsa_init(
    sessions: list[np.ndarray], n_items: int, dim: int, seed: int, std: float
) -> tuple[np.ndarray, np.ndarray]:
    """Truncated SVD of the TF-IDF weighted item × session count matrix (U·√Σ rows)."""
    from scipy.sparse import csr_matrix
    from sklearn.decomposition import TruncatedSVD

    rng = np.random.default_rng(seed)
    init = rng.normal(0, std, (n_items, dim))
    has = np.zeros(n_items, dtype=bool)
    sessions = [s for s in sessions if s.size]
    if not sessions:
        return init.astype(np.float32), has
    rows = np.concatenate(sessions)
    cols = np.repeat(np.arange(len(sessions)), [s.size for s in sessions])
    counts = csr_matrix((np.ones(rows.size), (rows, cols)), shape=(n_items, len(sessions)))
    counts.sum_duplicates()
    df = np.diff(counts.indptr)  # sessions each item occurs in
    idf = np.log((1.0 + len(sessions)) / (1.0 + df)) + 1.0
    tfidf = counts.copy()
    tfidf.data = np.log1p(tfidf.data)
    tfidf = tfidf.multiply(idf[:, None]).tocsr()
    seen = np.flatnonzero(np.diff(tfidf.indptr) > 0)
    k = min(dim, len(seen) - 1, len(sessions) - 1)
    if k < 1:
        return init.astype(np.float32), has
    svd = TruncatedSVD(n_components=k, random_state=seed, algorithm="randomized", n_iter=7)
    u = svd.fit_transform(tfidf[seen])  # U·Σ
    vectors = u / np.sqrt(np.maximum(svd.singular_values_, 1e-12))  # U·√Σ
    block = _rescale(vectors, std)
    init[seen, :k] = block
    has[seen] = True
    return init.astype(np.float32), has
