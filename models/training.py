"""The training job for the app and the CLI.

``train_model`` is a job (generator of Progress, cancellable): it builds the account's data, fits
the model in a worker thread (its per-epoch Progress is relayed), saves the artefacts through
``models.artefacts`` (swapped in atomically) and records a ``model_run`` row (running → ok / failed /
cancelled).

Fine-tune or full retrain is decided here, once (``models.finetune.plan``): a model that can start
from its saved weights does so when the plays since it are below the settings' share of the history;
a saved network that does not fit (other hyper-parameters) falls back to a full retrain. The run's
metrics and the saved ``meta.json`` record the ``mode`` ("fine-tune" | "full") and why.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from collections.abc import Generator
from dataclasses import asdict, dataclass
from typing import Any

from core.jobs import Cancelled, CancelToken, Progress
from core.sessions import DEFAULT_GAP_S
from core.store.engine import Store
from core.store.queries import account_by_name
from core.store.schema import ModelRun
from models import finetune
from models.artefacts import DEFAULT_MODEL, model_dir, save_model
from models.base import ModelError, Recommender, TrainData
from models.data import build_sequence
from models.registry import create, get_model_class, load_features

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
    mode: str = "full"  # "fine-tune": started from the saved model (models.finetune)

    def to_json(self) -> dict:
        return asdict(self)


def train_model(
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
    """Fit ``model_name`` on all of ``account``'s plays and save it; returns a ``TrainResult``.
    ``fine_tune_below``: the share of new plays under which a saved model is fine-tuned (None: the
    setting ``fine_tune_below_percent``; 0: always from scratch)."""
    cancel = cancel or CancelToken()
    get_model_class(model_name)  # an unknown name fails before any work
    info = account_by_name(store.engine, account)
    if info is None:
        raise ModelError(f"no account named '{account}'; import a history or sync first")
    yield Progress(0, None, f"loading {account}'s plays")
    seq = build_sequence(store.engine, info.id, gap_s)
    if len(seq) < MIN_PLAYS:
        raise ModelError(
            f"{account} has {len(seq)} play{'s' * (len(seq) != 1)}: a model needs at least "
            f"{MIN_PLAYS}; suggestions use what is popular on this computer meanwhile"
        )
    model_params = {"gap_s": gap_s, **(params or {})}
    model = create(model_name, **model_params)
    features = load_features(store.engine, seq.space, info.id) if model.uses_modalities else None
    target = model_dir(account, model_name)
    if fine_tune_below is None:
        from core.settings import Settings

        fine_tune_below = Settings.load().fine_tune_below_percent / 100.0
    how = finetune.plan(target, model_name, seq.played_at, fine_tune_below)
    model.warm = how.warm
    run_id = _start_run(store, info.id, model_name, seed, len(seq))
    t0 = time.perf_counter()
    try:
        if model.fine_tunes:  # say which kind of training this is where there is a choice
            yield Progress(0, None, f"{how.mode} training: {how.reason}")
        try:
            yield from fit_in_thread(model, seq.all(seed), features, cancel)
        except finetune.Incompatible as exc:  # found when the network is built, before any epoch
            how = finetune.Plan("full", str(exc), new_plays=how.new_plays)
            yield Progress(0, None, f"full training: {how.reason}")
            model = create(model_name, **model_params)
            yield from fit_in_thread(model, seq.all(seed), features, cancel)
        model.warm = None
        cancel.raise_if_cancelled()
        yield Progress(1, 1, "saving the model")
        meta = {
            "account": account,
            "model": model_name,
            "seed": seed,
            "plays": len(seq),
            "last_played_at": int(seq.played_at[-1]),
            "trained_at": int(time.time()),
            "mode": how.mode,
        }
        save_model(model, target, meta)
    except (Cancelled, KeyboardInterrupt, GeneratorExit):
        _finish_run(store, run_id, "cancelled", metrics={"mode": how.mode})
        raise
    except BaseException as exc:
        _finish_run(
            store, run_id, "failed", metrics={"error": f"{type(exc).__name__}: {exc}", "mode": how.mode}
        )
        raise
    seconds = time.perf_counter() - t0
    metrics = {
        "train_seconds": round(seconds, 3),
        "plays": len(seq),
        "items": len(seq.space),
        "mode": how.mode,
        "mode_reason": how.reason,
        "new_plays": how.new_plays,
    }
    _finish_run(store, run_id, "ok", params=model.params, artefact=str(target), metrics=metrics)
    return TrainResult(
        account, model_name, seed, len(seq), round(seconds, 3), str(target), plain(model.params), how.mode
    )


def fit_in_thread(
    model: Recommender, data: TrainData, features: Any, cancel: CancelToken
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


def plain(obj: Any) -> Any:
    """``obj`` as plain JSON values (numpy scalars become numbers, anything else its string)."""
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
        values["params"] = plain(params)
    if metrics is not None:
        values["metrics"] = metrics
    if artefact is not None:
        values["artefact_path"] = artefact
    with store.engine.begin() as conn:
        conn.execute(ModelRun.__table__.update().where(ModelRun.id == run_id).values(**values))
