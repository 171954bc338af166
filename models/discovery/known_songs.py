"""Versions of songs the listener already plays, kept out of "New to you".

The store keeps "Kids" and "Kids (Bonus Track)" apart (two recordings), and so does the catalogue:
another listener's scrobble or a service's list brings the bonus-track edition, a live take or a
video upload titled "TWO DOOR CINEMA CLUB | I Can Talk" as a track the listener "never played". For
someone who played "Kids" 16 times it is not new music, and "by Two Door Cinema Club — not this
track yet" would be a claim the listener knows to be false. ``KnownSongs`` marks, over the discovery
space, every unheard track whose ``core.normalize.song_key`` (by the same artist) matches a track
the listener played; ``discover`` never returns them. It is built with the warm state (the tracks of
the artists the listener played) and kept current by its catch-up, so a call costs nothing.

The evaluation protocol ranks the catalogue as it stands (docs/architecture.md §8b): this is a
serving rule, like the dismissals.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from sqlalchemy.engine import Engine

from core.normalize import song_key
from core.store.queries import track_info, tracks_of_artists
from models.base import ItemSpace


@dataclass
class KnownSongs:
    mask: np.ndarray  # bool [space]: an unheard version of a song the listener played
    heard: set[tuple[int, str]] = field(default_factory=set)  # (artist id, song key) played
    heard_tracks: set[int] = field(default_factory=set)
    keyed_artists: set[int] = field(default_factory=set)  # artists whose tracks are in song_of
    song_of: dict[int, tuple[int, str]] = field(default_factory=dict)  # track id → (artist, song key)
    tracks_of: dict[tuple[int, str], list[int]] = field(default_factory=dict)  # song → its track ids

    @classmethod
    def of(
        cls, engine: Engine, space: ItemSpace, track_ids: np.ndarray, artist_ids: np.ndarray
    ) -> KnownSongs:
        """From the listener's plays (their track and artist ids)."""
        out = cls(np.zeros(len(space), bool))
        out.add(engine, space, track_ids, artist_ids)
        return out

    def add(self, engine: Engine, space: ItemSpace, track_ids: np.ndarray, artist_ids: np.ndarray) -> None:
        """Observe more plays: key the tracks of artists met for the first time, then mark the other
        versions of every newly heard song."""
        new_artists = {int(a) for a in np.unique(artist_ids)} - self.keyed_artists
        self.keyed_artists |= new_artists
        for tid, aid, name, artist in tracks_of_artists(engine, new_artists):
            song = (int(aid), song_key(name or "", artist or ""))
            self.song_of[int(tid)] = song
            self.tracks_of.setdefault(song, []).append(int(tid))
        fresh = {int(t) for t in np.unique(track_ids)} - self.heard_tracks
        for t in track_info(engine, [t for t in fresh if t not in self.song_of]).values():
            song = (int(t.artist_id), song_key(t.name or "", t.artist or ""))  # a track stored since
            self.song_of[t.id] = song
            self.tracks_of.setdefault(song, []).append(t.id)
        self.heard_tracks |= fresh
        songs = {self.song_of[t] for t in fresh if t in self.song_of} - self.heard
        self.heard |= songs
        others = [t for s in songs for t in self.tracks_of.get(s, ()) if t not in self.heard_tracks]
        idx = space.indices(others)
        self.mask[idx[idx >= 0]] = True
        # a version marked before is heard now: it is simply heard (the state leaves it out)
        heard_idx = space.indices(list(fresh))
        self.mask[heard_idx[heard_idx >= 0]] = False
