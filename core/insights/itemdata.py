"""Per-track mood shares, tag distributions and valence/energy for insights (track level, else artist)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

import numpy as np
from sqlalchemy import Engine, select

from core.insights.lexicon import MOODS, moods_of
from core.store.queries import track_artists
from core.store.schema import AudioFeatures, ItemTag

MOOD_NAMES = tuple(MOODS)


@dataclass
class ItemData:
    """Aligned with ``track_ids``: mood shares (rows sum to 1 where any mood tag exists), tag lists,
    valence and energy (NaN when unknown)."""

    track_ids: np.ndarray
    moods: np.ndarray  # float [n, n_moods]
    has_tags: np.ndarray  # bool [n]
    tags: list[dict[str, float]]
    valence: np.ndarray
    energy: np.ndarray

    def index(self, ids: np.ndarray) -> np.ndarray:
        pos = {int(t): i for i, t in enumerate(self.track_ids.tolist())}
        return np.fromiter((pos[int(t)] for t in ids), dtype=np.int64, count=len(ids))


def _in_chunks(conn, stmt_for, ids: list[int]):
    for i in range(0, len(ids), 500):
        yield from conn.execute(stmt_for(ids[i : i + 500]))


def load_audio(
    engine: Engine, track_ids: np.ndarray, artist_of: dict[int, int] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """(valence, energy) aligned with ``track_ids``: the track's own row, else its artist's row, else NaN.

    Each value falls back on its own: a track row without valence takes the artist's valence. NaN means
    unknown — never zero, never "low". ``artist_of`` (track id → artist id) is looked up when omitted.
    """
    tids = [int(t) for t in track_ids]
    valence = np.full(len(tids), np.nan)
    energy = np.full(len(tids), np.nan)
    if not tids:
        return valence, energy
    with engine.connect() as conn:
        if artist_of is None:
            artist_of = track_artists(conn, tids)
        aids = sorted({artist_of[t] for t in tids if t in artist_of})
        rows: dict[tuple[str, int], tuple] = {}
        for kind, ids in (("track", sorted(set(tids))), ("artist", aids)):
            for item, val, en in _in_chunks(
                conn,
                lambda part, k=kind: select(
                    AudioFeatures.item_id, AudioFeatures.valence, AudioFeatures.energy
                ).where(AudioFeatures.item_kind == k, AudioFeatures.item_id.in_(part)),
                ids,
            ):
                rows[(kind, int(item))] = (val, en)
    for i, t in enumerate(tids):
        own = rows.get(("track", t), (None, None))
        art = rows.get(("artist", artist_of.get(t, -1)), (None, None))
        for out, j in ((valence, 0), (energy, 1)):
            v = own[j] if own[j] is not None else art[j]
            if v is not None:
                out[i] = float(v)
    return valence, energy


def load_item_data(engine: Engine, track_ids: np.ndarray, artist_of: dict[int, int]) -> ItemData:
    """Tags and audio for ``track_ids`` (artist-level rows fill in where a track has none)."""
    tids = [int(t) for t in track_ids]
    aids = sorted({artist_of[t] for t in tids})
    track_tags: dict[int, dict[str, float]] = defaultdict(dict)
    artist_tags: dict[int, dict[str, float]] = defaultdict(dict)
    with engine.connect() as conn:
        for kind, ids, sink in (("track", tids, track_tags), ("artist", aids, artist_tags)):
            for item, tag, weight in _in_chunks(
                conn,
                lambda part, k=kind: select(ItemTag.item_id, ItemTag.tag, ItemTag.weight).where(
                    ItemTag.item_kind == k, ItemTag.item_id.in_(part)
                ),
                ids,
            ):
                sink[item][tag] = float(weight or 0.0)
    n = len(tids)
    moods = np.zeros((n, len(MOOD_NAMES)))
    has_tags = np.zeros(n, dtype=bool)
    tags: list[dict[str, float]] = []
    valence, energy = load_audio(engine, track_ids, artist_of)
    for i, t in enumerate(tids):
        tg = track_tags.get(t) or artist_tags.get(artist_of[t]) or {}
        tags.append(tg)
        has_tags[i] = bool(tg)
        for tag, w in tg.items():
            for m in moods_of(tag):
                moods[i, MOOD_NAMES.index(m)] += max(w, 1.0)
        total = moods[i].sum()
        if total > 0:
            moods[i] /= total
    return ItemData(np.asarray(tids, dtype=np.int64), moods, has_tags, tags, valence, energy)
