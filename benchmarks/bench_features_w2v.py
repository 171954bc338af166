"""Issue 4: Word2Vec (gensim CBOW, 150-d, window 5, 10 epochs) on the 75k-play account, 2 cores.

    python -m benchmarks.bench_features_w2v

Imports spacedlevo's Last.fm SQLite export (75,246 scrobbles) into a throwaway store, then times
(1) reading plays + sessionizing (2 h gap), (2) training alone with 1 and 2 gensim workers, and
(3) the whole ``build_w2v`` job (train + store every vector), and its no-op rerun (input unchanged).
Results: bench-results/features_w2v.json.
"""

from __future__ import annotations

import os
import tempfile
import time

from benchmarks.common import LISTENING, save

HISTORY = LISTENING / "lastfm-exports" / "spacedlevo__lastfmscrobbles.sqlite"


def main() -> None:
    tmp = tempfile.mkdtemp(prefix="segue-bench-w2v-")
    os.environ["SEGUE_HOME"] = tmp
    from core.features.embeddings.w2v import account_sessions, build_w2v, train_word2vec
    from core.jobs import run_job
    from core.sources.importing import import_files
    from core.store.engine import open_store

    store = open_store(f"sqlite:///{tmp}/bench.sqlite")
    assert run_job(import_files(store, [HISTORY], "spacedlevo", fmt="lastfm-sqlite")).ok
    t = time.perf_counter()
    sessions = account_sessions(store.engine, 1, 7200)
    sess_s = time.perf_counter() - t
    plays = sum(len(s) for s in sessions)
    out = {
        "plays_after_collapse": plays,
        "sessions": len(sessions),
        "sessions_ge2": sum(len(s) >= 2 for s in sessions),
        "read_and_sessionize_s": round(sess_s, 2),
    }
    for workers in (1, 2):
        import gensim  # noqa: F401 - imported before timing

        t = time.perf_counter()
        ids, _ = train_word2vec(sessions, workers=workers)
        out[f"train_s_workers{workers}"] = round(time.perf_counter() - t, 2)
    out["vectors"] = int(len(ids))
    t = time.perf_counter()
    first = run_job(build_w2v(store, 1, gap_s=7200))
    out["build_job_s"] = round(time.perf_counter() - t, 2)
    t = time.perf_counter()
    again = run_job(build_w2v(store, 1, gap_s=7200))
    out["noop_rerun_s"] = round(time.perf_counter() - t, 2)
    assert first["computed"] == len(ids) and again["computed"] == 0
    print(
        f"spacedlevo: {plays:,} plays in {len(sessions):,} sessions (read+sessionize {sess_s:.2f} s); "
        f"train {out['train_s_workers1']} s (1 worker) / {out['train_s_workers2']} s (2 workers) for "
        f"{len(ids):,} track vectors; whole job {out['build_job_s']} s; unchanged rerun {out['noop_rerun_s']} s"
    )
    print(f"saved {save('features_w2v', out)}")


if __name__ == "__main__":
    main()
