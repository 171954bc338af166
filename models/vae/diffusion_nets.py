"""Torch parts of the diffusion recommenders (DiffRec, Wang et al. 2023): schedule and denoisers.

Schedule ("linear-var" of DiffRec): the forward noise variance 1 − ᾱ_t rises linearly from
``noise_scale · noise_min`` to ``noise_scale · noise_max`` over ``steps`` steps. The denoiser predicts
x₀ (DiffRec's ``mean_type = x0``); training draws t uniformly and weights the MSE by
SNR(t−1) − SNR(t) (1 at t = 0), as DiffRec's ``reweight``, rescaled to mean 1 over the steps.
Inference starts from the observed (un-noised) vector, as DiffRec with ``sampling_steps = 0``, and
runs the deterministic reverse chain x_{t−1} = c₁(t)·x̂₀ + c₂(t)·x_t down to t = 0 (no sampling noise).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from models.graph.bag import Bag, Candidates
from models.vae.nets import MultVAENet, sinusoidal


class Schedule(nn.Module):
    def __init__(self, steps: int, noise_scale: float, noise_min: float, noise_max: float):
        super().__init__()
        variance = noise_scale * np.linspace(noise_min, noise_max, steps, dtype=np.float64)
        abar = 1.0 - variance
        betas = np.concatenate([[1.0 - abar[0]], np.minimum(1.0 - abar[1:] / abar[:-1], 0.999)])
        alphas = 1.0 - betas
        ac = np.cumprod(alphas)
        ac_prev = np.concatenate([[1.0], ac[:-1]])
        snr = ac / (1.0 - ac)
        weight = np.concatenate([[1.0], snr[:-1] - snr[1:]])
        weight = weight / weight.mean()
        self.steps = steps
        for name, value in {
            "sqrt_ac": np.sqrt(ac),
            "sqrt_1m_ac": np.sqrt(1.0 - ac),
            "coef1": betas * np.sqrt(ac_prev) / (1.0 - ac),
            "coef2": (1.0 - ac_prev) * np.sqrt(alphas) / (1.0 - ac),
            "weight": weight,
        }.items():
            self.register_buffer(name, torch.tensor(value, dtype=torch.float32), persistent=False)

    def q_sample(self, x0: torch.Tensor, t: torch.Tensor, noise: torch.Tensor) -> torch.Tensor:
        return self.sqrt_ac[t][:, None] * x0 + self.sqrt_1m_ac[t][:, None] * noise

    def reverse(self, denoise, x: torch.Tensor) -> torch.Tensor:
        """Deterministic reverse chain from ``x`` (taken as x_T); returns x̂₀ of the last step."""
        for i in reversed(range(self.steps)):
            t = torch.full((x.shape[0],), i, dtype=torch.long, device=x.device)
            x0 = denoise(x, t)
            x = self.coef1[i] * x0 + self.coef2[i] * x
        return x


class Denoiser(nn.Module):
    """DiffRec's DNN: [x_t ; time embedding] → tanh hidden → x̂₀."""

    def __init__(self, dim: int, hidden: int, emb: int = 10, dropout: float = 0.0):
        super().__init__()
        self.emb = emb
        self.time = nn.Linear(emb, emb)
        self.inp = nn.Linear(dim + emb, hidden)
        self.out = nn.Linear(hidden, dim)
        self.dropout = dropout

    def forward(self, x: torch.Tensor, t: torch.Tensor) -> torch.Tensor:
        x = F.dropout(x, self.dropout, self.training) if self.dropout > 0 else x
        h = torch.tanh(self.inp(torch.cat([x, self.time(sinusoidal(t, self.emb))], dim=1)))
        return self.out(h)


class DiffRecNet(nn.Module):
    """Diffusion over the row's interaction vector (the vocabulary is capped: the vector is dense)."""

    def __init__(
        self,
        n_items: int,
        hidden: int,
        steps: int,
        noise_scale: float,
        noise_min: float,
        noise_max: float,
        dropout: float = 0.5,
        emb: int = 10,
    ):
        super().__init__()
        self.n_items = n_items
        self.schedule = Schedule(steps, noise_scale, noise_min, noise_max)
        self.denoiser = Denoiser(n_items, hidden, emb, dropout)

    def loss(self, bag: Bag, target: Bag, beta: float = 0.0, out: Candidates | None = None) -> torch.Tensor:
        x0 = target.dense(self.n_items)
        x_in = bag.dense(self.n_items)
        t = torch.randint(0, self.schedule.steps, (x0.shape[0],), device=x0.device)
        xt = self.schedule.q_sample(x_in, t, torch.randn_like(x_in))
        mse = ((self.denoiser(xt, t) - x0) ** 2).mean(dim=1)
        return (self.schedule.weight[t] * mse).mean()

    def score(self, bag: Bag) -> torch.Tensor:
        return self.schedule.reverse(self.denoiser, bag.dense(self.n_items))


class LatentDiffusionNet(nn.Module):
    """Mult-VAE whose latent is denoised by a DiffRec chain before decoding (L-DiffRec-like, one
    cluster). Loss: NLL(dec(z₀)) + NLL(dec(ẑ₀)) + β·KL + ``diff_weight``·MSE(ẑ₀, z₀), z₀ detached
    as the diffusion target; scoring decodes the reverse chain run from μ(x)."""

    def __init__(
        self,
        n_items: int,
        hidden: int,
        latent: int,
        dropout: float,
        steps: int,
        noise_scale: float,
        noise_min: float,
        noise_max: float,
        diff_hidden: int = 256,
        diff_weight: float = 1.0,
    ):
        super().__init__()
        self.vae = MultVAENet(n_items, hidden, latent, dropout)
        self.schedule = Schedule(steps, noise_scale, noise_min, noise_max)
        self.denoiser = Denoiser(latent, diff_hidden)
        self.diff_weight = diff_weight

    def loss(self, bag: Bag, target: Bag, beta: float, out: Candidates | None = None) -> torch.Tensor:
        mu, logvar = self.vae.encode(bag, None)
        z0 = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
        kl = -0.5 * torch.mean(torch.sum(1 + logvar - mu**2 - logvar.exp(), dim=1))
        t = torch.randint(0, self.schedule.steps, (z0.shape[0],), device=z0.device)
        zt = self.schedule.q_sample(z0.detach(), t, torch.randn_like(z0))
        z_hat = self.denoiser(zt, t)
        mse = ((z_hat - z0.detach()) ** 2).mean(dim=1)
        nll = target.multinomial_nll(self.vae.decode(z0, None, out), out)
        nll_hat = target.multinomial_nll(self.vae.decode(z_hat, None, out), out)
        return nll + nll_hat + beta * kl + self.diff_weight * (self.schedule.weight[t] * mse).mean()

    def score(self, bag: Bag) -> torch.Tensor:
        mu, _ = self.vae.encode(bag, None)
        return self.vae.decode(self.schedule.reverse(self.denoiser, mu), None)
