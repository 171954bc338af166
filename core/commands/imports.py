"""``segue import FILE... --account NAME [--format F] [--map col=field] [--json]``."""

from __future__ import annotations

import argparse
import sys
import time

from core.cli import CliError, clear_progress, print_json, progress_printer
from core.commands.common import add_account, add_no_train, train_after


def register(sub: argparse._SubParsersAction) -> None:
    from core.sources import importers

    names = ["auto"] + [m.FORMAT for m in importers.formats()]
    p = sub.add_parser(
        "import",
        help="import history files, folders or zips into an account",
        description="Import listening-history exports. Formats: " + ", ".join(names),
    )
    p.add_argument("files", nargs="+", metavar="FILE")
    add_account(p)
    p.add_argument("--format", default="auto", choices=names, help="file format (default: detect)")
    p.add_argument(
        "--map",
        action="append",
        default=[],
        metavar="COL=FIELD",
        help="column mapping when detection is unsure, e.g. --map 0=timestamp --map 2=artist",
    )
    p.add_argument(
        "--timezone", help="zone of naive date-times in CSV files, e.g. Europe/Berlin (default UTC)"
    )
    p.add_argument("--json", action="store_true", help="print the summary as JSON")
    add_no_train(p)
    p.set_defaults(handler=run)


def _mapping(items: list[str]) -> dict[str, str] | None:
    if not items:
        return None
    out: dict[str, str] = {}
    for item in items:
        col, sep, field = item.partition("=")
        if not sep or not col or not field:
            raise CliError(f"--map expects COL=FIELD, got {item!r}", 2)
        out[col.strip()] = field.strip()
    return out


def run(ctx) -> int:
    from core.jobs import run_job
    from core.sources.importers.base import ImportOptions
    from core.sources.importing import import_files

    args = ctx.args
    try:
        options = ImportOptions(mapping=_mapping(args.map), now=int(time.time()), timezone=args.timezone)
    except ValueError as exc:
        raise CliError(str(exc), 2) from exc
    report = run_job(
        import_files(ctx.store, args.files, args.account, fmt=args.format, options=options),
        progress_printer(not args.json),
    )
    clear_progress(not args.json)
    if args.json:
        print_json(report.to_json())
    else:
        for line in summary_lines(report):
            print(line)
    for failure in report.failures:
        print(f"segue: {failure}", file=sys.stderr)
    train_after(ctx, args.account, report, imported=True, json_out=args.json)
    return 0 if report.ok else 2


def summary_lines(report) -> list[str]:
    """What ``segue import`` prints for a report: one line per file, the rows it skipped and why, the
    members it ignored. Names are printed with control characters escaped (``printable``)."""
    from core.normalize import printable
    from core.sources.importing import iso
    from core.sources.records import MALFORMED

    out = []
    for s in report.files:
        skipped = ", ".join(f"{k} {v:,}" for k, v in sorted(s.skipped.items())) or "none"
        out.append(
            f"{printable(s.path)} [{s.format}]: read {s.read:,}, added {s.added:,}, "
            f"duplicates {s.duplicates:,}, skipped {skipped}; {iso(s.first) or '-'} .. {iso(s.last) or '-'}"
        )
        lines = s.skipped_lines.get("bad_timestamp", [])[:10]
        if lines:
            more = " ..." if s.skipped["bad_timestamp"] > len(lines) else ""
            out.append(f"  impossible timestamps skipped at line(s) {', '.join(map(str, lines))}{more}")
        examples = s.examples.get(MALFORMED, [])
        if examples:
            n = s.skipped[MALFORMED]
            more = f" (and {n - len(examples):,} more)" if n > len(examples) else ""
            out.append(f"  unreadable rows skipped: {'; '.join(printable(e) for e in examples)}{more}")
    for name, reason in report.ignored:
        out.append(f"ignored {printable(name)}: {reason}")
    return out
