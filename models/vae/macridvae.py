"""MacridVAE (Ma et al. 2019, "Learning Disentangled Representations for Recommendation") over
session-item rows, plain and multimodal-conditioned.

Items get embeddings h_i and K concept prototypes m_k; an item's concept mix c_i = softmax_k(cos(h_i,
m_k)/τ) (Gumbel-softmax while training). For each concept the shared encoder reads the row restricted
to that concept (x ⊙ c_·k) and yields a normalised micro latent z_k; the decoder scores item i by
log Σ_k c_ik exp(cos(z_k, h_i)/τ). Rows, targets, validation and budgets are those of ``multivae``
(models/vae/torch_base.py). ``macridvae_mm`` adds the item content codes to h_i (so features shape
both an item's concept and its score) and the row's content summary to the encoder.
"""

from __future__ import annotations

from typing import Any, ClassVar

from models.registry import register
from models.vae.content import MODALITIES
from models.vae.multivae import VAE_DEFAULTS, _VAEBase

MACRID_DEFAULTS: dict[str, Any] = {**VAE_DEFAULTS, "concepts": 4, "dim": 64, "tau": 0.1, "std": 0.075}


class _MacridVAE(_VAEBase):
    defaults: ClassVar[dict[str, Any]] = MACRID_DEFAULTS
    fallback_reason = "close to what this session is made of"

    def _build_net(self):
        from models.vae.nets import MacridVAENet

        assert self.vocab is not None
        p = self.params
        net = MacridVAENet(
            len(self.vocab),
            int(p["concepts"]),
            int(p["dim"]),
            int(p["hidden"]),
            float(p["tau"]),
            float(p["dropout"]),
            float(p["std"]),
            self._content_dims(),
            int(p["code_dim"]),
        )
        self._attach_content(net)
        return net


@register
class MacridVAE(_MacridVAE):
    name = "macridvae"
    description = "MacridVAE: disentangled macro/micro concepts over listening sessions (Ma et al. 2019)"


@register
class MacridVAEMM(_MacridVAE):
    name = "macridvae_mm"
    description = "MacridVAE over listening sessions, conditioned on audio, lyrics and tag features"
    uses_modalities = MODALITIES
    multimodal = True
