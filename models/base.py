"""The protocol every recommender implements, the data it trains on, and persistence without pickle.

Item space: a model ranks a fixed set of items (dense indices 0..n_items-1) mapped to store track
ids by ``ItemSpace``. Under the evaluation protocol (docs/architecture.md §8) the space holds every track of
the account — including ones first heard after the training cut — so repeat-aware models can score
new arrivals from the history they are shown, while ID-only models simply cannot score them.

Scoring is incremental: ``start(history)`` builds a state from the plays seen so far, ``scores``
ranks every item for the next play, ``observe`` appends one play. The harness walks the test span
this way, so no model ever sees a target before it is predicted and nothing is recomputed per
target. Models whose natural input is a fixed window (GRU/attention) may override ``score_batch``.

Persistence: ``save(dir)`` writes ``config.json`` (name, format version, hyper-parameters, item
ids) and ``arrays.safetensors`` (numpy arrays / torch tensors). ``load`` refuses another format
version with a clear message. Nothing is pickled.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, Protocol

import numpy as np

from core.jobs import CancelToken, Progress

FORMAT_VERSION = 1


class ModelError(Exception):
    """A user-facing model problem (no data, incompatible file, ...); the message says what to do."""


class ModelOutdated(ModelError):
    """The saved model was written by another version of the model or of Segue: it needs retraining."""


@dataclass
class ItemSpace:
    """Dense item indices ↔ store track ids, with each item's artist (dense index too)."""

    track_ids: np.ndarray  # int64 [n_items]
    artist_of: np.ndarray  # int64 [n_items], dense artist index
    artist_ids: np.ndarray | None = None  # int64 [n_artists]: store artist id of each dense artist index
    index_of: dict[int, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.index_of = {int(t): i for i, t in enumerate(self.track_ids.tolist())}

    def __len__(self) -> int:
        return int(self.track_ids.size)

    @property
    def n_artists(self) -> int:
        if self.artist_ids is not None:
            return int(self.artist_ids.size)
        return int(self.artist_of.max()) + 1 if self.artist_of.size else 0

    def extended(
        self, track_ids: Sequence[int] | np.ndarray, artist_ids: Sequence[int] | np.ndarray
    ) -> ItemSpace:
        """A space with ``track_ids`` (store artist ``artist_ids``) appended; existing indices keep their
        meaning, so a trained model can score tracks first heard after training. Needs ``artist_ids``."""
        if self.artist_ids is None:
            raise ModelError("this item space has no artist ids; retrain the model")
        new_t = [int(t) for t in track_ids]
        keep = [i for i, t in enumerate(new_t) if t not in self.index_of]
        if not keep:
            return self
        art_index = {int(a): i for i, a in enumerate(self.artist_ids.tolist())}
        artists = list(self.artist_ids.tolist())
        dense = []
        for i in keep:
            a = int(artist_ids[i])
            if a not in art_index:
                art_index[a] = len(artists)
                artists.append(a)
            dense.append(art_index[a])
        grown = object.__new__(ItemSpace)  # the index grows from this one's (no rebuild per new track)
        grown.track_ids = np.concatenate([self.track_ids, np.asarray([new_t[i] for i in keep], np.int64)])
        grown.artist_of = np.concatenate([self.artist_of, np.asarray(dense, np.int64)])
        grown.artist_ids = np.asarray(artists, np.int64)
        grown.index_of = dict(self.index_of)
        grown.index_of.update((new_t[i], len(self) + j) for j, i in enumerate(keep))
        return grown

    def indices(self, track_ids: Sequence[int] | np.ndarray) -> np.ndarray:
        """Dense indices for track ids; unknown tracks map to -1."""
        get = self.index_of.get
        return np.fromiter((get(int(t), -1) for t in track_ids), dtype=np.int64, count=len(track_ids))


@dataclass
class TrainData:
    """Plays a model may learn from (the training span only), as dense item indices."""

    space: ItemSpace
    items: np.ndarray  # int64 [n_plays], time-sorted, consecutive duplicates collapsed
    played_at: np.ndarray  # int64 [n_plays]
    session: np.ndarray  # int64 [n_plays], session number (gap rule), non-decreasing
    seed: int = 0

    @property
    def n_items(self) -> int:
        return len(self.space)

    def head(self, n: int) -> TrainData:
        """The first ``n`` plays (e.g. the part before the validation span)."""
        return TrainData(self.space, self.items[:n], self.played_at[:n], self.session[:n], self.seed)

    def sessions(self) -> list[np.ndarray]:
        """Item sequences per session."""
        if self.items.size == 0:
            return []
        cuts = np.flatnonzero(np.diff(self.session)) + 1
        return np.split(self.items, cuts)


class ItemFeatures(Protocol):
    """Per-modality item matrices aligned with an ItemSpace, each with a presence mask.

    A missing modality is a False in the mask — never a zero vector pretending to be data.
    """

    def modalities(self) -> list[str]: ...

    def matrix(self, modality: str) -> tuple[np.ndarray, np.ndarray]:
        """(float32 [n_items, dim], bool [n_items] mask of items that have this modality)."""
        ...


@dataclass(frozen=True)
class Evidence:
    """What a reason states, as data (store ids, counts, dates), so it can be checked against the store
    and shown in other words. Every field is optional: a reason fills what it claims."""

    source: str = ""  # where the suggestion comes from: a model name, "other accounts", "popular here"
    anchor_track: int | None = None  # the store track the reason names ("after X", "like X")
    artist: int | None = None  # the store artist the reason names
    plays: int | None = None  # the count the reason states (plays, times after the anchor, sessions)
    last_played: int | None = None  # unix seconds: the latest play the claim rests on
    # the finer claims of models that state them (``models.hybrid.reasons`` lists the kinds)
    kind: str = ""  # which claim: "after", "session", "recent", "favourite", "new_artist", ...
    from_artist: int | None = None  # the store artist a transition starts from ("after Y you went on to Z")
    first_played: int | None = None  # unix seconds: the first play the claim counts from
    window_days: int | None = None  # "in the last N days": plays in [window_end - N days, window_end]
    window_end: int | None = None  # unix seconds (the latest play)
    within: int | None = None  # "within N tracks after the anchor, in one session"
    tracks_ago: int | None = None  # "earlier in this session, N tracks ago"
    session_plays: int | None = None  # plays of the current session the claim counts among


@dataclass(frozen=True)
class Recommendation:
    track_id: int
    score: float
    reason: str
    new_to_user: bool = False
    evidence: Evidence | None = None


ProgressFn = Callable[[Progress], None]


def top_k(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the ``k`` highest finite scores, best first (fewer when fewer are finite).

    numpy's introselect degrades badly on arrays where most scores tie (typical of count models:
    thousands of zeros), so only the items above the lowest finite score are partitioned.
    """
    finite = np.isfinite(scores)
    if not finite.any() or k <= 0:
        return np.empty(0, np.int64)
    floor = scores[finite].min()
    above = np.flatnonzero(finite & (scores > floor))
    if above.size > k:
        part = above[np.argpartition(-scores[above], k - 1)[:k]]
        return part[np.argsort(-scores[part], kind="stable")]
    best = above[np.argsort(-scores[above], kind="stable")]
    if best.size < k:
        ties = np.flatnonzero(finite & (scores == floor))[: k - best.size]
        best = np.concatenate([best, ties])
    return best.astype(np.int64)


class Recommender(ABC):
    """Base class: subclasses set ``name``, implement ``fit`` and ``scores`` (+ state handling)."""

    name: ClassVar[str] = ""
    description: ClassVar[str] = ""
    family: ClassVar[str] = ""  # baseline | neural | vae | content | hybrid
    uses_modalities: ClassVar[tuple[str, ...]] = ()
    version: ClassVar[int] = 1  # bump when the saved arrays change meaning: older files are refused
    deterministic: ClassVar[bool] = False  # True: results do not depend on the seed (harness runs it once)
    batch_size: ClassVar[int] = 1  # > 1: the harness collects ``snapshot``s and calls ``score_batch``
    history_window: ClassVar[int | None] = None  # plays a snapshot keeps (None: all)
    scores_new_tracks: ClassVar[bool] = False  # True: ``extend_space`` adopts tracks heard after training
    fine_tunes: ClassVar[bool] = False  # True: ``fit`` can start from a saved model (``models.finetune``)

    def __init__(self, **params: Any):
        self.params: dict[str, Any] = dict(params)
        self.space: ItemSpace | None = None
        self.warm: Any = None  # a ``models.finetune.WarmStart`` the next ``fit`` starts from (fine_tunes)

    # -- training ---------------------------------------------------------------------------
    @abstractmethod
    def fit(
        self,
        data: TrainData,
        features: ItemFeatures | None = None,
        progress: ProgressFn | None = None,
        cancel: CancelToken | None = None,
    ) -> None:
        """Learn from ``data``; report Progress (per epoch for iterative models); honour ``cancel``."""

    # -- scoring ----------------------------------------------------------------------------
    def start(self, items: np.ndarray, played_at: np.ndarray) -> Any:
        """State after the plays ``items`` (dense indices, -1 = unknown to the space). Default: a list."""
        return {"items": [int(i) for i in items], "times": [int(t) for t in played_at]}

    def observe(self, state: Any, item: int, played_at: int) -> Any:
        """Append one play to ``state`` (may mutate and return it)."""
        state["items"].append(int(item))
        state["times"].append(int(played_at))
        return state

    def snapshot(self, state: Any) -> Any:
        """An independent copy of ``state`` for batched scoring (the default state: the last
        ``history_window`` plays). The harness snapshots *before* observing the target."""
        w = self.history_window
        if isinstance(state, dict) and "items" in state:
            sl = slice(-w, None) if w else slice(None)
            return {"items": state["items"][sl], "times": state["times"][sl]}
        import copy

        return copy.deepcopy(state)

    @abstractmethod
    def scores(self, state: Any) -> np.ndarray:
        """float32 [n_items]; higher is better; -inf for items the model cannot score."""

    def score_batch(self, states: Sequence[Any]) -> np.ndarray:
        """[len(states), n_items]; override to batch a forward pass."""
        return np.stack([self.scores(s) for s in states])

    def reason(self, state: Any, item: int) -> str:
        """A short human sentence for why ``item`` is suggested after ``state``."""
        return self.description or self.name

    def extend_space(self, space: ItemSpace) -> None:
        """Adopt a larger item space (``ItemSpace.extended``: tracks first heard after training, existing
        indices kept). Only models with ``scores_new_tracks`` implement it."""
        raise NotImplementedError(f"{self.name} cannot score tracks first heard after training")

    def explain_new(self, state: Any, artist_id: int) -> tuple[str, Evidence] | None:
        """(reason, evidence) for a new-to-you track by the store artist ``artist_id`` outside the item
        space (a catalogue candidate), from the listener's plays of that artist; None: the model
        cannot say (the caller then states only where the candidate comes from)."""
        return None

    def artist_recency(self, state: Any) -> np.ndarray | None:
        """How much the listener played each artist lately (by dense artist index, decayed), when the
        model tracks it; None otherwise."""
        return None

    def recommend(self, state: Any, k: int = 20, exclude: Sequence[int] = ()) -> list[Recommendation]:
        """Top-k items (as track ids) with reasons; ``exclude`` holds dense indices."""
        assert self.space is not None, "fit or load the model first"
        s = np.asarray(self.scores(state), dtype=np.float64).copy()
        if len(exclude):
            s[np.asarray(exclude, dtype=np.int64)] = -np.inf
        s[np.isnan(s)] = -np.inf
        top = top_k(s, k)
        out = []
        for i in top.tolist():
            reason, evidence = self.explain(state, i)
            out.append(Recommendation(int(self.space.track_ids[i]), float(s[i]), reason, evidence=evidence))
        return out

    def explain(self, state: Any, item: int) -> tuple[str, Evidence | None]:
        """(reason, evidence): the sentence and, for models that can say, what it claims (store ids,
        unix times); default: ``reason`` with no evidence (serving fills the names it mentions)."""
        return self.reason(state, item), None

    def warm_state(self) -> tuple[dict[str, np.ndarray], np.ndarray]:
        """(the trained network's state dict, the store track id of each of its item rows), for a
        fine-tune of the next model to start from; only models with ``fine_tunes``."""
        raise NotImplementedError(f"{self.name} cannot be fine-tuned")

    # -- persistence ------------------------------------------------------------------------
    def arrays(self) -> dict[str, np.ndarray]:
        """Learned arrays to persist (torch models convert their state_dict to numpy)."""
        return {}

    def load_arrays(self, arrays: dict[str, np.ndarray]) -> None:  # noqa: B027 - optional hook
        """Restore what ``arrays`` returned."""

    def save(self, directory: Path) -> None:
        from safetensors.numpy import save_file

        assert self.space is not None, "nothing to save before fit"
        directory.mkdir(parents=True, exist_ok=True)
        arrays = {f"model.{k}": np.ascontiguousarray(v) for k, v in self.arrays().items()}
        arrays["space.track_ids"] = self.space.track_ids
        arrays["space.artist_of"] = self.space.artist_of
        if self.space.artist_ids is not None:
            arrays["space.artist_ids"] = self.space.artist_ids
        save_file(arrays, str(directory / "arrays.safetensors"))
        config = {
            "name": self.name,
            "format_version": FORMAT_VERSION,
            "model_version": self.version,
            "params": self.params,
        }
        (directory / "config.json").write_text(
            json.dumps(config, indent=2, default=_jsonable), encoding="utf-8"
        )

    @classmethod
    def load(cls, directory: Path) -> Recommender:
        from safetensors.numpy import load_file

        from models.registry import get_model_class

        cfg_path = directory / "config.json"
        if not cfg_path.exists():
            raise ModelError(f"no trained model in {directory}")
        config = json.loads(cfg_path.read_text(encoding="utf-8"))
        if config.get("format_version") != FORMAT_VERSION:
            raise ModelOutdated(
                f"model file {directory} was written by another version of Segue "
                f"(format {config.get('format_version')}, this is {FORMAT_VERSION}); retrain it"
            )
        klass = get_model_class(config["name"]) if cls is Recommender else cls
        if config.get("model_version", 1) != klass.version:
            raise ModelOutdated(
                f"model file {directory} holds {config['name']} version {config.get('model_version', 1)}, "
                f"this Segue expects version {klass.version}; retrain it"
            )
        model = klass(**config.get("params", {}))
        arrays = load_file(str(directory / "arrays.safetensors"))
        model.space = ItemSpace(
            arrays.pop("space.track_ids"), arrays.pop("space.artist_of"), arrays.pop("space.artist_ids", None)
        )
        model.load_arrays({k.removeprefix("model."): v for k, v in arrays.items()})
        return model


def _jsonable(value: Any) -> Any:
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    raise TypeError(f"not JSON-serialisable: {type(value).__name__}")
