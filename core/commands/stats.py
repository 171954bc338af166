"""``segue stats --account NAME [--from D] [--to D | --last DAYS] [--by artist|track|album] [--metric plays|time] [--json]``."""

from __future__ import annotations

import argparse

from core.cli import CliError, print_json
from core.commands.common import add_account, day
from core.normalize import printable


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help="charts and reports: tops, calendar, streaks")
    add_account(p)
    p.add_argument("--from", dest="start", type=day, help="YYYY-MM-DD (UTC)")
    p.add_argument("--to", dest="end", type=day, help="YYYY-MM-DD (UTC, exclusive)")
    p.add_argument(
        "--last",
        type=int,
        metavar="DAYS",
        help="the last DAYS calendar days up to the newest play (the GUI's 'Last 30 days' is --last 30)",
    )
    p.add_argument("--by", choices=["artist", "track", "album"], default="artist")
    p.add_argument("--metric", choices=["plays", "time"], default="plays")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def resolve_range(ctx, account_id: int, args) -> tuple[int | None, int | None]:
    """``--from``/``--to``, or ``--last DAYS`` through ``core.stats.last_days`` (the GUI's definition)."""
    if args.last is None:
        return args.start, args.end
    if args.start is not None or args.end is not None:
        raise CliError("use either --last or --from/--to, not both", 2)
    if args.last < 1:
        raise CliError("--last needs a number of days, 1 or more", 2)
    from core.stats import last_days
    from core.store.queries import list_accounts

    acc = next(a for a in list_accounts(ctx.store.engine) if a.id == account_id)
    if acc.last is None:
        return None, None
    return last_days(acc.last, args.last)


def rank_change(row: dict) -> str:
    """'▲3', '▼2', '=' or 'new' against the period before; '' without one."""
    if "previous_rank" not in row:
        return ""
    before = row["previous_rank"]
    if before is None:
        return "new"
    delta = before - row["rank"]
    return "=" if delta == 0 else (f"▲{delta}" if delta > 0 else f"▼{-delta}")


def run(ctx) -> int:
    from core.reports import stats_report

    args = ctx.args
    account_id = ctx.account_id(args.account)
    start, end = resolve_range(ctx, account_id, args)
    report = stats_report(ctx.store.engine, account_id, start=start, end=end, limit=args.limit)
    if args.json:
        print_json(report)
        return 0
    span = report["range"]
    if span["start"] or span["end"]:
        print(f"Range: {span['start'] or '…'} .. {span['end'] or '…'} (end exclusive)")
    print(
        f"{report['plays']:,} plays, {report['sessions']:,} sessions, {report['hours']:,.0f} h "
        f"({report['first']} .. {report['last']})"
    )
    key = f"top_{args.by}s_by_{args.metric}"
    print(f"\nTop {args.by}s by {args.metric}:")
    for row in report[key]:
        name = f"{row['title']} — {row['artist']}" if args.by == "album" else row["name"]
        change = rank_change(row)
        print(
            f"{row['rank']:3d}. {printable(name)}  ({row['plays']:,} play{'s' * (row['plays'] != 1)}, "
            f"{row['hours']:.1f} h, {row['share']:.1%})" + (f"  {change}" if change else "")
        )
    s = report["streaks"]
    if s["longest"]:
        print(
            f"\nLongest streak: {s['longest']['days']} days ({s['longest']['start']} .. {s['longest']['end']})"
        )
    return 0
