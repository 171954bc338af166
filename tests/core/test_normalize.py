"""Name keys: spelling variants of one recording meet; different recordings stay apart."""

from __future__ import annotations

import pytest

from core.normalize import album_key, artist_key, track_key


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
