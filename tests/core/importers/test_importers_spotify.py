"""Spotify basic and extended histories on real exports; the podcast heuristic; truncated JSON."""

from __future__ import annotations

import json

import pytest
from importers_helpers import BASIC_DIR, KOITO_EXTENDED, LB_TESTDATA, bad_rows, plays, read_all, tally

from core.sources.importers import ImportFailure
from core.sources.importers.podcasts import podcast_shows
from core.sources.records import PlayRecord, SkippedRow

BASIC_COUNTS = {
    "StreamingHistory0.json": {"play": 5848, "skip": 4059, "podcast": 93},
    "StreamingHistory1.json": {"play": 5946, "skip": 3968, "podcast": 86},
    "StreamingHistory2.json": {"play": 4958, "skip": 4972, "podcast": 70},
    "StreamingHistory3.json": {"play": 6055, "skip": 3873, "podcast": 72},
    "StreamingHistory4.json": {"play": 6582, "skip": 3341, "podcast": 77},
    "StreamingHistory5.json": {"play": 2787, "skip": 1617, "podcast": 25},
}


@pytest.mark.parametrize("fname", sorted(BASIC_COUNTS))
def test_basic_real_files(fname):
    name, records = read_all(BASIC_DIR / fname)
    assert name == "spotify-basic"
    assert tally(records) == BASIC_COUNTS[fname]
    assert all(r.precision_s == 60 for r in plays(records))
    assert [r.line for r in records] == list(range(1, len(records) + 1))


def test_basic_totals_and_podcast_shows():
    total, shows = 0, {}
    for fname in BASIC_COUNTS:
        _, records = read_all(BASIC_DIR / fname)
        total += len(records)
        for r in records:
            if type(r) is SkippedRow:
                shows[r.detail] = shows.get(r.detail, 0) + 1
    assert total == 54429
    assert shows == {
        "Gemischtes Hack": 395,
        "Inside Brains - Der Podcast von Tim Gabel": 17,
        "Podcasts – der Podcast": 6,
        "Spieltagssiegerbesieger – Der Kickbase Podcast": 3,
        "D&N Podcast": 1,
        "Lex Fridman Podcast": 1,
    }


def test_basic_first_items_end_time_minus_ms_played():
    _, records = read_all(BASIC_DIR / "StreamingHistory0.json")
    # endTime 2021-04-22 05:41 (UTC) minus 6,408 ms → 05:40:54, a skip (< 30 s).
    assert records[0] == PlayRecord(
        "Shindy", "Dreams", 1619070054, ms_played=6408, precision_s=60, kind="skip", line=1
    )
    assert records[1] == SkippedRow("podcast", 2, "Gemischtes Hack")
    last = records[-1]
    assert (last.artist, last.track, last.ms_played, last.kind) == (
        "Nines",
        "Money on My Mind",
        86960,
        "play",
    )
    assert last.played_at == 1624278540 - 87


def test_podcast_file_is_all_podcasts(tmp_path):
    """Newer exports split episodes into StreamingHistory_podcast_*.json (rebuilt from real items)."""
    items = json.loads((BASIC_DIR / "StreamingHistory0.json").read_text(encoding="utf-8"))
    episodes = [
        {
            "endTime": i["endTime"],
            "podcastName": i["artistName"],
            "episodeName": i["trackName"],
            "msPlayed": i["msPlayed"],
        }
        for i in items
        if i["artistName"] == "Gemischtes Hack"
    ]
    path = tmp_path / "StreamingHistory_podcast_0.json"
    path.write_text(json.dumps(episodes), encoding="utf-8")
    name, records = read_all(path)
    assert name == "spotify-basic"
    assert tally(records) == {"podcast": 88}
    music = tmp_path / "StreamingHistory_music_0.json"
    music.write_text(
        json.dumps([i for i in items if i["artistName"] != "Gemischtes Hack"][:50]), encoding="utf-8"
    )
    assert "podcast" not in tally(read_all(music)[1])


def test_podcast_heuristic_keeps_numbered_songs_as_music():
    plays_ = [("P110", "#1Take, Pt. 2", 154_000)] * 5 + [
        ("Gemischtes Hack", "#144 GIB MIR PH", 905_000),
        ("Gemischtes Hack", "#105 FRÖSCHE IN DER ELBE", 1_300_000),
    ]
    assert podcast_shows(plays_) == {"Gemischtes Hack"}
    assert podcast_shows([("Ali Jihad Racy", "Maqam Nahawand", 797_000)]) == set()


def test_basic_bad_end_time(tmp_path):
    items = json.loads((BASIC_DIR / "StreamingHistory5.json").read_text(encoding="utf-8"))[:10]
    items[6]["endTime"] = "2022-03-25 25:30"
    bad = tmp_path / "StreamingHistory9.json"
    bad.write_text(json.dumps(items), encoding="utf-8")
    _, records = read_all(bad)
    assert bad_rows(records) == [(7, "endTime")]


def test_basic_truncated(tmp_path):
    cut = tmp_path / "StreamingHistory0.json"
    data = (BASIC_DIR / "StreamingHistory0.json").read_bytes()[:1000]
    cut.write_bytes(data)
    with pytest.raises(ImportFailure, match="truncated") as exc:
        read_all(cut)
    assert exc.value.line == data.count(b"\n") + 1  # the physical line where the JSON stops


def test_extended_koito_file():
    name, records = read_all(KOITO_EXTENDED)
    assert name == "spotify-extended"
    assert tally(records) == {"play": 17, "skip": 22}
    # ts 2025-04-28T21:04:35Z is the end; 1,603 ms → started at 21:04:33.
    assert records[0] == PlayRecord(
        "fripSide", "only my railgun", 1745874273, "infinite synthesis", 1603, kind="skip", line=1
    )


def test_extended_listenbrainz_testdata_generations():
    name, old = read_all(LB_TESTDATA / "spotify_streaming_endsong_0.json")
    assert name == "spotify-extended"
    assert old[0] == PlayRecord(
        "The Yardbirds", "Got To Hurry", 1363257710, "Classic Yardbirds Vol.1", 154902, line=1
    )
    _, new = read_all(LB_TESTDATA / "spotify_streaming_2023.json")
    assert tally(new) == {"play": 4, "skip": 1}
    _, missing = read_all(LB_TESTDATA / "spotify_skipped_tracks.json")
    assert tally(missing) == {"play": 1, "skip": 13, "no_ms_played": 1}
    assert missing[13] == SkippedRow("no_ms_played", 14)


def test_extended_episodes_audiobooks_and_non_music(tmp_path):
    items = json.loads(KOITO_EXTENDED.read_text(encoding="utf-8"))[:6]
    items[1].update(
        master_metadata_track_name=None,
        master_metadata_album_artist_name=None,
        master_metadata_album_album_name=None,
        spotify_track_uri=None,
        episode_name="#144 GIB MIR PH",
        episode_show_name="Gemischtes Hack",
        spotify_episode_uri="spotify:episode:abc",
    )
    items[2].update(
        master_metadata_track_name=None,
        spotify_track_uri=None,
        audiobook_title="Dune",
        audiobook_uri="spotify:show:x",
    )
    items[3].update(
        master_metadata_track_name=None, master_metadata_album_artist_name=None, spotify_track_uri=None
    )
    items[4].update(master_metadata_album_artist_name="  ")
    path = tmp_path / "Streaming_History_Audio_2025_1.json"
    path.write_text(json.dumps(items), encoding="utf-8")
    _, records = read_all(path)
    assert records[1:5] == [
        SkippedRow("podcast", 2, "Gemischtes Hack"),
        SkippedRow("audiobook", 3, "Dune"),
        SkippedRow("not_music", 4),
        SkippedRow("empty_name", 5),
    ]


def test_extended_truncated_mid_object(tmp_path):
    data = KOITO_EXTENDED.read_bytes()
    cut = tmp_path / "Streaming_History_Audio_2025.json"
    cut.write_bytes(data[: data.index(b'"ms_played"', 3000)])
    with pytest.raises(ImportFailure, match="truncated") as exc:
        read_all(cut)
    assert exc.value.line == data[: data.index(b'"ms_played"', 3000)].count(b"\n") + 1


def test_extended_bad_ts(tmp_path):
    items = json.loads(KOITO_EXTENDED.read_text(encoding="utf-8"))[:3]
    items[2]["ts"] = "28/04/2025 21:05"
    bad = tmp_path / "endsong_0.json"
    bad.write_text(json.dumps(items), encoding="utf-8")
    _, records = read_all(bad)
    assert bad_rows(records) == [(3, "ts")]


def test_extended_top_level_must_be_a_list(tmp_path):
    path = tmp_path / "Streaming_History_Audio_2020.json"
    path.write_text('{"ts": "2020-01-01T00:00:00Z", "ms_played": 1}', encoding="utf-8")
    with pytest.raises(ImportFailure, match="expected a JSON array"):
        read_all(path)


def _episodes(end: str, show: str, titles: list[str], minutes: list[float]) -> list[dict]:
    return [
        {"endTime": end, "artistName": show, "trackName": t, "msPlayed": int(m * 60_000)}
        for t, m in zip(titles, minutes, strict=True)
    ]


def test_basic_history_with_shows_that_carry_no_podcast_flag(tmp_path):
    """A real basic file with the kinds of show the old rule missed mixed in, as older exports mix them."""
    items = json.loads((BASIC_DIR / "StreamingHistory5.json").read_text(encoding="utf-8"))
    end = items[100]["endTime"]
    shows = {
        "Serial": _episodes(
            end, "Serial", ["S01 Episode 01: The Alibi", "S01 Episode 02: The Breakup"], [52, 31]
        ),
        "This American Life": _episodes(
            end, "This American Life", ["S8E11 - The Promise", "S8E12 - Ring"], [58, 4]
        ),
        "Huberman Lab": _episodes(
            end,
            "Huberman Lab",
            [
                "Dr. Matthew Walker: The Science & Practice of Perfecting Your Sleep",
                "How to Focus to Change Your Brain and Improve Your Work",
                "Using Deliberate Cold Exposure for Health and Performance",
            ],
            [95, 121, 14],
        ),
    }
    audiobook = _episodes(
        end, "Harry Potter (Hörbuch)", [f"Kapitel {i}.{j}" for i in (1, 2) for j in (1, 2, 3)], [3.1] * 6
    )
    classical = _episodes(
        end,
        "Gustav Mahler",
        ["Symphony No. 5 in C-Sharp Minor: III. Scherzo. Kräftig, nicht zu schnell"] * 3,
        [18, 21, 22],
    )
    mixed = items[:200] + sum(shows.values(), []) + audiobook + classical
    path = tmp_path / "StreamingHistory0.json"
    path.write_text(json.dumps(mixed, ensure_ascii=False), encoding="utf-8")
    _, records = read_all(path)
    skipped = {
        (r.reason, r.detail)
        for r in records
        if type(r) is SkippedRow and r.reason in ("podcast", "audiobook")
    }
    assert skipped == {("podcast", s) for s in shows} | {("audiobook", "Harry Potter (Hörbuch)")}
    kept = {r.artist for r in plays(records)}
    assert "Gustav Mahler" in kept
    assert kept >= {i["artistName"] for i in items[:200] if i["msPlayed"] >= 30_000}
