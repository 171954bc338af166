"""Model reasons in plain words: ``{track:i}`` / ``{artist:i}`` tokens (dense indices of the model's item
space) become "“Title” by Artist" / the artist's name, and the ids they name become the
recommendation's ``Evidence`` (anchor track, artist), so what a reason states can be checked."""

from __future__ import annotations

import re
from dataclasses import replace

from core.store.engine import Store
from core.store.queries import names, track_info
from core.store.schema import Artist
from models.base import Evidence, ItemSpace, Recommendation

TOKEN = re.compile(r"\{(track|artist):(-?\d+)\}")


def render(store: Store, space: ItemSpace, source: str, recs: list[Recommendation]) -> list[Recommendation]:
    """``recs`` with their reasons' tokens replaced by names and ``evidence`` filled from them."""

    def store_id(kind: str, i: int) -> int | None:
        if kind == "track" and 0 <= i < len(space):
            return int(space.track_ids[i])
        if kind == "artist" and space.artist_ids is not None and 0 <= i < space.artist_ids.size:
            return int(space.artist_ids[i])
        return None

    tracks: set[int] = set()
    artists: set[int] = set()
    for r in recs:
        for kind, idx in TOKEN.findall(r.reason):
            sid = store_id(kind, int(idx))
            if sid is not None:
                (tracks if kind == "track" else artists).add(sid)
    tinfo = track_info(store.engine, tracks) if tracks else {}
    anames = names(store.engine, Artist, artists) if artists else {}

    def sub(m: re.Match) -> str:
        kind, sid = m.group(1), store_id(m.group(1), int(m.group(2)))
        if sid is None:
            return "this"
        if kind == "track":
            t = tinfo.get(sid)
            return f"“{t.name}” by {t.artist}" if t else "your last track"
        return anames.get(sid, "this artist")

    out = []
    for r in recs:
        named = {kind: store_id(kind, int(idx)) for kind, idx in reversed(TOKEN.findall(r.reason))}
        evidence = r.evidence or Evidence(
            source=source, anchor_track=named.get("track"), artist=named.get("artist")
        )
        out.append(replace(r, reason=TOKEN.sub(sub, r.reason), evidence=evidence))
    return out
