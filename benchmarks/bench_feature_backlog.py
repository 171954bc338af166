"""Issue 4: a feature backlog of 10k tracks against the fake services, within their rate limits, and
resuming after SIGKILL without refetching what was stored.

    python -m benchmarks.bench_feature_backlog                 # 10k tracks, limits scaled x100
    python -m benchmarks.bench_feature_backlog --tracks 2000 --scale 50 --kill-at 0.4

How it works.  The fake Last.fm, LRCLIB, MusicBrainz and Cover Art Archive servers run in this process
over a synthetic catalogue (10k tracks, 1,250 artists, 2,500 albums; about half the tracks have their
own tags, 60% have lyrics, 70% a MusicBrainz recording, 75% of those albums a cover).  The backlog job
runs in a child process (``--worker``) against a real SQLite store, exactly as ``segue features fetch``
would.  Rate limits are the real ones multiplied by ``--scale`` (Last.fm 4/s, LRCLIB 2/s — ours, it
publishes none —, MusicBrainz 1/s, Cover Art Archive 1/s; x100 turns 2.8 hours of MusicBrainz into
100 s) and are enforced on BOTH sides: the client's limiter uses the scaled rate and each fake answers
its real "slow down" reply (Last.fm error 29, LRCLIB 429, MusicBrainz 503, CAA 503) beyond it.  The
run respects the limits when no fake had to refuse a request and the busiest 1-second window of each
service holds at most its limit; the wall time must be at least the minimum the limits allow
(requests / rate per service; MusicBrainz then Cover Art Archive share one thread, the services run in
parallel).

Phase 2 copies nothing: a fresh store, the same backlog, SIGKILL when ``--kill-at`` of the items are
done, a snapshot of which items were stored, then a rerun to completion.  Every request of the rerun is
checked against the snapshot: a request for an item that was stored before the kill is a refetch (must
be 0); requests for items that were in flight when the process died are counted separately.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from pathlib import Path

from benchmarks.common import ROOT, save

sys.path.insert(0, str(ROOT / "tests"))

REAL_RATES = {"lastfm": 4.0, "lrclib": 2.0, "musicbrainz": 1.0, "coverartarchive": 1.0}
_SYL = [
    "ka",
    "lo",
    "mi",
    "ne",
    "su",
    "ta",
    "ri",
    "po",
    "ve",
    "za",
    "du",
    "fe",
    "gi",
    "ho",
    "ju",
    "ba",
    "co",
    "wy",
    "xe",
    "qu",
]


def word(n: int) -> str:
    """A pronounceable, unique word per integer (names that do not share tokens, like real titles)."""
    out = ""
    n += 400
    while n:
        n, r = divmod(n, len(_SYL))
        out += _SYL[r]
    return out.capitalize()


def catalogue(n_tracks: int) -> list[dict]:
    rows = []
    for i in range(n_tracks):
        a, b = i // 8, i // 4
        rows.append(
            {
                "i": i,
                "artist": f"The {word(100_000 + a)}",
                "artist_i": a,
                "album": word(200_000 + b),
                "album_i": b,
                "track": f"{word(i)} {word(50_000 + i)}",
                "duration_ms": 180_000 + (i % 120) * 1000,
                "recording": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"rec{i}")),
                "release": str(uuid.uuid5(uuid.NAMESPACE_DNS, f"rel{b}")),
            }
        )
    return rows


# ------------------------------------------------------------------------------------------ fakes


def start_fakes(cat: list[dict], scale: float) -> dict:
    from fakes.coverart_server import TINY_JPEG, FakeCoverArt
    from fakes.lastfm_server import FakeLastfm
    from fakes.lrclib_server import FakeLrclib, LrcRecord
    from fakes.musicbrainz_server import FakeMusicBrainz, MbRecording, MbRelease

    artists = {r["artist_i"]: r["artist"] for r in cat}
    fm = FakeLastfm(
        users={"bench": []},
        track_tags={
            (r["artist"], r["track"]): [("rock", 100), (f"tag{r['i'] % 50}", 60)]
            for r in cat
            if r["i"] % 2 == 0
        },
        artist_tags={name: [("indie", 100), (f"scene{a % 20}", 40)] for a, name in artists.items() if a % 5},
        artist_info={
            name: {"bio": f"{name} are a band.\n\nMore about them."} for a, name in artists.items() if a % 3
        },
        rate_limit=REAL_RATES["lastfm"] * scale,
        rate_window=1.0,
    )
    lrc = FakeLrclib(
        [
            LrcRecord(
                r["i"] + 1,
                r["track"],
                r["artist"],
                r["album"],
                r["duration_ms"] / 1000 + (3.5 if r["i"] % 10 == 0 else 0.0),
                instrumental=r["i"] % 25 == 0,
                plainLyrics=None if r["i"] % 25 == 0 else "la la la",
            )
            for r in cat
            if r["i"] % 5 < 3
        ],
        rate_limit=REAL_RATES["lrclib"] * scale,
        rate_window=1.0,
    )
    mb = FakeMusicBrainz(
        [
            MbRecording(
                r["recording"],
                r["track"],
                r["artist"],
                length=r["duration_ms"],
                isrcs=[f"XX{r['i']:010d}"],
                releases=[MbRelease(r["release"], r["album"])],
            )
            for r in cat
            if r["i"] % 10 < 7
        ],
        rate_limit=REAL_RATES["musicbrainz"] * scale,
        rate_window=1.0,
    )
    caa = FakeCoverArt(
        {r["release"]: TINY_JPEG for r in cat if r["album_i"] % 4},
        rate_limit=REAL_RATES["coverartarchive"] * scale,
        rate_window=1.0,
    )
    servers = {"lastfm": fm, "lrclib": lrc, "musicbrainz": mb, "coverartarchive": caa}
    for s in servers.values():
        s.start()
    return servers


def requests_of(servers: dict) -> dict[str, list]:
    """Every request so far: (service, key identifying the item, monotonic time, HTTP status)."""
    from fakes.musicbrainz_server import lucene_terms

    out: dict[str, list] = {}
    out["lastfm"] = [
        ((r.method, r.params.get("artist", ""), r.params.get("track", "")), r.monotonic, r.status)
        for r in servers["lastfm"].requests
    ]
    out["lrclib"] = [
        ((r.query.get("track_name", ""), r.query.get("artist_name", "")), r.monotonic, r.status)
        for r in servers["lrclib"].requests
    ]
    mb = []
    for r in servers["musicbrainz"].requests:
        terms = (
            dict(lucene_terms(r.query.get("query", ""))) if r.path.rstrip("/") == "/ws/2/recording" else {}
        )
        mb.append(((terms.get("recording", r.path), terms.get("artist", "")), r.monotonic, r.status))
    out["musicbrainz"] = mb
    out["coverartarchive"] = [
        ((r.path.split("/")[2],), r.monotonic, r.status)
        for r in servers["coverartarchive"].requests
        if r.path.startswith("/release/")
    ]
    return out


def max_in_window(times: list[float], window: float = 1.0) -> int:
    times = sorted(times)
    best, lo = 0, 0
    for hi, t in enumerate(times):
        while t - times[lo] >= window:
            lo += 1
        best = max(best, hi - lo + 1)
    return best


# ------------------------------------------------------------------------------------------ store


def build_store(db: Path, cat: list[dict]) -> None:
    from core.sources.records import ImportSummary, PlayRecord
    from core.store import open_store
    from core.store.catalog import get_or_create_account
    from core.store.ingest import Ingestor

    store = open_store(f"sqlite:///{db}")
    t0 = 1_600_000_000
    records = [
        PlayRecord(
            r["artist"], r["track"], t0 + 60 * (k * len(cat) + r["i"]), r["album"], None, r["duration_ms"]
        )
        for k in range(2)
        for r in cat
        if k == 0 or r["i"] % 3 == 0
    ]
    with store.engine.begin() as conn:
        aid = get_or_create_account(conn, "bench", now=t0)
        for _ in Ingestor(conn, aid, "bench", now=2_000_000_000).run(
            records, ImportSummary("bench", "bench")
        ):
            pass
    store.dispose()


def snapshot(db: Path) -> dict[str, set]:
    """Stored items by request key (what a refetch would ask for)."""
    con = sqlite3.connect(db)
    try:
        q = (
            "SELECT fs.modality, fs.item_kind, fs.status, a.name, t.name, al.mbid FROM feature_status fs "
            "LEFT JOIN track t ON fs.item_kind = 'track' AND t.id = fs.item_id "
            "LEFT JOIN artist a ON a.id = CASE WHEN fs.item_kind = 'artist' THEN fs.item_id ELSE t.artist_id END "
            "LEFT JOIN album al ON fs.item_kind = 'album' AND al.id = fs.item_id WHERE fs.status != 'pending'"
        )
        out: dict[str, set] = {k: set() for k in REAL_RATES}
        for modality, kind, _status, artist, track, mbid in con.execute(q):
            if modality == "tags" and kind == "track":
                out["lastfm"].add(("track.getTopTags", artist, track))
            elif modality == "tags":
                out["lastfm"].add(("artist.getTopTags", artist, ""))
            elif modality == "bio":
                out["lastfm"].add(("artist.getInfo", artist, ""))
            elif modality == "lyrics":
                out["lrclib"].add((track, artist))
            elif modality == "ids":
                out["musicbrainz"].add((track, artist))
            elif modality == "art" and mbid:
                out["coverartarchive"].add((mbid,))
        return out
    finally:
        con.close()


# ------------------------------------------------------------------------------------------ worker


def worker(db: str, cfg: dict) -> None:
    """The child process: run the backlog, print progress as JSON lines."""
    from core.features.fetch import fetch_features
    from core.features.providers import ProviderConfig
    from core.store import open_store

    store = open_store(f"sqlite:///{db}")
    config = ProviderConfig(**cfg)
    last = 0.0
    job = fetch_features(store, "bench", config=config, concurrent=True, offline_patience_s=5)
    while True:
        try:
            p = next(job)
        except StopIteration as stop:
            print(json.dumps({"summary": stop.value.as_dict()}), flush=True)
            return
        now = time.monotonic()
        if now - last >= 0.5:
            print(json.dumps({"done": p.done, "total": p.total}), flush=True)
            last = now


def run_worker(db: Path, cfg: dict, kill_at: float | None = None) -> dict:
    env = dict(os.environ, SEGUE_HOME=str(db.parent / "home"), SEGUE_KEYRING="file")
    t0 = time.monotonic()
    proc = subprocess.Popen(
        [sys.executable, "-m", "benchmarks.bench_feature_backlog", "--worker", str(db), json.dumps(cfg)],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    result: dict = {"killed": False}
    assert proc.stdout is not None
    for line in proc.stdout:
        msg = json.loads(line)
        if "summary" in msg:
            result["summary"] = msg["summary"]
        elif kill_at is not None and msg.get("total") and msg["done"] >= kill_at * msg["total"]:
            os.kill(proc.pid, signal.SIGKILL)
            result.update(killed=True, done_at_kill=msg["done"], total=msg["total"])
            break
    proc.wait()
    result["seconds"] = round(time.monotonic() - t0, 2)
    result["returncode"] = proc.returncode
    return result


def client_config(servers: dict, scale: float) -> dict:
    from fakes.lastfm_server import DEFAULT_API_KEY

    return {
        "lastfm_api_key": DEFAULT_API_KEY,
        "lastfm_root": servers["lastfm"].url,
        "lrclib_root": servers["lrclib"].root + "/api/",
        "musicbrainz_root": servers["musicbrainz"].url,
        "coverart_root": servers["coverartarchive"].root,
        "lyrics_sources": ["lrclib"],
        "rates": {k: v * scale for k, v in REAL_RATES.items()},
        "timeout": 10.0,
        "attempts": 4,
        "backoff_s": 0.2,
        "lastfm_rate_pause_s": 1.0,
    }


# ------------------------------------------------------------------------------------------ phases


def limits_report(reqs: dict[str, list], scale: float, seconds: float) -> dict:
    out = {}
    min_thread = {}
    for svc, rows in reqs.items():
        rate = REAL_RATES[svc] * scale
        n = len(rows)
        refused = sum(1 for _, _, st in rows if st in (429, 503))  # each fake's "slow down" answer
        out[svc] = {
            "requests": n,
            "limit_per_s": rate,
            "busiest_1s_window": max_in_window([t for _, t, _ in rows]),
            "refused_by_server": refused,
            "min_seconds_at_limit": round(max(0, n - 1) / rate, 2),
            "at_real_limits_hours": round(n / REAL_RATES[svc] / 3600, 2),
        }
    min_thread["lastfm (tags then bios)"] = out["lastfm"]["min_seconds_at_limit"]
    min_thread["lrclib (lyrics)"] = out["lrclib"]["min_seconds_at_limit"]
    min_thread["musicbrainz then coverartarchive (ids, art)"] = round(
        out["musicbrainz"]["min_seconds_at_limit"] + out["coverartarchive"]["min_seconds_at_limit"], 2
    )
    bound = max(min_thread.values())
    return {
        "services": out,
        "min_seconds_per_thread": min_thread,
        "min_seconds_allowed_by_limits": bound,
        "measured_seconds": seconds,
        "respects_limits": all(
            s["refused_by_server"] == 0 and s["busiest_1s_window"] <= s["limit_per_s"] for s in out.values()
        )
        and seconds >= bound,
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tracks", type=int, default=10_000)
    ap.add_argument("--scale", type=float, default=100.0, help="multiply every real rate limit by this")
    ap.add_argument("--kill-at", type=float, default=0.4, help="SIGKILL the second run at this fraction done")
    ap.add_argument("--skip-full", action="store_true", help="only the kill/resume phase")
    ap.add_argument("--worker", nargs=2, metavar=("DB", "CONFIG_JSON"), help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        worker(args.worker[0], json.loads(args.worker[1]))
        return

    cat = catalogue(args.tracks)
    results: dict = {
        "tracks": args.tracks,
        "artists": len({r["artist_i"] for r in cat}),
        "albums": len({r["album_i"] for r in cat}),
        "scale": args.scale,
        "real_rates_per_s": REAL_RATES,
    }
    with tempfile.TemporaryDirectory(prefix="bench-backlog-") as tmp:
        tmp = Path(tmp)
        if not args.skip_full:
            servers = start_fakes(cat, args.scale)
            try:
                db = tmp / "full" / "segue.sqlite"
                db.parent.mkdir()
                build_store(db, cat)
                run = run_worker(db, client_config(servers, args.scale))
                reqs = requests_of(servers)
                results["full_run"] = {
                    "summary": run.get("summary"),
                    **limits_report(reqs, args.scale, run["seconds"]),
                }
                print(json.dumps(results["full_run"], indent=1)[:3000], file=sys.stderr)
            finally:
                for s in servers.values():
                    s.stop()

        servers = start_fakes(cat, args.scale)
        try:
            db = tmp / "kill" / "segue.sqlite"
            db.parent.mkdir()
            build_store(db, cat)
            cfg = client_config(servers, args.scale)
            first = run_worker(db, cfg, kill_at=args.kill_at)
            stored = snapshot(db)
            before = {svc: len(rows) for svc, rows in requests_of(servers).items()}
            second = run_worker(db, cfg)
            reqs = requests_of(servers)
            first_keys = {svc: Counter(k for k, _, _ in rows[: before[svc]]) for svc, rows in reqs.items()}
            refetched_stored: dict[str, int] = {}
            in_flight: dict[str, int] = {}
            for svc, rows in reqs.items():
                again = {k for k, _, _ in rows[before[svc] :]} & set(first_keys[svc])
                refetched_stored[svc] = len(again & stored[svc])
                in_flight[svc] = len(again - stored[svc])
            results["kill_resume"] = {
                "first_run": {k: v for k, v in first.items() if k != "summary"},
                "stored_before_kill": {k: len(v) for k, v in stored.items()},
                "requests_first_run": before,
                "requests_second_run": {svc: len(rows) - before[svc] for svc, rows in reqs.items()},
                "second_run_seconds": second["seconds"],
                "second_run_summary": second.get("summary"),
                "refetched_items_that_were_stored": refetched_stored,
                "refetched_items_in_flight_at_kill": in_flight,
            }
        finally:
            for s in servers.values():
                s.stop()
    path = save("feature_backlog", results)
    print(json.dumps({k: v for k, v in results.items() if k != "full_run"}, indent=1))
    if "full_run" in results:
        fr = results["full_run"]
        print(
            f"full run: {fr['measured_seconds']} s measured, {fr['min_seconds_allowed_by_limits']} s minimum at "
            f"the (x{args.scale:g}) limits; respects limits: {fr['respects_limits']}"
        )
    print(f"results in {path}")


if __name__ == "__main__":
    main()
