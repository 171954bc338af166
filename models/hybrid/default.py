"""``default``: the repeat-aware model the app suggests with.

Music is re-listened: most next plays are tracks the listener already knows. ``default`` scores
every known track with a learned blend of counting signals (``signals.FEATURES``: transitions from
the last plays, sequential rules in the session, artist continuation, play counts decayed over
several time scales, time since last play, ..., and ``markov_recency``'s own score). The blend is a
listwise linear ranker (``ranker.LinearRanker``) learned at the end of the training span and kept
only where it beats the simple baseline on the validation span (``tuning``: the kept variant —
learned blend, mixture, or markov_recency itself — is never below markov_recency there). Nothing
else is learned, so the counts follow every new play: tracks first heard after training are scored
as soon as they have been played once.

New-to-user tracks are ranked apart (``explore_scores``: artist affinity and artist transitions)
and always below known tracks in ``scores``: the evaluation's item space holds only tracks the
listener will eventually play, so pushing unheard tracks of the current artist up would exploit the
protocol rather than recommend. The app asks for discovery separately (``models.api.explore``) over its
candidate catalogue and merges the two streams in ``models.serving.served``.

Reasons (``reasons``) state the evidence behind the strongest signal group of each suggestion —
counts, the anchor track, dates, stated windows — and only what the history supports.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np

from core.jobs import CancelToken, Progress
from core.sessions import DEFAULT_GAP_S
from models.base import Evidence, ItemFeatures, ItemSpace, ProgressFn, Recommendation, Recommender, TrainData
from models.baselines.common import MIN_VALIDATION_TARGETS, SeqState
from models.evaluation.splits import validation_split
from models.hybrid import reasons, tuning
from models.hybrid.ranker import LinearRanker
from models.hybrid.signals import DEFAULT_BASELINE, FEATURES, Signals
from models.registry import register

EXPLORE_FLOOR = -1e6
GROUPS = ("next", "session", "artist", "rotation", "favourite")
GROUP_OF = {
    **dict.fromkeys(
        (
            "markov_p",
            "markov2_p",
            "markov_logp",
            "markov_log1p",
            "markov2_logp",
            "followed_last_time",
            "followed_within_5",
            "skip_logp",
        ),
        "next",
    ),
    **dict.fromkeys(("sr_p", "session_sr_p", "sr_logp", "session_sr_logp", "session_knn_log"), "session"),
    **dict.fromkeys(("artist_markov_logp", "same_artist", "artist_in_session"), "artist"),
    **{f: "artist" for f in FEATURES if f.startswith("artist_recent_")},
    **{f: "rotation" for f in FEATURES if f.startswith("recent_")},
    **dict.fromkeys(
        ("hours_since_log1p", "plays_since_log1p", "gap_log_ratio", "gap_log_ratio_abs"), "rotation"
    ),
    "count_log1p": "favourite",
}
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
    version = 2  # 2: the markov_recency feature, the check span and the kept mix
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
        params.setdefault("mix", 1.0)
        params.setdefault("scale_learned", 1.0)
        params.setdefault("scale_base", 1.0)
        params.setdefault("base_alpha", DEFAULT_BASELINE[0])
        params.setdefault("base_half_life_s", DEFAULT_BASELINE[1])
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
        self._fallback_weights()

    def _fallback_weights(self) -> None:
        self.ranker.weights = np.array([FALLBACK_WEIGHTS.get(f, 0.0) for f in FEATURES])
        self.ranker.mean = np.zeros(len(FEATURES))
        self.ranker.std = np.ones(len(FEATURES))

    def _fallback(self) -> None:
        """Untuned: the fallback weights alone (a loaded model keeps its saved params instead)."""
        self._fallback_weights()
        self.params.update(mix=1.0, scale_learned=1.0, scale_base=1.0)
        self.params.pop("calibration", None)

    # -- training ---------------------------------------------------------------------------
    def fit(
        self,
        data: TrainData,
        features: ItemFeatures | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        """Tune ``markov_recency`` on the validation span, then learn the blend and keep the variant
        that ranks that span best (``tuning``: never below markov_recency there)."""
        from models.baselines.markov import MarkovRecency
        from models.serving.served import session_replay_rate

        self.space = data.space
        self._fallback()
        self.params["trained_on"] = "fallback weights (too little history to tune)"
        n = len(data.items)
        self.params["session_replay_rate"] = round(
            session_replay_rate(data.items, data.played_at, self.params["gap_s"]), 6
        )
        check = validation_split(n)  # markov_recency's own validation span
        if check.n_targets < MIN_VALIDATION_TARGETS:
            return
        base = MarkovRecency(gap_s=self.params["gap_s"])
        base.space = data.space
        base.tune(data, _stage(progress, 0, 15, "tuning the simple baseline"), cancel)
        self.params.update(
            base_alpha=float(base.params["alpha"]),
            base_half_life_s=float(base.params["half_life_s"]),
            baseline_validation_ndcg=base.params.get("validation_ndcg"),
        )
        fit_start = max(
            validation_split(n, self.params["tune_fraction"]).start,
            check.start - self.params["max_train_targets"],
        )
        result = tuning.tune(self, data, fit_start, check.start, _stage(progress, 15, 100), cancel)
        if result is None:
            self._fallback()
            return
        self.params["validation"] = result
        self.params["trained_on"] = (
            f"{result['fit_plays']} plays to fit the blend, {result['check_plays']} to check it: kept "
            f"{result['chosen']} (validation NDCG@10 {result['check_ndcg'][result['chosen']]:.4f}; "
            f"markov_recency {result['check_ndcg']['markov_recency']:.4f})"
        )
        if progress is not None:
            progress(Progress(100, 100, "blend fitted"))

    # -- state ------------------------------------------------------------------------------
    def start(self, items: np.ndarray, played_at: np.ndarray) -> SeqState:
        state = SeqState(items, played_at, self.params["gap_s"])
        baseline = (self.params["base_alpha"], self.params["base_half_life_s"])
        state.extra["signals"] = Signals(self.space, self.params["gap_s"], baseline).init(
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
        rows = self.features_for(state)
        mix = float(self.params["mix"])
        learned = self.ranker.score(rows) if mix > 0 else rows[0]
        scales = (self.params["scale_learned"], self.params["scale_base"])
        out = np.array(tuning.mix_scores(learned, rows[tuning.BASELINE], mix, scales), dtype=np.float64)
        heard = sig.heard()
        out[~heard] = EXPLORE_FLOOR + self.explore_scores(state)[~heard]
        return out

    def features_for(self, state: SeqState) -> list[np.ndarray]:
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
        out = self.artist_affinity(state)[sig.artist_of].astype(np.float64)
        out[sig.heard()] = -np.inf
        return out

    def artist_affinity(self, state: SeqState) -> np.ndarray:
        """Per dense artist: decayed plays (1-month half-life, log) plus how often the last play's
        artist led to it — what ranks a new track by an artist the listener knows (catalogue
        candidates of an artist outside the space have none)."""
        sig: Signals = state.extra["signals"]
        last = state.last
        artist_next = np.zeros(sig.n_artists)
        if last >= 0:
            sig.art_trans.add_row_into(artist_next, int(sig.artist_of[last]), normalise=True)
        return np.log1p(sig.artist_recent[1].values) + 5.0 * artist_next

    def evidence(self, state: SeqState, item: int, now: float | None = None) -> reasons.Evidence:
        """What the history shows for ``item`` after ``state``, chosen by what drove its score."""
        sig: Signals = state.extra["signals"]
        now = reasons.wall_clock() if now is None else now
        gap_s = self.params["gap_s"]
        if sig.count[item] <= 0:
            return reasons.new_evidence(state, sig, item, gap_s, now)
        return reasons.known_evidence(state, sig, item, self._groups(state, item), gap_s, now)

    def explain_new(self, state: SeqState, artist_id: int) -> tuple[str, Evidence] | None:
        """A new-to-you track by the store artist ``artist_id`` outside the item space (a catalogue
        candidate): its artist's plays, in a stated window first."""
        sig: Signals = state.extra["signals"]
        ids = self.space.artist_ids if self.space is not None else None
        hit = np.flatnonzero(ids == int(artist_id)) if ids is not None else np.empty(0, np.int64)
        dense = int(hit[0]) if hit.size else -1
        ev = reasons.new_evidence(state, sig, -1, self.params["gap_s"], reasons.wall_clock(), artist=dense)
        return (ev.text(), ev.to_evidence(sig, self.name)) if ev.kind != "new" else None

    def reason(self, state: SeqState, item: int) -> str:
        return self.evidence(state, item).text()

    def explain(self, state: SeqState, item: int) -> tuple[str, Evidence | None]:
        ev = self.evidence(state, item)
        return ev.text(), ev.to_evidence(state.extra["signals"], self.name)

    def recommend(self, state: SeqState, k: int = 20, exclude: Sequence[int] = ()) -> list[Recommendation]:
        """Top-k with reasons and the evidence each states; unheard tracks marked new to the listener."""
        sig: Signals = state.extra["signals"]
        out = super().recommend(state, k, exclude)
        idx = self.space.indices([r.track_id for r in out])
        return [
            replace(r, new_to_user=bool(sig.count[i] <= 0)) for r, i in zip(out, idx.tolist(), strict=True)
        ]

    def _groups(self, state: SeqState, item: int) -> list[str]:
        """Signal groups by how much they added to ``item``'s score, strongest first."""
        sig: Signals = state.extra["signals"]
        rows = self.features_for(state)
        mix = float(self.params["mix"])
        totals = dict.fromkeys(GROUPS, 0.0)
        base_next = (1 - sig.base_alpha) * float(rows[FEATURES.index("markov_p")][item])
        base_rot = float(rows[tuning.BASELINE][item]) - base_next
        base_group = "next" if base_next >= base_rot else "rotation"
        if mix > 0:
            contrib = self.ranker.contributions(np.array([row[item] for row in rows]))
            scale = 1.0 if mix >= 1 else mix / self.params["scale_learned"]
            for f, c in zip(FEATURES, contrib.tolist(), strict=True):
                group = base_group if f == "markov_recency" else GROUP_OF.get(f)
                if group:
                    totals[group] += scale * c
        if mix < 1:
            scale = 1.0 if mix <= 0 else (1 - mix) / self.params["scale_base"]
            totals["next"] += scale * base_next
            totals["rotation"] += scale * base_rot
        return sorted(GROUPS, key=lambda g: -totals[g])

    # -- persistence ------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        return {"weights": self.ranker.weights, "mean": self.ranker.mean, "std": self.ranker.std}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        self.ranker.weights, self.ranker.mean, self.ranker.std = (
            arrays["weights"],
            arrays["mean"],
            arrays["std"],
        )


def _stage(progress: ProgressFn | None, lo: int, hi: int, message: str | None = None) -> ProgressFn | None:
    """``progress`` for one stage of the fit: its fractions mapped onto ``lo``–``hi`` of 100, so the
    job's percentage runs once from 0 to 100 over the whole fit."""
    if progress is None:
        return None

    def report(p: Progress) -> None:
        done = lo + (hi - lo) * (p.fraction if p.fraction is not None else 0.0)
        progress(Progress(int(done), 100, message or p.message))

    return report


def simple_blends() -> list[np.ndarray]:
    """Raw-unit weights of "(1-a) * P(next | last) + a * recency share" blends (markov_recency's
    family), starting points for the blend search."""
    out = []
    for share in (f for f in FEATURES if f.endswith("_share")):
        for a in (0.01, 0.1, 0.3, 0.5, 0.7, 0.9):
            w = np.zeros(len(FEATURES))
            w[FEATURES.index("markov_p")] = 1 - a
            w[FEATURES.index(share)] = a
            out.append(w)
    w = np.zeros(len(FEATURES))
    w[FEATURES.index("markov_recency")] = 1.0
    return [w, *out]
