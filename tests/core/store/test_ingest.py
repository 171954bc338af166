"""Import semantics end to end on real files: idempotence, cross-source dedupe, bad rows, rollback.

Tests marked ``engines`` run on SQLite and on PostgreSQL."""

from __future__ import annotations

import csv
import json

import pytest
from sqlalchemy import func, select
from testpaths import LISTENING

from core.jobs import run_job
from core.sources.importers import ImportOptions, iter_records
from core.sources.importing import import_files
from core.sources.records import ImportSummary, PlayBlock, PlayRecord, SkippedRow
from core.store.catalog import get_or_create_account
from core.store.ingest import Ingestor
from core.store.queries import account_by_name, load_plays
from core.store.schema import Scrobble, Skip

ALEEX = LISTENING / "lastfm-exports" / "aleex-cs__aleex_cs.csv"
SPOTIFY_BASIC = LISTENING / "spotify" / "jonas-mika-basic"


def count(store, table=Scrobble) -> int:
    with store.engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


@pytest.mark.engines
def test_reimporting_the_same_file_adds_nothing(store, shared):
    first = run_job(import_files(store, [ALEEX], "aleex"))
    assert first.ok and first.files[0].added == 6001 - first.files[0].duplicates - sum(
        first.files[0].skipped.values()
    )
    again = run_job(import_files(store, [ALEEX], "aleex"))
    assert again.files[0].added == 0
    assert again.files[0].duplicates == first.files[0].added + first.files[0].duplicates
    assert count(store) == first.files[0].added


def _lastfm_rows(n: int = 400) -> list[dict]:
    with ALEEX.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))[:n]


@pytest.mark.engines
@pytest.mark.parametrize("n", [400, 4000], ids=["small-batch", "large-batch"])
def test_overlapping_files_from_two_sources_do_not_double_count(store, tmp_path, shared, n):
    """A Spotify extended export of the same real listening (end time = start + 3 min, a few s of drift).
    4000 rows crosses Ingestor's large-batch path (other sources looked up once, then range-scanned)."""
    rows = _lastfm_rows(n)
    spotify = [
        {
            "ts": _iso(int(r["uts"]) + 180 + 3),
            "ms_played": 180_000,
            "master_metadata_track_name": r["track"],
            "master_metadata_album_artist_name": r["artist"],
            "master_metadata_album_album_name": r["album"],
            "spotify_track_uri": "spotify:track:x",
            "episode_name": None,
            "episode_show_name": None,
            "audiobook_title": None,
            "platform": "linux",
            "reason_start": "trackdone",
            "reason_end": "trackdone",
            "shuffle": False,
            "skipped": None,
            "offline": False,
        }
        for r in rows
    ]
    path = tmp_path / "Streaming_History_Audio_2025.json"
    path.write_text(json.dumps(spotify), encoding="utf-8")
    cut = tmp_path / "aleex_cut.csv"
    with cut.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    a = run_job(import_files(store, [cut], "me"))
    b = run_job(import_files(store, [path], "me"))
    assert a.files[0].format == "lastfm-ghan" and b.files[0].format == "spotify-extended"
    assert b.files[0].added == 0 and b.files[0].duplicates == len(rows)
    assert count(store) == a.files[0].added


def _iso(ts: int) -> str:
    from datetime import UTC, datetime

    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_minute_resolution_source_dedupes_within_a_minute(store, tmp_path, shared):
    rows = _lastfm_rows(50)
    basic = [
        {
            "endTime": _iso(int(r["uts"]) + 200)[:16].replace("T", " "),
            "artistName": r["artist"],
            "trackName": r["track"],
            "msPlayed": 200_000,
        }
        for r in rows
    ]
    path = tmp_path / "StreamingHistory0.json"
    path.write_text(json.dumps(basic), encoding="utf-8")
    cut = tmp_path / "cut.csv"
    with cut.open("w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=list(rows[0]))
        w.writeheader()
        w.writerows(rows)
    run_job(import_files(store, [path], "me"))
    report = run_job(import_files(store, [cut], "me"))
    assert report.files[0].added == 0, "Last.fm plays within a minute of the Spotify (minute-resolution) ones"


@pytest.mark.engines
def test_impossible_timestamps_are_reported_and_skipped(store, shared):
    path = LISTENING / "lastfm-exports" / "krishkumar__lastfm_scrobbles.csv"
    report = run_job(import_files(store, [path], "krish"))
    s = report.files[0]
    assert s.skipped.get("bad_timestamp") == 643
    assert s.skipped_lines["bad_timestamp"][0] > 1
    frame = load_plays(store.engine, account_by_name(store.engine, "krish").id)
    assert frame.played_at.min() >= 946_684_800


def test_future_timestamp_is_skipped(store, tmp_path):
    path = tmp_path / "future.csv"
    path.write_text(
        "uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid\n"
        '4102444800,"01 Jan 2100, 00:00",A,,B,,C,\n'
        '1700000000,"14 Nov 2023, 22:13",A,,B,,D,\n',
        encoding="utf-8",
    )
    report = run_job(import_files(store, [path], "me"))
    assert report.files[0].skipped == {"bad_timestamp": 1} and report.files[0].added == 1


@pytest.mark.engines
def test_timestamp_beyond_int64_is_skipped_not_a_crash(store, tmp_path):
    path = tmp_path / "huge.csv"
    path.write_text(
        "uts,utc_time,artist,artist_mbid,album,album_mbid,track,track_mbid\n"
        f'{10**30},"01 Jan 2100, 00:00",A,,B,,C,\n'
        '1700000000,"14 Nov 2023, 22:13",A,,B,,D,\n',
        encoding="utf-8",
    )
    report = run_job(import_files(store, [path], "me"))
    assert report.files[0].skipped == {"bad_timestamp": 1} and report.files[0].added == 1
    assert report.files[0].skipped_lines["bad_timestamp"] == [2]


@pytest.mark.engines
def test_truncated_file_leaves_the_store_unchanged(store, tmp_path, shared):
    run_job(import_files(store, [ALEEX], "me"))
    before = count(store)
    text = (SPOTIFY_BASIC / "StreamingHistory5.json").read_text(encoding="utf-8")
    bad = tmp_path / "StreamingHistory9.json"
    bad.write_text(text[: len(text) * 2 // 3], encoding="utf-8")
    report = run_job(import_files(store, [bad], "me"))
    assert not report.ok and report.failures[0].path.endswith("StreamingHistory9.json")
    assert report.failures[0].line is not None
    assert count(store) == before and count(store, Skip) == 0


@pytest.mark.engines
def test_spotify_short_plays_are_skips_not_scrobbles(store, shared):
    report = run_job(import_files(store, [SPOTIFY_BASIC / "StreamingHistory5.json"], "spot"))
    s = report.files[0]
    assert 0 < s.skips_stored == count(store, Skip) <= s.skipped["short_play"]  # same-second repeats collapse
    assert s.skipped.get("podcast", 0) > 0
    assert count(store) == s.added


@pytest.mark.parametrize(
    "name", ["djivs__scrobbles.csv", "dudu2i3__scrobbles.csv", "felhag__lastfmstats-TestUser.json"]
)
def test_real_exports_import_completely(store, name, shared):
    report = run_job(import_files(store, [LISTENING / "lastfm-exports" / name], "x"))
    s = report.files[0]
    assert report.ok and s.added > 1000
    assert s.read == s.added + s.duplicates + sum(s.skipped.values())


def _stored(store, account: str) -> list[tuple]:
    with store.engine.connect() as conn:
        return conn.exec_driver_sql(
            "SELECT ar.name, t.name, al.name, s.played_at, s.source FROM scrobble s JOIN account a ON a.id = s.account_id "
            "JOIN track t ON t.id = s.track_id JOIN artist ar ON ar.id = t.artist_id "
            "LEFT JOIN album al ON al.id = s.album_id WHERE a.name = ? ORDER BY s.played_at, t.name",
            (account,),
        ).all()


def _ingest(store, account: str, stream) -> ImportSummary:
    summary = ImportSummary("test", "test")
    with store.engine.begin() as conn:
        acc = get_or_create_account(conn, account)
        for _ in Ingestor(conn, acc, "test", now=1_800_000_000, batch_size=50).run(stream, summary):
            pass
    return summary


def test_a_block_of_columns_stores_exactly_what_its_rows_store(store, shared):
    """PlayBlock (the SQLite importer's bulk path) against the same plays one by one, mixed with
    single records and skipped rows, across batch boundaries, with two impossible timestamps inside."""
    _, stream = iter_records(ALEEX, options=ImportOptions())
    plays = [r for r in stream if type(r) is PlayRecord][:300]
    plays[150] = plays[150]._replace(played_at=12)
    plays[151] = plays[151]._replace(played_at=1_900_000_000)
    head, middle, tail = plays[:70], plays[70:260], plays[260:]
    block = PlayBlock(*(list(col) for col in zip(*middle, strict=True)))
    skipped = SkippedRow("empty_name", 9999)
    by_rows = _ingest(store, "rows", [*head, skipped, *middle, *tail])
    by_block = _ingest(store, "block", [*head, skipped, block, *tail])
    assert _stored(store, "block") == _stored(store, "rows")
    for s in (by_rows, by_block):
        assert s.read == 301 and s.skipped == {"empty_name": 1, "bad_timestamp": 2}
    assert by_block.skipped_lines == by_rows.skipped_lines
    assert (by_block.added, by_block.duplicates, by_block.first, by_block.last) == (
        by_rows.added,
        by_rows.duplicates,
        by_rows.first,
        by_rows.last,
    )
    assert list(block.records()) == middle


ORPHANS = """
SELECT count(*) FROM scrobble s LEFT JOIN track t ON t.id = s.track_id LEFT JOIN album al ON al.id = s.album_id
LEFT JOIN account a ON a.id = s.account_id
WHERE t.id IS NULL OR a.id IS NULL OR (s.album_id IS NOT NULL AND al.id IS NULL)
"""


@pytest.mark.engines
def test_bulk_import_leaves_foreign_keys_checked_and_satisfied(store, tmp_path, shared):
    """Imports write with the per-row foreign-key checks off; afterwards every pooled connection
    checks them again, after a failed import too, and the rows satisfy them."""
    run_job(import_files(store, [ALEEX], "me"))
    bad = tmp_path / "StreamingHistory9.json"
    text = (SPOTIFY_BASIC / "StreamingHistory5.json").read_text(encoding="utf-8")
    bad.write_text(text[: len(text) // 2], encoding="utf-8")
    assert not run_job(import_files(store, [bad], "me")).ok
    sqlite = store.engine.dialect.name == "sqlite"
    with store.engine.connect() as conn:
        if sqlite:
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").all() == []
        else:
            assert conn.exec_driver_sql("SHOW session_replication_role").scalar() == "origin"
        assert conn.exec_driver_sql(ORPHANS).scalar() == 0
    with store.engine.connect() as conn, pytest.raises(Exception, match="FOREIGN KEY|foreign key"):
        conn.exec_driver_sql(
            "INSERT INTO scrobble (account_id, track_id, played_at, source, precision_s) "
            "VALUES (1, 999999, 1700000000, 'x', 1)"
        )
