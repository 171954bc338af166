"""How many torch threads embedding work uses.

Background embedding shares the machine with the GUI and other jobs. Measured on this 2-core machine
with other processes keeping the load near 8 (benchmarks/bench_features_text.py): MiniLM encoded
about 63 short texts/s with one torch thread and 15/s with two — oversubscribed intra-op threads
spin against each other. So jobs default to half the cores (at least
one); ``settings.embedding_threads`` overrides it.
"""

from __future__ import annotations

import os
from contextlib import contextmanager


def default_threads() -> int:
    from core.settings import Settings

    configured = Settings.load().embedding_threads
    return configured if configured > 0 else max(1, (os.cpu_count() or 2) // 2)


@contextmanager
def torch_threads(n: int | None = None):
    """Run the block with ``n`` torch intra-op threads (default ``default_threads()``), then restore."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(n or default_threads())
    try:
        yield
    finally:
        torch.set_num_threads(before)
