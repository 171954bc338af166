"""``segue catalogue status|refresh --account NAME [--json]``: the discovery catalogue (docs/architecture.md §5b)."""

from __future__ import annotations

import argparse

from core.cli import CliError, clear_progress, print_json, progress_printer
from core.commands.common import add_account, run_train


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("catalogue", help="the discovery catalogue: candidates beyond your history")
    csub = p.add_subparsers(dest="catalogue_command", metavar="ACTION", required=True)

    st = csub.add_parser("status", help="per source: candidates, artists covered, age, errors")
    add_account(st)
    st.add_argument("--json", action="store_true")
    st.set_defaults(handler=run_status)

    rf = csub.add_parser(
        "refresh",
        help="fetch what is due (resumable: fresh answers are kept, failed ones retried later)",
        description="Follows the account's recent and heavy-rotation artists, tracks and tags through "
        "every enabled source; Ctrl-C keeps what was fetched. A refresh that stored candidates trains "
        "the discovery ranker next (unless --no-train or automatic training is off in the settings).",
    )
    add_account(rf)
    rf.add_argument("--source", action="append", help="only this source (repeatable; see `status`)")
    rf.add_argument("--limit", type=int, help="at most N answers per source this run")
    rf.add_argument("--force", action="store_true", help="fetch fresh answers again too")
    rf.add_argument("--json", action="store_true")
    rf.add_argument("--no-train", action="store_true", help="do not train the discovery ranker afterwards")
    rf.set_defaults(handler=run_refresh)


def run_status(ctx) -> int:
    from core.catalogue.status import catalogue_status

    args = ctx.args
    report = catalogue_status(ctx.store.engine, ctx.account_id(args.account))
    if args.json:
        print_json({"account": args.account, **report})
        return 0
    print(
        f"{args.account}: {report['candidates']:,} candidate tracks by {report['artists']:,} artists "
        f"({report['new_artists']:,} new to you)"
    )
    if not report["sources"]:
        print("nothing fetched yet: run `segue catalogue refresh --account " + args.account + "`")
        return 0
    print(
        f"{'source':30s} {'candidates':>10s} {'artists':>8s} {'new':>6s} {'seeds':>6s} {'age (days)':>12s}  errors"
    )
    for name, s in report["sources"].items():
        age = "-" if s["oldest_days"] is None else f"{s['newest_days']:g}–{s['oldest_days']:g}"
        pending = s["status"].get("pending", 0)
        line = (
            f"{name:30s} {s['candidates']:10,} {s['artists']:8,} {s['new_artists']:6,} {s['seeds']:6,} "
            f"{age:>12s}  {s['errors']}" + (f" ({pending} pending)" if pending else "")
        )
        print(line)
        for e in s["last_errors"][:2]:
            print(f"    {e['key'][:40]}: {(e['error'] or '')[:100]}")
    return 0


def run_refresh(ctx) -> int:
    from core.catalogue.refresh import CatalogueError, refresh_catalogue
    from core.jobs import run_job
    from core.jobs.builtin import DISCOVERY_MODEL, should_train_discovery

    args = ctx.args
    ctx.account_id(args.account)
    try:
        summary = run_job(
            refresh_catalogue(
                ctx.store, args.account, sources=args.source, limit=args.limit, force=args.force
            ),
            progress_printer(not args.json),
        )
    except CatalogueError as exc:
        raise CliError(str(exc), 2) from exc
    clear_progress(not args.json)
    _report(args, summary)
    if not args.no_train and should_train_discovery(summary):  # training follows the data
        run_train(ctx, args.account, DISCOVERY_MODEL, "the discovery ranker")
    return 0


def _report(args, summary) -> None:
    if args.json:
        print_json(summary.to_json())
        return
    seeds = summary.seeds
    print(f"{args.account}: seeds {seeds['artists']} artists, {seeds['tracks']} tracks, {seeds['tags']} tags")
    for name, r in summary.sources.items():
        print(
            f"{name:30s} due {r.due:4d}: {r.ok} ok, {r.empty} empty, {r.not_found} not found, {r.errors} errors"
            f", {r.items:,} items"
            + (f", {r.left_due} left due" if r.left_due else "")
            + (f" — stopped: {r.stopped}" if r.stopped else "")
        )
    for name, why in summary.skipped.items():
        print(f"{name:30s} skipped: {why}")
