"""Multimodal conditioning shared by the ``*_mm`` VAEs: item features → per-item content codes.

Of each group in ``MODALITY_GROUPS`` the first modality present in ``ItemFeatures`` is used (the
embeddings of models/features.py, else their raw tables). Each is standardised over the items that
have it and mapped by its own small layer to a ``code_dim`` code c_im; items without the modality
have no code (mask False) — nothing pretends a missing modality is a zero vector of data.

The VAEs use the codes in two places:
- encoder: per modality, the mask-weighted mean code of the row's items plus the share of the row
  weight that has the modality (so the network knows how much of the context it can see);
- decoder: an item's output vector gains ``Σ_m mask_im · P_m c_im``, so items (also rare or unplayed
  ones that have features) share strength through their content.
With ``features=None`` or all masks False every conditioning term is exactly zero and the model is
its plain counterpart. After fitting, the codes are computed once and stored with the weights, so a
loaded model scores without the feature tables.
"""

from __future__ import annotations

import numpy as np

from models.base import ItemFeatures
from models.graph.session_rows import Vocab

# Modalities the multimodal VAEs read (docs/architecture.md §7): acoustic VAE latent (else the 11 raw audio
# features), lyrics embedding, tag embedding (else raw tag weights). ``w2v`` is deliberately not
# used: it is trained on all of an account's plays, test span included.
MODALITY_GROUPS = (("audio", "audio_raw"), ("lyrics",), ("tags", "tag_weights"))
MODALITIES = tuple(m for group in MODALITY_GROUPS for m in group)


def chosen_modalities(features: ItemFeatures | None) -> list[str]:
    """The first available modality of each group."""
    if features is None:
        return []
    available = set(features.modalities())
    chosen = []
    for group in MODALITY_GROUPS:
        m = next((g for g in group if g in available), None)
        if m is not None:
            chosen.append(m)
    return chosen


def gather_content(features: ItemFeatures | None, vocab: Vocab) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{modality: (standardised float32 [V, d], bool [V] mask)} over the vocabulary, present ones only."""
    out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    for m in chosen_modalities(features):
        mat, mask = features.matrix(m)
        mat = np.asarray(mat, dtype=np.float32)[vocab.items]
        mask = np.asarray(mask, dtype=bool)[vocab.items]
        if not mask.any():
            continue
        x = np.zeros_like(mat)
        mu, sd = mat[mask].mean(0), mat[mask].std(0) + 1e-6
        x[mask] = (mat[mask] - mu) / sd
        out[m] = (np.clip(x, -5, 5), mask)
    return out


def items_with_content(features: ItemFeatures | None) -> np.ndarray:
    """Dense space indices of items that have at least one of the chosen modalities."""
    masks = [np.asarray(features.matrix(m)[1], bool) for m in chosen_modalities(features)]
    if not masks:
        return np.empty(0, np.int64)
    return np.flatnonzero(np.logical_or.reduce(masks))


def build_codes_module(content: dict[str, tuple[np.ndarray, np.ndarray]], code_dim: int):
    """The torch module mapping raw content to codes (imported lazily: torch only when used)."""
    from models.vae.nets import ContentCodes

    return ContentCodes({m: x.shape[1] for m, (x, _) in content.items()}, code_dim)
