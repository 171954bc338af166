"""Artist edges as proximity: how close each artist is to a weighting of the artists someone played.

``proximity(w)[b] = Σ_a w[a] · E[a, b]`` with ``E`` the seed → similar matrix of one edge group
(``DiscoverySpace.edge_group``) and ``w`` the listener's artists in the session or in rotation
(normalised to sum 1), so the value is a weighted mean edge strength in [0, 1] when edge weights are
(Last.fm's match, a cosine). ``anchor`` names the played artist that contributes most — the "similar
to X" of a reason.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp


class ArtistGraph:
    def __init__(self, edges: sp.csr_matrix):
        self.edges = edges.tocsr()
        self.transposed = edges.T.tocsr()  # row b: the seeds a that list b, with E[a, b]

    @property
    def n_edges(self) -> int:
        return int(self.edges.nnz)

    def proximity(self, weights: np.ndarray) -> np.ndarray:
        """float64 [n_artists]; ``weights`` [n_artists] (need not be normalised: divided by its sum)."""
        total = float(weights.sum())
        if self.edges.nnz == 0 or total <= 0:
            return np.zeros(self.edges.shape[1])
        return self.transposed @ (weights / total)

    def anchor(self, weights: np.ndarray, artist: int) -> tuple[int, float]:
        """(played artist a maximising weights[a]·E[a, artist], that edge's weight E[a, artist]);
        (-1, 0.0) when no weighted artist lists ``artist``."""
        lo, hi = self.transposed.indptr[artist], self.transposed.indptr[artist + 1]
        seeds, w = self.transposed.indices[lo:hi], self.transposed.data[lo:hi]
        if seeds.size == 0:
            return -1, 0.0
        contrib = weights[seeds] * w
        j = int(np.argmax(contrib))
        if contrib[j] <= 0:
            return -1, 0.0
        return int(seeds[j]), float(w[j])


def cosine_knn(matrix: sp.csr_matrix, k: int = 50, min_common: int = 2) -> sp.csr_matrix:
    """Item–item cosine kNN of the rows of a user-weighted item × user matrix: for every row its ``k``
    most similar other rows sharing at least ``min_common`` users (the co-listen kNN baseline's graph)."""
    m = matrix.tocsr().astype(np.float64)
    norms = np.sqrt(np.asarray(m.multiply(m).sum(axis=1)).ravel())
    inv = np.divide(1.0, norms, out=np.zeros_like(norms), where=norms > 0)
    unit = sp.diags(inv) @ m
    binary = m.copy()
    binary.data[:] = 1.0
    sim = (unit @ unit.T).tocsr()
    common = (binary @ binary.T).tocsr()  # weights are positive: the same pattern as ``sim``
    sim.sort_indices()
    common.sort_indices()
    assert np.array_equal(sim.indptr, common.indptr)
    rows, cols, vals = [], [], []
    for a in range(sim.shape[0]):
        lo, hi = sim.indptr[a], sim.indptr[a + 1]
        c, v = sim.indices[lo:hi], sim.data[lo:hi]
        ok = (c != a) & (common.data[lo:hi] >= min_common)
        c, v = c[ok], v[ok]
        if c.size > k:
            top = np.argpartition(-v, k - 1)[:k]
            c, v = c[top], v[top]
        rows.append(np.full(c.size, a))
        cols.append(c)
        vals.append(v)
    n = sim.shape[0]
    if not rows:
        return sp.csr_matrix((n, n))
    return sp.csr_matrix((np.concatenate(vals), (np.concatenate(rows), np.concatenate(cols))), shape=(n, n))
