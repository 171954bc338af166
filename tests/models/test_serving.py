"""Serving: suggestions with reasons in plain words for any account size, kept warm, explore."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.jobs import run_job
from core.store.queries import account_by_name
from core.store.schema import Scrobble
from models.artefacts import load_model
from models.base import ModelError
from models.serving.recommend import explore_for, recommend_for
from models.training import train_model

FAST = {"max_train_targets": 300}


def test_recommend_for_gives_reasons_in_plain_words(cut_store):
    run_job(train_model(cut_store, "aleex", "default", params=FAST))
    recs = recommend_for(cut_store, "aleex", k=10)
    assert len(recs) == 10 and len({r.track_id for r in recs}) == 10
    assert all(r.reason and "{" not in r.reason for r in recs)
    assert all(not r.new_to_user for r in recs)
    assert recs == sorted(recs, key=lambda r: -r.score)
    with cut_store.engine.connect() as conn:
        last = conn.execute(
            select(Scrobble.track_id)
            .where(Scrobble.account_id == account_by_name(cut_store.engine, "aleex").id)
            .order_by(Scrobble.played_at.desc())
            .limit(1)
        ).scalar_one()
    assert last not in {r.track_id for r in recs}, "the track playing now is not suggested"
    excluded = recommend_for(cut_store, "aleex", k=10, exclude=[recs[0].track_id])
    assert recs[0].track_id not in {r.track_id for r in excluded}


def test_recommend_for_catches_up_with_new_plays(cut_store):
    run_job(train_model(cut_store, "twenty", "default"))
    first = recommend_for(cut_store, "twenty", k=5)
    acc = account_by_name(cut_store.engine, "twenty")
    with cut_store.engine.begin() as conn:
        last_t = max(
            r[0] for r in conn.execute(select(Scrobble.played_at).where(Scrobble.account_id == acc.id))
        )
        conn.execute(
            Scrobble.__table__.insert().values(
                account_id=acc.id, track_id=first[0].track_id, played_at=last_t + 300, source="test"
            )
        )
    after = recommend_for(cut_store, "twenty", k=5)
    assert first[0].track_id not in {r.track_id for r in after}, "the new play is now the one playing"


def test_tiny_accounts_get_a_fallback_or_a_clear_message(cut_store):
    for account in ("empty", "one"):
        recs = recommend_for(cut_store, account, k=5)
        assert recs and all(r.new_to_user and "popular on this computer" in r.reason for r in recs)
    with pytest.raises(ModelError, match="at least 2"):
        run_job(train_model(cut_store, "one", "default"))
    twenty = recommend_for(cut_store, "twenty", k=5)  # trains on demand with fallback weights
    assert twenty and all(r.reason for r in twenty)
    assert "fallback" in load_model("twenty").params["trained_on"]
    with pytest.raises(ModelError, match="no account"):
        recommend_for(cut_store, "nobody")


def test_explore_ranks_tracks_new_to_the_listener(cut_store):
    recs = explore_for(cut_store, "twenty", k=5)
    own = set()
    with cut_store.engine.connect() as conn:
        own = set(
            conn.execute(
                select(Scrobble.track_id).where(
                    Scrobble.account_id == account_by_name(cut_store.engine, "twenty").id
                )
            ).scalars()
        )
    assert recs and all(
        r.new_to_user and r.track_id not in own and r.reason.startswith("new to you") for r in recs
    )


def test_served_play_counts_follow_new_plays(cut_store):
    """The pool's play counts come from the warm state (no query per call); they stay the store's."""
    from sqlalchemy import func

    from models import api

    run_job(train_model(cut_store, "twenty", "default"))
    acc = account_by_name(cut_store.engine, "twenty")

    def stored(track_id: int) -> int:
        with cut_store.engine.connect() as conn:
            return conn.execute(
                select(func.count())
                .select_from(Scrobble)
                .where(Scrobble.account_id == acc.id, Scrobble.track_id == track_id)
            ).scalar_one()

    pool = api.suggestions(cut_store, "twenty", train_if_missing=False)
    assert pool.familiar and all(pool.plays.get(r.track_id, 0) == stored(r.track_id) for r in pool.familiar)
    again, playing = pool.familiar[1].track_id, pool.familiar[0].track_id
    before = pool.plays[again]
    with cut_store.engine.begin() as conn:
        last_t = conn.execute(
            select(func.max(Scrobble.played_at)).where(Scrobble.account_id == acc.id)
        ).scalar_one()
        # twice back to back (the store counts both, as Stats does), then another track
        for dt, track in ((300, again), (600, again), (900, playing)):
            conn.execute(
                Scrobble.__table__.insert().values(
                    account_id=acc.id, track_id=track, played_at=last_t + dt, source="test"
                )
            )
    pool = api.suggestions(cut_store, "twenty", train_if_missing=False)
    ids = [r.track_id for r in pool.familiar + pool.discoveries]
    assert again in ids and pool.plays[again] == before + 2 == stored(again)
    assert all(pool.plays.get(t, 0) == stored(t) for t in ids)
    assert pool.session[-2:] == [again, playing]  # the state collapses the back-to-back repeat
