"""BPR-MF (Rendle et al. 2009) and LightGCN (He et al. 2020) over session-item rows.

Rows and scoring state: models/graph/session_rows.py; training loop, validation, time budget and
persistence: models/graph/torch_base.py; networks and the pooled (inductive) session vector:
models/graph/factor_nets.py. Negatives are sampled in training only; scoring is a full ranking.
"""

from __future__ import annotations

from typing import Any, ClassVar

import numpy as np

from models.base import ItemFeatures, TrainData
from models.graph.session_rows import Rows
from models.graph.torch_base import COMMON_DEFAULTS, TorchRowRecommender
from models.registry import register

FACTOR_DEFAULTS: dict[str, Any] = {
    **COMMON_DEFAULTS,
    "dim": 64,
    "reg": 1e-4,
    "negatives": 4,
    "lr": 5e-3,
    "batch": 256,
    "recency": 0.5,
    "context_sessions": 0,
    "stride": 5,
    "target": "row",
}


class _FactorBase(TorchRowRecommender):
    family = "baseline"
    fallback_reason = "close to this session's tracks in your listening"

    def _batch_loss(self, inp: Rows, out: Rows):
        from models.graph.bag import Bag

        return self.net.loss(Bag.of(inp, self.device), Bag.of(out, self.device), self._gen)

    def _score_net(self, rows: Rows) -> np.ndarray:
        from models.graph.bag import Bag

        return self.net.score(Bag.of(rows, self.device)).cpu().numpy()

    def _leave_one_out(self) -> bool:
        return self.params.get("target", "row") != "next"


@register
class BPRMF(_FactorBase):
    name = "bpr_mf"
    description = "BPR matrix factorisation over listening sessions (Rendle et al. 2009)"
    defaults: ClassVar[dict[str, Any]] = FACTOR_DEFAULTS

    def _build_net(self):
        from models.graph.factor_nets import BPRMFNet

        assert self.vocab is not None
        p = self.params
        return BPRMFNet(
            len(self.vocab), int(p["dim"]), float(p["reg"]), int(p["negatives"]), self._leave_one_out()
        )


@register
class LightGCN(_FactorBase):
    name = "lightgcn"
    description = "LightGCN over the session-item graph of your listening (He et al. 2020)"
    # layers and lr chosen on validation (spacedlevo, end of the training span): 1 layer 0.117 NDCG@10,
    # 2 layers 0.031, 3 layers 0.025 — deeper propagation over-smooths this single-listener graph
    defaults: ClassVar[dict[str, Any]] = {**FACTOR_DEFAULTS, "layers": 1, "lr": 5e-3}

    def _graph_of(self, data: TrainData, n_sessions: int) -> tuple[np.ndarray, np.ndarray]:
        """(session, vocab item) pairs of the first ``n_sessions`` training sessions."""
        assert self.vocab is not None
        s_of, i_of = [np.empty(0, np.int64)], [np.empty(0, np.int64)]
        for s, seq in enumerate(data.sessions()[:n_sessions]):
            v = self.vocab.pos[seq[seq >= 0]]
            v = v[v >= 0]
            s_of.append(np.full(v.size, s, np.int64))
            i_of.append(v)
        return np.concatenate(s_of), np.concatenate(i_of)

    def _prepare(self, data: TrainData, features: ItemFeatures | None) -> None:
        # while tuning on the validation sessions the graph holds the fitting sessions only
        self._graph = self._graph_of(data, self._n_fit_sessions)

    def _before_refit(self, data: TrainData) -> None:
        self.net.set_graph(*self._graph_of(data, len(data.sessions())))

    def _build_net(self):
        from models.graph.factor_nets import LightGCNNet

        assert self.vocab is not None
        p = self.params
        net = LightGCNNet(
            len(self.vocab),
            int(p["dim"]),
            int(p["layers"]),
            float(p["reg"]),
            int(p["negatives"]),
            self._leave_one_out(),
        )
        graph = getattr(self, "_graph", None)
        if graph is not None:
            net.set_graph(*graph)
        return net

    def _after_fit(self) -> None:
        self._graph = None

    def _prepare_load(self, arrays: dict[str, np.ndarray]) -> None:
        self._graph = None
