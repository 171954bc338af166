"""Denoising-diffusion recommenders over session-item rows (DiffRec, Wang et al. 2023).

- ``diffvae``: diffusion in the latent space of a Mult-VAE (L-DiffRec-like with a single item
  cluster): the encoder maps the row to z₀, a DiffRec chain (x₀-predicting MLP denoiser, "linear-var"
  schedule, SNR reweighting) denoises it, the multinomial decoder scores every item. Trained jointly;
  the vocabulary is every item of the training span (sampled softmax for large vocabularies).
- ``diffrec``: DiffRec proper — Gaussian diffusion over the row's interaction vector itself. The
  vector is dense, so the vocabulary is capped to the ``max_items`` most played items (4,000 by
  default); rarer items are not scored.

Rows, targets, validation, early stopping and budgets are those of the VAEs (models/vae/torch_base.py);
schedule and inference details in models/vae/diffusion_nets.py.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from models.graph.session_rows import Rows
from models.registry import register
from models.vae.multivae import VAE_DEFAULTS, _VAEBase

DIFF_DEFAULTS: dict[str, Any] = {
    **VAE_DEFAULTS,
    "steps": 5,
    "noise_scale": 0.1,
    "noise_min": 1e-4,
    "noise_max": 0.02,
}


@register
class DiffVAE(_VAEBase):
    name = "diffvae"
    description = "Mult-VAE with DiffRec denoising diffusion in its latent space (Wang et al. 2023)"
    defaults: ClassVar[dict[str, Any]] = {**DIFF_DEFAULTS, "diff_hidden": 256, "diff_weight": 1.0}
    fallback_reason = "fits the mix of tracks in this session"

    def _build_net(self):
        from models.vae.diffusion_nets import LatentDiffusionNet

        assert self.vocab is not None
        p = self.params
        return LatentDiffusionNet(
            len(self.vocab),
            int(p["hidden"]),
            int(p["latent"]),
            float(p["dropout"]),
            int(p["steps"]),
            float(p["noise_scale"]),
            float(p["noise_min"]),
            float(p["noise_max"]),
            int(p["diff_hidden"]),
            float(p["diff_weight"]),
        )

    def _init_net(self, data) -> None:
        import torch

        if self.pop is not None:
            with torch.no_grad():
                self.net.vae.dec_out.bias.copy_(torch.from_numpy(self.pop))


@register
class DiffRec(_VAEBase):
    name = "diffrec"
    description = "DiffRec: denoising diffusion over the session's interaction vector (Wang et al. 2023)"
    defaults: ClassVar[dict[str, Any]] = {**DIFF_DEFAULTS, "max_items": 4000, "hidden": 600, "negatives": 0}
    fallback_reason = "fits the mix of tracks in this session"

    def _build_net(self):
        from models.vae.diffusion_nets import DiffRecNet

        assert self.vocab is not None
        p = self.params
        return DiffRecNet(
            len(self.vocab),
            int(p["hidden"]),
            int(p["steps"]),
            float(p["noise_scale"]),
            float(p["noise_min"]),
            float(p["noise_max"]),
            float(p["dropout"]),
        )

    def _batch_loss(self, inp: Rows, out: Rows):
        from models.graph.bag import Bag

        return self.net.loss(Bag.of(inp, self.device), Bag.of(out, self.device))

    def _score_net(self, rows: Rows) -> np.ndarray:
        from models.graph.bag import Bag

        return self.net.score(Bag.of(rows, self.device)).cpu().numpy()
