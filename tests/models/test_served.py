"""The served list: the listener's rules over the two ranked streams (``models.served``)."""

from __future__ import annotations

import numpy as np
import pytest

from models.base import Recommendation
from models.serving.served import Calibration, Rules, serve, session_replay_rate
from models.steering import Steering

CAL = Calibration(tuple(0.3 / r for r in range(1, 101)))


def _streams(n_fam: int = 30, n_new: int = 30, artists: int = 12):
    fam = [Recommendation(100 + i, float(n_fam - i), f"f{i}") for i in range(n_fam)]
    new = [Recommendation(500 + i, float(n_new - i), f"n{i}", True) for i in range(n_new)]
    artist_of = {r.track_id: (r.track_id % artists) for r in fam + new}
    plays = {r.track_id: 1 + (i % 7) for i, r in enumerate(fam)}
    return fam, new, artist_of, plays


def test_at_most_three_per_artist_and_no_session_replays_by_default():
    fam, new, artist_of, plays = _streams(artists=2)  # the continuation alternates two artists
    for i, r in enumerate(fam):
        artist_of[r.track_id] = i % 2 if i < 20 else 10 + i
    session = [100, 101, 102]
    out = serve(fam, new, artist_of=artist_of, plays=plays, session=session, calibration=CAL)
    ids = [r.track_id for r in out.main]
    assert len(ids) == 10 and len(set(ids)) == 10
    per = {}
    for t in ids:
        per[artist_of[t]] = per.get(artist_of[t], 0) + 1
    assert max(per.values()) <= 3
    assert not set(session) & set(ids), "replay rate 0: nothing of the current session"
    # a listener who replays a fifth of the time gets up to two session tracks back
    some = serve(
        fam, new, artist_of=artist_of, plays=plays, session=session, replay_rate=0.2, calibration=CAL
    )
    assert some.session_slots == 2 and len(set(session) & {r.track_id for r in some.main}) <= 2
    assert some.main[0].track_id not in session, "a replay counts only as likely as the listener replays"
    # both are settings
    loose = serve(
        fam,
        new,
        artist_of=artist_of,
        plays=plays,
        session=session,
        calibration=CAL,
        rules=Rules(max_per_artist=10, session_replays="allow"),
    )
    assert [r.track_id for r in loose.main] == [r.track_id for r in fam[:10]]


def test_a_longer_list_keeps_the_cap_in_its_top_ten():
    fam, new, artist_of, plays = _streams(artists=2)
    for i, r in enumerate(fam):
        artist_of[r.track_id] = 0 if i < 8 else 10 + i  # the best eight are one artist's
    out = serve(fam, new, artist_of=artist_of, plays=plays, calibration=CAL, rules=Rules(top=12))
    ids = [r.track_id for r in out.main]
    assert len(ids) == 12 and len(set(ids)) == 12
    # at most three of one artist in any ten consecutive places, not only in 1-10 and 11-20
    assert all(sum(artist_of[t] == 0 for t in ids[b : b + 10]) <= 3 for b in range(len(ids) - 9)), ids
    for i, r in enumerate(new):
        artist_of[r.track_id] = 7 if i < 15 else 1000 + i  # half the discoveries by one artist
    out = serve(fam, new, artist_of=artist_of, plays=plays, calibration=CAL, new_to_you=20)
    shown = [r.track_id for r in out.new_to_you]
    assert len(shown) == 20 and all(sum(artist_of[t] == 7 for t in shown[b : b + 10]) <= 3 for b in range(11))


def test_the_cap_holds_across_the_tenth_place():
    """What a listener saw with fixed blocks on a real history: one artist at 7, 8, 9 and again at 11,
    12 (five of twelve). Any ten consecutive places hold at most three of one artist."""
    fam, new, artist_of, plays = _streams(artists=2)
    for i, r in enumerate(fam):
        artist_of[r.track_id] = 0 if 6 <= i < 16 else 10 + i  # places 7..16 of the ranking: one artist
    out = serve(fam, new, artist_of=artist_of, plays=plays, calibration=CAL, rules=Rules(top=12))
    ids = [r.track_id for r in out.main]
    assert len(ids) == 12
    held = [i for i, t in enumerate(ids) if artist_of[t] == 0]
    assert held == [6, 7, 8]  # places 7-9, and not again at 11-12


def test_dismissed_never_liked_rise_and_new_to_you_is_apart():
    fam, new, artist_of, plays = _streams()
    out = serve(fam, new, artist_of=artist_of, plays=plays, calibration=CAL, dismissed=[100], liked=[109])
    ids = [r.track_id for r in out.main]
    assert 100 not in ids
    assert ids.index(109) < 8, "a liked track counts as twice as likely"
    assert out.new_to_you and all(r.new_to_user for r in out.new_to_you)
    assert not {r.track_id for r in out.new_to_you} & set(ids)
    assert out.neutral_new == 0, "uncalibrated discovery ranks below the continuation, as default's tiers do"


def test_the_slider_moves_new_tracks_in_monotonically():
    fam, new, artist_of, plays = _streams()
    shares = []
    for x in np.linspace(0, 1, 21):
        out = serve(
            fam, new, artist_of=artist_of, plays=plays, calibration=CAL, steering=Steering.from_slider(x)
        )
        shares.append(sum(r.new_to_user for r in out.main))
    assert shares == sorted(shares) and shares[0] == 0 and shares[-1] == 10
    assert max(np.diff(shares)) <= 1


def test_session_replay_rate_counts_repeats_inside_sessions_only():
    items = np.array([1, 2, 1, 3, 1, 2])
    times = np.array([0, 100, 200, 10_000, 10_100, 10_200])
    assert session_replay_rate(items, times, gap_s=7200) == pytest.approx(1 / 6)
    assert session_replay_rate(items[:2], times[:2], gap_s=7200) == 0.0


def test_rules_are_validated():
    with pytest.raises(ValueError):
        Rules(session_replays="sometimes")
    with pytest.raises(ValueError):
        Rules(max_per_artist=0)
