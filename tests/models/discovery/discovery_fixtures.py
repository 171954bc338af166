"""Small real stores for the discovery tests: histories in the ghan.nl CSV layout through the product
importer, catalogues through ``core.catalogue`` (the ``local.accounts`` source and, for similar
artists, an answer written with the cache API exactly as a live source stores one).

``listening_store`` builds a listener ("me") whose sessions each stay with one artist and play one or
two of that artist's tracks for the first time, and another listener ("other") who played every
track: so every first play of "me" is in the catalogue, and "by the artist you are playing now" is
what a learned ranker should find.
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from core.jobs import run_job
from core.sources.importing import import_files

T0 = 1_600_000_000
N_ARTISTS = 12
N_TRACKS = 60


def write_history(path: Path, plays: list[tuple[str, str, int]]) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh, quoting=csv.QUOTE_ALL)
        w.writerow(["uts", "utc_time", "artist", "artist_mbid", "album", "album_mbid", "track", "track_mbid"])
        for artist, track, ts in sorted(plays, key=lambda p: -p[2]):
            w.writerow([ts, "", artist, "", f"{artist} LP", "", track, ""])
    return path


def add_account(store, folder: Path, name: str, plays: list[tuple[str, str, int]]) -> int:
    from core.store.catalog import find_account

    report = run_job(
        import_files(store, [write_history(folder / f"{name}.csv", plays)], name, fmt="lastfm-ghan")
    )
    assert report.ok, report.failures
    with store.engine.connect() as conn:
        return find_account(conn, name)


def artist(a: int) -> str:
    return f"Artist {a:02d}"


def track(a: int, t: int) -> str:
    return f"Song {a:02d}-{t:02d}"


def sessions_history(n_sessions: int = 160, seed: int = 0) -> list[tuple[str, str, int]]:
    """ "me": each session (3 h apart) plays 6 tracks of one artist — mostly known ones, and the next
    one or two of that artist's tracks for the first time."""
    rng = np.random.default_rng(seed)
    known = {a: 2 for a in range(N_ARTISTS)}
    plays, t = [], T0
    for _ in range(n_sessions):
        a = int(rng.integers(0, N_ARTISTS // 2)) if rng.random() < 0.8 else int(rng.integers(0, N_ARTISTS))
        for j in range(6):
            if j in (2, 4) and known[a] < N_TRACKS:
                tr = known[a]
                known[a] += 1
            else:
                tr = int(rng.integers(0, known[a]))
            plays.append((artist(a), track(a, tr), t))
            t += 240
        t += 3 * 3600
    return plays


def everything_history() -> list[tuple[str, str, int]]:
    """ "other": every track once, the later tracks of each artist a few times more (popular)."""
    plays, t = [], T0 - 10_000_000
    for a in range(N_ARTISTS):
        for tr in range(N_TRACKS):
            for _ in range(1 + (tr % 3 == 0)):
                plays.append((artist(a), track(a, tr), t))
                t += 600
    return plays


def refresh_local(store, account: str) -> None:
    from core.catalogue.refresh import refresh_catalogue

    run_job(refresh_catalogue(store, account, sources=["local.accounts"]))


def similar_answer(store, account_id: int, seed_artist: str, similar: list[tuple[str, float]]) -> None:
    """A ``lastfm.artist.getSimilar`` answer for ``seed_artist`` followed by ``account_id``."""
    from sqlalchemy import select

    from core.catalogue.cache import ensure_fetches, link_seeds, save_answer
    from core.catalogue.sources.base import Entry, Want
    from core.features.providers.base import Outcome
    from core.normalize import artist_key
    from core.store.catalog import Catalog
    from core.store.schema import Artist

    with store.engine.begin() as conn:
        seed = conn.execute(select(Artist.id).where(Artist.name_key == artist_key(seed_artist))).scalar_one()
        want = Want(artist_key(seed_artist), 1.0, seed_artist_id=seed)
        states = ensure_fetches(conn, "lastfm.artist.getSimilar", [want], 86_400, T0)
        link_seeds(conn, account_id, "lastfm.artist.getSimilar", {states[want.key].id: 1.0}, T0)
        entries = [Entry(artist=name, score=score) for name, score in similar]
        save_answer(conn, Catalog(conn), states[want.key].id, Outcome.ok(entries), T0)
