"""Leak-free discovery data for one listener (docs/architecture.md §8b): a store that never held their test span.

For listener L of the real-listener store (``datasets.dataset_store``), ``listener_store`` makes a
copy of that store and deletes L's plays from the start of L's test span on, then every track, album
and artist no remaining play refers to. What is left is what the catalogue may be built from: the
other listeners' histories, L's training span, and — added by the product's own code paths — the open
tables (``local.tables`` through ``core.catalogue``, features through ``core.features.tables``,
embeddings through ``core.features.embeddings``), the other accounts (``local.accounts``) and the
co-listening graph of HetRec 2011 (``user_artists.dat``: benchmark-only licence, written here as the
artist-level source ``bench.hetrec_colisten``; the app never reads it). L's test plays are then
matched to that store by normalised artist and title — a test track the catalogue does not hold is
unreachable, exactly as it would be for the app.

Each listener's store is cached under ``<cache>/discovery/`` keyed by the source store, the tables,
the HetRec files and ``CACHE_VERSION``.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from collections.abc import Generator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from sqlalchemy import Engine, select

from core import paths
from core.jobs import CancelToken, Progress
from core.store.engine import Store, open_store
from core.store.queries import account_by_name
from core.store.schema import Artist, Track
from models.data import PlaySequence, build_sequence
from models.discovery.graph import cosine_knn
from models.evaluation import splits
from models.evaluation.datasets import SHARED

CACHE_VERSION = 1
HETREC = SHARED / "data" / "features" / "tags" / "hetrec2011-lastfm-2k"
HETREC_SOURCE = "bench.hetrec_colisten"
HETREC_NEIGHBOURS = 50
EMBEDDING_KINDS = ("lyrics", "bio", "tags", "audio")
TEXT_KINDS = ("lyrics", "bio")
TEXT_CACHE = "text-vectors.sqlite"


@dataclass
class ListenerData:
    """One listener's leak-free store and the listener's whole sequence mapped onto it."""

    store: Store
    account_id: int
    seq: PlaySequence  # the listener's collapsed sequence in the *source* store
    split: splits.Split
    track_ids: np.ndarray  # per play of ``seq``: the track id in ``store`` (ghosts ≤ -2: not held)
    artist_ids: np.ndarray  # per play: the artist id in ``store`` (ghosts ≤ -2)
    album_ids: np.ndarray  # per play: the album its play names, as an album id in ``store`` (-1 none)
    cut_time: int  # the first test play's time; the store holds the listener's plays before it


def cut_store(source: Path, target: Path, account_id: int, cut_time: int) -> None:
    """Copy the SQLite store ``source`` to ``target`` without the account's plays at or after
    ``cut_time`` and without tracks, albums and artists nothing refers to any more."""
    tmp = target.with_name(target.name + ".tmp")
    for p in (tmp, Path(f"{tmp}-wal"), Path(f"{tmp}-shm")):
        p.unlink(missing_ok=True)
    src = sqlite3.connect(source)
    dst = sqlite3.connect(tmp)
    try:
        src.backup(dst)
    finally:
        src.close()
    try:
        dst.execute("PRAGMA foreign_keys = OFF")
        for table in ("scrobble", "skip"):
            dst.execute(
                f"DELETE FROM {table} WHERE account_id = ? AND played_at >= ?", (account_id, cut_time)
            )
        dst.execute(
            "DELETE FROM track WHERE id NOT IN (SELECT track_id FROM scrobble) "
            "AND id NOT IN (SELECT track_id FROM skip)"
        )
        dst.execute(
            "DELETE FROM album WHERE id NOT IN (SELECT album_id FROM track WHERE album_id IS NOT NULL) "
            "AND id NOT IN (SELECT album_id FROM scrobble WHERE album_id IS NOT NULL)"
        )
        dst.execute(
            "DELETE FROM artist WHERE id NOT IN (SELECT artist_id FROM track) "
            "AND id NOT IN (SELECT artist_id FROM album)"
        )
        dst.commit()
        dst.execute("VACUUM")
    finally:
        dst.close()
    tmp.replace(target)


# -- HetRec 2011 co-listening -------------------------------------------------------------------
def hetrec_graph(folder: Path = HETREC, k: int = HETREC_NEIGHBOURS) -> tuple[list[str], sp.csr_matrix]:
    """(artist names, artist × artist cosine kNN over users) from ``user_artists.dat``; user weights
    enter as log1p(plays) so one user's heavy rotation does not dominate."""
    names: dict[int, str] = {}
    with open(folder / "artists.dat", encoding="utf-8", errors="replace") as fh:
        next(fh)
        for line in fh:
            parts = line.rstrip("\n").split("\t")
            if len(parts) >= 2:
                names[int(parts[0])] = parts[1]
    data = np.loadtxt(folder / "user_artists.dat", skiprows=1, dtype=np.int64, ndmin=2)
    artists = np.array(sorted(names), np.int64)
    a = np.searchsorted(artists, data[:, 1])
    ok = (a < artists.size) & (artists[np.minimum(a, artists.size - 1)] == data[:, 1])
    users, u = np.unique(data[ok, 0], return_inverse=True)
    m = sp.csr_matrix(
        (np.log1p(data[ok, 2].astype(np.float64)), (a[ok], u)), shape=(artists.size, users.size)
    )
    return [names[int(i)] for i in artists], cosine_knn(m, k=k)


def write_hetrec(store: Store, account_id: int, names: list[str], graph: sp.csr_matrix) -> int:
    """Store the graph as one artist-level answer per HetRec artist (its neighbours, best first,
    score = cosine) and follow every answer from ``account_id``; returns the number of edges."""
    from core.catalogue.cache import ensure_fetches, link_seeds, save_answer
    from core.catalogue.sources.base import Entry, Want
    from core.features.providers.base import Outcome
    from core.normalize import artist_key
    from core.store.catalog import Catalog

    now = int(time.time())
    ttl = 10 * 365 * 86_400
    graph = graph.tocsr()
    edges = 0
    with store.engine.begin() as conn:
        catalog = Catalog(conn)
        catalog.artist_ids((n, None) for n in names)
        ids = catalog.artists
        wants, answers = [], {}
        for i, name in enumerate(names):
            lo, hi = graph.indptr[i], graph.indptr[i + 1]
            if lo == hi:
                continue
            order = np.argsort(-graph.data[lo:hi], kind="stable")
            cols, vals = graph.indices[lo:hi][order], graph.data[lo:hi][order]
            seed = ids[artist_key(name)]
            key = f"hetrec:{artist_key(name)}"
            wants.append(Want(key=key, weight=1.0, seed_artist_id=seed, query={"artist": name}))
            answers[key] = [
                Entry(artist=names[c], artist_id=ids[artist_key(names[c])], score=float(v))
                for c, v in zip(cols, vals, strict=True)
            ]
            edges += len(answers[key])
        states = ensure_fetches(conn, HETREC_SOURCE, wants, ttl, now)
        link_seeds(conn, account_id, HETREC_SOURCE, {states[w.key].id: w.weight for w in wants}, now)
        for w in wants:
            save_answer(conn, catalog, states[w.key].id, Outcome.ok(answers[w.key]), now)
    return edges


# -- building one listener's store --------------------------------------------------------------
def _fingerprint(source: Path, tables: list[tuple[Path, str]]) -> str:
    h = hashlib.sha256(f"v{CACHE_VERSION}".encode())
    stamp = source.with_suffix(".json")
    h.update(stamp.read_bytes() if stamp.exists() else str(source.stat().st_size).encode())
    for p, kind in [*tables, (HETREC / "user_artists.dat", "colisten")]:
        h.update(f"{p}:{kind}:{p.stat().st_size if p.exists() else -1}".encode())
    return h.hexdigest()[:12]


def listener_store(
    base: Store,
    account: str,
    *,
    tables: list[tuple[Path, str]] | None = None,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, ListenerData]:
    """Build (or reuse) listener ``account``'s leak-free store; returns its ``ListenerData``."""
    from models.features import shared_feature_tables

    cancel = cancel or CancelToken()
    info = account_by_name(base.engine, account)
    if info is None:
        raise KeyError(f"no account named {account!r}")
    seq = build_sequence(base.engine, info.id)
    split = splits.test_split(len(seq))
    cut_time = int(seq.played_at[split.start])
    tables = list(tables if tables is not None else shared_feature_tables(SHARED))
    own = own_folders(account)
    tables = [(p, k) for p, k in tables if not any(Path(p).resolve().is_relative_to(f) for f in own)]
    source = Path(base.engine.url.database)
    folder = paths.cache_dir() / "discovery"
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{account}-{_fingerprint(source, tables)}.sqlite"
    done = target.with_suffix(".json")
    if not (target.exists() and done.exists()):
        yield from _build(source, target, account, info.id, cut_time, tables, cancel)
        done.write_text(json.dumps({"account": account, "cut_time": cut_time, "built_at": int(time.time())}))
    store = open_store(f"sqlite:///{target}")
    track_ids, artist_ids = map_plays(base.engine, seq.space.track_ids[seq.items], store.engine)
    album_ids = map_albums(base.engine, seq.album_ids, store.engine)
    return ListenerData(store, info.id, seq, split, track_ids, artist_ids, album_ids, cut_time)


def own_folders(account: str) -> list[Path]:
    """Folders holding the listener's own history files: tables beside them (erzadel's artist tags and
    lyrics, derived from the whole history) describe the test span too, so they stay out."""
    from models.evaluation.datasets import LISTENING, listener

    try:
        item = listener(account)
    except KeyError:
        return []
    return [
        (LISTENING / rel).resolve().parent
        for rel in item.paths
        if (LISTENING / rel).resolve().parent != LISTENING.resolve()
    ]


def _build(
    source: Path, target: Path, account: str, account_id: int, cut_time: int, tables, cancel: CancelToken
) -> Generator[Progress, None, None]:
    from core.catalogue.refresh import refresh_catalogue
    from core.catalogue.sources.local_tables import remember_table
    from core.features.embeddings.build import build_embeddings

    yield Progress(0, None, f"{account}: copying the store without the test span")
    cut_store(source, target, account_id, cut_time)
    store = open_store(f"sqlite:///{target}")
    try:
        with store.engine.begin() as conn:
            for path, kind in tables:
                remember_table(conn, path, kind)
        # local.tables imports each table's features for every track of the store, candidates included
        yield from refresh_catalogue(
            store, account, sources=["local.accounts", "local.tables"], cancel=cancel
        )
        yield Progress(0, None, f"{account}: HetRec 2011 co-listening graph")
        names, graph = hetrec_graph()
        write_hetrec(store, account_id, names, graph)
        seed_text_vectors(store, target.parent / TEXT_CACHE)
        yield from build_embeddings(store, kinds=EMBEDDING_KINDS, cancel=cancel)
        save_text_vectors(store, target.parent / TEXT_CACHE)
    except BaseException:
        store.dispose()
        target.unlink(missing_ok=True)
        raise
    store.dispose()


def _text_rows(store: Store) -> list[tuple[str, str, int, str, str, bytes]]:
    from core.store.schema import Embedding

    with store.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(
                select(
                    Embedding.kind,
                    Embedding.item_kind,
                    Embedding.item_id,
                    Embedding.model_version,
                    Embedding.input_hash,
                    Embedding.vector,
                ).where(Embedding.kind.in_([f"{k}_st" for k in TEXT_KINDS]), Embedding.scope == "")
            )
        ]


def save_text_vectors(store: Store, path: Path) -> None:
    """Add the store's sentence-encoder outputs to the cache file at ``path`` (keyed by encoder
    version and text hash: the encoder's output depends on nothing else)."""
    cache = _load_text_cache(path)
    for kind, _, _, version, h, vec in _text_rows(store):
        cache[(kind, version, h)] = vec
    path.parent.mkdir(parents=True, exist_ok=True)  # a first run has no cache folder yet
    tmp = path.with_name(path.name + ".tmp")
    with sqlite3.connect(tmp) as conn:
        conn.execute(
            "CREATE TABLE IF NOT EXISTS v (kind TEXT, version TEXT, hash TEXT, vector BLOB, PRIMARY KEY (kind, version, hash))"
        )
        conn.executemany("INSERT OR REPLACE INTO v VALUES (?, ?, ?, ?)", [(*k, v) for k, v in cache.items()])
    tmp.replace(path)


def _load_text_cache(path: Path) -> dict[tuple[str, str, str], bytes]:
    if not path.exists():
        return {}
    with sqlite3.connect(path) as conn:
        return {(k, ver, h): v for k, ver, h, v in conn.execute("SELECT kind, version, hash, vector FROM v")}


def seed_text_vectors(store: Store, path: Path) -> int:
    """Write cached encoder outputs for the store's texts whose hash the cache holds, so the
    embeddings job encodes only the others (it skips a text whose version and hash are stored)."""
    from core.features.embeddings.encoder import encoder_version
    from core.features.embeddings.store import digest, save_vectors
    from core.features.embeddings.text import SOURCES, read_texts

    cache = _load_text_cache(path)
    if not cache:
        return 0
    version = encoder_version()
    n = 0
    with store.engine.begin() as conn:
        for source in TEXT_KINDS:
            texts = read_texts(store.engine, source)
            ids, vecs, hashes = [], [], []
            for item, text in texts.items():
                h = digest(text)
                vec = cache.get((f"{source}_st", version, h))
                if vec is not None:
                    ids.append(item)
                    vecs.append(np.frombuffer(vec, "<f4"))
                    hashes.append(h)
            if ids:
                save_vectors(conn, f"{source}_st", "", SOURCES[source], ids, np.stack(vecs), version, hashes)
                n += len(ids)
    return n


def map_albums(source: Engine, album_ids: np.ndarray, target: Engine) -> np.ndarray:
    """Each source album as the target's album row with the same artist and album name keys (-1 none)."""
    from core.store.schema import Album

    uniq = [int(a) for a in np.unique(album_ids) if a >= 0]
    keys: dict[int, tuple[str, str]] = {}
    with source.connect() as conn:
        for i in range(0, len(uniq), 900):
            stmt = (
                select(Album.id, Artist.name_key, Album.name_key)
                .join(Artist, Artist.id == Album.artist_id)
                .where(Album.id.in_(uniq[i : i + 900]))
            )
            keys.update((a, (ak, bk)) for a, ak, bk in conn.execute(stmt))
    with target.connect() as conn:
        rows = conn.execute(
            select(Album.id, Artist.name_key, Album.name_key).join(Artist, Artist.id == Album.artist_id)
        )
        found = {(ak, bk): a for a, ak, bk in rows}
    out = {a: found.get(k, -1) for a, k in keys.items()}
    return np.fromiter((out.get(int(a), -1) for a in album_ids), np.int64, album_ids.size)


def map_plays(source: Engine, track_ids: np.ndarray, target: Engine) -> tuple[np.ndarray, np.ndarray]:
    """Each source track (and its artist) as the target store's row with the same normalised names;
    ghosts (≤ -2, derived from the source id) where the target holds no such row."""
    uniq = np.unique(track_ids)
    keys: dict[int, tuple[int, str, str]] = {}
    with source.connect() as conn:
        ids = uniq.tolist()
        for i in range(0, len(ids), 900):
            stmt = (
                select(Track.id, Track.artist_id, Artist.name_key, Track.name_key)
                .join(Artist, Artist.id == Track.artist_id)
                .where(Track.id.in_(ids[i : i + 900]))
            )
            keys.update((t, (a, ak, tk)) for t, a, ak, tk in conn.execute(stmt))
    with target.connect() as conn:
        artists = dict(conn.execute(select(Artist.name_key, Artist.id)).all())
        tracks = {(a, k): t for t, a, k in conn.execute(select(Track.id, Track.artist_id, Track.name_key))}
    t_map, a_map = {}, {}
    for t, (a, ak, tk) in keys.items():
        ta = artists.get(ak)
        a_map[t] = ta if ta is not None else -(2 + a)
        tt = tracks.get((ta, tk)) if ta is not None else None
        t_map[t] = tt if tt is not None else -(2 + t)
    return (
        np.fromiter((t_map[int(t)] for t in track_ids), np.int64, track_ids.size),
        np.fromiter((a_map[int(t)] for t in track_ids), np.int64, track_ids.size),
    )
