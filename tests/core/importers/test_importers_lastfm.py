"""Last.fm-family formats on the real exports: ghan, benjaminbenben, lastfmstats, Last.fm-1K, SQLite."""

from __future__ import annotations

import json
import sqlite3
import zipfile
from contextlib import closing
from itertools import islice

import pytest
from importers_helpers import (
    ALEEX,
    BENJAMIN,
    DJIVS,
    FELHAG,
    LFM1K,
    SQLITE,
    bad_rows,
    head_lines,
    plays,
    read_all,
    tally,
)

from core.sources.importers import ImportFailure, expand, iter_records
from core.sources.records import PlayBlock, PlayRecord, SkippedRow, one_by_one

# --- lastfm.ghan.nl ---------------------------------------------------------------------------


def test_ghan_real_file():
    name, records = read_all(ALEEX)
    assert name == "lastfm-ghan"
    assert tally(records) == {"play": 6001}
    assert records[0] == PlayRecord(
        "Roy Harper",
        "Hors D'Oeuvres",
        1771761015,
        "Stormcock",
        None,
        None,
        "8fc0c1d2-9be0-464f-98ee-ae7ae5b0086b",
        "630eb3de-e561-4b9c-b807-dda2b1561d81",
        "0f8e1336-cb4d-3bf1-a6fb-0857341513ad",
        1,
        "play",
        2,
    )
    last = records[-1]
    assert (last.artist, last.track, last.played_at, last.line) == (
        "Fito Y Fitipaldis",
        "Me equivocaría otra vez",
        1747248312,
        6002,
    )
    assert last.artist_mbid is None and last.track_mbid is None  # empty strings → None
    times = [r.played_at for r in records]
    assert min(times) >= 1746057600 and max(times) < 1772323200  # 2025-05 .. 2026-02


def test_ghan_semicolon_and_reordered_columns(tmp_path):
    lines = head_lines(ALEEX, 11)
    rows = [ln.rstrip("\n").replace('","', '";"') for ln in lines]
    rows[0] = rows[0].replace(",", ";")
    semi = tmp_path / "aleex_semicolon.csv"
    semi.write_text("\n".join(rows) + "\n", encoding="utf-8")
    name, records = read_all(semi)
    assert name == "lastfm-ghan"
    assert records == read_all(ALEEX)[1][:10]


def _unquoted_semicolon_copy(tmp_path, lines):
    """The real rows re-laid as an unquoted ``;`` export (the layout of the issue's 25,521-row file)."""
    rows = [ln.rstrip("\n").replace('","', ";").strip('"') for ln in lines]
    rows[0] = rows[0].replace(",", ";")
    return rows


def test_unquoted_semicolon_inside_a_name_skips_that_row_only(tmp_path):
    rows = _unquoted_semicolon_copy(tmp_path, head_lines(ALEEX, 200))
    for i, name in ((40, "Crosby; Stills & Nash"), (90, "Earth; Wind & Fire")):
        fields = rows[i].split(";")
        fields[2] = name
        rows[i] = ";".join(fields)
    path = tmp_path / "export_semicolon.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    name, records = read_all(path)
    assert name == "lastfm-ghan"
    assert bad_rows(records) == [(41, None), (91, None)]
    assert "expected 8 fields, found 9" in records[39].detail
    assert len(plays(records)) == 197


def test_leading_quote_in_an_unquoted_field_is_kept_as_text(tmp_path):
    lines = head_lines(ALEEX, 6)
    lines[2] = lines[2].replace('"Me and My Woman"', '"The Thorn Birds" Theme')
    lines[3] = lines[3].replace('"Stormcock"', '"Stormcock" (Deluxe)')
    path = tmp_path / "quotes.csv"
    path.write_text("".join(lines), encoding="utf-8")
    _, records = read_all(path)
    assert [r.track for r in records][:2] == ["Hors D'Oeuvres", '"The Thorn Birds" Theme']
    assert records[2].album == '"Stormcock" (Deluxe)'
    assert not bad_rows(records) and len(records) == 5


def test_ghan_row_with_missing_field_is_skipped_with_line(tmp_path):
    lines = head_lines(ALEEX, 8)
    lines[5] = lines[5].rsplit(",", 1)[0] + "\n"
    cut = tmp_path / "aleex_cut.csv"
    cut.write_text("".join(lines), encoding="utf-8")
    _, records = read_all(cut)
    assert bad_rows(records) == [(6, None)] and len(plays(records)) == 6
    assert "expected 8 fields, found 7" in records[4].detail


def test_ghan_bad_uts_names_line_and_field(tmp_path):
    lines = head_lines(ALEEX, 6)
    lines[3] = lines[3].replace('"1771759637"', '"17717596x7"')
    cut = tmp_path / "aleex_bad_uts.csv"
    cut.write_text("".join(lines), encoding="utf-8")
    _, records = read_all(cut)
    assert bad_rows(records) == [(4, "uts")]
    assert "bad Unix timestamp" in next(r.detail for r in records if type(r) is SkippedRow)


# --- benjaminbenben lastfm-to-csv ---------------------------------------------------------------


def test_benjaminbenben_fixture_matches_djivs_source():
    name, records = read_all(BENJAMIN)
    assert name == "lastfm-benjaminbenben"
    assert tally(records) == {"play": 40}
    assert records[0] == PlayRecord(
        "*67",
        "Cast a Spell (feat. Yuke)",
        1674553320,
        "Cast a Spell (feat. Yuke) - Single",
        precision_s=60,
        line=1,
    )
    # Both date styles ("24 Jan 2023 09:11" / "24 Jan 2023, 09:11") and quoted names with commas.
    assert records[1].played_at == 1674551460
    assert (records[-1].artist, records[-1].played_at) == ("gitarakuru, mantra", 1652170200)
    _, djivs = read_all(DJIVS)
    same = djivs[:30] + djivs[-10:]
    assert [(r.artist, r.track, r.album, r.played_at) for r in records] == [
        (r.artist, r.track, r.album, r.played_at) for r in same
    ]


def test_benjaminbenben_now_playing_row_without_date(tmp_path):
    lines = BENJAMIN.read_text(encoding="utf-8").splitlines(keepends=True)[:20]
    now_playing = tmp_path / "lastfm-to-csv.csv"
    now_playing.write_text("Fazerdaze,Break!,Break!,\n" + "".join(lines), encoding="utf-8")
    name, records = read_all(now_playing)
    assert name == "lastfm-benjaminbenben"
    assert records[0] == SkippedRow("no_timestamp", 1)
    assert tally(records) == {"play": 20, "no_timestamp": 1}


def test_ghan_row_without_any_time_is_skipped(tmp_path):
    lines = head_lines(ALEEX, 4)
    lines[1] = '"",""' + lines[1][len('"1771761015","22 Feb 2026, 11:50"') :]
    cut = tmp_path / "aleex_now_playing.csv"
    cut.write_text("".join(lines), encoding="utf-8")
    _, records = read_all(cut)
    assert records[0] == SkippedRow("no_timestamp", 2)
    assert tally(records) == {"play": 2, "no_timestamp": 1}


def test_benjaminbenben_timezone_option():
    _, utc = read_all(BENJAMIN)
    _, oslo = read_all(BENJAMIN, timezone="Europe/Oslo")
    assert oslo[0].played_at == utc[0].played_at - 3600  # CET in January


def test_benjaminbenben_bad_date(tmp_path):
    lines = BENJAMIN.read_text(encoding="utf-8").splitlines(keepends=True)[:5]
    lines[2] = lines[2].replace("24 Jan 2023 08:57", "24 Jnu 2023 08:57")
    bad = tmp_path / "bb.csv"
    bad.write_text("".join(lines), encoding="utf-8")
    _, records = read_all(bad, "lastfm-benjaminbenben")
    assert bad_rows(records) == [(3, "date")]


# --- lastfmstats.com JSON -----------------------------------------------------------------------


def test_lastfmstats_real_file():
    name, records = read_all(FELHAG)
    assert name == "lastfmstats-json"
    assert tally(records) == {"play": 1891}
    assert records[0] == PlayRecord("Clannad", "Drifting", 1108290000, line=1)
    assert records[-1] == PlayRecord("Ashtar Command", "Deadman's Gun", 1350553289, line=1891)
    cjk = [r for r in records if r.artist == "谭盾"]
    assert [(r.track, r.played_at, r.line) for r in cjk] == [("For the World", 1240255842, 44)]
    assert sum(r.album is None for r in records) == 1864  # "" → None; 27 scrobbles name an album


def test_lastfmstats_truncated(tmp_path):
    cut = tmp_path / "lastfmstats-cut.json"
    cut.write_bytes(FELHAG.read_bytes()[:5000])
    with pytest.raises(ImportFailure, match="truncated") as exc:
        read_all(cut)
    assert exc.value.line == 1  # the export is one long line


def test_lastfmstats_bad_date(tmp_path):
    data = json.loads(FELHAG.read_text(encoding="utf-8"))
    data["scrobbles"] = data["scrobbles"][:5]
    data["scrobbles"][3]["date"] = "yesterday"
    bad = tmp_path / "lastfmstats-bad.json"
    bad.write_text(json.dumps(data), encoding="utf-8")
    _, records = read_all(bad)
    assert bad_rows(records) == [(4, "date")]


# --- Last.fm-1K ---------------------------------------------------------------------------------


def test_lastfm_1k_sample_yields_every_user():
    name, records = read_all(LFM1K)
    assert name == "lastfm-1k"
    assert tally(records) == {"play": 5000}  # 4,997 of user_000001 + 3 of user_000002
    assert records[0].played_at == 1241478537  # 2009-05-04T23:08:57Z
    cjk = records[1]
    assert (cjk.artist, cjk.track, cjk.played_at, cjk.line) == (
        "坂本龍一",
        "Composition 0919 (Live_2009_4_15)",
        1241445250,
        2,
    )
    assert records[-1] == PlayRecord(
        "Holy Fuck",
        "Milkshake",
        1228716240,
        None,
        None,
        None,
        "4342cf80-7c06-4402-a431-457e77310474",
        None,
        "6790b616-7925-4741-b030-01958cf4e51d",
        1,
        "play",
        5000,
    )
    quoted = [r for r in records if '"' in r.artist]  # TSV is unquoted: quotes are part of names
    assert [(r.artist, r.line) for r in quoted] == [('Johnny "Hammond" Smith', 1491)]
    times = [r.played_at for r in records]
    assert min(times) >= 1228694400 and max(times) < 1241568000  # 2008-12-08 .. 2009-05-05


def test_lastfm_1k_bad_timestamp(tmp_path):
    lines = head_lines(LFM1K, 5)
    lines[4] = lines[4].replace("T13:42:11Z", "T25:42:11Z")
    bad = tmp_path / "1k.tsv"
    bad.write_text("".join(lines), encoding="utf-8")
    _, records = read_all(bad)
    assert bad_rows(records) == [(5, "timestamp")]


# --- SQLite (spacedlevo) ------------------------------------------------------------------------


def test_sqlite_real_file():
    name, records = read_all(SQLITE)
    assert name == "lastfm-sqlite"
    assert tally(records) == {"play": 75245, "empty_name": 1}
    # listens.id 25431 is "i loves you porgy" by an artist whose name is a single space.
    assert [r for r in records if type(r) is SkippedRow] == [SkippedRow("empty_name", 25431)]
    assert records[0] == PlayRecord(
        "black midi",
        "953",
        1576794973,
        "schlagenheim",
        None,
        None,
        "4afbef0a-05ee-4551-b0e0-f1f1870d8f1c",
        "7863c059-6f65-4e4d-ac95-6651c910e241",
        "2cda611b-277b-4aca-b301-e3743f5bb36e",
        1,
        "play",
        1,
    )
    times = [r.played_at for r in plays(records)]
    assert (min(times), max(times)) == (1170695413, 1672695824)  # 2007-02 .. 2023-01


def test_sqlite_opened_read_only(tmp_path):
    copy = tmp_path / "scrobbles.sqlite"
    copy.write_bytes(SQLITE.read_bytes())
    before = copy.read_bytes()
    _, records = iter_records(copy)
    assert len(list(islice(one_by_one(records), 1000))) == 1000
    records.close()
    assert copy.read_bytes() == before
    assert not (tmp_path / "scrobbles.sqlite-journal").exists()


def test_sqlite_inside_zip_is_read_in_memory(tmp_path):
    zpath = tmp_path / "backup.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.write(SQLITE, "lastfmscrobbles.backup")
    (src,) = expand(zpath)
    name, records = iter_records(src)
    assert name == "lastfm-sqlite"
    _, on_disk = iter_records(SQLITE)
    assert list(islice(one_by_one(records), 2000)) == list(islice(one_by_one(on_disk), 2000))
    assert list(tmp_path.iterdir()) == [zpath]


def test_sqlite_with_other_tables_is_not_claimed(tmp_path):
    other = tmp_path / "other.sqlite"
    with sqlite3.connect(other) as conn:
        conn.execute("CREATE TABLE plays (id INTEGER, song TEXT)")
    with pytest.raises(ImportFailure, match="binary file"):
        read_all(other)


def _scrobble_db(path, listens: list[tuple]) -> None:
    """A small DB in the spacedlevo layout: one artist, two tracks (the second with a blank name)."""
    with closing(sqlite3.connect(path)) as conn, conn:
        conn.executescript(
            "CREATE TABLE artists (id integer PRIMARY KEY, mbid TEXT, name TEXT);"
            "CREATE TABLE albums (id integer PRIMARY KEY, mbid TEXT, name TEXT, artist_id integer);"
            "CREATE TABLE tracks (id integer PRIMARY KEY, mbid TEXT, name TEXT, artist_id integer, album_id integer);"
            "CREATE TABLE listens (id integer PRIMARY KEY, track_id integer, timestamp integer);"
            "INSERT INTO artists VALUES (1, NULL, 'black midi');"
            "INSERT INTO albums VALUES (1, NULL, ' schlagenheim ', 1);"
            "INSERT INTO tracks VALUES (1, NULL, '953', 1, 1), (2, NULL, '  ', 1, 1);"
        )
        conn.executemany("INSERT INTO listens VALUES (?, ?, ?)", listens)


def test_sqlite_plays_come_in_column_blocks(tmp_path):
    db = tmp_path / "s.sqlite"
    _scrobble_db(db, [(1, 1, 1576794973), (2, 2, 1576795973), (3, 1, 1576796973), (4, 7, 1576797973)])
    _, stream = iter_records(db)
    items = list(stream)
    assert [type(i) for i in items] == [SkippedRow, SkippedRow, PlayBlock]  # blank name, unknown track
    assert [i.line for i in items[:2]] == [2, 4]
    assert list(items[2].records()) == [
        PlayRecord("black midi", "953", ts, "schlagenheim", None, None, None, None, None, 1, "play", lid)
        for lid, ts in ((1, 1576794973), (3, 1576796973))
    ]


def test_sqlite_text_timestamps_are_parsed_and_a_bad_one_is_named(tmp_path):
    good = tmp_path / "text.sqlite"
    _scrobble_db(good, [(1, 1, "2019-12-19 22:36:13"), (2, 1, 1576795973)])
    _, records = read_all(good)
    assert [r.played_at for r in records] == [1576794973, 1576795973]
    bad = tmp_path / "bad.sqlite"
    _scrobble_db(bad, [(1, 1, 1576794973), (2, 1, "yesterday")])
    _, records = read_all(bad)
    assert bad_rows(records) == [(2, "timestamp")]
    assert "listens row 2" in records[-1].detail
