"""Who the listener is, for discovery: their recent and heavy-rotation artists, tracks and tags.

The catalogue follows the listener: sources fetch similar artists, top tracks and similar tracks for
these seeds. A seed's ``weight`` (stored as ``catalogue_seed.weight``) is the larger of its share of
the listener's *recent* plays (each play counted 2^(-age / half-life), age measured from the
listener's last play, so an old export is not "all forgotten") and its share of *all* their plays.
With ``as_of`` only plays at or before it count (the leak-free evaluation builds catalogues that way).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy import Connection, select

from core.store.queries import load_plays
from core.store.schema import Account, Artist, ItemTag, Track

DAY = 86_400


@dataclass(frozen=True)
class SeedPolicy:
    recent_artists: int = 40
    heavy_artists: int = 40
    recent_tracks: int = 25
    heavy_tracks: int = 25
    tags: int = 10
    half_life_days: float = 90.0


@dataclass(frozen=True)
class SeedArtist:
    id: int
    name: str
    mbid: str | None
    weight: float
    plays: int


@dataclass(frozen=True)
class SeedTrack:
    id: int
    artist_id: int
    artist: str
    title: str
    mbid: str | None
    weight: float
    plays: int


@dataclass
class Seeds:
    account_id: int
    account_kind: str
    as_of: int | None
    reference: int | None  # the listener's last play counted (decay is measured from it)
    plays: int
    artists: list[SeedArtist] = field(default_factory=list)
    tracks: list[SeedTrack] = field(default_factory=list)
    tags: list[tuple[str, float]] = field(default_factory=list)
    artist_plays: dict[int, int] = field(default_factory=dict)  # every artist played, with plays


def _weights(ids: np.ndarray, decay: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(unique ids, all-time counts, decayed counts)."""
    uniq, inv = np.unique(ids, return_inverse=True)
    return uniq, np.bincount(inv).astype(np.int64), np.bincount(inv, weights=decay)


def _pick(counts: np.ndarray, decayed: np.ndarray, n_recent: int, n_heavy: int) -> np.ndarray:
    """Positions of the top ``n_recent`` by decayed plays and ``n_heavy`` by all plays, strongest first."""
    recent = np.argsort(-decayed, kind="stable")[:n_recent]
    heavy = np.argsort(-counts, kind="stable")[:n_heavy]
    chosen = np.unique(np.concatenate([recent, heavy]))
    return chosen


def listener_seeds(
    conn: Connection, account_id: int, *, as_of: int | None = None, policy: SeedPolicy | None = None
) -> Seeds:
    policy = policy or SeedPolicy()
    kind = conn.execute(select(Account.kind).where(Account.id == account_id)).scalar() or "local"
    plays = load_plays(conn, account_id, end=None if as_of is None else int(as_of) + 1)
    seeds = Seeds(account_id, kind, as_of, None, len(plays))
    if not len(plays):
        return seeds
    ref = int(plays.played_at.max())
    seeds.reference = ref
    age_days = (ref - plays.played_at).astype(np.float64) / DAY
    decay = np.exp2(-age_days / max(policy.half_life_days, 1e-6))
    total, total_decay = float(len(plays)), float(decay.sum()) or 1.0

    a_ids, a_counts, a_decay = _weights(plays.artist_id, decay)
    seeds.artist_plays = dict(zip(a_ids.tolist(), a_counts.tolist(), strict=True))
    a_weight = np.maximum(a_counts / total, a_decay / total_decay)
    chosen = _pick(a_counts, a_decay, policy.recent_artists, policy.heavy_artists)
    chosen = chosen[np.argsort(-a_weight[chosen], kind="stable")]
    info = {
        i: (n, m)
        for i, n, m in conn.execute(
            select(Artist.id, Artist.name, Artist.mbid).where(Artist.id.in_(a_ids[chosen].tolist()))
        )
    }
    seeds.artists = [
        SeedArtist(
            int(a_ids[c]),
            info[int(a_ids[c])][0],
            info[int(a_ids[c])][1],
            float(a_weight[c]),
            int(a_counts[c]),
        )
        for c in chosen
        if int(a_ids[c]) in info
    ]

    t_ids, t_counts, t_decay = _weights(plays.track_id, decay)
    t_weight = np.maximum(t_counts / total, t_decay / total_decay)
    chosen = _pick(t_counts, t_decay, policy.recent_tracks, policy.heavy_tracks)
    chosen = chosen[np.argsort(-t_weight[chosen], kind="stable")]
    rows = conn.execute(
        select(Track.id, Track.artist_id, Artist.name, Track.name, Track.mbid)
        .join(Artist, Artist.id == Track.artist_id)
        .where(Track.id.in_(t_ids[chosen].tolist()))
    ).all()
    tinfo = {r[0]: r for r in rows}
    seeds.tracks = [
        SeedTrack(*tinfo[int(t_ids[c])][:4], tinfo[int(t_ids[c])][4], float(t_weight[c]), int(t_counts[c]))
        for c in chosen
        if int(t_ids[c]) in tinfo
    ]
    seeds.tags = _seed_tags(conn, seeds, policy.tags)
    return seeds


def _seed_tags(conn: Connection, seeds: Seeds, n: int) -> list[tuple[str, float]]:
    """The listener's top tags: artist-level tags of the seed artists weighted by the artist's weight
    and the tag's own weight (0-100), normalised to the strongest = 1."""
    if n <= 0 or not seeds.artists:
        return []
    weight = {a.id: a.weight for a in seeds.artists}
    score: dict[str, float] = {}
    for artist_id, tag, w in conn.execute(
        select(ItemTag.item_id, ItemTag.tag, ItemTag.weight).where(
            ItemTag.item_kind == "artist", ItemTag.item_id.in_(list(weight))
        )
    ):
        key = " ".join(str(tag).casefold().split())
        if key:
            score[key] = score.get(key, 0.0) + weight[artist_id] * float(w or 0.0) / 100.0
    top = sorted(score.items(), key=lambda kv: (-kv[1], kv[0]))[:n]
    best = top[0][1] if top and top[0][1] > 0 else 1.0
    return [(t, s / best) for t, s in top]
