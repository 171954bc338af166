"""New-to-you candidates from this computer's other accounts, ranked by how much the listener plays
their artists lately (the model's ``artist_recency``), then by how often the others play them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

import numpy as np
from sqlalchemy import func, select

from core.store.engine import Store
from core.store.queries import names
from core.store.schema import Artist, Scrobble, Track
from models.base import Evidence, Recommendation, Recommender
from models.serving import reasons

SOURCE = "other accounts on this computer"


def other_accounts_tracks(store: Store, account_id: int) -> list[tuple[int, int, int]]:
    """(track id, artist id, plays) of every track other accounts played and ``account_id`` never did."""
    own = select(Scrobble.track_id).where(Scrobble.account_id == account_id)
    stmt = (
        select(Scrobble.track_id, Track.artist_id, func.count())
        .join(Track, Track.id == Scrobble.track_id)
        .where(Scrobble.account_id != account_id, Scrobble.track_id.not_in(own))
        .group_by(Scrobble.track_id, Track.artist_id)
    )
    with store.engine.connect() as conn:
        return [(int(t), int(a), int(n)) for t, a, n in conn.execute(stmt)]


def explore(
    store: Store, account_id: int, model: Recommender, state: Any, k: int, exclude: Sequence[int]
) -> list[Recommendation]:
    excl = {int(e) for e in exclude}
    rows = [r for r in other_accounts_tracks(store, account_id) if r[0] not in excl]
    if not rows:
        return []
    affinity: dict[int, float] = {}
    recency = model.artist_recency(state)
    if recency is not None and model.space is not None and model.space.artist_ids is not None:
        affinity = {
            int(a): float(np.log1p(recency[i]))
            for i, a in enumerate(model.space.artist_ids.tolist())
            if i < recency.size
        }
    scored = sorted(
        ((affinity.get(a, 0.0) * 10 + np.log1p(n) / 10, t, a, n) for t, a, n in rows), reverse=True
    )[:k]
    anames = names(store.engine, Artist, {a for _, _, a, _ in scored})
    out = []
    for score, t, a, n in scored:
        said = model.explain_new(state, a)
        if said is not None:
            reason, evidence = said
            reason = reasons.TOKEN.sub(anames.get(a, "this artist"), reason)
            evidence = replace(evidence, source=SOURCE)
        else:
            reason = f"new to you: {_times(n)} by other listeners on this computer"
            evidence = Evidence(source=SOURCE, kind="others_plays", artist=a, plays=n)
        out.append(Recommendation(t, float(score), reason, new_to_user=True, evidence=evidence))
    return out


def _times(n: int) -> str:
    return "played once" if n == 1 else "played twice" if n == 2 else f"played {n} times"
