"""Issue 3's speed targets for ``default`` on the largest real history (spacedlevo, ~75k plays).

- training: ``models.api.train`` (the app's and ``segue train``'s job: load plays, build
  the sequence, walk the tuning span, fit the blend, save) — wall and CPU seconds per run;
- ``recommend``: ``models.api.recommend(k=20)`` latency — the first (cold) call, which
  loads the model and counts the whole history; warm calls with no new play; and warm calls after a
  new play was stored (the state observes it: the catch-up path the app hits while you listen).

Runs on a copy of the cached real-listener store (``models.evaluation.datasets``) so stored test
plays never touch the cache. The machine's 1-minute load average is recorded: the 2 cores are
shared, and wall times grow with the load.

    python -m benchmarks.bench_default [--account spacedlevo] [--runs 2] [--calls 200]

Writes docs/results/bench_default.json and prints a summary.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import machine

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "results" / "bench_default.json"


def _pct(values: list[float]) -> dict:
    a = np.asarray(values) * 1000
    return {
        "n": len(values),
        "p50_ms": round(float(np.percentile(a, 50)), 2),
        "p95_ms": round(float(np.percentile(a, 95)), 2),
        "max_ms": round(float(a.max()), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--account", default="spacedlevo")
    ap.add_argument("--runs", type=int, default=2, help="training runs")
    ap.add_argument("--calls", type=int, default=200, help="recommend calls per warm scenario")
    args = ap.parse_args()

    tmp = Path(tempfile.mkdtemp(prefix="bench-default-"))
    os.environ["SEGUE_HOME"] = str(tmp / "home")
    from sqlalchemy import select

    from core.jobs import run_job
    from core.store.engine import open_store
    from core.store.queries import account_by_name
    from core.store.schema import Scrobble
    from models import api
    from models.evaluation.datasets import dataset_store
    from models.serving.warm import forget_all

    cache = dataset_store()
    src = Path(cache.engine.url.database)
    cache.dispose()
    shutil.copy(src, tmp / "bench.sqlite")
    store = open_store(f"sqlite:///{tmp / 'bench.sqlite'}")
    info = account_by_name(store.engine, args.account)
    before = machine()

    training = []
    for run in range(args.runs):
        w0, c0 = time.perf_counter(), time.process_time()
        result = run_job(api.train(store, args.account, "default", seed=run))
        training.append(
            {
                "wall_s": round(time.perf_counter() - w0, 2),
                "cpu_s": round(time.process_time() - c0, 2),
                "plays": result.plays,
                "trained_on": result.params.get("trained_on"),
            }
        )
        print(f"train run {run + 1}: {training[-1]}", flush=True)

    forget_all()
    t0 = time.perf_counter()
    recs = api.recommend(store, args.account, k=20)
    cold = time.perf_counter() - t0
    warm = []
    for _ in range(args.calls):
        t0 = time.perf_counter()
        api.recommend(store, args.account, k=20)
        warm.append(time.perf_counter() - t0)

    with store.engine.connect() as conn:
        last = conn.execute(
            select(Scrobble.played_at)
            .where(Scrobble.account_id == info.id)
            .order_by(Scrobble.played_at.desc())
            .limit(1)
        ).scalar_one()
    catch_up = []
    t = last
    for i in range(args.calls):
        t += 240
        track = recs[i % len(recs)].track_id
        with store.engine.begin() as conn:
            conn.execute(
                Scrobble.__table__.insert().values(
                    account_id=info.id, track_id=track, played_at=t, source="bench"
                )
            )
        t0 = time.perf_counter()
        recs = api.recommend(store, args.account, k=20)
        catch_up.append(time.perf_counter() - t0)

    doc = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine_before": before,
        "machine_after": machine(),
        "account": args.account,
        "training": training,
        "recommend": {
            "cold_first_call_ms": round(cold * 1000, 1),
            "warm": _pct(warm),
            "warm_after_new_play": _pct(catch_up),
        },
        "targets": {"train_s": 120, "recommend_p95_ms": 50},
        "command": "python -m benchmarks.bench_default "
        + " ".join(f"--{k} {v}" for k, v in vars(args).items()),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2), encoding="utf-8")
    store.dispose()
    shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(doc["recommend"], indent=2))
    print(f"wrote {OUT}")


if __name__ == "__main__":
    main()
