"""``segue stats --account NAME [--from D] [--to D] [--by artist|track|album] [--metric plays|time] [--json]``."""

from __future__ import annotations

import argparse

from core.cli import print_json
from core.commands.common import add_account, day


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("stats", help="charts and reports: tops, calendar, streaks")
    add_account(p)
    p.add_argument("--from", dest="start", type=day, help="YYYY-MM-DD (UTC)")
    p.add_argument("--to", dest="end", type=day, help="YYYY-MM-DD (UTC, exclusive)")
    p.add_argument("--by", choices=["artist", "track", "album"], default="artist")
    p.add_argument("--metric", choices=["plays", "time"], default="plays")
    p.add_argument("--limit", type=int, default=10)
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def run(ctx) -> int:
    from core.reports import stats_report

    args = ctx.args
    report = stats_report(
        ctx.store.engine, ctx.account_id(args.account), start=args.start, end=args.end, limit=args.limit
    )
    if args.json:
        print_json(report)
        return 0
    print(
        f"{report['plays']:,} plays, {report['sessions']:,} sessions, {report['hours']:,.0f} h "
        f"({report['first']} .. {report['last']})"
    )
    key = f"top_{args.by}s_by_{args.metric}"
    print(f"\nTop {args.by}s by {args.metric}:")
    for i, row in enumerate(report[key], 1):
        print(f"{i:3d}. {row['name']}  ({row['plays']:,} plays, {row['hours']:.1f} h)")
    s = report["streaks"]
    if s["longest"]:
        print(
            f"\nLongest streak: {s['longest']['days']} days ({s['longest']['start']} .. {s['longest']['end']})"
        )
    return 0
