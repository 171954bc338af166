"""Validation for early stopping and tuning: next plays from the END of the training span.

The last ``fraction`` of training sessions (10% by default) are held out — or, with ``first_play``
(a fine-tune: the newest part of its recent window), the sessions that start at or after that play.
Their plays become next-item targets, each scored from the row the scoring state would hold right before it (every
earlier play, training or held-out, counts as history — just as the harness walks the test span).
At most ``max_targets`` targets are sampled (seeded) to keep each check to a second or two. Ranking
follows the harness (models/evaluation): full ranking, ties counted against the target, the previous
play excluded (consecutive duplicates are collapsed, so it is never the target).
The test span of the evaluation protocol is never seen here: ``TrainData`` holds the training span only.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from models.base import TrainData
from models.graph.session_rows import Rows, RowSpec, RowState, Vocab, make_row

MIN_SESSIONS = 10


class Validation:
    def __init__(
        self,
        spec: RowSpec,
        data: TrainData,
        vocab: Vocab,
        fraction: float = 0.1,
        max_targets: int = 1500,
        seed: int = 0,
        first_play: int | None = None,
    ):
        lens = [s.size for s in data.sessions()]
        n = len(lens)
        if first_play is None:
            held = int(round(n * fraction))
        else:
            starts = np.cumsum([0, *lens[:-1]])
            held = int(np.count_nonzero(starts >= first_play))
        self.n_val_sessions = held if n >= MIN_SESSIONS else 0
        self.n_train_sessions = n - self.n_val_sessions
        first = int(sum(lens[: self.n_train_sessions]))
        self.first_target = first  # plays before this index are the fitting span
        positions = np.arange(first, data.items.size) if self.n_val_sessions else np.empty(0, np.int64)
        if positions.size > max_targets:
            rng = np.random.default_rng(seed)
            positions = np.sort(rng.choice(positions, size=max_targets, replace=False))
        state = RowState.from_history(spec, data.items[:first], data.played_at[:first])
        rows, targets, prev = [], [], []
        seen = np.zeros(data.n_items, dtype=bool)
        seen[data.items[:first][data.items[:first] >= 0]] = True
        repeat = []
        wanted = set(positions.tolist())
        for p in range(first, data.items.size if positions.size else first):
            item = int(data.items[p])
            if p in wanted and state.sessions:
                rows.append(make_row(spec, state.sessions, vocab))
                targets.append(int(vocab.pos[item]) if item >= 0 else -1)
                last = state.sessions[-1][-1]
                prev.append(int(vocab.pos[last]) if last >= 0 else -1)
                repeat.append(bool(item >= 0 and seen[item]))
            state.push(spec, item, int(data.played_at[p]))
            if item >= 0:
                seen[item] = True
        self.rows = Rows.stack(rows)
        self.targets = np.asarray(targets, dtype=np.int64)
        self.prev = np.asarray(prev, dtype=np.int64)
        self.repeat = np.asarray(repeat, dtype=bool)

    @property
    def active(self) -> bool:
        return self.targets.size > 0

    @property
    def train_sessions(self) -> range:
        return range(self.n_train_sessions)

    def evaluate(
        self, score_rows: Callable[[Rows], np.ndarray], k: int = 10, batch: int = 128
    ) -> dict[str, float]:
        """HR@k and NDCG@k with full ranking over the vocabulary (unreachable targets count as misses)."""
        if not self.active:
            return {"hr": 0.0, "ndcg": 0.0, "n": 0}
        ranks = np.full(self.targets.size, np.inf)
        for b in range(0, self.targets.size, batch):
            sel = np.arange(b, min(b + batch, self.targets.size))
            scores = np.array(score_rows(self.rows.take(sel)), dtype=np.float32)
            rows = np.arange(sel.size)
            p = self.prev[sel]
            scores[rows[p >= 0], p[p >= 0]] = -np.inf
            t = self.targets[sel]
            ok = t >= 0
            own = scores[rows[ok], t[ok]]
            r = (scores[rows[ok]] >= own[:, None]).sum(1).astype(np.float64)  # 1-based, ties against
            r[~np.isfinite(own)] = np.inf
            ranks[sel[ok]] = r
        hit = ranks <= k
        gain = np.zeros(ranks.size)
        gain[hit] = 1.0 / np.log2(ranks[hit] + 1.0)
        return {
            "hr": float(hit.mean()),
            "ndcg": float(gain.mean()),
            "n": int(self.targets.size),
            "ndcg_repeat": float(gain[self.repeat].mean()) if self.repeat.any() else 0.0,
            "ndcg_explore": float(gain[~self.repeat].mean()) if (~self.repeat).any() else 0.0,
        }
