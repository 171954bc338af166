"""Track lengths from Last.fm track.getInfo for tracks no other source has a length for (issue 18)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fakes.lastfm_server import DEFAULT_API_KEY, FakeLastfm
from features_helpers import FAST, items, make_store, statuses

from core.features.fetch import fetch_features
from core.features.providers.lastfm_length import LastfmLength, parse_duration_ms
from core.features.status import feature_status
from core.jobs import run_job
from core.sessions import play_lengths
from core.sources.lastfm.api import LastfmApi
from core.store.queries import load_plays

EXAMPLES = Path(__file__).resolve().parents[5] / "shared/fixtures/api/lastfm-api-docs-community/json_examples"

# Reckoner's length comes with the import; the other three have none.
PLAYS = [
    ("Radiohead", "Reckoner", "In Rainbows", 290_000),
    ("Radiohead", "Nude", "In Rainbows", None),
    ("Radiohead", "Bodysnatchers", "In Rainbows", None),
    ("Nobody Knows", "Ghost", "", None),
]


def api(root: str) -> LastfmApi:
    return LastfmApi(DEFAULT_API_KEY, root=root, per_second=1000, rate_pause_s=0.01, **FAST)


@pytest.fixture
def fm():
    with FakeLastfm(
        users={"testuser": [("Radiohead", "Bodysnatchers", "In Rainbows", 1_600_000_000)]},
        track_lengths={("Radiohead", "Nude"): 255_000, ("Radiohead", "Reckoner"): 1_000_000},
    ) as server:
        yield server


def test_parse_the_recorded_bodies():
    """The recorded answers: a real length in ms, and Last.fm's "0" for a track it has no length for."""
    if not EXAMPLES.is_dir():
        pytest.skip("recorded Last.fm bodies not present")
    bodies = {i: json.loads((EXAMPLES / f"track.getInfo.{i}.json").read_text()) for i in (0, 2)}
    assert parse_duration_ms(bodies[0]) == 157_000
    assert parse_duration_ms(bodies[2]) is None
    assert parse_duration_ms({"track": {"name": "x"}}) is None
    with pytest.raises(ValueError, match="without a track"):
        parse_duration_ms({"error": 6})


def test_only_tracks_without_a_length_are_asked_and_sessions_use_the_answer(tmp_path, fm):
    store = make_store(tmp_path, PLAYS)
    provider = LastfmLength(api(fm.url))
    summary = run_job(fetch_features(store, "alice", ["length"], providers=[provider], concurrent=False))
    run = summary.modalities["length"]
    asked = sorted(r.params.get("track") for r in fm.requests if r.params.get("method") == "track.getInfo")
    assert asked == ["Bodysnatchers", "Ghost", "Nude"]  # Reckoner's imported length is never asked for
    assert (run.ok, run.missing, run.fresh) == (1, 2, 1)
    it = items(store)
    assert it["Nude"].duration_ms == 255_000
    assert it["Reckoner"].duration_ms == 290_000  # the import's own length wins
    assert it["Bodysnatchers"].duration_ms is None and it["Ghost"].duration_ms is None
    st = statuses(store, "track", "length")
    assert st[it["Ghost"].id].status == "missing" and st[it["Bodysnatchers"].id].status == "missing"

    with store.engine.connect() as conn:
        account_id = conn.exec_driver_sql("select id from account where name = 'alice'").scalar()
    frame = load_plays(store.engine, account_id)
    seconds, estimated = play_lengths(frame)
    nude = int(np.flatnonzero(frame.track_id == it["Nude"].id)[0])
    assert seconds[nude] == pytest.approx(255.0) and not estimated[nude]

    coverage = feature_status(store.engine, account_id)["modalities"]["length"]
    assert coverage == {"ok": 2, "missing": 2, "error": 0, "pending": 0}

    before = len(fm.requests)
    again = run_job(fetch_features(store, "alice", ["length"], providers=[provider], concurrent=False))
    assert len(fm.requests) == before and again.modalities["length"].due == 0  # nothing asked twice
