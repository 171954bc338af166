"""Item tags as model input: one key per tag spelling, weights scaled per item.

Providers weigh tags on different scales (Last.fm top tags 0–100, HetRec user counts, rank-derived
weights for comma-joined lists), so each item's weights are divided by its largest weight: the top
tag of every item is 1.0. Tag keys fold case, spaces, hyphens and underscores ("Hip-Hop", "hip hop"
and "hiphop" are one tag).
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import lru_cache

from sqlalchemy import Connection, Engine, select

from core.normalize import basic_key
from core.store.schema import ItemTag

_FOLD = re.compile(r"[\s\-_]+")


@lru_cache(maxsize=1 << 16)
def tag_key(tag: str) -> str:
    return _FOLD.sub("", basic_key(tag))


def load_item_tags(
    bind: Connection | Engine, item_kind: str | None = None
) -> dict[tuple[str, int], dict[str, float]]:
    """(item_kind, item_id) → {tag key: weight scaled so the item's top tag is 1.0}."""
    stmt = select(ItemTag.item_kind, ItemTag.item_id, ItemTag.tag, ItemTag.weight)
    if item_kind is not None:
        stmt = stmt.where(ItemTag.item_kind == item_kind)
    if isinstance(bind, Engine):
        with bind.connect() as conn:
            rows = conn.execute(stmt).all()
    else:
        rows = bind.execute(stmt).all()
    out: dict[tuple[str, int], dict[str, float]] = defaultdict(dict)
    for kind, item, tag, weight in rows:
        key = tag_key(tag)
        if not key or weight is None or weight <= 0:
            continue
        d = out[(kind, item)]
        d[key] = max(d.get(key, 0.0), float(weight))  # two spellings of one tag: keep the stronger
    for d in out.values():
        top = max(d.values())
        for k in d:
            d[k] /= top
    return dict(out)
