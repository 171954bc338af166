"""The listener's plays per artist and per album as Stats counts them — every scrobble, repeats
included, the play's own album — for the history claims of discovery reasons ("whom you played 618
times", "an album you played 12 times").

The ranker's state counts the collapsed sequence it learned on (a track repeated back to back counts
once), which is right for scoring but not what the Stats page shows or what the sentence says. These
counts are built once with the warm state from the same play rows and kept current by its catch-up,
so a reason costs no query.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from core.store.queries import PlayFrame
from models.discovery.reasons import DiscoveryEvidence


@dataclass
class HistoryCounts:
    artist: dict[int, tuple[int, int]] = field(default_factory=dict)  # artist id → (plays, last play)
    album: dict[int, int] = field(default_factory=dict)  # album id → plays

    @classmethod
    def of(cls, frame: PlayFrame) -> HistoryCounts:
        """From every play of the account (``load_plays``, not collapsed)."""
        out = cls()
        out.add(frame)
        return out

    def add(self, frame: PlayFrame) -> None:
        """Count more plays (the plays stored since)."""
        if not len(frame):
            return
        arts, inv, n = np.unique(frame.artist_id, return_inverse=True, return_counts=True)
        last = np.zeros(arts.size, np.int64)
        np.maximum.at(last, inv, frame.played_at)
        for a, c, t in zip(arts.tolist(), n.tolist(), last.tolist(), strict=True):
            had, at = self.artist.get(a, (0, 0))
            self.artist[a] = (had + c, max(at, t))
        albums = frame.album_id[frame.album_id >= 0]
        for b, c in zip(*(x.tolist() for x in np.unique(albums, return_counts=True)), strict=True):
            self.album[b] = self.album.get(b, 0) + c

    def apply(self, evidence: list[DiscoveryEvidence]) -> list[DiscoveryEvidence]:
        """The evidence with the store's counts in its history claims."""
        out = []
        for e in evidence:
            if e.kind == "affinity" and e.artist in self.artist:
                n, last = self.artist[e.artist]
                e = replace(e, plays=n, last_played=last)
            elif e.kind == "album" and e.album in self.album:
                e = replace(e, plays=self.album[e.album])
            out.append(e)
        return out
