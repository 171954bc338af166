"""Human formatting for the GUI: local dates and times, durations, counts."""

from __future__ import annotations

from datetime import datetime

_tz = None


def set_timezone(name: str | None) -> None:
    """Use the timezone from settings ('' = the machine's)."""
    global _tz
    from core.stats import resolve_tz

    _tz = resolve_tz(name)


def local(ts: int | float) -> datetime:
    dt = datetime.fromtimestamp(int(ts)).astimezone() if _tz is None else datetime.fromtimestamp(int(ts), _tz)
    return dt


def date_time(ts: int | float | None) -> str:
    if ts is None:
        return "–"
    return local(ts).strftime("%a %d %b %Y · %H:%M")


def day(ts: int | float | None) -> str:
    if ts is None:
        return "–"
    return local(ts).strftime("%d %b %Y")


def clock(ts: int | float) -> str:
    return local(ts).strftime("%H:%M")


def duration(seconds: float | int | None, short: bool = False) -> str:
    """'2 h 05 min', '42 min', '3:07' (short, for track lengths)."""
    if seconds is None:
        return "–"
    s = int(round(seconds))
    if short:
        sign = "-" if s < 0 else ""
        s = abs(s)
        if s >= 3600:
            return f"{sign}{s // 3600}:{s % 3600 // 60:02d}:{s % 60:02d}"
        return f"{sign}{s // 60}:{s % 60:02d}"
    if s < 60:
        return f"{s} s"
    from core.sessions import whole_minutes

    minutes = whole_minutes(s)  # rounded like the CLI's, so both say the same length
    if minutes < 60:
        return f"{minutes} min"
    h, m = divmod(minutes, 60)
    if h < 48:
        return f"{h} h {m:02d} min"
    return f"{h // 24} d {h % 24} h"


def hours(seconds: float) -> str:
    h = seconds / 3600
    return f"{h:,.0f} h" if h >= 10 else f"{h:,.1f} h"


def count(n: int, word: str, plural: str | None = None) -> str:
    return f"{n:,} {word if n == 1 else (plural or word + 's')}"


def ago(ts: int | float | None, now: float | None = None) -> str:
    if ts is None:
        return "never"
    import time

    delta = (now or time.time()) - ts
    if delta < 90:
        return "just now"
    if delta < 3600:
        return f"{int(delta // 60)} min ago"
    if delta < 86400:
        return f"{int(delta // 3600)} h ago"
    if delta < 86400 * 60:
        return f"{int(delta // 86400)} days ago"
    return day(ts)


SOURCE_NAMES = {
    "lastfm": "Last.fm",
    "lastfm-ghan": "Last.fm export",
    "lastfm-benjaminbenben": "Last.fm export",
    "lastfm-sqlite": "Last.fm database",
    "lastfmstats-json": "Last.fm (lastfmstats)",
    "lastfm-1k": "Last.fm-1K",
    "spotify": "Spotify",
    "spotify-basic": "Spotify",
    "spotify-extended": "Spotify (extended)",
    "listenbrainz": "ListenBrainz",
    "generic-csv": "CSV file",
    "demo": "Demo",
}


def source_name(source: str | None) -> str:
    """A listener's word for a play's source ('lastfm-ghan' → 'Last.fm export')."""
    if not source:
        return ""
    return SOURCE_NAMES.get(source, source.replace("-", " ").capitalize())
