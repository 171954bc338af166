"""Registry: format detection on every real file, expand() of folders and zips, failures."""

from __future__ import annotations

import zipfile
from pathlib import Path, PurePosixPath

import pytest
from importers_helpers import (
    ALEEX,
    BASIC_DIR,
    BENJAMIN,
    DJIVS,
    DUDU,
    ERZADEL,
    FELHAG,
    KOITO,
    KOITO_EXTENDED,
    KRISH,
    LB_TESTDATA,
    LB_ZIP,
    LFM1K,
    MENISADI,
    SQLITE,
    read_all,
    tally,
)
from testpaths import FIXTURES

from core.sources.importers import (
    ImportFailure,
    ImportOptions,
    detect,
    expand,
    formats,
    get,
    iter_records,
    scan,
)
from core.sources.importers.base import HEAD_BYTES

DETECTED = [
    (ALEEX, "lastfm-ghan"),
    (DJIVS, "generic-csv"),
    (DUDU, "generic-csv"),
    (KRISH, "generic-csv"),
    (ERZADEL, "generic-csv"),
    (MENISADI, "generic-csv"),
    (FELHAG, "lastfmstats-json"),
    (SQLITE, "lastfm-sqlite"),
    (LFM1K, "lastfm-1k"),
    (BENJAMIN, "lastfm-benjaminbenben"),
    (BASIC_DIR / "StreamingHistory0.json", "spotify-basic"),
    (BASIC_DIR / "StreamingHistory5.json", "spotify-basic"),
    (KOITO_EXTENDED, "spotify-extended"),
    (LB_TESTDATA / "spotify_streaming_endsong_0.json", "spotify-extended"),
    (LB_TESTDATA / "listenbrainz_listens.jsonl", "listenbrainz"),
    (LB_TESTDATA / "librefm.csv", "librefm"),
    (LB_TESTDATA / "maloja.json", "maloja"),
    (LB_TESTDATA / "panoscrobbler.jsonl", "pano-scrobbler"),
    (LB_TESTDATA / ".scrobbler.log", "rockbox-scrobbler-log"),
    (FIXTURES / "importers" / "apple_music_play_activity.csv", "apple-music"),
    (FIXTURES / "importers" / "youtube-music-watch-history.json", "youtube-music"),
    (FIXTURES / "importers" / "tidal_streaming.csv", "tidal"),
    (
        FIXTURES / "importers" / "lastfm-archive" / "json" / "scrobbles" / "2009-04.json",
        "lastfm-archive-json",
    ),
]


def test_format_names_are_unique_and_documented():
    names = [m.FORMAT for m in formats()]
    assert len(names) == len(set(names)) == 17
    assert all(m.DESCRIPTION and callable(m.sniff) and callable(m.read) for m in formats())
    assert get("spotify-basic").FORMAT == "spotify-basic"
    with pytest.raises(ValueError, match="unknown format"):
        get("nope")


@pytest.mark.parametrize(("path", "expected"), DETECTED, ids=lambda v: getattr(v, "name", v))
def test_detects_real_files(path, expected):
    assert detect(path).FORMAT == expected


@pytest.mark.parametrize(("path", "expected"), DETECTED, ids=lambda v: getattr(v, "name", v))
def test_sniffers_never_raise_and_only_the_right_one_is_sure(path, expected):
    head = path.read_bytes()[:HEAD_BYTES]
    scores = {m.FORMAT: m.sniff(path, head) for m in formats()}
    assert scores[expected] >= 0.5
    assert max(scores, key=scores.get) == expected


def test_empty_file_fails_naming_it(tmp_path):
    empty = tmp_path / "scrobbles.csv"
    empty.write_bytes(b"")
    with pytest.raises(ImportFailure, match="file is empty") as exc:
        detect(empty)
    assert str(empty) in str(exc.value)


def test_binary_file_fails(tmp_path):
    blob = tmp_path / "cover.png"
    blob.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 8)
    with pytest.raises(ImportFailure, match="binary file"):
        detect(blob)


def test_unrecognised_text_fails_listing_formats(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text((LFM1K.parent / "SOURCES.md").read_text(encoding="utf-8"), encoding="utf-8")
    with pytest.raises(ImportFailure, match="unrecognised format; pass --format") as exc:
        detect(notes)
    assert "spotify-extended" in str(exc.value)


def test_missing_file_and_folder_fail(tmp_path):
    with pytest.raises(ImportFailure, match="cannot read"):
        detect(tmp_path / "gone.csv")
    with pytest.raises(ImportFailure, match="no such file"):
        expand(tmp_path / "gone")
    with pytest.raises(ImportFailure, match="is a folder"):
        detect(tmp_path)


def test_zip_itself_is_not_a_format():
    with pytest.raises(ImportFailure, match="zip archive"):
        detect(LB_ZIP)


def test_single_file_expands_to_itself_even_if_unrecognised(tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("hello\n", encoding="utf-8")
    assert [s.name for s in expand(notes)] == [str(notes)]


def test_folder_expands_to_history_files_and_reports_the_rest():
    result = scan(LFM1K.parents[1] / "edelgrace")
    assert [Path(s.name).name for s in result.sources] == ["erzadel_cleaned.csv"]
    ignored = {Path(i.name).name: i.reason for i in result.ignored}
    assert set(ignored) == {
        "SOURCES.md",
        "artists.csv",
        "lyrics.csv",
        "lyrics_labels.csv",
        "song_counts.json",
    }
    assert all("not a listening history" in r for r in ignored.values())


def test_basic_folder_expands_in_name_order():
    assert [Path(s.name).name for s in expand(BASIC_DIR)] == [f"StreamingHistory{i}.json" for i in range(6)]


def test_listenbrainz_zip_layout():
    result = scan(LB_ZIP)
    assert [s.name for s in result.sources] == [f"{LB_ZIP}!listens/2025/6.jsonl"]
    assert [i.name for i in result.ignored] == [f"{LB_ZIP}!user.json"]
    name, records = iter_records(result.sources[0])
    assert name == "listenbrainz"
    assert len(list(records)) == 5


def _spotify_zip(tmp_path) -> Path:
    """The my_spotify_data.zip layout, filled with real extended-history files."""
    zpath = tmp_path / "my_spotify_data.zip"
    folder = "Spotify Extended Streaming History/"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(folder, "")
        zf.write(KOITO_EXTENDED, folder + "Streaming_History_Audio_2025.json")
        zf.write(
            LB_TESTDATA / "spotify_streaming_endsong_0.json",
            folder + "Streaming_History_Audio_2013-2021_0.json",
        )
        zf.writestr(
            folder + "ReadMeFirst_ExtendedStreamingHistory.pdf",
            b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n1 0 obj\n" + bytes(300),
        )
        zf.writestr("Userdata.json", '{"username": "someone", "country": "DE"}')
        zf.writestr("__MACOSX/._Userdata.json", b"\x00\x05\x16\x07")
        zf.writestr("old.zip", b"PK\x05\x06" + bytes(18))
    return zpath


def test_spotify_zip_with_mixed_members(tmp_path):
    zpath = _spotify_zip(tmp_path)
    result = scan(zpath)
    folder = f"{zpath}!Spotify Extended Streaming History/"
    assert [s.name for s in result.sources] == [
        folder + "Streaming_History_Audio_2013-2021_0.json",
        folder + "Streaming_History_Audio_2025.json",
    ]
    reasons = {i.name.split("!")[1]: i.reason for i in result.ignored}
    assert reasons == {
        "Spotify Extended Streaming History/ReadMeFirst_ExtendedStreamingHistory.pdf": "binary file, not a listening history",
        "Userdata.json": "not a listening history (no format recognised it)",
        "old.zip": "zip inside a zip: extract the outer one first",
    }
    counts = [tally(read_all(src)[1]) for src in result.sources]
    assert counts == [{"play": 4, "skip": 1}, {"play": 17, "skip": 22}]


def test_zip_inside_a_folder_is_expanded(tmp_path):
    _spotify_zip(tmp_path)
    names = [s.name.split("!")[-1] for s in expand(tmp_path)]
    assert names == [
        "Spotify Extended Streaming History/Streaming_History_Audio_2013-2021_0.json",
        "Spotify Extended Streaming History/Streaming_History_Audio_2025.json",
    ]


def test_history_named_member_is_kept_even_when_broken(tmp_path):
    """A truncated Spotify file in a zip must fail loudly, not vanish as 'ignored'."""
    zpath = tmp_path / "export.zip"
    data = KOITO_EXTENDED.read_bytes()
    with zipfile.ZipFile(zpath, "w") as zf:
        zf.writestr("Streaming_History_Audio_2025.json", data[:200])
    (src,) = expand(zpath)
    with pytest.raises(ImportFailure, match="truncated") as exc:
        read_all(src)
    assert exc.value.path == f"{zpath}!Streaming_History_Audio_2025.json"
    assert exc.value.line is not None


def test_corrupt_zip_fails(tmp_path):
    bad = tmp_path / "broken.zip"
    bad.write_bytes(LB_ZIP.read_bytes()[:300])
    with pytest.raises(ImportFailure, match="not a readable zip"):
        expand(bad)


def test_map_routes_delimited_files_to_generic_csv():
    name, _ = iter_records(ALEEX, options=ImportOptions(mapping={"uts": "timestamp"}))
    assert name == "generic-csv"
    name, _ = iter_records(FELHAG, options=ImportOptions(mapping={"0": "artist"}))
    assert name == "lastfmstats-json"
    with pytest.raises(ImportFailure, match="--map applies to --format generic-csv"):
        iter_records(ALEEX, "lastfm-ghan", ImportOptions(mapping={"uts": "timestamp"}))


def test_explicit_unknown_format_fails():
    with pytest.raises(ImportFailure, match="unknown format 'csv'"):
        iter_records(ALEEX, "csv")


def test_bad_options_are_rejected():
    name, records = iter_records(ERZADEL, options=ImportOptions(mapping={"0": "singer"}))
    with pytest.raises(ImportFailure, match="unknown field 'singer'"):
        next(records)
    with pytest.raises(ValueError, match="unknown time zone"):
        ImportOptions(timezone="Mars/Olympus")


def test_sniff_uses_member_names_for_zip_members():
    mod = get("spotify-extended")
    assert mod.sniff(PurePosixPath("Streaming_History_Audio_2021_3.json"), b"") == 0.6
    assert mod.sniff(PurePosixPath("Userdata.json"), b"") == 0.0


def test_koito_folder_scan():
    result = scan(KOITO)
    assert sorted(s.name.rsplit("/", 1)[-1] for s in result.sources) == [
        "6.jsonl",
        "Streaming_History_Audio_spotify_import_test.json",
    ]
