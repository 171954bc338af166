"""The second hop: artists similar to the listener's seeds, whose own tracks are then fetched.

Most of a catalogue's *new* artists come from here: the similar-artist answers already stored for the
listener's seeds (``lastfm.artist.getSimilar``, ``listenbrainz.similar_artists``) name artists the
listener may never have played; their top tracks are what "new to you: similar to X" suggests.
An artist's strength is the best (seed weight × similarity) over the answers naming it, similarity
being the answer's score relative to its best (Last.fm ``match`` is already 0–1 with the top at 1).
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import Connection, select

from core.store.schema import Artist, CatalogueFetch, CatalogueItem, CatalogueSeed

SIMILAR_SOURCES = ("lastfm.artist.getSimilar", "listenbrainz.similar_artists")


@dataclass(frozen=True)
class Hop:
    artist_id: int
    name: str
    mbid: str | None
    weight: float
    via_artist_id: int  # the seed artist it is similar to


def similar_artists(
    conn: Connection, account_id: int, n: int, *, exclude: set[int] = frozenset(), sources=SIMILAR_SOURCES
) -> list[Hop]:
    """The ``n`` strongest artists the account's similar-artist answers name (not in ``exclude``)."""
    if n <= 0:
        return []
    rows = conn.execute(
        select(
            CatalogueItem.fetch_id,
            CatalogueItem.artist_id,
            CatalogueItem.score,
            CatalogueItem.rank,
            CatalogueSeed.weight,
            CatalogueFetch.seed_artist_id,
        )
        .join(CatalogueSeed, CatalogueSeed.fetch_id == CatalogueItem.fetch_id)
        .join(CatalogueFetch, CatalogueFetch.id == CatalogueItem.fetch_id)
        .where(
            CatalogueSeed.account_id == account_id,
            CatalogueFetch.source.in_(list(sources)),
            CatalogueItem.track_id.is_(None),
        )
    ).all()
    top: dict[int, float] = {}
    for fetch_id, _, score, _, _, _ in rows:
        if score is not None and score > 0:
            top[fetch_id] = max(top.get(fetch_id, 0.0), float(score))
    best: dict[int, tuple[float, int]] = {}
    for fetch_id, artist_id, score, rank, weight, via in rows:
        if artist_id in exclude or via is None:
            continue
        rel = float(score) / top[fetch_id] if score is not None and fetch_id in top else 1.0 / max(1, rank)
        strength = float(weight) * rel
        if strength > best.get(artist_id, (0.0, 0))[0]:
            best[artist_id] = (strength, via)
    chosen = sorted(best.items(), key=lambda kv: (-kv[1][0], kv[0]))[:n]
    info = dict(
        (i, (name, mbid))
        for i, name, mbid in conn.execute(
            select(Artist.id, Artist.name, Artist.mbid).where(Artist.id.in_([a for a, _ in chosen]))
        )
    )
    return [Hop(a, info[a][0], info[a][1], w, via) for a, (w, via) in chosen if a in info]
