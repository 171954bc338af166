"""Pick the compute device: CUDA, then Apple MPS, then CPU. ``SEGUE_DEVICE`` overrides."""

from __future__ import annotations

import os


def pick_device():
    import torch

    wanted = os.environ.get("SEGUE_DEVICE", "").lower()
    if wanted:
        return torch.device(wanted)
    if torch.cuda.is_available():
        return torch.device("cuda")
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return torch.device("mps")
    return torch.device("cpu")


def set_threads() -> None:
    """Use every core for intra-op work on CPU (torch defaults can under-use small machines).

    ``SEGUE_TORCH_THREADS`` overrides: on a machine whose cores are busy with other work, one thread
    is much cheaper (measured with RecBole's SASRec on the shared 2-core box: 2 threads used 4x the CPU
    time of 1 and took 3x as long).
    """
    import torch

    wanted = os.environ.get("SEGUE_TORCH_THREADS", "")
    n = int(wanted) if wanted.isdigit() and int(wanted) > 0 else (os.cpu_count() or 1)
    if torch.get_num_threads() != n:
        torch.set_num_threads(n)
