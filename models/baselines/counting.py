"""Incremental counters shared by the counting baselines and ``default``.

Each structure is built in bulk with numpy from the history a model is shown (``start``) and then
updated one play at a time (``observe``) — counting the history is not retraining, so these models
keep up with plays (and tracks) that arrive after training. Unknown items (index -1) are skipped.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

LN2 = float(np.log(2.0))


class DecayedCounts:
    """Σ over plays of item i of 2^(-age/half_life); age in seconds (``by="time"``) or plays (``by="plays"``).

    The vector is kept decayed to the latest play, so ``values`` can be compared across time.
    """

    def __init__(self, n_items: int, half_life: float, by: str = "time"):
        self.half_life = float(half_life)
        self.by = by
        self.values = np.zeros(n_items, dtype=np.float64)
        self.ref = 0.0
        self.step = 0

    def init(self, items: np.ndarray, times: np.ndarray) -> DecayedCounts:
        ok = items >= 0
        clock = times.astype(np.float64) if self.by == "time" else np.arange(items.size, dtype=np.float64)
        self.step = int(items.size)
        if items.size:
            self.ref = float(clock[-1])
            w = np.exp2(-(self.ref - clock[ok]) / self.half_life)
            self.values = np.bincount(items[ok], weights=w, minlength=self.values.size).astype(np.float64)
        return self

    def observe(self, item: int, played_at: int) -> None:
        now = float(played_at) if self.by == "time" else float(self.step)
        if now > self.ref:
            self.values *= np.exp2(-(now - self.ref) / self.half_life)
            self.ref = now
        self.step += 1
        if item >= 0:
            self.values[item] += 1.0

    def grow(self, n_items: int) -> None:
        if n_items > self.values.size:
            self.values = np.concatenate([self.values, np.zeros(n_items - self.values.size)])


class Transitions:
    """Weighted pair counts a→b: a bulk sparse matrix plus a small overlay for pairs added online."""

    def __init__(self, n: int):
        self.n = n
        self.base = sp.csr_matrix((n, n), dtype=np.float64)
        self.overlay: dict[int, dict[int, float]] = {}
        self.row_total = np.zeros(n, dtype=np.float64)

    def init(self, a: np.ndarray, b: np.ndarray, w: np.ndarray | float = 1.0) -> Transitions:
        ok = (a >= 0) & (b >= 0)
        w = np.broadcast_to(np.asarray(w, dtype=np.float64), a.shape)[ok]
        self.base = sp.csr_matrix((w, (a[ok], b[ok])), shape=(self.n, self.n), dtype=np.float64)
        self.base.sum_duplicates()
        self.overlay = {}
        self.row_total = np.asarray(self.base.sum(axis=1)).ravel()
        return self

    def add(self, a: int, b: int, w: float = 1.0) -> None:
        if a < 0 or b < 0:
            return
        row = self.overlay.setdefault(a, {})
        row[b] = row.get(b, 0.0) + w
        self.row_total[a] += w

    def row(self, a: int) -> tuple[np.ndarray, np.ndarray]:
        """(columns, weights) of row ``a`` (columns may repeat between base and overlay)."""
        if a < 0 or a >= self.n:
            return np.empty(0, np.int64), np.empty(0)
        lo, hi = self.base.indptr[a], self.base.indptr[a + 1]
        cols, vals = self.base.indices[lo:hi], self.base.data[lo:hi]
        extra = self.overlay.get(a)
        if extra:
            cols = np.concatenate([cols, np.fromiter(extra.keys(), np.int64, len(extra))])
            vals = np.concatenate([vals, np.fromiter(extra.values(), np.float64, len(extra))])
        return cols, vals

    def add_row_into(self, out: np.ndarray, a: int, scale: float = 1.0, normalise: bool = False) -> None:
        """out[b] += scale · w(a→b) (divided by the row total when ``normalise``)."""
        cols, vals = self.row(a)
        if cols.size == 0:
            return
        if normalise:
            scale = scale / max(self.row_total[a], 1e-12)
        np.add.at(out, cols, vals * scale)

    def grow(self, n: int) -> None:
        if n > self.n:
            self.base = sp.csr_matrix(
                (
                    self.base.data,
                    self.base.indices,
                    np.concatenate([self.base.indptr, np.full(n - self.n, self.base.indptr[-1])]),
                ),
                shape=(n, n),
            )
            self.row_total = np.concatenate([self.row_total, np.zeros(n - self.n)])
            self.n = n


def window_pairs(
    items: np.ndarray, session: np.ndarray, window: int, weight: str = "inverse"
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Pairs (items[p], items[p+d]) inside one session for d = 1..window, weighted 1/d (or 1)."""
    a_parts, b_parts, w_parts = [], [], []
    for d in range(1, window + 1):
        if items.size <= d:
            break
        same = session[d:] == session[:-d]
        a_parts.append(items[:-d][same])
        b_parts.append(items[d:][same])
        w_parts.append(np.full(int(same.sum()), 1.0 / d if weight == "inverse" else 1.0))
    if not a_parts:
        e = np.empty(0, np.int64)
        return e, e.copy(), np.empty(0)
    return np.concatenate(a_parts), np.concatenate(b_parts), np.concatenate(w_parts)


def session_ids(times: np.ndarray, gap_s: int) -> np.ndarray:
    """Session number per play from start-to-start gaps (see ``models.data.session_starts``)."""
    if times.size == 0:
        return np.empty(0, np.int64)
    return np.concatenate([[0], np.cumsum(np.diff(times) > gap_s)]).astype(np.int64)


class ContextTransitions:
    """Counts of "c after the pair (a, b)" (second-order transitions): sorted keys a·n+b with CSR rows,
    plus an overlay for pairs added online."""

    def __init__(self, n: int):
        self.n = n
        self.keys = np.empty(0, np.int64)
        self.indptr = np.zeros(1, np.int64)
        self.cols = np.empty(0, np.int64)
        self.vals = np.empty(0, np.float64)
        self.overlay: dict[int, dict[int, float]] = {}

    def init(self, a: np.ndarray, b: np.ndarray, c: np.ndarray) -> ContextTransitions:
        ok = (a >= 0) & (b >= 0) & (c >= 0)
        key = a[ok] * self.n + b[ok]
        pair = np.stack([key, c[ok]])
        if pair.shape[1]:
            uniq, counts = np.unique(pair, axis=1, return_counts=True)
            self.keys, starts = np.unique(uniq[0], return_index=True)
            self.indptr = np.concatenate([starts, [uniq.shape[1]]]).astype(np.int64)
            self.cols = uniq[1].astype(np.int64)
            self.vals = counts.astype(np.float64)
        return self

    def add(self, a: int, b: int, c: int) -> None:
        if a < 0 or b < 0 or c < 0:
            return
        row = self.overlay.setdefault(a * self.n + b, {})
        row[c] = row.get(c, 0.0) + 1.0

    def add_row_into(self, out: np.ndarray, a: int, b: int, normalise: bool = True) -> None:
        if a < 0 or b < 0:
            return
        key = a * self.n + b
        j = int(np.searchsorted(self.keys, key))
        cols, vals = np.empty(0, np.int64), np.empty(0)
        if j < self.keys.size and self.keys[j] == key:
            cols, vals = (
                self.cols[self.indptr[j] : self.indptr[j + 1]],
                self.vals[self.indptr[j] : self.indptr[j + 1]],
            )
        extra = self.overlay.get(key)
        if extra:
            cols = np.concatenate([cols, np.fromiter(extra.keys(), np.int64, len(extra))])
            vals = np.concatenate([vals, np.fromiter(extra.values(), np.float64, len(extra))])
        if cols.size:
            total = vals.sum() if normalise else 1.0
            np.add.at(out, cols, vals / total)

    def grow(self, n: int) -> None:
        """Keys encode a·n+b: re-key for a larger space."""
        if n <= self.n:
            return
        a, b = np.divmod(self.keys, self.n)
        self.keys = a * n + b
        self.overlay = {(k // self.n) * n + k % self.n: v for k, v in self.overlay.items()}
        self.n = n
