"""Content similarity from the embeddings ``core.features`` builds: one unit vector per track or artist.

Kinds (``core.features.embeddings``): ``tags`` (tag Word2Vec, track or artist tags), ``audio``
(acoustic VAE latent of the 11 audio features, track rows or the artist's), ``lyrics`` (MiniLM →
PCA 150, track level only) and ``bio`` (MiniLM of the artist's bio, artist level only). These are
the vectors ``models.features`` serves as ``ItemFeatures``; they are read here once per level so an
artist's vector is stored once however many candidate tracks fall back to it.

A track without a vector of its own takes its artist's (as ``models.features`` does); a track with
neither has no row (``item_row`` -1) and its similarity feature is reported *missing* — the
ranker gets a presence bit beside it, never a zero vector passed off as data. Vectors are centred
on the mean of the rows (a shared offset would make every cosine look alike) and unit-normalised,
so ``vectors @ profile`` is a cosine.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np
from sqlalchemy import Engine

from models.discovery.space import DiscoverySpace, dense_index

TRACK_KINDS = ("tags", "audio", "lyrics")
ARTIST_KINDS = ("tags", "audio", "bio")
KINDS = ("tags", "audio", "lyrics", "bio")


@dataclass
class ContentIndex:
    kind: str
    vectors: np.ndarray  # float32 [n_rows, d], centred, unit norm
    item_row: np.ndarray  # int64 [n_items]: the track's row, else its artist's, else -1
    artist_row: np.ndarray  # int64 [n_artists]: the artist's row, -1 none

    @property
    def dim(self) -> int:
        return int(self.vectors.shape[1])

    @cached_property
    def placed(self) -> tuple[np.ndarray, np.ndarray]:
        """(the items that have a row, their rows): scoring scatters per-row values onto items once."""
        items = np.flatnonzero(self.item_row >= 0)
        return items, self.item_row[items]

    def item_coverage(self) -> float:
        return float((self.item_row >= 0).mean()) if self.item_row.size else 0.0


def load_content(
    engine: Engine, dspace: DiscoverySpace, kinds: tuple[str, ...] = KINDS
) -> dict[str, ContentIndex]:
    """Every kind in ``kinds`` the store has vectors for (kinds without any vector are left out)."""
    from core.features.embeddings.store import load_vectors

    space = dspace.space
    out: dict[str, ContentIndex] = {}
    for kind in kinds:
        t_ids, t_vec = (
            (np.empty(0, np.int64), None) if kind == "bio" else load_vectors(engine, kind, "", "track")
        )
        a_ids, a_vec = (
            (np.empty(0, np.int64), None) if kind == "lyrics" else load_vectors(engine, kind, "", "artist")
        )
        t_pos = dense_index(space.track_ids, t_ids)
        a_pos = dense_index(space.artist_ids, a_ids)
        t_keep, a_keep = t_pos >= 0, a_pos >= 0
        parts = [v[k] for v, k in ((t_vec, t_keep), (a_vec, a_keep)) if v is not None and k.any()]
        if not parts:
            continue
        mat = np.concatenate(parts).astype(np.float32)
        n_t = int(t_keep.sum())
        artist_row = np.full(space.n_artists, -1, np.int64)
        artist_row[a_pos[a_keep]] = n_t + np.arange(int(a_keep.sum()))
        item_row = np.full(len(space), -1, np.int64)
        item_row[t_pos[t_keep]] = np.arange(n_t)
        fallback = (item_row < 0) & (artist_row[space.artist_of] >= 0)
        item_row[fallback] = artist_row[space.artist_of[fallback]]
        out[kind] = ContentIndex(kind, _unit(mat), item_row, artist_row)
    return out


def _unit(mat: np.ndarray) -> np.ndarray:
    mat = mat - mat.mean(axis=0, keepdims=True)
    norms = np.linalg.norm(mat, axis=1, keepdims=True)
    return np.divide(mat, norms, out=np.zeros_like(mat), where=norms > 1e-9).astype(np.float32)
