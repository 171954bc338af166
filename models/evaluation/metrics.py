"""Ranking metrics from target ranks (1-based; ``inf`` when the model cannot score the target).

Ranks come from a full ranking over every item of the space, ties counted against the target
(pessimistic: a target tied with others is placed after all of them), so a model that gives many
items the same score gains nothing from the tie. Each metric is also reported on *repeat* targets
(heard before) and *explore* targets (new to the listener); an empty group reports ``None``.
"""

from __future__ import annotations

import numpy as np

CUTOFF_HR = 10
CUTOFF_MRR = 20
CUTOFF_COVERAGE = 20


def rank_of(scores: np.ndarray, target: int) -> float:
    """Pessimistic 1-based rank of ``target`` in ``scores`` (inf when its score is not finite)."""
    s = scores[target]
    if not np.isfinite(s):
        return float("inf")
    return float(np.count_nonzero(scores >= s))  # includes the target itself


def hit_rate(ranks: np.ndarray, k: int = CUTOFF_HR) -> float | None:
    return float(np.mean(ranks <= k)) if ranks.size else None


def ndcg(ranks: np.ndarray, k: int = CUTOFF_HR) -> float | None:
    """One relevant item per target: 1/log2(rank+1) inside the cut-off."""
    if not ranks.size:
        return None
    gain = np.zeros(ranks.size)
    hit = ranks <= k
    gain[hit] = 1.0 / np.log2(ranks[hit] + 1.0)
    return float(gain.mean())


def mrr(ranks: np.ndarray, k: int = CUTOFF_MRR) -> float | None:
    if not ranks.size:
        return None
    rr = np.zeros(ranks.size)
    hit = ranks <= k
    rr[hit] = 1.0 / ranks[hit]
    return float(rr.mean())


def coverage(top_lists: np.ndarray, n_items: int) -> float | None:
    """Share of the item space that appears in at least one top-k list ([n_targets, k] indices, -1 = none)."""
    if n_items == 0 or top_lists.size == 0:
        return None
    seen = np.unique(top_lists[top_lists >= 0])
    return float(seen.size / n_items)


def summarise(
    ranks: np.ndarray, repeat: np.ndarray, top_lists: np.ndarray, n_items: int
) -> dict[str, float | None]:
    """The metric block of one result row (issue 3 keys plus mrr splits and group sizes)."""
    ranks = np.asarray(ranks, dtype=np.float64)
    repeat = np.asarray(repeat, dtype=bool)
    out: dict[str, float | None] = {
        "n_test": int(ranks.size),
        "n_repeat": int(repeat.sum()),
        "n_explore": int((~repeat).sum()),
        "hr@10": hit_rate(ranks),
        "ndcg@10": ndcg(ranks),
        "mrr@20": mrr(ranks),
    }
    for group, mask in (("repeat", repeat), ("explore", ~repeat)):
        out[f"hr@10_{group}"] = hit_rate(ranks[mask])
        out[f"ndcg@10_{group}"] = ndcg(ranks[mask])
        out[f"mrr@20_{group}"] = mrr(ranks[mask])
    out["coverage@20"] = coverage(top_lists, n_items)
    return out
