"""``discovery``: the learned ranker of new-to-you tracks (and artists) over the candidate catalogue.

Two linear blends, one over ``TRACK_FEATURES`` for "which unheard track next", one over
``ARTIST_FEATURES`` for "which artist the listener plays for the first time next". Both are learned
on the explore targets of the validation tail of the training span, never on the test span
(``fitting.fit_walk``: candidate lists, blends fitted on the tail's first part and chosen by their
full ranking of its last part — the baselines' own blends among the candidates, so the ranker
falls back to a baseline where learning does not beat it on validation).

``groups`` switches feature groups off (``signals.group_of``), which is how every signal is ablated:
a switched-off column has weight 0 and its group contributes nothing.

The model ranks over a ``signals.Context`` (``bind``): a ``DiscoverySpace`` with its content and
artist2vec. Its item space *is* that space, so it follows the ``Recommender`` protocol (``start`` /
``observe`` / ``scores``); ``scores`` is -inf for everything but the candidates not heard yet.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.jobs import CancelToken, Progress
from models.base import ItemFeatures, ModelError, ProgressFn, Recommender, TrainData
from models.discovery.blends import BASELINE_BLENDS, blend_vector
from models.discovery.features import blocks
from models.discovery.fitting import Blend, Fitted, Spec, fit_walk
from models.discovery.signals import ARTIST_FEATURES, TRACK_FEATURES, Context, DiscoveryState, group_of
from models.evaluation.splits import validation_split
from models.registry import register

TRACK_GROUPS = tuple(dict.fromkeys(group_of(f) for f in TRACK_FEATURES))
ARTIST_GROUPS = tuple(dict.fromkeys(group_of(f) for f in ARTIST_FEATURES))


@register
class DiscoveryRanker(Recommender):
    name = "discovery"
    family = "discovery"
    description = "new-to-you tracks and artists from the catalogue, ranked by a learned blend"
    deterministic = False  # the random negatives of the training lists and artist2vec follow the seed
    version = 2  # 2: artist_popularity joined the artist columns (a version-1 blend has one weight fewer)

    def __init__(
        self,
        groups: list[str] | None = None,
        artist_groups: list[str] | None = None,
        tune_fraction: float = 0.6,
        select_share: float = 1 / 3,
        max_lists: int = 1000,
        per_feature: int = 5,
        per_baseline: int = 30,
        random_negatives: int = 200,
        **params: Any,
    ):
        super().__init__(
            groups=groups,
            artist_groups=artist_groups,
            tune_fraction=tune_fraction,
            select_share=select_share,
            max_lists=max_lists,
            per_feature=per_feature,
            per_baseline=per_baseline,
            random_negatives=random_negatives,
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
        p = self.params
        spec = Spec(self.name, _tuple(p["groups"]), _tuple(p["artist_groups"]))
        self.adopt(self.fit_specs(data, [spec], progress, cancel)[spec.name])
        if progress is not None:
            progress(Progress(1, 1, "discovery blends fitted"))

    def fit_specs(
        self,
        data: TrainData,  # a signals.DiscoveryData carries the albums of the plays
        specs: list[Spec],
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> dict[str, Fitted]:
        """Fit several group configurations in one walk of the validation tail (the ablations)."""
        ctx = self._need_ctx()
        if data.space is not ctx.dspace.space:
            raise ModelError("the training data must be indexed by the bound discovery space")
        p = self.params
        split = validation_split(len(data.items), p["tune_fraction"])
        albums = getattr(data, "albums", None)
        head = None if albums is None else albums[: split.start]
        state = DiscoveryState(ctx, data.items[: split.start], data.played_at[: split.start], head)
        return fit_walk(
            state,
            data.items,
            data.played_at,
            split.start,
            specs,
            albums=albums,
            select_share=p["select_share"],
            per_feature=p["per_feature"],
            per_baseline=p["per_baseline"],
            random_negatives=p["random_negatives"],
            max_lists=p["max_lists"],
            seed=data.seed,
            progress=progress,
            cancel=cancel,
        )

    def adopt(self, fitted: Fitted) -> None:
        self.tracks, self.artists = fitted.tracks, fitted.artists
        info = dict(fitted.info)
        calibration = info.pop("calibration", None)
        self.params["fit"] = info
        if calibration is not None:  # the served list's P(next play) by discovery rank
            self.params["calibration"] = calibration
        else:
            self.params.pop("calibration", None)

    # -- scoring ----------------------------------------------------------------------------
    def start(self, items: np.ndarray, played_at: np.ndarray) -> DiscoveryState:
        return DiscoveryState(self._need_ctx(), items, played_at)

    def observe(self, state: DiscoveryState, item: int, played_at: int) -> DiscoveryState:
        state.observe(int(item), int(played_at))
        return state

    def scores(self, state: DiscoveryState) -> np.ndarray:
        b = blocks(state)
        scorer = self.tracks.scores
        hit = b.scored.get(id(scorer))  # the same state scored again (a page reload)
        if hit is None or hit[0] is not scorer:
            memo = np.full(len(self.space), -np.inf)
            idx = state.rankable()
            if idx.size:
                memo[idx] = scorer.tracks(b, idx)
            hit = b.scored[id(scorer)] = (scorer, memo)  # the scorer is kept: its id cannot be reused
        return hit[1].copy()

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


def _tuple(groups) -> tuple[str, ...] | None:
    return None if groups is None else tuple(groups)
