"""``default``: the repeat-aware model the app suggests with.

Music is re-listened: most next plays are tracks the listener already knows. ``default`` scores
every known track with a learned blend of counting signals (``signals.FEATURES``: transitions from
the last plays, sequential rules in the session, artist continuation, play counts decayed over
several time scales, time since last play, ...). The blend is a listwise linear ranker
(``ranker.LinearRanker``) trained on the validation span at the end of the training data — the
model walks that span exactly like the evaluation harness does and learns which signals pick the
track that was actually played. Nothing else is learned, so the counts follow every new play: tracks
first heard after training are scored as soon as they have been played once.

New-to-user tracks are ranked apart (``explore_scores``: artist affinity and artist transitions)
and always below known tracks in ``scores``: the evaluation's item space holds only tracks the
listener will eventually play, so pushing unheard tracks of the current artist up would exploit the
protocol rather than recommend. The app asks for discovery separately (``models.api.explore``) over its candidate catalogue.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from core.jobs import CancelToken, Progress
from core.sessions import DEFAULT_GAP_S
from models.base import ItemFeatures, ItemSpace, ProgressFn, Recommender, TrainData, top_k
from models.baselines.common import MIN_VALIDATION_TARGETS, SeqState
from models.evaluation.harness import walk
from models.evaluation.splits import validation_split
from models.hybrid.ranker import LinearRanker
from models.hybrid.signals import FEATURES, Signals
from models.registry import register

EXPLORE_FLOOR = -1e6
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
)
FALLBACK_WEIGHTS = {
    "markov_logp": 1.0,
    "sr_logp": 0.5,
    "recent_24h_log1p": 1.0,
    "recent_720h_log1p": 0.5,
    "count_log1p": 0.2,
}


@register
class Default(Recommender):
    name = "default"
    description = "repeat-aware blend of what you play next, what is in rotation, and your favourites"
    family = "hybrid"
    deterministic = True
    scores_new_tracks = True

    def __init__(
        self,
        gap_s: int = DEFAULT_GAP_S,
        max_train_targets: int = 4000,
        tune_fraction: float = 0.5,
        per_signal: int = 20,
        random_negatives: int = 30,
        l2: float = 1e-3,
        **params: Any,
    ):
        super().__init__(
            gap_s=gap_s,
            max_train_targets=max_train_targets,
            tune_fraction=tune_fraction,
            per_signal=per_signal,
            random_negatives=random_negatives,
            l2=l2,
            **params,
        )
        self.ranker = LinearRanker(len(FEATURES))
        self._fallback()

    def _fallback(self) -> None:
        self.ranker.weights = np.array([FALLBACK_WEIGHTS.get(f, 0.0) for f in FEATURES])
        self.ranker.mean = np.zeros(len(FEATURES))
        self.ranker.std = np.ones(len(FEATURES))

    # -- training ---------------------------------------------------------------------------
    def fit(
        self,
        data: TrainData,
        features: ItemFeatures | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        self.space = data.space
        self._fallback()
        self.params["trained_on"] = "fallback weights (too little history to tune)"
        split = validation_split(len(data.items), self.params["tune_fraction"])
        if split.n_targets < MIN_VALIDATION_TARGETS:
            return
        X, offsets, target, reach = self._collect(data, split.start, progress, cancel)
        if target.size < MIN_VALIDATION_TARGETS:
            return
        if progress is not None:
            progress(Progress(0, 1, f"fitting the blend on {target.size:,} validation plays"))
        stats = self.ranker.fit(X, offsets, target, reach, l2=self.params["l2"], inits=_simple_blends())
        self.params["trained_on"] = (
            f"{target.size} validation plays: NDCG@10 in candidate lists "
            f"{stats['ndcg_start']:.4f} ({stats['start']}) -> {stats['ndcg']:.4f}"
        )
        if progress is not None:
            progress(Progress(1, 1, "blend fitted"))

    def _collect(
        self, data: TrainData, val_start: int, progress: ProgressFn | None, cancel: CancelToken | None
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Flat candidate lists for the validation targets (the most recent ``max_train_targets``)."""
        n = len(data.items)
        start = max(val_start, n - self.params["max_train_targets"])
        rows = [FEATURES.index(r) for r in CANDIDATE_ROWS]
        per = self.params["per_signal"]
        rng = np.random.default_rng(0)  # fixed: the blend must not depend on the run's seed
        lists: list[np.ndarray] = []
        targets: list[int] = []
        reach: list[bool] = []
        every = max(1, (n - start) // 10)
        for p, state in walk(self, data.items, data.played_at, start, cancel=cancel):
            sig: Signals = state.extra["signals"]
            tgt = int(data.items[p])
            if (p - start) % every == 0 and progress is not None:
                progress(
                    Progress(p - start, n - start, f"walking validation plays {p - start:,}/{n - start:,}")
                )
            if tgt < 0 or sig.count[tgt] <= 0:
                continue  # explore targets: ranked in their own tier, nothing to learn here
            feats = sig.features(state)
            heard = sig.count > 0
            heard[state.last] = False  # the previous play cannot be next (collapsed)
            # the strongest candidates of each signal, the target, and random known tracks so the
            # blend also learns to keep the long tail of known tracks down in a full ranking
            tops = np.unique(np.concatenate([top_k(np.where(heard, feats[r], -np.inf), per) for r in rows]))
            heard_idx = np.flatnonzero(heard)
            randoms = rng.choice(
                heard_idx, size=min(self.params["random_negatives"], heard_idx.size), replace=False
            )
            cand = np.unique(np.concatenate([tops, randoms, [tgt]]))
            lists.append(np.stack([row[cand] for row in feats], axis=1).astype(np.float32))
            targets.append(int(np.searchsorted(cand, tgt)))
            reach.append(bool(np.isin(tgt, tops)))
        if not lists:
            return (
                np.zeros((0, len(FEATURES)), np.float32),
                np.zeros(1, np.int64),
                np.zeros(0, np.int64),
                np.zeros(0, bool),
            )
        sizes = np.array([x.shape[0] for x in lists])
        offsets = np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64)
        return (
            np.concatenate(lists),
            offsets,
            offsets[:-1] + np.asarray(targets, np.int64),
            np.asarray(reach, bool),
        )

    # -- state ------------------------------------------------------------------------------
    def start(self, items: np.ndarray, played_at: np.ndarray) -> SeqState:
        state = SeqState(items, played_at, self.params["gap_s"])
        state.extra["signals"] = Signals(self.space, self.params["gap_s"]).init(
            np.asarray(items, np.int64), np.asarray(played_at, np.int64)
        )
        return state

    def observe(self, state: SeqState, item: int, played_at: int) -> SeqState:
        state.append(item, played_at, self.params["gap_s"])
        sig: Signals = state.extra["signals"]
        if sig.n < len(self.space):
            sig.grow(self.space)
        sig.observe(state, int(item), int(played_at))
        return state

    def extend_space(self, space: ItemSpace) -> None:
        """Adopt a larger item space (tracks first heard after training); indices must be kept."""
        assert self.space is not None and np.array_equal(
            space.track_ids[: len(self.space)], self.space.track_ids
        )
        self.space = space

    def artist_recency(self, state: SeqState) -> np.ndarray:
        """Decayed recent plays per dense artist (the second of ``ARTIST_HALF_LIVES``)."""
        sig: Signals = state.extra["signals"]
        return sig.artist_recent[1].values

    # -- scoring ----------------------------------------------------------------------------
    def scores(self, state: SeqState) -> np.ndarray:
        sig: Signals = state.extra["signals"]
        if sig.n < len(self.space):
            sig.grow(self.space)
        out = self.ranker.score(self._features(state))
        heard = sig.heard()
        out[~heard] = EXPLORE_FLOOR + self.explore_scores(state)[~heard]
        return out

    def _features(self, state: SeqState) -> list[np.ndarray]:
        """Feature rows for ``state``, computed once per play (``recommend`` asks again for reasons)."""
        key = (len(state.items), len(self.space))
        cached = state.extra.get("features")
        if cached is None or cached[0] != key:
            cached = (key, state.extra["signals"].features(state))
            state.extra["features"] = cached
        return cached[1]

    def explore_scores(self, state: SeqState) -> np.ndarray:
        """Scores for tracks new to the listener (-inf for known ones): affinity to their artist."""
        sig: Signals = state.extra["signals"]
        art = sig.artist_of
        last = state.last
        artist_next = np.zeros(sig.n_artists)
        if last >= 0:
            sig.art_trans.add_row_into(artist_next, int(art[last]), normalise=True)
        affinity = np.log1p(sig.artist_recent[1].values) + 5.0 * artist_next
        out = affinity[art].astype(np.float64)
        out[sig.heard()] = -np.inf
        return out

    def reason(self, state: SeqState, item: int) -> str:
        sig: Signals = state.extra["signals"]
        if sig.count[item] <= 0:
            return f"new to you: by {{artist:{int(sig.artist_of[item])}}}, whom you play a lot lately"
        contrib = self.ranker.contributions(np.array([row[item] for row in self._features(state)]))
        groups = {
            "next": contrib[
                [
                    FEATURES.index(f)
                    for f in (
                        "markov_logp",
                        "markov_log1p",
                        "markov2_logp",
                        "followed_last_time",
                        "followed_within_5",
                        "skip_logp",
                    )
                ]
            ].sum(),
            "session": contrib[[FEATURES.index(f) for f in ("sr_logp", "session_sr_logp")]].sum(),
            "artist": contrib[[FEATURES.index(f) for f in ("artist_markov_logp", "same_artist")]].sum(),
            "rotation": contrib[[i for i, f in enumerate(FEATURES) if f.startswith("recent_")]].sum(),
            "favourite": contrib[FEATURES.index("count_log1p")],
        }
        best = max(groups, key=groups.get)
        last = state.last
        count = int(sig.count[item])
        if best == "next" and last >= 0:
            cols, vals = sig.trans.row(last)
            n = int(vals[cols == item].sum())
            if n > 1:
                return f"you often play this after {{track:{last}}} ({n} times)"
            if n == 1:
                return f"you played this after {{track:{last}}} before"
        if best in ("next", "session") and last >= 0:
            return f"often follows {{track:{last}}} in your sessions"
        if best == "artist":
            return f"more {{artist:{int(sig.artist_of[item])}}}, like what you are playing now"
        week = _plays_since(state, item, state.times[-1] - 7 * 86_400)
        if best == "rotation" and week:
            return f"back in rotation: you played it {_times(week)} this week"
        if count >= 5:
            return f"one of your favourites: {count} plays"
        days = int((state.times[-1] - sig.last_time[item]) // 86_400)
        when = "earlier today" if days < 1 else f"{days} day{'s' * (days != 1)} ago"
        return f"you played it {_times(count)}, last {when}"

    # -- persistence ------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        return {"weights": self.ranker.weights, "mean": self.ranker.mean, "std": self.ranker.std}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.ranker.weights, self.ranker.mean, self.ranker.std = (
            arrays["weights"],
            arrays["mean"],
            arrays["std"],
        )


def _simple_blends() -> list[np.ndarray]:
    """Raw-unit weights of "(1-a) * P(next | last) + a * recency share" blends (markov_recency's
    family), starting points for the blend search."""
    out = []
    for share in (f for f in FEATURES if f.endswith("_share")):
        for a in (0.01, 0.1, 0.3, 0.5, 0.7, 0.9):
            w = np.zeros(len(FEATURES))
            w[FEATURES.index("markov_p")] = 1 - a
            w[FEATURES.index(share)] = a
            out.append(w)
    return out


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n} times"


def _plays_since(state: SeqState, item: int, since: int) -> int:
    n = 0
    for it, t in zip(reversed(state.items), reversed(state.times), strict=True):
        if t < since:
            break
        n += it == item
    return n
