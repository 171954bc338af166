"""``segue sessions --account NAME [--gap 2h] [--min-plays N] [--json]``."""

from __future__ import annotations

import argparse

from core.cli import print_json
from core.commands.common import add_account, day, duration
from core.normalize import printable


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sessions", help="list listening sessions")
    add_account(p)
    p.add_argument(
        "--gap", type=duration, default=None, help="gap that ends a session (default: setting, 2h)"
    )
    p.add_argument("--min-plays", type=int, default=1, help="only sessions with at least N plays")
    p.add_argument("--from", dest="start", type=day, help="YYYY-MM-DD (UTC)")
    p.add_argument("--to", dest="end", type=day, help="YYYY-MM-DD (UTC, exclusive)")
    p.add_argument("--limit", type=int, default=0, help="show only the latest N sessions")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def run(ctx) -> int:
    from core.reports import session_rows
    from core.settings import Settings

    args = ctx.args
    gap = args.gap if args.gap is not None else Settings.load().session_gap_minutes * 60
    rows = session_rows(
        ctx.store.engine,
        ctx.account_id(args.account),
        gap_s=gap,
        start=args.start,
        end=args.end,
        min_plays=args.min_plays,
    )
    if args.limit:
        rows = rows[-args.limit :]
    if args.json:
        print_json({"gap_seconds": gap, "sessions": rows})
        return 0
    for r in rows:
        artists = ", ".join(printable(a["name"]) for a in r["top_artists"][:3])
        approx = "~" if r["end_estimated"] else " "
        print(
            f"{r['start']}  {approx}{r['length_minutes']:5d} min  {r['plays']:4d} plays  "
            f"{r['skips']:3d} skips  {artists}"
        )
    print(f"{len(rows):,} sessions (gap {gap // 60} min; ~ = ends on a play of estimated length)")
    return 0
