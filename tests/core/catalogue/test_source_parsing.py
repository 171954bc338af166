"""The sources' readers on the odd bodies real services send (no network needed)."""

from __future__ import annotations

import pytest

from core.catalogue.sources.lastfm_base import ranked_tracks, section, track_entry
from core.catalogue.sources.lastfm_similar_artists import LastfmSimilarArtists
from core.catalogue.sources.listenbrainz_radio import named_entries, radio_recordings
from core.catalogue.sources.listenbrainz_similar_artists import parse_similar
from core.catalogue.sources.listenbrainz_top_recordings import parse_top_recordings
from core.catalogue.sources.musicbrainz_artists import choose_artist
from core.net import Transient

A = "a74b1b7f-71a5-4011-9441-d0b5e4122711"
B = "b10bbbfc-cf9e-42e0-be17-e2c3e1d2600d"


def test_lastfm_empty_forms_single_objects_and_string_numbers():
    assert section({}, "similartracks", "track") == []  # <lfm status="ok"/>
    assert section({"similartracks": "\n"}, "similartracks", "track") == []
    assert section({"similartracks": {"#text": "\n", "@attr": {}}}, "similartracks", "track") == []
    assert section({"toptags": {}}, "similartracks", "track") is None  # not this method's answer
    one = {
        "toptracks": {
            "track": {"name": "Creep", "playcount": "12", "listeners": "3", "artist": {"name": "Radiohead"}}
        }
    }
    (e,) = ranked_tracks(section(one, "toptracks", "track"))
    assert (e.artist, e.track, e.playcount, e.listeners) == ("Radiohead", "Creep", 12, 3)
    items = [
        {"name": "B", "artist": {"name": "X"}, "@attr": {"rank": "2"}},
        {"name": "A", "artist": {"name": "X"}, "@attr": {"rank": "1"}},
        {"name": "", "artist": {"name": "X"}},  # nameless: left out
    ]
    assert [e.track for e in ranked_tracks(items)] == ["A", "B"]
    assert (
        track_entry({"name": "T", "artist": "Plain String Artist", "duration": "208"}).duration_ms == 208_000
    )
    similar = LastfmSimilarArtists.parse(
        None, {"similarartists": {"artist": {"name": "Muse", "match": "0.5"}}}
    )
    assert [(e.artist, e.score) for e in similar] == [("Muse", 0.5)]
    with pytest.raises(Transient):
        LastfmSimilarArtists.parse(None, {"weird": 1})


def test_listenbrainz_readers():
    rows = [
        {"artist_mbid": A, "name": "Seed"},  # the reference artist itself
        {"artist_mbid": B, "name": "Other", "score": 812},
        {"artist_mbid": B, "name": None},
    ]
    assert [(e.artist, e.score) for e in parse_similar(rows, A)] == [("Other", 812.0)]
    with pytest.raises(Transient):
        parse_similar({"error": "x"}, A)
    recs = parse_top_recordings(
        [
            {"artist_name": "A & B", "artist_mbids": [A, B], "recording_name": "Duet", "recording_mbid": B,
             "length": 200000, "total_listen_count": 10, "total_user_count": 4},
            {"artist_name": "Solo", "artist_mbids": [A], "recording_name": "One", "total_user_count": 2},
        ]
    )  # fmt: skip
    assert recs[0].artist_mbid is None and recs[1].artist_mbid == A  # a shared credit names no one artist
    assert (recs[0].listeners, recs[0].playcount, recs[0].duration_ms) == (4, 10, 200000)
    radio = radio_recordings(
        {A: [{"recording_mbid": "r1", "similar_artist_mbid": A, "similar_artist_name": "Seed", "total_listen_count": 1},
             {"recording_mbid": "r2", "similar_artist_mbid": A, "similar_artist_name": "Seed", "total_listen_count": 9}]}
    )  # fmt: skip
    assert [r["recording_mbid"] for r in radio] == ["r2", "r1"]
    named = named_entries(
        radio, {"r2": {"recording": {"name": "Song", "length": 1000}, "artist": {"name": "Seed"}}}
    )
    assert [(e.artist, e.track, e.playcount) for e in named] == [("Seed", "Song", 9)]  # r1 unknown: left out


def test_musicbrainz_artist_choice_is_exact_or_nothing():
    assert choose_artist([{"id": A, "score": 100, "name": "Radiohead"}], "radiohead") == A
    assert choose_artist([{"id": A, "score": 100, "name": "Radiohead Tribute"}], "Radiohead") is None
    alias = [{"id": A, "score": 95, "name": "Sigur Rós", "aliases": [{"name": "Sigur Ros"}]}]
    assert choose_artist(alias, "Sigur Ros") == A
    twins = [{"id": A, "score": 100, "name": "Phoenix"}, {"id": B, "score": 100, "name": "Phoenix"}]
    assert choose_artist(twins, "Phoenix") is None  # two bands of that name: no ID rather than a guess
    assert choose_artist([{"id": A, "score": 80, "name": "Air"}], "Air") is None
