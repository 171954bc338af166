"""``DiscoverySpace``: the listener's tracks and the catalogue's candidates in one item space.

Discovery models follow the ``Recommender`` protocol, so the plays they are shown are dense indices
into an ``ItemSpace``. Here that space is the union of every track the listener played and every
track the catalogue lists (dense order = store track id order; synthetic negative ids — tracks of a
benchmark history the store does not hold — sort first). ``candidate`` marks the tracks a model may
rank: the catalogue's, and only while the listener has not played them (the model's state keeps
that up to date play by play). The artist index covers the listener's artists, the candidates'
artists and every artist the catalogue names (similar-artist answers), so ``artist_pool`` — the
artists a new-artist ranking may name — is fixed for a given catalogue.

The catalogue's evidence (``core.catalogue.query.Catalogue``) is re-indexed onto the space: per track
source its best rank, score and seed (as dense indices, so reasons can name them), and per artist
source a sparse seed → similar matrix (``edges``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import scipy.sparse as sp
from sqlalchemy import Engine, func, select

from core.store.schema import Scrobble
from models.base import ItemSpace

if TYPE_CHECKING:
    from core.catalogue.query import Catalogue

TRACK_SOURCES: tuple[str, ...] = (
    "lastfm.artist.getTopTracks",
    "lastfm.track.getSimilar",
    "lastfm.tag.getTopTracks",
    "listenbrainz.lb_radio",
    "listenbrainz.top_recordings",
    "local.accounts",
    "local.tables",
)
"""Track-level sources the ranker has a feature for (a fixed list: saved weights keep their meaning)."""

EDGE_GROUPS: dict[str, tuple[str, ...]] = {
    "similar": ("lastfm.artist.getSimilar", "listenbrainz.similar_artists"),
    "colisten": ("bench.hetrec_colisten",),
}
"""Artist-level sources by what their edges mean: a service's "similar artists", or co-listening
counted from other people's histories (benchmark-only graphs)."""


@dataclass
class SourceColumn:
    """One track source's evidence aligned with the space (``rank`` inf where the source does not list
    the track; seeds as dense indices, -1 when the answer had none)."""

    rank: np.ndarray
    score: np.ndarray
    seed_artist: np.ndarray
    seed_track: np.ndarray
    seed_account: np.ndarray
    seed_tag: np.ndarray
    seed_weight: np.ndarray
    hits: np.ndarray


@dataclass
class DiscoverySpace:
    space: ItemSpace
    candidate: np.ndarray  # bool [n_items]: listed by the catalogue
    album_of: np.ndarray  # int64 [n_items]: dense album as other accounts' plays name it, -1 unknown
    album_ids: np.ndarray  # int64 [n_albums]: store album id per dense album (the listener's too)
    popularity: np.ndarray  # float64 [n_items]: log1p listeners (web) or local listeners, NaN unknown
    local_listeners: np.ndarray  # int32 [n_items]: other local accounts that played it
    sources: dict[str, SourceColumn] = field(default_factory=dict)
    artist_pool: np.ndarray = field(default_factory=lambda: np.zeros(0, bool))  # bool [n_artists]
    edges: dict[str, sp.csr_matrix] = field(default_factory=dict)  # source → [n_artists, n_artists]

    def __len__(self) -> int:
        return len(self.space)

    @property
    def n_artists(self) -> int:
        return self.space.n_artists

    @property
    def n_albums(self) -> int:
        return int(self.album_ids.size)

    def album_index(self, store_album_ids: np.ndarray) -> np.ndarray:
        """Dense album indices of store album ids (-1 unknown)."""
        return dense_index(self.album_ids, store_album_ids)

    def edge_group(self, group: str) -> sp.csr_matrix:
        """The sum of the group's edge matrices (an empty matrix when the catalogue has none)."""
        n = self.n_artists
        out = sp.csr_matrix((n, n), dtype=np.float64)
        for name in EDGE_GROUPS[group]:
            if name in self.edges:
                out = out + self.edges[name]
        return out


def build_space(
    engine: Engine | None,
    catalogue: Catalogue | None,
    history_tracks: np.ndarray,
    history_artists: np.ndarray,
    history_albums: np.ndarray | None = None,
) -> DiscoverySpace:
    """The space of the listener's tracks (store ids, with their artists and the albums their plays
    name; negative ids are tracks the store does not hold) and the catalogue's candidates.
    ``catalogue`` None: no candidates (a discovery model then ranks nothing); ``engine`` None: no
    album lookup."""
    h_tracks = np.asarray(history_tracks, np.int64)
    h_artists = np.asarray(history_artists, np.int64)
    if catalogue is not None:
        c_tracks = np.asarray(catalogue.track_ids, np.int64)
        c_artists = np.asarray(catalogue.artist_ids, np.int64)
        edges = catalogue.artist_edges
        extra_artists = [np.asarray(catalogue.artist_pool, np.int64), edges.seed, edges.similar]
    else:
        c_tracks = c_artists = np.empty(0, np.int64)
        extra_artists = []
    all_tracks = np.concatenate([h_tracks, c_tracks])
    all_artists = np.concatenate([h_artists, c_artists])
    track_ids, first = np.unique(all_tracks, return_index=True)
    artist_ids = np.unique(np.concatenate([all_artists, *extra_artists]).astype(np.int64))
    artist_of = np.searchsorted(artist_ids, all_artists[first]).astype(np.int64)
    space = ItemSpace(track_ids, artist_of, artist_ids)
    n = len(space)

    cand_pos = np.searchsorted(track_ids, c_tracks)
    candidate = np.zeros(n, bool)
    candidate[cand_pos] = True
    popularity = np.full(n, np.nan)
    local_listeners = np.zeros(n, np.int32)
    sources: dict[str, SourceColumn] = {}
    edge_mats: dict[str, sp.csr_matrix] = {}
    pool = np.zeros(space.n_artists, bool)
    if catalogue is not None:
        popularity[cand_pos] = catalogue.popularity
        local_listeners[cand_pos] = catalogue.local_listeners
        for name, ev in catalogue.sources.items():
            sources[name] = _source_column(space, cand_pos[ev.index], ev)
        pool[dense_index(artist_ids, catalogue.artist_pool)] = True
        edge_mats = _edge_matrices(catalogue, artist_ids)
    listener = int(catalogue.account_id) if catalogue is not None else None
    albums = np.empty(0, np.int64) if history_albums is None else history_albums
    album_of, album_ids = _albums(engine, track_ids, listener, albums)
    return DiscoverySpace(
        space, candidate, album_of, album_ids, popularity, local_listeners, sources, pool, edge_mats
    )


def dense_index(sorted_ids: np.ndarray, ids: np.ndarray) -> np.ndarray:
    """Positions of ``ids`` in the sorted array ``sorted_ids`` (-1 where absent)."""
    ids = np.asarray(ids, np.int64)
    if sorted_ids.size == 0:
        return np.full(ids.shape, -1, np.int64)
    pos = np.minimum(np.searchsorted(sorted_ids, ids), sorted_ids.size - 1)
    return np.where(sorted_ids[pos] == ids, pos, -1).astype(np.int64)


def _source_column(space: ItemSpace, pos: np.ndarray, ev) -> SourceColumn:
    n = len(space)
    rank = np.full(n, np.inf)
    score = np.full(n, np.nan)
    seed_artist = np.full(n, -1, np.int64)
    seed_track = np.full(n, -1, np.int64)
    seed_account = np.full(n, -1, np.int64)
    seed_tag = np.full(n, None, dtype=object)
    seed_weight = np.zeros(n)
    hits = np.zeros(n, np.int32)
    rank[pos] = ev.rank
    seed_weight[pos] = np.nan_to_num(np.asarray(ev.seed_weight, np.float64))
    score[pos] = ev.score
    seed_account[pos] = ev.seed_account_id
    seed_tag[pos] = ev.seed_tag
    hits[pos] = ev.hits
    seed_artist[pos] = dense_index(space.artist_ids, ev.seed_artist_id)
    seed_track[pos] = dense_index(space.track_ids, ev.seed_track_id)
    return SourceColumn(rank, score, seed_artist, seed_track, seed_account, seed_tag, seed_weight, hits)


def _edge_matrices(catalogue, artist_ids: np.ndarray) -> dict[str, sp.csr_matrix]:
    """seed → similar score per artist source; a source without scores weighs edges 1/rank. An edge
    listed twice keeps its strongest weight."""
    e = catalogue.artist_edges
    out: dict[str, sp.csr_matrix] = {}
    n = artist_ids.size
    for code, name in enumerate(catalogue.source_names):
        rows = np.flatnonzero(e.source == code)
        if rows.size == 0:
            continue
        w = np.where(np.isnan(e.score[rows]), 1.0 / np.maximum(e.rank[rows], 1), e.score[rows])
        a = np.searchsorted(artist_ids, e.seed[rows])
        b = np.searchsorted(artist_ids, e.similar[rows])
        keep = (a != b) & (w > 0)
        coo = sp.coo_matrix((w[keep], (a[keep], b[keep])), shape=(n, n))
        # the strongest weight per (a, b): sort by weight, keep the last of each pair
        order = np.lexsort((coo.data, coo.col, coo.row))
        r, c, d = coo.row[order], coo.col[order], coo.data[order]
        last = np.ones(r.size, bool)
        last[:-1] = (r[1:] != r[:-1]) | (c[1:] != c[:-1])
        out[name] = sp.csr_matrix((d[last], (r[last], c[last])), shape=(n, n))
    return out


def _albums(
    engine: Engine | None, track_ids: np.ndarray, listener_id: int | None, history_albums: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(dense album per track as *other* accounts' plays name it (-1 none), the store album ids of the
    dense index: those albums and the listener's own). A candidate's album comes from others' data
    only, so what the listener's own plays say about a track never describes it as a candidate."""
    album = np.full(track_ids.size, -1, np.int64)
    raw = np.full(track_ids.size, -1, np.int64)
    ids = [int(t) for t in track_ids.tolist() if t > 0]
    if engine is not None and ids:
        counts: dict[int, dict[int, int]] = {}
        with engine.connect() as conn:
            for i in range(0, len(ids), 900):
                stmt = (
                    select(Scrobble.track_id, Scrobble.album_id, func.count())
                    .where(Scrobble.track_id.in_(ids[i : i + 900]), Scrobble.album_id.is_not(None))
                    .group_by(Scrobble.track_id, Scrobble.album_id)
                )
                if listener_id is not None:
                    stmt = stmt.where(Scrobble.account_id != listener_id)
                for t, a, n in conn.execute(stmt):
                    counts.setdefault(int(t), {})[int(a)] = int(n)
        best = {t: max(c, key=lambda a: (c[a], -a)) for t, c in counts.items()}
        raw = np.fromiter((best.get(int(t), -1) for t in track_ids.tolist()), np.int64, track_ids.size)
    h = np.asarray(history_albums, np.int64)
    album_ids = np.unique(np.concatenate([raw[raw >= 0], h[h >= 0]])).astype(np.int64)
    album[raw >= 0] = np.searchsorted(album_ids, raw[raw >= 0])
    return album, album_ids
