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

from dataclasses import dataclass

import numpy as np

from models.discovery.content import ContentIndex
from models.discovery.signals import (
    A2V,
    ALBUM_BLOCK,
    ARTIST_BLOCK,
    ARTIST_FEATURES,
    ARTIST_STATIC,
    EDGE_GROUPS,
    HOUR,
    STATIC_BLOCK,
    TRACK_FEATURES,
    DiscoveryState,
)

PROX_SCALE = 100.0  # log1p(100·p): proximities are means of edge weights, mostly far below 1


@dataclass
class Profile:
    """A content kind's unit profiles (None when the history has nothing of that kind yet)."""

    index: ContentIndex
    session: np.ndarray | None
    rotation: np.ndarray | None

    def cosines(self, which: str) -> np.ndarray | None:
        p = self.session if which == "session" else self.rotation
        return None if p is None else np.einsum("ij,j->i", self.index.vectors, p)


@dataclass
class Blocks:
    state: DiscoveryState
    artist: dict[str, np.ndarray]  # name → float64 [n_artists]
    album: dict[str, np.ndarray]  # name → float64 [n_albums]
    content: dict[str, Profile]  # kind → profiles (artist2vec included, as "artist2vec")


def _unit(v: np.ndarray | None) -> np.ndarray | None:
    if v is None:
        return None
    n = float(np.linalg.norm(v))
    return (v / n).astype(np.float32) if n > 1e-9 else None


def blocks(state: DiscoveryState) -> Blocks:
    ctx = state.ctx
    d = ctx.dspace
    now = state.now
    sess = state.session_artists()
    rot = state.rotation()
    count = state.artist_count
    last_a = state.artists[-1] if state.artists else -1
    art: dict[str, np.ndarray] = {}
    for name, c in zip(ARTIST_BLOCK[:4], state.artist_recent, strict=True):
        art[name] = np.log1p(c.values)
    art["artist_total"] = np.log1p(count)
    art["artist_session"] = np.log1p(sess)
    art["artist_last"] = np.zeros(d.n_artists)
    art["artist_next"] = np.zeros(d.n_artists)
    if last_a >= 0:
        art["artist_last"][last_a] = 1.0
        state.transitions.add_row_into(art["artist_next"], last_a, normalise=True)
    known = count > 0
    art["artist_since"] = np.where(
        known, np.log1p(np.maximum(now - np.nan_to_num(state.artist_last_time), 0) / HOUR), 0.0
    )
    art["artist_known"] = known.astype(np.float64)
    for g in EDGE_GROUPS:
        graph = ctx.graphs[g]
        art[f"{g}_session"] = np.log1p(PROX_SCALE * graph.proximity(sess))
        art[f"{g}_rotation"] = np.log1p(PROX_SCALE * graph.proximity(rot))
    content: dict[str, Profile] = {}
    window = [i for i in state.session_window() if i >= 0]
    for kind, index in ctx.content.items():
        rows = index.item_row[np.asarray(window, np.int64)] if window else np.empty(0, np.int64)
        rows = rows[rows >= 0]
        s = index.vectors[rows].mean(axis=0) if rows.size else None
        content[kind] = Profile(index, _unit(s), _unit(state.profiles[kind]))
    a2v = ctx.artist2vec
    if a2v is not None:
        has = a2v.artist_row >= 0
        s_w, r_w = sess[has], rot[has]
        rows = a2v.artist_row[has]
        s = s_w @ a2v.vectors[rows] if s_w.sum() > 0 else None
        r = r_w @ a2v.vectors[rows] if r_w.sum() > 0 else None
        prof = Profile(a2v, _unit(s), _unit(r))
        content["artist2vec"] = prof
        for which in ("session", "rotation"):
            cos = prof.cosines(which)
            art[f"artist2vec_{which}"] = (
                np.where(has, cos[np.maximum(a2v.artist_row, 0)], 0.0)
                if cos is not None
                else np.zeros(d.n_artists)
            )
        art["artist2vec_has"] = has.astype(np.float64)
    else:
        for name in A2V:
            art[name] = np.zeros(d.n_artists)
    for j, name in enumerate(ARTIST_STATIC):
        art[name] = ctx.artist_static[:, j]
    album: dict[str, np.ndarray] = {}
    n_alb = max(d.n_albums, 1)
    album["album_30d"] = np.log1p(state.album_recent.values)
    album["album_session"] = np.zeros(n_alb)
    album["album_last"] = np.zeros(n_alb)
    alb_sess = [b for b in state.albums[state.session_start :] if b >= 0]
    if alb_sess:
        np.add.at(album["album_session"], np.asarray(alb_sess, np.int64), 1.0)
        album["album_session"] = np.log1p(album["album_session"])
    if state.albums and state.albums[-1] >= 0:
        album["album_last"][state.albums[-1]] = 1.0
    album["album_known"] = (state.album_count > 0).astype(np.float64)
    return Blocks(state, art, album, content)


def _content_column(b: Blocks, kind: str, which: str, rows: np.ndarray) -> np.ndarray:
    prof = b.content.get(kind)
    out = np.zeros(rows.size)
    if prof is None:
        return out
    has = rows >= 0
    if which == "has":
        return has.astype(np.float64)
    cos = prof.cosines(which)
    if cos is not None:
        out[has] = cos[rows[has]]
    return out


def track_matrix(b: Blocks, idx: np.ndarray) -> np.ndarray:
    """float32 [len(idx), len(TRACK_FEATURES)] for dense items ``idx``."""
    d = b.state.ctx.dspace
    art = d.space.artist_of[idx]
    alb = d.album_of[idx]
    static = b.state.ctx.static[idx]
    cols = []
    for name in TRACK_FEATURES:
        if name in b.artist:
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


def artist_matrix(b: Blocks, artists: np.ndarray) -> np.ndarray:
    """float32 [len(artists), len(ARTIST_FEATURES)] for dense artist indices."""
    cols = []
    for name in ARTIST_FEATURES:
        if name in b.artist:
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

    def _content(self, b: Blocks, kind: str, rows: np.ndarray) -> np.ndarray | None:
        prof = b.content.get(kind)
        c_s, c_r, c_h = (self.coef.get(f"{kind}_{w}", 0.0) for w in ("session", "rotation", "has"))
        if prof is None or not (c_s or c_r or c_h):
            return None
        v = np.zeros(prof.index.dim, np.float32)
        if prof.session is not None:
            v += np.float32(c_s) * prof.session
        if prof.rotation is not None:
            v += np.float32(c_r) * prof.rotation
        per_row = np.einsum("ij,j->i", prof.index.vectors, v).astype(np.float64) + c_h
        has = rows >= 0
        return np.where(has, per_row[np.maximum(rows, 0)], 0.0)

    def tracks(self, b: Blocks, idx: np.ndarray) -> np.ndarray:
        ctx = b.state.ctx
        d = ctx.dspace
        art_part = np.zeros(d.n_artists)
        for name, col in b.artist.items():
            c = self.coef.get(name)
            if c:
                art_part += c * col
        out = art_part[d.space.artist_of[idx]] + self.intercept
        alb_coef = [(self.coef.get(n, 0.0), b.album[n]) for n in ALBUM_BLOCK]
        if any(c for c, _ in alb_coef):
            alb_part = sum(c * col for c, col in alb_coef if c)
            alb = d.album_of[idx]
            out += np.where(alb >= 0, alb_part[np.maximum(alb, 0)], 0.0)
        if self._static is None or self._static[0] != id(ctx.static):
            w = np.array([self.coef.get(n, 0.0) for n in STATIC_BLOCK])
            self._static = (id(ctx.static), ctx.static @ w)
        out += self._static[1][idx]
        for kind, index in ctx.content.items():
            part = self._content(b, kind, index.item_row[idx])
            if part is not None:
                out += part
        return out

    def artists(self, b: Blocks, artists: np.ndarray) -> np.ndarray:
        out = np.full(artists.size, self.intercept)
        for name, col in b.artist.items():
            c = self.coef.get(name)
            if c:
                out += c * col[artists]
        for kind, index in b.state.ctx.content.items():
            if any(f"{kind}_{w}" in self.coef for w in ("session", "rotation", "has")):
                part = self._content(b, kind, index.artist_row[artists])
                if part is not None:
                    out += part
        return out


__all__ = ["Blocks", "LinearScores", "artist_matrix", "blocks", "track_matrix"]
