"""From the store to what models learn from: the item space and the play sequence of an account.

The sequence follows docs/architecture.md §8: plays sorted by time; duplicate scrobbles of one play collapsed
(``core.sessions``: same track again before it could have ended); then *consecutive duplicates*
collapsed — the same track twice in a row is one play, whatever the gap — so no model can win by
predicting "the track you just played". Sessions split the collapsed sequence where one play starts
more than the gap (default 2 h) after the previous one — the rule model states apply when scoring
(``session_starts``); the app's session pages use ``core.sessions.sessionize`` with track lengths.

The item space holds every track the account has ever played (dense index order = store track id
order), with a dense artist index and the store artist ids. Models score new arrivals through it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sqlalchemy import Connection, Engine

from core.sessions import DEFAULT_GAP_S, sessionize
from core.store.queries import PlayFrame, load_plays
from models.base import ItemSpace, TrainData


@dataclass
class PlaySequence:
    """An account's whole collapsed play sequence over its item space."""

    space: ItemSpace
    items: np.ndarray  # int64 dense item index per play
    played_at: np.ndarray  # int64 unix seconds
    session: np.ndarray  # int64 session number per play (non-decreasing)
    gap_s: int = DEFAULT_GAP_S

    def __len__(self) -> int:
        return int(self.items.size)

    def prefix(self, n: int, seed: int = 0) -> TrainData:
        """The first ``n`` plays as training data (same item space)."""
        return TrainData(self.space, self.items[:n], self.played_at[:n], self.session[:n], seed=seed)

    def all(self, seed: int = 0) -> TrainData:
        return self.prefix(len(self), seed)


def space_of(frame: PlayFrame) -> ItemSpace:
    """Every track in ``frame`` (sorted by track id) with dense artist indices."""
    if len(frame) == 0:
        e = np.empty(0, np.int64)
        return ItemSpace(e, e.copy(), e.copy())
    tracks, first = np.unique(frame.track_id, return_index=True)
    artists = frame.artist_id[first]
    artist_ids, artist_of = np.unique(artists, return_inverse=True)
    return ItemSpace(tracks.astype(np.int64), artist_of.astype(np.int64), artist_ids.astype(np.int64))


def collapse_consecutive(items: np.ndarray) -> np.ndarray:
    """Indices kept when the same item twice in a row counts once."""
    if items.size == 0:
        return np.empty(0, np.int64)
    keep = np.concatenate([[True], items[1:] != items[:-1]])
    return np.flatnonzero(keep)


def sequence_from_frame(
    frame: PlayFrame, gap_s: int = DEFAULT_GAP_S, space: ItemSpace | None = None
) -> PlaySequence:
    """Collapse, sessionize and index a frame (``space`` defaults to the frame's own tracks).

    Sessions are numbered on the collapsed sequence with the rule model states use when scoring
    (``session_starts``), not taken from ``sessionize``: a run of repeats of one track collapses to its
    first play, so ``sessionize``'s sessions (which saw every repeat) could join plays more than the gap
    apart, and models would have trained on other session boundaries than they are scored with.
    """
    f = sessionize(frame, gap_s).frame  # duplicate scrobbles of one play collapsed
    space = space if space is not None else space_of(frame)
    items = space.indices(f.track_id)
    keep = collapse_consecutive(f.track_id)
    played_at = f.played_at[keep].astype(np.int64)
    session = np.cumsum(session_starts(played_at, gap_s)).astype(np.int64) - 1
    return PlaySequence(space, items[keep], played_at, session, gap_s)


def build_sequence(
    bind: Connection | Engine, account_id: int, gap_s: int = DEFAULT_GAP_S, upto: float | None = None
) -> PlaySequence:
    """The account's collapsed sequence over every track it has played. ``upto`` (0..1] keeps only
    the earliest share of the stored plays, as if the history ended there (space included)."""
    frame = load_plays(bind, account_id)
    if upto is not None and upto < 1.0:
        frame = frame.take(np.arange(int(len(frame) * upto)))
    return sequence_from_frame(frame, gap_s)


def build_train_data(
    bind: Connection | Engine, account_id: int, seed: int = 0, gap_s: int = DEFAULT_GAP_S
) -> TrainData:
    """All of the account's plays as training data (what ``segue train`` fits on)."""
    return build_sequence(bind, account_id, gap_s).all(seed)


def session_starts(played_at: np.ndarray, gap_s: int = DEFAULT_GAP_S) -> np.ndarray:
    """Bool per play: starts a new session (start-to-start gap above ``gap_s``).

    Model states only see play start times, so they split sessions on start-to-start gaps; training
    sequences use the same rule (``sequence_from_frame``). It differs from ``sessionize`` after a track
    longer than the rest of the gap and where a collapsed run of repeats spanned a gap.
    """
    out = np.ones(played_at.size, dtype=bool)
    if played_at.size > 1:
        out[1:] = np.diff(played_at) > gap_s
    return out
