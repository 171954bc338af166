"""``segue sync --account NAME [--user U] [--recheck] [--json]`` and ``segue login --account NAME``."""

from __future__ import annotations

import argparse

from core.cli import CliError, ask, clear_progress, print_json, progress_printer
from core.commands.common import add_account, add_no_train, train_after


def register(sub: argparse._SubParsersAction) -> None:
    p = sub.add_parser("sync", help="bring an account up to date with Last.fm (resumable)")
    add_account(p)
    p.add_argument("--user", help="Last.fm username (default: the account's, or the account name)")
    p.add_argument(
        "--recheck", action="store_true", help="re-check the last 14 days for edits and deletions now"
    )
    p.add_argument("--json", action="store_true")
    add_no_train(p)
    p.set_defaults(handler=run_sync)
    p = sub.add_parser("login", help="connect a Last.fm account (opens the browser)")
    add_account(p)
    p.add_argument("--no-browser", action="store_true", help="print the URL instead of opening it")
    p.add_argument(
        "--wait",
        type=float,
        metavar="SECONDS",
        help="instead of pressing Enter after approving, check every few seconds for up to SECONDS",
    )
    p.set_defaults(handler=run_login)


def _username(ctx, account: str, given: str | None) -> str:
    from core.store.queries import account_by_name

    if given:
        return given
    acc = account_by_name(ctx.store.engine, account)
    return (acc.username if acc and acc.username else None) or account


def run_sync(ctx) -> int:
    from core.jobs import run_job
    from core.net import AuthRequired, Fatal, NotFound, ServiceError, Transient
    from core.sources.lastfm.config import load_config, make_api
    from core.sources.lastfm.sync import sync_account

    args = ctx.args
    username = _username(ctx, args.account, args.user)
    try:
        api = make_api(load_config(args.account))
    except Fatal as exc:
        raise CliError(str(exc), 2) from exc
    try:
        report = run_job(
            sync_account(ctx.store, args.account, username, api, force_recheck=args.recheck),
            progress_printer(not args.json),
        )
    except NotFound as exc:
        raise CliError(f"Last.fm has no user named '{username}' ({exc})", 2) from exc
    except AuthRequired as exc:
        raise CliError(f"{exc}; run `segue login --account {args.account}`", 3) from exc
    except Transient as exc:
        raise CliError(f"{exc}. Everything fetched so far is saved; run sync again to resume.", 4) from exc
    except ServiceError as exc:
        raise CliError(str(exc), 2) from exc
    finally:
        api.close()
    clear_progress(not args.json)
    if args.json:
        print_json(report.to_json())
    else:
        print(
            f"{args.account}: {report.mode}, {report.pages} page(s), {report.added:,} new plays, "
            f"{report.duplicates:,} already stored, {report.deleted} deleted, {report.edited} edited"
        )
    train_after(ctx, args.account, report, imported=False, json_out=args.json)
    return 0


def run_login(ctx) -> int:
    import webbrowser

    from core.net import ServiceError
    from core.sources.lastfm.auth import begin_login, finish_login
    from core.sources.lastfm.config import load_config
    from core.store.catalog import get_or_create_account

    args = ctx.args
    cfg = load_config(args.account)
    try:
        pending = begin_login(cfg.api_key, cfg.api_secret or "", cfg.root)
        print(f"Approve Segue in your browser:\n  {pending.url}")
        if not args.no_browser:
            webbrowser.open(pending.url)
        if args.wait is None:
            ask("Press Enter after approving… ", "--wait SECONDS")
            username = finish_login(pending, args.account)
        else:
            username = _poll_login(pending, args.account, args.wait)
    except ServiceError as exc:
        raise CliError(str(exc), 3) from exc
    with ctx.store.engine.begin() as conn:
        get_or_create_account(conn, args.account, kind="lastfm", username=username)
    print(
        f"Connected Last.fm user '{username}' to account '{args.account}'. Run `segue sync --account "
        f"{args.account}`."
    )
    return 0


POLL_S = 3.0


def _poll_login(pending, account: str, wait_s: float) -> str:
    """Ask Last.fm for the session every ``POLL_S`` until the user has approved or ``wait_s`` passed."""
    import time

    from core.sources.lastfm.api import TokenNotAuthorised
    from core.sources.lastfm.auth import finish_login

    deadline = time.monotonic() + wait_s
    while True:
        try:
            return finish_login(pending, account)
        except TokenNotAuthorised:
            if time.monotonic() + POLL_S > deadline:
                raise
            time.sleep(POLL_S)
