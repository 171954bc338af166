"""``discovery``: the learned ranker of new-to-you tracks (and artists) over the candidate catalogue.

Two linear blends (``hybrid.ranker.LinearRanker``: listwise softmax, then coordinate ascent on
NDCG@10 inside candidate lists), one over ``TRACK_FEATURES`` for "which unheard track next", one over
``ARTIST_FEATURES`` for "which artist the listener plays for the first time next". Both are learned
on the explore targets of the validation tail of the training span (``lists.collect``), never on the
test span; the ascent also starts from the baselines' own blends, so on validation the ranker is at
least as good as the artist-affinity and co-listen baselines it is compared with. With fewer than
``MIN_LISTS`` lists a blend keeps its fallback: the artist-affinity (tracks) or co-listen (artists)
baseline.

``groups`` switches feature groups off (``signals.group_of``), which is how every signal is ablated:
a switched-off column has weight 0 and its group contributes nothing.

The model ranks over a ``signals.Context`` (``bind``): a ``DiscoverySpace`` with its content and
artist2vec. Its item space *is* that space, so it follows the ``Recommender`` protocol (``start`` /
``observe`` / ``scores``); ``scores`` is -inf for everything but the candidates not heard yet.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np

from core.jobs import CancelToken, Progress
from models.base import ItemFeatures, ModelError, ProgressFn, Recommender, TrainData
from models.discovery.blends import BASELINE_BLENDS, blend_vector
from models.discovery.features import LinearScores, blocks
from models.discovery.lists import Collected, collect
from models.discovery.signals import ARTIST_FEATURES, TRACK_FEATURES, Context, DiscoveryState, group_of
from models.evaluation.splits import validation_split
from models.hybrid.ranker import LinearRanker
from models.registry import register

MIN_LISTS = 30
TRACK_GROUPS = tuple(dict.fromkeys(group_of(f) for f in TRACK_FEATURES))
ARTIST_GROUPS = tuple(dict.fromkeys(group_of(f) for f in ARTIST_FEATURES))


class Blend:
    """A linear blend over ``names`` with standardisation, fitted on lists or set from raw weights."""

    def __init__(self, names: list[str]):
        self.names = list(names)
        self.ranker = LinearRanker(len(names))
        self.note = "fallback"
        self._scores: LinearScores | None = None

    def set_raw(self, raw: np.ndarray, note: str) -> None:
        self.ranker.weights = np.asarray(raw, np.float64).copy()
        self.ranker.mean = np.zeros(len(self.names))
        self.ranker.std = np.ones(len(self.names))
        self.note, self._scores = note, None

    def fit(
        self, X, offsets, target, reach, enabled: np.ndarray, inits: Iterable[np.ndarray], l2: float
    ) -> dict:
        cols = np.flatnonzero(enabled)
        sub = LinearRanker(cols.size)
        stats = sub.fit(X[:, cols], offsets, target, reach, l2=l2, inits=[np.asarray(w)[cols] for w in inits])
        self.ranker.weights = np.zeros(len(self.names))
        self.ranker.mean = np.zeros(len(self.names))
        self.ranker.std = np.ones(len(self.names))
        self.ranker.weights[cols], self.ranker.mean[cols], self.ranker.std[cols] = (
            sub.weights,
            sub.mean,
            sub.std,
        )
        self.note = f"{target.size} lists: NDCG@10 {stats['ndcg_start']:.4f} ({stats['start']}) -> {stats['ndcg']:.4f}"
        self._scores = None
        return stats

    @property
    def scores(self) -> LinearScores:
        if self._scores is None:
            coef = self.ranker.weights / self.ranker.std
            self._scores = LinearScores(self.names, coef, -float(coef @ self.ranker.mean))
        return self._scores

    def contributions(self, values: np.ndarray) -> np.ndarray:
        return self.ranker.contributions(values)


def enabled_columns(names: list[str], groups: Iterable[str] | None) -> np.ndarray:
    """bool per column: its group is in ``groups`` (None: every group)."""
    if groups is None:
        return np.ones(len(names), bool)
    allowed = set(groups)
    return np.array([group_of(n) in allowed for n in names], bool)


@register
class DiscoveryRanker(Recommender):
    name = "discovery"
    family = "discovery"
    description = "new-to-you tracks and artists from the catalogue, ranked by a learned blend"
    deterministic = False  # the random negatives of the training lists and artist2vec follow the seed

    def __init__(
        self,
        groups: list[str] | None = None,
        artist_groups: list[str] | None = None,
        tune_fraction: float = 0.5,
        max_lists: int = 1500,
        per_feature: int = 10,
        random_negatives: int = 50,
        l2: float = 1e-3,
        **params: Any,
    ):
        super().__init__(
            groups=groups,
            artist_groups=artist_groups,
            tune_fraction=tune_fraction,
            max_lists=max_lists,
            per_feature=per_feature,
            random_negatives=random_negatives,
            l2=l2,
            **params,
        )
        self.ctx: Context | None = None
        # the artist2vec fitted on every play for serving: (store artist ids, unit vectors)
        self.artist_vectors: tuple[np.ndarray, np.ndarray] = (
            np.empty(0, np.int64),
            np.empty((0, 0), np.float32),
        )
        self.tracks = Blend(TRACK_FEATURES)
        self.artists = Blend(ARTIST_FEATURES)
        self.tracks.set_raw(blend_vector(TRACK_FEATURES, BASELINE_BLENDS["artist_affinity"][0]), "fallback")
        self.artists.set_raw(blend_vector(ARTIST_FEATURES, BASELINE_BLENDS["colisten_knn"][1]), "fallback")

    # -- context ----------------------------------------------------------------------------
    def bind(self, ctx: Context) -> DiscoveryRanker:
        """Rank over ``ctx`` (its space becomes the model's item space)."""
        self.ctx = ctx
        self.space = ctx.dspace.space
        return self

    def _need_ctx(self) -> Context:
        if self.ctx is None:
            raise ModelError("the discovery ranker needs the catalogue: bind a context first")
        return self.ctx

    # -- training ---------------------------------------------------------------------------
    def fit(
        self,
        data: TrainData,
        features: ItemFeatures | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        collected = self.collect(data, progress, cancel)
        self.fit_collected(collected)
        if progress is not None:
            progress(Progress(1, 1, "discovery blends fitted"))

    def collect(
        self, data: TrainData, progress: ProgressFn | None = None, cancel: CancelToken | None = None
    ) -> Collected:
        """Training lists from the validation tail of ``data`` (a fitted model needs only these)."""
        ctx = self._need_ctx()
        if data.space is not ctx.dspace.space:
            raise ModelError("the training data must be indexed by the bound discovery space")
        split = validation_split(len(data.items), self.params["tune_fraction"])
        state = DiscoveryState(ctx, data.items[: split.start], data.played_at[: split.start])
        return collect(
            state,
            data.items,
            data.played_at,
            split.start,
            per_feature=self.params["per_feature"],
            random_negatives=self.params["random_negatives"],
            max_targets=self.params["max_lists"],
            seed=data.seed,
            progress=progress,
            cancel=cancel,
        )

    def fit_collected(self, collected: Collected) -> None:
        p = self.params
        for blend, lists, names, groups, key, base in (
            (self.tracks, collected.tracks, TRACK_FEATURES, p["groups"], "tracks", "artist_affinity"),
            (self.artists, collected.artists, ARTIST_FEATURES, p["artist_groups"], "artists", "colisten_knn"),
        ):
            enabled = enabled_columns(names, groups)
            level = 0 if key == "tracks" else 1
            inits = [blend_vector(names, b[level]) * enabled for b in BASELINE_BLENDS.values()]
            fallback = blend_vector(names, BASELINE_BLENDS[base][level]) * enabled
            if len(lists) < MIN_LISTS or not enabled.any():
                blend.set_raw(fallback, f"fallback ({len(lists)} validation lists)")
            else:
                blend.fit(*lists.flat(len(names)), enabled, inits, p["l2"])
            p[f"trained_{key}"] = blend.note
        p["validation_explore_targets"] = collected.explore_targets
        p["validation_new_artist_targets"] = collected.new_artist_targets

    # -- scoring ----------------------------------------------------------------------------
    def start(self, items: np.ndarray, played_at: np.ndarray) -> DiscoveryState:
        return DiscoveryState(self._need_ctx(), items, played_at)

    def observe(self, state: DiscoveryState, item: int, played_at: int) -> DiscoveryState:
        state.observe(int(item), int(played_at))
        return state

    def scores(self, state: DiscoveryState) -> np.ndarray:
        out = np.full(len(self.space), -np.inf)
        idx = state.rankable()
        if idx.size:
            out[idx] = self.tracks.scores.tracks(blocks(state), idx)
        return out

    def artist_scores(self, state: DiscoveryState) -> np.ndarray:
        """float64 [n_artists]: -inf but for the catalogue's artists the listener never played."""
        out = np.full(self.space.n_artists, -np.inf)
        idx = state.rankable_artists()
        if idx.size:
            out[idx] = self.artists.scores.artists(blocks(state), idx)
        return out

    # -- persistence ------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        out = {}
        for key, blend in (("tracks", self.tracks), ("artists", self.artists)):
            r = blend.ranker
            out.update({f"{key}.weights": r.weights, f"{key}.mean": r.mean, f"{key}.std": r.std})
        ids, vecs = self.artist_vectors
        if ids.size:
            out.update({"artist2vec.ids": ids, "artist2vec.vectors": vecs})
        return out

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        for key, blend in (("tracks", self.tracks), ("artists", self.artists)):
            blend.ranker.weights = arrays[f"{key}.weights"]
            blend.ranker.mean = arrays[f"{key}.mean"]
            blend.ranker.std = arrays[f"{key}.std"]
            blend.note, blend._scores = "loaded", None
        if "artist2vec.ids" in arrays:
            self.artist_vectors = (arrays["artist2vec.ids"], arrays["artist2vec.vectors"])

    def save(self, directory) -> None:
        """Saves the blends only (the space is the catalogue's and is rebuilt when serving)."""
        from pathlib import Path

        from models.base import ItemSpace

        space, self.space = (
            self.space,
            ItemSpace(np.empty(0, np.int64), np.empty(0, np.int64), np.empty(0, np.int64)),
        )
        try:
            super().save(Path(directory))
        finally:
            self.space = space
