"""The seed item2vec model at the artist level, fitted on every local account's sessions.

The seed neural models learn item vectors from one listener's own plays, so a track that listener
never played has none — useless for discovery. The same CBOW model (``core.features.embeddings.w2v``,
the ``item2vec`` baseline's trainer) fitted on the sessions of *every* account on this computer,
with artists as words, gives a vector to each artist other listeners played next to artists this
listener knows. Listener plays after ``listener_upto`` are left out, so a model fitted for the
validation walk (or, in the benchmark, for the test span) has not seen what it is asked about.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import Engine, select

from core.sessions import DEFAULT_GAP_S
from core.store.queries import load_plays
from core.store.schema import Account
from models.discovery.content import ContentIndex, _unit
from models.discovery.space import DiscoverySpace, dense_index

DIM = 64
WINDOW = 5
EPOCHS = 5
MIN_SESSION = 2


def artist_sessions(
    artist_of_play: np.ndarray, played_at: np.ndarray, gap_s: int = DEFAULT_GAP_S
) -> list[np.ndarray]:
    """Sessions (start-to-start gap rule) of dense artist indices, consecutive repeats collapsed,
    unknown artists (-1) dropped; sessions shorter than two artists left out."""
    ok = artist_of_play >= 0
    a, t = artist_of_play[ok], played_at[ok]
    if a.size == 0:
        return []
    cuts = np.flatnonzero(np.diff(t) > gap_s) + 1
    out = []
    for s in np.split(a, cuts):
        keep = np.concatenate([[True], s[1:] != s[:-1]])
        s = s[keep]
        if s.size >= MIN_SESSION:
            out.append(s)
    return out


def local_sessions(
    engine: Engine,
    dspace: DiscoverySpace,
    listener_id: int,
    listener_upto: int | None = None,
    gap_s: int = DEFAULT_GAP_S,
) -> list[np.ndarray]:
    """Artist sessions of every account in the store (the listener's only up to ``listener_upto``;
    a demo account only when the listener is one)."""
    with engine.connect() as conn:
        accounts = conn.execute(select(Account.id, Account.kind)).all()
    kinds = dict(accounts)
    out: list[np.ndarray] = []
    for acc, kind in accounts:
        if kind == "demo" and kinds.get(listener_id) != "demo" and acc != listener_id:
            continue
        frame = load_plays(engine, acc)
        if acc == listener_id and listener_upto is not None:
            frame = frame.take(np.flatnonzero(frame.played_at <= listener_upto))
        art = dense_index(dspace.space.artist_ids, frame.artist_id)
        out.extend(artist_sessions(art, frame.played_at, gap_s))
    return out


def fit_artist2vec(
    sessions: list[np.ndarray], n_artists: int, *, seed: int = 0, dim: int = DIM
) -> ContentIndex | None:
    """Unit artist vectors (an ``artist2vec`` ContentIndex over the artists; items take their
    artist's row), or None when the sessions hold no co-occurrence."""
    from core.features.embeddings.w2v import train_word2vec

    ids, vecs = train_word2vec(
        [s.tolist() for s in sessions], dim=dim, window=WINDOW, epochs=EPOCHS, seed=seed, workers=1
    )
    ok = (ids >= 0) & (ids < n_artists)
    if not ok.any():
        return None
    artist_row = np.full(n_artists, -1, np.int64)
    artist_row[ids[ok]] = np.arange(int(ok.sum()))
    return ContentIndex("artist2vec", _unit(vecs[ok]), np.empty(0, np.int64), artist_row)
