"""The model jobs on the core job registry: ``train`` (one model of one account).

Registered by the composition roots (``app.main`` and ``segue`` through ``models.commands``) next
to core's jobs, so a training the user starts, a scheduled retrain (``retrain_check``) and
``segue jobs run train`` are one job on one queue per model folder (``train:{account}:{model}``):
two trainings of one model never write its folder at once. Training runs isolated (torch and gensim
in a child process; the GUI's GIL stays free). The body calls the typed interface, ``models.api``.
"""

from __future__ import annotations

from collections.abc import Generator

from core.jobs.progress import Progress
from core.jobs.registry import REGISTRY, JobContext, JobRegistry


def train(
    ctx: JobContext, account: str, model: str = "default", gap_s: int | None = None
) -> Generator[Progress, None, object]:
    """Fit ``model`` on all of ``account``'s plays and save it (``gap_s``: the session gap to use)."""
    from core.sessions import DEFAULT_GAP_S
    from models import api

    gap = DEFAULT_GAP_S if gap_s is None else gap_s
    return (yield from api.train(ctx.store, account, model, gap_s=gap, cancel=ctx.cancel))


def register_model_jobs(registry: JobRegistry = REGISTRY) -> JobRegistry:
    registry.register(
        "train",
        train,
        resource="train:{account}:{model}",
        params=("account", "model?", "gap_s?"),
        defaults={"model": "default"},
        isolate=True,
        description="train a recommender of an account (default: the default model)",
    )
    return registry
