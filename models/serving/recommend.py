"""``recommend_for`` and ``explore_for``: an account's next tracks, with reasons in plain words.

Both answer from the account's warm state (``models.serving.warm``; the model is trained on demand
when missing unless ``train_if_missing=False``). Accounts with fewer than two plays get what is
popular on this computer instead (``models.serving.fallback``), or a ``ModelError`` saying why there
is nothing yet — never a crash.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlalchemy import select

from core.jobs import CancelToken
from core.sessions import DEFAULT_GAP_S
from core.store.engine import Store
from core.store.schema import Account, Scrobble
from models.artefacts import DEFAULT_MODEL
from models.base import ModelError, Recommendation
from models.serving import explore, fallback, reasons
from models.serving.warm import LOCK, warm_state
from models.training import MIN_PLAYS

BOOST = 0.25
"""A liked track's score is lifted by this share of the spread between the best and worst suggestion."""


def recommend_for(
    store: Store,
    account: str,
    k: int = 20,
    *,
    exclude: Sequence[int] = (),
    boost: Sequence[int] = (),
    model: str = DEFAULT_MODEL,
    gap_s: int = DEFAULT_GAP_S,
    train_if_missing: bool = True,
    cancel: CancelToken | None = None,
) -> list[Recommendation]:
    """Top-``k`` next tracks for ``account`` as ``model`` ranks them, best first.

    ``exclude``: store track ids to leave out (dismissed); ``boost``: store track ids to lift (liked).
    The track playing now (the latest play) is never suggested.
    """
    brief = _brief(store, account)
    if brief.plays < MIN_PLAYS:
        return fallback.popular(store, brief.id, account, brief.plays, k, exclude)
    with LOCK:
        warm = warm_state(store, brief.id, account, model, gap_s, train_if_missing, cancel)
        m = warm.model
        excl = set(m.space.indices(list(exclude)).tolist()) - {-1}
        if warm.playing >= 0:
            excl.add(warm.playing)
        recs = m.recommend(warm.state, k + len(boost), sorted(excl))
    recs = lift(recs, boost)[:k]
    return reasons.render(store, m.space, m.name, recs)


def explore_for(
    store: Store,
    account: str,
    k: int = 20,
    *,
    exclude: Sequence[int] = (),
    model: str = DEFAULT_MODEL,
    gap_s: int = DEFAULT_GAP_S,
    train_if_missing: bool = True,
    cancel: CancelToken | None = None,
) -> list[Recommendation]:
    """Top-``k`` tracks new to ``account`` (never played by it), all marked ``new_to_user``: the
    discovery stream (``explore.discovery_stream``: the discovery ranker over the account's catalogue,
    trained on demand unless ``train_if_missing=False``; without a catalogue, other local accounts'
    tracks by the listener's affinity to their artists)."""
    brief = _brief(store, account)
    if brief.plays < MIN_PLAYS:
        return fallback.popular(store, brief.id, account, brief.plays, k, exclude)

    def others() -> list[Recommendation]:
        with LOCK:
            warm = warm_state(store, brief.id, account, model, gap_s, train_if_missing, cancel)
            return explore.other_accounts(store, brief.id, warm.model, warm.state, k, exclude)

    stream = explore.discovery_stream(
        store, brief.id, account, k, exclude, others, train_if_missing=train_if_missing, cancel=cancel
    )
    return stream.recs


def lift(recs: list[Recommendation], boost: Sequence[int]) -> list[Recommendation]:
    """``recs`` with the ``boost`` tracks' scores lifted by ``BOOST`` × the score spread, re-sorted."""
    if not boost:
        return recs
    liked = {int(b) for b in boost}
    spread = (recs[0].score - recs[-1].score) if len(recs) > 1 else 1.0
    lifted = [replace(r, score=r.score + BOOST * abs(spread)) if r.track_id in liked else r for r in recs]
    return sorted(lifted, key=lambda r: -r.score)


@dataclass(frozen=True)
class _Brief:
    id: int
    plays: int  # exact below MIN_PLAYS, else MIN_PLAYS


def _brief(store: Store, account: str) -> _Brief:
    """The account's id and whether it has at least MIN_PLAYS plays (two indexed lookups, no COUNT)."""
    with store.engine.connect() as conn:
        acc = conn.execute(select(Account.id).where(Account.name == account)).scalar()
        if acc is None:
            raise ModelError(f"no account named '{account}'; import a history or sync first")
        few = conn.execute(select(Scrobble.id).where(Scrobble.account_id == acc).limit(MIN_PLAYS)).all()
    return _Brief(int(acc), len(few))
