"""Serving on PostgreSQL (a household server): the explore and fallback queries are standard SQL.

The explore query once grouped by track only while selecting the track's artist, which SQLite allows
and PostgreSQL refuses (GroupingError). Uses the session's throwaway server (tests/pgserver.py, through
tests/core/store/test_postgres.py's pg_url): skipped where PostgreSQL is not installed, required by
make test.
"""

from __future__ import annotations

import pytest
from testpaths import LISTENING

from core.jobs import run_job
from core.sources.importing import import_files
from core.store import open_store
from core.store.catalog import get_or_create_account
from core.store.queries import account_by_name, load_plays
from models.serving.recommend import explore_for, recommend_for
from models.training import train_model
from tests.core.store.test_postgres import pg_url  # noqa: F401 - the server fixture


def test_explore_recommend_and_fallback_on_postgresql(pg_url):  # noqa: F811 - the fixture
    store = open_store(pg_url)
    felhag = LISTENING / "lastfm-exports" / "felhag__lastfmstats-TestUser.json"
    other = (
        LISTENING / "lastfm-1k-sample" / "userid-timestamp-artid-artname-traid-traname.user_000001_head.tsv"
    )
    if not felhag.exists() or not other.exists():
        pytest.skip("shared histories not found")
    for path, account in ((felhag, "felhag"), (other, "other")):
        assert run_job(import_files(store, [path], account)).ok
    with store.engine.begin() as conn:
        get_or_create_account(conn, "newcomer", now=0)
    run_job(train_model(store, "felhag", "default", params={"max_train_targets": 300}))

    own = set(load_plays(store.engine, account_by_name(store.engine, "felhag").id).track_id.tolist())
    found = explore_for(store, "felhag", k=10)
    assert found and all(r.new_to_user and r.track_id not in own for r in found)
    assert all(r.evidence is not None and r.evidence.artist is not None for r in found)
    familiar = recommend_for(store, "felhag", k=10)
    assert len(familiar) == 10 and all("{" not in r.reason for r in familiar)
    popular = recommend_for(store, "newcomer", k=5)
    assert popular and all("popular on this computer" in r.reason for r in popular)
    store.dispose()
