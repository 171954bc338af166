"""MusicBrainz IDs and Cover Art Archive art against their fakes."""

from __future__ import annotations

from pathlib import Path

import pytest
from fakes.coverart_server import TINY_JPEG, FakeCoverArt
from fakes.http_fake import Fault, unused_port
from fakes.musicbrainz_server import FakeMusicBrainz, MbRecording, MbRelease, lucene_terms
from features_helpers import FAST, items, make_store, statuses, track_row
from sqlalchemy import select

from core import paths
from core.features.fetch import fetch_features
from core.features.providers.base import Item
from core.features.providers.coverart import CoverArt
from core.features.providers.musicbrainz import MusicBrainzIds, lucene_escape
from core.jobs import run_job
from core.net import USER_AGENT
from core.store.schema import Album, Artist, Artwork

REC = "b1a9c0e9-d987-4042-ae91-78d6a3267d69"
REL = "0da580f2-6768-498f-af9d-2becaddf15e0"
ART = "a74b1b7f-71a5-4011-9441-d0b5e4122711"
RECORDINGS = [
    MbRecording(
        REC,
        "Reckoner",
        "Radiohead",
        ART,
        290_000,
        ["GBSTK0700038"],
        [
            MbRelease(REL, "In Rainbows", date="2007-12-28"),
            MbRelease("3bb7d1a3-5b4e-4a3e-9a31-3b8a3f5b1a01", "In Rainbows", status="Promotion"),
        ],
    ),
    MbRecording(
        "6f8f1bb7-2d0c-4a8e-9bb5-6d2e5c3c2b10",
        "Reckoner",
        "Radiohead",
        ART,
        410_000,
        [],
        [MbRelease("c2a4e1f0-1111-4e2b-9c77-3b1f1d1b2c33", "Live at Some Place")],
        disambiguation="live",
    ),
    MbRecording("9c0e1f7a-5d8c-4b8f-8f7e-0a1b2c3d4e5f", "Reckoner", "Some Cover Band", length=291_000),
    MbRecording("e9b8a7c6-1234-4abc-9def-0123456789ab", "Nude (feat. Nobody)", "Radiohead", ART, 255_000),
]
PLAYS = [("Radiohead", "Reckoner", "In Rainbows", 290_500)] * 2 + [
    ("Radiohead", "Nude", "In Rainbows", 255_000),
    ("Nobody Here", "Nothing", "", 100_000),
]


@pytest.fixture
def mb():
    with FakeMusicBrainz(RECORDINGS) as server:
        yield server


def ids(server, **kw):
    opts = dict(FAST)
    opts.update(kw)
    return MusicBrainzIds(server.url, per_second=1000, **opts)


def test_lucene_escape_round_trips_through_the_fake_parser():
    title = 'AC/DC: (Live) "Best"'
    q = f'recording:"{lucene_escape(title)}" AND artist:"{lucene_escape("Guns N Roses")}"'
    assert lucene_terms(q) == [("recording", 'AC/DC: (Live) "Best"'), ("artist", "Guns N Roses")]


def test_search_fills_ids_isrc_album_and_artist_mbid(tmp_path, mb):
    store = make_store(tmp_path, PLAYS)
    summary = run_job(fetch_features(store, "alice", ["ids"], providers=[ids(mb)], concurrent=False))
    run = summary.modalities["ids"]
    assert (run.ok, run.missing, run.error) == (2, 1, 0)
    it = items(store)
    t = track_row(store, it["Reckoner"].id)
    assert (t.mbid, t.isrc) == (REC, "GBSTK0700038")  # the studio recording (length), not live or cover
    assert (
        track_row(store, it["Nude"].id).mbid == "e9b8a7c6-1234-4abc-9def-0123456789ab"
    )  # feat. suffix ignored
    with store.engine.connect() as conn:
        album_mbid = conn.execute(select(Album.mbid).where(Album.id == it["Reckoner"].album_id)).scalar()
        artist_mbid = conn.execute(select(Artist.mbid).where(Artist.id == it["Reckoner"].artist_id)).scalar()
    assert album_mbid == REL and artist_mbid == ART  # the official release of that name
    assert statuses(store, "track", "ids")[it["Nothing"].id].status == "missing"
    search = mb.calls("/ws/2/recording")[0]
    assert search.query["fmt"] == "json" and search.user_agent == USER_AGENT
    assert search.query["query"].startswith('recording:"')


def test_known_mbid_is_looked_up_and_a_stale_one_falls_back_to_search(mb):
    out = ids(mb).fetch(Item("track", 1, "Radiohead", "Reckoner", "In Rainbows", 290_000, mbid=REC))
    assert out.kind == "ok" and out.data["isrcs"] == ["GBSTK0700038"]
    assert [r.path for r in mb.requests] == [f"/ws/2/recording/{REC}"]
    mb.clear_log()
    stale = "00000000-0000-4000-8000-000000000000"
    out = ids(mb).fetch(Item("track", 1, "Radiohead", "Reckoner", "In Rainbows", 290_000, mbid=stale))
    assert out.kind == "ok" and out.data["mbid"] == REC
    assert [r.path for r in mb.requests] == [f"/ws/2/recording/{stale}", "/ws/2/recording"]


def test_search_without_isrcs_costs_one_lookup():
    with FakeMusicBrainz(RECORDINGS, search_includes_isrcs=False) as server:
        out = ids(server).fetch(Item("track", 1, "Radiohead", "Reckoner", "In Rainbows", 290_000))
        assert out.kind == "ok" and out.data["isrcs"] == ["GBSTK0700038"]
        assert [r.path for r in server.requests] == ["/ws/2/recording", f"/ws/2/recording/{REC}"]


def test_503_rate_limit_is_waited_out(mb):
    mb.inject(Fault.status(503, headers={"Retry-After": "0"}), times=1)
    out = ids(mb).fetch(Item("track", 1, "Radiohead", "Reckoner", "", None))
    assert out.kind == "ok" and mb.count() == 2


def test_one_request_per_second_is_respected():
    with FakeMusicBrainz(RECORDINGS, rate_limit=1, rate_window=1.0) as server:
        provider = MusicBrainzIds(server.url, per_second=1.0, **FAST)
        for _ in range(2):
            assert provider.fetch(Item("track", 1, "Radiohead", "Reckoner", "", None)).kind == "ok"
        assert server.count() == 2 and server.max_requests_in(1.0) == 1
        assert all(r.status == 200 for r in server.requests)


@pytest.mark.parametrize(
    "fault,retry",
    [
        (Fault.status(500), True),
        (Fault.malformed("truncated"), True),
        (Fault.malformed("html"), True),
        (Fault.status(400, {"error": "bad"}), False),
    ],
)
def test_failures_are_errors(mb, fault, retry):
    mb.inject(fault, times=None)
    out = ids(mb).fetch(Item("track", 1, "Radiohead", "Reckoner", "", None))
    assert out.kind == "error" and out.retry is retry and not out.stop


def test_timeout_and_offline(mb):
    mb.inject(Fault.slow(1.5), times=None)
    assert ids(mb, timeout=0.3, attempts=1).fetch(Item("track", 1, "Radiohead", "Reckoner")).kind == "error"
    off = MusicBrainzIds(f"http://127.0.0.1:{unused_port()}/ws/2/", per_second=1000, **FAST)
    assert off.fetch(Item("track", 1, "Radiohead", "Reckoner")).kind == "offline"


# ------------------------------------------------------------------------------------------ cover art


@pytest.fixture
def caa():
    with FakeCoverArt({REL: TINY_JPEG, "11111111-2222-4333-8444-555555555555": None}) as server:
        yield server


def art(server, **kw):
    opts = dict(FAST)
    opts.update(kw)
    return CoverArt(server.root, per_second=1000, **opts)


def test_ids_then_art_end_to_end(tmp_path, mb, caa):
    store = make_store(tmp_path, PLAYS)
    summary = run_job(
        fetch_features(store, "alice", ["ids", "art"], providers=[ids(mb), art(caa)], concurrent=False)
    )
    assert summary.modalities["art"].ok == 1  # In Rainbows got its MBID from the IDs step
    it = items(store)
    with store.session() as session:
        artwork = session.scalars(select(Artwork)).all()
    assert [a.album_id for a in artwork] == [it["Reckoner"].album_id]
    path = Path(artwork[0].path)
    assert path.parent == paths.cache_dir() / "art" and path.read_bytes() == TINY_JPEG
    assert artwork[0].source_url.endswith("_thumb250.jpg")
    assert [r.path for r in caa.requests][:1] == [f"/release/{REL}/front-250"]


def test_album_without_mbid_is_missing_until_ids_find_one(tmp_path, mb, caa):
    store = make_store(tmp_path, PLAYS)
    run_job(fetch_features(store, "alice", ["art"], providers=[art(caa)], concurrent=False))
    album_id = items(store)["Reckoner"].album_id
    assert statuses(store, "album", "art")[album_id].status == "missing"
    assert caa.count() == 0
    run_job(fetch_features(store, "alice", ["ids"], providers=[ids(mb)], concurrent=False))
    assert album_id not in statuses(store, "album", "art")  # cleared: pending again
    summary = run_job(fetch_features(store, "alice", ["art"], providers=[art(caa)], concurrent=False))
    assert summary.modalities["art"].ok == 1


def test_art_answers(caa):
    assert (
        art(caa).fetch(Item("album", 1, "X", "Y", mbid="11111111-2222-4333-8444-555555555555")).kind
        == "missing"
    )
    assert (
        art(caa).fetch(Item("album", 1, "X", "Y", mbid="99999999-2222-4333-8444-555555555555")).kind
        == "missing"
    )
    assert art(caa).fetch(Item("album", 1, "X", "Y", mbid="not-a-uuid")).kind == "error"
    caa.inject(Fault.status(503, "busy", headers={"Retry-After": "0"}))
    assert art(caa).fetch(Item("album", 1, "X", "Y", mbid=REL)).kind == "ok"
    caa.inject(Fault.status(200, "<html>oops</html>"), path="/download", times=None)
    out = art(caa).fetch(Item("album", 1, "X", "Y", mbid=REL))
    assert out.kind == "error" and out.retry and "not an image" in out.reason
    caa.clear_faults()
    caa.inject(Fault.status(500), times=None)
    assert art(caa).fetch(Item("album", 1, "X", "Y", mbid=REL)).kind == "error"
    caa.clear_faults()
    caa.inject(Fault.slow(1.5), path="/release/", times=None)
    slow = CoverArt(caa.root, per_second=1000, timeout=0.3, attempts=1).fetch(
        Item("album", 1, "X", "Y", mbid=REL)
    )
    assert slow.kind == "error" and slow.retry and "time" in slow.reason
    off = CoverArt(f"http://127.0.0.1:{unused_port()}/", per_second=1000, **FAST)
    assert off.fetch(Item("album", 1, "X", "Y", mbid=REL)).kind == "offline"


def test_clients_of_one_service_share_one_limiter(mb):
    """Two MusicBrainz clients in one process (e.g. two jobs) share the 1/s budget."""
    a, b = MusicBrainzIds(mb.url), MusicBrainzIds(mb.url)
    assert a.http.limiter is b.http.limiter and a.http.limiter.interval == 1.0
    assert MusicBrainzIds(mb.url, per_second=1000).http.limiter is not a.http.limiter


def test_a_matched_recording_gives_an_unknown_track_its_length(tmp_path, mb):
    """Scrobble exports carry no track lengths; MusicBrainz' recording length fills them (never over an
    import's own), so sessions and listening time stop being estimates for that track."""
    store = make_store(
        tmp_path, [("Radiohead", "Reckoner", "In Rainbows", None), ("Radiohead", "Nude", "", 1)]
    )
    run_job(fetch_features(store, "alice", ["ids"], providers=[ids(mb)], concurrent=False))
    it = items(store)
    assert track_row(store, it["Reckoner"].id).duration_ms == 290_000
    assert track_row(store, it["Nude"].id).duration_ms == 1  # the import said so: kept


def test_a_backlog_run_backfills_lengths_from_stored_audio_features(tmp_path):
    """Stores whose audio features arrived before lengths were filled from them catch up on the next run."""
    from core.features.providers.rows import backfill_durations
    from core.store.schema import AudioFeatures

    store = make_store(
        tmp_path, [("Radiohead", "Reckoner", "In Rainbows", None), ("Radiohead", "Nude", "", None)]
    )
    it = items(store)
    with store.engine.begin() as conn:
        conn.execute(
            AudioFeatures.__table__.insert(),
            [
                {
                    "item_kind": "track",
                    "item_id": it["Reckoner"].id,
                    "duration_ms": 290_400.0,
                    "provider": "table:x",
                    "fetched_at": 1,
                },
                {
                    "item_kind": "track",
                    "item_id": it["Nude"].id,
                    "duration_ms": 255_000.0,
                    "provider": "table-mean:x",
                    "fetched_at": 1,
                },
            ],
        )
        assert backfill_durations(conn) == 1
    assert track_row(store, it["Reckoner"].id).duration_ms == 290_400
    assert (
        track_row(store, it["Nude"].id).duration_ms is None
    )  # an artist-level mean is not this track's length
