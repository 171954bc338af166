"""One (account, model) evaluation over several seeds, as a job body (``core.jobs.registry``).

``runner.run_evaluation`` drives it in-process, or with ``isolate=True`` through
``core.jobs.isolate.run_isolated`` in a fresh child process, so each model's peak memory is its own
and a crash takes down only that child. Either way a failure reaches the caller as the same
exception (``ModelError`` and all: ``core.jobs.wire``).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence

from core.jobs import Progress
from core.jobs.registry import JobContext
from models.data import build_sequence


def evaluate_pair(
    ctx: JobContext, account: str, model: str, seeds: Sequence[int], upto: float | None = None
) -> Generator[Progress, None, list[dict]]:
    from models.evaluation.runner import _account_id, evaluate_one

    seq = build_sequence(ctx.store.engine, _account_id(ctx.store, account), upto=upto)
    rows: list[dict] = []
    for seed in seeds:
        rows.append(evaluate_one(ctx.store, account, model, int(seed), seq=seq, cancel=ctx.cancel, upto=upto))
        yield Progress(len(rows), len(seeds), f"{account}: {model}, seed {seed}")
    return rows
