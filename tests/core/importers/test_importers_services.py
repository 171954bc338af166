"""Exports people move between services with, each detected on its own and read from a real-format
file (sources: tests/fixtures/importers/SOURCES.md and ../shared/fixtures/api/SOURCES.md)."""

from __future__ import annotations

import json

import pytest
from importers_helpers import LB_TESTDATA, plays, read_all, tally
from testpaths import FIXTURES, LISTENING

from core.jobs import run_job
from core.sources import importers
from core.sources.importing import import_files
from core.store.queries import account_by_name

IMPORTERS = FIXTURES / "importers"
APPLE = IMPORTERS / "apple_music_play_activity.csv"
ARCHIVE = IMPORTERS / "lastfm-archive"
YOUTUBE = IMPORTERS / "youtube-music-watch-history.json"
TIDAL = IMPORTERS / "tidal_streaming.csv"


@pytest.mark.parametrize(
    ("path", "fmt"),
    [
        (APPLE, "apple-music"),
        (ARCHIVE / "json" / "scrobbles" / "2009-04.json", "lastfm-archive-json"),
        (YOUTUBE, "youtube-music"),
        (TIDAL, "tidal"),
        (LB_TESTDATA / "librefm.csv", "librefm"),
        (LB_TESTDATA / "maloja.json", "maloja"),
        (LB_TESTDATA / "panoscrobbler.jsonl", "pano-scrobbler"),
        (LB_TESTDATA / ".scrobbler.log", "rockbox-scrobbler-log"),
    ],
)
def test_each_export_is_detected(path, fmt):
    assert importers.detect(path).FORMAT == fmt


def test_apple_music_play_activity():
    _, records = read_all(APPLE)
    assert tally(records) == {"play": 22, "skip": 3, "not_music": 4, "not_a_play": 4}
    first = plays(records)[0]
    assert (first.artist, first.track) == (
        "How to Dress Well",
        "World I Need You, Won't Be Without You (Proem)",
    )
    assert first.played_at == 1515321253 and first.ms_played == 168948 and first.duration_ms == 168948
    assert first.line == 6  # the rows before are Apple's aggregate "non-catalog play time"


def test_lastfm_archive_folder_of_monthly_files(store):
    report = run_job(import_files(store, [ARCHIVE], "archive"))
    assert report.ok and [s.format for s in report.files] == ["lastfm-archive-json"] * 3
    assert sum(s.added for s in report.files) == 50
    assert report.files[-1].skipped == {"bootstrap": 1}
    _, records = read_all(ARCHIVE / "json" / "scrobbles" / "2009-05.json")
    r = records[0]
    assert r.artist_mbid == "f1b1cf71-bd35-4e99-8624-24a6e15f133a" and r.precision_s == 1


def test_youtube_music_watch_history():
    _, records = read_all(YOUTUBE)
    assert tally(records) == {"play": 20, "not_music": 1, "removed": 1}
    songs = plays(records)
    assert not any(r.artist.endswith(" - Topic") or r.track.startswith("Watched ") for r in songs)
    assert not any(r.track.endswith(" angesehen") for r in songs)
    felhag = LISTENING / "lastfm-exports" / "felhag__lastfmstats-TestUser.json"
    source = json.loads(felhag.read_text(encoding="utf-8"))["scrobbles"][:20]
    assert [(r.artist, r.track, r.played_at) for r in songs] == [
        (s["artist"], s["track"], int(s["date"]) // 1000) for s in source
    ]


def test_tidal_streaming_csv_in_each_rows_zone():
    _, records = read_all(TIDAL)
    assert tally(records) == {"play": 25}
    lines = (IMPORTERS / "tidal_streaming.csv").read_text(encoding="utf-8").splitlines()
    assert lines[2].endswith("Europe/Madrid") and "12:34" in lines[2]
    assert records[1].played_at == 1771760040  # 12:34 in Madrid is 11:34 UTC (the real play: 11:34:40)
    assert all(r.precision_s == 60 for r in records)


def test_librefm_utf7_with_comment_lines():
    _, records = read_all(LB_TESTDATA / "librefm.csv")
    assert [(r.artist, r.track, r.album, r.played_at, r.line) for r in records] == [
        ("The Horrors", "New Ice Age", "Primary Colours", 1690347960, 5),
        ("Sweet Garden", "Altered State", None, 1690348225, 6),
        ("Oasis", "Wonderwall", "(What's the Story) Morning Glory?", 1704067200, 7),
    ]


def test_librefm_non_ascii_names_come_back_from_utf7(tmp_path):
    data = (LB_TESTDATA / "librefm.csv").read_bytes() + "Björk,Jóga,Homogenic,1704070000\n".encode("utf-7")
    assert b"Bj+APY-rk" in data  # as Libre.fm writes it
    path = tmp_path / "librefm.csv"
    path.write_bytes(data)
    _, records = read_all(path)
    assert (records[-1].artist, records[-1].track) == ("Björk", "Jóga")


def test_maloja_export():
    _, records = read_all(LB_TESTDATA / "maloja.json")
    assert [(r.artist, r.track, r.album, r.ms_played, r.duration_ms) for r in records] == [
        ("Alabaster Deplume", "Not Now, Jesus", "To Cy & Lee: Instrumentals Vol. 1", None, 220_000),
        ("Vega Trails", "Old Friend; The Sea", "Sierra Tracks", 245_000, None),
    ]


def test_pano_scrobbler_jsonl():
    _, records = read_all(LB_TESTDATA / "panoscrobbler.jsonl")
    assert [(r.artist, r.played_at, r.duration_ms) for r in records] == [
        ("KiloWatts", 1762957898, 346958),
        ("Rick Astley", 1762874400, 216000),
    ]


def test_rockbox_scrobbler_log(store):
    _, records = read_all(LB_TESTDATA / ".scrobbler.log")
    assert tally(records) == {"play": 2, "skip": 1, "untagged": 1}
    assert [r.line for r in records] == [5, 6, 7, 8]
    assert (
        records[0].track_mbid == "d5e4fb56-e457-4684-aa31-63ce70ee5a8c" and records[0].duration_ms == 259_000
    )
    report = run_job(import_files(store, [LB_TESTDATA / ".scrobbler.log"], "rb"))
    assert report.ok and report.files[0].added == 2 and report.files[0].skips_stored == 1
    assert account_by_name(store.engine, "rb").plays == 2


def test_rockbox_local_clock_with_a_timezone():
    _, utc = read_all(LB_TESTDATA / ".scrobbler.log")
    _, berlin = read_all(LB_TESTDATA / ".scrobbler.log", timezone="Europe/Berlin")  # #TZ/UNKNOWN
    assert [u.played_at - b.played_at for u, b in zip(plays(utc), plays(berlin), strict=True)] == [3600] * 3


def test_a_folder_of_exports_from_every_service(store, tmp_path):
    folder = tmp_path / "everything"
    folder.mkdir()
    for src in (APPLE, YOUTUBE, TIDAL, LB_TESTDATA / "maloja.json", LB_TESTDATA / "panoscrobbler.jsonl"):
        (folder / src.name).write_bytes(src.read_bytes())
    report = run_job(import_files(store, [folder], "all"))
    assert report.ok and len(report.files) == 5 and not report.ignored
    assert {s.format for s in report.files} == {
        "apple-music",
        "youtube-music",
        "tidal",
        "maloja",
        "pano-scrobbler",
    }


def test_unrecognised_format_lists_the_new_ones(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("hello\nworld\n", encoding="utf-8")
    with pytest.raises(Exception, match="apple-music.*youtube-music|youtube-music.*apple-music"):
        importers.detect(path)
