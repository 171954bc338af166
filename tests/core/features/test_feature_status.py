"""``segue features status --account NAME --json`` over the real erzadel history."""

from __future__ import annotations

import json

from featurestore_helpers import DATA_BY_ARTIST, EDELGRACE, HIT_00S
from sqlalchemy import func, select

from core.cli import main
from core.features.tables import import_table
from core.jobs import run_job
from core.store.schema import FeatureStatus, Scrobble

BUCKETS = {"ok", "missing", "error", "pending"}


def _status(erz_store, capsys) -> dict:
    assert main(["--db", erz_store.url, "features", "status", "--account", "erzadel", "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def test_status_shape_before_anything_was_fetched(erz_store, capsys):
    report = _status(erz_store, capsys)
    with erz_store.engine.connect() as conn:
        distinct = conn.execute(select(func.count(func.distinct(Scrobble.track_id)))).scalar_one()
    assert report["tracks"] == distinct == 8339
    mods = report["modalities"]
    assert {"tags", "lyrics", "audio"} <= set(mods)
    for counts in mods.values():
        assert set(counts) == BUCKETS and sum(counts.values()) == distinct
    assert mods["lyrics"] == {"ok": 0, "missing": 0, "error": 0, "pending": distinct}


def test_status_counts_after_tables(erz_store, capsys):
    run_job(import_table(erz_store, EDELGRACE / "lyrics.csv", "lyrics", account="erzadel"))
    run_job(import_table(erz_store, HIT_00S, "audio", account="erzadel"))
    run_job(import_table(erz_store, DATA_BY_ARTIST, "audio", account="erzadel"))
    run_job(import_table(erz_store, EDELGRACE / "artists.csv", "tags", account="erzadel"))
    with erz_store.engine.begin() as conn:  # a provider's verdicts for two tracks
        conn.execute(
            FeatureStatus.__table__.insert(),
            [
                {
                    "item_kind": "track",
                    "item_id": 1,
                    "modality": "tags",
                    "provider": "lastfm",
                    "status": "missing",
                    "reason": "no tags",
                    "fetched_at": 1,
                    "attempts": 1,
                },
                {
                    "item_kind": "track",
                    "item_id": 2,
                    "modality": "tags",
                    "provider": "lastfm",
                    "status": "error",
                    "reason": "retry later: 503",
                    "fetched_at": 1,
                    "attempts": 1,
                },
            ],
        )
    report = _status(erz_store, capsys)
    n = report["tracks"]
    mods, fb = report["modalities"], report["with_artist_fallback"]
    assert mods["lyrics"]["ok"] == 226
    assert mods["audio"]["ok"] == 235  # track-level rows only
    assert mods["tags"] == {"ok": 0, "missing": 1, "error": 1, "pending": n - 2}
    # with the artist rows (data_by_artist, table means, artist tag lists) far more tracks are covered
    assert fb["audio"]["ok"] > 3 * mods["audio"]["ok"]
    assert fb["tags"]["ok"] > n // 2
    assert sum(fb["tags"].values()) == n
    assert set(report["embeddings"]) == {"lyrics", "bio", "tags", "audio", "w2v"}


def test_status_text_and_unknown_account(erz_store, capsys):
    assert main(["--db", erz_store.url, "features", "status", "--account", "erzadel"]) == 0
    assert "8,339 distinct tracks" in capsys.readouterr().out
    assert main(["--db", erz_store.url, "features", "status", "--account", "nobody", "--json"]) == 2
