"""Weekly listening indicators against the listener's own baseline (docs/architecture.md §10, issue 6).

Per local calendar week (Monday start):
- ``repetition``: share of the week's plays that repeat a track already played that week
  (1 − distinct tracks / plays); ``repetition_within_session`` — a track already heard earlier in the
  same session; ``repetition_across_sessions`` — a track heard in an earlier session of the last 30
  days; ``artist_repetition`` (1 − distinct artists / plays).
- ``diversity``: Shannon entropy (bits) of the week's artist distribution; ``tag_diversity``: entropy of
  the tag distribution over plays that have tags.
- ``late_night_share``: plays starting between 00:00 and 04:59 local time.
- ``session_minutes`` / ``session_plays``: medians over sessions starting that week.
- ``mood``: share of each lexicon mood among plays with mood-bearing tags, plus ``coverage``.
- ``valence`` / ``energy``: means over plays with audio features, plus ``audio_coverage``.
A week the history covers only in part (it starts after the week's Monday or ends before its Sunday,
e.g. the current week) is marked ``partial`` with the ``days`` covered: it is charted but neither
judged against the usual nor part of it (four days of plays are not a short week of sessions).
Baseline: the median of the previous 12 full weeks with at least ``MIN_PLAYS`` plays; a week differs from
it when it is more than 1.5 robust standard deviations (MAD × 1.4826) away, and one plain sentence says
how. Weeks with fewer than ``MIN_PLAYS`` plays get values but no comparison; mood, tag diversity and
valence/energy are compared only in weeks where at least ``MIN_COVERAGE`` of the plays have the tags
or audio features behind them (a "sadder than usual" drawn from 1% of the plays would mislead).
"""

from __future__ import annotations

import math
from datetime import date, timedelta

import numpy as np
from sqlalchemy import Engine, select

from core import stats
from core.insights.itemdata import MOOD_NAMES, load_item_data
from core.sessions import sessionize
from core.store.queries import load_plays
from core.store.schema import Track

MIN_PLAYS = 20
BASELINE_WEEKS = 12
THRESHOLD = 1.5
MIN_COVERAGE = 0.2  # mood, tag and audio comparisons need this share of a week's plays to carry the data
ACROSS_WINDOW_S = 30 * 86400

SENTENCES = {
    "repetition": ("more repetitive than your usual", "less repetitive than your usual"),
    "diversity": ("more varied than your usual", "less varied than your usual"),
    "tag_diversity": ("wider in styles than your usual", "narrower in styles than your usual"),
    "late_night_share": ("more late-night listening than usual", "less late-night listening than usual"),
    "session_minutes": ("longer sessions than usual", "shorter sessions than usual"),
    "sad": ("more sad-tagged music than usual", "less sad-tagged music than usual"),
    "valence": ("brighter-sounding music than usual", "darker-sounding music than usual"),
    "energy": ("more energetic music than usual", "calmer music than usual"),
}


def _entropy(counts: np.ndarray) -> float:
    counts = counts[counts > 0].astype(float)
    if counts.size == 0:
        return float("nan")
    p = counts / counts.sum()
    return float(-(p * np.log2(p)).sum())


def _prior_occurrence(keys: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """True where ``keys[i]`` already occurred earlier in the same group (groups non-decreasing)."""
    seen: set[tuple[int, int]] = set()
    out = np.zeros(keys.size, dtype=bool)
    for i, (g, k) in enumerate(zip(groups.tolist(), keys.tolist(), strict=True)):
        if (g, k) in seen:
            out[i] = True
        else:
            seen.add((g, k))
    return out


def _heard_in_earlier_session(tracks: np.ndarray, times: np.ndarray, session: np.ndarray) -> np.ndarray:
    """True where the track was played in an earlier session within ``ACROSS_WINDOW_S``."""
    last_session: dict[int, tuple[int, int]] = {}  # track -> (session, time) of its latest play
    out = np.zeros(tracks.size, dtype=bool)
    for i, (t, ts, s) in enumerate(zip(tracks.tolist(), times.tolist(), session.tolist(), strict=True)):
        prev = last_session.get(t)
        if prev is not None and prev[0] != s and ts - prev[1] <= ACROSS_WINDOW_S:
            out[i] = True
        last_session[t] = (s, ts) if prev is None or prev[0] != s else (prev[0], ts)
    return out


def _median(values: list[float]) -> float:
    vals = [v for v in values if v is not None and not math.isnan(v)]
    return float(np.median(vals)) if vals else float("nan")


def _round(v: float | None, nd: int = 3) -> float | None:
    return None if v is None or math.isnan(v) else round(float(v), nd)


def weekly_indicators(
    engine: Engine, account_id: int, *, tz_name: str | None = None, gap_s: int = 7200
) -> list[dict]:
    """One dict per week with plays, in time order (see module docstring for definitions)."""
    frame = load_plays(engine, account_id)
    if len(frame) == 0:
        return []
    tz = stats.resolve_tz(tz_name)
    sess = sessionize(frame, gap_s)
    f = sess.frame
    session_of = sess.session_of()
    local = stats.local_seconds(f.played_at, tz)
    day = local // 86400
    week_start = day - ((day + 3) % 7)  # 1970-01-01 was a Thursday; Monday-start weeks
    hour = (local % 86400) // 3600
    with engine.connect() as conn:
        artist_of = (
            dict(
                conn.execute(
                    select(Track.id, Track.artist_id).where(Track.id.in_(np.unique(f.track_id).tolist()))
                ).all()
            )
            if len(f) < 30000
            else dict(conn.execute(select(Track.id, Track.artist_id)).all())
        )
    uniq_tracks = np.unique(f.track_id)
    items = load_item_data(engine, uniq_tracks, artist_of)
    item_idx = items.index(f.track_id)
    within = _prior_occurrence(f.track_id, session_of)
    across = _heard_in_earlier_session(f.track_id, f.played_at, session_of)

    sess_start_week = week_start[sess.start] if len(sess) else np.empty(0, np.int64)
    sess_minutes = np.array([(sess.bounds(i)[1] - sess.bounds(i)[0]) / 60 for i in range(len(sess))])
    weeks: list[dict] = []
    first_day, last_day = int(day[0]), int(day[-1])
    bounds = np.flatnonzero(np.diff(week_start)) + 1
    for lo, hi in zip(np.concatenate([[0], bounds]), np.concatenate([bounds, [len(f)]]), strict=True):
        idx = np.arange(lo, hi)
        n = idx.size
        tr, ar = f.track_id[idx], f.artist_id[idx]
        ii = item_idx[idx]
        tagged = items.has_tags[ii]
        mood_rows = items.moods[ii]
        mood_any = mood_rows.sum(axis=1) > 0
        tag_counts: dict[str, float] = {}
        for j in ii[tagged].tolist():
            for tag, w in items.tags[j].items():
                tag_counts[tag] = tag_counts.get(tag, 0.0) + max(w, 1.0)
        val, en = items.valence[ii], items.energy[ii]
        ws = int(week_start[lo])
        covered = min(ws + 6, last_day) - max(ws, first_day) + 1
        in_week = sess_start_week == ws
        weeks.append(
            {
                "week": str(date(1970, 1, 1) + timedelta(days=ws)),
                "plays": int(n),
                "days": int(covered),
                "partial": bool(covered < 7),
                "repetition": _round(1 - np.unique(tr).size / n),
                "repetition_within_session": _round(within[idx].mean()),
                "repetition_across_sessions": _round(across[idx].mean()),
                "artist_repetition": _round(1 - np.unique(ar).size / n),
                "diversity": _round(_entropy(np.unique(ar, return_counts=True)[1])),
                "tag_diversity": _round(_entropy(np.array(list(tag_counts.values())))),
                "late_night_share": _round((hour[idx] < 5).mean()),
                "sessions": int(in_week.sum()),
                "session_minutes": _round(
                    float(np.median(sess_minutes[in_week])) if in_week.any() else float("nan"), 1
                ),
                "session_plays": _round(
                    float(np.median(sess.sizes[in_week])) if in_week.any() else float("nan"), 1
                ),
                "mood": {
                    **{
                        m: _round(mood_rows[mood_any, k].mean()) if mood_any.any() else None
                        for k, m in enumerate(MOOD_NAMES)
                    },
                    "coverage": _round(mood_any.mean()),
                },
                "tag_coverage": _round(tagged.mean()),
                "valence": _round(np.nanmean(val)) if np.isfinite(val).any() else None,
                "energy": _round(np.nanmean(en)) if np.isfinite(en).any() else None,
                "audio_coverage": _round(np.isfinite(val).mean()),
            }
        )
    _compare_with_baseline(weeks)
    return weeks


def _value(week: dict, key: str) -> float | None:
    """The week's value for ``key``, or None when too few of its plays carry the data behind it."""
    if key == "sad":
        return week["mood"].get("sad") if (week["mood"].get("coverage") or 0) >= MIN_COVERAGE else None
    if key in ("valence", "energy"):
        return week.get(key) if (week.get("audio_coverage") or 0) >= MIN_COVERAGE else None
    if key == "tag_diversity":
        return week.get(key) if (week.get("tag_coverage") or 0) >= MIN_COVERAGE else None
    return week.get(key)


def _compare_with_baseline(weeks: list[dict]) -> None:
    """Attach ``baseline`` and ``sentences`` to each week with enough plays."""
    history: list[dict] = []
    for week in weeks:
        week["baseline"], week["sentences"] = {}, {}
        if week["plays"] >= MIN_PLAYS and not week.get("partial"):
            prior = history[-BASELINE_WEEKS:]
            if len(prior) >= 4:
                for key, (up, down) in SENTENCES.items():
                    past = [v for w in prior if (v := _value(w, key)) is not None]
                    now = _value(week, key)
                    if len(past) < 4 or now is None:
                        continue
                    med = float(np.median(past))
                    spread = 1.4826 * float(np.median(np.abs(np.array(past) - med)))
                    spread = max(spread, 0.05 * abs(med), 1e-6)
                    z = (now - med) / spread
                    week["baseline"][key] = round(med, 3)
                    if z >= THRESHOLD:
                        week["sentences"][key] = up
                    elif z <= -THRESHOLD:
                        week["sentences"][key] = down
            history.append(week)
