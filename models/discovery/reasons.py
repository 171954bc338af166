"""Why a new-to-you track is suggested: the evidence (store ids, counts, sources) and its sentence.

``explain`` picks the feature group that lifted the suggestion most (its contribution to the blend's
score, as ``default`` does for familiar tracks) among the groups whose evidence the data holds, and
records that evidence; ``reason_text`` turns it into plain words once names are known. A sentence
states only what the evidence says: the listener's play count of the artist, the source that lists
the track and its seed, the co-listening or similar-artist edge and its anchor, the played track
whose tags or sound are closest.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from models.discovery.features import Blocks, track_matrix
from models.discovery.signals import EDGE_GROUPS, TRACK_FEATURES, group_of
from models.discovery.space import TRACK_SOURCES

if TYPE_CHECKING:
    from models.discovery.ranker import Blend

SOURCE_WORDS = {
    "lastfm.artist.getSimilar": "Last.fm",
    "listenbrainz.similar_artists": "ListenBrainz",
    "bench.hetrec_colisten": "HetRec 2011 co-listening",
}


@dataclass(frozen=True)
class DiscoveryEvidence:
    """What a discovery reason claims, as data. ``artist`` is the suggestion's artist (store id)."""

    kind: str  # affinity | album | similar | colisten | sources | popularity | tags | audio | lyrics | bio | artist2vec
    source: str  # the catalogue source the claim rests on, or "history" (the listener's own plays)
    artist: int
    anchor_artist: int | None = None  # the played artist the reason names ("similar to X")
    anchor_track: int | None = None  # the played (or seed) track the reason names
    album: int | None = None
    plays: int | None = None  # the listener's plays of the artist (affinity) or album (album)
    last_played: int | None = None  # unix seconds, the listener's last play of that artist / album
    score: float | None = None  # the edge weight, match or cosine behind the claim
    rank: int | None = None  # the track's position in the source's answer
    listeners: int | None = None  # web listeners (popularity) or other local listeners
    tag: str | None = None


@dataclass(frozen=True)
class Discovery:
    """One new-to-you suggestion: store track id, blend score, sentence and its evidence."""

    track_id: int
    score: float
    reason: str
    evidence: DiscoveryEvidence


_GROUPS = tuple(group_of(name) for name in TRACK_FEATURES)  # each column's group, once
_GROUP_NAMES = tuple(dict.fromkeys(_GROUPS))  # in order of first appearance (ties keep this order)
_GROUP_SUM = np.zeros((len(_GROUPS), len(_GROUP_NAMES)))  # column → its group, to sum contributions
_GROUP_SUM[np.arange(len(_GROUPS)), [_GROUP_NAMES.index(g) for g in _GROUPS]] = 1.0


def explain(blend: Blend, b: Blocks, item: int, values: np.ndarray | None = None) -> DiscoveryEvidence:
    """The evidence for ``item``; ``values``: its row of ``track_matrix`` if the caller has it."""
    if values is None:
        values = track_matrix(b, np.array([item]))[0]
    return explain_many(blend, b, [item], np.asarray(values)[None, :])[0]


def explain_many(blend: Blend, b: Blocks, items: list[int], rows: np.ndarray) -> list[DiscoveryEvidence]:
    """The evidence for each of ``items`` (``rows``: their ``track_matrix`` rows): the group that added
    most to its score and whose claim the data supports, strongest first; then the history, the
    sources, popularity. One matrix product for the whole list is what keeps serving fast."""
    d = b.state.ctx.dspace
    sums = blend.contributions(np.asarray(rows, np.float64)) @ _GROUP_SUM  # [items, groups]
    out = []
    for item, g in zip(items, sums, strict=True):
        ev = None
        for j in np.argsort(-g, kind="stable").tolist():
            if g[j] <= 0:
                break
            ev = _evidence(_GROUP_NAMES[j], b, item)
            if ev is not None:
                break
        for name in ("affinity", "sources", "popularity") if ev is None else ():
            ev = _evidence(name, b, item)
            if ev is not None:
                break
        if ev is None:
            ev = DiscoveryEvidence("catalogue", "catalogue", int(d.space.artist_ids[d.space.artist_of[item]]))
        out.append(ev)
    return out


def _store_track(d, item: int) -> int | None:
    return int(d.space.track_ids[item]) if item >= 0 and d.space.track_ids[item] > 0 else None


def _evidence(group: str, b: Blocks, item: int) -> DiscoveryEvidence | None:
    state = b.state
    d = state.ctx.dspace
    a = int(d.space.artist_of[item])
    artist = int(d.space.artist_ids[a])
    if group == "affinity":
        plays = int(state.artist_count[a])
        if plays == 0:
            return None
        return DiscoveryEvidence(
            "affinity", "history", artist, plays=plays, last_played=int(state.artist_last_time[a])
        )
    if group == "album":
        alb = int(d.album_of[item])
        if alb < 0 or state.album_count[alb] == 0:
            return None
        return DiscoveryEvidence(
            "album", "history", artist, album=int(d.album_ids[alb]), plays=int(state.album_count[alb])
        )
    if group in EDGE_GROUPS:
        graph = state.ctx.graphs[group]
        best = (-1, 0.0)
        for weights in (state.session_artists(), state.rotation()):
            anchor, w = graph.anchor(weights, a)
            if anchor >= 0 and w > best[1]:
                best = (anchor, w)
        if best[0] < 0:
            return None
        source = next((s for s in EDGE_GROUPS[group] if s in d.edges and d.edges[s][best[0], a] > 0), group)
        return DiscoveryEvidence(
            group, source, artist, anchor_artist=int(d.space.artist_ids[best[0]]), score=best[1]
        )
    if group == "sources":
        listed = [
            (d.sources[s].rank[item], s)
            for s in TRACK_SOURCES
            if s in d.sources and np.isfinite(d.sources[s].rank[item])
        ]
        if not listed:
            return None
        rank, s = min(listed)
        col = d.sources[s]
        seed_a, seed_t = int(col.seed_artist[item]), int(col.seed_track[item])
        return DiscoveryEvidence(
            "sources",
            s,
            artist,
            anchor_artist=int(d.space.artist_ids[seed_a]) if seed_a >= 0 else None,
            anchor_track=_store_track(d, seed_t),
            rank=int(rank),
            listeners=int(d.local_listeners[item]) if s == "local.accounts" else None,
            tag=col.seed_tag[item],
        )
    if group == "popularity":
        if d.local_listeners[item] > 0:
            return DiscoveryEvidence(
                "popularity", "local.accounts", artist, listeners=int(d.local_listeners[item])
            )
        return None
    if group == "artist2vec":
        prof = b.content.get("artist2vec")
        row = prof.index.artist_row[a] if prof is not None else -1
        played = [x for x in dict.fromkeys(reversed(state.artists)) if x >= 0 and x != a][:50]
        rows = (
            prof.index.artist_row[np.asarray(played, np.int64)]
            if prof is not None and played
            else np.empty(0, np.int64)
        )
        if row < 0 or not (rows >= 0).any():
            return None
        cos = prof.index.vectors[rows[rows >= 0]] @ prof.index.vectors[row]
        anchor = np.asarray(played)[rows >= 0][int(np.argmax(cos))]
        return DiscoveryEvidence(
            "artist2vec",
            "local.accounts",
            artist,
            anchor_artist=int(d.space.artist_ids[anchor]),
            score=float(cos.max()),
        )
    prof = b.content.get(group)
    if prof is None:
        return None
    row = prof.index.item_row[item]
    window = [i for i in state.session_window() if i >= 0]
    rows = prof.index.item_row[np.asarray(window, np.int64)] if window else np.empty(0, np.int64)
    if row < 0 or not (rows >= 0).any():
        return None
    cos = prof.index.vectors[rows[rows >= 0]] @ prof.index.vectors[row]
    anchor = np.asarray(window)[rows >= 0][int(np.argmax(cos))]
    return DiscoveryEvidence(
        group, "features", artist, anchor_track=_store_track(d, int(anchor)), score=float(cos.max())
    )


def _times(n: int) -> str:
    return "once" if n == 1 else "twice" if n == 2 else f"{n:,} times"


def reason_text(
    ev: DiscoveryEvidence, track: dict[int, str], artist: dict[int, str], album: dict[int, str]
) -> str:
    """The sentence for ``ev``; ``track`` / ``artist`` / ``album`` map store ids to display names
    (tracks as “Title” by Artist)."""
    who = artist.get(ev.artist, "this artist")
    anchor_a = artist.get(ev.anchor_artist, "an artist you play") if ev.anchor_artist is not None else ""
    anchor_t = track.get(ev.anchor_track, "a track you played") if ev.anchor_track is not None else ""
    k = ev.kind
    if k == "affinity":
        return f"by {who}, whom you played {_times(ev.plays or 0)} — not this track yet"
    if k == "album":
        return f"from {album.get(ev.album, 'an album')} by {who}, an album you played {_times(ev.plays or 0)}"
    if k == "similar":
        return f"{SOURCE_WORDS.get(ev.source, ev.source)} lists {who} as similar to {anchor_a}"
    if k == "colisten":
        return f"listeners of {anchor_a} also play {who} ({SOURCE_WORDS.get(ev.source, ev.source)})"
    if k == "artist2vec":
        # the artist2vec is fitted on every local account's sessions, the listener's own included (with
        # one account on the computer, only theirs): say so rather than claim other listeners
        return f"listening sessions on this computer, yours included, put {who} close to {anchor_a}"
    if k in ("tags", "audio", "lyrics", "bio"):
        what = {
            "tags": "tagged like",
            "audio": "sounds like",
            "lyrics": "lyrics close to",
            "bio": "an artist described like",
        }[k]
        return f"new to you: {what} {anchor_t}"
    if k == "popularity":
        return (
            f"new to you: played by {ev.listeners} other listener{'s' * (ev.listeners != 1)} on this computer"
        )
    if k == "sources":
        s = ev.source
        if s == "local.accounts":
            n = ev.listeners or 1
            return f"new to you: played by {n} other listener{'s' * (n != 1)} on this computer"
        if s == "local.tables":
            return f"new to you: by {who}, from the open music tables you imported"
        if s == "lastfm.artist.getTopTracks":
            return f"one of {who}'s top tracks on Last.fm (#{ev.rank})"
        if s == "lastfm.track.getSimilar":
            return f"Last.fm lists it as similar to {anchor_t}"
        if s == "lastfm.tag.getTopTracks":
            return f"a top “{ev.tag}” track on Last.fm (#{ev.rank})"
        if s == "listenbrainz.lb_radio":
            return f"on ListenBrainz radio for {anchor_a}"
        if s == "listenbrainz.top_recordings":
            return f"one of {who}'s most played recordings on ListenBrainz (#{ev.rank})"
    return f"new to you: by {who}, from your catalogue"
