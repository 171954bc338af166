"""``segue accounts [list|delete NAME]``."""

from __future__ import annotations

import argparse

from core.cli import CliError, ask, print_json
from core.normalize import printable


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("accounts", help="list accounts or delete one with all its data")
    p.add_argument("action", nargs="?", choices=["list", "delete"], default="list")
    p.add_argument("name", nargs="?")
    p.add_argument("--yes", action="store_true", help="do not ask before deleting")
    p.add_argument("--json", action="store_true")
    p.set_defaults(handler=run)


def run(ctx) -> int:
    from core.reports import delete_account
    from core.sources.importing import iso
    from core.store.queries import list_accounts

    args = ctx.args
    if args.action == "delete":
        if not args.name:
            raise CliError("accounts delete needs an account name", 2)
        ctx.account_id(args.name)
        if not args.yes:
            answer = ask(
                f"Delete account '{args.name}' and all its plays, models and insights? [y/N] ", "--yes"
            )
            if answer.strip().lower() not in {"y", "yes"}:
                return 1
        delete_account(ctx.store, args.name)
        print(f"deleted account '{args.name}'")
        return 0
    accounts = list_accounts(ctx.store.engine)
    if args.json:
        print_json(
            {
                "accounts": [
                    {
                        "name": a.name,
                        "kind": a.kind,
                        "username": a.username,
                        "plays": a.plays,
                        "first": iso(a.first),
                        "last": iso(a.last),
                    }
                    for a in accounts
                ]
            }
        )
        return 0
    for a in accounts:
        print(
            f"{printable(a.name):20s} {a.kind:8s} {a.plays:>9,} plays  {iso(a.first) or '-'} .. {iso(a.last) or '-'}"
        )
    if not accounts:
        print("no accounts yet: `segue import FILE --account NAME` or `segue sync --account NAME`")
    return 0
