"""Run the protocol for models × accounts × seeds and collect the JSON contract of issue 3.

``evaluate_one`` fits one model on an account's training span and ranks its test span
(``harness.rank_targets``), timing the fit and sampling peak RSS (``memory.PeakRSS``) over fit +
ranking. ``run_evaluation`` is the job behind ``segue eval``: it yields Progress and returns
``{"protocol": PROTOCOL, "results": [...], "errors": [...]}``. With ``isolate`` every (account,
model) pair (the ``models.evaluation.worker`` job) runs in a fresh child process (``core.jobs.isolate``)
so memory figures do not carry over between models. Models marked ``deterministic`` are fitted once per account and their
row is repeated for each seed (``"seed_invariant": true``).
"""

from __future__ import annotations

import json
import random
import sys
import time
from collections.abc import Generator, Sequence
from typing import Any

import numpy as np

from core.jobs import Cancelled, CancelToken, Progress, run_job
from core.store.engine import Store
from core.store.queries import account_by_name
from models.base import ModelError, ProgressFn
from models.data import PlaySequence, build_sequence
from models.evaluation import splits
from models.evaluation.harness import rank_targets
from models.evaluation.memory import PeakRSS
from models.evaluation.metrics import CUTOFF_COVERAGE, CUTOFF_HR, CUTOFF_MRR, summarise
from models.registry import create, get_model_class, load_features

PROTOCOL: dict[str, Any] = {
    "name": "segue-next-track",
    "version": 1,
    "sequence": "plays sorted by time; duplicate scrobbles of one play collapsed (core.sessions); "
    "then consecutive duplicates (same track twice in a row) collapsed",
    "test": f"last {splits.TEST_FRACTION:.0%} of an account's plays are targets; each target is predicted "
    "from every earlier play; no refit inside the test span",
    "validation": f"last {splits.VALIDATION_FRACTION:.0%} of the training span (models tune on it only)",
    "ranking": "full ranking over every track of the account; ties count against the target; the previous "
    "play is excluded (it cannot be the target after collapsing)",
    "metrics": [f"hr@{CUTOFF_HR}", f"ndcg@{CUTOFF_HR}", f"mrr@{CUTOFF_MRR}", f"coverage@{CUTOFF_COVERAGE}"],
    "groups": "repeat = target track played before it; explore = new to the listener",
    "session_gap_s": 7200,
    "memory": "peak_rss_mb = peak RSS of the process sampled every 20 ms over fit + test ranking "
    "(absolute, includes interpreter and data); rss_before_mb = RSS when the fit started",
}


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch = sys.modules.get("torch")
    if torch is not None:
        torch.manual_seed(seed)


def evaluate_one(
    store: Store,
    account: str,
    model_name: str,
    seed: int = 0,
    *,
    seq: PlaySequence | None = None,
    params: dict | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelToken | None = None,
    upto: float | None = None,
) -> dict[str, Any]:
    """Fit ``model_name`` on the account's training span and score its test span: one result row."""
    info = account_by_name(store.engine, account)
    if info is None:
        raise ModelError(f"no account named {account!r}")
    seq = seq if seq is not None else build_sequence(store.engine, info.id, upto=upto)
    split = splits.test_split(len(seq))
    if split.n_targets == 0:
        raise ModelError(f"account {account!r} has {len(seq)} plays: too few to evaluate (need at least 2)")
    train = seq.prefix(split.start, seed)
    seed_everything(seed)
    model = create(model_name, **(params or {}))
    features = load_features(store.engine, seq.space, account) if model.uses_modalities else None
    with PeakRSS() as mem:
        t0 = time.perf_counter()
        model.fit(train, features, progress, cancel)
        t1 = time.perf_counter()
        run = rank_targets(model, seq.items, seq.played_at, split.start, cancel=cancel, progress=progress)
        t2 = time.perf_counter()
    repeat = splits.repeat_mask(seq.items, run.positions)
    row: dict[str, Any] = {"account": account, "model": model_name, "seed": seed}
    row.update(summarise(run.ranks, repeat, run.top, len(seq.space)))
    row.update(
        {
            "train_seconds": round(t1 - t0, 3),
            "eval_seconds": round(t2 - t1, 3),
            "peak_rss_mb": round(mem.peak_mb, 1),
            "rss_before_mb": round(mem.start_mb, 1),
            "n_items": len(seq.space),
            "n_train": split.start,
            "seed_invariant": bool(model.deterministic),
            "params": _plain(model.params),
        }
    )
    if upto is not None:
        row["upto"] = upto
    return row


def _plain(params: dict) -> dict:
    return json.loads(json.dumps(params, default=lambda v: v.item() if hasattr(v, "item") else str(v)))


def _run_pair(
    store: Store,
    account: str,
    model: str,
    seeds: Sequence[int],
    cancel: CancelToken,
    upto: float | None,
    isolate: bool,
) -> list[dict]:
    """One (account, model) pair: the ``worker.evaluate_pair`` job, here or in a child process."""
    from core.jobs.isolate import run_isolated, store_url
    from core.jobs.registry import JobContext
    from models.evaluation.worker import evaluate_pair

    params = {"account": account, "model": model, "seeds": list(seeds), "upto": upto}
    if isolate:
        target = f"{evaluate_pair.__module__}:{evaluate_pair.__qualname__}"
        return run_job(run_isolated(target, params, store_url(store), cancel), cancel=cancel)
    return run_job(evaluate_pair(JobContext(store, cancel), **params), cancel=cancel)


def _account_id(store: Store, account: str) -> int:
    info = account_by_name(store.engine, account)
    if info is None:
        raise ModelError(f"no account named {account!r}")
    return info.id


def run_evaluation(
    store: Store,
    accounts: Sequence[str],
    models: Sequence[str],
    seeds: Sequence[int] = (1, 2, 3),
    *,
    isolate: bool = False,
    cancel: CancelToken | None = None,
    upto: float | None = None,
) -> Generator[Progress, None, dict]:
    """Evaluate every model on every account for every seed; returns the JSON document.
    ``upto``: evaluate on the earliest share of each history instead (a robustness check)."""
    cancel = cancel or CancelToken()
    for name in models:
        get_model_class(name)  # unknown names fail before any work
    results: list[dict] = []
    errors: list[dict] = []
    tasks = [(a, m) for a in accounts for m in models]
    for n, (account, model) in enumerate(tasks):
        cancel.raise_if_cancelled()
        yield Progress(n, len(tasks), f"{account}: {model}")
        klass = get_model_class(model)
        run_seeds = list(seeds[:1]) if klass.deterministic else list(seeds)
        try:
            rows = _run_pair(store, account, model, run_seeds, cancel, upto, isolate)
        except Cancelled:
            raise
        except Exception as exc:  # noqa: BLE001 - one failing model must not lose the others' results
            errors.append({"account": account, "model": model, "error": f"{type(exc).__name__}: {exc}"})
            continue
        if klass.deterministic:
            rows = [{**rows[0], "seed": s} for s in seeds]
        results.extend(rows)
    yield Progress(len(tasks), len(tasks), "done")
    protocol = dict(PROTOCOL, upto=upto) if upto is not None else PROTOCOL
    return {"protocol": protocol, "results": results, "errors": errors}
