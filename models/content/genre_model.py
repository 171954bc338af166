"""The genre-cluster content model (``genre_cluster``).

Steps (docs/architecture.md §7, "tags → Word2Vec → k-means classes → fusion DNN → user genre vector"):

1. Genre classes and each item's genre mix from its tags (models/content/genres.py).
2. A state per listening moment: the genre mix of the current session (latest plays weighted most),
   a slowly decaying mix of the whole history, the last play's mix, and — when present — the
   session's mean audio and lyrics codes (PCA-16 of each modality, mask-weighted, with the share of
   plays that have it; absent modalities contribute a zero share, not fake values).
3. The fusion DNN (one hidden layer) maps that state to the *user genre vector* p: the predicted
   genre mix of the next play, trained with soft cross-entropy on every play of the training span
   (early stopping on the last 10% of it, never on the test span).
4. An item scores log Σ_c p_c · P(item | c), where P(item | c) spreads a class over its items by
   their genre share times the listener's play count so far (+ ``alpha``, so tagged tracks never
   played still get a share): genre affinity decides the class, personal popularity orders tracks
   inside it. Items with neither tags nor plays are not scored.

Sessions are split on start-to-start gaps above ``gap_s`` (2 h) identically in training and scoring.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any, ClassVar

import numpy as np

from core.jobs import CancelToken, Progress
from models.base import ItemFeatures, ModelError, ProgressFn, Recommender, TrainData
from models.content.genres import UNTAGGED, build_genres
from models.registry import register
from models.train_loop import Budget, fit_epochs, step_epoch

FUSION_MODALITIES = (("audio", "audio_raw"), ("lyrics",))
CODE_DIM = 16


class GenreState:
    __slots__ = ("session", "last_time", "long", "last", "counts")

    def __init__(self, n_classes: int, n_items: int):
        self.session: list[int] = []
        self.last_time: int | None = None
        self.long = np.zeros(n_classes, np.float32)
        self.last = -1
        self.counts = np.zeros(n_items, np.float32)

    def copy(self) -> GenreState:
        s = GenreState.__new__(GenreState)
        s.session, s.last_time, s.long, s.last = (
            list(self.session),
            self.last_time,
            self.long.copy(),
            self.last,
        )
        s.counts = self.counts.copy()
        return s


@register
class GenreCluster(Recommender):
    name = "genre_cluster"
    family = "content"
    description = "Genre-cluster content model: tag Word2Vec genres, fusion DNN user genre vector"
    uses_modalities = ("tag_weights", "tags", "audio", "audio_raw", "lyrics")
    batch_size = 256
    defaults: ClassVar[dict[str, Any]] = {
        "n_genres": 16,
        "w2v_dim": 32,
        "hidden": 64,
        "gap_s": 7200,
        "window": 50,
        "recency": 0.7,
        "long_decay": 0.99,
        "alpha": [0.1, 1.0],
        "count_decay": [1.0, 0.995],
        "max_epochs": 30,
        "patience": 3,
        "lr": 3e-3,
        "batch": 512,
        "time_budget_s": 120.0,
        "max_val_targets": 1500,
    }

    def __init__(self, **params: Any):
        super().__init__(**{**self.defaults, **params})
        self.mix: np.ndarray | None = None
        self.codes: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        self.net = None

    # -- state --------------------------------------------------------------------------------
    @property
    def n_classes(self) -> int:
        assert self.mix is not None, "fit or load the model first"
        return int(self.mix.shape[1])

    def start(self, items: np.ndarray, played_at: np.ndarray) -> GenreState:
        assert self.space is not None and self.mix is not None
        state = GenreState(self.n_classes, len(self.space))
        items = np.asarray(items, np.int64)
        times = np.asarray(played_at, np.int64)
        ok = items >= 0
        if items.size:
            cw = self._count_decay() ** np.arange(items.size - 1, -1, -1, dtype=np.float64)
            state.counts += np.bincount(items[ok], weights=cw[ok], minlength=len(self.space)).astype(
                np.float32
            )
            w = float(self.params["long_decay"]) ** np.arange(items.size - 1, -1, -1, dtype=np.float64)
            state.long = (w[ok, None] * self.mix[items[ok]]).sum(0).astype(np.float32)
            breaks = np.flatnonzero(np.diff(times) > int(self.params["gap_s"])) + 1
            first = int(breaks[-1]) if breaks.size else 0
            state.session = items[first:][-int(self.params["window"]) :].tolist()
            state.last_time, state.last = int(times[-1]), int(items[-1])
        return state

    def observe(self, state: GenreState, item: int, played_at: int) -> GenreState:
        assert self.mix is not None
        if state.last_time is not None and played_at - state.last_time > int(self.params["gap_s"]):
            state.session = []
        state.session.append(int(item))
        if len(state.session) > int(self.params["window"]):
            del state.session[0]
        state.long *= float(self.params["long_decay"])
        decay = self._count_decay()
        if decay != 1.0:
            state.counts *= decay
        if item >= 0:
            state.long += self.mix[item]
            state.counts[item] += 1.0
        state.last_time, state.last = int(played_at), int(item)
        return state

    def _count_decay(self) -> float:
        chosen = self.params.get("count_decay_chosen")
        return float(chosen if chosen is not None else np.atleast_1d(self.params["count_decay"])[0])

    def snapshot(self, state: GenreState) -> GenreState:
        return state.copy()

    def _features(self, state: GenreState) -> np.ndarray:
        """The fusion DNN's input for one state."""
        assert self.mix is not None
        c = self.n_classes
        sess = [i for i in state.session if i >= 0]
        cur = np.zeros(c, np.float32)
        w = float(self.params["recency"]) ** np.arange(len(sess) - 1, -1, -1, dtype=np.float32)
        if sess:
            cur = (w[:, None] * self.mix[sess]).sum(0) / w.sum()
        long = state.long / state.long.sum() if state.long.sum() > 0 else np.zeros(c, np.float32)
        last = self.mix[state.last] if state.last >= 0 else np.zeros(c, np.float32)
        parts = [cur, long, last]
        for m in sorted(self.codes):
            code, mask = self.codes[m]
            if sess:
                ww = w * mask[sess]
                den = float(ww.sum())
                parts.append(
                    (ww[:, None] * code[sess]).sum(0) / den if den > 0 else np.zeros(CODE_DIM, np.float32)
                )
                parts.append(np.array([den / float(w.sum())], np.float32))
            else:
                parts.extend([np.zeros(CODE_DIM, np.float32), np.zeros(1, np.float32)])
        return np.concatenate(parts).astype(np.float32)

    # -- fitting ------------------------------------------------------------------------------
    def _fusion_codes(self, features: ItemFeatures | None) -> dict[str, tuple[np.ndarray, np.ndarray]]:
        from sklearn.decomposition import PCA

        out: dict[str, tuple[np.ndarray, np.ndarray]] = {}
        if features is None:
            return out
        mods = set(features.modalities())
        for group in FUSION_MODALITIES:
            m = next((g for g in group if g in mods), None)
            if m is None:
                continue
            mat, mask = features.matrix(m)
            mat, mask = np.asarray(mat, np.float32), np.asarray(mask, bool)
            if mask.sum() < 2:
                continue
            x = mat[mask]
            x = (x - x.mean(0)) / (x.std(0) + 1e-6)
            k = min(CODE_DIM, x.shape[1], int(mask.sum()))
            z = PCA(n_components=k, random_state=0).fit_transform(x).astype(np.float32)
            z /= z.std(0, keepdims=True).mean() + 1e-6
            code = np.zeros((mat.shape[0], CODE_DIM), np.float32)
            code[mask, :k] = z
            out[group[0]] = (code, mask.astype(np.float32))
        return out

    def fit(
        self,
        data: TrainData,
        features: ItemFeatures | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        import torch

        from models.content.genre_nets import FusionNet
        from models.device import pick_device
        from models.graph.torch_base import use_threads

        cancel = cancel or CancelToken()
        t0 = time.perf_counter()
        if data.items.size < 2 or not (data.items >= 0).any():
            raise ModelError(f"{self.name}: too few plays to learn from; import or sync some listening first")
        use_threads(small_ops=True)
        torch.manual_seed(data.seed)
        rng = np.random.default_rng(data.seed)
        self.space = data.space
        n = len(self.space)
        plays = np.bincount(data.items[data.items >= 0], minlength=n).astype(np.float64)
        genres = build_genres(
            features, n, plays, int(self.params["n_genres"]), int(self.params["w2v_dim"]), data.seed
        )
        self.mix = genres.mix
        self.codes = self._fusion_codes(features)
        self.params.update(
            {
                "genre_names": genres.names,
                "genre_source": genres.source,
                "fusion_modalities": sorted(self.codes),
            }
        )
        if progress:
            progress(
                Progress(0, None, f"{self.name}: {genres.n_classes - 1} genre classes from {genres.source}")
            )
        # training examples: the state before every play of the span, identical to scoring
        xs, ys, state = [], [], self.start(data.items[:1], data.played_at[:1])
        for p in range(1, data.items.size):
            if p % 4096 == 0:
                cancel.raise_if_cancelled()
            xs.append(self._features(state))
            item = int(data.items[p])
            ys.append(
                self.mix[item] if item >= 0 else np.full(self.n_classes, 1.0 / self.n_classes, np.float32)
            )
            state = self.observe(state, item, int(data.played_at[p]))
        x, y = np.stack(xs), np.stack(ys)
        n_val = int(round(0.1 * len(x))) if len(x) >= 50 else 0
        cut = len(x) - n_val
        device = pick_device()
        self.net = FusionNet(x.shape[1], int(self.params["hidden"]), self.n_classes).to(device)
        opt = torch.optim.Adam(self.net.parameters(), lr=float(self.params["lr"]))
        xt, yt = torch.from_numpy(x).to(device), torch.from_numpy(y).to(device)
        batch = int(self.params["batch"])

        def losses(rows: np.ndarray):
            order = rng.permutation(rows)
            for b in range(0, order.size, batch):
                idx = torch.from_numpy(order[b : b + batch]).to(device)
                yield self.net.loss(xt[idx], yt[idx])

        def validate() -> dict[str, float]:
            self.net.eval()
            with torch.no_grad():
                loss = float(self.net.loss(xt[cut:], yt[cut:]))
            return {"ce": loss}

        log = fit_epochs(
            self.name,
            self.net,
            opt,
            lambda _epoch: losses(np.arange(cut)),
            max_epochs=int(self.params["max_epochs"]),
            budget=Budget(float(self.params["time_budget_s"]), clock="cpu"),
            cancel=cancel,
            progress=progress,
            validate=validate if n_val else None,
            metric="ce",
            maximize=False,
            label="validation cross-entropy",
            patience=int(self.params["patience"]),
        )
        self.net.eval()
        alpha = (
            self._choose_alpha(data, cut + 1, rng) if n_val else float(np.atleast_1d(self.params["alpha"])[0])
        )
        if n_val:  # one pass over the held-out end too: it is the most recent listening
            step_epoch(self.net, opt, losses(np.arange(len(x))), cancel=cancel)
            self.net.eval()
        self.params["alpha_chosen"] = alpha
        self.params["fit"] = {**log.as_params(), "seconds": round(time.perf_counter() - t0, 1)}

    def _choose_alpha(self, data: TrainData, first: int, rng: np.random.Generator) -> float:
        """Pick ``alpha`` and ``count_decay`` by NDCG@10 of the item ranking on the validation plays
        (previous play excluded, ties against the target); sets ``count_decay_chosen``."""
        alphas = [float(a) for a in np.atleast_1d(self.params["alpha"])]
        decays = [float(d) for d in np.atleast_1d(self.params["count_decay"])]
        positions = np.arange(first, data.items.size)
        m = int(self.params["max_val_targets"])
        if positions.size > m:
            positions = np.sort(rng.choice(positions, m, replace=False))
        wanted = set(positions.tolist())
        best, choice = -1.0, (alphas[0], decays[0])
        for decay in decays:
            self.params["count_decay_chosen"] = decay
            state = self.start(data.items[:first], data.played_at[:first])
            states, targets, prev = [], [], []
            for p in range(first, data.items.size):
                if p in wanted:
                    states.append(state.copy())
                    targets.append(int(data.items[p]))
                    prev.append(int(data.items[p - 1]))
                state = self.observe(state, int(data.items[p]), int(data.played_at[p]))
            for a in alphas:
                gain = 0.0
                for b in range(0, len(states), 256):
                    s = self._scores(states[b : b + 256], a)
                    for r, (t, q) in enumerate(zip(targets[b : b + 256], prev[b : b + 256], strict=True)):
                        row = s[r]
                        if q >= 0:
                            row[q] = -np.inf
                        if t >= 0 and np.isfinite(row[t]):
                            rank = int((row >= row[t]).sum())
                            gain += 1.0 / np.log2(rank + 1.0) if rank <= 10 else 0.0
                ndcg = gain / max(len(states), 1)
                if ndcg > best:
                    best, choice = ndcg, (a, decay)
        self.params["count_decay_chosen"] = choice[1]
        self.params["val_ndcg@10"] = round(float(best), 5)
        return choice[0]

    # -- scoring ------------------------------------------------------------------------------
    def genre_vector(self, states: Sequence[GenreState]) -> np.ndarray:
        """The user genre vector p [B, C] (predicted genre mix of the next play)."""
        import torch

        assert self.net is not None, "fit or load the model first"
        x = torch.from_numpy(np.stack([self._features(s) for s in states]))
        dev = next(self.net.parameters()).device
        with torch.no_grad():
            return torch.softmax(self.net(x.to(dev)), dim=1).cpu().numpy()

    def _scores(self, states: Sequence[GenreState], alpha: float) -> np.ndarray:
        assert self.mix is not None
        p = self.genre_vector(states)
        out = np.empty((len(states), self.mix.shape[0]), np.float32)
        untagged = self.mix[:, -1] >= 1.0
        for r, s in enumerate(states):
            mass = self.mix * (s.counts + alpha)[:, None]  # [n, C]
            z = mass.sum(0)
            cond = mass / np.where(z > 0, z, 1.0)[None, :]
            prob = cond @ p[r]
            row = np.log(prob + 1e-12).astype(np.float32)
            row[untagged & (s.counts <= 0)] = -np.inf  # nothing known about these items
            out[r] = row
        return out

    def scores(self, state: GenreState) -> np.ndarray:
        return self.score_batch([state])[0]

    def score_batch(self, states: Sequence[GenreState]) -> np.ndarray:
        return self._scores(
            states, float(self.params.get("alpha_chosen", np.atleast_1d(self.params["alpha"])[0]))
        )

    def reason(self, state: GenreState, item: int) -> str:
        assert self.mix is not None
        names = self.params.get("genre_names") or []
        p = self.genre_vector([state])[0]
        c = int(np.argmax(p * self.mix[item]))
        label = names[c] if c < len(names) else f"genre {c + 1}"
        if label == UNTAGGED:
            return "one you play often (no tags known for it)"
        sess = [i for i in state.session if i >= 0]
        here = self.mix[sess].sum(0) if sess else np.zeros_like(p)
        if sess and here[c] >= 0.25 * len(sess):
            return f"same genre cluster as your recent plays ({label})"
        return f"in the genre cluster you are likely to turn to next ({label})"

    # -- persistence --------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        assert self.mix is not None and self.net is not None
        out = {"mix": self.mix}
        for m, (code, mask) in self.codes.items():
            out[f"code.{m}"], out[f"mask.{m}"] = code, mask
        out.update({f"net.{k}": v.detach().cpu().numpy() for k, v in self.net.state_dict().items()})
        return out

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:
        import torch

        from models.content.genre_nets import FusionNet

        self.mix = arrays["mix"]
        self.codes = {
            k.removeprefix("code."): (v, arrays[f"mask.{k.removeprefix('code.')}"])
            for k, v in arrays.items()
            if k.startswith("code.")
        }
        state = {
            k.removeprefix("net."): torch.from_numpy(v.copy())
            for k, v in arrays.items()
            if k.startswith("net.")
        }
        in_dim = state["inp.weight"].shape[1]
        self.net = FusionNet(in_dim, int(self.params["hidden"]), self.n_classes)
        self.net.load_state_dict(state)
        self.net.eval()
