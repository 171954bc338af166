"""A discovery reason's history counts are the store's (what Stats shows: every scrobble, the play's
own album), kept current as plays arrive, with no query per reason."""

from __future__ import annotations

from sqlalchemy import select

from core.sources.records import ImportSummary, PlayRecord
from core.stats import top
from core.store import open_store
from core.store.catalog import get_or_create_account
from core.store.ingest import Ingestor
from core.store.queries import load_plays
from core.store.schema import Album, Artist
from models.discovery.history_counts import HistoryCounts
from models.discovery.reasons import DiscoveryEvidence

T0 = 1_700_000_000


def _add(store, plays, start: int) -> int:
    with store.engine.begin() as conn:
        aid = get_or_create_account(conn, "me", now=T0)
        records = [PlayRecord(a, t, start + 300 * i, alb) for i, (a, t, alb) in enumerate(plays)]
        for _ in Ingestor(conn, aid, "test", now=T0 + 10**8).run(records, ImportSummary("test", "test")):
            pass
    return aid


def test_counts_are_the_stores_and_follow_new_plays(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 's.sqlite'}")
    hope = "I Could Live in Hope"
    plays = [("Low", "Words", hope)] * 3 + [
        ("Low", "Lullaby", hope),
        ("Low", "Monkey", "The Great Destroyer"),
    ]
    account_id = _add(store, plays + [("Hum", "Stars", "You'd Prefer an Astronaut")], T0)
    with store.engine.connect() as conn:
        low = conn.execute(select(Artist.id).where(Artist.name == "Low")).scalar_one()
        album = conn.execute(select(Album.id).where(Album.name == hope)).scalar_one()
    counts = HistoryCounts.of(load_plays(store.engine, account_id))
    asked = [
        DiscoveryEvidence("affinity", "history", low, plays=1),  # the ranker's collapsed count
        DiscoveryEvidence("album", "history", low, album=album, plays=2),
    ]
    got = counts.apply(asked)
    assert (got[0].plays, got[1].plays, got[0].last_played) == (5, 4, T0 + 1200)
    frame = load_plays(store.engine, account_id)
    stats = {r.id: r.plays for r in top(frame, "album", limit=10)}  # what the Stats page lists
    assert stats[album] == 4
    assert {r.id: r.plays for r in top(frame, "artist", limit=10)}[low] == 5

    _add(store, [("Low", "Words", hope), ("Hum", "Stars", "")], T0 + 9000)  # plays arrive
    counts.add(load_plays(store.engine, account_id, start=T0 + 1501))
    again = counts.apply(asked)
    assert (again[0].plays, again[1].plays, again[0].last_played) == (6, 5, T0 + 9000)
    assert counts == HistoryCounts.of(load_plays(store.engine, account_id))  # as if built afresh
