"""Feature-table import on the real tables in ../shared, matched against the real erzadel history.

The expected counts were computed by running the import on these files (see the issue-4 report);
they change only if the matching rules (core.normalize) or the tables change.
"""

from __future__ import annotations

import csv
from collections import Counter

import pytest
from featurestore_helpers import (
    ARIANA,
    DATA_BY_ARTIST,
    EDELGRACE,
    HETREC,
    HIT_00S,
    MUSICOSET,
    POPLYRICS,
)
from sqlalchemy import select

from core.features.tables import import_table
from core.jobs import run_job
from core.normalize import artist_key, track_key
from core.store.schema import Artist, AudioFeatures, FeatureStatus, ItemTag, Lyrics, Track


def _import(store, path, kind, **kw):
    return run_job(import_table(store, path, kind, account="erzadel", **kw))


def _rows(store, model, *where):
    with store.engine.connect() as conn:
        return conn.execute(select(model).where(*where)).all()


def test_edelgrace_lyrics_tab_table(erz_store):
    s = _import(erz_store, EDELGRACE / "lyrics.csv", "lyrics")
    assert (s.rows, s.matched_tracks, s.written, s.empty, s.duplicates, s.unmatched) == (
        547,
        495,
        226,
        269,
        2,
        50,
    )
    lyrics = _rows(erz_store, Lyrics)
    assert len(lyrics) == 226
    assert not any("\\" in r.text for r in lyrics)  # backslashes were the newlines
    assert sum("\n" in r.text for r in lyrics) == 225  # one lyric is a single line in the source
    statuses = _rows(erz_store, FeatureStatus, FeatureStatus.modality == "lyrics")
    assert len(statuses) == 226 and {r.provider for r in statuses} == {"table:lyrics.csv"}
    assert {r.status for r in statuses} == {"ok"}  # empty lyrics leave the track pending for providers


def test_reimport_is_idempotent(erz_store):
    first = _import(erz_store, EDELGRACE / "lyrics.csv", "lyrics")
    again = _import(erz_store, EDELGRACE / "lyrics.csv", "lyrics")
    assert again.written == first.written and again.kept_existing == 0
    assert len(_rows(erz_store, Lyrics)) == 226


def test_other_providers_are_kept_unless_replace(erz_store):
    with erz_store.engine.connect() as conn:
        tid = conn.execute(
            select(Track.id)
            .join(Artist, Artist.id == Track.artist_id)
            .where(Artist.name_key == artist_key("Gwen Stefani"), Track.name_key == track_key("Cool"))
        ).scalar_one()
    with erz_store.engine.begin() as conn:
        conn.execute(
            Lyrics.__table__.insert().values(
                track_id=tid, text="synced text", synced=True, provider="lrclib", fetched_at=1
            )
        )
    s = _import(erz_store, EDELGRACE / "lyrics.csv", "lyrics")
    assert s.kept_existing == 1 and s.written == 225
    assert _rows(erz_store, Lyrics, Lyrics.track_id == tid)[0].provider == "lrclib"
    s = _import(erz_store, EDELGRACE / "lyrics.csv", "lyrics", replace=True)
    assert s.kept_existing == 0 and s.written == 226
    assert _rows(erz_store, Lyrics, Lyrics.track_id == tid)[0].provider == "table:lyrics.csv"


def test_hit_predictor_audio_with_artist_means(erz_store):
    s = _import(erz_store, HIT_00S, "audio")
    assert (s.rows, s.matched_tracks, s.matched_artists, s.written, s.duplicates) == (5872, 235, 251, 486, 1)
    track_rows = _rows(erz_store, AudioFeatures, AudioFeatures.item_kind == "track")
    artist_rows = _rows(erz_store, AudioFeatures, AudioFeatures.item_kind == "artist")
    assert len(track_rows) == 235 and len(artist_rows) == 251
    assert {r.provider for r in artist_rows} == {"table-mean:dataset-of-00s.csv"}
    # a matched track carries the table's numbers exactly
    with erz_store.engine.connect() as conn:
        tid = conn.execute(
            select(Track.id)
            .join(Artist, Artist.id == Track.artist_id)
            .where(
                Artist.name_key == artist_key("Mary J. Blige"), Track.name_key == track_key("Be Without You")
            )
        ).scalar_one()
    row = _rows(erz_store, AudioFeatures, AudioFeatures.item_id == tid, AudioFeatures.item_kind == "track")[0]
    with open(HIT_00S, newline="", encoding="utf-8") as fh:
        src = next(
            r for r in csv.DictReader(fh) if r["artist"] == "Mary J. Blige" and r["track"] == "Be Without You"
        )
    for col in ("danceability", "energy", "loudness", "tempo", "valence", "instrumentalness"):
        assert getattr(row, col) == pytest.approx(float(src[col]))
    assert row.key == float(src["key"])


def test_artist_table_wins_over_means_in_either_order(erz_store):
    a = _import(erz_store, DATA_BY_ARTIST, "audio")
    assert (a.level, a.rows, a.matched_artists, a.written) == ("artist", 27606, 615, 615)
    _import(erz_store, HIT_00S, "audio")  # its means must not replace data_by_artist rows
    providers = Counter(
        r.provider for r in _rows(erz_store, AudioFeatures, AudioFeatures.item_kind == "artist")
    )
    assert providers["table:data_by_artist.csv"] == 615
    assert sum(providers.values()) == 615 + providers["table-mean:dataset-of-00s.csv"]


def test_musicoset_joined_through_songs_csv(erz_store):
    s = _import(erz_store, MUSICOSET, "audio")
    assert (s.layout, s.rows, s.matched_tracks, s.matched_artists) == ("musicoset", 20405, 367, 312)


def test_poplyrics_parquet_and_ariana_column_order(erz_store):
    p = _import(erz_store, POPLYRICS, "lyrics")
    assert (p.layout, p.rows, p.matched_tracks, p.written) == ("parquet", 1000, 61, 61)
    a = run_job(import_table(erz_store, ARIANA, "lyrics"))  # no account: matched against every track
    assert (a.rows, a.repaired, a.skipped) == (305, 80, {"no_title": 3})


def test_hetrec_artist_tags_weighted_by_user_count(erz_store):
    s = _import(erz_store, HETREC, "tags")
    assert (s.layout, s.level, s.matched_artists, s.written) == ("hetrec-2011", "artist", 643, 643)
    assert s.skipped == {"unknown_id": 1538}

    # recount one artist's tags straight from the files
    def read(name, enc="utf-8"):
        with open(HETREC / name, encoding=enc, newline="") as fh:
            return list(csv.reader(fh, delimiter="\t"))[1:]

    artists = {r[0]: r[1] for r in read("artists.dat")}
    tags = {r[0]: r[1] for r in read("tags.dat", "latin-1")}
    aid = next(i for i, n in artists.items() if n == "Toni Braxton")
    expected = Counter(tags[r[2]].strip().casefold() for r in read("user_taggedartists.dat") if r[1] == aid)
    with erz_store.engine.connect() as conn:
        art = conn.execute(
            select(Artist.id).where(Artist.name_key == artist_key("Toni Braxton"))
        ).scalar_one()
    stored = {
        r.tag: r.weight
        for r in _rows(erz_store, ItemTag, ItemTag.item_kind == "artist", ItemTag.item_id == art)
    }
    assert stored == {t: float(n) for t, n in expected.items()}


def test_edelgrace_artist_tag_lists(erz_store):
    s = _import(erz_store, EDELGRACE / "artists.csv", "tags")
    assert (s.level, s.rows, s.matched_artists, s.written, s.empty) == ("artist", 2675, 1526, 1211, 315)
    with erz_store.engine.connect() as conn:
        art = conn.execute(
            select(Artist.id).where(Artist.name_key == artist_key("Foo Fighters"))
        ).scalar_one()
    tags = {r.tag: r.weight for r in _rows(erz_store, ItemTag, ItemTag.item_id == art)}
    assert tags["rock"] == 100.0 and len(tags) == 25  # first listed tag is the strongest
    assert tags["alternative rock"] > tags["grunge"] > tags["post grunge"]


def test_unknown_values_stay_null(erz_store, tmp_path):
    table = tmp_path / "mine.csv"
    table.write_text(
        "artist,title,tempo,key,instrumentalness,valence,energy\nGwen Stefani,Cool,0,-1,0,NA,\n",
        encoding="utf-8",
    )
    s = run_job(import_table(erz_store, table, "audio", artist_fallback=False))
    assert s.written == 1
    row = _rows(erz_store, AudioFeatures, AudioFeatures.item_kind == "track")[0]
    assert row.tempo is None and row.key is None and row.valence is None and row.energy is None
    assert row.instrumentalness == 0.0  # a measured zero is data
    assert row.danceability is None  # a column the table lacks stays unknown
