"""Acoustic VAE: the 11 standardised audio features → a 150-d latent (the seed's "acoustic VAE").

Input is the z-scored features (``audio.AudioStats``) with a known-value mask: the encoder sees
``[x * m, m]`` (22 numbers), the reconstruction loss counts known features only, and during training
a further 20% of the known features are hidden from the encoder (denoising), so rows with missing
features — analysis of the user's own files gives only some — encode sensibly. The embedding of an
item is the posterior mean. The KL term is weighted by ``BETA`` (a β-VAE, see below). Trained globally on every stored row (track and artist level, all
accounts: the features describe recordings, not listeners), stored in ``feature_model`` with its
standardisation, refitted per ``refit.needs_refit``. torch is imported only here.
"""

from __future__ import annotations

from collections.abc import Generator

import numpy as np

from core.features.embeddings.audio import AUDIO_FEATURES, AudioStats, load_audio_rows
from core.features.embeddings.refit import needs_refit
from core.features.embeddings.store import (
    GLOBAL,
    delete_vectors,
    digest,
    load_model,
    save_model,
    save_vectors,
    stored_versions,
)
from core.features.embeddings.threads import torch_threads
from core.jobs import CancelToken, Progress

KIND = "audio"
MODEL = "audio_vae"
LATENT = 150
HIDDEN = 64
# β-VAE weight on the KL term. At β = 1 the posterior collapses onto a few of the 150 dimensions:
# on the 7.8k real audio rows, held-out reconstruction MSE 0.76 (of unit variance) with 29 active
# dimensions, against 0.17 with 75 at β = 0.2 (benchmarks/bench_features_vae.py, one run).
BETA = 0.2
N_IN = len(AUDIO_FEATURES)
UPSTREAM = f"audio11:log-duration:z:vae-h{HIDDEN}-l{LATENT}-b{BETA}"


def _net(latent: int = LATENT, hidden: int = HIDDEN):
    import torch
    from torch import nn

    class VAE(nn.Module):
        def __init__(self):
            super().__init__()
            self.enc = nn.Sequential(
                nn.Linear(2 * N_IN, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU()
            )
            self.mu = nn.Linear(hidden, latent)
            self.logvar = nn.Linear(hidden, latent)
            self.dec = nn.Sequential(nn.Linear(latent, hidden), nn.ReLU(), nn.Linear(hidden, N_IN))

        def encode(self, x, m):
            h = self.enc(torch.cat([x * m, m], dim=1))
            return self.mu(h), self.logvar(h).clamp(-10, 10)

        def forward(self, x, m):
            mu, logvar = self.encode(x, m)
            z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar)
            return self.dec(z), mu, logvar

    return VAE()


def _one_thread():
    """A 64-unit MLP gains nothing from intra-op threads; on a shared machine they only contend."""
    return torch_threads(1)


def train_vae(
    z: np.ndarray,
    known: np.ndarray,
    *,
    epochs: int = 30,
    batch: int = 256,
    lr: float = 2e-3,
    beta: float = BETA,
    hide: float = 0.2,
    min_steps: int = 1500,
    seed: int = 0,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, tuple[dict[str, np.ndarray], list[float]]]:
    """Train on standardised ``z`` [n, 11] with mask ``known``; returns (state arrays, loss per epoch).

    Small fit sets get smaller batches and more epochs so training always takes ≥ ``min_steps``
    optimiser steps (850 rows × 30 epochs at batch 256 would be 120 steps: the latent stays unused).
    """
    import torch

    cancel = cancel or CancelToken()
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    net = _net()
    opt = torch.optim.Adam(net.parameters(), lr=lr)
    x_all = torch.from_numpy(np.asarray(z, np.float32))
    m_all = torch.from_numpy(np.asarray(known, np.float32))
    n = len(x_all)
    batch = max(32, min(batch, n // 20 or 1))
    steps_per_epoch = max(1, -(-n // batch))
    epochs = max(epochs, -(-min_steps // steps_per_epoch))
    losses: list[float] = []
    with _one_thread():
        yield from _epochs(net, opt, x_all, m_all, epochs, batch, beta, hide, rng, cancel, losses)
    state = {k: v.detach().numpy().copy() for k, v in net.state_dict().items()}
    return state, losses


def _epochs(net, opt, x_all, m_all, epochs, batch, beta, hide, rng, cancel, losses):
    import torch

    n = len(x_all)
    for epoch in range(epochs):
        cancel.raise_if_cancelled()
        order = torch.from_numpy(rng.permutation(n))
        total = 0.0
        net.train()
        for s in range(0, n, batch):
            idx = order[s : s + batch]
            x, m = x_all[idx], m_all[idx]
            keep = (torch.rand_like(m) >= hide).float() * m
            keep = torch.where(keep.sum(1, keepdim=True) > 0, keep, m)  # never hide everything
            recon, mu, logvar = net(x, keep)
            rec = (((recon - x) ** 2) * m).sum(1) * 0.5
            kl = -0.5 * (1 + logvar - mu.pow(2) - logvar.exp()).sum(1)
            loss = (rec + beta * kl).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += float(loss.detach()) * len(idx)
        losses.append(total / max(n, 1))
        yield Progress(epoch + 1, epochs, f"audio VAE epoch {epoch + 1}/{epochs}: loss {losses[-1]:.3f}")


def encode(state: dict[str, np.ndarray], z: np.ndarray, known: np.ndarray) -> np.ndarray:
    """Posterior means float32 [n, 150] for standardised rows."""
    import torch

    net = _net()
    net.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()})
    net.eval()
    out = []
    with torch.no_grad(), _one_thread():
        for s in range(0, len(z), 4096):
            mu, _ = net.encode(
                torch.from_numpy(np.asarray(z[s : s + 4096], np.float32)),
                torch.from_numpy(np.asarray(known[s : s + 4096], np.float32)),
            )
            out.append(mu.numpy())
    return np.concatenate(out).astype(np.float32) if out else np.empty((0, LATENT), np.float32)


def build_audio_vae(
    store,
    *,
    epochs: int = 30,
    min_steps: int = 1500,
    seed: int = 0,
    force: bool = False,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, dict]:
    """(Re)train the VAE when its fit set changed enough; store latents for new/changed rows."""
    cancel = cancel or CancelToken()
    kinds, ids, raw = load_audio_rows(store.engine)
    present = np.isfinite(raw).any(1)
    kinds, ids, raw = kinds[present], ids[present], raw[present]
    old = stored_versions(store.engine, KIND, GLOBAL)
    keys = list(zip(kinds.tolist(), ids.tolist(), strict=True))
    gone = set(old) - set(keys)
    if not len(ids):
        if gone:
            with store.engine.begin() as conn:
                delete_vectors(conn, KIND, GLOBAL, gone)
        return {"kind": KIND, "rows": 0, "refit": False, "computed": 0, "deleted": len(gone)}
    upstream = f"{UPSTREAM}:e{epochs}:m{min_steps}:s{seed}"
    raw_clean = np.where(np.isfinite(raw), raw, np.nan)
    fit_hash = digest(kinds.astype(str), ids, raw_clean)
    model = load_model(store.engine, MODEL)
    refit = needs_refit(model, fit_hash=fit_hash, n_items=len(ids), upstream=upstream, force=force)
    if refit:
        stats = AudioStats.fit(raw)
        z, known = stats.apply(raw)
        state, losses = yield from train_vae(
            z, known, epochs=epochs, min_steps=min_steps, seed=seed, cancel=cancel
        )
        version = f"vae{LATENT}:{digest(*[state[k] for k in sorted(state)])}"
        arrays = {f"net.{k}": v for k, v in state.items()} | {
            "stats.mean": stats.mean,
            "stats.std": stats.std,
        }
        with store.engine.begin() as conn:
            save_model(
                conn,
                MODEL,
                GLOBAL,
                version=version,
                fit_hash=fit_hash,
                fit_items=len(ids),
                params={"upstream": upstream, "epochs": epochs, "final_loss": losses[-1] if losses else None},
                arrays=arrays,
            )
    else:
        version = model.version
        state = {k[4:]: v for k, v in model.arrays.items() if k.startswith("net.")}
        stats = AudioStats(model.arrays["stats.mean"], model.arrays["stats.std"])
    cancel.raise_if_cancelled()
    row_hash = [digest(r) for r in raw_clean]
    stale = np.array([old.get(k) != (version, h) for k, h in zip(keys, row_hash, strict=True)])
    if stale.any():
        z, known = stats.apply(raw[stale])
        lat = encode(state, z, known)
        with store.engine.begin() as conn:
            for kind in ("track", "artist"):
                sel = kinds[stale] == kind
                if sel.any():
                    save_vectors(
                        conn,
                        KIND,
                        GLOBAL,
                        kind,
                        ids[stale][sel].tolist(),
                        lat[sel],
                        version,
                        [h for h, s in zip(np.array(row_hash)[stale], sel, strict=True) if s],
                    )
            delete_vectors(conn, KIND, GLOBAL, gone)
    elif gone:
        with store.engine.begin() as conn:
            delete_vectors(conn, KIND, GLOBAL, gone)
    yield Progress(1, 1, f"audio VAE: {int(stale.sum()):,} latents computed")
    return {
        "kind": KIND,
        "rows": int(len(ids)),
        "refit": refit,
        "computed": int(stale.sum()),
        "deleted": len(gone),
    }
