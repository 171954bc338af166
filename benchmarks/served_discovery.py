"""The served list's discovery stream as the product has it — the discovery ranker over a leak-free
catalogue — for ``bench_served`` (docs/architecture.md §8b).

Per listener, ``models.evaluation.discovery_data.listener_store`` gives a store that never held the
listener's test span, with the catalogue the product's offline sources build from it (other
listeners, the open tables, the HetRec co-listening graph). The ranker is fitted as the discovery
evaluation fits it (the explore targets of the training span's validation tail; artist2vec up to
that tail), then rebound for the test span and walked play by play beside ``default``.

Ids: the leak-free store is a copy of the real-listener store, so a track or artist both hold keeps
its id; rows the catalogue added may reuse ids of rows the cut removed, so candidates are shifted by
``OFFSET`` and their artists mapped to the real store's by name (else shifted too). A target counts as
served when the list holds its real id or its shifted leak-free id.
"""

from __future__ import annotations

import numpy as np
from sqlalchemy import select

from core.jobs import run_job
from core.store.schema import Artist

OFFSET = 1_000_000_000


def _artist_names(engine) -> dict[int, str]:
    with engine.connect() as conn:
        return {int(i): n for i, n in conn.execute(select(Artist.id, Artist.name))}


class RankerStream:
    """The discovery ranker's top candidates before each play of the listener's sequence."""

    def __init__(self, base_store, account: str, seed: int = 1):
        from models.discovery.content import load_content
        from models.discovery.ranker import DiscoveryRanker
        from models.discovery.signals import DiscoveryData, DiscoveryState
        from models.evaluation.discovery import _context, listener_space
        from models.evaluation.discovery_data import listener_store
        from models.evaluation.splits import validation_split

        ld = run_job(listener_store(base_store, account))
        dspace, items, albums = listener_space(ld)
        content = load_content(ld.store.engine, dspace)
        times = ld.seq.played_at
        start = ld.split.start
        ranker = DiscoveryRanker()
        val = validation_split(start, ranker.params["tune_fraction"])
        ranker.bind(_context(ld, dspace, content, int(times[val.start]) - 1, seed))
        ranker.fit(
            DiscoveryData(
                dspace.space, items[:start], times[:start], np.zeros(start, np.int64), seed, albums[:start]
            )
        )
        ranker.bind(_context(ld, dspace, content, None, seed))  # the test span: artist2vec on all training
        self.ranker, self.ld, self.items, self.albums, self.times = ranker, ld, items, albums, times
        self.state = DiscoveryState(ranker.ctx, items[:start], times[:start], albums[:start])
        self.seen = start
        real = {n: i for i, n in _artist_names(base_store.engine).items()}
        mine = _artist_names(ld.store.engine)
        space = dspace.space
        self.artist_of_id = {
            int(space.track_ids[i]) + OFFSET: real.get(mine.get(int(a), ""), int(a) + OFFSET)
            for i, a in enumerate(space.artist_ids[space.artist_of].tolist())
        }

    def upto(self, p: int) -> None:
        """Observe the plays before position ``p``."""
        while self.seen < p:
            q = self.seen
            self.state.observe(int(self.items[q]), int(self.times[q]), album=int(self.albums[q]))
            self.seen += 1

    def candidates(self, p: int, k: int) -> list[tuple[int, float]]:
        """(shifted track id, score) of the ranker's best ``k`` unheard candidates before play ``p``."""
        from models.base import top_k

        self.upto(p)
        scores = self.ranker.scores(self.state)
        top = top_k(scores, k)
        ids = self.ranker.space.track_ids[top]
        return [(int(t) + OFFSET, float(scores[i])) for t, i in zip(ids.tolist(), top.tolist(), strict=True)]

    def target_id(self, p: int) -> int | None:
        """The shifted leak-free id of play ``p``'s track (None when that store does not hold it)."""
        t = int(self.ld.track_ids[p])
        return t + OFFSET if t > 0 else None

    def close(self) -> None:
        self.ld.store.dispose()
