"""Feature blocks for one state, assembled into matrices (training lists) or scored factorised.

``blocks(state)`` computes the dynamic parts once per scoring: artist columns over every artist,
album columns over every album, and per content kind the session and rotation profiles. From there:

- ``track_matrix`` / ``artist_matrix`` give explicit rows for a few items (the ranker's training
  lists, reasons);
- ``LinearScores`` scores every rankable candidate with a linear model without building the
  [n_candidates, n_features] matrix: the artist part is summed per artist and gathered once, the
  album part likewise, the static part is cached per weight vector, and each content kind costs one
  matrix–vector product (cosines are linear in the unit profile, so session and rotation weights
  fold into one vector).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.discovery.content import ContentIndex
from models.discovery.signals import (
    A2V,
    ALBUM_BLOCK,
    ARTIST_BLOCK,
    ARTIST_FEATURES,
    ARTIST_STATIC,
    DAY,
    GRAPH,
    HOUR,
    STATIC_BLOCK,
    TRACK_FEATURES,
    DiscoveryState,
)

PROX_SCALE = 100.0  # log1p(100·p): proximities are means of edge weights, mostly far below 1
ARTIST_COLUMNS = frozenset(ARTIST_BLOCK)


@dataclass
class Profile:
    """A content kind's unit profiles (None when the history has nothing of that kind yet) and, once
    asked for, every stored vector's cosine with each (shared by all scorers of one state)."""

    index: ContentIndex
    session: np.ndarray | None
    rotation: np.ndarray | None
    _cos: dict = field(default_factory=dict, repr=False)

    def unit(self, which: str) -> np.ndarray | None:
        return self.session if which == "session" else self.rotation

    def cosines(self, which: str) -> np.ndarray | None:
        if which not in self._cos:
            p = self.unit(which)
            self._cos[which] = None if p is None else self.index.vectors @ p
        return self._cos[which]

    def cosines_at(self, which: str, rows: np.ndarray) -> np.ndarray | None:
        """The cosines of the vectors at ``rows`` only (a few explained rows need not cost a pass
        over every vector); the full pass when it was already made."""
        if which in self._cos:
            cos = self._cos[which]
            return None if cos is None else cos[rows]
        p = self.unit(which)
        return None if p is None else self.index.vectors[rows] @ p


def _unit(v: np.ndarray | None) -> np.ndarray | None:
    if v is None:
        return None
    n = float(np.linalg.norm(v))
    return (v / n).astype(np.float32) if n > 1e-9 else None


class Blocks:
    """The dynamic features of one state, each column computed on first use (a scorer pays only for
    the columns it weights): ``artist[name]`` float64 [n_artists], ``album[name]`` [n_albums],
    ``content[kind]`` the kind's session / rotation profiles (``artist2vec`` included)."""

    def __init__(self, state: DiscoveryState):
        self.state = state
        self.artist = _Columns(self._artist_column)
        self.album = _Columns(self._album_column)
        self._content: dict[str, Profile] | None = None
        self._sess: np.ndarray | None = None
        self.scored: dict[int, tuple] = {}  # scorer id → (scorer, its scores of this state): ranker.scores

    @property
    def sess(self) -> np.ndarray:
        if self._sess is None:
            self._sess = self.state.session_artists()
        return self._sess

    @property
    def content(self) -> dict[str, Profile]:
        if self._content is None:
            self._content = self._profiles()
        return self._content

    def _profiles(self) -> dict[str, Profile]:
        state, ctx = self.state, self.state.ctx
        out: dict[str, Profile] = {}
        window = np.asarray([i for i in state.session_window() if i >= 0], np.int64)
        for kind, index in ctx.content.items():
            rows = index.item_row[window] if window.size else np.empty(0, np.int64)
            rows = rows[rows >= 0]
            s = index.vectors[rows].mean(axis=0) if rows.size else None
            out[kind] = Profile(index, _unit(s), _unit(state.profiles[kind]))
        a2v = ctx.artist2vec
        if a2v is not None:
            out["artist2vec"] = Profile(
                a2v, _unit(_weighted(a2v, self.sess)), _unit(_weighted(a2v, state.rotation()))
            )
        return out

    def _artist_column(self, name: str) -> np.ndarray:
        state, ctx = self.state, self.state.ctx
        n = ctx.dspace.n_artists
        count = state.artist_count
        last_a = state.artists[-1] if state.artists else -1
        if name in ARTIST_BLOCK[:4]:
            return np.log1p(state.artist_recent[ARTIST_BLOCK.index(name)].values)
        if name == "artist_total":
            return np.log1p(count)
        if name == "artist_session":
            return np.log1p(self.sess)
        if name in ("artist_last", "artist_next"):
            out = np.zeros(n)
            if last_a >= 0 and name == "artist_last":
                out[last_a] = 1.0
            elif last_a >= 0:
                state.transitions.add_row_into(out, last_a, normalise=True)
            return out
        if name == "artist_since":
            hours = np.maximum(state.now - np.nan_to_num(state.artist_last_time), 0) / HOUR
            return np.where(count > 0, np.log1p(hours), 0.0)
        if name == "artist_known":
            return (count > 0).astype(np.float64)
        if name == "artist_new_7d":
            return np.log1p(state.artist_new.values)
        if name == "artist_age":
            days = np.maximum(state.now - np.nan_to_num(state.artist_first_time), 0) / DAY
            return np.where(count > 0, np.log1p(days), 0.0)
        if name in GRAPH:
            group, which = name.rsplit("_", 1)
            weights = self.sess if which == "session" else state.rotation()
            return np.log1p(PROX_SCALE * ctx.graphs[group].proximity(weights))
        if name in A2V:
            a2v = ctx.artist2vec
            if a2v is None:
                return np.zeros(n)
            has = a2v.artist_row >= 0
            if name == "artist2vec_has":
                return has.astype(np.float64)
            cos = self.content["artist2vec"].cosines(name.rsplit("_", 1)[1])
            return np.where(has, cos[np.maximum(a2v.artist_row, 0)], 0.0) if cos is not None else np.zeros(n)
        return ctx.artist_static[:, ARTIST_STATIC.index(name)]

    def _album_column(self, name: str) -> np.ndarray:
        state = self.state
        n = max(state.ctx.dspace.n_albums, 1)
        if name == "album_30d":
            return np.log1p(state.album_recent.values)
        if name == "album_known":
            return (state.album_count > 0).astype(np.float64)
        out = np.zeros(n)
        if name == "album_last":
            if state.albums and state.albums[-1] >= 0:
                out[state.albums[-1]] = 1.0
            return out
        played = [b for b in state.albums[state.session_start :] if b >= 0]
        if played:
            np.add.at(out, np.asarray(played, np.int64), 1.0)
        return np.log1p(out)


def _weighted(index: ContentIndex, weights: np.ndarray) -> np.ndarray | None:
    """Σ weights[a] · vector(a) over the artists with a vector and a positive weight (None: none)."""
    nz = np.flatnonzero((weights > 0) & (index.artist_row >= 0))
    if nz.size == 0:
        return None
    return weights[nz].astype(np.float32) @ index.vectors[index.artist_row[nz]]


class _Columns(dict):
    """name → column, computed by ``make(name)`` on first access."""

    def __init__(self, make):
        super().__init__()
        self.make = make

    def __missing__(self, name: str) -> np.ndarray:
        self[name] = col = self.make(name)
        return col


def blocks(state: DiscoveryState) -> Blocks:
    """The state's blocks, shared by every scorer and explainer until the state observes a play
    (scoring a served list and explaining its top rows then compute each column once)."""
    cached = state.__dict__.get("_blocks")
    if cached is None or cached[0] != len(state.items):
        cached = (len(state.items), Blocks(state))
        state.__dict__["_blocks"] = cached
    return cached[1]


def _content_column(b: Blocks, kind: str, which: str, rows: np.ndarray) -> np.ndarray:
    prof = b.content.get(kind)
    out = np.zeros(rows.size)
    if prof is None:
        return out
    has = rows >= 0
    if which == "has":
        return has.astype(np.float64)
    cos = prof.cosines_at(which, rows[has])
    if cos is not None:
        out[has] = cos
    return out


def track_matrix(b: Blocks, idx: np.ndarray) -> np.ndarray:
    """float32 [len(idx), len(TRACK_FEATURES)] for dense items ``idx``."""
    d = b.state.ctx.dspace
    art = d.space.artist_of[idx]
    alb = d.album_of[idx]
    static = b.state.ctx.static[idx]
    cols = []
    for name in TRACK_FEATURES:
        if name in ARTIST_COLUMNS:
            cols.append(b.artist[name][art])
        elif name in ALBUM_BLOCK:
            cols.append(np.where(alb >= 0, b.album[name][np.maximum(alb, 0)], 0.0))
        elif name in STATIC_BLOCK:
            cols.append(static[:, STATIC_BLOCK.index(name)])
        else:
            kind, which = name.rsplit("_", 1)
            index = b.state.ctx.content.get(kind)
            rows = index.item_row[idx] if index is not None else np.full(idx.size, -1)
            cols.append(_content_column(b, kind, which, rows))
    return np.stack(cols, axis=1).astype(np.float32)


def _top(x: np.ndarray, k: int) -> np.ndarray:
    """Positions of up to ``k`` of the largest finite values (ties broken arbitrarily: these only
    gather hard negatives for training lists). Mostly-zero columns are narrowed to their nonzero
    entries first."""
    nz = np.flatnonzero(x)
    if nz.size < x.size // 4:
        if nz.size >= k:
            return nz[_top(x[nz], k)]
        rest = np.flatnonzero(x == 0)[: k - nz.size]
        return np.concatenate([nz[np.isfinite(x[nz])], rest])
    if x.size > k:
        pos = np.argpartition(x, x.size - k)[x.size - k :]
    else:
        pos = np.arange(x.size)
    return pos[np.isfinite(x[pos])]


def track_tops(b: Blocks, pool: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` strongest candidates in ``pool`` of every track feature column, without building the
    [pool, features] matrix: an artist-level column picks its ``k`` best artists (among those with a
    candidate in ``pool``) and each one's best candidate by ``rank_in_artist``; album columns likewise
    per album; static and content columns rank the pool's own values."""
    ctx = b.state.ctx
    d = ctx.dspace
    in_pool = np.zeros(len(d), bool)
    in_pool[pool] = True
    order, starts, artists = ctx.by_artist
    pos = np.where(in_pool[order], np.arange(order.size), order.size)
    first = np.minimum.reduceat(pos, starts) if starts.size else np.empty(0, np.int64)
    ok = first < order.size
    best, arts = order[first[ok]], artists[ok]  # each artist's best candidate still in the pool
    out = [best[_top(b.artist[name][arts], k)] for name in ARTIST_BLOCK]
    with_album = pool[d.album_of[pool] >= 0]
    alb = d.album_of[with_album]
    for name in ALBUM_BLOCK:
        out.append(with_album[_top(b.album[name][alb], k)])
    for order in ctx.static_order:  # static columns: their precomputed order, first ones still in the pool
        head = order[: 4 * k]
        head = head[in_pool[head]][:k]
        out.append(head if head.size == k else order[in_pool[order]][:k])
    for kind, index in ctx.content.items():
        with_row = pool[index.item_row[pool] >= 0]
        rows = index.item_row[with_row]
        for which in ("session", "rotation"):
            cos = b.content[kind].cosines(which)
            if cos is not None:
                out.append(with_row[_top(cos[rows], k)])
    return np.unique(np.concatenate(out)) if out else np.empty(0, np.int64)


def artist_tops(b: Blocks, pool: np.ndarray, k: int) -> np.ndarray:
    """The ``k`` strongest artists in ``pool`` of every artist feature column."""
    X = artist_matrix(b, pool)
    return np.unique(np.concatenate([pool[_top(X[:, j], k)] for j in range(X.shape[1])]))


def artist_matrix(b: Blocks, artists: np.ndarray) -> np.ndarray:
    """float32 [len(artists), len(ARTIST_FEATURES)] for dense artist indices."""
    cols = []
    for name in ARTIST_FEATURES:
        if name in ARTIST_COLUMNS:
            cols.append(b.artist[name][artists])
        else:
            kind, which = name.rsplit("_", 1)
            index = b.state.ctx.content.get(kind)
            rows = index.artist_row[artists] if index is not None else np.full(artists.size, -1)
            cols.append(_content_column(b, kind, which, rows))
    return np.stack(cols, axis=1).astype(np.float32)


class LinearScores:
    """Scores of a linear model in raw feature units (``coef`` per column, ``intercept``) over every
    rankable track or artist, computed block by block."""

    def __init__(self, names: list[str], coef: np.ndarray, intercept: float):
        self.names = list(names)
        self.coef = {n: float(c) for n, c in zip(names, coef, strict=True) if c != 0.0}
        self.intercept = float(intercept)
        self._static: tuple[int, np.ndarray] | None = None

    def _content_rows(self, b: Blocks, kind: str, rows: np.ndarray) -> np.ndarray | None:
        """The kind's part of the score of things at content ``rows`` (-1: no vector)."""
        c_s, c_r, c_h = (self.coef.get(f"{kind}_{w}", 0.0) for w in ("session", "rotation", "has"))
        prof = b.content.get(kind)
        if prof is None or not (c_s or c_r or c_h):
            return None
        has = rows >= 0
        out = np.where(has, c_h, 0.0)
        parts = [c * u for c, u in ((c_s, prof.session), (c_r, prof.rotation)) if c and u is not None]
        if parts:
            out[has] += (prof.index.vectors @ np.sum(parts, axis=0))[rows[has]]
        return out

    def _content(self, b: Blocks, kind: str, n_items: int) -> np.ndarray | None:
        """The kind's part of every item's score (float64 [n_items]; 0 for items without a vector)."""
        c_s, c_r, c_h = (self.coef.get(f"{kind}_{w}", 0.0) for w in ("session", "rotation", "has"))
        prof = b.content.get(kind)
        if prof is None or not (c_s or c_r or c_h):
            return None
        items, rows = prof.index.placed
        part = np.full(items.size, c_h)
        # cosines are linear in the unit profile: c_s·cos(session) + c_r·cos(rotation) is one product
        parts = [c * u for c, u in ((c_s, prof.session), (c_r, prof.rotation)) if c and u is not None]
        if parts:
            part += (prof.index.vectors @ np.sum(parts, axis=0))[rows]
        out = np.zeros(n_items)
        out[items] = part
        return out

    def tracks(self, b: Blocks, idx: np.ndarray) -> np.ndarray:
        ctx = b.state.ctx
        d = ctx.dspace
        art_part = np.zeros(d.n_artists)
        for name, c in self.coef.items():
            if name in ARTIST_COLUMNS:
                art_part += c * b.artist[name]
        out = art_part[d.space.artist_of[idx]] + self.intercept
        alb_coef = [(self.coef[n], n) for n in ALBUM_BLOCK if n in self.coef]
        if alb_coef:
            alb_part = sum(c * b.album[n] for c, n in alb_coef)
            alb = d.album_of[idx]
            out += np.where(alb >= 0, alb_part[np.maximum(alb, 0)], 0.0)
        if self._static is None or self._static[0] != id(ctx.static):
            w = np.array([self.coef.get(n, 0.0) for n in STATIC_BLOCK])
            self._static = (id(ctx.static), ctx.static @ w)
        out += self._static[1][idx]
        content = None  # every kind summed over the whole space first: one gather for the candidates
        for kind in ctx.content:
            part = self._content(b, kind, len(d))
            if part is not None:
                content = part if content is None else content + part
        if content is not None:
            out += content[idx]
        return out

    def artists(self, b: Blocks, artists: np.ndarray) -> np.ndarray:
        out = np.full(artists.size, self.intercept)
        for name, c in self.coef.items():
            if name in ARTIST_COLUMNS:
                out += c * b.artist[name][artists]
        for kind, index in b.state.ctx.content.items():
            if any(f"{kind}_{w}" in self.coef for w in ("session", "rotation", "has")):
                part = self._content_rows(b, kind, index.artist_row[artists])
                if part is not None:
                    out += part
        return out


__all__ = ["Blocks", "LinearScores", "artist_matrix", "artist_tops", "blocks", "track_matrix", "track_tops"]
