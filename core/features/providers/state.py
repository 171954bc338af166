"""``feature_status`` rows and the staleness policy: which items are due for a (re)fetch.

Statuses (one row per item kind, item id and modality):

* no row — never tried: **pending**;
* ``pending`` — tried but nothing concluded (the network was down); reason says so;
* ``ok`` — stored; re-fetched when older than the modality's max age (or forced);
* ``missing`` — the service had nothing; asked again after a shorter age (catalogues grow);
* ``error`` — failed.  A retryable failure (5xx, 429, timeout, malformed body) has a reason starting
  with :data:`RETRY_PREFIX` and is retried after an exponential backoff on ``attempts``; any other
  error (a file that does not decode, a request the service refuses) at the "missing" age, like an
  absent result: the cause may have changed (a replaced file, a fixed entry) but not within minutes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from sqlalchemy import Connection, delete, select
from sqlalchemy.dialects import postgresql, sqlite

from core.store.schema import FeatureStatus

DAY = 86_400
RETRY_PREFIX = "retry later: "

DEFAULT_MAX_AGE_DAYS: dict[str, float] = {
    "tags": 180,
    "lyrics": 365,
    "audio": 3650,
    "ids": 365,
    "art": 365,
    "bio": 180,
}
DEFAULT_MISSING_AGE_DAYS: dict[str, float] = {
    "tags": 30,
    "lyrics": 30,
    "audio": 1,
    "ids": 30,
    "art": 30,
    "bio": 30,
}


@dataclass(frozen=True)
class StatusRow:
    status: str
    fetched_at: int | None
    attempts: int
    reason: str | None
    provider: str | None

    @property
    def retryable(self) -> bool:
        return self.status == "error" and (self.reason or "").startswith(RETRY_PREFIX)


@dataclass
class FetchPolicy:
    """When a stored result is stale. Ages in seconds per modality; see the module docstring."""

    max_age_s: dict[str, int] = field(
        default_factory=lambda: {k: int(v * DAY) for k, v in DEFAULT_MAX_AGE_DAYS.items()}
    )
    missing_age_s: dict[str, int] = field(
        default_factory=lambda: {k: int(v * DAY) for k, v in DEFAULT_MISSING_AGE_DAYS.items()}
    )
    retry_base_s: int = 600
    retry_max_s: int = 7 * DAY

    @classmethod
    def from_days(
        cls, max_age: Mapping[str, float] | None = None, missing_age: Mapping[str, float] | None = None, **kw
    ) -> FetchPolicy:
        policy = cls(**kw)
        for k, v in (max_age or {}).items():
            policy.max_age_s[k] = int(float(v) * DAY)
        for k, v in (missing_age or {}).items():
            policy.missing_age_s[k] = int(float(v) * DAY)
        return policy

    @classmethod
    def from_settings(cls, settings) -> FetchPolicy:
        """``settings.feature_max_age_days`` / ``feature_missing_age_days``: {modality: days}."""
        return cls.from_days(settings.feature_max_age_days, settings.feature_missing_age_days)

    def retry_after_s(self, attempts: int) -> int:
        return int(min(self.retry_max_s, self.retry_base_s * 2 ** max(0, attempts - 1)))

    def due(self, modality: str, row: StatusRow | None, now: int, force: bool = False) -> bool:
        """Whether the item should be fetched now."""
        if force or row is None or row.status == "pending" or row.fetched_at is None:
            return True
        age = now - row.fetched_at
        max_age = self.max_age_s.get(modality, 180 * DAY)
        if row.status == "ok":
            return age >= max_age
        if row.status == "missing":
            return age >= self.missing_age_s.get(modality, 30 * DAY)
        if row.retryable:
            return age >= min(max_age, self.retry_after_s(row.attempts))
        return age >= self.missing_age_s.get(modality, 30 * DAY)  # a definite error


def _insert(conn: Connection):
    dialect = postgresql if conn.dialect.name == "postgresql" else sqlite
    return dialect.insert(FeatureStatus)


def load_statuses(
    conn: Connection, kind: str, modality: str, ids: Iterable[int] | None = None
) -> dict[int, StatusRow]:
    stmt = select(
        FeatureStatus.item_id,
        FeatureStatus.status,
        FeatureStatus.fetched_at,
        FeatureStatus.attempts,
        FeatureStatus.reason,
        FeatureStatus.provider,
    ).where(FeatureStatus.item_kind == kind, FeatureStatus.modality == modality)
    out: dict[int, StatusRow] = {}
    if ids is None:
        for row in conn.execute(stmt):
            out[row[0]] = StatusRow(row[1], row[2], row[3] or 0, row[4], row[5])
        return out
    id_list = list(ids)
    for i in range(0, len(id_list), 500):
        for row in conn.execute(stmt.where(FeatureStatus.item_id.in_(id_list[i : i + 500]))):
            out[row[0]] = StatusRow(row[1], row[2], row[3] or 0, row[4], row[5])
    return out


def get_status(conn: Connection, kind: str, item_id: int, modality: str) -> StatusRow | None:
    return load_statuses(conn, kind, modality, [item_id]).get(item_id)


def set_status(
    conn: Connection,
    kind: str,
    item_id: int,
    modality: str,
    status: str,
    *,
    now: int,
    provider: str | None = None,
    reason: str | None = None,
    retry: bool = False,
) -> None:
    """Upsert one status row. ``error`` rows count attempts (and carry :data:`RETRY_PREFIX` when
    ``retry``); ``ok``/``missing`` reset them."""
    if status == "error" and retry and not (reason or "").startswith(RETRY_PREFIX):
        reason = RETRY_PREFIX + (reason or "temporary failure")
    values = {
        "item_kind": kind,
        "item_id": int(item_id),
        "modality": modality,
        "provider": (provider or None),
        "status": status,
        "reason": reason,
        "fetched_at": int(now),
        "attempts": 1 if status == "error" else 0,
    }
    if values["provider"]:
        values["provider"] = values["provider"][:40]
    stmt = _insert(conn).values(**values)
    update = {k: stmt.excluded[k] for k in ("provider", "status", "reason", "fetched_at")}
    update["attempts"] = (FeatureStatus.attempts + 1) if status == "error" else 0
    conn.execute(stmt.on_conflict_do_update(index_elements=["item_kind", "item_id", "modality"], set_=update))


def mark_pending(conn: Connection, kind: str, item_id: int, modality: str, reason: str, now: int) -> None:
    """Record 'tried, nothing concluded' without overwriting an existing result (e.g. a stale ok)."""
    stmt = _insert(conn).values(
        item_kind=kind,
        item_id=int(item_id),
        modality=modality,
        provider=None,
        status="pending",
        reason=reason,
        fetched_at=None,
        attempts=0,
    )
    conn.execute(stmt.on_conflict_do_nothing(index_elements=["item_kind", "item_id", "modality"]))
    conn.execute(
        FeatureStatus.__table__.update()
        .where(
            FeatureStatus.item_kind == kind,
            FeatureStatus.item_id == int(item_id),
            FeatureStatus.modality == modality,
            FeatureStatus.status == "pending",
        )
        .values(reason=reason)
    )


def clear_status(
    conn: Connection, kind: str, item_id: int, modality: str, *, only: str | None = None
) -> None:
    """Forget a status so the item is pending again (``only``: just when its status is that)."""
    stmt = delete(FeatureStatus).where(
        FeatureStatus.item_kind == kind,
        FeatureStatus.item_id == int(item_id),
        FeatureStatus.modality == modality,
    )
    if only is not None:
        stmt = stmt.where(FeatureStatus.status == only)
    conn.execute(stmt)
