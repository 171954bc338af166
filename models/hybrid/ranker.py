"""The blend ``default`` learns: a linear score over standardised features.

Training data are candidate lists, one per validation target, stored flat: ``X`` [N, F] features of
every candidate, ``offsets`` [T+1] where each list starts, ``target`` [T] flat index of the played
track, ``reach`` [T] whether the played track was among the signals' own top candidates (the others
are left out of the metric: no blend would bring them into a top 10 of a full ranking).

Fitting has two stages, both deterministic:
1. a listwise softmax (cross-entropy of the played track in its list, L2 penalty, L-BFGS) gives a
   smooth starting point;
2. coordinate ascent on NDCG@10 (Metzler & Croft 2007) from the best of that start and a few plain
   "transition + recency share" blends, so the blend is chosen for the metric the product is judged
   by and is never worse on validation than the simple blend it starts from.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
from scipy.optimize import minimize

STEPS = (-2.0, -1.0, -0.5, -0.25, 0.25, 0.5, 1.0, 2.0)


class LinearRanker:
    def __init__(self, n_features: int):
        self.weights = np.zeros(n_features)
        self.softmax_weights = np.zeros(n_features)  # the smooth start of the last fit (not saved)
        self.mean = np.zeros(n_features)
        self.std = np.ones(n_features)

    # -- training ---------------------------------------------------------------------------
    def fit(
        self,
        X: np.ndarray,
        offsets: np.ndarray,
        target: np.ndarray,
        reach: np.ndarray,
        *,
        l2: float = 1e-3,
        inits: Sequence[np.ndarray] = (),
        rounds: int = 3,
        cutoff: int = 10,
    ) -> dict:
        from threadpoolctl import threadpool_limits

        self.mean = X.mean(axis=0).astype(np.float64)
        std = X.std(axis=0).astype(np.float64)
        self.std = np.where(std > 1e-9, std, 1.0)
        Z = ((X - self.mean) / self.std).astype(np.float32)
        with threadpool_limits(1):  # small products: threads only add contention on a shared 2-core box
            soft = self._softmax(Z, offsets, target, l2)
            starts = [soft] + [np.asarray(w, np.float64) * self.std for w in inits]  # inits in raw units
            scored = [
                (self.ndcg(Z @ w.astype(np.float32), offsets, target, reach, cutoff), i)
                for i, w in enumerate(starts)
            ]
            best_start, start_i = max(scored)
            w, best = self._ascend(
                Z, offsets, target, reach, starts[start_i].copy(), best_start, rounds, cutoff
            )
        self.weights = w
        self.softmax_weights = soft
        return {
            "ndcg_start": best_start,
            "ndcg": best,
            "start": "softmax" if start_i == 0 else f"blend {start_i}",
        }

    @staticmethod
    def _softmax(Z: np.ndarray, offsets: np.ndarray, target: np.ndarray, l2: float) -> np.ndarray:
        starts = offsets[:-1]
        sizes = np.diff(offsets)
        T = target.size

        def loss_grad(w: np.ndarray) -> tuple[float, np.ndarray]:
            s = (Z @ w.astype(np.float32)).astype(np.float64)
            top = np.maximum.reduceat(s, starts)
            e = np.exp(s - np.repeat(top, sizes))
            tot = np.add.reduceat(e, starts)
            lse = top + np.log(tot)
            p = e / np.repeat(tot, sizes)
            p[target] -= 1.0
            loss = float(np.mean(lse - s[target])) + l2 * float(w @ w)
            grad = (p.astype(np.float32) @ Z).astype(np.float64) / T + 2 * l2 * w
            return loss, grad

        res = minimize(loss_grad, np.zeros(Z.shape[1]), jac=True, method="L-BFGS-B", options={"maxiter": 200})
        return res.x

    @staticmethod
    def ndcg(
        s: np.ndarray, offsets: np.ndarray, target: np.ndarray, reach: np.ndarray, cutoff: int = 10
    ) -> float:
        """Mean NDCG@cutoff of the played tracks inside their lists (ties count against them)."""
        sizes = np.diff(offsets)
        ge = s >= np.repeat(s[target], sizes)
        rank = np.add.reduceat(ge, offsets[:-1])
        gain = np.where(reach & (rank <= cutoff), 1.0 / np.log2(rank + 1.0), 0.0)
        return float(gain.mean())

    def _ascend(self, Z, offsets, target, reach, w, best, rounds, cutoff) -> tuple[np.ndarray, float]:
        s = Z @ w.astype(np.float32)
        scale = 1.0
        for _ in range(rounds):
            improved = False
            for k in range(Z.shape[1]):
                col = np.ascontiguousarray(Z[:, k])
                step_best, delta_best = best, 0.0
                for step in STEPS:
                    delta = step * scale * max(abs(w[k]), 0.1)
                    val = self.ndcg(s + np.float32(delta) * col, offsets, target, reach, cutoff)
                    if val > step_best + 1e-6:
                        step_best, delta_best = val, delta
                if delta_best:
                    w[k] += delta_best
                    s = s + np.float32(delta_best) * col
                    best, improved = step_best, True
            if not improved:
                scale /= 2
        return w, best

    # -- scoring ----------------------------------------------------------------------------
    def score(self, rows: list[np.ndarray], weights: np.ndarray | None = None) -> np.ndarray:
        """Feature rows (F arrays of [n]) → scores [n] (``weights``: other standardised weights than the
        fitted ones). Row by row: a BLAS matrix-vector product is slower here, and far slower when
        other processes compete for the cores."""
        coef = (self.weights if weights is None else weights) / self.std
        out = np.full(rows[0].shape, -float(coef @ self.mean))
        for c, row in zip(coef.tolist(), rows, strict=True):
            if c != 0.0:
                out += c * row
        return out

    def contributions(self, values: np.ndarray) -> np.ndarray:
        """Per-feature contribution to one item's score (``values``: [F])."""
        return self.weights / self.std * (values - self.mean)
