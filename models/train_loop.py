"""The one torch training loop: every neural family trains through it (sequence models in
models/neural, the session-item VAEs / diffusion / factor models in models/graph, the genre fusion net
in models/content). Imports torch only when called.

``fit_epochs`` runs up to ``max_epochs`` epochs. An epoch steps the model's batches — ``batches(epoch)``
yields one loss tensor per batch, computed lazily — with zero_grad, backward, optional gradient
clipping and an optimiser step, checking the cancel token and the time budget before each batch.
After each epoch ``validate()`` (if given) returns metrics; the state with the best ``metric`` is kept,
training stops after ``patience`` epochs without improvement (never before ``min_epochs``), when the
budget is spent (before an epoch predicted from the last one to overrun it, or in the middle of one
that overruns anyway) or at ``max_epochs``, and the best state is put back. Progress once per epoch.

Budgets count CPU seconds of this process (``clock="cpu"``: a busy machine gives a model the same
amount of training, not a result that depends on the load) or wall seconds (``"wall"``, for models
that train on every core, where CPU seconds would count each core).

Fine-tuning (``models.finetune``): the network starts from trained weights (``init_state``, or loaded
by the family), ``batches`` run over the recent plays only, and ``validate_start`` scores those
weights before the first epoch as "epoch 0": when no epoch beats them, they are what is kept.
``validate=None`` trains exactly ``max_epochs`` epochs. ``step_epoch`` alone is one pass (the
families' "refit on the latest plays").
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from core.jobs import CancelToken, Progress
from models.base import ProgressFn


@dataclass
class Budget:
    """A time allowance: ``seconds`` of ``clock`` from when it was made."""

    seconds: float
    clock: Literal["cpu", "wall"] = "cpu"
    started: float = field(init=False)

    def __post_init__(self) -> None:
        self.started = self.now()

    def now(self) -> float:
        return time.process_time() if self.clock == "cpu" else time.monotonic()

    def spent(self) -> float:
        return self.now() - self.started

    def exhausted(self, ahead: float = 0.0) -> bool:
        """Whether the budget is spent (or would be after ``ahead`` more seconds)."""
        return self.spent() + ahead > self.seconds


@dataclass
class EpochResult:
    loss: float  # mean over the batches stepped
    batches: int
    cut: bool  # the budget ran out in the middle of the epoch


@dataclass
class FitLog:
    epochs: int = 0
    best_epoch: int = 0
    best: float = float("nan")
    metric: str = "ndcg@10"
    stopped: str = ""  # early stop | time budget | max epochs
    seconds: float = 0.0  # wall time of the loop
    history: list[dict[str, float]] = field(default_factory=list)

    def as_params(self) -> dict[str, Any]:
        return {
            "epochs_run": self.epochs,
            "best_epoch": self.best_epoch,
            f"val_{self.metric}": round(self.best, 5) if self.best == self.best else None,
            "stopped": self.stopped,
            "fit_seconds": round(self.seconds, 1),
        }


def step_epoch(
    net,
    optimizer,
    losses: Iterable[Any],
    *,
    cancel: CancelToken,
    budget: Budget | None = None,
    clip_grad: float | None = None,
) -> EpochResult:
    """One pass: an optimiser step per loss tensor of ``losses``; stops early when ``budget`` is spent."""
    import torch

    net.train()
    total, count = 0.0, 0
    it = iter(losses)
    while True:
        cancel.raise_if_cancelled()
        if budget is not None and budget.exhausted():
            return EpochResult(total / max(count, 1), count, True)
        loss = next(it, None)
        if loss is None:
            break
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if clip_grad is not None:
            torch.nn.utils.clip_grad_norm_(net.parameters(), clip_grad)
        optimizer.step()
        total += float(loss.detach())
        count += 1
    return EpochResult(total / max(count, 1), count, False)


def _snapshot(net) -> dict[str, Any]:
    """A copy of the network's weights (the best epoch so far)."""
    return {k: v.detach().clone() for k, v in net.state_dict().items()}


def fit_epochs(
    name: str,
    net,
    optimizer,
    batches: Callable[[int], Iterable[Any]],
    *,
    max_epochs: int,
    budget: Budget,
    cancel: CancelToken | None = None,
    progress: ProgressFn | None = None,
    validate: Callable[[], Mapping[str, float]] | None = None,
    metric: str = "ndcg@10",
    maximize: bool = True,
    label: str = "validation NDCG@10",
    patience: int = 3,
    min_epochs: int = 1,
    clip_grad: float | None = None,
    init_state: Mapping[str, Any] | None = None,
    validate_start: bool = False,
) -> FitLog:
    """Train ``net`` epoch by epoch (see the module doc); returns what happened."""
    cancel = cancel or CancelToken()
    if init_state is not None:
        net.load_state_dict(init_state)
    log = FitLog(metric=metric)
    sign = 1.0 if maximize else -1.0
    t0 = time.perf_counter()
    best_state: dict[str, Any] | None = None
    best = -float("inf")
    bad = 0
    if validate is not None and validate_start and max_epochs > 0:
        metrics = dict(validate())
        log.history.append({"epoch": 0, **metrics})
        best, log.best = sign * float(metrics[metric]), float(metrics[metric])
        best_state = _snapshot(net)
    for epoch in range(1, max_epochs + 1):
        cancel.raise_if_cancelled()
        e0 = budget.now()
        result = step_epoch(net, optimizer, batches(epoch), cancel=cancel, budget=budget, clip_grad=clip_grad)
        metrics = dict(validate()) if validate is not None and result.batches else {}
        log.epochs = epoch
        log.history.append({"epoch": epoch, "loss": result.loss, **metrics})
        msg = f"{name}: epoch {epoch}/{max_epochs}, loss {result.loss:.4f}"
        if metrics:
            value = float(metrics[metric])
            msg += f", {label} {value:.4f}"
            if sign * value > best:
                best, bad = sign * value, 0
                best_state = _snapshot(net)
                log.best_epoch, log.best = epoch, value
            else:
                bad += 1
        elif validate is None:
            log.best_epoch = epoch
        out_of_time = result.cut or budget.exhausted(ahead=budget.now() - e0)
        if progress is not None:
            progress(Progress(epoch, max_epochs, msg + (" (time budget reached)" if out_of_time else "")))
        if validate is not None and bad >= patience and epoch >= min_epochs:
            log.stopped = "early stop"
            break
        if out_of_time:
            log.stopped = "time budget"
            break
    else:
        log.stopped = "max epochs"
    if best_state is not None:
        net.load_state_dict(best_state)
    log.seconds = time.perf_counter() - t0
    return log
