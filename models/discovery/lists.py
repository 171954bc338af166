"""Training lists for the discovery ranker, collected on the validation tail of the training span.

The model walks the tail exactly like the evaluation walks the test span (state before the play,
play observed after). At every play of a track the listener had never played *that the catalogue
lists* (an explore target the catalogue reaches) it keeps one candidate list: the target, the top
``per_feature`` rankable candidates of every feature column, and ``random_negatives`` rankable
candidates drawn uniformly (so the blend also learns to keep the long tail down in a full ranking).
At every first play of an artist the catalogue names it keeps an artist list the same way. Lists are
stored flat (``X``, ``offsets``, ``target``, ``reach``), the layout ``hybrid.ranker.LinearRanker``
fits; ``reach`` says whether the target was among some feature's own top candidates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from core.jobs import CancelToken, Progress
from models.base import ProgressFn, top_k
from models.discovery.features import Blocks, artist_matrix, blocks, track_matrix
from models.discovery.signals import DiscoveryState


@dataclass
class Lists:
    parts: list[np.ndarray] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)
    reach: list[bool] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.parts)

    def add(self, X: np.ndarray, target: int, reach: bool) -> None:
        self.parts.append(X)
        self.targets.append(target)
        self.reach.append(reach)

    def flat(self, n_features: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        if not self.parts:
            return (
                np.zeros((0, n_features), np.float32),
                np.zeros(1, np.int64),
                np.zeros(0, np.int64),
                np.zeros(0, bool),
            )
        sizes = np.array([x.shape[0] for x in self.parts])
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        target = offsets[:-1] + np.asarray(self.targets, np.int64)
        return np.concatenate(self.parts), offsets, target, np.asarray(self.reach, bool)


@dataclass
class Collected:
    tracks: Lists
    artists: Lists
    explore_targets: int = 0  # explore targets in the tail (reached or not)
    new_artist_targets: int = 0


def _candidate_list(
    matrix: Callable[[np.ndarray], np.ndarray],
    pool: np.ndarray,
    target: int,
    per_feature: int,
    random_negatives: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, int, bool]:
    """(feature rows of the list, position of the target in it, whether a feature's top held it)."""
    X_all = matrix(pool)
    tops = [pool[top_k(X_all[:, j].astype(np.float64), per_feature)] for j in range(X_all.shape[1])]
    tops = np.unique(np.concatenate(tops)) if tops else np.empty(0, np.int64)
    rand = rng.choice(pool, size=min(random_negatives, pool.size), replace=False)
    cand = np.unique(np.concatenate([tops, rand, [target]]))
    rows = np.searchsorted(pool, cand)
    return X_all[rows], int(np.searchsorted(cand, target)), bool(np.isin(target, tops))


def collect(
    state: DiscoveryState,
    items: np.ndarray,
    times: np.ndarray,
    start: int,
    *,
    per_feature: int = 10,
    random_negatives: int = 50,
    max_targets: int = 3000,
    seed: int = 0,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> Collected:
    """Walk ``items[start:]`` from ``state`` (holding ``items[:start]``), collecting lists."""
    rng = np.random.default_rng(seed)
    d = state.ctx.dspace
    out = Collected(Lists(), Lists())
    n = items.size
    every = max(1, (n - start) // 10)
    for p in range(start, n):
        if cancel is not None and p % 64 == 0:
            cancel.raise_if_cancelled()
        if progress is not None and (p - start) % every == 0:
            progress(Progress(p - start, n - start, f"walking validation plays {p - start:,}/{n - start:,}"))
        item = int(items[p])
        if item >= 0 and not state.heard[item]:
            out.explore_targets += 1
            art = int(d.space.artist_of[item])
            new_artist = state.artist_count[art] == 0
            out.new_artist_targets += int(new_artist)
            b: Blocks | None = None
            if d.candidate[item] and len(out.tracks) < max_targets:
                b = blocks(state)
                pool = state.rankable()
                X, t, reach = _candidate_list(
                    lambda idx, b=b: track_matrix(b, idx), pool, item, per_feature, random_negatives, rng
                )
                out.tracks.add(X, t, reach)
            if new_artist and d.artist_pool[art] and len(out.artists) < max_targets:
                b = b or blocks(state)
                pool = state.rankable_artists()
                X, t, reach = _candidate_list(
                    lambda idx, b=b: artist_matrix(b, idx), pool, art, per_feature, random_negatives, rng
                )
                out.artists.add(X, t, reach)
        state.observe(item, int(times[p]))
    return out
