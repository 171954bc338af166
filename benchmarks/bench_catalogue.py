"""Issue 13: how long ``load_catalogue`` takes on a 100k-track catalogue (serving caches the result; the
``recommend`` p95 budget is < 50 ms warm with a catalogue that size, so the load must be far below 1 s).

    python -m benchmarks.bench_catalogue                      # 100k candidates, the 75k-play history
    python -m benchmarks.bench_catalogue --tracks 20000 --runs 5

The store holds the real 75k-play spacedlevo history (the one the recommend benchmark uses) and a
catalogue written through the same cache API the sources use (``cache.ensure_fetches`` /
``save_answer`` / ``link_seeds``): artist top-track answers (50 tracks each, with listener counts),
similar-track answers (100 each, overlapping them), similar-artist answers (50 artists each) and one
table answer, until ``--tracks`` distinct candidate tracks exist. Names are synthetic (no service is
asked); the shape and sizes are those of a catalogue that follows ~2,000 seed artists. Reported: the
first (cold: new process, SQLite page cache empty except what the build left) and the warm median /
p95 / max over ``--runs`` loads (wall time, and this process's CPU time, which a busy machine inflates
less), with the row counts read and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import LISTENING, save


def build(db: Path, n_tracks: int, history: Path) -> int:
    from core.catalogue.cache import ensure_fetches, link_seeds, save_answer
    from core.catalogue.sources.base import Entry, Want
    from core.features.providers.base import Outcome
    from core.jobs import run_job
    from core.sources.importing import import_files
    from core.store.catalog import Catalog, find_account
    from core.store.engine import open_store

    store = open_store(f"sqlite:///{db}")
    report = run_job(import_files(store, [history], "listener"))
    assert report.ok, report.failures
    rng = random.Random(13)
    now = int(time.time())
    with store.engine.begin() as conn:
        account = find_account(conn, "listener")
        cat = Catalog(conn)
        seeds: dict[str, dict[int, float]] = {}
        n_artists = max(1, n_tracks // 40)

        def answer(source: str, key: str, entries: list, **seed) -> None:
            want = Want(key, rng.random(), **seed)
            fid = ensure_fetches(conn, source, [want], 30 * 86400, now)[key].id
            save_answer(conn, cat, fid, Outcome.ok(entries), now)
            seeds.setdefault(source, {})[fid] = want.weight

        made = 0
        a = 0
        while made < n_tracks * 9 // 10:
            artist = f"Bench Artist {a}"
            entries = [
                Entry(artist, f"Bench Track {a}-{j}", listeners=rng.randrange(10, 2_000_000))
                for j in range(50)
            ]
            answer("lastfm.artist.getTopTracks", artist.casefold(), entries)
            cat.artist_ids([(artist, None)])
            made += 50
            if a % 3 == 0:
                sim = []
                for j in range(100):
                    other = rng.randrange(max(1, a))
                    sim.append(
                        Entry(
                            f"Bench Artist {other}",
                            f"Bench Track {other}-{rng.randrange(50)}",
                            score=1 - j / 100,
                        )
                    )
                answer("lastfm.track.getSimilar", f"{artist.casefold()}\tt{a}", sim)
            if a % 2 == 0:
                similar = [
                    Entry(f"Bench Artist {rng.randrange(n_artists)}", score=1 - j / 50) for j in range(50)
                ]
                answer(
                    "lastfm.artist.getSimilar",
                    artist.casefold(),
                    similar,
                    seed_artist_id=cat.artists[artist.casefold()],
                )
            a += 1
        table = [
            Entry(f"Bench Artist {rng.randrange(a)}", f"Bench Track {j}-T") for j in range(n_tracks // 10)
        ]
        answer("local.tables", "audio:/bench/table.csv", table)
        for source, weights in seeds.items():
            link_seeds(conn, account, source, weights, now)
    with store.engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    store.dispose()
    return account


def measure(db: Path, account: int, runs: int) -> dict:
    from core.catalogue import load_catalogue
    from core.store.engine import open_store

    store = open_store(f"sqlite:///{db}")
    t0 = time.perf_counter()
    cat = load_catalogue(store.engine, account)
    cold = (time.perf_counter() - t0) * 1000
    times, cpu = [], []
    for _ in range(runs):
        t0, c0 = time.perf_counter(), time.process_time()
        load_catalogue(store.engine, account)
        times.append((time.perf_counter() - t0) * 1000)
        cpu.append((time.process_time() - c0) * 1000)
    with store.engine.connect() as conn:
        items = conn.exec_driver_sql("SELECT count(*) FROM catalogue_item").scalar()
    store.dispose()
    t = np.array(times)
    return {
        "candidates": len(cat),
        "items_read": int(items),
        "sources": {k: len(v) for k, v in cat.sources.items()},
        "artist_edges": len(cat.artist_edges),
        "first_ms": round(cold, 1),
        "warm_median_ms": round(float(np.median(t)), 1),
        "warm_p95_ms": round(float(np.percentile(t, 95)), 1),
        "warm_max_ms": round(float(t.max()), 1),
        "warm_cpu_median_ms": round(float(np.median(cpu)), 1),  # this process's CPU: less load-dependent
        "runs": runs,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracks", type=int, default=100_000)
    ap.add_argument("--runs", type=int, default=20)
    ap.add_argument(
        "--history", type=Path, default=LISTENING / "lastfm-exports" / "spacedlevo__lastfmscrobbles.sqlite"
    )
    ap.add_argument("--keep", type=Path, help="build the store here (and reuse it when it exists)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-catalogue-") as tmp:
        db = args.keep or Path(tmp) / "catalogue.sqlite"
        t0 = time.perf_counter()
        account = build(db, args.tracks, args.history) if not db.exists() else 1
        built_s = time.perf_counter() - t0
        result = {
            "tracks_asked": args.tracks,
            "build_s": round(built_s, 1),
            **measure(db, account, args.runs),
        }
    result["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    path = save("catalogue", result)
    print(json.dumps(result))
    print(f"saved {path}")


if __name__ == "__main__":
    main()
