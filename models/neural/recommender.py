"""``NeuralRecommender``: what every torch sequence model here shares, without importing torch.

Subclasses choose a training ``mode`` (see ``sequences``), default hyper-parameters and a network
(``build_net``); this class handles scoring states, batched scoring, reasons and persistence.
torch is imported lazily (fit / scoring / load), so listing the registry stays cheap.

Scores are the network's honest logits for every item of the space: items never played in the
training span keep their (untrained) output embedding and therefore rank low for ID-only models.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from core.jobs import CancelToken
from models.base import ItemFeatures, ProgressFn, Recommender, TrainData
from models.neural import reasons
from models.neural.sequences import SeqState, left_pad, make_state

BASE_DEFAULTS: dict[str, Any] = {
    "dim": 64,  # item embedding size
    "max_len": 50,  # plays of history a prediction looks at
    "batch_size": 8,  # examples (``last``) or chunks of ``max_len`` plays (``all`` / ``masked``) per step
    "lr": 5e-3,
    "weight_decay": 0.0,
    "dropout": 0.2,
    "max_epochs": 100,
    # epochs without validation gain before stopping... (3 stopped SASRec and GRU4Rec on a noisy dip while
    # validation NDCG@10 was still climbing; 10 raised it on every listener tried, see docs/models.md §4)
    "patience": 10,
    "min_epochs": 10,  # ...but not before this many (sequence models often plateau before they take off)
    "time_budget_s": 150.0,  # wall-clock cap on the training loop (2-core CPU sized)
    "valid_frac": 0.1,  # validation tail of the training span (never the test span)
    "max_valid": 2000,  # validation targets scored per epoch (evenly spread over the tail)
    "tail_pass": True,  # after early stopping, one pass over the validation tail so recent plays are learned
    "score_batch": 512,
}


class NeuralRecommender(Recommender):
    family: ClassVar[str] = "neural"
    batch_size: ClassVar[int] = 256  # the harness scores this many snapshots per forward pass
    mode: ClassVar[str] = "all"  # last | all | masked
    fine_tunes: ClassVar[bool] = True
    defaults: ClassVar[dict[str, Any]] = {}

    def __init__(self, **params: Any):
        super().__init__(**{**BASE_DEFAULTS, **self.defaults, **params})
        self.net = None
        self.device = None
        self.fit_info: dict[str, Any] = {}
        self._explained: tuple[bytes, Any] | None = None

    # -- hooks for subclasses ----------------------------------------------------------------
    def prepare(self, data: TrainData, features: ItemFeatures | None, cut: int) -> None:
        """Compute what ``build_net`` needs from the training plays before ``cut`` (inits, modalities)."""

    def build_net(self, n_items: int):
        raise NotImplementedError

    def init_net(self, net) -> None:
        """Copy pre-computed initial weights into a freshly built network (fit only)."""

    @property
    def max_len(self) -> int:
        return int(self.params["max_len"])

    @property
    def n_trained(self) -> int:
        """Items the network has rows for (the space may grow after training: ``ItemSpace.extended``)."""
        return int(self.net.items.n_items) if self.net is not None else len(self.space or ())

    def known(self, windows: Sequence[np.ndarray]) -> list[np.ndarray]:
        n = self.n_trained
        return [w[w < n] for w in windows]

    def tokens(self, windows: Sequence[np.ndarray]) -> np.ndarray:
        return left_pad(self.known(windows), self.max_len)

    # -- training ----------------------------------------------------------------------------
    def fit(
        self,
        data: TrainData,
        features: ItemFeatures | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        from models.neural.trainer import train

        train(self, data, features, progress, cancel or CancelToken())

    # -- scoring -----------------------------------------------------------------------------
    def start(self, items: np.ndarray, played_at: np.ndarray) -> SeqState:
        return make_state(items, self.max_len)

    def observe(self, state: SeqState, item: int, played_at: int) -> SeqState:
        return state.push(int(item), self.max_len)

    def snapshot(self, state: SeqState) -> SeqState:
        return state  # immutable: observe returns a new state

    def scores(self, state: SeqState) -> np.ndarray:
        return self.score_batch([state])[0]

    def score_batch(self, states: Sequence[SeqState]) -> np.ndarray:
        """One batched forward pass per ``score_batch`` states."""
        return self.score_tokens(self.tokens([s.items for s in states]))

    def score_tokens(self, tokens: np.ndarray) -> np.ndarray:
        import torch

        self._require_net()
        net = self.net
        net.eval()
        n = self.n_trained
        # tracks added to the space after training have no row: the model cannot score them
        out = np.full((len(tokens), len(self.space)), -np.inf, dtype=np.float32)
        step = int(self.params["score_batch"])
        with torch.no_grad():
            for s in range(0, len(tokens), step):
                x = torch.from_numpy(tokens[s : s + step]).to(self.device)
                out[s : s + step, :n] = net.logits(net.query(x)).float().cpu().numpy()
        return out

    def _require_net(self) -> None:
        if self.net is None:
            from models.base import ModelError

            raise ModelError(f"{self.name} is not trained yet; train it first")

    # -- reasons -----------------------------------------------------------------------------
    def reason(self, state: SeqState, item: int) -> str:
        window = self.known([state.items])[0]
        if window.size == 0 or item >= self.n_trained:
            return "often played in your listening"
        key = window.tobytes()
        if self._explained is None or self._explained[0] != key:
            self._explained = (key, self._explain(window))
        return reasons.sentence(self._explained[1], window, int(item))

    def _explain(self, window: np.ndarray) -> reasons.Explanation:
        import torch

        self._require_net()
        net = self.net
        net.eval()
        with torch.no_grad():
            x = torch.from_numpy(self.tokens([window])).to(self.device)
            q = net.query(x)[0]
            parts = {k: v.float().cpu().numpy() for k, v in net.item_parts().items()}
        return reasons.Explanation(q.float().cpu().numpy(), parts, getattr(net, "modal_masks", lambda: {})())

    # -- persistence -------------------------------------------------------------------------
    def warm_state(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        self._require_net()
        assert self.space is not None
        state = {k: v.detach().cpu().numpy() for k, v in self.net.state_dict().items()}
        return state, self.space.track_ids[: self.n_trained]

    def arrays(self) -> dict[str, np.ndarray]:
        self._require_net()
        return {f"net.{k}": v.detach().cpu().numpy() for k, v in self.net.state_dict().items()}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        import torch

        from models.device import pick_device

        assert self.space is not None
        self.device = pick_device()
        net = self.build_net(len(self.space))
        state = {
            k.removeprefix("net."): torch.from_numpy(np.array(v))
            for k, v in arrays.items()
            if k.startswith("net.")
        }
        net.load_state_dict(state, strict=True)
        self.net = net.to(self.device).eval()
