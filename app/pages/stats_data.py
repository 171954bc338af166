"""What the Stats overview shows, computed off the GUI thread: the core report plus the period chart's
bars (every month — or every day for a short range — with partial months marked by their pace)."""

from __future__ import annotations

import calendar
from datetime import UTC, date, datetime, timedelta

from app.widgets.bars import Bar

MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
DAILY_UP_TO_DAYS = 62  # a range this short is charted per day, not per month


def utc_day(d: date) -> int:
    return calendar.timegm((d.year, d.month, d.day, 0, 0, 0))


def day_of(ts: int) -> date:
    return datetime.fromtimestamp(int(ts), UTC).date()


def next_month(d: date) -> date:
    return (d.replace(day=1) + timedelta(days=32)).replace(day=1)


def period_bars(days: dict[date, int], covered: tuple[date, date] | None) -> tuple[str, list[Bar]]:
    """(title, bars): plays per month — or per day for a short range — over every period from the
    first to the last with plays. A month the data covers only in part (``covered`` = the first and
    last day the history and the range both cover) is partial: its bar carries the full-month pace."""
    if not days:
        return "Plays per month", []
    lo, hi = min(days), max(days)
    if covered is not None:
        lo, hi = min(lo, covered[0]), max(hi, covered[1])
    if (hi - lo).days < DAILY_UP_TO_DAYS:
        bars = []
        d = lo
        while d <= hi:
            n = days.get(d, 0)
            bars.append(
                Bar(
                    str(d.day),
                    float(n),
                    f"{d:%a %d %b %Y}: {n:,} plays",
                    group=f"{MONTHS[d.month - 1]} {d.year}",
                    align=d.day - 1,
                )
            )
            d += timedelta(days=1)
        return "Plays per day", bars
    months: dict[date, int] = {}
    for d, n in days.items():
        months[d.replace(day=1)] = months.get(d.replace(day=1), 0) + n
    bars = []
    cur = lo.replace(day=1)
    while cur <= hi:
        nxt = next_month(cur)
        n = months.get(cur, 0)
        length = (nxt - cur).days
        first = max(cur, covered[0]) if covered else cur
        last = min(nxt - timedelta(days=1), covered[1]) if covered else nxt - timedelta(days=1)
        seen = (last - first).days + 1
        name = f"{cur:%B %Y}"
        if 0 < seen < length:
            pace = n * length / seen
            tip = (
                f"{name}: {n:,} plays in the {seen} days covered ({first.day}–{last.day} {MONTHS[cur.month - 1]}); "
                f"about {pace:,.0f} at that pace over the whole month"
            )
            bars.append(Bar(MONTHS[cur.month - 1], float(n), tip, str(cur.year), float(pace), cur.month - 1))
        else:
            bars.append(
                Bar(
                    MONTHS[cur.month - 1],
                    float(n),
                    f"{name}: {n:,} plays",
                    str(cur.year),
                    None,
                    cur.month - 1,
                )
            )
        cur = nxt
    return "Plays per month", bars


def overview_report(
    engine,
    account_id: int,
    start: int | None,
    end: int | None,
    gap_s: int,
    span: tuple[int, int] | None = None,
) -> dict:
    """Everything the overview shows, computed off the GUI thread (one pass over the plays).
    ``span``: the account's first and last play, to tell partial months from quiet ones."""
    from core.reports import stats_report

    report = stats_report(engine, account_id, start, end, limit=12, gap_s=gap_s)
    days = {date.fromisoformat(k): v for k, v in report["daily"].items()}
    covered = None
    if span is not None:
        lo, hi = day_of(span[0]), day_of(span[1])
        if start is not None:
            lo = max(lo, day_of(start))
        if end is not None:
            hi = min(hi, day_of(end - 1))
        covered = (lo, hi) if lo <= hi else None
    report["days"] = days
    report["covered"] = covered
    report["period_title"], report["period_bars"] = period_bars(days, covered)
    return report
