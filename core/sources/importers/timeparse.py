"""Timestamp text → Unix seconds, fast enough for a million rows.

Every parser returns ``(seconds, precision_s)`` and raises ``ValueError`` on text it cannot read.
Accepted forms:

- numbers: Unix seconds, or milliseconds when the value is ≥ 1e11 (a date after 5138 in seconds),
  microseconds when ≥ 1e14; a fractional part is dropped;
- ISO-8601: ``2025-01-01T10:06:20Z``, ``2025-01-01 10:06:20``, ``...+02:00``, fractional seconds,
  ``2025-08-16 11:45`` (precision 60), ``2025-08-16`` (precision 86400);
- Last.fm text: ``24 Jan 2023, 09:42`` or ``24 Jan 2023 09:42`` (precision 60; full month names too).

Naive times are read in ``tz`` (UTC by default). The common shapes skip ``datetime`` entirely: the
day's epoch seconds are cached per date string and the clock part is added with integer maths.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo

UTC = UTC
_EPOCH_ORDINAL = date(1970, 1, 1).toordinal()
_DAY_CACHE: dict[str, int] = {}
_MONTHS = {
    name: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for name in names
}
_LASTFM_TEXT = re.compile(r"(\d{1,2}) ([A-Za-z]{3,9}) (\d{4}),? (\d{1,2}):(\d{2})(?::(\d{2}))?")
_NUMBER = re.compile(r"[+-]?\d+(?:\.\d*)?")


def _day_seconds(y: int, m: int, d: int) -> int:
    return (date(y, m, d).toordinal() - _EPOCH_ORDINAL) * 86400


def _iso_day(s: str) -> int:
    """Epoch seconds of the ``YYYY-MM-DD`` at the start of ``s`` (cached)."""
    key = s[:10]
    day = _DAY_CACHE.get(key)
    if day is None:
        if len(key) != 10 or key[4] != "-" or key[7] != "-":
            raise ValueError(f"not a date: {s!r}")
        day = _day_seconds(int(key[:4]), int(key[5:7]), int(key[8:10]))
        if len(_DAY_CACHE) > 200_000:
            _DAY_CACHE.clear()
        _DAY_CACHE[key] = day
    return day


def _clock(h: int, m: int, s: int = 0) -> int:
    if h > 23 or m > 59 or s > 60 or h < 0 or m < 0 or s < 0:
        raise ValueError(f"bad time of day {h:02}:{m:02}:{s:02}")
    return h * 3600 + m * 60 + s


def _localise(y: int, mo: int, d: int, h: int, mi: int, s: int, tz: tzinfo) -> int:
    return int(datetime(y, mo, d, h, mi, s, tzinfo=tz).timestamp())


def parse_number(s: str) -> tuple[int, int]:
    """Unix seconds, milliseconds or microseconds as text."""
    try:
        value = int(s)
    except ValueError:
        value = float(s)
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"not a timestamp: {s!r}") from None
    else:
        if -100_000_000_000 < value < 100_000_000_000:
            return value, 1
    if abs(value) >= 1e14:
        value /= 1_000_000
    elif abs(value) >= 1e11:
        value /= 1000
    return int(value), 1


def parse_iso(s: str, tz: tzinfo = UTC) -> tuple[int, int]:
    """ISO-8601 date-time; ``T`` or space; optional seconds, fraction, ``Z`` or offset."""
    n = len(s)
    if tz is UTC and n >= 16 and s[10] in "T " and s[13] == ":":
        # Fast shapes: YYYY-MM-DD?HH:MM, ...:SS, ...:SSZ, ...:SS+00:00
        tail = s[19:] if n >= 19 else ""
        if n == 16:
            return _iso_day(s) + _clock(int(s[11:13]), int(s[14:16])), 60
        if s[16] == ":" and tail in ("", "Z", "+00:00"):
            return _iso_day(s) + _clock(int(s[11:13]), int(s[14:16]), int(s[17:19])), 1
    if n == 10:
        if tz is UTC:
            return _iso_day(s), 86400
        dt = datetime.fromisoformat(s)
        return int(dt.replace(tzinfo=tz).timestamp()), 86400
    dt = datetime.fromisoformat(s)
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=tz)
    # Text without a seconds field has minute resolution.
    precision = 60 if n >= 16 and (n == 16 or s[16] != ":") else 1
    return int(dt.timestamp()), precision


_TAILS: dict[str, tuple[int, int]] = {"": (0, 60)}
for _sec in range(61):
    for _suffix in ("", "Z", "+00:00"):
        _TAILS[f":{_sec:02}{_suffix}"] = (_sec, 1)


def iso_parser(tz: tzinfo = UTC) -> Callable[[str], tuple[int, int]]:
    """``parse_iso`` with a per-minute cache: ``YYYY-MM-DD?HH:MM[:SS][Z]`` costs two dict lookups.

    Histories are dense in time, so most rows fall in a minute already seen. Other shapes (offsets,
    fractions) go through ``parse_iso``.
    """
    minutes: dict[str, int] = {}

    def parse(s: str) -> tuple[int, int]:
        base = minutes.get(s[:16])
        if base is not None:
            tail = _TAILS.get(s[16:])
            if tail is not None:
                return base + tail[0], tail[1]
        return slow(s)

    def slow(s: str) -> tuple[int, int]:
        key = s[:16]
        tail = _TAILS.get(s[16:])
        if tail is None or len(key) != 16 or key[10] not in "T " or key[13] != ":":
            return parse_iso(s, tz)
        base = parse_iso(key, tz)[0]
        if len(minutes) > 500_000:
            minutes.clear()
        minutes[key] = base
        return base + tail[0], tail[1]

    return parse


def parse_lastfm_text(s: str, tz: tzinfo = UTC) -> tuple[int, int]:
    """``24 Jan 2023, 09:42`` (Last.fm's own date text, UTC) → seconds, precision 60."""
    m = _LASTFM_TEXT.fullmatch(s)
    if m is None:
        raise ValueError(f"not a date like '24 Jan 2023, 09:42': {s!r}")
    day, mon, year, hh, mm, ss = m.groups()
    month = _MONTHS.get(mon.lower())
    if month is None:
        raise ValueError(f"unknown month {mon!r} in {s!r}")
    sec = int(ss) if ss else 0
    precision = 1 if ss else 60
    if tz is UTC:
        return _day_seconds(int(year), month, int(day)) + _clock(int(hh), int(mm), sec), precision
    return _localise(int(year), month, int(day), int(hh), int(mm), sec, tz), precision


def parse_any(s: str, tz: tzinfo = UTC) -> tuple[int, int]:
    """Any accepted form (see module docstring); ``s`` must already be stripped."""
    if not s:
        raise ValueError("empty timestamp")
    c = s[0]
    if _NUMBER.fullmatch(s):
        return parse_number(s)
    if c.isdigit() and len(s) >= 10 and s[4] == "-":
        return parse_iso(s, tz)
    if c.isdigit():
        return parse_lastfm_text(s, tz)
    raise ValueError(f"not a timestamp: {s!r}")


def kind_of(s: str) -> str | None:
    """Classify a sample value: ``"number"``, ``"iso"``, ``"lastfm"``, ``"date"`` or ``None``."""
    s = s.strip()
    if not s:
        return None
    try:
        if _NUMBER.fullmatch(s):
            parse_number(s)
            return "number"
        if s[0].isdigit() and len(s) >= 10 and s[4] == "-":
            _, precision = parse_iso(s)
            return "date" if precision == 86400 else "iso"
        parse_lastfm_text(s)
        return "lastfm"
    except ValueError:
        return None
