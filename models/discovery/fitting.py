"""Fitting the discovery blends on the validation tail: candidate lists, then selection by full ranking.

One walk over the tail of the training span (state before the play, play observed after — the
evaluation's rule). At each play of a track the listener never played that the catalogue lists, a
candidate list is kept: the target, the top ``per_feature`` rankable candidates of every feature,
the top ``per_baseline`` of every baseline blend, and ``random_negatives`` drawn uniformly; at each
first play of a catalogue artist, an artist list the same way.

In-list NDCG flatters a blend (a list holds a few hundred of ~100k candidates), so the blend is not
chosen on it. The tail is split in time: blends fitted on the lists of its first part — the
baselines themselves, listwise softmax at several L2 strengths, and the softmax + coordinate ascent
of ``hybrid.ranker.LinearRanker`` — are scored by their **full ranking** of the targets in its last
part (``select_share``), and the best is refitted on all lists. Fewer than ``MIN_SELECT`` targets
there: the fallback baseline. Several ``Spec`` s (ablations) share one walk.

The selection metric is NDCG at a cut-off that grows (``SELECTION_CUTOFFS``) until some candidate
has ``MIN_SELECT_HITS`` targets inside it: a first play of an artist sits in the top 10 of ~45k
artists for one or two of a few hundred selection targets, and choosing between blends on one or
two hits is choosing at random. Where the top 10 holds enough hits (most track levels), it is NDCG@10.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from core.jobs import CancelToken, Progress
from models.base import ProgressFn, top_k
from models.discovery.blends import BASELINE_BLENDS, blend_vector
from models.discovery.features import (
    Blocks,
    LinearScores,
    artist_matrix,
    artist_tops,
    blocks,
    track_matrix,
    track_tops,
)
from models.discovery.signals import ARTIST_FEATURES, TRACK_FEATURES, DiscoveryState, group_of
from models.evaluation.metrics import ndcg
from models.hybrid.ranker import LinearRanker

L2_GRID = (1e-2, 1e-1, 1.0)
MIN_LISTS = 30
MIN_SELECT = 10
SELECTION_CUTOFFS = (10, 20, 50, 100, 200, 500, 1000)
MIN_SELECT_HITS = 10
FALLBACK = {"tracks": "artist_affinity", "artists": "colisten_knn"}


@dataclass(frozen=True)
class Spec:
    """Which feature groups each blend may use (None: all)."""

    name: str
    groups: tuple[str, ...] | None = None
    artist_groups: tuple[str, ...] | None = None


class Blend:
    """A linear blend over ``names``: raw weights, or weights learned on standardised features."""

    def __init__(self, names: list[str]):
        self.names = list(names)
        self.ranker = LinearRanker(len(names))
        self.note = "fallback"
        self._scores: LinearScores | None = None

    def set_raw(self, raw: np.ndarray, note: str) -> Blend:
        self.ranker.weights = np.asarray(raw, np.float64).copy()
        self.ranker.mean = np.zeros(len(self.names))
        self.ranker.std = np.ones(len(self.names))
        self.note, self._scores = note, None
        return self

    def set_fitted(self, cols: np.ndarray, sub: LinearRanker, note: str) -> Blend:
        n = len(self.names)
        self.ranker.weights, self.ranker.mean, self.ranker.std = np.zeros(n), np.zeros(n), np.ones(n)
        self.ranker.weights[cols], self.ranker.mean[cols], self.ranker.std[cols] = (
            sub.weights,
            sub.mean,
            sub.std,
        )
        self.note, self._scores = note, None
        return self

    @property
    def scores(self) -> LinearScores:
        if self._scores is None:
            coef = self.ranker.weights / self.ranker.std
            self._scores = LinearScores(self.names, coef, -float(coef @ self.ranker.mean))
        return self._scores

    def contributions(self, values: np.ndarray) -> np.ndarray:
        return self.ranker.contributions(values)


def enabled_columns(names: list[str], groups: tuple[str, ...] | None) -> np.ndarray:
    if groups is None:
        return np.ones(len(names), bool)
    return np.array([group_of(n) in set(groups) for n in names], bool)


@dataclass
class Lists:
    parts: list[np.ndarray] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)
    reach: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.parts)

    def flat(self, upto: int | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        parts = self.parts[:upto]
        sizes = np.array([x.shape[0] for x in parts], np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        target = offsets[:-1] + np.asarray(self.targets[:upto], np.int64)
        return np.concatenate(parts), offsets, target, np.asarray(self.reach[:upto], bool)


LEVELS = {"tracks": TRACK_FEATURES, "artists": ARTIST_FEATURES}


def _candidates(
    level: str, enabled: np.ndarray, lists: Lists, upto: int | None, only: str | None = None
) -> list[tuple[str, Blend]]:
    """(config name, blend) candidates for one level of one spec, fitted on ``lists[:upto]``
    (``only``: just that config)."""
    names = LEVELS[level]
    side = 0 if level == "tracks" else 1
    out = [
        (f"baseline:{b}", Blend(names).set_raw(blend_vector(names, w[side]) * enabled, b))
        for b, w in BASELINE_BLENDS.items()
    ]
    n_lists = len(lists) if upto is None else min(upto, len(lists))
    if n_lists < MIN_LISTS or not enabled.any():
        return out
    X, offsets, target, reach = lists.flat(upto)
    cols = np.flatnonzero(enabled)
    Z_ranker = LinearRanker(cols.size)
    Xc = X[:, cols]
    from threadpoolctl import threadpool_limits

    mean = Xc.mean(axis=0).astype(np.float64)
    std = Xc.std(axis=0).astype(np.float64)
    std = np.where(std > 1e-9, std, 1.0)
    Z = ((Xc - mean) / std).astype(np.float32)
    for l2 in L2_GRID:
        if only is not None and only != f"softmax:{l2:g}":
            continue
        with threadpool_limits(1):
            w = LinearRanker._softmax(Z, offsets, target, l2)
        sub = LinearRanker(cols.size)
        sub.weights, sub.mean, sub.std = w, mean, std
        out.append(
            (f"softmax:{l2:g}", Blend(names).set_fitted(cols, sub, f"softmax l2={l2:g}, {n_lists} lists"))
        )
    if only is not None and only != "ascent":
        return out
    inits = [blend_vector(names, w[side])[cols] for w in BASELINE_BLENDS.values()]
    stats = Z_ranker.fit(Xc, offsets, target, reach, l2=L2_GRID[1], inits=inits)
    note = f"ascent from {stats['start']}, {n_lists} lists: in-list NDCG@10 {stats['ndcg_start']:.3f} -> {stats['ndcg']:.3f}"
    out.append(("ascent", Blend(names).set_fitted(cols, Z_ranker, note)))
    return out


def _refit(config: str, level: str, enabled: np.ndarray, lists: Lists) -> Blend:
    for name, blend in _candidates(level, enabled, lists, None, only=config):
        if name == config:
            return blend
    raise AssertionError(config)


def _candidate_list(
    tops: Callable[[np.ndarray], np.ndarray],
    matrix: Callable[[np.ndarray], np.ndarray],
    scorers: list[LinearScores],
    score: Callable[[LinearScores, np.ndarray], np.ndarray],
    pool: np.ndarray,
    target: int,
    per_baseline: int,
    random_negatives: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, int, bool]:
    """(feature rows of the list, the target's row in it, whether some feature's or baseline's top
    candidates held the target)."""
    picks = [tops(pool), *(pool[top_k(score(s, pool), per_baseline)] for s in scorers)]
    top_set = np.unique(np.concatenate(picks))
    rand = rng.choice(pool, size=min(random_negatives, pool.size), replace=False)
    cand = np.unique(np.concatenate([top_set, rand, [target]]))
    return matrix(cand), int(np.searchsorted(cand, target)), bool(np.isin(target, top_set))


CALIBRATION_RANKS = 50


def selection_cutoff(rank_lists: list[np.ndarray]) -> int:
    """The smallest of ``SELECTION_CUTOFFS`` inside which some candidate ranks ``MIN_SELECT_HITS``
    selection targets (the largest when none does)."""
    for k in SELECTION_CUTOFFS:
        if any(np.count_nonzero(r <= k) >= MIN_SELECT_HITS for r in rank_lists):
            return k
    return SELECTION_CUTOFFS[-1]


def calibration(ranks: np.ndarray, plays: int) -> dict:
    """P(the next play is the discovery list's rank-r track), r = 1..CALIBRATION_RANKS, as measured on
    the selection part: hits at each rank over *every* play there (a repeat play is no discovery's
    hit). Raw shares (the served list smooths them); ``plays`` is the denominator."""
    r = np.asarray(ranks, np.float64)
    hits = np.bincount(r[r <= CALIBRATION_RANKS].astype(np.int64), minlength=CALIBRATION_RANKS + 1)[1:]
    return {"hit_rate_at_rank": [round(float(h) / max(plays, 1), 8) for h in hits], "plays": int(plays)}


@dataclass
class Fitted:
    tracks: Blend
    artists: Blend
    info: dict


def fit_walk(
    state: DiscoveryState,
    items: np.ndarray,
    times: np.ndarray,
    start: int,
    specs: list[Spec],
    *,
    albums: np.ndarray | None = None,
    select_share: float = 1 / 3,
    per_feature: int = 5,
    per_baseline: int = 30,
    random_negatives: int = 200,
    max_lists: int = 1000,
    seed: int = 0,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict[str, Fitted]:
    """Walk ``items[start:]`` from ``state`` (holding ``items[:start]``) and fit every spec
    (``albums``: the album of each play, dense, as ``DiscoveryState.observe`` takes it)."""
    rng = np.random.default_rng(seed)
    d = state.ctx.dspace
    n = items.size
    sel_start = start + int(round((n - start) * (1.0 - select_share)))
    lists = {"tracks": Lists(), "artists": Lists()}
    n_first = {"tracks": 0, "artists": 0}
    enabled = {
        (s.name, lvl): enabled_columns(LEVELS[lvl], s.groups if lvl == "tracks" else s.artist_groups)
        for s in specs
        for lvl in LEVELS
    }
    base_scorers = {
        lvl: [
            Blend(LEVELS[lvl]).set_raw(blend_vector(LEVELS[lvl], w[i]), b).scores
            for b, w in BASELINE_BLENDS.items()
        ]
        for i, lvl in enumerate(LEVELS)
    }
    candidates: dict[tuple[str, str], list[tuple[str, Blend]]] = {}
    ranks: dict[tuple[str, str], list[list[float]]] = {}
    counts = {"explore_targets": 0, "new_artist_targets": 0}
    every = max(1, (n - start) // 10)
    for p in range(start, n):
        if cancel is not None and p % 64 == 0:
            cancel.raise_if_cancelled()
        if progress is not None and (p - start) % every == 0:
            progress(Progress(p - start, n - start, f"walking validation plays {p - start:,}/{n - start:,}"))
        if p == sel_start:
            n_first = {lvl: len(lists[lvl]) for lvl in LEVELS}
            for key in enabled:
                candidates[key] = _candidates(key[1], enabled[key], lists[key[1]], n_first[key[1]])
                ranks[key] = [[] for _ in candidates[key]]
        item = int(items[p])
        if item >= 0 and not state.heard[item]:
            counts["explore_targets"] += 1
            art = int(d.space.artist_of[item])
            new_artist = state.artist_count[art] == 0
            counts["new_artist_targets"] += int(new_artist)
            b: Blocks | None = None
            for lvl, reachable, target, pool_fn, matrix, score, tops in (
                (
                    "tracks",
                    bool(d.candidate[item]),
                    item,
                    state.rankable,
                    track_matrix,
                    LinearScores.tracks,
                    track_tops,
                ),
                (
                    "artists",
                    bool(new_artist and d.artist_pool[art]),
                    art,
                    state.rankable_artists,
                    artist_matrix,
                    LinearScores.artists,
                    artist_tops,
                ),
            ):
                if not reachable:
                    continue
                b = b if b is not None else blocks(state)
                pool = pool_fn()
                if len(lists[lvl]) < max_lists:
                    X, t, reach = _candidate_list(
                        lambda idx, b=b, f=tops: f(b, idx, per_feature),
                        lambda idx, b=b, m=matrix: m(b, idx),
                        base_scorers[lvl],
                        lambda s, idx, b=b, f=score: f(s, b, idx),
                        pool,
                        target,
                        per_baseline,
                        random_negatives,
                        rng,
                    )
                    lists[lvl].parts.append(X)
                    lists[lvl].targets.append(t)
                    lists[lvl].reach.append(reach)
                if p >= sel_start:
                    pos = int(np.searchsorted(pool, target))
                    for key, cands in candidates.items():
                        if key[1] != lvl:
                            continue
                        for j, (_, blend) in enumerate(cands):
                            s = score(blend.scores, b, pool)
                            ranks[key][j].append(float(np.count_nonzero(s >= s[pos])))
        state.observe(item, int(times[p]), album=None if albums is None else int(albums[p]))
    if not candidates:  # a tail too short to reach the selection part
        for key in enabled:
            candidates[key] = _candidates(key[1], enabled[key], lists[key[1]], len(lists[key[1]]))
            ranks[key] = [[] for _ in candidates[key]]
    out: dict[str, Fitted] = {}
    for s in specs:
        chosen: dict[str, Blend] = {}
        info: dict = {**counts}
        for lvl in LEVELS:
            key = (s.name, lvl)
            rank_lists = [np.asarray(r) for r in ranks[key]]
            cutoff = selection_cutoff(rank_lists)
            scored = [ndcg(r, cutoff) if r.size else None for r in rank_lists]
            n_sel = len(ranks[key][0]) if ranks[key] else 0
            names = [c for c, _ in candidates[key]]
            if n_sel >= MIN_SELECT:
                best = max(range(len(names)), key=lambda j: (scored[j], -j))
            else:
                best = names.index(f"baseline:{FALLBACK[lvl]}")
            config = names[best]
            blend = (
                _refit(config, lvl, enabled[key], lists[lvl])
                if not config.startswith("baseline:")
                else candidates[key][best][1]
            )
            chosen[lvl] = blend
            if lvl == "tracks" and n_sel:
                info["calibration"] = calibration(np.asarray(ranks[key][best]), n - sel_start)
            info[lvl] = {
                "lists": len(lists[lvl]),
                "lists_for_candidates": n_first[lvl],
                "selection_targets": n_sel,
                "selection_cutoff": cutoff,
                "selection_ndcg": dict(
                    zip(names, [None if v is None else round(v, 5) for v in scored], strict=True)
                ),
                "chosen": config,
                "note": blend.note,
            }
        out[s.name] = Fitted(chosen["tracks"], chosen["artists"], info)
    return out
