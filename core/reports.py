"""Assembled reports (plain dicts) for the CLI's --json output and the GUI pages."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
from sqlalchemy import Engine, delete, select

from core import stats
from core.sessions import DEFAULT_GAP_S, sessionize, whole_minutes
from core.settings import Settings
from core.store.engine import Store
from core.store.queries import load_plays, names, track_info
from core.store.schema import (
    Account,
    Album,
    Artist,
    Feedback,
    ImportRun,
    InsightConsent,
    ModelRun,
    QuestionnaireAnswer,
    Scrobble,
    Skip,
    SyncState,
)


def _iso(ts: float | int | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(int(ts), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def session_rows(
    engine: Engine,
    account_id: int,
    gap_s: int = DEFAULT_GAP_S,
    start: int | None = None,
    end: int | None = None,
    min_plays: int = 1,
) -> list[dict]:
    """One dict per session: start/end (ISO UTC), minutes (and ``length_minutes``, the whole minutes
    both CLI and GUI show), whether the end is estimated, plays, skips, top artists."""
    frame = load_plays(engine, account_id, start, end)
    sess = sessionize(frame, gap_s)
    if not len(sess):
        return []
    sizes = sess.sizes
    chosen = np.flatnonzero(sizes >= min_plays)
    artist_names = names(engine, Artist, np.unique(sess.frame.artist_id))
    rows = []
    for i in chosen.tolist():
        s, e = int(sess.start[i]), int(sess.end[i])
        first, last = sess.bounds(i)
        uniq, counts = np.unique(sess.frame.artist_id[s:e], return_counts=True)
        order = np.argsort(-counts, kind="stable")[:5]
        rows.append(
            {
                "index": i,
                "start": _iso(first),
                "end": _iso(last),
                "minutes": round((last - first) / 60, 1),
                "length_minutes": whole_minutes(last - first),
                "end_estimated": bool(sess.estimated[e - 1]),
                "plays": e - s,
                "skips": int(sess.skipped[s:e].sum()),
                "top_artists": [
                    {"id": int(uniq[j]), "name": artist_names.get(int(uniq[j]), "?"), "plays": int(counts[j])}
                    for j in order
                ],
            }
        )
    return rows


def session_detail(engine: Engine, account_id: int, index: int, gap_s: int = DEFAULT_GAP_S) -> list[dict]:
    """The plays of session ``index``: time, track, artist, skip flag and gap before it."""
    sess = sessionize(load_plays(engine, account_id), gap_s)
    s, e = int(sess.start[index]), int(sess.end[index])
    ids = sess.frame.track_id[s:e]
    info = track_info(engine, np.unique(ids))
    out = []
    for k in range(s, e):
        t = info.get(int(sess.frame.track_id[k]))
        out.append(
            {
                "played_at": _iso(sess.frame.played_at[k]),
                "track": t.name if t else "?",
                "artist": t.artist if t else "?",
                "album": t.album if t else None,
                "skipped": bool(sess.skipped[k]),
                "gap_s": int(sess.frame.played_at[k] - sess.frame.played_at[k - 1]) if k > s else 0,
            }
        )
    return out


def _named_top(
    engine: Engine,
    rows: list[stats.TopRow],
    by: str,
    total: float,
    metric: str,
    before: dict[int, int] | None,
) -> list[dict]:
    """Rows with names (albums and tracks with their artist), share of the period's plays (or time) and
    ``previous_rank`` in the period before (None: not in it; key absent when there is no period before)."""
    artist_of: dict[int, str] = {}
    album_of: dict[int, int | None] = {}
    if by == "track":
        info = track_info(engine, [r.id for r in rows])
        label = {i: f"{t.artist} — {t.name}" for i, t in info.items()}
        artist_of = {i: t.artist for i, t in info.items()}
        title = {i: t.name for i, t in info.items()}
        album_of = {i: t.album_id for i, t in info.items()}
    elif by == "album":
        label, artist_of = album_names(engine, [r.id for r in rows])
        title = label
        album_of = {r.id: r.id for r in rows}
    else:
        label = names(engine, Artist, [r.id for r in rows])
        title = label
    out = []
    for rank, r in enumerate(rows, 1):
        value = r.plays if metric == "plays" else r.seconds
        row = {
            "id": r.id,
            "rank": rank,
            "name": label.get(r.id, "?"),
            "plays": r.plays,
            "hours": round(r.seconds / 3600, 2),
            "share": round(value / total, 4) if total else 0.0,
        }
        if by != "artist":
            row["title"] = title.get(r.id, "?")
            row["artist"] = artist_of.get(r.id, "?")
            row["album_id"] = album_of.get(r.id)
        if before is not None:
            row["previous_rank"] = before.get(r.id)
        out.append(row)
    return out


def album_names(engine: Engine, ids: list[int]) -> tuple[dict[int, str], dict[int, str]]:
    """({album id: name}, {album id: artist name})."""
    albums: dict[int, str] = {}
    artists: dict[int, str] = {}
    with engine.connect() as conn:
        for i in range(0, len(ids), 500):
            stmt = (
                select(Album.id, Album.name, Artist.name)
                .join(Artist, Artist.id == Album.artist_id)
                .where(Album.id.in_(ids[i : i + 500]))
            )
            for aid, name, artist in conn.execute(stmt):
                albums[aid], artists[aid] = name, artist
    return albums, artists


def stats_report(
    engine: Engine,
    account_id: int,
    start: int | None = None,
    end: int | None = None,
    limit: int = 10,
    gap_s: int | None = None,
) -> dict:
    """Totals, tops by plays and by time (with share and rank change against the period before),
    calendar, streaks and the hour × weekday clock, for plays with ``start <= played_at < end``."""
    settings = Settings.load()
    tz = stats.resolve_tz(settings.timezone)
    gap_s = gap_s if gap_s is not None else settings.session_gap_minutes * 60
    frame = load_plays(engine, account_id, start, end)
    secs, estimated = stats.play_lengths(frame)
    days = stats.daily_counts(frame, tz)
    longest, current = stats.streaks(days)
    report = {
        "range": {"start": _iso(start), "end": _iso(end)},
        "plays": len(frame),
        "first": _iso(frame.played_at[0]) if len(frame) else None,
        "last": _iso(frame.played_at[-1]) if len(frame) else None,
        "sessions": len(sessionize(frame, gap_s)),
        "hours": round(float(secs.sum()) / 3600, 1),
        "estimated_time_share": round(float(estimated.mean()), 3) if len(frame) else 0.0,
        "distinct": {
            "tracks": int(np.unique(frame.track_id).size),
            "artists": int(np.unique(frame.artist_id).size),
        },
        "streaks": {
            "longest": {"start": str(longest.start), "end": str(longest.end), "days": longest.days}
            if longest
            else None,
            "current": {"start": str(current.start), "end": str(current.end), "days": current.days}
            if current
            else None,
        },
        "daily": {str(d): c for d, c in days.items()},
        "hour_weekday": stats.hour_weekday(frame, tz).tolist(),
    }
    prev = stats.previous_period(start, end)
    before_frame = load_plays(engine, account_id, *prev) if prev is not None else None
    totals = {"plays": float(len(frame)), "time": float(secs.sum())}
    for by in ("artist", "track", "album"):
        for metric in ("plays", "time"):
            before = (
                stats.ranks(stats.top(before_frame, by, metric, limit=0))
                if before_frame is not None
                else None
            )
            rows = stats.top(frame, by, metric, limit)
            report[f"top_{by}s_by_{metric}"] = _named_top(engine, rows, by, totals[metric], metric, before)
    return report


def delete_account(store: Store, name: str) -> None:
    """Delete an account and everything recorded for it, in one transaction."""
    with store.engine.begin() as conn:
        acc = conn.execute(select(Account.id).where(Account.name == name)).scalar()
        if acc is None:
            return
        for table in (
            Scrobble,
            Skip,
            SyncState,
            ImportRun,
            ModelRun,
            Feedback,
            InsightConsent,
            QuestionnaireAnswer,
        ):
            conn.execute(delete(table).where(table.account_id == acc))
        conn.execute(delete(Account).where(Account.id == acc))
