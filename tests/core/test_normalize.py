"""Name keys: spelling variants of one recording meet; different recordings stay apart."""

from __future__ import annotations

import pytest

from core.normalize import album_key, artist_key, song_key, track_key


@pytest.mark.parametrize(
    "variant",
    [
        "Song - Remastered 2011",
        "Song (2011 Remaster)",
        "Song (feat. X)",
        "SONG",
        "Song - 2009 Remastered Version",
        "Song ft. Y",
        "Ｓｏｎｇ",
        "Song [Remastered]",
        "\u200bSong",
        "Song  ",
    ],
)
def test_variants_share_a_key(variant):
    assert track_key(variant) == track_key("Song") == "song"


@pytest.mark.parametrize("other", ["Song (Live)", "Song (Acoustic)", "Song - Remix", "Songs"])
def test_other_recordings_keep_their_own_key(other):
    assert track_key(other) != track_key("Song")


def test_artist_and_album_keys():
    assert artist_key("Drake feat. Rihanna") == artist_key("DRAKE")
    assert album_key("Abbey Road (Remastered)") == album_key("Abbey Road")
    assert artist_key("Кино") == "кино" and track_key("泣ヶ原") == "泣ヶ原"


def test_a_name_that_is_only_a_suffix_keeps_it():
    assert track_key("(feat. Someone)") != ""


@pytest.mark.parametrize(
    ("version", "artist"),
    [
        ("Kids (Bonus Track)", "Two Door Cinema Club"),
        ("TWO DOOR CINEMA CLUB | Kids", "Two Door Cinema Club"),
        ("Two Door Cinema Club - Kids (Official Video)", "Two Door Cinema Club"),
        ("Kids - Live at Brixton", "Two Door Cinema Club"),
        ("Kids (Acoustic) [Live]", "Two Door Cinema Club"),
        ("Kids  (Intro / Outro Rough Mix)", "Two Door Cinema Club"),
        ("Kids - Radio Edit", "Two Door Cinema Club"),
        ("Kids 🅴", "Two Door Cinema Club"),
        ("kids (slowed + reverb)", "Two Door Cinema Club"),
        ("Kids - Sped Up", "Two Door Cinema Club"),
        ("Kids (feat. Someone) 🅴", "Two Door Cinema Club"),
    ],
)
def test_a_version_of_a_song_has_the_song_key(version, artist):
    assert song_key(version, artist) == song_key("Kids", artist) == "kids"


@pytest.mark.parametrize("other", ["Kids (Part 2)", "Kids Again", "Mix", "Intro"])
def test_other_songs_keep_their_song_key(other):
    assert song_key(other, "X") not in ("kids", "")


def test_movements_and_parts_stay_apart():
    assert song_key("Sonata No. 14 (Adagio sostenuto)", "Beethoven") != song_key(
        "Sonata No. 14 (Presto)", "Beethoven"
    )
    assert song_key("Echoes (Part 1)", "X") != song_key("Echoes (Part 2)", "X")
