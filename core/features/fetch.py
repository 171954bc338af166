"""The feature backlog job: fetch what is pending or stale for an account, provider by provider.

``fetch_features(store, account, modalities, force, limit, cancel)`` is a job generator (yields
``Progress``, returns a :class:`FetchSummary`).  For each provider it lists the account's distinct
tracks (artists for bios, albums for art), keeps those due per ``FetchPolicy`` (never fetched,
pending, stale, retryable error; everything with ``force``), and fetches them most played first.
Every item is saved and its ``feature_status`` written in its own transaction, so a killed run loses
at most the items in flight and a rerun skips everything already stored.

Providers of different services (Last.fm, LRCLIB, MusicBrainz + Cover Art Archive, local audio) run
in parallel threads, each service in sequence at its own rate limit (``concurrent=False`` runs
everything in the caller's thread).  When a provider reports "offline", the item is marked pending,
and that provider waits with backoff (``offline_backoff_s``) and retries the same item for up to
``offline_patience_s`` seconds before giving up for this run; nothing is marked missing for it.
A provider that cannot work at all (bad API key, token rejected) stops and says why in the summary.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable, Generator, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select

from core.features.providers import MODALITIES, ProviderConfig, build_providers
from core.features.providers.base import MODALITY_KIND, Item, Outcome, Provider, needs
from core.features.providers.items import items_for
from core.features.providers.rows import backfill_durations
from core.features.providers.state import FetchPolicy, load_statuses, mark_pending, set_status
from core.jobs import Cancelled, CancelToken, Progress
from core.store.schema import Account

log = logging.getLogger(__name__)
MAX_INTERNAL_ERRORS = 5  # consecutive unexpected exceptions before a provider is stopped for the run

__all__ = ["FetchSummary", "ModalityRun", "backlog", "fetch_features", "resolve_account"]


@dataclass
class ModalityRun:
    """What one provider did in a run."""

    provider: str
    due: int = 0
    fresh: int = 0
    done: int = 0
    ok: int = 0
    missing: int = 0
    error: int = 0
    left_pending: int = 0
    requests: int = 0
    stopped: str | None = None
    seconds: float = 0.0


@dataclass
class FetchSummary:
    modalities: dict[str, ModalityRun] = field(default_factory=dict)
    skipped: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    cancelled: bool = False

    def as_dict(self) -> dict:
        return {
            "modalities": {m: vars(r).copy() for m, r in self.modalities.items()},
            "skipped": dict(self.skipped),
            "notes": list(self.notes),
            "seconds": round(self.seconds, 2),
            "cancelled": self.cancelled,
        }


class _Linked(CancelToken):
    """A token that is also cancelled when its parent is (so the job can stop its own workers)."""

    def __init__(self, parent: CancelToken | None):
        super().__init__()
        self.parent = parent

    @property
    def cancelled(self) -> bool:
        return self._event.is_set() or (self.parent is not None and self.parent.cancelled)

    def raise_if_cancelled(self) -> None:
        if self.cancelled:
            raise Cancelled()

    def wait(self, seconds: float) -> bool:
        deadline = time.monotonic() + max(0.0, seconds)
        while not self.cancelled:
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self._event.wait(min(0.1, left))
        return True


def resolve_account(conn, account: str | int | None) -> int | None:
    """Account name or id → id (None: every track in the store). Unknown names raise ValueError."""
    if account is None or isinstance(account, int):
        return account
    found = conn.execute(select(Account.id).where(Account.name == account)).scalar()
    if found is None:
        raise ValueError(f"no account named {account!r}")
    return int(found)


def _due_items(
    store,
    provider: Provider,
    account_id: int | None,
    policy: FetchPolicy,
    force: bool,
    limit: int | None,
    now: int,
    cache: dict[str, list[Item]] | None = None,
) -> tuple[list[Item], int]:
    with store.engine.connect() as conn:
        if cache is None or provider.item_kind not in cache:
            found = items_for(conn, provider.item_kind, account_id)
            if cache is None:
                cache = {}
            cache[provider.item_kind] = found
        items = cache[provider.item_kind]
        statuses = load_statuses(conn, provider.item_kind, provider.modality)
    m = provider.modality
    due = [it for it in items if needs(m, it) and policy.due(m, statuses.get(it.id), now, force)]
    fresh = len(items) - len(due)
    return (due[:limit] if limit is not None else due), fresh


def _store(store, provider: Provider, item: Item, out: Outcome, now: int) -> None:
    with store.engine.begin() as conn:
        provider.save(conn, item, out, now)
        source = out.source or provider.name
        if out.kind == "ok":
            set_status(
                conn,
                item.kind,
                item.id,
                provider.modality,
                "ok",
                now=now,
                provider=source,
                reason=out.reason or None,
            )
        elif out.kind == "missing":
            set_status(
                conn,
                item.kind,
                item.id,
                provider.modality,
                "missing",
                now=now,
                provider=source,
                reason=out.reason or None,
            )
        else:
            set_status(
                conn,
                item.kind,
                item.id,
                provider.modality,
                "error",
                now=now,
                provider=source,
                reason=out.reason or "failed",
                retry=out.retry,
            )


INTERNAL = "internal error: "


def _safe_fetch(provider: Provider, item: Item, token: CancelToken) -> Outcome:
    """``provider.fetch``, with an unexpected exception (a bug, not the service) turned into a retryable
    error for this item, so one odd item cannot block the backlog forever.  Cancellation passes."""
    try:
        return provider.fetch(item, token)
    except Cancelled:
        raise
    except Exception as exc:  # noqa: BLE001 - logged with its traceback, reported per item
        log.exception("%s failed on %s", provider.name, item.label())
        return Outcome.error(f"{INTERNAL}{type(exc).__name__}: {exc}"[:300], retry=True)


def _run_provider(
    store,
    provider: Provider,
    load_due: Callable[[], list[Item]],
    run: ModalityRun,
    token: _Linked,
    clock: Callable[[], int],
    patience_s: float,
    backoff_s: Sequence[float],
    force: bool = False,
) -> Iterator[tuple[int, str]]:
    """Fetch the due items one by one; yields (items finished, message) after each step.

    The due list is read when the provider starts, so a provider that depends on another (art on
    the release MBIDs the IDs provider finds) sees that provider's results."""
    started = time.monotonic()
    before = int(getattr(provider, "requests_made", 0))
    try:
        items = load_due()
        if len(items) != run.due:
            yield 0, f"{provider.modality}: {len(items)} items due (was {run.due})"
            run.due = len(items)
        with store.engine.begin() as conn:
            provider.prepare(conn, clock(), force)
        internal = 0
        for item in items:
            if token.cancelled:
                break
            out = _safe_fetch(provider, item, token)
            internal = internal + 1 if out.reason.startswith(INTERNAL) else 0
            waited, tries = 0.0, 0
            while out.kind == "offline" and not token.cancelled:
                with store.engine.begin() as conn:
                    mark_pending(
                        conn, item.kind, item.id, provider.modality, out.reason or "offline", clock()
                    )
                pause = backoff_s[min(tries, len(backoff_s) - 1)] if backoff_s else 0.0
                if waited + pause > patience_s:
                    break
                yield 0, f"{provider.modality}: offline, retrying in {pause:g} s ({out.reason})"
                if token.wait(pause):
                    break
                waited += pause
                tries += 1
                out = _safe_fetch(provider, item, token)
            if out.kind == "offline":
                run.left_pending += 1
                run.stopped = f"offline: {out.reason} (the rest stays pending; the next run resumes)"
                break
            if out.kind == "error" and out.stop and not out.retry:
                run.stopped = out.reason  # a configuration problem, not this item's: leave it pending
                break
            _store(store, provider, item, out, clock())
            run.done += 1
            setattr(run, out.kind, getattr(run, out.kind) + 1)
            yield 1, f"{provider.modality}: {item.label()} → {out.kind}"
            if out.stop:
                run.stopped = out.reason
                break
            if internal >= MAX_INTERNAL_ERRORS:
                run.stopped = f"{internal} internal errors in a row, last: {out.reason}"
                break
    except Cancelled:
        pass
    finally:
        run.requests = int(getattr(provider, "requests_made", 0)) - before
        run.seconds = round(time.monotonic() - started, 2)


def fetch_features(
    store,
    account: str | int | None = None,
    modalities: Sequence[str] | None = None,
    force: bool = False,
    limit: int | None = None,
    cancel: CancelToken | None = None,
    *,
    config: ProviderConfig | None = None,
    policy: FetchPolicy | None = None,
    providers: list[Provider] | None = None,
    settings=None,
    concurrent: bool = True,
    now: int | None = None,
    offline_patience_s: float = 300.0,
    offline_backoff_s: Sequence[float] = (5.0, 15.0, 60.0, 120.0),
) -> Generator[Progress, None, FetchSummary]:
    """Fetch pending/stale features for ``account`` (name, id, or None for the whole store).

    ``modalities``: subset of ``MODALITIES`` (default all); ``force``: refetch even fresh items;
    ``limit``: at most this many items per modality.  ``providers`` overrides the ones built from
    ``config`` (default: ``ProviderConfig.from_settings``); ``now`` pins the clock (tests).
    Raises ``Cancelled`` after a cancelled run has stored what it fetched.
    """
    t0 = time.monotonic()
    clock = (lambda: int(now)) if now is not None else (lambda: int(time.time()))
    wanted = list(modalities or MODALITIES)
    summary = FetchSummary()
    with store.engine.begin() as conn:
        account_id = resolve_account(conn, account)
        backfill_durations(conn)  # lengths the audio features already know: sessions stop estimating them
    if policy is None:
        if settings is None:
            from core.settings import Settings

            settings = Settings.load()
        policy = FetchPolicy.from_settings(settings)
    built = providers is None
    if providers is None:
        if config is None:
            config = ProviderConfig.from_settings(settings, account if isinstance(account, str) else None)
        providers, summary.skipped = build_providers(config, wanted, policy)
    else:
        providers = [p for p in providers if p.modality in wanted]
    token = _Linked(cancel)
    try:
        cache: dict[str, list[Item]] = {}
        plan: list[tuple[Provider, list[Item], ModalityRun]] = []
        for p in providers:
            items, fresh = _due_items(store, p, account_id, policy, force, limit, clock(), cache)
            run = ModalityRun(p.name, due=len(items), fresh=fresh)
            summary.modalities[p.modality] = run
            plan.append((p, items, run))
        for m, why in summary.skipped.items():
            summary.notes.append(f"{m}: skipped — {why}")
        total = sum(len(items) for _, items, _ in plan)
        yield Progress(
            0,
            total,
            f"feature backlog: {total} items to fetch"
            + (f" ({', '.join(f'{p.modality} {len(i)}' for p, i, _ in plan)})" if plan else ""),
        )
        groups: dict[str, list[tuple[Provider, list[Item], ModalityRun]]] = {}
        group_of: dict[str, str] = {}
        for entry in plan:
            p = entry[0]
            after = [group_of[m] for m in getattr(p, "depends_on", ()) if m in group_of]
            key = after[0] if after else p.service  # run after what it depends on, in that thread
            group_of[p.modality] = key
            groups.setdefault(key, []).append(entry)

        def loader(p: Provider) -> Callable[[], list[Item]]:
            return lambda: _due_items(store, p, account_id, policy, force, limit, clock())[0]

        runs = [
            [
                _run_provider(
                    store, p, loader(p), run, token, clock, offline_patience_s, offline_backoff_s, force
                )
                for p, _items, run in group
            ]
            for group in groups.values()
        ]
        done = 0
        if concurrent and len(runs) > 1:
            source = _parallel(runs, token, cancel)
        else:
            source = (msg for group in runs for gen in group for msg in gen)
        for step, msg in source:
            done += step
            total = max(total, done, sum(r.due for r in summary.modalities.values()))
            if cancel is not None and cancel.cancelled:
                token.cancel()
            yield Progress(done, total, msg)
        for m, run in summary.modalities.items():
            if run.stopped:
                summary.notes.append(f"{m}: stopped — {run.stopped}")
        summary.cancelled = cancel is not None and cancel.cancelled
    finally:
        token.cancel()
        if built:
            for p in providers:
                try:
                    p.close()
                except Exception:  # noqa: BLE001 - closing must not mask the real outcome
                    pass
        summary.seconds = time.monotonic() - t0
    if cancel is not None and cancel.cancelled:
        raise Cancelled()
    yield Progress(total, total, _final_message(summary))
    return summary


def _parallel(
    runs: list[list[Iterator[tuple[int, str]]]], token: _Linked, cancel: CancelToken | None
) -> Iterator[tuple[int, str]]:
    """Drive each service's provider runs in its own thread; yield their messages as they come."""
    events: queue.Queue = queue.Queue()
    failures: list[BaseException] = []

    def drive(group: list[Iterator[tuple[int, str]]]) -> None:
        try:
            for gen in group:
                for msg in gen:
                    events.put(msg)
        except BaseException as exc:  # noqa: BLE001 - re-raised in the job's thread
            failures.append(exc)
            token.cancel()
        finally:
            events.put(None)

    threads = [threading.Thread(target=drive, args=(g,), daemon=True, name="feature-backlog") for g in runs]
    for t in threads:
        t.start()
    alive = len(threads)
    try:
        while alive:
            try:
                msg = events.get(timeout=0.1)
            except queue.Empty:
                if cancel is not None and cancel.cancelled:
                    token.cancel()
                continue
            if msg is None:
                alive -= 1
                continue
            yield msg
    finally:
        token.cancel()  # no-op after a normal end; stops the workers when the job is closed early
        for t in threads:
            t.join(timeout=30)
    if failures:
        raise failures[0]


def _final_message(summary: FetchSummary) -> str:
    parts = [
        f"{m}: {r.ok} ok, {r.missing} missing, {r.error} errors"
        + (f", stopped ({r.stopped})" if r.stopped else "")
        for m, r in summary.modalities.items()
    ]
    return "features fetched — " + ("; ".join(parts) if parts else "nothing to do")


def backlog(
    store,
    account: str | int | None = None,
    modalities: Sequence[str] | None = None,
    force: bool = False,
    policy: FetchPolicy | None = None,
    now: int | None = None,
) -> dict[str, int]:
    """How many items each modality would fetch now (no network; for the scheduler and the GUI)."""
    policy = policy or FetchPolicy()
    t = int(now if now is not None else time.time())
    out: dict[str, int] = {}
    with store.engine.connect() as conn:
        account_id = resolve_account(conn, account)
        cache: dict[str, list[Item]] = {}
        for m in modalities or MODALITIES:
            kind = MODALITY_KIND[m]
            if kind not in cache:
                cache[kind] = items_for(conn, kind, account_id)
            statuses = load_statuses(conn, kind, m)
            out[m] = sum(
                1 for it in cache[kind] if needs(m, it) and policy.due(m, statuses.get(it.id), t, force)
            )
    return out
