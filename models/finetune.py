"""Fine-tuning: a retrain that starts from the saved model's weights and trains a few epochs on the
recent plays, instead of from scratch.

``plan`` decides (``models.training.train_model`` asks it once per training): fine-tune when a saved
model of the same name exists, its plays are a prefix of today's sequence (new plays were appended,
not inserted into the past) and the new plays are below ``below`` of the history; otherwise a full
retrain, with the reason. The family's ``fit`` then finds ``model.warm`` (a ``WarmStart``), builds its
network for today's item space as usual and loads ``mapped_state``: every weight of the saved
network, its item rows moved to where today's space puts each track id (the space grows as tracks are
first heard; a new track keeps the fresh row the network was built with). A saved network of
another shape (other hyper-parameters) is ``Incompatible`` and the training falls back to a full one.

Which plays a fine-tune learns from: the ``window`` most recent ones — the new plays and as many again
before them, at least ``MIN_WINDOW_SHARE`` of the history — so the model takes in the recent listening
without forgetting the rest of the recent past. The recipe is the full training's on that window:
its newest ``FINE_TUNE_VALID_SHARE`` is held out, at most ``FINE_TUNE_EPOCHS`` epochs run on the rest
with early stopping on the held-out plays — the saved weights themselves count as epoch 0, so a
fine-tune never ends worse than where it started on them — the best epoch is kept, and then one pass
learns the held-out plays too (the families' tail pass / refit). ``epochs`` = 0 keeps the saved
weights as they are (the benchmark's "saved as is").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from models.base import ModelError

FINE_TUNE_EPOCHS = 10  # at most: early stopping on the window's newest plays decides
FINE_TUNE_VALID_SHARE = 0.10  # the newest tenth of the window chooses the epoch, then is learned
FINE_TUNE_PATIENCE = 2  # epochs without a better validation NDCG@10 before the fine-tune stops
FINE_TUNE_LR_SCALE = 1.0  # the family's learning rate times this (a fresh optimiser on trained weights)
MIN_WINDOW_SHARE = 0.10  # a fine-tune learns from at least the latest 10% of the history
WINDOW_PER_NEW_PLAY = 2  # ... and from twice the new plays (the new ones and as many before them)


class Incompatible(ModelError):
    """The saved network cannot be mapped onto the one being trained (another shape or vocabulary)."""


@dataclass
class WarmStart:
    """What a family's ``fit`` needs to start from a saved model."""

    state: dict[str, np.ndarray]  # the saved network's state dict
    item_ids: np.ndarray  # int64: the store track id of each item row of the saved network
    recent_from: int  # index of the first play of the training data the saved model has not seen
    epochs: int = FINE_TUNE_EPOCHS
    patience: int = FINE_TUNE_PATIENCE
    lr_scale: float = FINE_TUNE_LR_SCALE

    def window_start(self, n_plays: int) -> int:
        """First play of the recent window a fine-tune learns from (see the module doc)."""
        new = max(0, n_plays - self.recent_from)
        width = max(WINDOW_PER_NEW_PLAY * new, int(np.ceil(MIN_WINDOW_SHARE * n_plays)))
        return max(0, n_plays - width)

    def valid_start(self, n_plays: int) -> int:
        """First play of the window's held-out newest part (``n_plays`` when it is too short to hold one)."""
        lo = self.window_start(n_plays)
        held = int(round(FINE_TUNE_VALID_SHARE * (n_plays - lo)))
        return n_plays - held if held >= 1 and n_plays - held > lo + 1 else n_plays


@dataclass(frozen=True)
class Plan:
    mode: str  # "fine-tune" | "full"
    reason: str
    warm: WarmStart | None = None
    new_plays: int = 0


def plan(
    directory: Path,
    model_name: str,
    played_at: np.ndarray,
    below: float,
) -> Plan:
    """Fine-tune or full retrain for the model saved in ``directory``, given today's play times
    (collapsed, time-sorted) and the threshold ``below`` (a share of the history; 0: never)."""
    from models.artefacts import load_generation, read_meta
    from models.registry import get_model_class

    if not getattr(get_model_class(model_name), "fine_tunes", False):
        return Plan("full", f"{model_name} trains from scratch (it has no weights to start from)")
    if below <= 0:
        return Plan("full", "fine-tuning is off in the settings")
    meta = read_meta(directory)
    if not meta:
        return Plan("full", "no saved model to start from")
    seen, last = meta.get("plays"), meta.get("last_played_at")
    if seen is None or last is None:
        return Plan("full", "the saved model does not record which plays it learned from")
    n = int(played_at.size)
    if int(seen) > n or (seen and int(played_at[int(seen) - 1]) != int(last)):
        return Plan("full", "plays were added to or removed from the past since the saved model")
    new = n - int(seen)
    if new == 0:
        return Plan("full", "no new plays since the saved model")
    if new > below * n:
        return Plan("full", f"{new:,} new plays are more than {below:.0%} of the history", new_plays=new)
    try:
        previous, _ = load_generation(directory, directory.parent.name, model_name)
    except (OSError, ModelError) as exc:
        return Plan("full", f"the saved model cannot be read ({exc})", new_plays=new)
    if previous.name != model_name:
        return Plan("full", f"the saved model is a {previous.name}", new_plays=new)
    state, ids = previous.warm_state()
    return Plan(
        "fine-tune", f"{new:,} new plays since the saved model", WarmStart(state, ids, int(seen)), new
    )


def mapped_state(
    saved: Mapping[str, np.ndarray],
    old_ids: np.ndarray,
    fresh: Mapping[str, Any],
    new_ids: np.ndarray,
    keep_fresh: frozenset[str] = frozenset(),
) -> dict[str, Any]:
    """A state dict for the network ``fresh`` (tensors, built for items ``new_ids``) holding the saved
    weights: item rows moved by track id, rows of tracks the saved network lacks left as built.

    An item axis is one whose length is the item count plus the same offset in both networks (0, or
    leading padding / trailing special rows as in ``ItemTable``); every other axis must match.
    ``keep_fresh`` names entries taken as built (buffers that hold data, not weights)."""
    import torch

    old_ids = np.asarray(old_ids, np.int64)
    new_ids = np.asarray(new_ids, np.int64)
    n_old, n_new = old_ids.size, new_ids.size
    index = {int(t): i for i, t in enumerate(old_ids.tolist())}
    src = np.fromiter((index.get(int(t), -1) for t in new_ids), np.int64, count=n_new)
    identity = n_old == n_new and bool((src == np.arange(n_new)).all())
    if n_old == n_new and not identity:
        raise Incompatible("the saved model's items are not those of this training; retraining in full")
    have = src >= 0
    out: dict[str, Any] = {}
    for key, target in fresh.items():
        if key in keep_fresh:
            out[key] = target
            continue
        if key not in saved:
            raise Incompatible(f"the saved network has no {key}; retraining in full")
        old = torch.as_tensor(np.asarray(saved[key]))
        if tuple(old.shape) == tuple(target.shape) and identity:
            out[key] = old.to(device=target.device, dtype=target.dtype)
            continue
        if old.dim() != target.dim():
            raise Incompatible(f"{key} has another shape in the saved network; retraining in full")
        rows_new: list[np.ndarray] = []
        rows_old: list[np.ndarray] = []
        for a, b in zip(old.shape, target.shape, strict=True):
            off = a - n_old
            if n_old != n_new and 0 <= off <= 2 and b - n_new == off:
                lead = min(off, 1)  # a padding row first (ItemTable), any special rows last
                rows_new.append(
                    np.concatenate([np.arange(lead), lead + np.flatnonzero(have), np.arange(lead + n_new, b)])
                )
                rows_old.append(
                    np.concatenate([np.arange(lead), lead + src[have], np.arange(lead + n_old, a)])
                )
            elif a == b:
                rows_new.append(np.arange(b))
                rows_old.append(np.arange(a))
            else:
                raise Incompatible(f"{key} has another shape in the saved network; retraining in full")
        old = old.to(device=target.device, dtype=target.dtype)  # the network may sit on CUDA / MPS
        if tuple(old.shape) == tuple(target.shape) and all(
            np.array_equal(x, y) for x, y in zip(rows_new, rows_old, strict=True)
        ):
            out[key] = old
            continue
        value = target.detach().clone()
        into = tuple(torch.from_numpy(ix).to(target.device) for ix in np.ix_(*rows_new))
        value[into] = old[tuple(torch.from_numpy(ix).to(target.device) for ix in np.ix_(*rows_old))]
        out[key] = value
    return out
