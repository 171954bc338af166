"""The warm state per account and model: the loaded model and its scoring state over every play.

The first call counts the whole history; later calls only observe the plays stored since, so an
answer takes a few milliseconds. The state is rebuilt when the model on disk is a new generation
(retrained, here or in another process) or when an earlier play was edited or deleted (checked at
most every ``RECHECK_S``).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from core.jobs import CancelToken, run_job
from core.store.engine import Store
from core.store.queries import count_plays_upto, load_plays
from models.artefacts import Generation, generation, load_generation, model_dir
from models.base import ModelError, Recommender
from models.data import collapse_consecutive
from models.training import train_model

log = logging.getLogger(__name__)

RECHECK_S = 60.0
"""How often a warm state verifies that no earlier play was edited or deleted (a COUNT over the
account's plays); in between, only plays newer than the state's last one are looked up."""


@dataclass
class Warm:
    model: Recommender
    state: Any
    last_time: int
    seen_upto: int  # plays in the store at or before last_time when the state was built
    last_track: int  # store track id of the latest play (-1: none)
    generation: Generation
    checked_at: float = 0.0  # when ``seen_upto`` was last verified
    #: the store's plays per track id (every scrobble, repeats included: what Stats counts), kept
    #: current by the catch-up, so a served list's play counts cost no query
    play_counts: dict[int, int] = field(default_factory=dict)

    @property
    def playing(self) -> int:
        """Dense index of the track playing now (the latest play), -1 when none or unknown."""
        return self.model.space.index_of.get(self.last_track, -1) if self.model.space is not None else -1


_WARM: dict[tuple[str, int, str], Warm] = {}
LOCK = threading.Lock()
"""Held while a warm state is built or used: states are mutated by ``observe``."""


def forget_all() -> None:
    """Drop every warm state (benchmarks measure cold calls)."""
    _WARM.clear()


def warm_state(
    store: Store,
    account_id: int,
    account: str,
    model_name: str,
    gap_s: int,
    train_if_missing: bool,
    cancel: CancelToken | None,
) -> Warm:
    """The account's warm state, built, refreshed or caught up as needed. Call with ``LOCK`` held."""
    key = (store.url, account_id, model_name)
    directory = model_dir(account, model_name)
    warm = _WARM.get(key)
    if warm is not None and generation(directory) == warm.generation:
        now = time.monotonic()
        fresh = now - warm.checked_at < RECHECK_S
        if fresh or count_plays_upto(store.engine, account_id, warm.last_time) == warm.seen_upto:
            if not fresh:
                warm.checked_at = now
            _catch_up(store, account_id, warm)
            return warm
    try:
        model, gen = load_generation(directory, account, model_name)
    except ModelError as exc:
        if not train_if_missing:
            raise
        log.info("%s; training it now", exc)
        run_job(train_model(store, account, model_name, gap_s=gap_s, cancel=cancel))
        model, gen = load_generation(directory, account, model_name)
    frame = load_plays(store.engine, account_id)
    tids, counts = np.unique(frame.track_id, return_counts=True)
    frame = frame.take(collapse_consecutive(frame.track_id))
    _grow_space(model, frame.track_id, frame.artist_id)
    state = model.start(model.space.indices(frame.track_id), frame.played_at)
    last_time = int(frame.played_at[-1]) if len(frame) else 0
    warm = Warm(
        model,
        state,
        last_time,
        count_plays_upto(store.engine, account_id, last_time),
        int(frame.track_id[-1]) if len(frame) else -1,
        gen,
        time.monotonic(),
        dict(zip(tids.tolist(), counts.tolist(), strict=True)),
    )
    _WARM[key] = warm
    return warm


def _grow_space(model: Recommender, track_ids: np.ndarray, artist_ids: np.ndarray) -> None:
    """Give models that can score new tracks (``scores_new_tracks``) the tracks heard since training."""
    if not model.scores_new_tracks or model.space is None or model.space.artist_ids is None:
        return
    unknown = model.space.indices(track_ids) < 0
    if unknown.any():
        tids, first = np.unique(track_ids[unknown], return_index=True)
        model.extend_space(model.space.extended(tids, artist_ids[unknown][first]))


def _catch_up(store: Store, account_id: int, warm: Warm) -> None:
    """Observe plays stored after the warm state's last play."""
    frame = load_plays(store.engine, account_id, start=warm.last_time + 1)
    if len(frame) == 0:
        return
    for tid in frame.track_id.tolist():
        warm.play_counts[tid] = warm.play_counts.get(tid, 0) + 1
    _grow_space(warm.model, frame.track_id, frame.artist_id)
    items = warm.model.space.indices(frame.track_id)
    for tid, item, t in zip(frame.track_id.tolist(), items.tolist(), frame.played_at.tolist(), strict=True):
        if tid == warm.last_track:
            continue  # consecutive duplicate
        warm.state = warm.model.observe(warm.state, item, t)
        warm.last_track = tid
    warm.last_time = int(frame.played_at[-1])
    warm.seen_upto += len(frame)
