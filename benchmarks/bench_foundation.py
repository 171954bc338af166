"""Issue 2 figures: import throughput and peak memory (75k real history; a 1M-row file built from the
real ones), sessionization of 1M plays, and a no-op incremental Last.fm sync against the fake server.
Issue 15: the same imports into PostgreSQL (a throwaway server from ``tests/pgserver.py``), as a
superuser (foreign-key checks off for the bulk transaction) and as a plain database owner (checks on).

    python -m benchmarks.bench_foundation            # everything, results in bench-results/foundation.json
    python -m benchmarks.bench_foundation --quick    # skip the 1M-row file
    python -m benchmarks.bench_foundation --engines sqlite,postgresql   # PostgreSQL too (needs its binaries)
Each import runs --repeat times (default 3) in a fresh process and store; the median run is reported.
The peak memory is the importing process's; a PostgreSQL server's own memory is not in it.
"""

from __future__ import annotations

import argparse
import csv
import json
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

from benchmarks.common import LISTENING, ROOT, peak_rss_mb, run_child, save

SQLITE_75K = LISTENING / "lastfm-exports" / "spacedlevo__lastfmscrobbles.sqlite"
HEADER = ["uts", "utc_time", "artist", "artist_mbid", "album", "album_mbid", "track", "track_mbid"]


def _real_rows() -> list[tuple[int, str, str, str]]:
    """(uts, artist, album, track) from every real Last.fm-style history with second timestamps."""
    rows: list[tuple[int, str, str, str]] = []
    with sqlite3.connect(f"file:{SQLITE_75K}?mode=ro", uri=True) as db:
        rows += db.execute(
            "SELECT l.timestamp, ar.name, COALESCE(al.name, ''), t.name FROM listens l "
            "JOIN tracks t ON t.id = l.track_id JOIN artists ar ON ar.id = t.artist_id "
            "LEFT JOIN albums al ON al.id = t.album_id"
        ).fetchall()
    with (LISTENING / "lastfm-exports" / "krishkumar__lastfm_scrobbles.csv").open(encoding="utf-8") as fh:
        rows += [
            (int(r["timestamp"]), r["artist"], r["album"], r["track"])
            for r in csv.DictReader(fh)
            if r["timestamp"].isdigit() and int(r["timestamp"]) > 0
        ]
    with (LISTENING / "lastfm-exports" / "aleex-cs__aleex_cs.csv").open(encoding="utf-8") as fh:
        rows += [(int(r["uts"]), r["artist"], r["album"], r["track"]) for r in csv.DictReader(fh)]
    with (LISTENING / "edelgrace" / "erzadel_cleaned.csv").open(encoding="utf-8") as fh:
        for r in csv.reader(fh, delimiter="\t"):
            if len(r) >= 4 and r[0].isdigit():
                rows.append((int(r[0]), r[2], r[3], r[1]))
    return [r for r in rows if r[1].strip() and r[3].strip()]


def build_million(path: Path, n: int = 1_000_000) -> int:
    """A ghan.nl-layout CSV of ``n`` rows: the real histories repeated, each copy shifted 41 days back."""
    rows = _real_rows()
    written = 0
    with path.open("w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(HEADER)
        copy = 0
        while written < n:
            shift = copy * 41 * 86400
            for uts, artist, album, track in rows:
                ts = uts - shift
                w.writerow(
                    [
                        ts,
                        datetime.fromtimestamp(ts, UTC).strftime("%d %b %Y, %H:%M"),
                        artist,
                        "",
                        album,
                        "",
                        track,
                        "",
                    ]
                )
                written += 1
                if written >= n:
                    break
            copy += 1
    return written


def child_import(path: str, fmt: str, db: str) -> None:
    """Runs in a fresh process: import one file, then sessionize everything; prints JSON."""
    from core.jobs import run_job
    from core.sessions import sessionize
    from core.sources.importing import import_files
    from core.store import open_store
    from core.store.queries import account_by_name, load_plays

    store = open_store(db)
    t0 = time.perf_counter()
    report = run_job(import_files(store, [path], "bench", fmt=fmt))
    seconds = time.perf_counter() - t0
    s = report.files[0]
    import_peak = peak_rss_mb()
    t1 = time.perf_counter()
    frame = load_plays(store.engine, account_by_name(store.engine, "bench").id)
    load_s = time.perf_counter() - t1
    t2 = time.perf_counter()
    sessions = sessionize(frame)
    sess_s = time.perf_counter() - t2
    print(
        json.dumps(
            {
                "rows": s.read,
                "added": s.added,
                "seconds": round(seconds, 3),
                "rows_per_s": round(s.read / seconds),
                "peak_rss_mb_import": round(import_peak, 1),
                "plays": len(frame),
                "load_plays_s": round(load_s, 3),
                "sessionize_s": round(sess_s, 3),
                "sessions": len(sessions),
            }
        )
    )


def import_runs(path: Path, fmt: str, tmp: Path, repeat: int, new_db=None) -> dict:
    """Import ``path`` into a fresh store ``repeat`` times (a fresh process each); the median run,
    with every run's rows/s kept so the spread is visible. ``new_db(i)`` gives each run's database URL
    (default: a SQLite file in ``tmp``)."""
    runs = []
    for i in range(repeat):
        db = new_db(i) if new_db else f"sqlite:///{tmp / f'import-{fmt}-{i}.sqlite'}"
        runs.append(run_child(["-m", "benchmarks.bench_foundation", "--child", str(path), fmt, db]))
    median = sorted(runs, key=lambda r: r["rows_per_s"])[len(runs) // 2]
    return {
        **median,
        "runs_rows_per_s": [r["rows_per_s"] for r in runs],
        "peak_rss_mb_import_max": max(r["peak_rss_mb_import"] for r in runs),
    }


def postgres_databases(server) -> dict:
    """URL makers for the two PostgreSQL set-ups: the superuser (as ``tests/pgserver.py`` runs it) and
    a plain role that owns its database (a household server's usual account)."""
    import psycopg

    with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
        conn.execute("CREATE ROLE plain LOGIN")
    counter = iter(range(10_000))

    def owned_by_plain(_i: int) -> str:
        name = f"plain{next(counter)}"
        with psycopg.connect(server.dsn("postgres"), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}" OWNER plain')
        return f"postgresql+psycopg://plain@127.0.0.1:{server.port}/{name}"

    return {"postgresql": lambda _i: server.create_database(), "postgresql-plain-role": owned_by_plain}


def engine_imports(engines: list[str], files: list[tuple[str, Path, str]], tmp: Path, repeat: int) -> dict:
    """``import_runs`` for each (label, file, format) on every engine asked for."""
    results: dict = {}
    server = None
    makers: dict = {"sqlite": None}
    if any(e.startswith("postgresql") for e in engines):
        sys.path.append(str(ROOT / "tests"))
        import pgserver

        server = pgserver.PgServer(pgserver.binaries()).start()
        makers.update(postgres_databases(server))
    try:
        for engine in engines:
            for label, path, fmt in files:
                r = import_runs(path, fmt, tmp, repeat, makers[engine])
                results[f"{label}_{engine}" if engine != "sqlite" else label] = r
                print(
                    f"{label} {engine}: {r['seconds']} s, {r['rows_per_s']:,} rows/s median of "
                    f"{r['runs_rows_per_s']}, peak {r['peak_rss_mb_import_max']} MB"
                )
    finally:
        if server is not None:
            server.stop()
    return results


def bench_noop_sync(tmp: Path) -> dict:
    sys.path.insert(0, str(ROOT / "tests"))
    from fakes.lastfm_server import DEFAULT_API_KEY, FakeLastfm, load_sqlite_history

    from core.jobs import run_job
    from core.sources.lastfm.api import LastfmApi
    from core.sources.lastfm.sync import sync_account
    from core.store import open_store

    store = open_store(f"sqlite:///{tmp / 'sync.sqlite'}")
    with FakeLastfm(users={"alice": load_sqlite_history(SQLITE_75K)}) as server:
        fast = LastfmApi(DEFAULT_API_KEY, root=server.url, per_second=1000)
        t0 = time.perf_counter()
        run_job(sync_account(store, "me", "alice", fast))
        backfill_s = time.perf_counter() - t0
        run_job(sync_account(store, "me", "alice", fast, force_recheck=True))
        fast.close()
        times = []
        for _ in range(5):
            client = LastfmApi(DEFAULT_API_KEY, root=server.url)  # the real 4 req/s client
            t0 = time.perf_counter()
            report = run_job(sync_account(store, "me", "alice", client))
            times.append(time.perf_counter() - t0)
            client.close()
            assert report.added == 0
    return {
        "noop_sync_s_median": round(sorted(times)[2], 3),
        "noop_sync_s_max": round(max(times), 3),
        "requests_per_noop_sync": report.requests,
        "backfill_75k_s_unthrottled": round(backfill_s, 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--repeat", type=int, default=3, help="imports per file (median reported)")
    parser.add_argument(
        "--engines",
        default="sqlite",
        help="comma-separated: sqlite, postgresql (superuser), postgresql-plain-role (checks on)",
    )
    parser.add_argument("--no-sync", action="store_true", help="skip the no-op sync figure")
    parser.add_argument("--child", nargs=3, metavar=("PATH", "FORMAT", "DB"))
    args = parser.parse_args()
    if args.child:
        child_import(*args.child)
        return
    engines = [e.strip() for e in args.engines.split(",") if e.strip()]
    if "postgresql" in engines and "postgresql-plain-role" not in engines:
        engines.append("postgresql-plain-role")
    results: dict = {}
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d)
        files = [("import_75k", SQLITE_75K, "lastfm-sqlite")]
        if not args.quick:
            big = tmp / "million.csv"
            t0 = time.perf_counter()
            build_million(big)
            print(f"built 1M-row file in {time.perf_counter() - t0:.1f}s ({big.stat().st_size / 1e6:.0f} MB)")
            files.append(("import_1m", big, "lastfm-ghan"))
        results.update(engine_imports(engines, files, tmp, args.repeat))
        if "import_1m" in results:
            r1m = results["import_1m"]
            print(f"sessionize {r1m['plays']:,} plays in {r1m['sessionize_s']} s")
        if not args.no_sync:
            results["sync"] = bench_noop_sync(tmp)
            print(
                f"no-op sync: {results['sync']['noop_sync_s_median']} s median "
                f"({results['sync']['requests_per_noop_sync']} request)"
            )
    name = "foundation" if engines == ["sqlite"] else "foundation-engines"
    print(f"saved {save(name, results)}")


if __name__ == "__main__":
    main()
