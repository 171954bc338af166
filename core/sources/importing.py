"""The import job: files (or folders/zips of them) into one account, one transaction per file.

A file that cannot be read leaves the store exactly as it was (its transaction rolls back) and is
reported with the file, line and field; the other files still import. Re-importing adds nothing.
"""

from __future__ import annotations

import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from core.jobs import CancelToken, Progress
from core.sources import importers
from core.sources.importers.base import ImportOptions
from core.sources.records import ImportFailure, ImportSummary
from core.store.catalog import get_or_create_account
from core.store.engine import Store, bulk_transaction
from core.store.ingest import Ingestor
from core.store.schema import ImportRun


def iso(ts: int | None) -> str | None:
    return None if ts is None else datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


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
    options = options or ImportOptions(now=int(time.time()))
    cancel = cancel or CancelToken()
    report = ImportReport()
    sources = []
    for p in paths:
        try:
            scan = importers.scan(Path(p))
        except ImportFailure as exc:
            report.failures.append(exc)
            continue
        sources.extend(scan.sources)
        report.ignored.extend((i.name, i.reason) for i in scan.ignored)
        if not scan.sources and not scan.ignored:
            report.failures.append(ImportFailure(str(p), "nothing to import here"))
    for n, src in enumerate(sources, 1):
        cancel.raise_if_cancelled()
        yield Progress(n - 1, len(sources), f"Reading {src.name}")
        try:
            summary = yield from _import_one(store, src, account, fmt, options, cancel, account_kind)
        except ImportFailure as exc:
            report.failures.append(exc)
            continue
        report.files.append(summary)
        yield Progress(n, len(sources), f"{src.name}: {summary.added} added")
    return report


def _import_one(
    store: Store, src, account: str, fmt: str, options: ImportOptions, cancel: CancelToken, account_kind: str
) -> Generator[Progress, None, ImportSummary]:
    try:
        fmt_name, records = importers.iter_records(src, fmt, options)
    except (OSError, UnicodeError) as exc:
        raise ImportFailure(src.name, f"cannot read file: {exc}") from exc
    summary = ImportSummary(path=src.name, format=fmt_name)
    with bulk_transaction(store.engine) as conn:  # one transaction per file: all or nothing
        account_id = get_or_create_account(conn, account, kind=account_kind, now=options.now)
        ingestor = Ingestor(conn, account_id, source=fmt_name, now=options.now)
        try:
            for read in ingestor.run(records, summary):
                cancel.raise_if_cancelled()
                yield Progress(read, None, f"{src.name}: {read:,} rows read")
        except (OSError, ValueError) as exc:  # decoding/IO trouble the parser did not name a line for
            raise ImportFailure(src.name, f"cannot read file: {exc}") from exc
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
    return summary
