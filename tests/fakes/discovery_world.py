"""The music world the discovery fakes (Last.fm, ListenBrainz, MusicBrainz artist search) answer from.

A :class:`DiscoveryWorld` holds artists with their tracks (plays, listeners, MBIDs, durations), similar
artists and similar tracks with a 0–1 ``match``, and tag → tracks. Tests write small worlds by hand
(:meth:`DiscoveryWorld.add_artist`); :meth:`DiscoveryWorld.from_plays` builds a realistic one from
real listening histories, the way the services derive theirs from their users' listening:

* an artist's top tracks are its tracks by plays across the histories, ``listeners`` the number of
  histories that played the track;
* artist similarity is co-listening: artists played in the same session (a gap of more than 30 min
  starts a new one) by the same listener, cosine-normalised over sessions; the most similar artist
  gets ``match`` 1 and the rest relative to it, like Last.fm's answers;
* track similarity likewise, for tracks played within a few plays of each other in a session;
* tags come from the caller (e.g. per-artist tags of an open table), tag → its artists' top tracks.

MBIDs are the ones the histories carry when they carry them, otherwise stable uuid5 values, so the
Last.fm fake, the MusicBrainz fake and the ListenBrainz fake agree on every artist and recording.
Names are matched like the real services do (case-insensitive, spacing ignored).
"""

from __future__ import annotations

import math
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

_NS = uuid.UUID("5e9ee0a2-0d1b-4b5e-9d3c-2f51a3c6b7e4")
SESSION_GAP_S = 1800
TRACK_WINDOW = 4


def key(name: str) -> str:
    return " ".join(str(name).casefold().split())


def stable_mbid(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "\t".join(key(p) for p in parts)))


@dataclass
class WorldTrack:
    artist: str
    title: str
    mbid: str
    plays: int = 1
    listeners: int = 1
    duration_s: int = 0


@dataclass
class WorldArtist:
    name: str
    mbid: str
    tracks: list[WorldTrack] = field(default_factory=list)  # most played first
    similar: list[tuple[str, float]] = field(default_factory=list)  # (artist key, match), best first
    tags: list[str] = field(default_factory=list)

    @property
    def plays(self) -> int:
        return sum(t.plays for t in self.tracks)

    @property
    def listeners(self) -> int:
        return max((t.listeners for t in self.tracks), default=0)


@dataclass
class DiscoveryWorld:
    artists: dict[str, WorldArtist] = field(default_factory=dict)
    similar_tracks: dict[tuple[str, str], list[tuple[WorldTrack, float]]] = field(default_factory=dict)

    # ---------------------------------------------------------------- lookups the fakes use

    def artist(self, name: str) -> WorldArtist | None:
        return self.artists.get(key(name))

    def artist_by_mbid(self, mbid: str) -> WorldArtist | None:
        mbid = mbid.lower()
        return next((a for a in self.artists.values() if a.mbid == mbid), None)

    def track(self, artist: str, title: str) -> WorldTrack | None:
        a = self.artist(artist)
        return next((t for t in a.tracks if key(t.title) == key(title)), None) if a else None

    def recording(self, mbid: str) -> WorldTrack | None:
        mbid = mbid.lower()
        for a in self.artists.values():
            for t in a.tracks:
                if t.mbid == mbid:
                    return t
        return None

    def tag_tracks(self, tag: str) -> list[WorldTrack]:
        """Tracks of the artists carrying ``tag``, most played first."""
        want = key(tag)
        tracks = [t for a in self.artists.values() if want in {key(x) for x in a.tags} for t in a.tracks]
        return sorted(tracks, key=lambda t: (-t.plays, key(t.artist), key(t.title)))

    # ---------------------------------------------------------------- building

    def add_artist(
        self,
        name: str,
        tracks: Iterable[str | tuple[str, int]] = (),
        *,
        similar: Iterable[str | tuple[str, float]] = (),
        tags: Iterable[str] = (),
        mbid: str | None = None,
    ) -> WorldArtist:
        """Add (or extend) an artist: ``tracks`` most played first (title, or (title, plays));
        ``similar`` best first (name, or (name, match); names get matches 1.0, 0.9, ...)."""
        a = self.artists.get(key(name))
        if a is None:
            a = self.artists[key(name)] = WorldArtist(name, (mbid or stable_mbid(name)).lower())
        for i, t in enumerate(tracks):
            title, plays = (t, 1000 - 10 * i) if isinstance(t, str) else t
            a.tracks.append(
                WorldTrack(name, title, stable_mbid(name, title), plays, max(1, plays // 3), 200 + i)
            )
        for i, s in enumerate(similar):
            other, match = (s, round(1.0 - 0.1 * i, 6)) if isinstance(s, str) else s
            a.similar.append((key(other), float(match)))
        a.tags.extend(tags)
        return a

    def set_similar_tracks(self, artist: str, title: str, similar: Iterable[tuple[str, str, float]]) -> None:
        out = []
        for other_artist, other_title, match in similar:
            t = self.track(other_artist, other_title)
            if t is None:
                t = self.add_artist(other_artist, [other_title]).tracks[-1]
            out.append((t, float(match)))
        self.similar_tracks[(key(artist), key(title))] = out

    @classmethod
    def from_plays(
        cls,
        histories: Mapping[str, Iterable[tuple]],
        *,
        artist_tags: Mapping[str, Iterable[str]] | None = None,
        max_similar: int = 100,
    ) -> DiscoveryWorld:
        """A world from real histories: user → plays ``(artist, title, played_at[, artist_mbid,
        track_mbid, duration_ms])``."""
        plays_t: Counter[tuple[str, str]] = Counter()
        users_t: dict[tuple[str, str], set[str]] = defaultdict(set)
        names: dict[str, str] = {}
        titles: dict[tuple[str, str], str] = {}
        a_mbid: dict[str, str] = {}
        t_mbid: dict[tuple[str, str], str] = {}
        t_dur: dict[tuple[str, str], int] = {}
        a_sessions: Counter[str] = Counter()
        a_pairs: Counter[tuple[str, str]] = Counter()
        t_sessions: Counter[tuple[str, str]] = Counter()
        t_pairs: Counter[tuple[tuple[str, str], tuple[str, str]]] = Counter()
        for user, plays in histories.items():
            rows = sorted((p for p in plays if p[0] and p[1]), key=lambda p: p[2])
            session: list[tuple[str, str]] = []
            last = None
            for p in rows + [None]:
                if p is None or (last is not None and p[2] - last > SESSION_GAP_S):
                    _count_session(session, a_sessions, a_pairs, t_sessions, t_pairs)
                    session = []
                if p is None:
                    break
                ak, tk = key(p[0]), (key(p[0]), key(p[1]))
                names.setdefault(ak, p[0])
                titles.setdefault(tk, p[1])
                if len(p) > 3 and p[3]:
                    a_mbid.setdefault(ak, str(p[3]).lower())
                if len(p) > 4 and p[4]:
                    t_mbid.setdefault(tk, str(p[4]).lower())
                if len(p) > 5 and p[5]:
                    t_dur.setdefault(tk, int(p[5]) // 1000)
                plays_t[tk] += 1
                users_t[tk].add(user)
                session.append(tk)
                last = p[2]
        world = cls()
        by_artist: dict[str, list[WorldTrack]] = defaultdict(list)
        for tk, n in plays_t.items():
            ak = tk[0]
            by_artist[ak].append(
                WorldTrack(
                    names[ak],
                    titles[tk],
                    t_mbid.get(tk) or stable_mbid(names[ak], titles[tk]),
                    n,
                    len(users_t[tk]),
                    t_dur.get(tk, 0),
                )
            )
        for ak, tracks in by_artist.items():
            tracks.sort(key=lambda t: (-t.plays, key(t.title)))
            world.artists[ak] = WorldArtist(names[ak], a_mbid.get(ak) or stable_mbid(names[ak]), tracks)
        for ak, sims in _cosine(a_pairs, a_sessions, max_similar).items():
            world.artists[ak].similar = sims
        track_of = {(key(t.artist), key(t.title)): t for a in world.artists.values() for t in a.tracks}
        for tk, sims in _cosine(t_pairs, t_sessions, max_similar).items():
            world.similar_tracks[tk] = [(track_of[o], m) for o, m in sims]
        for name, tags in (artist_tags or {}).items():
            if (a := world.artist(name)) is not None:
                a.tags = list(tags)
        return world

    @classmethod
    def from_files(cls, paths: Iterable[str | Path], **kwargs) -> DiscoveryWorld:
        """A world from history files the app can import (read with ``core.sources.importers``)."""
        from core.sources import importers
        from core.sources.records import PlayBlock, PlayRecord

        histories: dict[str, list[tuple]] = {}
        for path in paths:
            rows: list[tuple] = []
            for src in importers.expand(Path(path)):
                _, stream = importers.iter_records(src)
                for rec in stream:
                    recs = (
                        rec.records()
                        if isinstance(rec, PlayBlock)
                        else [rec]
                        if isinstance(rec, PlayRecord)
                        else []
                    )
                    for r in recs:
                        if r.kind == "play":
                            rows.append(
                                (r.artist, r.track, r.played_at, r.artist_mbid, r.track_mbid, r.duration_ms)
                            )
            histories[Path(path).name] = rows
        return cls.from_plays(histories, **kwargs)


def _count_session(session, a_sessions, a_pairs, t_sessions, t_pairs) -> None:
    if not session:
        return
    artists = sorted({t[0] for t in session})
    a_sessions.update(artists)
    for i, a in enumerate(artists):
        for b in artists[i + 1 :]:
            a_pairs[(a, b)] += 1
    t_sessions.update(set(session))
    seen = set()
    for i, t in enumerate(session):
        for u in session[i + 1 : i + 1 + TRACK_WINDOW]:
            if u != t:
                pair = (t, u) if t < u else (u, t)
                if pair not in seen:
                    seen.add(pair)
                    t_pairs[pair] += 1


def _cosine(pairs: Counter, counts: Counter, top: int) -> dict:
    """item → [(other, match)] best first, the best at 1.0."""
    out: dict = defaultdict(list)
    for (a, b), n in pairs.items():
        s = n / math.sqrt(counts[a] * counts[b])
        out[a].append((b, s))
        out[b].append((a, s))
    result = {}
    for item, sims in out.items():
        sims.sort(key=lambda x: (-x[1], x[0]))
        best = sims[0][1]
        result[item] = [(o, round(s / best, 6)) for o, s in sims[:top]]
    return result
