"""The discovery baselines as registered models: fixed blends (``blends.BASELINE_BLENDS``) over the
ranker's own state, features and evidence, so they are scored exactly like the ranker."""

from __future__ import annotations

from typing import Any

from models.base import ItemFeatures, ProgressFn, TrainData
from models.discovery.blends import BASELINE_BLENDS, blend_vector
from models.discovery.ranker import DiscoveryRanker
from models.registry import register


class DiscoveryBaseline(DiscoveryRanker):
    """A baseline blend: nothing learned, the same state, scoring and evidence as the ranker."""

    family = "discovery"
    deterministic = True
    blend_name = ""

    def __init__(self, **params: Any):
        super().__init__(**params)
        self._set()

    def _set(self) -> None:
        from models.discovery.signals import ARTIST_FEATURES, TRACK_FEATURES

        t, a = BASELINE_BLENDS[self.blend_name]
        self.tracks.set_raw(blend_vector(TRACK_FEATURES, t), self.blend_name)
        self.artists.set_raw(blend_vector(ARTIST_FEATURES, a), self.blend_name)

    def fit(
        self,
        data: TrainData,
        features: ItemFeatures | None = None,
        progress: ProgressFn | None = None,
        cancel=None,
    ) -> None:
        self._set()


@register
class PopularityBaseline(DiscoveryBaseline):
    name = "discovery_popularity"
    description = "new-to-you tracks by catalogue popularity (baseline)"
    blend_name = "popularity"


@register
class AffinityBaseline(DiscoveryBaseline):
    name = "discovery_affinity"
    description = "new-to-you tracks by artist affinity, as default.explore_scores (baseline)"
    blend_name = "artist_affinity"


@register
class ColistenBaseline(DiscoveryBaseline):
    name = "discovery_colisten"
    description = "new-to-you tracks by co-listen artist kNN (baseline)"
    blend_name = "colisten_knn"
