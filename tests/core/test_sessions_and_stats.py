"""Sessionization (gap rule, skips, duplicate collapse) and the stats built on it."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest
from testpaths import LISTENING

from core import stats
from core.jobs import run_job
from core.sessions import collapse_duplicates, sessionize
from core.sources.importing import import_files
from core.store.queries import PlayFrame, account_by_name, load_plays


def frame(starts, tracks, durations_s=None, ms_played=None, artists=None) -> PlayFrame:
    n = len(starts)
    dur = np.full(n, np.nan) if durations_s is None else np.array(durations_s, float) * 1000
    ms = np.full(n, np.nan) if ms_played is None else np.array(ms_played, float)
    art = np.array(artists if artists is not None else tracks, np.int64)
    return PlayFrame(
        np.array(starts, np.int64), np.array(tracks, np.int64), art, np.full(n, -1, np.int64), ms, dur
    )


def test_gap_rule_uses_previous_end_when_length_known():
    # 3 plays of 200 s; the third starts 2h + 150 s after the second *started*, i.e. < 2h after it ended.
    f = frame([0, 200, 200 + 7200 + 150], [1, 2, 3], durations_s=[200, 200, 200])
    assert len(sessionize(f, gap_s=7200)) == 1
    f2 = frame([0, 200, 200 + 7200 + 250], [1, 2, 3], durations_s=[200, 200, 200])
    assert len(sessionize(f2, gap_s=7200)) == 2


def test_skip_is_a_play_cut_short_by_the_next():
    f = frame([0, 40, 300], [1, 2, 3], durations_s=[240, 240, 240])
    s = sessionize(f)
    assert s.skipped.tolist() == [True, False, False]


def test_unknown_length_never_counts_as_skip():
    s = sessionize(frame([0, 40, 80], [1, 2, 3]))
    assert not s.skipped.any()


def test_consecutive_duplicate_scrobbles_collapse_but_repeats_stay():
    f = frame([0, 1, 250, 500], [7, 7, 7, 8], durations_s=[240, 240, 240, 240])
    kept, idx = collapse_duplicates(f)
    assert idx.tolist() == [0, 2, 3], "the 1-s double scrobble collapses; the repeat after 250 s stays"


@pytest.mark.engines
def test_sessions_on_a_real_history(store, shared):
    run_job(import_files(store, [LISTENING / "lastfm-exports" / "aleex-cs__aleex_cs.csv"], "a"))
    f = load_plays(store.engine, account_by_name(store.engine, "a").id)
    long = sessionize(f, gap_s=7200)
    short = sessionize(f, gap_s=1800)
    assert 0 < len(long) < len(short) < len(f)
    assert long.sizes.sum() == len(long.frame)
    starts = long.frame.played_at[long.start[1:]]
    prev_last = long.frame.played_at[long.end[:-1] - 1]
    assert (starts - prev_last > 7200 - 1).all()
    assert (np.diff(long.session_of()) >= 0).all()


def test_top_by_plays_and_by_time_differ_when_lengths_differ():
    f = frame(
        [0, 100, 200, 300], [1, 1, 1, 2], ms_played=[30_000, 30_000, 30_000, 600_000], artists=[1, 1, 1, 2]
    )
    by_plays = stats.top(f, "artist", "plays")
    by_time = stats.top(f, "artist", "time")
    assert [r.id for r in by_plays] == [1, 2] and [r.id for r in by_time] == [2, 1]
    assert by_time[0].seconds == 600


def test_streaks_and_calendar():
    days = {date(2024, 1, d): 1 for d in (1, 2, 3, 5, 6)}
    longest, current = stats.streaks(days, today=date(2024, 1, 7))
    assert (longest.start, longest.end, longest.days) == (date(2024, 1, 1), date(2024, 1, 3), 3)
    assert current.days == 2
    assert stats.streaks(days, today=date(2024, 2, 1))[1] is None


def test_hour_weekday_in_a_fixed_zone():
    ts = np.array([1704067200 + 3600 * 9])  # Mon 2024-01-01 09:00 UTC = 10:00 in Berlin
    f = frame(ts, [1])
    m = stats.hour_weekday(f, stats.resolve_tz("Europe/Berlin"))
    assert m[0, 10] == 1 and m.sum() == 1


def test_played_time_without_track_length_infers_no_skip():
    """Spotify-like rows: start derived from a minute-rounded end minus ms played; overlaps are artefacts."""
    f = frame([0, 170, 400], [1, 2, 3], ms_played=[182_000, 200_000, 150_000])
    assert not sessionize(f).skipped.any()


def test_played_time_shorter_than_track_length_is_a_skip():
    f = frame([0, 300], [1, 2], durations_s=[240, 240], ms_played=[60_000, 235_000])
    assert sessionize(f).skipped.tolist() == [True, False]


def test_an_unknown_length_is_estimated_from_the_tracks_own_gaps():
    """A 9-minute piece played back to back: its gaps say how long it is, not the 4-minute default."""
    starts = [0, 540, 1080, 1620, 1620 + 7200 * 2]
    f = frame(starts, [5, 5, 5, 5, 6])
    secs, estimated = sessionize(f).seconds, sessionize(f).estimated
    assert estimated.all()
    assert secs[:4].tolist() == [540.0] * 4  # the last play of the session: the track's typical length
    assert secs[4] == 240.0  # a track heard once: the default cap
    known = frame([0, 100], [1, 2], durations_s=[600, 100])
    s = sessionize(known)
    assert not s.estimated.any() and s.bounds(0) == (0, 200) and not s.end_estimated[0]


def test_session_minutes_are_one_figure_for_cli_and_gui():
    from core.sessions import whole_minutes

    assert [whole_minutes(s) for s in (0, 29, 30, 2459, 2460, 2490)] == [0, 0, 1, 41, 41, 42]


def test_last_30_days_is_whole_utc_days_ending_with_the_newest_play():
    last = 1719835200 + 3 * 3600  # 2024-07-01 15:00 UTC
    start, end = stats.last_days(last, 30)
    assert (end - start) == 30 * 86400 and end == 1719878400  # midnight after 1 July
    assert stats.previous_period(start, end) == (start - 30 * 86400, start)
    assert stats.previous_period(None, end) is None


def test_top_rows_carry_share_and_rank_change(store, shared):
    from core.reports import stats_report

    run_job(import_files(store, [LISTENING / "lastfm-exports" / "aleex-cs__aleex_cs.csv"], "a"))
    acc = account_by_name(store.engine, "a")
    start, end = stats.last_days(acc.last, 365)
    report = stats_report(store.engine, acc.id, start, end, limit=5)
    rows = report["top_artists_by_plays"]
    assert [r["rank"] for r in rows] == [1, 2, 3, 4, 5]
    assert abs(rows[0]["share"] - rows[0]["plays"] / report["plays"]) < 1e-3
    before = stats.top(load_plays(store.engine, acc.id, start - (end - start), start), "artist", "plays", 0)
    ranks = stats.ranks(before)
    assert all(r["previous_rank"] == ranks.get(r["id"]) for r in rows)
    albums = report["top_albums_by_plays"]
    assert albums and all(r["artist"] != "?" and r["title"] for r in albums)
    assert "previous_rank" not in stats_report(store.engine, acc.id, limit=3)["top_artists_by_plays"][0]
