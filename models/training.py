"""Training and suggestions for the app and the CLI.

``train_model`` is a job (generator of Progress, cancellable): it builds the account's data, fits
the model in a worker thread (its per-epoch Progress is relayed), writes the artefacts under
``<models dir>/<account>/<model>/`` (``config.json`` + ``arrays.safetensors`` + ``meta.json``, swapped
in atomically) and records a ``model_run`` row (running → ok / failed / cancelled).

``recommend_for`` answers "what next?" for an account with the trained ``default`` (trained on
demand when missing or written by another version). It keeps a warm state per account: the first
call counts the whole history, later calls only observe plays added since, so an answer takes a few
milliseconds. Accounts with fewer than two plays get a popularity fallback (this computer's other
accounts) or a clear ``ModelError`` — never a crash.
"""

from __future__ import annotations

import inspect
import json
import logging
import queue
import re
import shutil
import threading
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import func, select

from core import paths
from core.jobs import Cancelled, CancelToken, Progress, run_job
from core.sessions import DEFAULT_GAP_S
from core.store.engine import Store
from core.store.queries import account_by_name, load_plays, names, track_info
from core.store.schema import Artist, ModelRun, Scrobble, Track
from models.base import ModelError, Recommendation, Recommender
from models.data import build_sequence, collapse_consecutive
from models.registry import create, get_model_class, load_features

log = logging.getLogger(__name__)
DEFAULT_MODEL = "default"
MIN_PLAYS = 2


@dataclass
class TrainResult:
    account: str
    model: str
    seed: int
    plays: int
    train_seconds: float
    artefact: str
    params: dict

    def to_json(self) -> dict:
        return dict(self.__dict__)


def model_dir(account: str, model: str) -> Path:
    """Where ``model`` trained for ``account`` lives (account names made safe for file systems)."""
    safe = re.sub(r"[^\w.-]+", "_", account).strip("._") or "account"
    return paths.models_dir() / safe / model


def _account(store: Store, account: str):
    info = account_by_name(store.engine, account)
    if info is None:
        raise ModelError(f"no account named '{account}'; import a history or sync first")
    return info


@dataclass(frozen=True)
class _Brief:
    id: int
    name: str
    plays: int  # exact below MIN_PLAYS, else MIN_PLAYS


def _account_brief(store: Store, account: str) -> _Brief:
    """The account's id and whether it has at least MIN_PLAYS plays (two indexed lookups, no COUNT)."""
    from core.store.schema import Account

    with store.engine.connect() as conn:
        acc = conn.execute(select(Account.id).where(Account.name == account)).scalar()
        if acc is None:
            raise ModelError(f"no account named '{account}'; import a history or sync first")
        few = conn.execute(select(Scrobble.id).where(Scrobble.account_id == acc).limit(MIN_PLAYS)).all()
    return _Brief(int(acc), account, len(few))


def _accepts(klass: type, name: str) -> bool:
    params = inspect.signature(klass.__init__).parameters
    return name in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


# -- training ---------------------------------------------------------------------------------
def train_model(
    store: Store,
    account: str,
    model_name: str = DEFAULT_MODEL,
    seed: int = 0,
    *,
    gap_s: int = DEFAULT_GAP_S,
    cancel: CancelToken | None = None,
    params: dict | None = None,
) -> Generator[Progress, None, TrainResult]:
    """Fit ``model_name`` on all of ``account``'s plays and save it; returns a ``TrainResult``."""
    cancel = cancel or CancelToken()
    klass = get_model_class(model_name)
    info = _account(store, account)
    yield Progress(0, None, f"loading {account}'s plays")
    seq = build_sequence(store.engine, info.id, gap_s)
    if len(seq) < MIN_PLAYS:
        raise ModelError(
            f"{account} has {len(seq)} play{'s' * (len(seq) != 1)}: a model needs at least "
            f"{MIN_PLAYS}; suggestions use what is popular on this computer meanwhile"
        )
    data = seq.all(seed)
    kwargs = dict(params or {})
    if _accepts(klass, "gap_s"):
        kwargs.setdefault("gap_s", gap_s)
    model = create(model_name, **kwargs)
    features = load_features(store.engine, seq.space, info.id) if model.uses_modalities else None
    run_id = _start_run(store, info.id, model_name, seed, len(seq))
    t0 = time.perf_counter()
    try:
        yield from _fit_in_thread(model, data, features, cancel)
        cancel.raise_if_cancelled()
        yield Progress(1, 1, "saving the model")
        target = model_dir(account, model_name)
        _save_atomically(
            model,
            target,
            {
                "account": account,
                "model": model_name,
                "seed": seed,
                "plays": len(seq),
                "trained_at": int(time.time()),
            },
        )
    except (Cancelled, KeyboardInterrupt, GeneratorExit):
        _finish_run(store, run_id, "cancelled")
        raise
    except BaseException as exc:
        _finish_run(store, run_id, "failed", metrics={"error": f"{type(exc).__name__}: {exc}"})
        raise
    seconds = time.perf_counter() - t0
    _finish_run(
        store,
        run_id,
        "ok",
        params=model.params,
        artefact=str(target),
        metrics={"train_seconds": round(seconds, 3), "plays": len(seq), "items": len(seq.space)},
    )
    _WARM.pop((store.url, info.id, model_name), None)
    return TrainResult(
        account, model_name, seed, len(seq), round(seconds, 3), str(target), _plain(model.params)
    )


def _fit_in_thread(
    model: Recommender, data, features, cancel: CancelToken
) -> Generator[Progress, None, None]:
    """Run ``fit`` on a worker thread and relay its Progress; a closed generator cancels the fit."""
    events: queue.Queue = queue.Queue()
    done = object()
    outcome: dict[str, BaseException] = {}

    def work() -> None:
        try:
            model.fit(data, features, events.put, cancel)
        except BaseException as exc:  # noqa: BLE001 - handed to the generator's thread
            outcome["error"] = exc
        finally:
            events.put(done)

    thread = threading.Thread(target=work, name=f"fit-{model.name}", daemon=True)
    thread.start()
    try:
        while True:
            event = events.get()
            if event is done:
                break
            yield event
    finally:
        if thread.is_alive():  # the consumer went away: stop the fit at its next check
            cancel.cancel()
            thread.join()
    if "error" in outcome:
        raise outcome["error"]


def _save_atomically(model: Recommender, target: Path, meta: dict) -> None:
    tmp = target.with_name(f".{target.name}.tmp-{threading.get_ident()}")
    shutil.rmtree(tmp, ignore_errors=True)
    model.save(tmp)
    (tmp / "meta.json").write_text(json.dumps(meta, indent=2), encoding="utf-8")
    old = target.with_name(f".{target.name}.old")
    shutil.rmtree(old, ignore_errors=True)
    if target.exists():
        target.rename(old)
    tmp.rename(target)
    shutil.rmtree(old, ignore_errors=True)


def _plain(obj: Any) -> Any:
    return json.loads(json.dumps(obj, default=lambda v: v.item() if hasattr(v, "item") else str(v)))


def _start_run(store: Store, account_id: int, model: str, seed: int, plays: int) -> int:
    with store.engine.begin() as conn:
        res = conn.execute(
            ModelRun.__table__.insert().values(
                account_id=account_id,
                model=model,
                kind="train",
                seed=seed,
                status="running",
                started_at=int(time.time()),
                plays_at_train=plays,
            )
        )
        return int(res.inserted_primary_key[0])


def _finish_run(
    store: Store,
    run_id: int,
    status: str,
    *,
    params: dict | None = None,
    metrics: dict | None = None,
    artefact: str | None = None,
) -> None:
    values: dict[str, Any] = {"status": status, "finished_at": int(time.time())}
    if params is not None:
        values["params"] = _plain(params)
    if metrics is not None:
        values["metrics"] = metrics
    if artefact is not None:
        values["artefact_path"] = artefact
    with store.engine.begin() as conn:
        conn.execute(ModelRun.__table__.update().where(ModelRun.id == run_id).values(**values))


def load_model(account: str, model_name: str = DEFAULT_MODEL) -> Recommender:
    """The saved model; ``ModelError`` when missing or written by another version (message says what to do)."""
    directory = model_dir(account, model_name)
    if not (directory / "config.json").exists():
        raise ModelError(
            f"no trained {model_name} model for {account}; run `segue train --account {account} "
            f"--model {model_name}`"
        )
    return Recommender.load(directory)


# -- suggestions ------------------------------------------------------------------------------
@dataclass
class _Warm:
    model: Recommender
    state: Any
    last_time: int
    seen_upto: int  # plays in the store at or before last_time when the state was built
    last_track: int
    mtime: float
    checked_at: float = 0.0  # when ``seen_upto`` was last verified


RECHECK_S = 60.0
"""How often a warm state verifies that no earlier play was edited or deleted (a COUNT over the
account's plays); in between, only plays newer than the state's last one are looked up."""


_WARM: dict[tuple[str, int, str], _Warm] = {}
_LOCK = threading.Lock()


def _count_upto(store: Store, account_id: int, t: int) -> int:
    with store.engine.connect() as conn:
        return int(
            conn.execute(
                select(func.count())
                .select_from(Scrobble)
                .where(Scrobble.account_id == account_id, Scrobble.played_at <= t)
            ).scalar_one()
        )


def _warm_state(
    store: Store, info, model_name: str, gap_s: int, train_if_missing: bool, cancel: CancelToken | None
) -> _Warm:
    key = (store.url, info.id, model_name)
    directory = model_dir(info.name, model_name)
    warm = _WARM.get(key)
    cfg = directory / "config.json"
    if warm is not None and cfg.exists() and cfg.stat().st_mtime == warm.mtime:
        now = time.monotonic()
        fresh = now - warm.checked_at < RECHECK_S
        if fresh or _count_upto(store, info.id, warm.last_time) == warm.seen_upto:
            if not fresh:
                warm.checked_at = now
            _catch_up(store, info.id, warm)
            return warm
    try:
        model = load_model(info.name, model_name)
    except ModelError as exc:
        if not train_if_missing:
            raise
        log.info("%s; training it now", exc)
        run_job(train_model(store, info.name, model_name, gap_s=gap_s, cancel=cancel))
        model = load_model(info.name, model_name)
    frame = load_plays(store.engine, info.id)
    keep = collapse_consecutive(frame.track_id)
    frame = frame.take(keep)
    _grow_space(model, frame.track_id, frame.artist_id)
    items = model.space.indices(frame.track_id)
    state = model.start(items, frame.played_at)
    last_time = int(frame.played_at[-1]) if len(frame) else 0
    warm = _Warm(
        model,
        state,
        last_time,
        _count_upto(store, info.id, last_time),
        int(frame.track_id[-1]) if len(frame) else -1,
        cfg.stat().st_mtime,
        time.monotonic(),
    )
    _WARM[key] = warm
    return warm


def _grow_space(model: Recommender, track_ids: np.ndarray, artist_ids: np.ndarray) -> None:
    """Give models that can score new tracks (``extend_space``) the tracks heard since training."""
    if not hasattr(model, "extend_space") or model.space is None or model.space.artist_ids is None:
        return
    unknown = model.space.indices(track_ids) < 0
    if unknown.any():
        tids, first = np.unique(track_ids[unknown], return_index=True)
        model.extend_space(model.space.extended(tids, artist_ids[unknown][first]))


def _catch_up(store: Store, account_id: int, warm: _Warm) -> None:
    """Observe plays stored after the warm state's last play."""
    frame = load_plays(store.engine, account_id, start=warm.last_time + 1)
    if len(frame) == 0:
        return
    _grow_space(warm.model, frame.track_id, frame.artist_id)
    items = warm.model.space.indices(frame.track_id)
    for tid, item, t in zip(frame.track_id.tolist(), items.tolist(), frame.played_at.tolist(), strict=True):
        if tid == warm.last_track:
            continue  # consecutive duplicate
        warm.state = warm.model.observe(warm.state, item, t)
        warm.last_track = tid
    warm.last_time = int(frame.played_at[-1])
    warm.seen_upto += len(frame)


def recommend_for(
    store: Store,
    account: str,
    k: int = 20,
    *,
    exclude: Sequence[int] = (),
    boost: Sequence[int] = (),
    explore: bool = False,
    model: str = DEFAULT_MODEL,
    gap_s: int = DEFAULT_GAP_S,
    train_if_missing: bool = True,
    cancel: CancelToken | None = None,
) -> list[Recommendation]:
    """Top-``k`` next tracks for ``account`` with reasons in plain words.

    ``exclude``/``boost``: store track ids to leave out / lift (liked tracks). ``explore``: only tracks
    new to the listener, from this computer's other accounts (artist affinity first). Fewer than two
    plays: what is popular on this computer, or a ``ModelError`` saying why there is nothing yet.
    """
    info = _account_brief(store, account)
    if info.plays < MIN_PLAYS:
        return _popular_fallback(store, info, k, exclude)
    with _LOCK:
        warm = _warm_state(store, info, model, gap_s, train_if_missing, cancel)
        m, state = warm.model, warm.state
        if explore:
            return _explore(store, info, m, state, k, exclude)
        excl = set(m.space.indices(list(exclude)).tolist()) - {-1}
        last = _last_item(state)
        if last >= 0:
            excl.add(last)  # the track playing now
        recs = m.recommend(state, k + len(boost), sorted(excl))
    recs = _apply_boost(recs, boost)[:k]
    return _render(store, m, recs)


def _last_item(state: Any) -> int:
    if hasattr(state, "last"):
        return int(state.last)
    if isinstance(state, dict) and state.get("items"):
        return int(state["items"][-1])
    return -1


def _apply_boost(recs: list[Recommendation], boost: Sequence[int]) -> list[Recommendation]:
    if not boost:
        return recs
    liked = set(int(b) for b in boost)
    spread = (recs[0].score - recs[-1].score) if len(recs) > 1 else 1.0
    lifted = [replace(r, score=r.score + 0.25 * abs(spread)) if r.track_id in liked else r for r in recs]
    return sorted(lifted, key=lambda r: -r.score)


_TOKEN = re.compile(r"\{(track|artist):(-?\d+)\}")


def _render(store: Store, model: Recommender, recs: list[Recommendation]) -> list[Recommendation]:
    """Replace ``{track:i}`` / ``{artist:i}`` (dense indices) in reasons with names."""
    space = model.space
    tracks: set[int] = set()
    artists: set[int] = set()
    for r in recs:
        for kind, idx in _TOKEN.findall(r.reason):
            i = int(idx)
            if kind == "track" and 0 <= i < len(space):
                tracks.add(int(space.track_ids[i]))
            elif kind == "artist" and space.artist_ids is not None and 0 <= i < space.artist_ids.size:
                artists.add(int(space.artist_ids[i]))
    tinfo = track_info(store.engine, tracks) if tracks else {}
    anames = names(store.engine, Artist, artists) if artists else {}

    def sub(m: re.Match) -> str:
        kind, i = m.group(1), int(m.group(2))
        if kind == "track" and 0 <= i < len(space):
            t = tinfo.get(int(space.track_ids[i]))
            return f"“{t.name}” by {t.artist}" if t else "your last track"
        if kind == "artist" and space.artist_ids is not None and 0 <= i < space.artist_ids.size:
            return anames.get(int(space.artist_ids[i]), "this artist")
        return "this"

    return [replace(r, reason=_TOKEN.sub(sub, r.reason)) for r in recs]


def _explore(
    store: Store, info, model: Recommender, state: Any, k: int, exclude: Sequence[int]
) -> list[Recommendation]:
    """New-to-you tracks from the store's other accounts, by how much you play their artists lately."""
    heard = set(model.space.track_ids.tolist())
    excl = set(int(e) for e in exclude)
    with store.engine.connect() as conn:
        rows = conn.execute(
            select(Scrobble.track_id, Track.artist_id, func.count())
            .join(Track, Track.id == Scrobble.track_id)
            .where(Scrobble.account_id != info.id)
            .group_by(Scrobble.track_id)
        ).all()
    rows = [r for r in rows if r[0] not in heard and r[0] not in excl]
    if not rows:
        return []
    affinity: dict[int, float] = {}
    sig = getattr(state, "extra", {}).get("signals")
    if sig is not None and model.space.artist_ids is not None:
        values = sig.artist_recent[1].values
        affinity = {
            int(a): float(np.log1p(values[i]))
            for i, a in enumerate(model.space.artist_ids.tolist())
            if i < values.size
        }
    scored = sorted(((affinity.get(a, 0.0) * 10 + np.log1p(c) / 10, t, a) for t, a, c in rows), reverse=True)[
        :k
    ]
    anames = names(store.engine, Artist, {a for _, _, a in scored})
    out = []
    for score, t, a in scored:
        reason = (
            f"new to you: by {anames.get(a, 'an artist')}, whom you play a lot lately"
            if affinity.get(a, 0) > 0
            else "new to you: popular with other listeners on this computer"
        )
        out.append(Recommendation(int(t), float(score), reason, new_to_user=True))
    return out


def _popular_fallback(store: Store, info, k: int, exclude: Sequence[int]) -> list[Recommendation]:
    excl = set(int(e) for e in exclude)
    with store.engine.connect() as conn:
        own = conn.execute(select(Scrobble.track_id).where(Scrobble.account_id == info.id)).scalars().all()
        rows = conn.execute(
            select(Scrobble.track_id, func.count().label("n"))
            .group_by(Scrobble.track_id)
            .order_by(func.count().desc(), Scrobble.track_id)
            .limit(k + len(excl) + len(own) + 1)
        ).all()
    picks = [(t, n) for t, n in rows if t not in excl and t not in set(own)][:k]
    if not picks:
        raise ModelError(
            f"{info.name} has {info.plays} play{'s' * (info.plays != 1)} and there is nothing else on "
            "this computer to suggest from yet: import a history or sync to get suggestions"
        )
    return [
        Recommendation(
            int(t),
            float(n),
            f"popular on this computer ({n} plays); your own suggestions start after a few plays",
            new_to_user=True,
        )
        for t, n in picks
    ]
