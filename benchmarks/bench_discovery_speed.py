"""Speed of discovery on the largest real history (spacedlevo, ~75k plays) with a ~100k-track catalogue.

On a copy of the cached real-listener store the account's catalogue is built with the product's
offline sources (``local.accounts``, ``local.tables`` over the open feature tables of ../shared, which
also attach their features), the embeddings are built, and ``train_discovery`` fits the ranker
(``default`` is trained too when the folder has none). Then two paths are timed:

- ``discover(k=20)``: the first (cold) call — load the model and catalogue, build the space and
  content, count the whole history — warm calls with no new play, and warm calls after a new play (4 min apart, sessions of 15);
- **the served list, as the user meets it**: ``models.api.suggestions`` (both streams — ``default``'s
  continuation and the discovery ranker's 200 new-to-you candidates — with reasons, feedback, play
  counts, valence/energy) then ``Pool.serve`` (Up next and New to you under the rules and the
  slider), cold, warm, and warm after a new play was stored (both states observe it).

The budget: p95 < 50 ms warm. The 1-minute load average is recorded before and after: the 2 cores
are shared.

    python -m benchmarks.bench_discovery_speed [--account spacedlevo] [--calls 200]

Writes docs/results/bench_discovery_speed.json.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

from benchmarks.bench_default import _pct
from benchmarks.common import machine

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "results" / "bench_discovery_speed.json"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--account", default="spacedlevo")
    ap.add_argument("--calls", type=int, default=200)
    ap.add_argument("--keep", help="keep the built store in this folder (and reuse it next time)")
    args = ap.parse_args()
    work = Path(args.keep) if args.keep else Path(tempfile.mkdtemp(prefix="bench-discovery-"))
    work.mkdir(parents=True, exist_ok=True)
    text_cache = _text_cache_path()  # before SEGUE_HOME moves: the evaluation's encoder cache
    os.environ["SEGUE_HOME"] = str(work / "home")

    from sqlalchemy import select

    from core.catalogue import load_catalogue
    from core.catalogue.refresh import refresh_catalogue
    from core.catalogue.sources.local_tables import remember_table
    from core.features.embeddings.build import build_embeddings
    from core.jobs import run_job
    from core.store.engine import open_store
    from core.store.queries import account_by_name
    from core.store.schema import Scrobble
    from models.discovery import service
    from models.evaluation.datasets import SHARED, dataset_store
    from models.evaluation.discovery_data import EMBEDDING_KINDS, save_text_vectors, seed_text_vectors
    from models.features import shared_feature_tables

    db = work / "bench.sqlite"
    built = work / "built.json"
    prep: dict = json.loads(built.read_text()) if built.exists() and db.exists() else {}
    if not prep:
        cache = dataset_store()
        shutil.copy(Path(cache.engine.url.database), db)
        cache.dispose()
    store = open_store(f"sqlite:///{db}")
    info = account_by_name(store.engine, args.account)
    if not prep:
        t0 = time.perf_counter()
        with store.engine.begin() as conn:
            for path, kind in shared_feature_tables(SHARED):
                remember_table(conn, path, kind)
        run_job(refresh_catalogue(store, args.account, sources=["local.accounts", "local.tables"]))
        t1 = time.perf_counter()
        if text_cache.exists():
            seed_text_vectors(store, text_cache)
        run_job(build_embeddings(store, kinds=EMBEDDING_KINDS))
        save_text_vectors(store, text_cache)
        prep = {"catalogue_s": round(t1 - t0, 1), "embeddings_s": round(time.perf_counter() - t1, 1)}
        built.write_text(json.dumps(prep))
    cat = load_catalogue(store.engine, info.id)
    before = machine()
    w0, c0 = time.perf_counter(), time.process_time()
    trained = run_job(service.train_discovery(store, args.account))
    training = {"wall_s": round(time.perf_counter() - w0, 2), "cpu_s": round(time.process_time() - c0, 2)}
    service._WARM.clear()
    t0 = time.perf_counter()
    recs = service.discover(store, args.account, 20)
    cold = time.perf_counter() - t0
    warm_state = next(iter(service._WARM.values()))
    warm = []
    for _ in range(args.calls):
        t0 = time.perf_counter()
        service.discover(store, args.account, 20)
        warm.append(time.perf_counter() - t0)
    with store.engine.connect() as conn:
        last = conn.execute(
            select(Scrobble.played_at)
            .where(Scrobble.account_id == info.id)
            .order_by(Scrobble.played_at.desc())
            .limit(1)
        ).scalar_one()

    def play(track_id: int, t: int) -> None:  # the listener plays a suggestion: it leaves the candidates
        with store.engine.begin() as conn:
            conn.execute(
                Scrobble.__table__.insert().values(
                    account_id=info.id, track_id=track_id, played_at=t, source="bench"
                )
            )

    catch_up = []
    t = last
    for i in range(args.calls):
        t += _step(i)
        play(recs[i % len(recs)].track_id, t)
        t0 = time.perf_counter()
        recs = service.discover(store, args.account, 20)
        catch_up.append(time.perf_counter() - t0)
    served, t = _served(store, args.account, args.calls, play, t)
    doc = {
        "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine_before": before,
        "machine_after": machine(),
        "account": args.account,
        "plays": trained["plays"],
        "catalogue_tracks_unheard": len(cat),
        "space_items": len(warm_state.model.space),
        "candidates_rankable": int(warm_state.state.rankable().size),
        "catalogue_artists": int(cat.artist_pool.size),
        "prepare": prep,
        "training": {**training, "fit": trained["params"].get("fit")},
        "discover": {
            "cold_first_call_ms": round(cold * 1000, 1),
            "warm": _pct(warm),
            "warm_after_new_play": _pct(catch_up),
        },
        "served_list": served,
        "target": {"discover_p95_ms": 50, "served_list_p95_ms": 50},
        "example": [{"track_id": r.track_id, "reason": r.reason} for r in recs[:5]],
        "command": "python -m benchmarks.bench_discovery_speed "
        + " ".join(f"--{k} {v}" for k, v in vars(args).items() if v),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    store.dispose()
    if not args.keep:
        shutil.rmtree(work, ignore_errors=True)
    print(json.dumps({"discover": doc["discover"], "served_list": doc["served_list"]}, indent=2))
    print(f"wrote {OUT}")


SESSION_PLAYS = 15  # the stored plays come 4 min apart, in sessions of this many, 2 h apart


def _step(i: int) -> int:
    """Seconds before the i-th stored play: the sessions stay as long as a listener's (one session of
    400 plays would make every reason that walks the session in progress look slow)."""
    return 7200 if i % SESSION_PLAYS == 0 else 240


def _served(store, account: str, calls: int, play, t: int) -> tuple[dict, int]:
    """Time ``api.suggestions`` + ``Pool.serve`` (the page's load and arrange, ``segue recommend``)."""
    from core.jobs import run_job
    from models import api
    from models.serving.warm import forget_all

    if not api.is_trained(account):
        w0 = time.perf_counter()
        run_job(api.train(store, account))
        trained_default_s = round(time.perf_counter() - w0, 1)
    else:
        trained_default_s = None
    forget_all()
    t0 = time.perf_counter()
    pool = api.suggestions(store, account, train_if_missing=False)
    lists = pool.serve()
    cold = time.perf_counter() - t0
    warm, serve_only = [], []
    for _ in range(calls):
        t0 = time.perf_counter()
        pool = api.suggestions(store, account, train_if_missing=False)
        t1 = time.perf_counter()
        lists = pool.serve()
        warm.append(time.perf_counter() - t0)
        serve_only.append(time.perf_counter() - t1)
    after_play = []
    for i in range(calls):
        t += _step(i)
        shown = lists.main + lists.new_to_you
        play(shown[i % len(shown)].track_id, t)
        t0 = time.perf_counter()
        pool = api.suggestions(store, account, train_if_missing=False)
        lists = pool.serve()
        after_play.append(time.perf_counter() - t0)
    doc = {
        "default_trained_here_s": trained_default_s,
        "discovery_source": pool.discovery_source,
        "candidates": {"familiar": len(pool.familiar), "new": len(pool.discoveries)},
        "up_next_new": sum(r.new_to_user for r in lists.main),
        "new_to_you": len(lists.new_to_you),
        "cold_first_call_ms": round(cold * 1000, 1),
        "warm": _pct(warm),
        "warm_serve_only": _pct(serve_only),
        "warm_after_new_play": _pct(after_play),
        "example_new_to_you": [r.reason for r in lists.new_to_you[:5]],
    }
    return doc, t


def _text_cache_path() -> Path:
    from core import paths
    from models.evaluation.discovery_data import TEXT_CACHE

    return paths.cache_dir() / "discovery" / TEXT_CACHE


if __name__ == "__main__":
    main()
