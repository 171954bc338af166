"""What is popular on this computer, for accounts with too few plays for a model of their own."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import func, select

from core.store.engine import Store
from core.store.schema import Scrobble
from models.base import Evidence, ModelError, Recommendation

SOURCE = "popular on this computer"


def popular(
    store: Store, account_id: int, account: str, plays: int, k: int, exclude: Sequence[int]
) -> list[Recommendation]:
    """The ``k`` most played tracks across the store that ``account`` has not played; ``ModelError``
    (saying what to do) when there are none."""
    excl = {int(e) for e in exclude}
    with store.engine.connect() as conn:
        own = set(conn.execute(select(Scrobble.track_id).where(Scrobble.account_id == account_id)).scalars())
        rows = conn.execute(
            select(Scrobble.track_id, func.count().label("n"))
            .group_by(Scrobble.track_id)
            .order_by(func.count().desc(), Scrobble.track_id)
            .limit(k + len(excl) + len(own) + 1)
        ).all()
    picks = [(int(t), int(n)) for t, n in rows if t not in excl and t not in own][:k]
    if not picks:
        raise ModelError(
            f"{account} has {plays} play{'s' * (plays != 1)} and there is nothing else on "
            "this computer to suggest from yet: import a history or sync to get suggestions"
        )
    return [
        Recommendation(
            t,
            float(n),
            f"popular on this computer ({n} plays); your own suggestions start after a few plays",
            new_to_user=True,
            evidence=Evidence(source=SOURCE, plays=n),
        )
        for t, n in picks
    ]
