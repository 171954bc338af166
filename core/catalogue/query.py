"""Reading an account's catalogue into numpy arrays: candidates, per-source evidence, artist edges.

One query for the account's seeded answers, whose items come packed (``catalogue_fetch.packed``, a
copy of the ``catalogue_item`` rows written with them), then numpy grouping, so a 100k-track catalogue loads in a fraction of a second (``benchmarks/bench_catalogue.py``);
serving caches the result and reloads it when a refresh finished.

"Heard" means any scrobble of the account (at or before ``as_of`` when given). Items stay readable
whatever the fetch's last status says: a failed refresh keeps the previous answer.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection, Engine

from core.catalogue.cache import ITEM_DTYPE

NONE = -1  # id arrays: no seed artist / track / account


@dataclass
class SourceEvidence:
    """What one source says about the candidates it lists (sparse: ``index`` points into the catalogue).

    For each listed candidate the answer where it ranks best (lowest ``rank``; ties: the stronger
    seed), that answer's ``score`` (NaN when the source gives none), its seed — ``seed_artist_id`` /
    ``seed_track_id`` / ``seed_account_id`` (-1 when none), ``seed_tag`` (None when none) — with the
    seed's ``weight`` for this listener, the ``fetch_id`` of that answer, and ``hits``: how many of
    the listener's answers from this source list the candidate.
    """

    name: str
    index: np.ndarray
    rank: np.ndarray
    score: np.ndarray
    seed_artist_id: np.ndarray
    seed_track_id: np.ndarray
    seed_account_id: np.ndarray
    seed_tag: np.ndarray  # object: str | None
    seed_weight: np.ndarray
    fetch_id: np.ndarray
    hits: np.ndarray

    def __len__(self) -> int:
        return int(self.index.size)

    def dense(self, field_name: str, n: int, fill: float = np.nan) -> np.ndarray:
        """``field_name`` aligned with the catalogue's ``n`` candidates (``fill`` where not listed)."""
        values = getattr(self, field_name)
        out = np.full(n, fill, dtype=values.dtype if values.dtype != object else object)
        out[self.index] = values
        return out


@dataclass
class ArtistEdges:
    """Similar-artist edges from the artist-level answers (``lastfm.artist.getSimilar``,
    ``listenbrainz.similar_artists``, ``bench.*``): ``seed`` → ``similar`` with ``score`` (NaN when the
    source gives none), ``rank`` in that answer and ``source`` (index into ``Catalogue.source_names``)."""

    seed: np.ndarray
    similar: np.ndarray
    score: np.ndarray
    rank: np.ndarray
    source: np.ndarray

    def __len__(self) -> int:
        return int(self.seed.size)


@dataclass(frozen=True)
class FetchRow:
    """One of the account's cached answers, for status reports."""

    id: int
    source: str
    key: str
    status: str
    fetched_at: int
    checked_at: int
    ttl_s: int
    n_items: int
    error: str | None
    weight: float


@dataclass
class Catalogue:
    """An account's candidate catalogue (docs/architecture.md §5b). Arrays are aligned with ``track_ids``.

    ``track_ids`` / ``artist_ids``: candidate tracks (int64), unheard by the account when loaded with
    ``exclude_heard``; ``heard``: which of them the account played (all False with ``exclude_heard``);
    ``artist_heard``: whether the account played the candidate's artist (a known artist's other tracks
    are most of what listeners discover). ``listeners``: the largest listener count a web source gave
    (NaN unknown); ``local_listeners``: how many other local accounts played it; ``popularity``:
    log1p(listeners) where known, else log1p(local_listeners) where > 0, else NaN.
    ``sources``: evidence per source name; ``artist_edges``: similar-artist edges; ``artist_pool``:
    every artist the catalogue names (candidates' artists, artist-level answers, edge targets) with
    ``artist_pool_heard``; ``fetches``: the account's cached answers.
    """

    account_id: int
    as_of: int | None
    track_ids: np.ndarray
    artist_ids: np.ndarray
    heard: np.ndarray
    artist_heard: np.ndarray
    listeners: np.ndarray
    local_listeners: np.ndarray
    popularity: np.ndarray
    sources: dict[str, SourceEvidence]
    artist_edges: ArtistEdges
    artist_pool: np.ndarray
    artist_pool_heard: np.ndarray
    source_names: list[str] = field(default_factory=list)
    fetches: list[FetchRow] = field(default_factory=list)

    def __len__(self) -> int:
        return int(self.track_ids.size)

    def index_of(self, track_ids) -> np.ndarray:
        """Positions of ``track_ids`` in the catalogue (-1 where absent)."""
        want = np.asarray(track_ids, dtype=np.int64)
        if self.track_ids.size == 0:
            return np.full(want.shape, -1, np.int64)
        pos = np.clip(np.searchsorted(self.track_ids, want), 0, self.track_ids.size - 1)
        return np.where(self.track_ids[pos] == want, pos, -1)


def _driver_rows(conn: Connection, sql: str, params: tuple) -> list[tuple]:
    """Plain tuples from the DB-API cursor (no Row objects: these reads are the whole load)."""
    if conn.dialect.name != "sqlite":
        return [tuple(r) for r in conn.exec_driver_sql(sql.replace("?", "%s"), params)]
    cur = conn.connection.driver_connection.cursor()
    try:
        return cur.execute(sql, params).fetchall()
    finally:
        cur.close()


_FETCHES = (
    "SELECT f.id, f.source, f.key, f.status, f.fetched_at, f.checked_at, f.ttl_s, f.n_items, f.error, "
    "s.weight, f.seed_artist_id, f.seed_track_id, f.seed_account_id, f.seed_tag, f.packed "
    "FROM catalogue_seed s JOIN catalogue_fetch f ON f.id = s.fetch_id WHERE s.account_id = ? ORDER BY f.id"
)
_HEARD = (
    "SELECT t.id, t.artist_id FROM track t WHERE t.id IN "
    "(SELECT DISTINCT track_id FROM scrobble WHERE account_id = ?{until})"
)


def _heard(conn: Connection, account_id: int, as_of: int | None) -> tuple[np.ndarray, np.ndarray]:
    """(sorted unique track ids, sorted unique artist ids) the account played (at or before ``as_of``)."""
    if as_of is None:
        rows = _driver_rows(conn, _HEARD.format(until=""), (account_id,))
    else:
        rows = _driver_rows(conn, _HEARD.format(until=" AND played_at <= ?"), (account_id, int(as_of)))
    arr = np.array(rows, dtype=np.int64).reshape(-1, 2)
    return np.unique(arr[:, 0]), np.unique(arr[:, 1])


def _items(fetch_rows: list[tuple]) -> tuple[np.ndarray, np.ndarray]:
    """(items as ITEM_DTYPE records, position of each item's fetch in ``fetch_rows``)."""
    blobs = [r[14] or b"" for r in fetch_rows]
    counts = np.array([len(b) // ITEM_DTYPE.itemsize for b in blobs], dtype=np.int64)
    items = np.frombuffer(b"".join(blobs), ITEM_DTYPE)
    return items, np.repeat(np.arange(len(blobs), dtype=np.int64), counts)


def load_catalogue(
    bind: Connection | Engine, account_id: int, *, exclude_heard: bool = True, as_of: int | None = None
) -> Catalogue:
    """The candidate catalogue of ``account_id`` (see :class:`Catalogue`)."""
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            return load_catalogue(conn, account_id, exclude_heard=exclude_heard, as_of=as_of)
    conn = bind
    fetch_rows = _driver_rows(conn, _FETCHES, (account_id,))
    heard_tracks, heard_artists = _heard(conn, account_id, as_of)
    items, fetch_pos = _items(fetch_rows)

    source_names = sorted({r[1] for r in fetch_rows})
    code = {s: i for i, s in enumerate(source_names)}
    n_f = len(fetch_rows)
    f_ids = np.array([r[0] for r in fetch_rows], dtype=np.int64)
    f_source = np.array([code[r[1]] for r in fetch_rows], dtype=np.int32)
    f_weight = np.array([r[9] for r in fetch_rows], dtype=np.float64)
    f_seed = np.array([[NONE if v is None else v for v in r[10:13]] for r in fetch_rows], np.int64).reshape(
        n_f, 3
    )
    f_tag = np.empty(n_f, dtype=object)
    f_tag[:] = [r[13] for r in fetch_rows]

    i_rank = items["rank"]
    i_artist = items["artist_id"]
    i_track = items["track_id"]
    i_score, i_listeners = items["score"], items["listeners"]
    i_source = f_source[fetch_pos]

    is_track = i_track >= 0
    t_all = i_track[is_track]
    track_ids, first_row = np.unique(t_all, return_index=True)
    artist_ids = i_artist[is_track][first_row]
    heard = np.isin(track_ids, heard_tracks, assume_unique=True)
    keep = ~heard if exclude_heard else np.ones(track_ids.size, bool)
    track_ids, artist_ids, heard = track_ids[keep], artist_ids[keep], heard[keep]
    artist_heard = np.isin(artist_ids, heard_artists)
    n = track_ids.size

    # items → candidate positions (-1: an artist-level item or a heard track left out)
    cand = np.full(i_track.size, -1, np.int64)
    if n:
        pos = np.clip(np.searchsorted(track_ids, i_track[is_track]), 0, n - 1)
        cand[np.flatnonzero(is_track)] = np.where(track_ids[pos] == i_track[is_track], pos, -1)
    listed = cand >= 0

    listeners = np.full(n, np.nan)
    lm = listed & ~np.isnan(i_listeners)
    if lm.any():
        np.fmax.at(listeners, cand[lm], i_listeners[lm])
    local_code = code.get("local.accounts")
    local_listeners = np.zeros(n, np.int32)
    if local_code is not None:
        lm = listed & (i_source == local_code)
        local_listeners = np.bincount(cand[lm], minlength=n).astype(np.int32)
    with np.errstate(invalid="ignore"):
        popularity = np.where(
            ~np.isnan(listeners),
            np.log1p(listeners),
            np.where(local_listeners > 0, np.log1p(local_listeners), np.nan),
        )

    # one sort of the listed items by (source, candidate, rank, stronger seed first): the first row of
    # each (source, candidate) run is that source's best evidence, the run's length its hits
    rows_l = np.flatnonzero(listed)
    order = rows_l[np.lexsort((-f_weight[fetch_pos[rows_l]], i_rank[rows_l], cand[rows_l], i_source[rows_l]))]
    s_src, s_cand = i_source[order], cand[order]
    starts = np.flatnonzero(np.r_[True, (s_src[1:] != s_src[:-1]) | (s_cand[1:] != s_cand[:-1])])
    starts = starts[: order.size]  # no listed items: no runs
    hits = np.diff(np.r_[starts, order.size]).astype(np.int32)
    best, best_src = order[starts], s_src[starts]
    bounds = np.searchsorted(best_src, np.arange(len(source_names) + 1))
    sources: dict[str, SourceEvidence] = {}
    for name, c in code.items():
        lo, hi = bounds[c], bounds[c + 1]
        if lo == hi:
            continue
        b = best[lo:hi]
        fp = fetch_pos[b]
        sources[name] = SourceEvidence(
            name=name,
            index=cand[b],
            rank=i_rank[b],
            score=i_score[b],
            seed_artist_id=f_seed[fp, 0],
            seed_track_id=f_seed[fp, 1],
            seed_account_id=f_seed[fp, 2],
            seed_tag=f_tag[fp],
            seed_weight=f_weight[fp],
            fetch_id=f_ids[fp],
            hits=hits[lo:hi],
        )

    art_rows = np.flatnonzero(~is_track)
    if art_rows.size:
        fp = fetch_pos[art_rows]
        has_seed = f_seed[fp, 0] >= 0
        er, fp = art_rows[has_seed], fp[has_seed]
        edges = ArtistEdges(f_seed[fp, 0], i_artist[er], i_score[er], i_rank[er], i_source[er])
    else:
        e = np.zeros(0, np.int64)
        edges = ArtistEdges(e, e.copy(), np.zeros(0), np.zeros(0, np.int32), np.zeros(0, np.int32))
    pool = np.unique(np.concatenate([artist_ids, i_artist[~is_track]]))
    pool_heard = np.isin(pool, heard_artists)

    fetches = [FetchRow(*r[:10]) for r in fetch_rows]
    return Catalogue(
        account_id=account_id,
        as_of=as_of,
        track_ids=track_ids,
        artist_ids=artist_ids,
        heard=heard,
        artist_heard=artist_heard,
        listeners=listeners,
        local_listeners=local_listeners,
        popularity=popularity,
        sources=sources,
        artist_edges=edges,
        artist_pool=pool,
        artist_pool_heard=pool_heard,
        source_names=source_names,
        fetches=fetches,
    )
