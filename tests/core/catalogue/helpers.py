"""Small real stores for the catalogue tests: histories written as ghan.nl-format CSV and imported."""

from __future__ import annotations

import csv
from pathlib import Path

from core.jobs import run_job
from core.sources.importing import import_files

T0 = 1_600_000_000  # 2020-09-13


def write_history(path: Path, plays: list[tuple[str, str, int]]) -> Path:
    """``plays``: (artist, track, unix time). Written in the ghan.nl export layout the importer reads."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerow(["uts", "utc_time", "artist", "artist_mbid", "album", "album_mbid", "track", "track_mbid"])
        for artist, track, ts in sorted(plays, key=lambda p: -p[2]):
            w.writerow([ts, "", artist, "", "", "", track, ""])
    return path


def add_account(store, folder: Path, name: str, plays: list[tuple[str, str, int]], kind: str = "local"):
    path = write_history(folder / f"{name}.csv", plays)
    report = run_job(import_files(store, [path], name, fmt="lastfm-ghan", account_kind=kind))
    assert report.ok, report.failures
    from core.store.catalog import find_account

    with store.engine.connect() as conn:
        return find_account(conn, name)


def spaced(pairs: list[tuple[str, str]], start: int = T0, step: int = 300) -> list[tuple[str, str, int]]:
    return [(a, t, start + i * step) for i, (a, t) in enumerate(pairs)]
