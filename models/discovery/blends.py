"""The discovery baselines, as fixed blends over the ranker's own features (docs/architecture.md §8b).

- ``popularity``: the catalogue's popularity (log1p listeners, else local listeners); artists by
  how many plays other local listeners gave them, then how many similar-artist lists name them.
- ``artist_affinity``: today's ``default.explore_scores`` — log1p of the artist's plays decayed
  over 30 days plus 5 × P(artist | artist of the last play) — with the app's popularity tie-break
  (``models.training._explore`` adds a hundredth of the popularity): every unheard track of an
  artist otherwise ties. A new artist has no affinity, so its artist ranking is the popularity one.
- ``colisten_knn``: co-listen artist kNN — Σ over the artists in rotation (30-day decayed plays) of
  their co-listening similarity to the candidate's artist (the benchmark's HetRec 2011 graph, cosine
  over users, 50 neighbours), as log1p(100 · proximity), with the same popularity tie-break.

Each is ``(track weights, artist weights)`` in raw feature units. The ranker starts its search from
them, and ``baselines`` registers them as models (``discovery_popularity``, ...) that rank without
learning.
"""

from __future__ import annotations

import numpy as np

TIE = 0.01
BASELINE_BLENDS: dict[str, tuple[dict[str, float], dict[str, float]]] = {
    "popularity": (
        {"popularity": 1.0, "local_listeners": TIE},
        {"artist_local_plays": 1.0, "artist_degree": TIE},
    ),
    "artist_affinity": (
        {"artist_30d": 1.0, "artist_next": 5.0, "popularity": TIE},
        {"artist_local_plays": 1.0, "artist_degree": TIE},
    ),
    "colisten_knn": (
        {"colisten_rotation": 1.0, "popularity": TIE},
        {"colisten_rotation": 1.0, "artist_degree": TIE},
    ),
}


def blend_vector(names: list[str], weights: dict[str, float]) -> np.ndarray:
    return np.array([weights.get(n, 0.0) for n in names], np.float64)
