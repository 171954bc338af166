"""Mixin for models that read item features: which modalities were used, and their towers.

``params["modal_dims"]`` records the modalities actually used (name, width) after ``fit``; it is
what ``load`` needs to rebuild the towers, whose feature matrices and masks are saved with the
network's weights (buffers), so a loaded model scores exactly like the trained one.
"""

from __future__ import annotations

from typing import Any

from models.base import ItemFeatures
from models.neural.modal import Modality, prepare_modalities

MODAL_DEFAULTS: dict[str, Any] = {
    "modalities": None,  # None = audio (VAE latent), lyrics, tags — those the features offer
    "modal_max_dim": 64,  # PCA cap per modality
    "modal_dims": [],  # filled by fit: [[name, width], ...]
}


class MultimodalMixin:
    params: dict[str, Any]
    _mods: list[Modality]

    def prepare_features(self, features: ItemFeatures | None, n_items: int) -> list[Modality]:
        self._mods = prepare_modalities(
            features, n_items, self.params.get("modalities"), int(self.params["modal_max_dim"])
        )
        self.params["modal_dims"] = [[m.name, m.dim] for m in self._mods]
        return self._mods

    def modal_bank(self, n_items: int, deep: bool):
        """A ``ModalBank`` for the recorded modalities, or None when there are none."""
        dims = [(str(name), int(k)) for name, k in self.params.get("modal_dims", [])]
        if not dims:
            return None
        from models.neural.nets.common import ModalBank

        return ModalBank(dims, n_items, int(self.params["dim"]), deep=deep)

    def fill_bank(self, net) -> None:
        if net.items.modal is not None:
            net.items.modal.set_data(self._mods)

    @property
    def modalities_used(self) -> list[str]:
        return [str(name) for name, _ in self.params.get("modal_dims", [])]
