"""Argument helpers shared by commands."""

from __future__ import annotations

import argparse
import re
from datetime import UTC, date, datetime

_DURATION = re.compile(
    r"^\s*(?:(\d+(?:\.\d+)?)\s*h)?\s*(?:(\d+(?:\.\d+)?)\s*m(?:in)?)?\s*(?:(\d+)\s*s)?\s*$", re.I
)


def duration(text: str) -> int:
    """'2h', '30m', '1h30m', '90s' or plain minutes → seconds."""
    if text.strip().isdigit():
        return int(text) * 60
    m = _DURATION.match(text)
    if not m or not any(m.groups()):
        raise argparse.ArgumentTypeError(f"not a duration: {text!r} (try 2h, 30m or 1h30m)")
    h, mins, s = (float(g) if g else 0.0 for g in m.groups())
    return int(h * 3600 + mins * 60 + s)


def day(text: str) -> int:
    """'YYYY-MM-DD' (UTC midnight) → unix seconds."""
    try:
        d = date.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (use YYYY-MM-DD)") from exc
    return int(datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp())


def add_account(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--account", "-a", required=required, help="account name")


def add_no_train(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--no-train", action="store_true", help="do not train the default recommender after adding plays"
    )


def train_after(ctx, account: str, result, *, imported: bool, json_out: bool = False) -> None:
    """Training follows the data in the CLI as in the app: after an import (or a sync) that added plays
    (``core.jobs.builtin.should_train``), train ``default`` for the account now, with progress on
    stderr (the JSON on stdout stays the command's own), unless ``--no-train``."""
    from core.jobs.builtin import added_plays, should_train

    if getattr(ctx.args, "no_train", False):
        return
    if should_train(ctx.store.engine, account, added_plays(result), imported=imported):
        run_train(ctx, account, "default", "the default recommender")


def run_train(ctx, account: str, model: str, what: str) -> bool:
    """Run the registered ``train`` job for ``model`` of ``account`` through a runner (the one job the
    app runs in the background), progress on stderr; whether it trained."""
    import sys

    from core.cli import clear_progress, progress_printer
    from core.jobs.runner import REGISTRY, Runner

    if "train" not in REGISTRY:
        return False
    show = progress_printer(True)
    print(f"training {what} for {account}…", file=sys.stderr)
    runner = Runner(ctx.store, REGISTRY, on_progress=(lambda h, p: show(p)) if show else None)
    try:
        handle = runner.run("train", account=account, model=model)
    finally:
        runner.shutdown(timeout=30)
    clear_progress(True)
    if handle.state == "ok":
        r = handle.result
        print(
            f"trained {model} for {account} on {r.plays:,} plays in {r.train_seconds:.0f} s", file=sys.stderr
        )
        return True
    print(
        f"segue: training {model} for {account}: {handle.state} {handle.error or ''}".rstrip(),
        file=sys.stderr,
    )
    return False
