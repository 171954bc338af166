"""Shared bits for the feature-provider tests: a real SQLite store with plays, fast provider settings."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Iterable
from pathlib import Path

from core.features.providers.base import Item
from core.features.providers.items import track_items
from core.features.providers.state import StatusRow, load_statuses
from core.sources.records import ImportSummary, PlayRecord
from core.store import open_store
from core.store.catalog import get_or_create_account
from core.store.ingest import Ingestor
from core.store.schema import Track

T0 = 1_700_000_000
#: Client settings for tests: no real waiting between retries, short timeouts.
FAST = {"timeout": 2.0, "attempts": 2, "backoff_s": 0.01}


_EMPTY: list[Path] = []


def _empty_db() -> Path:
    """One migrated empty database per test session (migrating costs ~1 s; copying it ~10 ms)."""
    if not _EMPTY:
        path = Path(tempfile.mkdtemp(prefix="segue-features-empty-")) / "empty.sqlite"
        open_store(f"sqlite:///{path}").dispose()
        _EMPTY.append(path)
    return _EMPTY[0]


def make_store(tmp_path: Path, plays: Iterable[tuple], account: str = "alice"):
    """A migrated SQLite store holding ``plays`` = (artist, track, album, duration_ms[, track_mbid]) for one
    account; each tuple is one play (repeat a tuple to play it more often)."""
    tmp_path.mkdir(parents=True, exist_ok=True)
    db = tmp_path / "segue.sqlite"
    shutil.copyfile(_empty_db(), db)
    store = open_store(f"sqlite:///{db}")
    records = []
    for i, p in enumerate(plays):
        artist, track, album, duration = p[:4]
        mbid = p[4] if len(p) > 4 else None
        records.append(
            PlayRecord(artist, track, T0 + 300 * i, album or None, None, duration, track_mbid=mbid)
        )
    with store.engine.begin() as conn:
        aid = get_or_create_account(conn, account, now=T0)
        for _ in Ingestor(conn, aid, "test", now=T0 + 10**8).run(records, ImportSummary("test", "test")):
            pass
    return store


def add_play(store, play: tuple, account: str = "alice", played_at: int = T0 + 10**7) -> None:
    artist, track, album, duration = play[:4]
    with store.engine.begin() as conn:
        aid = get_or_create_account(conn, account, now=T0)
        rec = PlayRecord(
            artist,
            track,
            played_at,
            album or None,
            None,
            duration,
            track_mbid=play[4] if len(play) > 4 else None,
        )
        for _ in Ingestor(conn, aid, "test", now=T0 + 10**8).run([rec], ImportSummary("test", "test")):
            pass


def items(store, account_id: int | None = None) -> dict[str, Item]:
    """Track items keyed by title."""
    with store.engine.connect() as conn:
        return {it.title: it for it in track_items(conn, account_id)}


def statuses(store, kind: str, modality: str) -> dict[int, StatusRow]:
    with store.engine.connect() as conn:
        return load_statuses(conn, kind, modality)


def track_row(store, track_id: int) -> Track:
    with store.session() as session:
        return session.get(Track, track_id)
