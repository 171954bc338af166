"""Embedding vectors and fitted feature models in the store.

Vectors live in ``embedding`` as float32 little-endian blobs keyed by (item_kind, item_id, kind,
scope). ``scope`` is ``""`` for vectors every account shares (lyrics, bios, tags, audio) and
``account:<id>`` for per-account ones (Word2Vec from that account's sessions). Each row carries the
``model_version`` that produced it and a hash of its input, so a build step recomputes exactly the
rows whose model or input changed.

Fitted models (PCA basis, acoustic VAE weights, tag Word2Vec vectors) live in ``feature_model`` as
safetensors bytes — no pickle — so new items are encoded with the model that encoded the old ones.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, Engine, delete, select, tuple_
from sqlalchemy.dialects import postgresql, sqlite

from core.store.schema import Embedding, FeatureModel

GLOBAL = ""
_CHUNK = 400


def account_scope(account_id: int) -> str:
    return f"account:{int(account_id)}"


def digest(*parts: object) -> str:
    """A short stable hash of ``parts`` (strings, numbers, bytes, arrays) for input/version keys."""
    h = hashlib.sha1()
    for p in parts:
        if isinstance(p, np.ndarray):
            h.update(np.ascontiguousarray(p).tobytes())
        elif isinstance(p, bytes):
            h.update(p)
        else:
            h.update(repr(p).encode("utf-8"))
        h.update(b"\x1f")
    return h.hexdigest()[:16]


def upsert_rows(conn: Connection, table, rows: list[dict], key: Sequence[str]) -> None:
    """``INSERT ... ON CONFLICT (key) DO UPDATE`` for SQLite and PostgreSQL (executemany)."""
    if not rows:
        return
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    cols = [c for c in rows[0] if c not in key]
    stmt = dialect.insert(table)
    if cols:
        stmt = stmt.on_conflict_do_update(index_elements=list(key), set_={c: stmt.excluded[c] for c in cols})
    else:
        stmt = stmt.on_conflict_do_nothing()
    for i in range(0, len(rows), 5000):
        conn.execute(stmt, rows[i : i + 5000])  # executemany: compiled once


def _conn(bind: Connection | Engine):
    if isinstance(bind, Engine):
        return bind.connect()

    class _Borrowed:
        def __enter__(self):
            return bind

        def __exit__(self, *exc):
            return None

    return _Borrowed()


# -- vectors -------------------------------------------------------------------------------------


def save_vectors(
    conn: Connection,
    kind: str,
    scope: str,
    item_kind: str,
    ids: Sequence[int],
    matrix: np.ndarray,
    model_version: str,
    input_hashes: Sequence[str | None],
) -> int:
    """Store one vector per id (replacing what was there); returns how many rows were written."""
    matrix = np.asarray(matrix, dtype="<f4")
    now = int(time.time())
    model_version = model_version[:100]
    rows = [
        {
            "item_kind": item_kind,
            "item_id": int(i),
            "kind": kind,
            "scope": scope,
            "dim": int(matrix.shape[1]),
            "vector": matrix[n].tobytes(),
            "model_version": model_version,
            "input_hash": h,
            "created_at": now,
        }
        for n, (i, h) in enumerate(zip(ids, input_hashes, strict=True))
    ]
    upsert_rows(conn, Embedding.__table__, rows, ("item_kind", "item_id", "kind", "scope"))
    return len(rows)


def stored_versions(
    bind: Connection | Engine, kind: str, scope: str = GLOBAL
) -> dict[tuple[str, int], tuple[str, str | None]]:
    """(item_kind, item_id) → (model_version, input_hash) of the stored vectors of ``kind``."""
    stmt = select(
        Embedding.item_kind, Embedding.item_id, Embedding.model_version, Embedding.input_hash
    ).where(Embedding.kind == kind, Embedding.scope == scope)
    with _conn(bind) as conn:
        return {(k, i): (v, h) for k, i, v, h in conn.execute(stmt)}


def delete_vectors(conn: Connection, kind: str, scope: str, keys: Iterable[tuple[str, int]]) -> int:
    keys = list(keys)
    for i in range(0, len(keys), _CHUNK):
        conn.execute(
            delete(Embedding).where(
                Embedding.kind == kind,
                Embedding.scope == scope,
                tuple_(Embedding.item_kind, Embedding.item_id).in_(keys[i : i + _CHUNK]),
            )
        )
    return len(keys)


def load_vectors(
    bind: Connection | Engine, kind: str, scope: str = GLOBAL, item_kind: str = "track"
) -> tuple[np.ndarray, np.ndarray]:
    """(ids int64 [n], float32 [n, dim]) of every stored vector of ``kind`` for ``item_kind``.

    Rows of another dimension than the most common one (a model change half-way through a rebuild)
    are left out rather than mixed in.
    """
    stmt = (
        select(Embedding.item_id, Embedding.dim, Embedding.vector)
        .where(Embedding.kind == kind, Embedding.scope == scope, Embedding.item_kind == item_kind)
        .order_by(Embedding.item_id)
    )
    with _conn(bind) as conn:
        rows = conn.execute(stmt).all()
    if not rows:
        return np.empty(0, np.int64), np.empty((0, 0), np.float32)
    dims = np.array([r[1] for r in rows])
    dim = int(np.bincount(dims).argmax())
    keep = [r for r in rows if r[1] == dim]
    ids = np.fromiter((r[0] for r in keep), dtype=np.int64, count=len(keep))
    mat = np.frombuffer(b"".join(r[2] for r in keep), dtype="<f4").reshape(len(keep), dim).astype(np.float32)
    return ids, mat


def vector_counts(bind: Connection | Engine) -> dict[tuple[str, str, str], int]:
    """(kind, scope, item_kind) → number of stored vectors (for status output)."""
    from sqlalchemy import func

    stmt = select(Embedding.kind, Embedding.scope, Embedding.item_kind, func.count()).group_by(
        Embedding.kind, Embedding.scope, Embedding.item_kind
    )
    with _conn(bind) as conn:
        return {(k, s, i): n for k, s, i, n in conn.execute(stmt)}


# -- fitted models -------------------------------------------------------------------------------


@dataclass
class StoredModel:
    name: str
    scope: str
    version: str
    fit_hash: str
    fit_items: int
    params: dict
    arrays: dict[str, np.ndarray]
    fitted_at: int


def save_model(
    conn: Connection,
    name: str,
    scope: str,
    *,
    version: str,
    fit_hash: str,
    fit_items: int,
    params: dict,
    arrays: dict[str, np.ndarray],
) -> None:
    from safetensors.numpy import save

    blob = save({k: np.ascontiguousarray(v) for k, v in arrays.items()})
    upsert_rows(
        conn,
        FeatureModel.__table__,
        [
            {
                "name": name,
                "scope": scope,
                "version": version,
                "fit_hash": fit_hash,
                "fit_items": int(fit_items),
                "params": params,
                "blob": blob,
                "fitted_at": int(time.time()),
            }
        ],
        ("name", "scope"),
    )


def load_model(bind: Connection | Engine, name: str, scope: str = GLOBAL) -> StoredModel | None:
    from safetensors.numpy import load

    t = FeatureModel.__table__
    stmt = select(t).where(t.c.name == name, t.c.scope == scope)
    with _conn(bind) as conn:
        m = conn.execute(stmt).first()
    if m is None:
        return None
    return StoredModel(
        m.name, m.scope, m.version, m.fit_hash, m.fit_items, m.params or {}, load(m.blob), m.fitted_at
    )
