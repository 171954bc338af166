"""Issue 4: the acoustic VAE (11 → 150) on the real audio rows — why β = 0.2, and what a build costs.

    python -m benchmarks.bench_features_vae

All listeners and all audio tables are imported (as in bench_features_coverage), giving the audio rows
a real install would hold (track rows, data_by_artist, per-artist table means). A random 85/15 split of
those rows; for β in (1.0, 0.2, 0.05) a VAE is trained on 85% and reports the held-out reconstruction
MSE of the known standardised features from the posterior mean (1.0 = no better than the mean) and how
many latent dimensions vary across held-out rows (std > 0.1). Then the real ``build_audio_vae`` job is
timed (train + encode + store). Results: bench-results/features_vae.json.
"""

from __future__ import annotations

import os
import tempfile
import time

import numpy as np

from benchmarks.bench_features_coverage import LISTENERS, TABLES
from benchmarks.common import save


def _heldout(state, z, known) -> float:
    import torch

    from core.features.embeddings.vae import _net

    net = _net()
    net.load_state_dict({k: torch.from_numpy(np.asarray(v)) for k, v in state.items()})
    net.eval()
    with torch.no_grad():
        mu, _ = net.encode(torch.from_numpy(z), torch.from_numpy(known.astype(np.float32)))
        recon = net.dec(mu).numpy()
    return float((((recon - z) ** 2) * known).sum() / known.sum())


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="segue-bench-vae-")
    os.environ["SEGUE_HOME"] = tmp
    from core.features.embeddings.audio import AudioStats, load_audio_rows
    from core.features.embeddings.vae import build_audio_vae, encode, train_vae
    from core.features.tables import import_table
    from core.jobs import run_job
    from core.sources.importing import import_files
    from core.store.engine import open_store

    store = open_store(f"sqlite:///{tmp}/bench.sqlite")
    for name, files in LISTENERS.items():
        assert run_job(import_files(store, files, name)).ok
    for path, kind in TABLES:
        if kind == "audio":
            run_job(import_table(store, path, kind))
    kinds, _, raw = load_audio_rows(store.engine)
    z, known = AudioStats.fit(raw).apply(raw)
    rng = np.random.default_rng(0)
    perm = rng.permutation(len(z))
    cut = int(0.85 * len(z))
    tr, te = perm[:cut], perm[cut:]
    out = {
        "rows": int(len(z)),
        "track_rows": int((kinds == "track").sum()),
        "artist_rows": int((kinds == "artist").sum()),
        "beta": {},
    }
    for beta in (1.0, 0.2, 0.05):
        t = time.perf_counter()
        state, losses = run_job(train_vae(z[tr], known[tr], beta=beta, seed=0))
        mu = encode(state, z[te], known[te])
        out["beta"][str(beta)] = {
            "heldout_recon_mse": round(_heldout(state, z[te], known[te]), 3),
            "active_dims": int((mu.std(0) > 0.1).sum()),
            "final_loss": round(losses[-1], 3),
            "train_s": round(time.perf_counter() - t, 1),
        }
        print(f"beta {beta}: {out['beta'][str(beta)]}", flush=True)
    t = time.perf_counter()
    built = run_job(build_audio_vae(store))
    out["build_job_s"] = round(time.perf_counter() - t, 1)
    out["build"] = built
    print(
        f"{out['rows']:,} rows ({out['track_rows']:,} track, {out['artist_rows']:,} artist); "
        f"build_audio_vae {out['build_job_s']} s"
    )
    print(f"saved {save('features_vae', out)}")


if __name__ == "__main__":
    main()
