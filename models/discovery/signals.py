"""The listener's state for discovery and the features every candidate gets from it.

``DiscoveryState`` counts the history it is shown, play by play (counting is not retraining: a play
that arrives after training moves the suggestions at once): artist plays decayed over four time
scales and in total, when each artist was last played, artist-to-artist transitions, album plays,
which tracks were heard, and a decayed content profile per embedding kind.

Features come in blocks so a full ranking of 100k candidates stays cheap: artist-level rows (the
listener's affinity, similar-artist proximity, artist2vec similarity, artist popularity) are
computed once per artist and gathered; album rows likewise; catalogue evidence (popularity, source
ranks) is static per candidate; content similarities are computed once per stored vector (a track's
own or its artist's) and gathered. ``TRACK_FEATURES`` / ``ARTIST_FEATURES`` name every column with
the group the ablation switches on and off.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from models.base import TrainData
from models.baselines.counting import DecayedCounts, Transitions
from models.discovery.content import ARTIST_KINDS, TRACK_KINDS, ContentIndex
from models.discovery.graph import ArtistGraph
from models.discovery.space import EDGE_GROUPS, TRACK_SOURCES, DiscoverySpace

HOUR, DAY = 3600, 86_400
ARTIST_HALF_LIVES = (DAY, 7 * DAY, 30 * DAY, 365 * DAY)
ROTATION = 2  # index of the 30-day half-life: "rotation" (default.explore_scores uses 30 days too)
ALBUM_HALF_LIFE = 30 * DAY
PROFILE_HALF_LIFE = 30 * DAY
NEW_HALF_LIFE = 7 * DAY  # first plays of an artist's tracks, decayed
SESSION_WINDOW = 10  # the session's last plays that stand for "now"
GAP_S = 7200

AFFINITY = [
    *(f"artist_{h // DAY}d" for h in ARTIST_HALF_LIVES),
    "artist_total",
    "artist_session",
    "artist_last",
    "artist_next",
    "artist_since",
    "artist_known",
    "artist_new_7d",
    "artist_age",
]
GRAPH = [f"{g}_{w}" for g in EDGE_GROUPS for w in ("session", "rotation")]
A2V = ["artist2vec_session", "artist2vec_rotation", "artist2vec_has"]
ARTIST_STATIC = ["artist_local_plays", "artist_size", "artist_degree", "artist_popularity"]
ARTIST_BLOCK = AFFINITY + GRAPH + A2V + ARTIST_STATIC
ALBUM_BLOCK = ["album_30d", "album_session", "album_last", "album_known"]
STATIC_BLOCK = [
    "popularity",
    "popularity_known",
    "local_listeners",
    "rank_in_artist",
    "n_sources",
    "seed_weight",
    *(f"src_{s}" for s in TRACK_SOURCES),
]


def _content_cols(kinds: tuple[str, ...]) -> list[str]:
    return [f"{k}_{w}" for k in kinds for w in ("session", "rotation", "has")]


TRACK_FEATURES = (
    ARTIST_BLOCK + ALBUM_BLOCK + STATIC_BLOCK + _content_cols(TRACK_KINDS) + _content_cols(("bio",))
)
ARTIST_FEATURES = GRAPH + A2V + ARTIST_STATIC + _content_cols(ARTIST_KINDS)


def group_of(name: str) -> str:
    """The ablation group of a feature column."""
    if name in AFFINITY:
        return "affinity"
    if name in ALBUM_BLOCK:
        return "album"
    if name in GRAPH:
        return name.split("_")[0]
    if name in A2V:
        return "artist2vec"
    if name in ARTIST_STATIC or name in STATIC_BLOCK[:4]:
        return "popularity"
    if name in STATIC_BLOCK:
        return "sources"
    return name.rsplit("_", 1)[0]  # content kinds: tags / audio / lyrics / bio


@dataclass
class Context:
    """What the features are computed against: the space, its graphs and content (built once)."""

    dspace: DiscoverySpace
    content: dict[str, ContentIndex] = field(default_factory=dict)
    artist2vec: ContentIndex | None = None
    graphs: dict[str, ArtistGraph] = field(init=False)
    static: np.ndarray = field(init=False)  # float64 [n_items, len(STATIC_BLOCK)]
    by_artist: tuple = field(init=False)
    static_order: list = field(init=False)  # per static column: the candidates, highest value first
    artist_static: np.ndarray = field(init=False)  # float64 [n_artists, len(ARTIST_STATIC)]

    def __post_init__(self) -> None:
        d = self.dspace
        self.graphs = {g: ArtistGraph(d.edge_group(g)) for g in EDGE_GROUPS}
        self.static = _static_block(d)
        art = d.space.artist_of
        cand = d.candidate
        local = np.bincount(art[cand], weights=d.local_listeners[cand], minlength=d.n_artists)
        size = np.bincount(art[cand], minlength=d.n_artists)
        degree = sum(np.bincount(g.edges.indices, minlength=d.n_artists) for g in self.graphs.values())
        # the artist's best-known track: log1p web listeners where a source gave them (else local)
        known = cand & ~np.isnan(d.popularity)
        best = np.zeros(d.n_artists)
        np.maximum.at(best, art[known], d.popularity[known])
        self.artist_static = np.stack([np.log1p(local), np.log1p(size), np.log1p(degree), best], axis=1)
        # candidates by artist, each artist's best by rank_in_artist first: (order, segment starts, artist)
        cands = np.flatnonzero(cand)
        rank = self.static[cands, STATIC_BLOCK.index("rank_in_artist")]
        order = cands[np.lexsort((-rank, art[cands]))]
        seg = (
            np.flatnonzero(np.concatenate([[True], art[order][1:] != art[order][:-1]]))
            if order.size
            else order
        )
        self.by_artist = (order, seg, art[order][seg])
        self.static_order = [
            cands[np.argsort(-self.static[cands, j], kind="stable")] for j in range(len(STATIC_BLOCK))
        ]


def _static_block(d: DiscoverySpace) -> np.ndarray:
    n = len(d)
    pop = d.popularity
    known = ~np.isnan(pop)
    cols = {
        "popularity": np.where(known, pop, 0.0),
        "popularity_known": known.astype(np.float64),
        "local_listeners": np.log1p(d.local_listeners.astype(np.float64)),
        "rank_in_artist": _rank_in_artist(d),
    }
    ranks = [d.sources[s].rank if s in d.sources else np.full(n, np.inf) for s in TRACK_SOURCES]
    listed = [np.isfinite(r) for r in ranks]
    cols["n_sources"] = np.sum([m.astype(np.float64) for m in listed], axis=0) if listed else np.zeros(n)
    weights = [np.where(np.isfinite(c.rank), c.seed_weight, 0.0) for c in d.sources.values()]
    cols["seed_weight"] = np.max(weights, axis=0) if weights else np.zeros(n)
    for s, r in zip(TRACK_SOURCES, ranks, strict=True):
        cols[f"src_{s}"] = np.where(np.isfinite(r), 1.0 / np.sqrt(np.maximum(r, 1.0)), 0.0)
    return np.stack([cols[c] for c in STATIC_BLOCK], axis=1)


def _rank_in_artist(d: DiscoverySpace) -> np.ndarray:
    """1/√rank of each candidate among its artist's candidates by popularity (then local listeners)."""
    out = np.zeros(len(d))
    idx = np.flatnonzero(d.candidate)
    if idx.size == 0:
        return out
    art = d.space.artist_of[idx]
    pop = np.nan_to_num(d.popularity[idx], nan=-1.0)
    order = np.lexsort((-d.local_listeners[idx], -pop, art))
    a_sorted = art[order]
    start = np.concatenate([[0], np.flatnonzero(a_sorted[1:] != a_sorted[:-1]) + 1])
    pos = np.arange(order.size) - np.repeat(start, np.diff(np.concatenate([start, [order.size]])))
    out[idx[order]] = 1.0 / np.sqrt(pos + 1.0)
    return out


@dataclass
class DiscoveryData(TrainData):
    """Training plays with the album each play names (dense, -1 unknown; None: the tracks' albums)."""

    albums: np.ndarray | None = None


class DiscoveryState:
    """The history seen so far, as counts over the space's artists, albums and tracks."""

    def __init__(
        self,
        ctx: Context,
        items: np.ndarray,
        times: np.ndarray,
        albums: np.ndarray | None = None,
        gap_s: int = GAP_S,
    ):
        """``albums``: dense album per play as the listener's plays name it (default: the track's
        album as other accounts name it)."""
        d = ctx.dspace
        items = np.asarray(items, np.int64)
        times = np.asarray(times, np.int64)
        self.ctx, self.gap_s = ctx, gap_s
        self.items: list[int] = items.tolist()
        self.times: list[int] = times.tolist()
        art = np.where(items >= 0, d.space.artist_of[np.maximum(items, 0)], -1)
        if albums is None:
            alb = np.where(items >= 0, d.album_of[np.maximum(items, 0)], -1)
        else:
            alb = np.asarray(albums, np.int64)
        self.artists: list[int] = art.tolist()
        self.albums: list[int] = alb.tolist()
        breaks = np.flatnonzero(np.diff(times) > gap_s) if times.size > 1 else np.empty(0, np.int64)
        self.session_start = int(breaks[-1]) + 1 if breaks.size else 0
        n_art = d.n_artists
        self.artist_recent = [DecayedCounts(n_art, h).init(art, times) for h in ARTIST_HALF_LIVES]
        self.album_recent = DecayedCounts(max(d.n_albums, 1), ALBUM_HALF_LIFE).init(alb, times)
        ok = art >= 0
        self.artist_count = np.bincount(art[ok], minlength=n_art).astype(np.float64)
        self.artist_last_time = np.full(n_art, np.nan)
        self.artist_last_time[art[ok]] = times[ok]  # later plays overwrite earlier ones
        self.transitions = Transitions(n_art).init(art[:-1], art[1:]) if art.size > 1 else Transitions(n_art)
        # first plays of tracks per artist (an artist whose catalogue the listener is working through)
        known = items >= 0
        _, first = np.unique(items[known], return_index=True)
        first = np.sort(np.flatnonzero(known)[first])
        self.artist_new = DecayedCounts(n_art, NEW_HALF_LIFE).init(art[first], times[first])
        if times.size:
            self.artist_new.observe(-1, int(times[-1]))
        self.artist_first_time = np.full(n_art, np.nan)
        self.artist_first_time[art[ok][::-1]] = times[ok][::-1]  # earlier plays overwrite later ones
        self.heard = np.zeros(len(d), bool)
        self.heard[items[items >= 0]] = True
        self.album_count = np.bincount(alb[alb >= 0], minlength=max(d.n_albums, 1)).astype(np.float64)
        self.profiles: dict[str, np.ndarray] = {}
        self.profile_ref = float(times[-1]) if times.size else 0.0
        w = (
            np.exp2(-(self.profile_ref - times.astype(np.float64)) / PROFILE_HALF_LIFE)
            if times.size
            else None
        )
        for kind, index in ctx.content.items():
            rows = np.where(items >= 0, index.item_row[np.maximum(items, 0)], -1)
            has = rows >= 0
            self.profiles[kind] = (
                w[has].astype(np.float32) @ index.vectors[rows[has]]
                if has.any()
                else np.zeros(index.dim, np.float32)
            )

    # -- updates ----------------------------------------------------------------------------
    def observe(self, item: int, played_at: int, artist: int = -1, album: int | None = None) -> None:
        """Count one play; ``artist`` (dense) stands in for a track outside the space (-1: unknown);
        ``album`` (dense, -1 unknown) is the play's album (None: the track's, as others name it)."""
        d = self.ctx.dspace
        a = int(d.space.artist_of[item]) if item >= 0 else int(artist)
        if album is None:
            album = int(d.album_of[item]) if item >= 0 else -1
        b = int(album)
        if self.times and played_at - self.times[-1] > self.gap_s:
            self.session_start = len(self.items)
        if self.artists:
            self.transitions.add(self.artists[-1], a)
        self.items.append(int(item))
        self.times.append(int(played_at))
        self.artists.append(a)
        self.albums.append(b)
        for c in self.artist_recent:
            c.observe(a, played_at)
        self.album_recent.observe(b, played_at)
        self.artist_new.observe(a if item >= 0 and not self.heard[item] else -1, played_at)
        if a >= 0:
            if self.artist_count[a] == 0:
                self.artist_first_time[a] = played_at
            self.artist_count[a] += 1
            self.artist_last_time[a] = played_at
        if b >= 0:
            self.album_count[b] += 1
        if item >= 0:
            self.heard[item] = True
        decay = np.float32(np.exp2(-max(played_at - self.profile_ref, 0) / PROFILE_HALF_LIFE))
        self.profile_ref = max(self.profile_ref, float(played_at))
        for kind, index in self.ctx.content.items():
            self.profiles[kind] *= decay
            row = index.item_row[item] if item >= 0 else -1
            if row >= 0:
                self.profiles[kind] += index.vectors[row]

    # -- views ------------------------------------------------------------------------------
    @property
    def now(self) -> int:
        return self.times[-1] if self.times else 0

    def session_window(self) -> list[int]:
        start = max(self.session_start, len(self.items) - SESSION_WINDOW)
        return self.items[start:]

    def session_artists(self) -> np.ndarray:
        """Plays per artist in the session window (float64 [n_artists])."""
        out = np.zeros(self.ctx.dspace.n_artists)
        start = max(self.session_start, len(self.items) - SESSION_WINDOW)
        arts = [a for a in self.artists[start:] if a >= 0]
        if arts:
            np.add.at(out, np.asarray(arts, np.int64), 1.0)
        return out

    def rotation(self) -> np.ndarray:
        """Artist plays decayed over 30 days (float64 [n_artists])."""
        return self.artist_recent[ROTATION].values

    def rankable(self) -> np.ndarray:
        """Dense indices of the candidates not heard yet."""
        return np.flatnonzero(self.ctx.dspace.candidate & ~self.heard)

    def rankable_artists(self) -> np.ndarray:
        """Dense indices of the catalogue's artists not played yet (the new-artist candidates)."""
        return np.flatnonzero(self.ctx.dspace.artist_pool & (self.artist_count == 0))
