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
