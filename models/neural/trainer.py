"""Training for every neural sequence model (imports torch): examples, loss and validation for
``models.train_loop.fit_epochs``, the one torch loop.

- Seeded: ``torch.manual_seed`` and a numpy generator from ``TrainData.seed``; single process.
- Validation: the last ``valid_frac`` of the TRAINING plays (never the test span) are held out;
  after each epoch their next-item NDCG@10 under full ranking decides early stopping, and the best
  epoch's weights are kept. With ``tail_pass`` the model then makes one pass over that held-out
  tail, so the plays nearest the test span are learned too (the usual "refit on train+valid", in
  one cheap pass instead of a full retrain).
- Budget: ``max_epochs``, ``patience`` and ``time_budget_s`` (wall seconds from the start of the fit:
  these models train on every core) bound the run.
- Progress per epoch through the callback; the cancel token is checked before every batch and
  raises ``core.jobs.Cancelled`` (the model is then left untrained).
- Fine-tune (``model.warm``, ``models.finetune``): the saved weights are loaded into the network built
  for today's space (item rows moved by track id); then the same recipe on the recent window only:
  epochs on its older part, early-stopped on its newest plays (the saved weights are epoch 0), the
  best kept, and a tail pass over those newest plays.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator

import numpy as np
import torch
import torch.nn.functional as F

from core.jobs import CancelToken, Progress
from models.base import ItemFeatures, ModelError, ProgressFn, TrainData
from models.device import pick_device, set_threads
from models.finetune import WarmStart, mapped_state
from models.neural.sequences import (
    IGNORE,
    batches,
    chunk_ends,
    masked_chunks,
    next_item_chunks,
    rank_metrics,
    validation_cut,
    windows_before,
)
from models.train_loop import Budget, fit_epochs, step_epoch

CLIP_GRAD = 5.0


def example_batches(
    model, seq: np.ndarray, lo: int, hi: int, rng: np.random.Generator
) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """(inputs, targets) batches whose targets are the plays ``lo..hi-1`` of ``seq``."""
    p = model.params
    length, size = model.max_len, int(p["batch_size"])
    if model.mode == "last":
        targets = np.arange(max(lo, 1), hi)
        for b in batches(len(targets), size, rng):
            t = targets[b]
            yield windows_before(seq, t, length), seq[t]
        return
    ends = chunk_ends(max(lo, 1) if model.mode == "all" else lo, hi, length, rng)
    if model.mode == "all":
        inputs, targets = next_item_chunks(seq, ends, length, lo)
    else:  # several independent maskings per chunk and epoch: a cloze chunk teaches few targets
        ends = np.tile(ends, max(1, int(p["mask_copies"])))
        inputs, targets = masked_chunks(
            seq, ends, length, lo, model.mask_token, float(p["mask_prob"]), float(p["mask_last_prob"]), rng
        )
    for b in batches(len(ends), size, rng):
        yield inputs[b], targets[b]


def batch_loss(model, net, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if model.mode == "last":
        return F.cross_entropy(net.logits(net.query(x)), y)
    h = net.hidden(x)
    keep = y != IGNORE
    return F.cross_entropy(net.logits(h[keep]), y[keep])


def validate(model, seq: np.ndarray, cut: int) -> tuple[float, float]:
    """(HR@10, NDCG@10) on up to ``max_valid`` targets spread over ``cut..len(seq)-1``."""
    n_valid = len(seq) - cut
    count = min(n_valid, int(model.params["max_valid"]))
    targets = np.unique(np.linspace(cut, len(seq) - 1, count).round().astype(np.int64))
    windows = [seq[max(0, t - model.max_len) : t] for t in targets.tolist()]
    scores = model.score_tokens(model.tokens(windows))
    scores[np.arange(len(targets)), seq[targets - 1]] = -np.inf  # the harness rule: previous play excluded
    return rank_metrics(scores, seq[targets])


def validation(model, seq: np.ndarray, cut: int) -> Callable[[], dict[str, float]] | None:
    """The early-stopping check on the plays ``cut..`` (None when there are none)."""
    if cut >= seq.size:
        return None

    def check() -> dict[str, float]:
        hr, ndcg = validate(model, seq, cut)
        return {"hr@10": hr, "ndcg@10": ndcg}

    return check


def _losses(model, net, examples: Iterator[tuple[np.ndarray, np.ndarray]], device) -> Iterator[torch.Tensor]:
    for x, y in examples:
        yield batch_loss(model, net, torch.from_numpy(x).to(device), torch.from_numpy(y).to(device))


def train(
    model, data: TrainData, features: ItemFeatures | None, progress: ProgressFn | None, cancel: CancelToken
) -> None:
    try:
        _train(model, data, features, progress, cancel)
    except BaseException:
        model.net = None  # never leave a half-trained network behind (cancelled or failed)
        raise


def _train(
    model, data: TrainData, features: ItemFeatures | None, progress: ProgressFn | None, cancel: CancelToken
) -> None:
    p = model.params
    known = np.asarray(data.items) >= 0
    if not known.all():  # plays of tracks outside the space carry nothing to learn
        data = TrainData(data.space, data.items[known], data.played_at[known], data.session[known], data.seed)
    seq = np.asarray(data.items, dtype=np.int64)
    if len(data.space) == 0 or seq.size < 3:
        raise ModelError(f"{model.name} needs a few plays to learn from; this history has {seq.size}")
    started = time.monotonic()
    budget = Budget(float(p["time_budget_s"]), clock="wall")
    seed = int(data.seed)
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if "OMP_NUM_THREADS" not in os.environ:  # an explicit thread cap (shared machine) wins
        set_threads()
    device = pick_device()
    model.space = data.space
    model.device = device
    model.net = None
    model._explained = None
    model.fit_info = {}
    cut = validation_cut(seq.size, float(p["valid_frac"]))
    model.prepare(data, features, cut)
    net = model.build_net(len(data.space))
    model.init_net(net)
    if model.warm is not None:  # fine-tune: the saved weights, item rows moved to today's space
        buffers = frozenset(name for name, _ in net.named_buffers())
        state = mapped_state(
            model.warm.state, model.warm.item_ids, net.state_dict(), data.space.track_ids, buffers
        )
        net.load_state_dict(state)
    net = net.to(device)
    model.net = net
    lr = float(p["lr"]) * (model.warm.lr_scale if model.warm is not None else 1.0)
    opt = torch.optim.Adam(net.parameters(), lr=lr, weight_decay=float(p["weight_decay"]))

    warm = model.warm
    if warm is not None:
        _fine_tune(model, net, opt, seq, warm, budget, cancel, progress, device, rng)
        model.fit_info["seconds"] = time.monotonic() - started
        return
    log = fit_epochs(
        model.name,
        net,
        opt,
        lambda _epoch: _losses(model, net, example_batches(model, seq, 1, cut, rng), device),
        max_epochs=int(p["max_epochs"]),
        budget=budget,
        cancel=cancel,
        progress=progress,
        validate=validation(model, seq, cut),
        patience=int(p["patience"]),
        min_epochs=int(p["min_epochs"]),
        clip_grad=CLIP_GRAD,
    )
    tail = bool(p["tail_pass"]) and cut < seq.size
    if tail:
        examples = example_batches(model, seq, cut, seq.size, rng)
        step_epoch(net, opt, _losses(model, net, examples, device), cancel=cancel, clip_grad=CLIP_GRAD)
        if progress is not None:
            done = int(p["max_epochs"])
            progress(Progress(done, done, f"{model.name}: learned the latest {seq.size - cut} plays"))
    net.eval()
    model.fit_info.update(
        {
            "epochs": log.epochs,
            "best_epoch": log.best_epoch,
            "best_val_ndcg@10": log.best if log.best == log.best else -1.0,
            "history": log.history,
            "stopped": log.stopped,
            "tail_pass": tail,
            "seconds": time.monotonic() - started,
            "device": str(device),
        }
    )


def _fine_tune(
    model, net, opt, seq: np.ndarray, warm: WarmStart, budget, cancel, progress, device, rng
) -> None:
    """Epochs whose targets are the recent window's older part, early-stopped on its newest plays,
    then a tail pass over those (``models.finetune``)."""
    lo = max(1, warm.window_start(seq.size))
    cut = warm.valid_start(seq.size)
    log = fit_epochs(
        f"{model.name} (fine-tune)",
        net,
        opt,
        lambda _epoch: _losses(model, net, example_batches(model, seq, lo, cut, rng), device),
        max_epochs=warm.epochs,
        budget=budget,
        cancel=cancel,
        progress=progress,
        validate=validation(model, seq, cut),
        patience=warm.patience,
        clip_grad=CLIP_GRAD,
        validate_start=True,
    )
    tail = warm.epochs > 0 and cut < seq.size
    if tail:
        examples = example_batches(model, seq, cut, seq.size, rng)
        step_epoch(net, opt, _losses(model, net, examples, device), cancel=cancel, clip_grad=CLIP_GRAD)
    net.eval()
    model.fit_info.update(
        {
            "fine_tune": True,
            "epochs": log.epochs,
            "best_epoch": log.best_epoch,
            "tail_pass": tail,
            "history": log.history,
            "stopped": log.stopped,
            "window_plays": int(seq.size - lo),
            "new_plays": int(seq.size - warm.recent_from),
            "device": str(device),
        }
    )
