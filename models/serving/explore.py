"""The discovery stream: tracks new to the listener, best first, each with a reason naming its source.

One stream, whoever asks (``models.api.explore``, the served list, ``segue recommend --explore``, the
Suggestions page's "New to you"):

- the account has a trained discovery ranker: its ranking of the catalogue's unheard candidates
  (``models.discovery.service.discover``: Last.fm / ListenBrainz answers, other local accounts, the
  open tables), reasons and evidence from the discovery model;
- no ranker yet (no catalogue, or the catalogue's ranker not trained yet — ``needs_training`` says
  which): the fallback, tracks of this computer's other accounts ranked by how much the listener
  plays their artists lately (the continuation model's ``artist_recency``), then by how often the
  others play them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from sqlalchemy import func, select

from core.jobs import CancelToken
from core.store.engine import Store
from core.store.queries import names
from core.store.schema import Artist, Scrobble, Track
from models.artefacts import is_trained
from models.base import Evidence, ModelError, Recommendation, Recommender
from models.serving import reasons

log = logging.getLogger(__name__)
SOURCE = "other accounts on this computer"
CATALOGUE = "catalogue"  # Stream.source when the discovery ranker answered
DISCOVERY_MODEL = "discovery"


@dataclass
class Stream:
    recs: list[Recommendation] = field(default_factory=list)
    source: str = SOURCE  # CATALOGUE or SOURCE (the fallback)
    ranker: Any = None  # the discovery ranker that answered (its params hold the served list's calibration)
    needs_training: bool = False  # the account has a catalogue but no (usable) discovery ranker yet


def discovery_stream(
    store: Store,
    account_id: int,
    account: str,
    k: int,
    exclude: Sequence[int],
    fallback: Callable[[], list[Recommendation]],
    *,
    train_if_missing: bool = False,
    cancel: CancelToken | None = None,
) -> Stream:
    """Up to ``k`` new-to-you tracks (store ids, best first; ``exclude``: dismissed ones). ``fallback``
    answers when the discovery ranker cannot (``other_accounts`` over the continuation model's state)."""
    from models.discovery import service

    trained = is_trained(account, DISCOVERY_MODEL)
    catalogue = trained or service.has_catalogue(store.engine, account_id)
    if trained or (catalogue and train_if_missing):
        try:
            found = service.discover(
                store, account, k, exclude=exclude, train_if_missing=train_if_missing, cancel=cancel
            )
        except ModelError as exc:  # written by another version, or the catalogue went away
            log.info("discovery for %s: %s; the fallback answers", account, exc)
            catalogue = service.has_catalogue(store.engine, account_id)
        else:
            recs = [
                Recommendation(d.track_id, d.score, d.reason, new_to_user=True, evidence=d.evidence)
                for d in found
            ]
            return Stream(recs, CATALOGUE, service.warm_ranker(store, account_id))
    return Stream(fallback(), SOURCE, None, bool(catalogue))


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


def other_accounts(
    store: Store, account_id: int, model: Recommender, state: Any, k: int, exclude: Sequence[int]
) -> list[Recommendation]:
    """The fallback: other local accounts' tracks, by the listener's affinity to their artists."""
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
