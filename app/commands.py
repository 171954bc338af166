"""``segue gui [--theme light|dark|system] [--screenshots DIR]`` — and the default when no command is given."""

from __future__ import annotations

import argparse


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("gui", help="open the desktop app (the default)")
    p.add_argument("--screenshots", metavar="DIR", help="render every page to DIR/<page>.png and exit")
    p.add_argument(
        "--theme",
        choices=["light", "dark", "system"],
        help="colour theme for this run (the saved choice in Settings stays as it is)",
    )
    p.set_defaults(handler=run_gui)


def run_gui(ctx) -> int:
    from app.main import run

    return run(
        db_url=ctx.args.db,
        screenshots=getattr(ctx.args, "screenshots", None),
        theme=getattr(ctx.args, "theme", None),
    )
