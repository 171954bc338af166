"""Discovery for the app: train the ranker for an account, keep it warm, answer with evidence.

- ``train_discovery(store, account)`` (a job: Progress, cancellable) loads the account's catalogue
  (``core.catalogue.load_catalogue``), builds the ``DiscoverySpace``, its content and an artist2vec
  fitted on plays before the validation tail, fits the blends on that tail's explore targets, then
  fits the artist2vec on every play for serving and saves both under ``model_dir(account,
  "discovery")``.
- ``discover(store, account, k)`` returns ``Discovery`` s — unheard catalogue tracks ranked for the
  session in progress, each with its ``DiscoveryEvidence`` and the sentence built from it. The first
  call builds the space and counts the history; later calls only observe plays stored since (a play
  of a track outside the space still counts for its artist), and the space is rebuilt when the
  catalogue changed or a play was added to or removed from the past (a back-filled import, a
  deletion), checked at most every ``RECHECK_S``.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Engine, func, select

from core.jobs import CancelToken, Progress, run_job
from core.store.catalog import find_account
from core.store.engine import Store
from core.store.queries import PlayFrame, account_by_name, count_plays_upto, load_plays, names, track_info
from core.store.schema import Album, Artist, CatalogueFetch, CatalogueSeed
from models.artefacts import Generation, generation, load_generation, model_dir, save_model
from models.base import ModelError, top_k
from models.data import collapse_consecutive
from models.discovery.artist2vec import fit_artist2vec, local_sessions
from models.discovery.content import ContentIndex, _unit, load_content
from models.discovery.features import blocks, track_matrix
from models.discovery.history_counts import HistoryCounts
from models.discovery.known_songs import KnownSongs
from models.discovery.ranker import DiscoveryRanker
from models.discovery.reasons import Discovery, explain_many, reason_text
from models.discovery.signals import Context, DiscoveryData, DiscoveryState
from models.discovery.space import build_space, dense_index
from models.evaluation.splits import validation_split

log = logging.getLogger(__name__)
MODEL = "discovery"
RECHECK_S = 60.0


def account_frame(engine: Engine, account_id: int) -> PlayFrame:
    """The account's plays, consecutive duplicates collapsed (what every model's state counts)."""
    frame = load_plays(engine, account_id)
    return frame.take(collapse_consecutive(frame.track_id))


def build_context(
    engine: Engine,
    account_id: int,
    frame: PlayFrame,
    *,
    seed: int = 0,
    artist2vec_upto: int | None = None,
    artist2vec: tuple[np.ndarray, np.ndarray] | None = None,
) -> tuple[Context, np.ndarray]:
    """(the account's discovery context, its plays as dense items). The artist2vec is fitted on every
    local account's plays (the listener's up to ``artist2vec_upto``) unless ``artist2vec`` gives
    saved vectors (store artist ids, vectors)."""
    from core.catalogue import load_catalogue

    catalogue = load_catalogue(engine, account_id, exclude_heard=False)
    dspace = build_space(engine, catalogue, frame.track_id, frame.artist_id, frame.album_id)
    content = load_content(engine, dspace)
    if artist2vec is not None:
        a2v = _artist2vec_from(*artist2vec, dspace.space.artist_ids)
    else:
        sessions = local_sessions(engine, dspace, account_id, listener_upto=artist2vec_upto)
        a2v = fit_artist2vec(sessions, dspace.n_artists, seed=seed)
    return Context(dspace, content, a2v), dspace.space.indices(frame.track_id)


def train_discovery(
    store: Store, account: str, seed: int = 0, *, cancel: CancelToken | None = None
) -> Generator[Progress, None, dict]:
    cancel = cancel or CancelToken()
    info = account_by_name(store.engine, account)
    if info is None:
        raise ModelError(f"no account named '{account}'; import a history or sync first")
    yield Progress(0, None, f"loading {account}'s plays and catalogue")
    frame = account_frame(store.engine, info.id)
    if len(frame) < 2:
        raise ModelError(f"{account} has {len(frame)} plays: discovery needs a listening history first")
    t0 = time.perf_counter()
    model = DiscoveryRanker()
    split = validation_split(len(frame), model.params["tune_fraction"])
    ctx, items = build_context(
        store.engine, info.id, frame, seed=seed, artist2vec_upto=int(frame.played_at[split.start]) - 1
    )
    if not ctx.dspace.candidate.any():
        raise ModelError(
            f"the catalogue of {account} is empty: run `segue catalogue refresh --account {account}`"
        )
    model.bind(ctx)
    albums = ctx.dspace.album_index(frame.album_id)
    data = DiscoveryData(
        ctx.dspace.space, items, frame.played_at, np.zeros(items.size, np.int64), seed, albums
    )
    model.fit(data, None, lambda p: None, cancel)
    cancel.raise_if_cancelled()
    yield Progress(1, 2, "fitting artist2vec on every play")
    full = fit_artist2vec(local_sessions(store.engine, ctx.dspace, info.id), ctx.dspace.n_artists, seed=seed)
    model.artist_vectors = _vectors_by_id(full, ctx.dspace.space.artist_ids)
    target = model_dir(account, MODEL)
    meta = {
        "account": account,
        "model": MODEL,
        "seed": seed,
        "plays": len(frame),
        "trained_at": int(time.time()),
    }
    save_model(model, target, meta)
    _WARM.pop((store.url, info.id), None)
    yield Progress(2, 2, "saved")
    return {
        **meta,
        "train_seconds": round(time.perf_counter() - t0, 2),
        "artefact": str(target),
        "params": model.params,
    }


def _vectors_by_id(index: ContentIndex | None, artist_ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if index is None:
        return np.empty(0, np.int64), np.empty((0, 0), np.float32)
    has = np.flatnonzero(index.artist_row >= 0)
    return artist_ids[has].astype(np.int64), index.vectors[index.artist_row[has]]


def _artist2vec_from(ids: np.ndarray, vecs: np.ndarray, artist_ids: np.ndarray) -> ContentIndex | None:
    pos = dense_index(artist_ids, ids)
    ok = pos >= 0
    if not ok.any():
        return None
    row = np.full(artist_ids.size, -1, np.int64)
    row[pos[ok]] = np.arange(int(ok.sum()))
    return ContentIndex("artist2vec", _unit(vecs[ok]), np.empty(0, np.int64), row)


# -- serving ------------------------------------------------------------------------------------
@dataclass
class _Warm:
    account_id: int
    model: DiscoveryRanker
    state: object
    generation: Generation
    stamp: tuple
    last_time: int
    seen_upto: int  # plays stored at or before last_time: one added to or removed from the past shows
    last_track: int
    checked_at: float
    counts: HistoryCounts = field(default_factory=HistoryCounts)  # for the reasons' history claims
    songs: KnownSongs | None = None  # versions of songs the listener plays: never "new to you"


_WARM: dict[tuple[str, int], _Warm] = {}
LOCK = threading.Lock()


def catalogue_stamp(engine: Engine, account_id: int) -> tuple:
    """Changes when the account's catalogue does (a seed linked or unlinked, an answer refreshed)."""
    with engine.connect() as conn:
        row = conn.execute(
            select(func.count(), func.max(CatalogueFetch.fetched_at), func.sum(CatalogueFetch.n_items))
            .select_from(CatalogueSeed)
            .join(CatalogueFetch, CatalogueFetch.id == CatalogueSeed.fetch_id)
            .where(CatalogueSeed.account_id == account_id)
        ).one()
    return tuple(row)


def has_catalogue(engine: Engine, account_id: int) -> bool:
    """Whether the account's catalogue holds any answer with items (a refresh found something)."""
    with engine.connect() as conn:
        return (
            conn.execute(
                select(CatalogueSeed.fetch_id)
                .join(CatalogueFetch, CatalogueFetch.id == CatalogueSeed.fetch_id)
                .where(CatalogueSeed.account_id == account_id, CatalogueFetch.n_items > 0)
                .limit(1)
            ).first()
            is not None
        )


def warm_ranker(store: Store, account_id: int) -> DiscoveryRanker | None:
    """The account's discovery ranker as ``discover`` last loaded it (its params hold the served
    list's calibration), or None before the first ``discover``."""
    warm = _WARM.get((store.url, account_id))
    return warm.model if warm is not None else None


def _warm(store: Store, account: str, train_if_missing: bool, cancel: CancelToken | None) -> _Warm:
    with store.engine.connect() as conn:  # one indexed lookup (``account_by_name`` lists every account)
        account_id = find_account(conn, account)
    if account_id is None:
        raise ModelError(f"no account named '{account}'; import a history or sync first")
    key = (store.url, account_id)
    directory = model_dir(account, MODEL)
    warm = _WARM.get(key)
    now = time.monotonic()
    if warm is not None and generation(directory) == warm.generation:
        fresh = now - warm.checked_at < RECHECK_S
        if fresh or (
            catalogue_stamp(store.engine, account_id) == warm.stamp
            and count_plays_upto(store.engine, account_id, warm.last_time) == warm.seen_upto
        ):
            warm.checked_at = warm.checked_at if fresh else now
            _catch_up(store, account_id, warm)
            return warm
    try:
        model, gen = load_generation(directory, account, MODEL)
    except ModelError as exc:  # none yet, or written by another version of the ranker
        if not train_if_missing:
            raise
        log.info("%s; training it now", exc)
        run_job(train_discovery(store, account, cancel=cancel))
        model, gen = load_generation(directory, account, MODEL)
    if not isinstance(model, DiscoveryRanker):
        raise ModelError(f"{directory} does not hold a discovery model; retrain it")
    stamp = catalogue_stamp(store.engine, account_id)
    plays = load_plays(store.engine, account_id)
    frame = plays.take(collapse_consecutive(plays.track_id))  # what account_frame gives
    ctx, items = build_context(store.engine, account_id, frame, artist2vec=model.artist_vectors)
    model.bind(ctx)
    state = DiscoveryState(ctx, items, frame.played_at, ctx.dspace.album_index(frame.album_id))
    last_time = int(frame.played_at[-1]) if len(frame) else 0
    last_track = int(frame.track_id[-1]) if len(frame) else -1
    songs = KnownSongs.of(store.engine, model.space, plays.track_id, plays.artist_id)
    warm = _Warm(
        account_id,
        model,
        state,
        gen,
        stamp,
        last_time,
        len(plays),
        last_track,
        now,
        HistoryCounts.of(plays),
        songs,
    )
    _WARM[key] = warm
    return warm


def _catch_up(store: Store, account_id: int, warm: _Warm) -> None:
    frame = load_plays(store.engine, account_id, start=warm.last_time + 1)
    if len(frame) == 0:
        return
    warm.counts.add(frame)
    space = warm.model.space
    if warm.songs is not None:
        warm.songs.add(store.engine, space, frame.track_id, frame.artist_id)
    items = space.indices(frame.track_id)
    artists = dense_index(space.artist_ids, frame.artist_id)
    for tid, item, art, t in zip(
        frame.track_id.tolist(), items.tolist(), artists.tolist(), frame.played_at.tolist(), strict=True
    ):
        if tid == warm.last_track:
            continue
        warm.state.observe(item, t, artist=art)
        warm.last_track = tid
    warm.last_time = int(frame.played_at[-1])
    warm.seen_upto += len(frame)


def discover(
    store: Store,
    account: str,
    k: int = 20,
    *,
    exclude: Sequence[int] = (),
    train_if_missing: bool = True,
    cancel: CancelToken | None = None,
) -> list[Discovery]:
    """Up to ``k`` tracks new to ``account`` from its catalogue, best first, with evidence and reasons.
    ``exclude``: store track ids to leave out (dismissed)."""
    with LOCK:
        warm = _warm(store, account, train_if_missing, cancel)
        model, state = warm.model, warm.state
        scores = model.scores(state)
        excl = model.space.indices(list(exclude))
        scores[excl[excl >= 0]] = -np.inf
        if warm.songs is not None:
            scores[warm.songs.mask] = -np.inf
        top = top_k(scores, k)
        b = blocks(state)
        evidence = explain_many(model.tracks, b, top.tolist(), track_matrix(b, top))
        picks = [(int(i), float(scores[i]), ev) for i, ev in zip(top.tolist(), evidence, strict=True)]
        space = model.space
    tids = [int(space.track_ids[i]) for i, _, _ in picks]
    evidence = warm.counts.apply([ev for _, _, ev in picks])
    tinfo = track_info(
        store.engine, {*tids, *(e.anchor_track for e in evidence if e.anchor_track is not None)}
    )
    track_names = {t: f"“{v.name}” by {v.artist}" for t, v in tinfo.items()}
    artist_names = names(
        store.engine, Artist, {a for e in evidence for a in (e.artist, e.anchor_artist) if a is not None}
    )
    album_names = names(store.engine, Album, {e.album for e in evidence if e.album is not None})
    return [
        Discovery(t, s, reason_text(ev, track_names, artist_names, album_names), ev)
        for t, (_, s, _), ev in zip(tids, picks, evidence, strict=True)
    ]
