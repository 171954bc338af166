"""The catalogue refresh job: follow the listener's seeds through every source, one answer at a time.

A generator yielding ``Progress`` and checking its ``CancelToken`` between answers. Per source: the
listener's wants are linked as seeds (the catalogue follows the listener), then what is due — new,
expired, failed long enough ago (backoff), or a local input that changed — is fetched strongest seed
first and committed on its own, so a killed run loses at most the answer in flight and re-running
continues where it stopped; fresh answers are never fetched again. Errors are recorded on their
fetch with the reason and retried by a later run; an ``offline`` answer or a ``stop`` (bad API key)
ends that service's sources for this run and leaves the rest due.
"""

from __future__ import annotations

import time
from collections.abc import Generator
from dataclasses import asdict, dataclass, field

from core.catalogue.cache import ensure_fetches, is_due, link_seeds, record_failure, save_answer
from core.catalogue.seeds import listener_seeds
from core.catalogue.sources import CatalogueConfig, build_sources
from core.catalogue.sources.base import Want
from core.features.providers.state import RETRY_PREFIX
from core.jobs import CancelToken, Progress
from core.store.catalog import Catalog, find_account


class CatalogueError(Exception):
    """The refresh cannot start (no such account, unknown source)."""


@dataclass
class SourceRun:
    wanted: int = 0
    due: int = 0
    ok: int = 0
    empty: int = 0
    not_found: int = 0
    errors: int = 0
    left_due: int = 0  # still due when the run ended (offline, stopped, limit)
    items: int = 0
    requests: int = 0
    stopped: str | None = None


@dataclass
class RefreshSummary:
    account: str
    sources: dict[str, SourceRun] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    seeds: dict[str, int] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "account": self.account,
            "seeds": dict(self.seeds),
            "sources": {k: asdict(v) for k, v in self.sources.items()},
            "skipped": dict(self.skipped),
        }


def _label(want: Want) -> str:
    q = want.query
    if "track" in q:
        return f"{q.get('artist', '')} – {q['track']}"
    return str(q.get("artist") or q.get("tag") or q.get("path") or want.key)


def refresh_catalogue(
    store,
    account: str,
    *,
    config: CatalogueConfig | None = None,
    sources: list[str] | None = None,
    as_of: int | None = None,
    limit: int | None = None,
    force: bool = False,
    cancel: CancelToken | None = None,
    now: int | None = None,
) -> Generator[Progress, None, RefreshSummary]:
    """Refresh ``account``'s catalogue (``sources``: only these; ``limit``: at most N answers per source;
    ``force``: refetch fresh answers too; ``as_of``: seeds from plays up to then)."""
    cancel = cancel or CancelToken()
    config = config or CatalogueConfig.from_settings(account=account)
    engine = store.engine
    with engine.connect() as conn:
        account_id = find_account(conn, account)
        if account_id is None:
            raise CatalogueError(f"no account named {account!r}")
        seeds = listener_seeds(conn, account_id, as_of=as_of, policy=config.seeds)
    summary = RefreshSummary(
        account, seeds={"artists": len(seeds.artists), "tracks": len(seeds.tracks), "tags": len(seeds.tags)}
    )
    try:
        built, summary.skipped = build_sources(config, store, sources)
    except ValueError as exc:
        raise CatalogueError(str(exc)) from None
    catalog: Catalog | None = None
    stopped: dict[str, str] = {}  # service → why its sources stop this run
    try:
        for n_src, src in enumerate(built, start=1):
            run = summary.sources.setdefault(src.name, SourceRun())
            t = int(time.time()) if now is None else now
            with engine.begin() as conn:
                wants = sorted(src.wants(conn, seeds, t), key=lambda w: -w.weight)
                states = ensure_fetches(conn, src.name, wants, src.ttl_s, t)
                link_seeds(conn, account_id, src.name, {states[w.key].id: w.weight for w in wants}, t)
            due = [w for w in wants if force or is_due(states[w.key], w, t, src.ttl_s)]
            run.wanted, run.due = len(wants), len(due)
            if limit is not None and len(due) > limit:
                run.left_due, due = len(due) - limit, due[:limit]
            before = src.requests_made
            for i, want in enumerate(due):
                if src.service in stopped:
                    run.stopped = stopped[src.service]
                    run.left_due += len(due) - i
                    break
                cancel.raise_if_cancelled()
                yield Progress(i, len(due), f"[{n_src}/{len(built)}] {src.name}: {_label(want)}")
                outcome = src.fetch(want, cancel)
                t = int(time.time()) if now is None else now
                if outcome.kind == "offline":
                    stopped[src.service] = outcome.reason or "offline"
                    run.stopped = stopped[src.service]
                    run.left_due += len(due) - i
                    break
                fetch_id = states[want.key].id
                with engine.begin() as conn:
                    if outcome.kind in ("ok", "missing"):
                        catalog = catalog or Catalog(conn)
                        catalog.conn = conn
                        try:
                            n = save_answer(
                                conn, catalog, fetch_id, outcome, t, want.detail, items=src.level != "ids"
                            )
                            src.save(conn, want, outcome, t)
                        except BaseException:
                            catalog = None  # its cache may hold rows this rolled-back transaction made
                            raise
                        run.items += n
                        if outcome.kind == "missing":
                            run.not_found += 1
                        elif n or src.level == "ids":
                            run.ok += 1
                        else:
                            run.empty += 1
                    else:
                        reason = (RETRY_PREFIX if outcome.retry else "") + (outcome.reason or "error")
                        record_failure(conn, fetch_id, reason, t)
                        run.errors += 1
                if outcome.stop:
                    stopped[src.service] = outcome.reason
                    run.stopped = outcome.reason
            run.requests = src.requests_made - before
            yield Progress(len(due), len(due), f"[{n_src}/{len(built)}] {src.name}: done")
    finally:
        for src in built:
            src.close()
    return summary
