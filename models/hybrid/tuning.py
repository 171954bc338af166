"""How ``default`` learns its blend at the end of the training span — and why it never loses to the
simple baseline there.

Two consecutive spans end the training data (never the test span):

- the **fit span** (up to ``max_train_targets`` plays before the check span, within the last
  ``tune_fraction`` of the training data): the model walks it like the harness and keeps, for each
  known target, a candidate list (the strongest candidates of several signals, random known tracks,
  the target); ``LinearRanker.fit`` learns the blend from these lists;
- the **check span**: the last 10% of the training data — exactly the span ``markov_recency`` tunes
  its α and half-life on. The model walks it with the blend fixed and ranks every target over the
  whole item space with the same scoring as ``Default.scores``, for each of :data:`VARIANTS` (the
  learned blend, its smooth softmax start, ``markov_recency`` itself, and mixtures of the learned
  blend with it). The variant with the best NDCG@10 there is the one ``default`` keeps.

Why this guarantees "never below the baseline on validation": the ``markov_recency`` variant ranks
known tracks with markov_recency's own functions and tuned parameters, and unheard tracks no
higher than markov_recency's ties do, so its NDCG@10 on the check span is at least markov_recency's
validation NDCG@10; the kept variant is at least as good as that one. Why it is robust off
validation: the learned weights are judged on plays they were not fitted on, so a blend that
overfits the fit span (few known targets, e.g. a listener whose next plays are mostly new to them;
coordinate ascent chasing noise; candidate lists that miss what a full ranking puts on top) loses on
the check span and is not kept — a mixture or the baseline is.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from core.jobs import CancelToken, Progress
from models.base import ProgressFn, TrainData, top_k
from models.evaluation.harness import walk
from models.hybrid.signals import FEATURES, Signals

if TYPE_CHECKING:
    from models.hybrid.default import Default

CUTOFF = 10
CANDIDATE_ROWS = (
    "markov_logp",
    "markov2_logp",
    "followed_within_5",
    "sr_logp",
    "session_sr_logp",
    "recent_24h_log1p",
    "recent_168h_log1p",
    "recent_10plays_log1p",
    "count_log1p",
    "markov_recency",
)
BASELINE = FEATURES.index("markov_recency")
MIXES = (0.25, 0.5, 0.75)
# (name, which weights, share of the learned score); mix 0 is markov_recency alone. Listed simplest
# first: a later variant is kept only when it is strictly better on the check span.
VARIANTS: tuple[tuple[str, str, float], ...] = (
    ("markov_recency", "learned", 0.0),
    *((f"mix {m:.2f}", "learned", m) for m in MIXES),
    ("softmax", "softmax", 1.0),
    ("learned", "learned", 1.0),
)


@dataclass
class Lists:
    """Candidate lists of the fit span, stored flat (see ``ranker``)."""

    rows: list[np.ndarray] = field(default_factory=list)
    targets: list[int] = field(default_factory=list)
    reach: list[bool] = field(default_factory=list)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        sizes = np.array([x.shape[0] for x in self.rows], np.int64)
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        return (
            np.concatenate(self.rows),
            offsets,
            offsets[:-1] + np.asarray(self.targets, np.int64),
            np.asarray(self.reach, bool),
        )


def candidate_list(
    sig: Signals, feats: list[np.ndarray], last: int, target: int, per: int, negatives: int, rng
) -> tuple[np.ndarray, int, bool]:
    """(features [m, F], position of the target, whether a signal's own top had it)."""
    heard = sig.heard()
    if last >= 0:
        heard[last] = False  # the previous play cannot be next (collapsed)
    rows = [FEATURES.index(r) for r in CANDIDATE_ROWS]
    tops = np.unique(np.concatenate([top_k(np.where(heard, feats[r], -np.inf), per) for r in rows]))
    heard_idx = np.flatnonzero(heard)
    randoms = rng.choice(heard_idx, size=min(negatives, heard_idx.size), replace=False)
    cand = np.unique(np.concatenate([tops, randoms, [target]]))
    x = np.stack([row[cand] for row in feats], axis=1).astype(np.float32)
    return x, int(np.searchsorted(cand, target)), bool(np.isin(target, tops))


CALIBRATION_RANKS = 100


def _gains(ranks: np.ndarray) -> np.ndarray:
    return np.where(ranks <= CUTOFF, 1.0 / np.log2(ranks + 1.0), 0.0)


def hit_rates(ranks: np.ndarray, n_ranks: int = CALIBRATION_RANKS) -> list[float]:
    """P(the next play is the candidate at rank r), r = 1..n_ranks, from the ranks the targets got:
    per-rank hit shares made non-increasing (pool-adjacent-violators), so a lower rank never claims
    a higher chance. Explore targets count in the denominator (the next play was none of them)."""
    ranks = np.asarray(ranks, np.float64)
    hits = np.bincount(ranks[ranks <= n_ranks].astype(np.int64), minlength=n_ranks + 1)[1:].astype(np.float64)
    rate = hits / max(ranks.size, 1)
    blocks: list[list[float]] = []  # [sum, count]
    for v in rate.tolist():
        blocks.append([v, 1.0])
        while len(blocks) > 1 and blocks[-2][0] / blocks[-2][1] < blocks[-1][0] / blocks[-1][1]:
            total, count = blocks.pop()
            blocks[-1][0] += total
            blocks[-1][1] += count
    return [round(b[0] / b[1], 8) for b in blocks for _ in range(int(b[1]))]


def tune(
    model: Default,
    data: TrainData,
    fit_start: int,
    check_start: int,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
) -> dict | None:
    """Fit the blend on ``[fit_start, check_start)``, choose the variant on ``[check_start, n)``;
    sets ``model``'s weights and mix and returns what was measured (None: too few known targets)."""
    from models.baselines.common import MIN_VALIDATION_TARGETS

    n = len(data.items)
    p_ = model.params
    rng = np.random.default_rng(0)  # fixed: the blend must not depend on the run's seed
    lists = Lists()
    ranks: list[np.ndarray] = []
    explore_targets = 0
    every = max(1, (n - fit_start) // 20)
    vectors: dict[str, np.ndarray] = {}
    scales = (1.0, 1.0)
    fitted: dict | None = None
    for p, state in walk(model, data.items, data.played_at, fit_start, cancel=cancel):
        if progress is not None and (p - fit_start) % every == 0:
            phase = "learning the blend" if p < check_start else "checking it against the baseline"
            progress(
                Progress(
                    p - fit_start, n - fit_start, f"{phase} ({p - fit_start:,} of {n - fit_start:,} plays)"
                )
            )
        sig: Signals = state.extra["signals"]
        tgt = int(data.items[p])
        if p < check_start:
            if tgt >= 0 and sig.count[tgt] > 0:  # explore targets: ranked in their own tier
                x, pos, hit = candidate_list(
                    sig,
                    model.features_for(state),
                    state.last,
                    tgt,
                    p_["per_signal"],
                    p_["random_negatives"],
                    rng,
                )
                lists.rows.append(x)
                lists.targets.append(pos)
                lists.reach.append(hit)
            continue
        if fitted is None:
            if len(lists.targets) < MIN_VALIDATION_TARGETS:
                return None
            fitted, scales = _fit(model, lists, progress)
            vectors = {"learned": model.ranker.weights.copy(), "softmax": model.ranker.softmax_weights.copy()}
        explore_targets += bool(tgt < 0 or sig.count[tgt] <= 0)
        ranks.append(_check_ranks(model, state, sig, tgt, vectors, scales))
    if fitted is None:
        return None
    rank_table = np.asarray(ranks)  # [check plays, variants]
    n_check = rank_table.shape[0]
    ndcgs = _gains(rank_table).mean(axis=0)
    best = 0
    for i in range(1, len(VARIANTS)):
        if ndcgs[i] > ndcgs[best] + 1e-12:
            best = i
    name, which, mix = VARIANTS[best]
    model.ranker.weights = vectors[which]
    p_.update(mix=mix, scale_learned=scales[0], scale_base=scales[1])
    p_["calibration"] = {
        "hit_rate_at_rank": hit_rates(rank_table[:, best]),
        "new_rate": round(explore_targets / max(n_check, 1), 6),
        "plays": n_check,
    }
    return {
        **fitted,
        "check_plays": n_check,
        "check_ndcg": {v[0]: round(float(g), 6) for v, g in zip(VARIANTS, ndcgs, strict=True)},
        "chosen": name,
    }


def _fit(model: Default, lists: Lists, progress: ProgressFn | None) -> tuple[dict, tuple[float, float]]:
    from models.hybrid.default import simple_blends

    X, offsets, target, reach = lists.arrays()
    stats = model.ranker.fit(X, offsets, target, reach, l2=model.params["l2"], inits=simple_blends())
    r = model.ranker
    learned = ((X - r.mean) / r.std).astype(np.float32) @ r.weights.astype(np.float32)
    scales = (float(np.std(learned)) or 1.0, float(r.std[BASELINE]) or 1.0)
    return {
        "fit_plays": int(target.size),
        "fit_ndcg_start": round(stats["ndcg_start"], 6),
        "fit_ndcg": round(stats["ndcg"], 6),
        "fit_start": stats["start"],
    }, scales


def _check_ranks(
    model: Default, state, sig: Signals, tgt: int, vectors: dict[str, np.ndarray], scales: tuple[float, float]
) -> np.ndarray:
    """The target's rank under each variant, full ranking with the harness's rules (previous play
    excluded, ties against the target); unheard targets share the unheard tier's rank."""
    known = sig.heard()
    last = state.last
    if last >= 0:
        known[last] = False
    idx = np.flatnonzero(known)
    if tgt < 0 or not known[tgt]:  # explore target (or the previous play): the same unheard tier for all
        rank = np.inf
        if tgt >= 0 and tgt != last and idx.size < CALIBRATION_RANKS:
            ex = model.explore_scores(state)
            if last >= 0:
                ex[last] = -np.inf
            rank = idx.size + int(np.count_nonzero(ex >= ex[tgt]))
        return np.full(len(VARIANTS), float(rank))
    rows = model.features_for(state)
    learned = {w: model.ranker.score(rows, vec)[idx] for w, vec in vectors.items()}
    base = rows[BASELINE][idx]
    at = int(np.searchsorted(idx, tgt))
    out = np.empty(len(VARIANTS))
    for i, (_name, which, mix) in enumerate(VARIANTS):
        s = mix_scores(learned[which], base, mix, scales)
        out[i] = np.count_nonzero(s >= s[at])
    return out


def mix_scores(learned: np.ndarray, base: np.ndarray, mix: float, scales: tuple[float, float]) -> np.ndarray:
    """The kept blend: ``markov_recency`` alone (mix 0, its scores untouched), the learned blend alone
    (mix 1), or their mixture with each score in units of its spread."""
    if mix <= 0.0:
        return base
    if mix >= 1.0:
        return learned
    return mix * learned / scales[0] + (1.0 - mix) * base / scales[1]
