"""The import job: files (or folders/zips of them) into one account, one transaction per file.

A file that cannot be read leaves the store exactly as it was (its transaction rolls back) and is
reported with the file, line and field; the other files still import — also when one of them trips
something nobody foresaw (its failure says so, the traceback goes to the log file). Rows that cannot be
parsed are skipped and named, unless they are a large share of the file (``too_many_malformed``): then
the file is refused as probably not in the format it was read as. A full disk stops the run with one
sentence. A folder or zip in which nothing is a listening history is a failure, not a silent success.
Re-importing adds nothing.
"""

from __future__ import annotations

import errno
import logging
import time
from collections.abc import Generator, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.exc import SQLAlchemyError

from core.jobs import Cancelled, CancelToken, Progress
from core.sources import importers
from core.sources.importers.base import ImportOptions
from core.sources.records import MALFORMED, ImportFailure, ImportSummary
from core.store.catalog import AccountNameError, Catalog, check_account_name, get_or_create_account
from core.store.engine import Store, bulk_transaction
from core.store.ingest import Ingestor
from core.store.schema import ImportRun

log = logging.getLogger(__name__)
MALFORMED_SHARE = 0.10
MALFORMED_MIN = 3
EARLY_ROWS = 1_000
"""After this many rows, a file of which more than half cannot be read is refused without reading on."""


def iso(ts: int | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def too_many_malformed(bad: int, rows: int) -> bool:
    """More than 10% of the rows (and at least 3), or every row, could not be read."""
    return (bad >= MALFORMED_MIN and bad > MALFORMED_SHARE * rows) or (bad > 0 and bad >= rows)


@dataclass
class ImportReport:
    files: list[ImportSummary] = field(default_factory=list)
    failures: list[ImportFailure] = field(default_factory=list)
    ignored: list[tuple[str, str]] = field(default_factory=list)  # (member, reason) inside folders/zips

    @property
    def ok(self) -> bool:
        return not self.failures

    def to_json(self) -> dict:
        return {
            "files": [
                {
                    "path": s.path,
                    "format": s.format,
                    "read": s.read,
                    "added": s.added,
                    "duplicates": s.duplicates,
                    "skipped": dict(s.skipped),
                    "problems": list(s.examples.get(MALFORMED, [])),
                    "first": iso(s.first),
                    "last": iso(s.last),
                }
                for s in self.files
            ],
            "errors": [
                {"path": f.path, "line": f.line, "field": f.field, "message": str(f)} for f in self.failures
            ],
            "ignored": [{"path": name, "reason": reason} for name, reason in self.ignored],
        }


def import_files(
    store: Store,
    paths: Sequence[str | Path],
    account: str,
    *,
    fmt: str = "auto",
    options: ImportOptions | None = None,
    cancel: CancelToken | None = None,
    account_kind: str = "local",
) -> Generator[Progress, None, ImportReport]:
    """Import ``paths`` into ``account``; yields Progress per batch, returns the report."""
    try:
        check_account_name(account)
    except AccountNameError as exc:
        raise ImportFailure(exc.shown, str(exc)) from None
    options = options or ImportOptions(now=int(time.time()))
    cancel = cancel or CancelToken()
    report = ImportReport()
    with ExitStack() as stack:
        sources = []
        detected: dict = {}
        for p in paths:
            try:
                scan = stack.enter_context(importers.scan(Path(p), fmt))
            except ImportFailure as exc:
                report.failures.append(exc)
                continue
            sources.extend(scan.sources)
            report.ignored.extend((i.name, i.reason) for i in scan.ignored)
            report.failures.extend(scan.failures)
            detected.update(scan.detected)
            if not scan.sources and not scan.failures:
                report.failures.append(_nothing_found(str(p), len(scan.ignored)))
        known = Known(detected)
        for n, src in enumerate(sources, 1):
            cancel.raise_if_cancelled()
            yield Progress(n - 1, len(sources), f"Reading {src.name}")
            try:
                summary = yield from _import_one(
                    store, src, account, fmt, options, cancel, account_kind, known
                )
            except ImportFailure as exc:
                report.failures.append(exc)
                continue
            except Cancelled:
                raise
            except Exception as exc:  # noqa: BLE001 - one file's surprise must not cost the others
                failure = _unexpected(src.name, exc)
                report.failures.append(failure)
                if _disk_full(exc):
                    if n < len(sources):
                        rest = len(sources) - n - 1
                        more = f", nor the {rest:,} file(s) after it" if rest else ""
                        report.failures.append(
                            ImportFailure(sources[n].name, f"not imported{more}: the disk is full")
                        )
                    break
                continue
            report.files.append(summary)
            yield Progress(n, len(sources), f"{src.name}: {summary.added} added")
    return report


def _nothing_found(path: str, ignored: int) -> ImportFailure:
    if not ignored:
        return ImportFailure(path, "nothing to import here")
    return ImportFailure(
        path,
        f"no listening history found among its {ignored:,} files (each is listed as ignored above); "
        "if they are in a known format, pass --format",
    )


def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    orig = getattr(exc, "orig", None)
    text = str(orig if orig is not None else exc).lower()
    return (
        "disk is full" in text
        or "no space left" in text
        or getattr(orig, "sqlstate", None) == "53100"
        or getattr(orig, "sqlite_errorname", "") == "SQLITE_FULL"
    )


def _unexpected(name: str, exc: Exception) -> ImportFailure:
    """A sentence for what the importers did not foresee; the traceback goes to the log file."""
    log.warning("import of %s failed", name, exc_info=exc)
    if _disk_full(exc):
        return ImportFailure(
            name, "not imported: the disk holding the database is full; free some space and import again"
        )
    if isinstance(exc, SQLAlchemyError):
        orig = getattr(exc, "orig", None) or exc
        reason = str(orig).strip().splitlines()[0] if str(orig).strip() else type(orig).__name__
        return ImportFailure(name, f"not imported: the database refused the write ({reason})")
    if isinstance(exc, MemoryError):
        return ImportFailure(name, "not imported: ran out of memory reading it")
    return ImportFailure(
        name, f"not imported: unexpected error ({type(exc).__name__}: {exc}); details in the log"
    )


@dataclass
class Known:
    """What one run has learnt and later files may reuse: the formats its scans sniffed, and the
    catalogue as of the last file that committed."""

    detected: dict = field(default_factory=dict)
    catalog: Catalog | None = None


def _import_one(
    store: Store,
    src,
    account: str,
    fmt: str,
    options: ImportOptions,
    cancel: CancelToken,
    account_kind: str,
    known: Known,
) -> Generator[Progress, None, ImportSummary]:
    try:
        fmt_name, records = importers.iter_records(src, fmt, options, known.detected.get(src.name))
    except (OSError, UnicodeError) as exc:
        raise ImportFailure(src.name, f"cannot read file: {exc}") from exc
    summary = ImportSummary(path=src.name, format=fmt_name)
    with bulk_transaction(store.engine) as conn:  # one transaction per file: all or nothing
        account_id = get_or_create_account(conn, account, kind=account_kind, now=options.now)
        ingestor = Ingestor(conn, account_id, source=fmt_name, now=options.now, catalog=known.catalog)
        try:
            for read in ingestor.run(records, summary):
                cancel.raise_if_cancelled()
                bad = summary.skipped.get(MALFORMED, 0)
                if read >= EARLY_ROWS and 2 * bad > read:
                    raise _refused(src, summary)
                yield Progress(read, None, f"{src.name}: {read:,} rows read")
        except (OSError, ValueError) as exc:  # decoding/IO trouble the parser did not name a line for
            if _disk_full(exc):
                raise
            raise ImportFailure(src.name, f"cannot read file: {exc}") from exc
        if too_many_malformed(summary.skipped.get(MALFORMED, 0), summary.read):
            raise _refused(src, summary)
        conn.execute(
            ImportRun.__table__.insert(),
            [
                {
                    "account_id": account_id,
                    "path": src.name,
                    "format": fmt_name,
                    "finished_at": int(time.time()),
                    "summary": {
                        "read": summary.read,
                        "added": summary.added,
                        "duplicates": summary.duplicates,
                        "skipped": summary.skipped,
                        "first": summary.first,
                        "last": summary.last,
                    },
                }
            ],
        )
    known.catalog = ingestor.catalog  # committed: the next file starts from it
    return summary


def _refused(src, summary: ImportSummary) -> ImportFailure:
    bad = summary.skipped.get(MALFORMED, 0)
    first = summary.examples.get(MALFORMED, [""])[0]
    return ImportFailure(
        src.name,
        f"{bad:,} of {summary.read:,} rows could not be read as {summary.format} (first: {first}): "
        "probably not in this format; nothing imported (pass --format or --map if it is another layout)",
    )
