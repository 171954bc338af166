"""Discovery for a store holding one real history and nothing else but open tables (no network), through
``discover`` and through the app's one explore path (``models.api.explore``)."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from core.jobs import run_job
from core.normalize import song_key
from core.store.queries import track_info
from core.store.schema import Artist, Scrobble, Track


@pytest.mark.slow
def test_one_real_history_gets_twenty_new_to_you_tracks_from_open_tables(store, shared):
    from core.catalogue.refresh import refresh_catalogue
    from core.features.tables import import_table
    from core.sources.importing import import_files
    from models.discovery.service import discover, train_discovery

    history = shared / "data" / "listening" / "lastfm-exports" / "krishkumar__lastfm_scrobbles.csv"
    assert run_job(import_files(store, [history], "krish")).ok
    audio = shared / "data" / "features" / "audio" / "spotify-hit-predictor"
    for f in ("dataset-of-00s.csv", "dataset-of-10s.csv"):  # what `segue features import` does
        run_job(import_table(store, audio / f, "audio"))
    run_job(refresh_catalogue(store, "krish", sources=["local.accounts", "local.tables"]))
    run_job(train_discovery(store, "krish"))
    recs = discover(store, "krish", 25)
    assert len(recs) >= 20
    with store.engine.connect() as conn:
        for r in recs:
            assert not conn.execute(select(Scrobble.id).where(Scrobble.track_id == r.track_id)).first()
            if r.evidence.kind == "affinity":  # "by Y, whom you played N times": N from the store
                said = re.search(r"played (once|twice|[\d,]+ times)", r.reason).group(1)
                n = {"once": 1, "twice": 2}.get(said) or int(said.split()[0].replace(",", ""))
                assert n == r.evidence.plays
                stored = conn.execute(
                    select(func.count())
                    .select_from(Scrobble)
                    .join(Track)
                    .where(Track.artist_id == r.evidence.artist)
                ).scalar_one()
                assert n == stored  # the store's count, not the ranker's collapsed sequence (618, not 496)
    assert any("whom you played" in r.reason for r in recs)
    assert all(r.reason for r in recs)
    # the counts are cached between calls: a new play by that artist shows in the next answer
    liked = next(r for r in recs if r.evidence.kind == "affinity")
    with store.engine.begin() as conn:
        heard = conn.execute(
            select(Scrobble.track_id).join(Track).where(Track.artist_id == liked.evidence.artist).limit(1)
        ).scalar_one()
        account_id = conn.execute(select(Scrobble.account_id).limit(1)).scalar_one()
        latest = conn.execute(select(func.max(Scrobble.played_at))).scalar_one()
        conn.execute(
            Scrobble.__table__.insert().values(
                account_id=account_id, track_id=heard, played_at=latest + 600, source="test"
            )
        )
    recs = discover(store, "krish", 25)  # the state after that play: what explore must match below
    again = {r.evidence.artist: r.evidence.plays for r in recs if r.evidence.kind == "affinity"}
    assert again[liked.evidence.artist] == liked.evidence.plays + 1
    with store.engine.connect() as conn:
        for artist, plays in again.items():
            stored = conn.execute(
                select(func.count()).select_from(Scrobble).join(Track).where(Track.artist_id == artist)
            ).scalar_one()
            assert plays == stored
    # never a version of a song the listener plays ("Kids (Bonus Track)" for someone who plays "Kids")
    with store.engine.connect() as conn:
        played = {
            (a, song_key(t, n))
            for t, a, n in conn.execute(
                select(Track.name, Track.artist_id, Artist.name).join(Scrobble).join(Artist).distinct()
            )
        }
        shown = track_info(store.engine, [r.track_id for r in recs])
    assert not [
        r
        for r in recs
        if (shown[r.track_id].artist_id, song_key(shown[r.track_id].name, shown[r.track_id].artist)) in played
    ]
    # ... and a version heard since (a new track, stored with its play) takes its song out at once
    target = shown[recs[0].track_id]
    with store.engine.begin() as conn:
        version = conn.execute(
            Track.__table__.insert().values(
                artist_id=target.artist_id,
                name=f"{target.name} (Live)",
                name_key=f"{target.name} (live) test",
            )
        ).inserted_primary_key[0]
        conn.execute(
            Scrobble.__table__.insert().values(
                account_id=account_id, track_id=version, played_at=latest + 1200, source="test"
            )
        )
    recs = discover(store, "krish", 25)
    assert target.id not in [r.track_id for r in recs]
    # the app's one explore path answers from the same ranker (no default model needed for it)
    from models import api

    explored = api.explore(store, "krish", 25, train_if_missing=False)
    assert [r.track_id for r in explored] == [r.track_id for r in recs]
    assert all(r.new_to_user and r.reason == d.reason for r, d in zip(explored, recs, strict=True))
