"""A stand-in for ``models.api`` that answers at once: the same interface (``ModelsInterface``; the
signatures are checked by ``test_fake_models_follow_the_interface``), counting instead of a model.

Familiar: the account's most played tracks ("you play this often"), dismissed ones left out, liked
ones lifted the way the real service lifts them. New to you: another account's most played tracks the
listener never played.
"""

from __future__ import annotations

from collections.abc import Generator, Sequence

import numpy as np

from core.jobs import CancelToken, Progress
from core.sessions import DEFAULT_GAP_S
from core.store.engine import Store
from core.store.queries import account_by_name, list_accounts, load_plays
from models import api
from models.api import DEFAULT_MODEL, ModelInfo, Pool, Recommendation, TrainResult
from models.serving.recommend import lift


class FakeModels:
    def __init__(self, trained: bool = True, error: str | None = None):
        self.trained = trained
        self.error = error  # every recommend/explore raises ModelError(error)
        self.calls: list[str] = []

    def _counts(self, store: Store, account: str) -> tuple[np.ndarray, np.ndarray]:
        acc = account_by_name(store.engine, account)
        return np.unique(load_plays(store.engine, acc.id).track_id, return_counts=True)

    def train(
        self,
        store: Store,
        account: str,
        model_name: str = DEFAULT_MODEL,
        seed: int = 0,
        *,
        gap_s: int = DEFAULT_GAP_S,
        cancel: CancelToken | None = None,
        params: dict | None = None,
        fine_tune_below: float | None = None,
    ) -> Generator[Progress, None, TrainResult]:
        self.calls.append("train")
        yield Progress(1, 1, f"{model_name}: counted")
        self.trained = True
        return TrainResult(account, model_name, seed, 0, 0.0, "", {})

    def recommend(
        self,
        store: Store,
        account: str,
        k: int = 20,
        *,
        exclude: Sequence[int] = (),
        boost: Sequence[int] = (),
        model: str = DEFAULT_MODEL,
        gap_s: int = DEFAULT_GAP_S,
        train_if_missing: bool = True,
        cancel: CancelToken | None = None,
    ) -> list[Recommendation]:
        self.calls.append("recommend")
        if self.error:
            raise api.ModelError(self.error)
        ids, counts = self._counts(store, account)
        out = [
            Recommendation(int(ids[i]), float(counts[i]), "you play this often")
            for i in np.argsort(-counts, kind="stable")
            if int(ids[i]) not in set(exclude)
        ][: k + len(boost)]
        return lift(out, boost)[:k]

    def explore(
        self,
        store: Store,
        account: str,
        k: int = 20,
        *,
        exclude: Sequence[int] = (),
        model: str = DEFAULT_MODEL,
        gap_s: int = DEFAULT_GAP_S,
        train_if_missing: bool = True,
        cancel: CancelToken | None = None,
    ) -> list[Recommendation]:
        self.calls.append("explore")
        if self.error:
            raise api.ModelError(self.error)
        heard = set(self._counts(store, account)[0].tolist())
        other = next(a.name for a in list_accounts(store.engine) if a.name != account and a.plays)
        ids, counts = self._counts(store, other)
        return [
            Recommendation(int(ids[i]), float(counts[i]) / 10, f"new to you: loved by {other}", True)
            for i in np.argsort(-counts, kind="stable")
            if int(ids[i]) not in heard and int(ids[i]) not in set(exclude)
        ][:k]

    def suggestions(
        self,
        store: Store,
        account: str,
        *,
        model: str = DEFAULT_MODEL,
        gap_s: int = DEFAULT_GAP_S,
        train_if_missing: bool = True,
        cancel: CancelToken | None = None,
    ) -> Pool:
        """Both streams above as the real ``suggestions`` pools them (feedback read from the store)."""
        from core.store.paging import feedback
        from core.store.queries import track_info

        self.calls.append("suggestions")
        if self.error:
            raise api.ModelError(self.error)
        acc = account_by_name(store.engine, account)
        fb = feedback(store.engine, acc.id)
        liked, dismissed = set(fb.get("like", set())), set(fb.get("dismiss", set()))
        familiar = self.recommend(store, account, 60, exclude=sorted(dismissed))
        found = self.explore(store, account, 60, exclude=sorted(dismissed))
        ids = [r.track_id for r in familiar + found]
        counts = dict(zip(*(a.tolist() for a in self._counts(store, account)), strict=True))
        info = track_info(store.engine, ids)
        return Pool(
            familiar,
            found,
            artist_of={t: v.artist_id for t, v in info.items()},
            plays={t: counts[t] for t in ids if t in counts},
            liked=liked,
            dismissed=dismissed,
        )

    def evaluate(
        self,
        store: Store,
        accounts: Sequence[str],
        models: Sequence[str],
        seeds: Sequence[int] = (1, 2, 3),
        *,
        isolate: bool = False,
        cancel: CancelToken | None = None,
        upto: float | None = None,
    ) -> Generator[Progress, None, dict]:
        yield Progress(1, 1, "evaluated")
        return {"results": [], "errors": []}

    def list_models(self) -> list[ModelInfo]:
        return [ModelInfo("default", "counts your plays", "hybrid", (), True)]

    def unavailable(self) -> dict[str, str]:
        return {}

    def is_trained(self, account: str, model: str = DEFAULT_MODEL) -> bool:
        return self.trained
