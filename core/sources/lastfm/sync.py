"""Incremental, resumable Last.fm history sync (docs/architecture.md §5).

One algorithm for the first backfill and every later run: pin ``to = now``, ask for plays with
``from = watermark`` (inclusive; exact repeats are dropped by the unique key), and walk the pages
OLDEST FIRST (the API serves newest first, so from the last page back to page 1). Each page is
committed in its own transaction together with the new watermark, so a crash or kill loses at most
the page in flight and the next run resumes from the watermark. New scrobbles cannot shift pages
(``to`` is pinned); a deletion during the walk can only make a play appear twice, never vanish.

Then, at most every ``recheck_every_s``, the last ``recheck_days`` are fetched again and mirrored:
plays that Last.fm no longer lists (deleted, or edited into another track) are removed from this
source's rows, and the edited versions are added. Rows from other sources are never touched.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Generator
from dataclasses import dataclass

from sqlalchemy import Connection, delete, select

from core.jobs import CancelToken, Progress
from core.net import AuthRequired, Transient
from core.normalize import artist_key, track_key
from core.sources.lastfm.api import LastfmApi, PrivateProfile
from core.sources.lastfm.parse import RecentPage, parse_recent
from core.sources.records import ImportSummary, PlayRecord
from core.store.catalog import get_or_create_account
from core.store.engine import Store
from core.store.ingest import Ingestor
from core.store.schema import Artist, Scrobble, SyncState, Track

log = logging.getLogger(__name__)
SOURCE = "lastfm"
PAGE_LIMIT = 200
RECHECK_DAYS = 14
RECHECK_EVERY_S = 6 * 3600


@dataclass
class SyncReport:
    account: str
    mode: str = "incremental"  # backfill | incremental
    pages: int = 0
    fetched: int = 0
    added: int = 0
    duplicates: int = 0
    deleted: int = 0
    edited: int = 0
    rechecked: bool = False
    watermark: int | None = None
    requests: int = 0

    def to_json(self) -> dict:
        return dict(self.__dict__)


class _Pager:
    """Fetches pages of one user's recent tracks for a pinned window, signing when the profile is private."""

    def __init__(self, api: LastfmApi, username: str, cancel: CancelToken):
        self.api, self.username, self.cancel = api, username, cancel
        self.signed = False

    def page(self, page: int, start: int | None, end: int) -> RecentPage:
        for _ in range(3):
            try:
                body = self.api.call(
                    "user.getRecentTracks",
                    signed=self.signed,
                    cancel=self.cancel,
                    user=self.username,
                    limit=PAGE_LIMIT,
                    page=page,
                    to=end,
                    **({"from": start} if start is not None else {}),
                )
            except PrivateProfile:
                if self.signed or not self.api.session_key:
                    raise
                self.signed = True
                continue
            parsed = parse_recent(body)
            if parsed.user and parsed.user.casefold() != self.username.casefold():
                log.warning("Last.fm served user %r for %r; asking again", parsed.user, self.username)
                continue  # a known Last.fm bug: another user's page
            return parsed
        raise Transient("Last.fm kept answering with the wrong data; try again later")


def _state(conn: Connection, account_id: int) -> SyncState | None:
    row = conn.execute(
        select(SyncState.watermark, SyncState.last_full_check, SyncState.cursor).where(
            SyncState.account_id == account_id, SyncState.source == SOURCE
        )
    ).first()
    return row


def _save_state(conn: Connection, account_id: int, **values) -> None:
    exists = conn.execute(
        select(SyncState.account_id).where(SyncState.account_id == account_id, SyncState.source == SOURCE)
    ).first()
    values["updated_at"] = int(time.time())
    if exists:
        conn.execute(
            SyncState.__table__.update()
            .where(SyncState.account_id == account_id, SyncState.source == SOURCE)
            .values(**values)
        )
    else:
        conn.execute(SyncState.__table__.insert().values(account_id=account_id, source=SOURCE, **values))


def sync_account(
    store: Store,
    account: str,
    username: str,
    api: LastfmApi,
    *,
    now: int | None = None,
    force_recheck: bool = False,
    recheck_days: int = RECHECK_DAYS,
    recheck_every_s: int = RECHECK_EVERY_S,
    cancel: CancelToken | None = None,
) -> Generator[Progress, None, SyncReport]:
    """Bring ``account`` up to date with Last.fm user ``username``; yields Progress per page."""
    cancel = cancel or CancelToken()
    end = int(now if now is not None else time.time())
    report = SyncReport(account)
    with store.engine.begin() as conn:
        account_id = get_or_create_account(conn, account, kind="lastfm", username=username, now=end)
        state = _state(conn, account_id)
    watermark = state.watermark if state else None
    last_check = state.last_full_check if state else None
    report.mode = "backfill" if watermark is None else "incremental"
    pager = _Pager(api, username, cancel)

    yield Progress(0, None, f"Asking Last.fm for plays of {username}…")
    first = pager.page(1, watermark, end)
    total_pages = first.total_pages
    for n, page_no in enumerate(range(total_pages, 0, -1), 1):
        cancel.raise_if_cancelled()
        page = first if page_no == 1 else pager.page(page_no, watermark, end)
        with store.engine.begin() as conn:
            summary = ImportSummary(path=f"lastfm:{username}", format=SOURCE)
            for _ in Ingestor(conn, account_id, SOURCE, now=end).run(page.plays, summary):
                pass
            if page.plays:
                newest = max(p.played_at for p in page.plays)
                watermark = newest if watermark is None else max(watermark, newest)
            _save_state(
                conn,
                account_id,
                watermark=watermark,
                cursor={"mode": report.mode, "to": end, "page": page_no, "of": total_pages},
                **({"last_full_check": end} if report.mode == "backfill" and page_no == 1 else {}),
            )
        report.pages += 1
        report.fetched += len(page.plays)
        report.added += summary.added
        report.duplicates += summary.duplicates
        yield Progress(n, total_pages, f"Synced page {n} of {total_pages}: {report.added:,} new plays")

    recheck_due = report.mode == "incremental" and (
        force_recheck or last_check is None or end - last_check >= recheck_every_s
    )
    if recheck_due:
        yield from _recheck(store, account_id, pager, end - recheck_days * 86400, end, report, cancel)
    report.watermark = watermark
    report.requests = api.requests_made
    return report


def _recheck(
    store: Store,
    account_id: int,
    pager: _Pager,
    start: int,
    end: int,
    report: SyncReport,
    cancel: CancelToken,
) -> Generator[Progress, None, None]:
    """Fetch [start, end) again and mirror deletions and edits into this source's rows."""
    remote: list[PlayRecord] = []
    first = pager.page(1, start, end)
    remote.extend(first.plays)
    for page_no in range(2, first.total_pages + 1):
        cancel.raise_if_cancelled()
        remote.extend(pager.page(page_no, start, end).plays)
        yield Progress(page_no, first.total_pages, "Checking the last two weeks for edits and deletions…")
    keys = {(p.played_at, artist_key(p.artist), track_key(p.track)) for p in remote}
    with store.engine.begin() as conn:
        local = conn.execute(
            select(Scrobble.id, Scrobble.played_at, Artist.name_key, Track.name_key)
            .join(Track, Track.id == Scrobble.track_id)
            .join(Artist, Artist.id == Track.artist_id)
            .where(
                Scrobble.account_id == account_id,
                Scrobble.source == SOURCE,
                Scrobble.played_at >= start,
                Scrobble.played_at < end,
            )
        ).all()
        gone = [(row[0], row[1]) for row in local if (row[1], row[2], row[3]) not in keys]
        if gone:
            ids = [g[0] for g in gone]
            for i in range(0, len(ids), 500):
                conn.execute(delete(Scrobble).where(Scrobble.id.in_(ids[i : i + 500])))
        summary = ImportSummary(path="lastfm:recheck", format=SOURCE)
        for _ in Ingestor(conn, account_id, SOURCE, now=end).run(remote, summary):
            pass
        added_times = {p.played_at for p in remote}
        report.edited = sum(1 for _, ts in gone if ts in added_times)
        report.deleted = len(gone) - report.edited
        report.added += summary.added - report.edited
        _save_state(conn, account_id, last_full_check=end)
    report.rechecked = True


__all__ = ["AuthRequired", "SyncReport", "sync_account"]
