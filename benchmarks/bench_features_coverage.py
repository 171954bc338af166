"""Issue 4: feature coverage of the real histories joined with the real feature tables.

    python -m benchmarks.bench_features_coverage

Every listener in ../shared/data/listening is imported into one throwaway store, then every feature
table in ../shared/data/features (and edelgrace's lyrics and artist tags) is imported with
``core.features.tables.import_table`` — matched against all stored tracks, exactly like
``segue features import``. Per listener and modality it reports the share of distinct tracks and of
plays covered at track level and with the artist-level fallback (artist tables, artist tag lists and
the per-artist means of track tables). Results: bench-results/features_coverage.json.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections import defaultdict

import numpy as np

from benchmarks.common import LISTENING, SHARED, save
from models.features import shared_feature_tables

LISTENERS = {
    "spacedlevo": [LISTENING / "lastfm-exports" / "spacedlevo__lastfmscrobbles.sqlite"],
    "jonas-mika": [LISTENING / "spotify" / "jonas-mika-basic"],
    "erzadel": [LISTENING / "edelgrace" / "erzadel_cleaned.csv"],
    "krishkumar": [LISTENING / "lastfm-exports" / "krishkumar__lastfm_scrobbles.csv"],
    "menisadi": [LISTENING / "spotify" / "menisadi-extended-csv" / "spotify_from_extened_data_2025_raw.csv"],
    "djivs": [LISTENING / "lastfm-exports" / "djivs__scrobbles.csv"],
    "dudu2i3": [LISTENING / "lastfm-exports" / "dudu2i3__scrobbles.csv"],
    "aleex-cs": [LISTENING / "lastfm-exports" / "aleex-cs__aleex_cs.csv"],
    "felhag": [LISTENING / "lastfm-exports" / "felhag__lastfmstats-TestUser.json"],
    "lastfm-1k": [
        LISTENING / "lastfm-1k-sample" / "userid-timestamp-artid-artname-traid-traname.user_000001_head.tsv"
    ],
}
TABLES = shared_feature_tables(SHARED)
MODALITIES = ("audio", "lyrics", "tags")


def _ok_sets(engine) -> dict[tuple[str, str], set[int]]:
    from sqlalchemy import select

    from core.store.schema import FeatureStatus

    out: dict[tuple[str, str], set[int]] = defaultdict(set)
    with engine.connect() as conn:
        for m, kind, item in conn.execute(
            select(FeatureStatus.modality, FeatureStatus.item_kind, FeatureStatus.item_id).where(
                FeatureStatus.status == "ok"
            )
        ):
            out[(m, kind)].add(int(item))
    return out


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="segue-bench-cov-")
    os.environ["SEGUE_HOME"] = tmp
    from sqlalchemy import select

    from core.features.tables import import_table
    from core.jobs import run_job
    from core.sources.importing import import_files
    from core.store.engine import open_store
    from core.store.schema import Account, Scrobble, Track

    store = open_store(f"sqlite:///{tmp}/bench.sqlite")
    t0 = time.perf_counter()
    for name, files in LISTENERS.items():
        report = run_job(import_files(store, files, name))
        assert report.ok, report.failures
    history_s = time.perf_counter() - t0
    tables = []
    t0 = time.perf_counter()
    for path, kind in TABLES:
        t = time.perf_counter()
        s = run_job(import_table(store, path, kind))
        tables.append(
            {
                "table": str(path.relative_to(SHARED)),
                "kind": kind,
                "level": s.level,
                "rows": s.rows,
                "matched_tracks": s.matched_tracks,
                "matched_artists": s.matched_artists,
                "written": s.written,
                "empty": s.empty,
                "repaired": s.repaired,
                "seconds": round(time.perf_counter() - t, 2),
            }
        )
    tables_s = time.perf_counter() - t0
    ok = _ok_sets(store.engine)
    listeners = {}
    with store.engine.connect() as conn:
        accounts = conn.execute(select(Account.id, Account.name).order_by(Account.id)).all()
        for acc_id, name in accounts:
            rows = np.array(
                conn.execute(
                    select(Scrobble.track_id, Track.artist_id)
                    .join(Track, Track.id == Scrobble.track_id)
                    .where(Scrobble.account_id == acc_id)
                ).all(),
                np.int64,
            )
            plays_t, plays_a = rows[:, 0], rows[:, 1]
            tracks, first = np.unique(plays_t, return_index=True)
            t_art = plays_a[first]
            entry = {"plays": int(len(rows)), "tracks": int(len(tracks))}
            for m in MODALITIES:
                tr_ok = np.isin(tracks, list(ok[(m, "track")]))
                fb_ok = tr_ok | (np.isin(t_art, list(ok[(m, "artist")])) if m != "lyrics" else tr_ok)
                p_tr = np.isin(plays_t, list(ok[(m, "track")]))
                p_fb = p_tr | (np.isin(plays_a, list(ok[(m, "artist")])) if m != "lyrics" else p_tr)
                entry[m] = {
                    "tracks_track_level": round(float(tr_ok.mean()), 4),
                    "tracks_with_artist": round(float(fb_ok.mean()), 4),
                    "plays_track_level": round(float(p_tr.mean()), 4),
                    "plays_with_artist": round(float(p_fb.mean()), 4),
                }
            listeners[name] = entry
    print(f"histories imported in {history_s:.1f} s; {len(tables)} tables imported in {tables_s:.1f} s")
    for t in tables:
        print(
            f"  {t['table'][-60:]:60s} {t['kind']:6s} {t['level']:6s} rows {t['rows']:6,} "
            f"tracks {t['matched_tracks']:5,} artists {t['matched_artists']:5,} ({t['seconds']} s)"
        )
    print(
        f"\n{'listener':11s} {'plays':>7s} {'tracks':>7s}  "
        + "  ".join(f"{m + ' trk/art (plays trk/art)':>32s}" for m in MODALITIES)
    )
    for name, e in listeners.items():
        cells = []
        for m in MODALITIES:
            c = e[m]
            cells.append(
                f"{c['tracks_track_level']:6.1%}/{c['tracks_with_artist']:6.1%} "
                f"({c['plays_track_level']:6.1%}/{c['plays_with_artist']:6.1%})"
            )
        print(f"{name:11s} {e['plays']:7,} {e['tracks']:7,}  " + "  ".join(f"{c:>32s}" for c in cells))
    print(
        f"saved {save('features_coverage', {'history_import_s': round(history_s, 1), 'tables_import_s': round(tables_s, 1), 'tables': tables, 'listeners': listeners})}"
    )


if __name__ == "__main__":
    main()
