"""The 11 Spotify-style audio features as model input: read from the store, standardised, masked.

Unknown values are NaN in the raw arrays and False in the column mask — never zero. Standardising:
``duration_ms`` is log-transformed first (its tail spans minutes to hours), then every column is
z-scored with the mean/std of all stored rows (track and artist level) and clipped to ±5; a missing
value becomes 0 (the mean) *with* its mask bit False, so a consumer can tell imputed from known.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, Engine, select

from core.store.schema import AudioFeatures

AUDIO_FEATURES = (
    "acousticness",
    "danceability",
    "duration_ms",
    "energy",
    "instrumentalness",
    "liveness",
    "loudness",
    "speechiness",
    "tempo",
    "valence",
    "mode",
)
_LOG = AUDIO_FEATURES.index("duration_ms")
CLIP = 5.0


def load_audio_rows(
    bind: Connection | Engine, item_kind: str | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(item_kind str [n], item_id int64 [n], raw float64 [n, 11] with NaN for unknown)."""
    cols = [getattr(AudioFeatures, c) for c in AUDIO_FEATURES]
    stmt = select(AudioFeatures.item_kind, AudioFeatures.item_id, *cols).order_by(
        AudioFeatures.item_kind, AudioFeatures.item_id
    )
    if item_kind is not None:
        stmt = stmt.where(AudioFeatures.item_kind == item_kind)
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            rows = conn.execute(stmt).all()
    else:
        rows = bind.execute(stmt).all()
    kinds = np.array([r[0] for r in rows], dtype=object)
    ids = np.fromiter((r[1] for r in rows), dtype=np.int64, count=len(rows))
    raw = np.array([[np.nan if v is None else v for v in r[2:]] for r in rows], dtype=np.float64)
    return kinds, ids, raw.reshape(len(rows), len(AUDIO_FEATURES))


@dataclass
class AudioStats:
    mean: np.ndarray  # float64 [11], after the log transform
    std: np.ndarray

    @classmethod
    def fit(cls, raw: np.ndarray) -> AudioStats:
        x = _transform(raw)
        with np.errstate(invalid="ignore"):
            mean = np.nanmean(x, axis=0) if len(x) else np.zeros(x.shape[1])
            std = np.nanstd(x, axis=0) if len(x) else np.ones(x.shape[1])
        mean = np.where(np.isfinite(mean), mean, 0.0)
        std = np.where(np.isfinite(std) & (std > 1e-9), std, 1.0)
        return cls(mean, std)

    def apply(self, raw: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(float32 z-scores with 0 where unknown, bool column mask of known values)."""
        x = _transform(raw)
        known = np.isfinite(x)
        z = np.clip((x - self.mean) / self.std, -CLIP, CLIP)
        return np.where(known, z, 0.0).astype(np.float32), known


def _transform(raw: np.ndarray) -> np.ndarray:
    x = np.array(raw, dtype=np.float64, copy=True)
    d = x[:, _LOG]
    with np.errstate(invalid="ignore", divide="ignore"):
        x[:, _LOG] = np.where(d > 0, np.log(d), np.nan)
    return x
