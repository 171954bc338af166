"""A discovery reason's history counts are the store's (what Stats shows), cached between calls and
dropped when a new play of that artist or album arrives."""

from __future__ import annotations

from types import SimpleNamespace

from sqlalchemy import select

from core.sources.records import ImportSummary, PlayRecord
from core.store import open_store
from core.store.catalog import get_or_create_account
from core.store.ingest import Ingestor
from core.store.schema import Album, Artist, Scrobble, Track
from models.discovery.reasons import DiscoveryEvidence
from models.discovery.service import stored_counts

T0 = 1_700_000_000


def _store(tmp_path, plays):
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    with store.engine.begin() as conn:
        aid = get_or_create_account(conn, "me", now=T0)
        records = [PlayRecord(a, t, T0 + 300 * i, alb) for i, (a, t, alb) in enumerate(plays)]
        for _ in Ingestor(conn, aid, "test", now=T0 + 10**8).run(records, ImportSummary("test", "test")):
            pass
    return store, aid


def test_album_and_artist_counts_come_from_the_store_and_follow_new_plays(tmp_path):
    plays = [("Low", "Words", "I Could Live in Hope")] * 3 + [("Low", "Lullaby", "I Could Live in Hope")]
    plays += [("Low", "Monkey", "The Great Destroyer"), ("Hum", "Stars", "You'd Prefer an Astronaut")]
    store, account_id = _store(tmp_path, plays)
    with store.engine.connect() as conn:
        low = conn.execute(select(Artist.id).where(Artist.name == "Low")).scalar_one()
        hope = conn.execute(select(Album.id).where(Album.name == "I Could Live in Hope")).scalar_one()
    warm = SimpleNamespace(account_id=account_id, counts={"artist": {}, "album": {}})
    asked = [
        DiscoveryEvidence("affinity", "history", low, plays=1),  # the ranker's collapsed count
        DiscoveryEvidence("album", "history", low, album=hope, plays=2),
    ]
    got = stored_counts(store.engine, warm, asked)
    assert (got[0].plays, got[1].plays) == (5, 4)
    assert got[0].last_played == T0 + 300 * 4
    assert warm.counts == {"artist": {low: (5, T0 + 1200)}, "album": {hope: 4}}
    with store.engine.begin() as conn:  # a play behind the cache's back: the cached count still answers
        track = conn.execute(select(Track.id).where(Track.name == "Words")).scalar_one()
        conn.execute(
            Scrobble.__table__.insert().values(
                account_id=account_id, track_id=track, played_at=T0 + 9000, source="test"
            )
        )
    assert stored_counts(store.engine, warm, asked)[1].plays == 4
    warm.counts["album"].clear()  # what the warm state's catch-up does on a new play
    warm.counts["artist"].pop(low)
    again = stored_counts(store.engine, warm, asked)
    assert (again[0].plays, again[1].plays) == (6, 5)
