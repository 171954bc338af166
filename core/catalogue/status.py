"""``segue catalogue status``: per source, what the account's catalogue holds and how fresh it is."""

from __future__ import annotations

import time

import numpy as np
from sqlalchemy import Connection, Engine

from core.catalogue.query import load_catalogue
from core.catalogue.sources import SOURCES

MAX_ERRORS_SHOWN = 5


def catalogue_status(bind: Connection | Engine, account_id: int, *, now: int | None = None) -> dict:
    """{"candidates", "artists", "new_artists", "sources": {name: {...}}} for ``account_id``.

    Per source: ``candidates`` (unheard tracks it lists), ``artists`` (their distinct artists) and
    ``new_artists`` (of those, artists the account never played), ``seeds`` (answers this listener
    follows) by status, ``oldest_days`` / ``newest_days`` (age of the stored answers), and
    ``errors`` with the last few reasons.
    """
    now = int(time.time()) if now is None else now
    cat = load_catalogue(bind, account_id)
    out_sources: dict[str, dict] = {}
    names = [s for s in SOURCES if s in cat.source_names] + [s for s in cat.source_names if s not in SOURCES]
    for name in names:
        rows = [f for f in cat.fetches if f.source == name]
        by_status: dict[str, int] = {}
        for f in rows:
            by_status[f.status] = by_status.get(f.status, 0) + 1
        fetched = [f.fetched_at for f in rows if f.fetched_at]
        ev = cat.sources.get(name)
        artists = cat.artist_ids[ev.index] if ev is not None else np.zeros(0, np.int64)
        heard = cat.artist_heard[ev.index] if ev is not None else np.zeros(0, bool)
        errors = [f for f in rows if f.status == "error"]
        out_sources[name] = {
            "candidates": len(ev) if ev is not None else 0,
            "artists": int(np.unique(artists).size),
            "new_artists": int(np.unique(artists[~heard]).size),
            "seeds": len(rows),
            "status": by_status,
            "oldest_days": round((now - min(fetched)) / 86400, 1) if fetched else None,
            "newest_days": round((now - max(fetched)) / 86400, 1) if fetched else None,
            "errors": len(errors),
            "last_errors": [
                {"key": f.key, "error": f.error, "checked_at": f.checked_at}
                for f in sorted(errors, key=lambda f: -f.checked_at)[:MAX_ERRORS_SHOWN]
            ],
        }
    return {
        "account_id": account_id,
        "candidates": len(cat),
        "artists": int(np.unique(cat.artist_ids).size),
        "new_artists": int(np.unique(cat.artist_ids[~cat.artist_heard]).size),
        "sources": out_sources,
    }
