"""When a corpus-fitted feature model (PCA basis, acoustic VAE, tag Word2Vec) is refitted.

Refitting changes every vector the model produced, so it happens only when worth it: no model yet,
the upstream input version changed (another sentence model, new parameters), the fit set grew or
shrank by more than ``REFIT_CHANGE`` of its size, or a small fit set (under ``SMALL``) changed at
all. Otherwise new items are encoded with the stored model and nothing else is touched.
"""

from __future__ import annotations

from core.features.embeddings.store import StoredModel

REFIT_CHANGE = 0.10
SMALL = 1000


def needs_refit(
    stored: StoredModel | None, *, fit_hash: str, n_items: int, upstream: str, force: bool = False
) -> bool:
    if force or stored is None:
        return True
    if stored.params.get("upstream") != upstream:
        return True
    if stored.fit_hash == fit_hash:
        return False
    if stored.fit_items < SMALL or n_items < SMALL:
        return True
    return abs(n_items - stored.fit_items) > REFIT_CHANGE * stored.fit_items
