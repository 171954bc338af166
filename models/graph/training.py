"""The epoch loop shared by the iterative session-item models: progress, cancel, time budget, early stopping.

``run_epochs`` calls ``train_epoch(epoch)`` (which checks the cancel token per batch), then scores the
validation targets; it keeps the best state by validation NDCG@10 (or another ``metric``), stops after ``patience`` epochs
without improvement, when the next epoch would overrun ``time_budget_s``, or at ``max_epochs``, and
restores the best state. Progress is reported once per epoch.

The budget counts this process's CPU seconds (``time.process_time``), not wall time: the models
train on one thread, so on an idle machine the two agree, and on a busy one (other jobs, the GUI,
parallel evaluations) the model still gets the same amount of training instead of a result that
depends on the machine's load. ``FitLog.seconds`` is wall time.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from core.jobs import CancelToken, Progress
from models.base import ProgressFn


@dataclass
class FitLog:
    epochs: int = 0
    best_epoch: int = 0
    best: float = float("nan")
    metric: str = "ndcg@10"
    stopped: str = ""
    seconds: float = 0.0
    history: list[dict[str, float]] = field(default_factory=list)

    def as_params(self) -> dict[str, Any]:
        return {
            "epochs_run": self.epochs,
            "best_epoch": self.best_epoch,
            f"val_{self.metric}": round(self.best, 5) if self.best == self.best else None,
            "stopped": self.stopped,
            "fit_seconds": round(self.seconds, 1),
        }


def run_epochs(
    name: str,
    max_epochs: int,
    train_epoch: Callable[[int], float],
    validate: Callable[[], dict[str, float]] | None,
    snapshot: Callable[[], Any],
    restore: Callable[[Any], None],
    progress: ProgressFn | None,
    cancel: CancelToken | None,
    time_budget_s: float,
    patience: int = 3,
    min_epochs: int = 1,
    metric: str = "ndcg",
    label: str = "validation NDCG@10",
    maximize: bool = True,
) -> FitLog:
    """``validate()`` returns a dict holding ``metric``; the best epoch maximises (or minimises) it."""
    cancel = cancel or CancelToken()
    log = FitLog(metric="ndcg@10" if metric == "ndcg" else metric)
    sign = 1.0 if maximize else -1.0
    t0, c0 = time.perf_counter(), time.process_time()
    best_state: Any = None
    best = -float("inf")
    bad = 0
    for epoch in range(1, max_epochs + 1):
        cancel.raise_if_cancelled()
        e0 = time.process_time()
        loss = train_epoch(epoch)
        metrics = validate() if validate is not None else {}
        log.epochs = epoch
        log.history.append({"epoch": epoch, "loss": float(loss), **metrics})
        msg = f"{name}: epoch {epoch}/{max_epochs}, loss {loss:.4f}"
        if metrics:
            value = float(metrics[metric])
            msg += f", {label} {value:.4f}"
            if sign * value > best:
                best, bad, best_state = sign * value, 0, snapshot()
                log.best_epoch, log.best = epoch, value
            else:
                bad += 1
        if progress is not None:
            progress(Progress(epoch, max_epochs, msg))
        elapsed = time.process_time() - c0
        if validate is not None and bad >= patience and epoch >= min_epochs:
            log.stopped = "early stop"
            break
        if elapsed + (time.process_time() - e0) > time_budget_s:
            log.stopped = "time budget"
            break
    else:
        log.stopped = "max epochs"
    if best_state is not None:
        restore(best_state)
    log.seconds = time.perf_counter() - t0
    return log
