"""Issue 13 part 1, end to end: one real Last.fm history, nothing else, and the catalogue it gets —
through the fake Last.fm / ListenBrainz / MusicBrainz servers, and with no network from the open tables.

    python -m benchmarks.bench_catalogue_live                # krishkumar, service limits x10
    python -m benchmarks.bench_catalogue_live --scale 1      # the real limits (about 6 minutes)
    python -m benchmarks.bench_catalogue_live --offline-only

Phase "live": a store holding only the listener's history (imported with ``segue import``) and the
HetRec 2011 artist tags (``segue features import``, so the listener's artists have tags to seed
``tag.getTopTracks`` with). The fakes answer from a ``DiscoveryWorld`` built by co-listening from the
OTHER real histories in ../shared (spacedlevo, aleex-cs, djivs, dudu2i3, felhag, Last.fm-1K sample),
so "similar" is what other real listeners played together and nothing in the world comes from this
listener. ``segue catalogue refresh`` then runs as a user would (a child process, the API roots
pointed at the fakes through SEGUE_* variables), with every service's limit multiplied by
``--scale`` on both sides (the client's limiter and the fake's own "slow down" answer). Reported:
``segue catalogue status --json``, candidates not heard, requests per service and the busiest second.

Phase "offline": a fresh store with the same history, the open audio and lyrics tables imported with
``segue features import``, and every API root pointed at a port nobody listens on: the catalogue comes
from ``local.tables`` alone, and the live sources report that they could not connect.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from benchmarks.common import LISTENING, ROOT, SHARED, save

sys.path.insert(0, str(ROOT / "tests"))

FEATURES = SHARED / "data" / "features"
LISTENER = LISTENING / "lastfm-exports" / "krishkumar__lastfm_scrobbles.csv"
WORLD = [
    LISTENING / "lastfm-exports" / "spacedlevo__lastfmscrobbles.sqlite",
    LISTENING / "lastfm-exports" / "aleex-cs__aleex_cs.csv",
    LISTENING / "lastfm-exports" / "djivs__scrobbles.csv",
    LISTENING / "lastfm-exports" / "dudu2i3__scrobbles.csv",
    LISTENING / "lastfm-exports" / "felhag__lastfmstats-TestUser.json",
    LISTENING / "lastfm-1k-sample",
]
HETREC = FEATURES / "tags" / "hetrec2011-lastfm-2k"
TABLES = [
    ("audio", FEATURES / "audio" / "spotify-hit-predictor"),
    ("audio", FEATURES / "audio" / "spotify-top-hits-2000-2019" / "songs_normalize.csv"),
    ("audio", FEATURES / "audio" / "musicoset" / "musicoset_songfeatures" / "acoustic_features.csv"),
    ("lyrics", FEATURES / "lyrics" / "lyrics-song-lyrics-dataset-21-artists"),
    ("lyrics", FEATURES / "lyrics" / "lyrics-poplyrics-1k" / "poplyric-1k.parquet"),
]
REAL_RATES = {"lastfm": 4.0, "listenbrainz": 1.0, "musicbrainz": 1.0}


def segue(home: Path, db: str, *args: str, env: dict | None = None) -> dict | None:
    """Run ``segue ARGS --json`` as a user would; returns the JSON it printed (None without --json)."""
    full = dict(os.environ, SEGUE_HOME=str(home), SEGUE_KEYRING="file", **(env or {}))
    out = subprocess.run(
        [sys.executable, "-m", "app", "--db", db, *args], cwd=ROOT, env=full, capture_output=True, text=True
    )
    if out.returncode != 0:
        raise SystemExit(f"segue {' '.join(args)} failed ({out.returncode}):\n{out.stderr}")
    return json.loads(out.stdout) if "--json" in args else None


def fresh_store(folder: Path) -> tuple[Path, str]:
    folder.mkdir(parents=True, exist_ok=True)
    home = folder / "home"
    home.mkdir(exist_ok=True)
    db = f"sqlite:///{folder / 'segue.sqlite'}"
    segue(home, db, "import", str(LISTENER), "--account", "listener", "--json")
    return home, db


def settings_with_rates(home: Path, scale: float) -> None:
    rates = {k: v * scale for k, v in REAL_RATES.items()}
    (home / "settings.json").write_text(
        json.dumps({"extra": {"feature_rates": rates}, "feature_rates": rates})
    )


def unheard_candidates(db: str) -> dict:
    import numpy as np

    from core.catalogue import load_catalogue
    from core.store.catalog import find_account
    from core.store.engine import open_store

    store = open_store(db)
    with store.engine.connect() as conn:
        account = find_account(conn, "listener")
        played = {t for (t,) in conn.exec_driver_sql("SELECT DISTINCT track_id FROM scrobble")}
    t0 = time.perf_counter()
    cat = load_catalogue(store.engine, account)
    load_ms = (time.perf_counter() - t0) * 1000
    store.dispose()
    assert not (set(cat.track_ids.tolist()) & played), "a candidate the listener played"
    return {
        "candidates": len(cat),
        "by_a_known_artist": int(cat.artist_heard.sum()),
        "by_a_new_artist": int((~cat.artist_heard).sum()),
        "new_artists": int(np.unique(cat.artist_ids[~cat.artist_heard]).size),
        "per_source": {k: len(v) for k, v in cat.sources.items()},
        "artist_edges": len(cat.artist_edges),
        "load_ms": round(load_ms, 1),
    }


def live(folder: Path, scale: float) -> dict:
    from fakes.discovery_world import DiscoveryWorld
    from fakes.lastfm_server import FakeLastfm
    from fakes.listenbrainz_server import FakeListenBrainz, segue_env
    from fakes.musicbrainz_server import FakeMusicBrainz, artists_from_world

    from core.features.table_readers import read_hetrec

    t0 = time.perf_counter()
    tags = {row.artists[0]: sorted(row.values["tags"], key=lambda t: -row.values["tags"][t])[:5]
            for row in read_hetrec(HETREC).rows}  # fmt: skip
    world = DiscoveryWorld.from_files(WORLD, artist_tags=tags)
    world_s = time.perf_counter() - t0
    home, db = fresh_store(folder)
    segue(home, db, "features", "import", str(HETREC), "--kind", "tags", "--json")
    settings_with_rates(home, scale)
    rates = {k: v * scale for k, v in REAL_RATES.items()}
    with (
        FakeLastfm(world=world, rate_limit=rates["lastfm"]) as fm,
        FakeListenBrainz(world, rate_limit=rates["listenbrainz"], rate_window=1.0) as lb,
        FakeMusicBrainz(artists=artists_from_world(world), rate_limit=rates["musicbrainz"]) as mb,
    ):
        env = segue_env(fm, lb, mb)
        t0 = time.perf_counter()
        refresh = segue(home, db, "catalogue", "refresh", "--account", "listener", "--json", env=env)
        refresh_s = time.perf_counter() - t0
        status = segue(home, db, "catalogue", "status", "--account", "listener", "--json", env=env)
        requests = {
            "lastfm": {"count": fm.count(), "busiest_second": fm.max_requests_in(1.0), "limit": rates["lastfm"],
                       "refused": sum(1 for r in fm.requests if r.status == 429)},
            "listenbrainz": {"count": lb.count(), "busiest_second": lb.max_requests_in(1.0),
                             "limit": rates["listenbrainz"], "refused": sum(1 for r in lb.requests if r.status == 429)},
            "musicbrainz": {"count": mb.count(), "busiest_second": mb.max_requests_in(1.0),
                            "limit": rates["musicbrainz"], "refused": sum(1 for r in mb.requests if r.status == 503)},
        }  # fmt: skip
        t0 = time.perf_counter()
        again = segue(home, db, "catalogue", "refresh", "--account", "listener", "--json", env=env)
        again_s = time.perf_counter() - t0
        requests_again = fm.count() + lb.count() + mb.count() - sum(r["count"] for r in requests.values())
    return {
        "world": {
            "artists": len(world.artists),
            "built_s": round(world_s, 1),
            "from": [p.name for p in WORLD],
        },
        "refresh_s": round(refresh_s, 1),
        "refresh": refresh,
        "requests": requests,
        "second_refresh_s": round(again_s, 1),
        "second_refresh_requests": requests_again,
        "second_refresh_due": {k: v["due"] for k, v in again["sources"].items()},
        "status": status,
        "catalogue": unheard_candidates(db),
    }


def offline(folder: Path) -> dict:
    from fakes.http_fake import unused_port

    home, db = fresh_store(folder)
    t0 = time.perf_counter()
    for kind, path in TABLES:
        segue(home, db, "features", "import", str(path), "--kind", kind, "--json")
    import_s = time.perf_counter() - t0
    dead = f"http://127.0.0.1:{unused_port()}/"
    env = {
        "SEGUE_LASTFM_API_KEY": "0123456789abcdef0123456789abcdef",
        "SEGUE_LASTFM_API_ROOT": dead,
        "SEGUE_LISTENBRAINZ_ROOT": dead,
        "SEGUE_LISTENBRAINZ_LABS_ROOT": dead,
        "SEGUE_MUSICBRAINZ_ROOT": dead,
    }
    t0 = time.perf_counter()
    refresh = segue(home, db, "catalogue", "refresh", "--account", "listener", "--json", env=env)
    refresh_s = time.perf_counter() - t0
    status = segue(home, db, "catalogue", "status", "--account", "listener", "--json", env=env)
    return {
        "tables_import_s": round(import_s, 1),
        "refresh_s": round(refresh_s, 1),
        "stopped": {k: v["stopped"] for k, v in refresh["sources"].items() if v["stopped"]},
        "status": status,
        "catalogue": unheard_candidates(db),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--scale", type=float, default=10.0, help="multiply every service's rate limit")
    ap.add_argument("--offline-only", action="store_true")
    ap.add_argument("--live-only", action="store_true")
    args = ap.parse_args()
    result: dict = {"listener": LISTENER.name, "scale": args.scale}
    with tempfile.TemporaryDirectory(prefix="bench-catalogue-live-") as tmp:
        if not args.offline_only:
            result["live"] = live(Path(tmp) / "live", args.scale)
        if not args.live_only:
            result["offline"] = offline(Path(tmp) / "offline")
    result["load_avg_1m_after"] = round(os.getloadavg()[0], 2)
    path = save("catalogue_live", result)
    print(json.dumps(result, indent=1))
    print(f"saved {path}")


if __name__ == "__main__":
    main()
