"""Last.fm tags (track → artist fallback) and bios against the Last.fm fake server."""

from __future__ import annotations

import pytest
from fakes.http_fake import unused_port
from fakes.lastfm_server import DEFAULT_API_KEY, FakeLastfm, Fault
from features_helpers import FAST, add_play, items, make_store, statuses
from sqlalchemy import select

from core.features.fetch import fetch_features
from core.features.providers.bio import LICENSE, LastfmBio, strip_read_more
from core.features.providers.items import artist_items
from core.features.providers.tags import LastfmTags, parse_top_tags
from core.jobs import run_job
from core.net import USER_AGENT
from core.sources.lastfm.api import LastfmApi
from core.store.schema import ArtistInfo, ItemTag

PLAYS = [("Radiohead", "Reckoner", "In Rainbows", 290_000)] * 3 + [
    ("Radiohead", "Nude", "In Rainbows", 255_000),
    ("Radiohead", "Bodysnatchers", "In Rainbows", 242_000),
    ("Obscure Band", "Demo", "", 100_000),
]


def api(root: str, **kw) -> LastfmApi:
    opts = dict(FAST)
    opts.update(kw)
    return LastfmApi(DEFAULT_API_KEY, root=root, per_second=1000, rate_pause_s=0.01, **opts)


@pytest.fixture
def fm():
    with FakeLastfm(
        users={
            "testuser": [
                ("Radiohead", "Reckoner", "In Rainbows", 1_600_000_000),
                ("Obscure Band", "Demo", "", 1_600_000_100),
            ]
        },
        track_tags={
            ("Radiohead", "Reckoner"): [
                ("alternative", 100),
                ("beautiful", 55),
                ("Alternative", 40),
                ("zero", 0),
            ]
        },
        artist_tags={"Radiohead": [("alternative rock", 100), ("experimental", 70)], "Obscure Band": []},
        artist_info={
            "Radiohead": {
                "bio": "Radiohead are an English rock band.\n\nFormed in Abingdon.",
                "mbid": "a74b1b7f-71a5-4011-9441-d0b5e4122711",
            }
        },
    ) as server:
        yield server


def test_parse_top_tags_quirks():
    assert parse_top_tags({"toptags": {"tag": {"name": "solo", "count": "7"}}}) == [("solo", 7)]
    assert parse_top_tags({"toptags": {"#text": "\n", "@attr": {"artist": "x"}}}) == []
    with pytest.raises(Exception, match="toptags"):
        parse_top_tags({"nope": 1})


def test_track_tags_then_artist_fallback_then_missing(tmp_path, fm):
    store = make_store(tmp_path, PLAYS)
    provider = LastfmTags(api(fm.url))
    summary = run_job(fetch_features(store, "alice", ["tags"], providers=[provider], concurrent=False))
    assert summary.modalities["tags"].ok == 3 and summary.modalities["tags"].missing == 1
    it = items(store)
    st = statuses(store, "track", "tags")
    assert st[it["Reckoner"].id].provider == "lastfm"
    assert st[it["Nude"].id].provider == "lastfm:artist" and st[it["Nude"].id].reason == "artist-level tags"
    assert st[it["Demo"].id].status == "missing"
    artist_st = statuses(store, "artist", "tags")
    assert (
        artist_st[it["Nude"].artist_id].status == "ok" and artist_st[it["Demo"].artist_id].status == "missing"
    )
    with store.engine.connect() as conn:
        rows = conn.execute(select(ItemTag.item_kind, ItemTag.item_id, ItemTag.tag, ItemTag.weight)).all()
    tags = {(k, i): {t: w for kk, ii, t, w in rows if (kk, ii) == (k, i)} for k, i, _, _ in rows}
    assert tags[("track", it["Reckoner"].id)] == {
        "alternative": 100,
        "beautiful": 55,
    }  # case dup and 0 dropped
    assert tags[("artist", it["Nude"].artist_id)] == {"alternative rock": 100, "experimental": 70}
    # Radiohead's artist tags were asked once for two tag-less tracks; the unknown track got error 6.
    assert fm.request_count("artist.getTopTags") == 2  # Radiohead once, Obscure Band once
    assert all(r.user_agent == USER_AGENT for r in fm.requests)


def test_known_artist_level_result_costs_no_request_next_run(tmp_path, fm):
    store = make_store(tmp_path, PLAYS)
    run_job(fetch_features(store, "alice", ["tags"], providers=[LastfmTags(api(fm.url))], concurrent=False))
    fm.clear_log()
    add_play(store, ("Radiohead", "Weird Fishes", "In Rainbows", 318_000))  # a new tag-less Radiohead track
    summary = run_job(
        fetch_features(store, "alice", ["tags"], providers=[LastfmTags(api(fm.url))], concurrent=False)
    )
    assert summary.modalities["tags"].due == 1 and summary.modalities["tags"].ok == 1
    assert [r.method for r in fm.requests] == ["track.getTopTags"]  # the artist's tags are already stored


@pytest.mark.parametrize(
    "fault",
    [
        Fault.http(500),
        Fault.http(503),
        Fault.error(8),
        Fault.error(16, status=200),
        Fault.malformed("truncated"),
        Fault.malformed("html"),
    ],
)
def test_transient_failures_are_retryable_errors(tmp_path, fm, fault):
    fm.inject(fault, times=None)
    out = LastfmTags(api(fm.url)).fetch(items(make_store(tmp_path, PLAYS))["Reckoner"])
    assert out.kind == "error" and out.retry and not out.stop


def test_rate_limit_29_pauses_then_succeeds(tmp_path, fm):
    fm.inject(Fault.error(29))
    out = LastfmTags(api(fm.url)).fetch(items(make_store(tmp_path, PLAYS))["Reckoner"])
    assert out.kind == "ok" and fm.request_count("track.getTopTags") == 2


def test_slow_answer_times_out(tmp_path, fm):
    fm.inject(Fault.slow(1.5), times=None)
    out = LastfmTags(api(fm.url, timeout=0.3, attempts=1)).fetch(
        items(make_store(tmp_path, PLAYS))["Reckoner"]
    )
    assert out.kind == "error" and out.retry


def test_bad_key_stops_the_provider_and_leaves_items_pending(tmp_path, fm):
    store = make_store(tmp_path, PLAYS)
    bad = LastfmApi("f" * 32, root=fm.url, per_second=1000, **FAST)
    summary = run_job(fetch_features(store, "alice", ["tags"], providers=[LastfmTags(bad)], concurrent=False))
    run = summary.modalities["tags"]
    assert run.done == 0 and "API key is not valid" in (run.stopped or "")
    assert statuses(store, "track", "tags") == {}  # nothing marked: the key is the problem, not the tracks
    assert fm.request_count() == 1


def test_offline_is_offline(tmp_path):
    out = LastfmTags(api(f"http://127.0.0.1:{unused_port()}/2.0/")).fetch(
        items(make_store(tmp_path, PLAYS))["Nude"]
    )
    assert out.kind == "offline"


def test_strip_read_more_keeps_the_link():
    text, link = strip_read_more(
        'Radiohead are a band. <a href="https://www.last.fm/music/Radiohead">Read more on '
        "Last.fm</a>. User-contributed text is available under the Creative Commons By-SA "
        "License; additional terms may apply."
    )
    assert link == "https://www.last.fm/music/Radiohead"
    assert (
        text == "Radiohead are a band. User-contributed text is available under the Creative Commons By-SA "
        "License; additional terms may apply."
    )
    assert strip_read_more(' <a href="https://www.last.fm/music/X">Read more on Last.fm</a>') == (
        None,
        "https://www.last.fm/music/X",
    )


def test_bios_with_attribution(tmp_path, fm):
    store = make_store(tmp_path, PLAYS)
    summary = run_job(
        fetch_features(store, "alice", ["bio"], providers=[LastfmBio(api(fm.url))], concurrent=False)
    )
    assert summary.modalities["bio"].ok == 1 and summary.modalities["bio"].missing == 1
    with store.session() as session:
        info = session.scalars(select(ArtistInfo)).all()
    with store.engine.connect() as conn:
        artists = {a.artist: a for a in artist_items(conn, None)}
    assert len(info) == 1
    bio = info[0]
    assert bio.artist_id == artists["Radiohead"].id
    assert bio.summary == "Radiohead are an English rock band."
    assert "Read more" not in bio.content and "Formed in Abingdon." in bio.content
    assert bio.url == "https://www.last.fm/music/Radiohead" and bio.license == LICENSE
    st = statuses(store, "artist", "bio")
    assert st[artists["Obscure Band"].id].status == "missing"  # known artist, empty wiki


def test_unknown_artist_bio_is_missing_and_offline_is_offline(tmp_path, fm):
    from core.features.providers.base import Item

    assert LastfmBio(api(fm.url)).fetch(Item("artist", 9, "Nobody Knows Them")).kind == "missing"
    fm.inject(Fault.http(502), times=None)
    assert LastfmBio(api(fm.url)).fetch(Item("artist", 9, "Radiohead")).kind == "error"
    off = LastfmBio(api(f"http://127.0.0.1:{unused_port()}/2.0/")).fetch(Item("artist", 9, "Radiohead"))
    assert off.kind == "offline"


def test_force_refetches_artist_level_tags_too(tmp_path, fm):
    store = make_store(tmp_path, PLAYS)
    run_job(fetch_features(store, "alice", ["tags"], providers=[LastfmTags(api(fm.url))], concurrent=False))
    fm.clear_log()
    run_job(
        fetch_features(
            store, "alice", ["tags"], providers=[LastfmTags(api(fm.url))], concurrent=False, force=True
        )
    )
    assert fm.request_count("track.getTopTags") == 4 and fm.request_count("artist.getTopTags") == 2
