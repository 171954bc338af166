"""AcousticBrainz dump import by MusicBrainz recording ID (fixtures in the real dump layout, see SOURCES.md)."""

from __future__ import annotations

import json
import tarfile

import pytest
from features_helpers import items, make_store, statuses
from sqlalchemy import select
from testpaths import FIXTURES

from core.features.providers.acousticbrainz import import_acousticbrainz, parse_highlevel, parse_lowlevel
from core.jobs import run_job
from core.store.schema import AudioFeatures

DUMP = FIXTURES / "features" / "acousticbrainz"
LOW = DUMP / "acousticbrainz-lowlevel-json-20220623"
HIGH = DUMP / "acousticbrainz-highlevel-json-20220623"
SOUL_LOVE = "e8afe383-1478-497e-90b1-7885c7f37f6e"
NASCENCE = "0dad432b-16cc-4bf0-8961-fd31d124b01b"
PLAYS = [
    ("David Bowie", "Soul Love", "Ziggy Stardust", 213_000, SOUL_LOVE),
    ("Austin Wintory", "Nascence", "Journey", 106_000, NASCENCE.upper()),  # MBID case does not matter
    ("Nobody", "No MBID", "", 100_000),
]


def features(store) -> dict[int, AudioFeatures]:
    with store.session() as session:
        return {r.item_id: r for r in session.scalars(select(AudioFeatures))}


def test_parse_mappings():
    low = parse_lowlevel(json.loads((LOW / "lowlevel/e8/a" / f"{SOUL_LOVE}-0.json").read_text()))
    assert low == {
        "tempo": pytest.approx(146.650299072),
        "key": 2.0,
        "mode": 1.0,
        "duration_ms": pytest.approx(213826.7, abs=0.1),
    }
    newer = parse_lowlevel(
        json.loads((LOW / "lowlevel/ff/f/fff0e2a1-0000-4000-8000-000000000001-0.json").read_text())
    )
    assert (newer["key"], newer["mode"]) == (3.0, 0.0)  # key_edma Eb minor
    high = parse_highlevel(json.loads((HIGH / "highlevel/0d/a" / f"{NASCENCE}-0.json").read_text()))
    assert high == {
        "danceability": pytest.approx(0.035318903625),
        "acousticness": pytest.approx(0.988367855549),
        "instrumentalness": pytest.approx(0.965500116348),
    }


def test_import_extracted_folders(tmp_path):
    store = make_store(tmp_path, PLAYS)
    low = run_job(import_acousticbrainz(store, LOW))
    high = run_job(import_acousticbrainz(store, HIGH))
    assert (low["lowlevel"], low["highlevel"], high["highlevel"]) == (1, 0, 1)  # submission -1 ignored
    it = items(store)
    rows = features(store)
    bowie, journey = rows[it["Soul Love"].id], rows[it["Nascence"].id]
    assert bowie.tempo == pytest.approx(146.65, abs=0.01) and (bowie.key, bowie.mode) == (2.0, 1.0)
    assert bowie.loudness is None and bowie.danceability is None  # not mapped / not in the low-level file
    assert journey.acousticness == pytest.approx(0.988, abs=0.001) and journey.tempo is None
    assert bowie.provider == journey.provider == "acousticbrainz"
    st = statuses(store, "track", "audio")
    assert st[it["Soul Love"].id].status == "ok" and it["No MBID"].id not in st


def test_import_tar_archive_and_merge_with_local_analysis(tmp_path):
    store = make_store(tmp_path, PLAYS)
    from core.features.providers.rows import merge_audio_features

    with store.engine.begin() as conn:
        merge_audio_features(
            conn, "track", items(store)["Nascence"].id, {"loudness": -12.5, "tempo": 90.0}, "librosa", 1
        )
    archive = tmp_path / "acousticbrainz-highlevel-json-20220623-0.tar.bz2"
    with tarfile.open(archive, "w:bz2") as tar:
        tar.add(HIGH, arcname=HIGH.name)
    summary = run_job(import_acousticbrainz(store, archive))
    assert summary["highlevel"] == 1 and summary["tracks_updated"] == 1
    row = features(store)[items(store)["Nascence"].id]
    assert (row.loudness, row.tempo) == (-12.5, 90.0) and row.instrumentalness == pytest.approx(0.9655)
    assert row.provider == "librosa+acousticbrainz"


def test_single_file_and_zstd_without_module(tmp_path):
    store = make_store(tmp_path, PLAYS)
    one = LOW / "lowlevel/e8/a" / f"{SOUL_LOVE}-0.json"
    assert run_job(import_acousticbrainz(store, one))["lowlevel"] == 1
    fake_zst = tmp_path / "acousticbrainz-lowlevel-json-20220623-0.tar.zst"
    fake_zst.write_bytes(b"(\xb5/\xfd")
    try:
        import zstandard  # noqa: F401
    except ImportError:
        with pytest.raises(RuntimeError, match="zstd"):
            run_job(import_acousticbrainz(store, fake_zst))
