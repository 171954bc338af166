"""Fitting, scoring and persisting the torch session-item models (VAEs, diffusion, BPR-MF, LightGCN).

``fit``:
- seeded (torch, numpy and the negative sampler from ``TrainData.seed``); device CUDA → MPS → CPU;
- vocabulary, validation (the last 10% of training sessions) and rows from ``models.graph``; the
  targets of a row are the row itself (``target="row"``) or the next ``horizon`` plays ("next");
- epochs through ``models.train_loop.fit_epochs`` (the one torch loop): per-epoch Progress, cancel
  checked per batch, early stopping on validation NDCG@10 (never before ``min_updates`` updates:
  these models first learn popularity, which ranks badly, and only then the session structure), a
  budget of CPU seconds; the best epoch is kept.
  An epoch is at most ``rows_per_epoch`` rows drawn without replacement, so its cost does not grow
  with the account. Large vocabularies train the multinomial decoders with a sampled softmax
  (``negatives`` per batch, ``models.graph.bag.Candidates``); scoring is always a full ranking;
- then ``refit_epochs`` epochs over every row of the held-out sessions (the most recent listening)
  plus a sample of the others.
- fine-tune (``self.warm``, ``models.finetune``): the vocabulary keeps every saved item, the saved
  weights are loaded (rows moved by track id), and the same recipe runs on the recent window only:
  epochs over its rows, early-stopped on its newest sessions (the saved weights are epoch 0), then
  the refit over those sessions.

Persistence: the state dict as numpy arrays (safetensors via ``Recommender.save``; no pickle).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any, ClassVar

import numpy as np

from core.jobs import CancelToken
from models.base import ItemFeatures, ModelError, ProgressFn, TrainData
from models.finetune import mapped_state
from models.graph.base import SessionItemRecommender
from models.graph.session_rows import Rows, TrainingRows, Vocab, next_targets, training_rows
from models.graph.validation import Validation
from models.train_loop import Budget, fit_epochs, step_epoch

COMMON_DEFAULTS: dict[str, Any] = {
    "max_epochs": 40,
    "batch": 256,
    "lr": 1e-3,
    "weight_decay": 0.0,
    "patience": 3,
    "time_budget_s": 150.0,
    "refit_epochs": 1,
    "max_val_targets": 1500,
    "rows_per_epoch": 8192,
    "target": "row",
    "horizon": 5,
    "target_decay": 0.5,
    "min_updates": 400,
    "negatives": 2048,
}


@dataclass
class Pairs:
    inp: Rows
    out: Rows
    owner: np.ndarray

    def __len__(self) -> int:
        return len(self.inp)


def use_threads(small_ops: bool = True) -> None:
    """One intra-op thread for these models. Their products are small to medium (embeddings of 64,
    a 300-wide decoder over a sampled softmax): thread hand-offs cost about what they save on an idle
    machine and measured 3-10x slower with 2 threads on a busy 2-core one; one thread also leaves a
    core to the GUI while training runs in the background. ``small_ops=False`` uses every core."""
    import torch

    from models.device import set_threads

    if small_ops:
        torch.set_num_threads(1)
    else:
        set_threads()


class TorchRowRecommender(SessionItemRecommender):
    """Subclasses: ``_build_net()``, ``_batch_loss(inp, out)``, ``_score_net(rows)``."""

    defaults: ClassVar[dict[str, Any]] = COMMON_DEFAULTS
    small_ops: ClassVar[bool] = True  # train on one thread (see ``use_threads``)
    fine_tunes: ClassVar[bool] = True

    def __init__(self, **params: Any):
        super().__init__(**params)
        self.net = None
        self._device = None
        self._step = 0
        self._gen = None
        self._proposal = None
        self._n_fit_sessions = 0
        self.fit_log = None

    # -- to implement ------------------------------------------------------------------------
    def _build_net(self):
        raise NotImplementedError

    def _batch_loss(self, inp: Rows, out: Rows):
        """Loss of one batch: input rows and their targets (the rows themselves, or the next plays)."""
        raise NotImplementedError

    def _pairs(self, data: TrainData, rows: TrainingRows, sel: np.ndarray, limit: int | None) -> Pairs:
        """Inputs and targets for the rows ``sel``; with ``target="next"`` the targets are the next
        ``horizon`` plays (before ``limit``) and rows without any are dropped."""
        sub = rows.take(sel)
        if self.params.get("target", "row") != "next":
            return Pairs(sub.rows, sub.rows, sub.owner)
        out = next_targets(
            data, self.vocab, sub.end, int(self.params["horizon"]), float(self.params["target_decay"]), limit
        )
        keep = np.flatnonzero(np.diff(out.indptr) > 0)
        return Pairs(sub.rows.take(keep), out.take(keep), sub.owner[keep])

    def _score_net(self, rows: Rows) -> np.ndarray:
        raise NotImplementedError

    def _make_vocab(self, data: TrainData, features: ItemFeatures | None) -> Vocab:
        return Vocab.from_counts(data, max_items=self.params.get("max_items"))

    def _prepare(self, data: TrainData, features: ItemFeatures | None) -> None:
        """Hook before the network is built (content features, graph structure...)."""

    def _candidates(self, target):
        """Sampled-softmax candidates for a target Bag, or None for the full softmax (vocabularies up to
        4 × ``negatives`` items, or ``negatives`` = 0)."""
        import torch

        from models.graph.bag import Candidates

        n = int(self.params.get("negatives", 0))
        assert self.vocab is not None and self.pop is not None
        if n <= 0 or len(self.vocab) <= 4 * n:
            return None
        if self._proposal is None:
            q = np.sqrt(np.expm1(self.pop.astype(np.float64)) + 1.0)
            self._proposal = torch.from_numpy((q / q.sum()).astype(np.float32))
        return Candidates.draw(target, self._proposal, n, self._gen)

    def _init_net(self, data: TrainData) -> None:
        """Hook after the network is built for fitting (e.g. output bias = log popularity)."""

    def _before_refit(self, data: TrainData) -> None:
        """Hook before the refit epochs over all training rows (e.g. widen a graph to every session)."""

    def _after_fit(self) -> None:
        """Hook after training (e.g. freeze content codes, cache propagated embeddings)."""

    # -- fitting -----------------------------------------------------------------------------
    @property
    def device(self):
        if self._device is None:
            from models.device import pick_device

            self._device = pick_device()
        return self._device

    def fit(
        self,
        data: TrainData,
        features: ItemFeatures | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        import torch

        cancel = cancel or CancelToken()
        t0 = time.perf_counter()
        self._check_data(data)
        torch.manual_seed(data.seed)
        self._gen = torch.Generator().manual_seed(data.seed)
        self._proposal = None
        rng = np.random.default_rng(data.seed)
        self.vocab = self._make_vocab(data, features)
        warm = self.warm
        if warm is not None:  # fine-tune: keep every item the saved network has a row for
            saved = data.space.indices(warm.item_ids)
            self.vocab = Vocab(np.union1d(self.vocab.items, saved[saved >= 0]), data.n_items)
        if len(self.vocab) < 2:
            raise ModelError(f"{self.name}: too few distinct tracks to learn from")
        use_threads(self.small_ops)
        val = Validation(
            self.spec,
            data,
            self.vocab,
            max_targets=int(self.params["max_val_targets"]),
            seed=data.seed,
            first_play=None if warm is None else warm.valid_start(data.items.size),
        )
        self._remember_sessions(data)
        rows = training_rows(self.spec, data, self.vocab)
        every = np.arange(len(rows.rows))
        fit_sel = np.flatnonzero(rows.owner < val.n_train_sessions) if val.active else every
        fit_pairs = self._pairs(data, rows, fit_sel, val.first_target if val.active else None)
        all_pairs = self._pairs(data, rows, every, None)
        recent = np.flatnonzero(all_pairs.owner >= val.n_train_sessions)
        self._n_fit_sessions = val.n_train_sessions
        self._prepare(data, features)
        self.net = self._build_net().to(self.device)
        self._init_net(data)
        if warm is not None:
            buffers = frozenset(name for name, _ in self.net.named_buffers())
            ids = data.space.track_ids[self.vocab.items]
            self.net.load_state_dict(
                mapped_state(warm.state, warm.item_ids, self.net.state_dict(), ids, buffers)
            )
        opt = torch.optim.Adam(
            self.net.parameters(),
            lr=float(self.params["lr"]) * (warm.lr_scale if warm is not None else 1.0),
            weight_decay=float(self.params["weight_decay"]),
        )
        self._step = 0
        per_epoch = int(self.params["rows_per_epoch"])
        # small histories: shrink the batch so an epoch still makes >= 16 updates
        batch = max(32, min(int(self.params["batch"]), -(-min(len(fit_pairs), per_epoch) // 16)))
        updates = -(-min(len(fit_pairs), per_epoch) // batch)  # per epoch

        def losses(pairs: Pairs, first: np.ndarray | None = None):
            order = rng.permutation(len(pairs))[:per_epoch]
            if first is not None:  # the refit epoch: every held-out row, then a sample of the others
                rest = np.setdiff1d(order, first)[: max(0, per_epoch - first.size)]
                order = rng.permutation(np.concatenate([first, rest]))
            for b in range(0, order.size, batch):
                sel = order[b : b + batch]
                yield self._batch_loss(pairs.inp.take(sel), pairs.out.take(sel))
                self._step += 1  # after the optimiser step (the KL weight anneals by it)

        def validate() -> dict[str, float]:
            m = val.evaluate(self.score_vocab)
            return {"hr@10": m["hr"], "ndcg@10": m["ndcg"]}

        budget = Budget(float(self.params["time_budget_s"]), clock="cpu")
        if warm is not None:  # the same recipe on the recent window (models.finetune)
            self._step = 1 << 30  # annealed terms (the VAEs' KL weight) continue at their full value
            first = int(data.session[min(warm.window_start(data.items.size), data.items.size - 1)])
            window = np.flatnonzero(fit_pairs.owner >= first)  # its rows before the held-out newest
            log = fit_epochs(
                f"{self.name} (fine-tune)",
                self.net,
                opt,
                lambda _epoch: losses(fit_pairs, window),
                max_epochs=warm.epochs,
                budget=budget,
                cancel=cancel,
                progress=progress,
                validate=validate if val.active else None,
                patience=warm.patience,
                validate_start=True,
            )
            refits = int(self.params["refit_epochs"]) if val.active and warm.epochs > 0 else 0
        else:
            log = fit_epochs(
                self.name,
                self.net,
                opt,
                lambda _epoch: losses(fit_pairs),
                max_epochs=int(self.params["max_epochs"]),
                budget=budget,
                cancel=cancel,
                progress=progress,
                validate=validate if val.active else None,
                patience=int(self.params["patience"]),
                min_epochs=-(-int(self.params["min_updates"]) // max(1, updates)),
            )
            refits = int(self.params["refit_epochs"]) if val.active else 0
        if refits:
            self._before_refit(data)
        for _ in range(refits):
            step_epoch(self.net, opt, losses(all_pairs, recent), cancel=cancel)
        self._after_fit()
        self.net.eval()
        self.fit_log = log  # this fit's epochs and losses (not saved)
        self.params["fit"] = {
            **log.as_params(),
            "fine_tune": warm is not None,
            "n_vocab": len(self.vocab),
            "n_rows": len(all_pairs),
            "seconds": round(time.perf_counter() - t0, 1),
        }

    # -- scoring -----------------------------------------------------------------------------
    def _score_rows(self, rows: Rows) -> np.ndarray:
        import torch

        assert self.net is not None, "fit or load the model first"
        was_training = self.net.training
        self.net.eval()
        with torch.no_grad():
            out = self._score_net(rows)
        if was_training:
            self.net.train()
        return out

    # -- persistence -------------------------------------------------------------------------
    def warm_state(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        assert self.net is not None and self.vocab is not None and self.space is not None
        state = {k: v.detach().cpu().numpy() for k, v in self.net.state_dict().items()}
        return state, self.space.track_ids[self.vocab.items]

    def _arrays(self) -> dict[str, np.ndarray]:
        assert self.net is not None
        return {f"net.{k}": v.detach().cpu().numpy() for k, v in self.net.state_dict().items()}

    def _load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        import torch

        self._prepare_load(arrays)
        self.net = self._build_net().to(self.device)
        state = {
            k.removeprefix("net."): torch.from_numpy(v.copy())
            for k, v in arrays.items()
            if k.startswith("net.")
        }
        for name, buf in list(
            self.net.named_buffers()
        ):  # buffers sized by the data (graphs) take the saved size
            if name in state and state[name].shape != buf.shape:
                owner_name, _, attr = name.rpartition(".")
                owner = self.net.get_submodule(owner_name) if owner_name else self.net
                setattr(owner, attr, torch.empty_like(state[name]).to(self.device))
        self.net.load_state_dict(state)
        self.net.eval()

    def _prepare_load(self, arrays: dict[str, np.ndarray]) -> None:
        """Hook before the network is rebuilt on load."""
