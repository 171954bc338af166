"""Real cuts (see model_cuts.py) imported through the product's importer into throwaway stores.

``cut_store`` holds the newest 3,000 plays (and tiny accounts); ``history_store`` the whole export
plus the shared audio and tag tables, from which ``full_cut`` / ``small_cut`` (history, test split)
and ``full_features`` / ``small_features`` (``load_item_features``) are built once per session.
"""

from __future__ import annotations

import pytest
from model_cuts import ALEEX, CUT_PLAYS, SMALL_SHARE, Cut, history_cut, import_cut, import_feature_tables


@pytest.fixture(scope="session")
def cut_store(tmp_path_factory):
    """A store with 'aleex' (3,000 real plays) and tiny accounts: 'empty' (0), 'one' (1), 'twenty' (20)."""
    if not ALEEX.exists():
        pytest.skip(f"shared data not found at {ALEEX}")
    from core.store.catalog import get_or_create_account
    from core.store.engine import open_store

    folder = tmp_path_factory.mktemp("cut")
    store = open_store(f"sqlite:///{folder / 'cut.sqlite'}")
    import_cut(store, folder, "aleex", CUT_PLAYS)
    import_cut(store, folder, "one", 1)
    import_cut(store, folder, "twenty", 20)
    with store.engine.begin() as conn:
        get_or_create_account(conn, "empty", now=0)
    yield store
    store.dispose()


@pytest.fixture(scope="session")
def cut_sequence(cut_store):
    from core.store.queries import account_by_name
    from models.data import build_sequence

    return build_sequence(cut_store.engine, account_by_name(cut_store.engine, "aleex").id)


@pytest.fixture(scope="session")
def history_store(tmp_path_factory):
    """The whole export (6,001 real scrobbles) as 'aleex', with the shared audio and tag tables."""
    if not ALEEX.exists():
        pytest.skip(f"shared data not found at {ALEEX}")
    from core.store.engine import open_store
    from models.evaluation.datasets import import_into

    folder = tmp_path_factory.mktemp("history")
    store = open_store(f"sqlite:///{folder / 'history.sqlite'}")
    import_into(store, [ALEEX], "aleex")
    import_feature_tables(store, "aleex")
    yield store
    store.dispose()


@pytest.fixture(scope="session")
def full_cut(history_store) -> Cut:
    """The whole export: 5,722 plays after collapsing, 2,072 tracks, the last 10% held out."""
    return history_cut(history_store.engine, "aleex")


@pytest.fixture(scope="session")
def small_cut(history_store) -> Cut:
    """The oldest 2,500 scrobbles: about 2,360 plays after collapsing, 1,092 tracks."""
    return history_cut(history_store.engine, "aleex", upto=SMALL_SHARE)


@pytest.fixture(scope="session")
def full_features(history_store, full_cut):
    from models.features import load_item_features

    return load_item_features(history_store.engine, full_cut.space, account="aleex")


@pytest.fixture(scope="session")
def small_features(history_store, small_cut):
    from models.features import load_item_features

    return load_item_features(history_store.engine, small_cut.space, account="aleex")
