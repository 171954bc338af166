"""``local.accounts``: tracks the other accounts on this computer played (no network).

One answer per other account (key ``account:<id>``): its distinct tracks by play count, with
``playcount`` = that account's plays. The answer is refreshed when that account's play count or last
play changed. Never the listener's own account; never the bundled demo account for a real account
unless ``include_demo``. A seed's weight is the listener's affinity with that account: the share of
the listener's plays (up to ``as_of``) whose artist the other account also played.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine, func, select

from core.catalogue.sources.base import DAY, BaseSource, Entry, Want
from core.features.providers.base import Outcome
from core.jobs import CancelToken
from core.store.schema import Account, Scrobble, Track

NAME = "local.accounts"


class LocalAccounts(BaseSource):
    name = NAME
    service = "local"
    level = "track"
    ttl_s = 7 * DAY

    def __init__(self, engine: Engine, *, include_demo: bool = False):
        self.engine = engine
        self.include_demo = include_demo

    def wants(self, conn: Connection, seeds, now: int) -> list[Want]:
        others = conn.execute(
            select(Account.id, Account.kind, func.count(Scrobble.id), func.max(Scrobble.played_at))
            .join(Scrobble, Scrobble.account_id == Account.id)
            .where(Account.id != seeds.account_id)
            .group_by(Account.id)
            .order_by(Account.id)
        ).all()
        total = sum(seeds.artist_plays.values()) or 1
        out = []
        for acc_id, kind, plays, last in others:
            if kind == "demo" and not (self.include_demo or seeds.account_kind == "demo"):
                continue
            artists = set(
                conn.execute(
                    select(Track.artist_id)
                    .join(Scrobble, Scrobble.track_id == Track.id)
                    .where(Scrobble.account_id == acc_id)
                    .distinct()
                ).scalars()
            )
            shared = sum(n for a, n in seeds.artist_plays.items() if a in artists)
            out.append(
                Want(
                    key=f"account:{acc_id}",
                    weight=shared / total,
                    seed_account_id=acc_id,
                    query={"account_id": acc_id},
                    detail={"plays": int(plays), "last": int(last or 0)},
                )
            )
        return out

    def fetch(self, want: Want, cancel: CancelToken | None = None) -> Outcome:
        acc_id = want.query["account_id"]
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(Scrobble.track_id, Track.artist_id, func.count().label("n"))
                .join(Track, Track.id == Scrobble.track_id)
                .where(Scrobble.account_id == acc_id)
                .group_by(Scrobble.track_id, Track.artist_id)
                .order_by(func.count().desc(), Scrobble.track_id)
            ).all()
        if not rows:
            return Outcome.missing(f"account {acc_id} has no plays")
        return Outcome.ok([Entry(artist_id=a, track_id=t, playcount=int(n)) for t, a, n in rows])
