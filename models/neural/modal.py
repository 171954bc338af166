"""Item features for the neural models (numpy): selection, standardisation, reduction, initialisations.

Features arrive through the ``ItemFeatures`` protocol: per modality a matrix and a presence mask.
Here each modality is standardised over the items that HAVE it and reduced by PCA to at most
``max_dim`` columns; rows of absent items are left at zero but always travel with their mask, and
the networks replace them by a learned "missing" vector — a zero row is never read as data. A
modality no item has is dropped, so ``features=None`` and all-missing masks both reduce the
multimodal models to their ID-only form.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from models.base import ItemFeatures

log = logging.getLogger(__name__)

# The modalities of the research's fusion models (models/features.py: acoustic VAE latent, lyrics
# MiniLM + PCA, tag Word2Vec). Others ("audio_raw", "bio", "tag_weights", "w2v" — the last learned
# from listening, not content) are used only when named in ``wanted``.
DEFAULT_MODALITIES = ("audio", "lyrics", "tags")


@dataclass
class Modality:
    name: str
    values: np.ndarray  # float32 [n_items, k], standardised; rows outside ``mask`` are unused
    mask: np.ndarray  # bool [n_items]

    @property
    def dim(self) -> int:
        return int(self.values.shape[1])


def _pca(z: np.ndarray, k: int) -> np.ndarray:
    """Scores on the first ``k`` principal axes (deterministic SVD, sign fixed)."""
    u, s, vt = np.linalg.svd(z - z.mean(axis=0), full_matrices=False)
    signs = np.sign(vt[np.arange(len(vt)), np.abs(vt).argmax(axis=1)])
    signs[signs == 0] = 1
    return (u[:, :k] * s[:k]) * signs[:k]


def _standardise(x: np.ndarray) -> np.ndarray:
    sd = x.std(axis=0)
    sd[sd < 1e-8] = 1.0
    return (x - x.mean(axis=0)) / sd


def prepare_modalities(
    features: ItemFeatures | None, n_items: int, wanted: Sequence[str] | None = None, max_dim: int = 64
) -> list[Modality]:
    """The usable modalities of ``features`` (``DEFAULT_MODALITIES`` unless ``wanted`` names others)."""
    if features is None:
        return []
    available = list(features.modalities())
    names = [m for m in (DEFAULT_MODALITIES if wanted is None else wanted) if m in available]
    out: list[Modality] = []
    for name in names:
        values, mask = features.matrix(name)
        values = np.asarray(values, dtype=np.float64)
        mask = np.asarray(mask, dtype=bool).copy()
        if values.ndim != 2 or values.shape[0] != n_items or mask.shape != (n_items,):
            raise ValueError(
                f"modality {name!r}: matrix {values.shape} / mask {mask.shape} do not match {n_items} items"
            )
        mask &= np.isfinite(values).all(axis=1)
        present = int(mask.sum())
        if present < 2 or values.shape[1] == 0:
            log.info("modality %s dropped: %d items have it", name, present)
            continue
        z = _standardise(values[mask])
        k = min(max_dim, z.shape[1], present - 1)
        if k < z.shape[1]:
            z = _pca(z, k)
            z /= max(float(z[:, 0].std()), 1e-8)  # first axis at unit scale, the rest relative to it
        full = np.zeros((n_items, z.shape[1]), dtype=np.float32)
        full[mask] = z
        out.append(Modality(name, full, mask))
    return out


def _fit_block(z: np.ndarray, width: int, rng: np.random.Generator, std: float) -> np.ndarray:
    """``z`` reduced/padded to ``width`` columns and scaled to ``std`` (padding columns random)."""
    if z.shape[1] > width:
        z = _pca(z, width) if z.shape[0] > width else z[:, :width]
    z = z - z.mean(axis=0)
    z = z * (std / max(float(z.std()), 1e-8))
    if z.shape[1] < width:
        z = np.concatenate([z, rng.normal(0, std, (z.shape[0], width - z.shape[1]))], axis=1)
    return z


def multimodal_init(
    mods: list[Modality], n_items: int, dim: int, how: str, rng: np.random.Generator, std: float
) -> tuple[np.ndarray, np.ndarray]:
    """Initial item embeddings [n_items, dim] from features, and which rows came from features.

    - ``concat``: ``dim`` is split across the modalities; each block holds that modality reduced to
      its width; an item lacking a modality gets a random (learned-from-scratch) block there.
    - ``pca``: the standardised modalities are concatenated and reduced jointly to ``dim``; an item
      with some modalities missing is mean-imputed on those blocks for this projection only.
    Items with no modality at all keep a random initialisation (they are learned from plays alone).
    """
    init = rng.normal(0, std, (n_items, dim))
    has = np.zeros(n_items, dtype=bool)
    if not mods:
        return init.astype(np.float32), has
    for m in mods:
        has |= m.mask
    if how == "concat":
        widths = [dim // len(mods) + (1 if i < dim % len(mods) else 0) for i in range(len(mods))]
        col = 0
        for m, w in zip(mods, widths, strict=True):
            if w == 0:
                continue
            init[m.mask, col : col + w] = _fit_block(m.values[m.mask].astype(np.float64), w, rng, std)
            col += w
    elif how == "pca":
        joint = np.concatenate([m.values for m in mods], axis=1).astype(
            np.float64
        )  # absent rows are 0 = mean
        init[has] = _fit_block(joint[has], dim, rng, std)
    else:
        raise ValueError(f"unknown multimodal initialisation {how!r} (concat, pca)")
    return init.astype(np.float32), has
