"""The live sources end to end against the fake Last.fm, ListenBrainz and MusicBrainz on 127.0.0.1."""

from __future__ import annotations

import numpy as np
from fakes.http_fake import Fault as HttpFault
from fakes.lastfm_server import Fault
from livefakes import config, fakes, listener, world
from sqlalchemy import select

from core.catalogue import load_catalogue
from core.catalogue.refresh import refresh_catalogue
from core.catalogue.sources import SOURCES
from core.jobs import run_job
from core.store.schema import Artist, CatalogueFetch, Track

ALL_LIVE = [s for s in SOURCES if not s.startswith("local.")]


def refresh(store, cfg, sources=ALL_LIVE, **kw):
    return run_job(refresh_catalogue(store, "me", config=cfg, sources=sources, **kw))


def tid(store, artist, title):
    with store.engine.connect() as conn:
        return conn.execute(
            select(Track.id)
            .join(Artist, Artist.id == Track.artist_id)
            .where(Artist.name == artist, Track.name == title)
        ).scalar_one()


def aid(store, name):
    with store.engine.connect() as conn:
        return conn.execute(select(Artist.id).where(Artist.name == name)).scalar_one()


def statuses(store, source):
    with store.engine.connect() as conn:
        return dict(
            conn.execute(
                select(CatalogueFetch.key, CatalogueFetch.status).where(CatalogueFetch.source == source)
            ).all()
        )


def test_every_live_source_builds_unheard_candidates_with_evidence(store, tmp_path):
    me = listener(store, tmp_path)
    with fakes() as (fm, lb, mb):
        summary = refresh(store, config(fm, lb, mb))
        for name in ALL_LIVE:
            run = summary.sources[name]
            assert run.errors == 0 and run.stopped is None, (name, run)
        assert summary.sources["lastfm.artist.getTopTracks"].wanted == 5  # 2 seeds + 3 second-hop artists
        cat = load_catalogue(store.engine, me)
        rh = aid(store, "radiohead")  # Last.fm's "Radiohead" is the listener's "radiohead" row
        with store.engine.connect() as conn:
            assert conn.execute(select(Artist.id).where(Artist.name == "Radiohead")).first() is None
        # a known artist's other tracks, not the heard ones
        nude = cat.index_of([tid(store, "radiohead", "Nude")])[0]
        assert nude >= 0 and cat.artist_heard[nude]
        assert cat.index_of([tid(store, "radiohead", "Creep")])[0] == -1
        top = cat.sources["lastfm.artist.getTopTracks"]
        j = int(np.flatnonzero(top.index == nude)[0])
        assert top.seed_artist_id[j] == rh and top.rank[j] == 3 and cat.listeners[nude] > 0
        # the second hop: Thom Yorke's tracks, via the similar-artist edge from radiohead
        thom = aid(store, "Thom Yorke")
        hd = cat.index_of([tid(store, "Thom Yorke", "Hearing Damage")])[0]
        assert hd >= 0 and not cat.artist_heard[hd]
        edges = set(zip(cat.artist_edges.seed.tolist(), cat.artist_edges.similar.tolist(), strict=True))
        assert (rh, thom) in edges
        # similar tracks keep their seed track and match
        sim = cat.sources["lastfm.track.getSimilar"]
        star = cat.index_of([tid(store, "Muse", "Starlight")])[0]
        k = int(np.flatnonzero(sim.index == star)[0])
        assert sim.seed_track_id[k] == tid(store, "radiohead", "Creep") and sim.score[k] == 1.0
        # tag seeds from the listener's artist tags
        tags = cat.sources["lastfm.tag.getTopTracks"]
        assert set(tags.seed_tag) == {"trip-hop"}
        assert cat.index_of([tid(store, "Massive Attack", "Teardrop")])[0] in tags.index
        # ListenBrainz: MBIDs came from the MusicBrainz fake, then its own answers
        with store.engine.connect() as conn:
            assert (
                conn.execute(select(Artist.mbid).where(Artist.id == rh)).scalar()
                == fm.world.artist("Radiohead").mbid
            )
        assert len(cat.sources["listenbrainz.top_recordings"]) > 0
        assert len(cat.sources["listenbrainz.lb_radio"]) > 0
        assert "listenbrainz.similar_artists" in [
            cat.source_names[s] for s in set(cat.artist_edges.source.tolist())
        ]
        # within every service's limit, with a real User-Agent
        assert fm.max_requests_in(1.0) <= 40 and mb.max_requests_in(1.0) <= 40
        assert all(r.user_agent.startswith("Segue/") for r in lb.requests + mb.requests)

        before = (fm.count(), lb.count(), mb.count())
        again = refresh(store, config(fm, lb, mb))
        assert (fm.count(), lb.count(), mb.count()) == before  # fresh answers are not fetched again
        assert all(r.due == 0 for r in again.sources.values())


def test_transient_errors_are_retried_and_lasting_ones_recorded_then_retried_later(store, tmp_path):
    listener(store, tmp_path)
    with fakes() as (fm, lb, mb):
        fm.inject(Fault.error(8), method="artist.getSimilar", times=1)  # retried within the call
        fm.inject(Fault.error(11), method="artist.getTopTracks", times=None)  # service offline, for now
        cfg = config(fm, lb, mb)
        s1 = refresh(
            store, cfg, sources=["lastfm.artist.getSimilar", "lastfm.artist.getTopTracks"], now=10_000
        )
        assert s1.sources["lastfm.artist.getSimilar"].ok == 2
        top = s1.sources["lastfm.artist.getTopTracks"]
        assert top.errors == top.due == 5
        with store.engine.connect() as conn:
            err = (
                conn.execute(select(CatalogueFetch.error).where(CatalogueFetch.status == "error"))
                .scalars()
                .first()
            )
        assert "Last.fm error 11" in err and err.startswith("retry later: ")
        n = fm.count("artist.getTopTracks")
        s2 = refresh(
            store, cfg, sources=["lastfm.artist.getTopTracks"], now=10_060
        )  # a minute later: backoff
        assert s2.sources["lastfm.artist.getTopTracks"].due == 0 and fm.count("artist.getTopTracks") == n
        fm.clear_faults()
        s3 = refresh(store, cfg, sources=["lastfm.artist.getTopTracks"], now=10_000 + 16 * 60)
        assert s3.sources["lastfm.artist.getTopTracks"].ok == 5
        assert set(statuses(store, "lastfm.artist.getTopTracks").values()) == {"ok"}


def test_error_bodies_in_http_200_unknown_seeds_and_empty_answers(store, tmp_path):
    me = listener(store, tmp_path)
    w = world()
    del w.artists["portishead"]  # Last.fm does not know this one at all
    with fakes(w, similar_tracks_empty="lfm") as (fm, lb, mb):
        s = refresh(
            store, config(fm, lb, mb), sources=["lastfm.artist.getSimilar", "lastfm.track.getSimilar"]
        )
    sim = statuses(store, "lastfm.artist.getSimilar")
    assert sim == {"radiohead": "ok", "portishead": "not_found"}  # error 6 inside an HTTP 200
    tracks = statuses(store, "lastfm.track.getSimilar")
    assert tracks["radiohead\tcreep"] == "ok"
    assert tracks["radiohead\tkarma police"] == "empty"  # <lfm status="ok"/>: known artist, no similar tracks
    assert tracks["portishead\troads"] == "not_found"  # error 6 "Track not found"
    assert s.sources["lastfm.track.getSimilar"].errors == 0
    with store.engine.connect() as conn:
        reason = conn.execute(
            select(CatalogueFetch.error).where(CatalogueFetch.key == "portishead\troads")
        ).scalar_one()
    assert "Track not found" in reason
    assert len(load_catalogue(store.engine, me)) > 0


def test_a_bad_api_key_stops_lastfm_for_the_run_and_listenbrainz_goes_on(store, tmp_path):
    listener(store, tmp_path)
    with fakes() as (fm, lb, mb):
        cfg = config(fm, lb, mb, lastfm_api_key="0" * 32)
        s = refresh(store, cfg)
        first = s.sources["lastfm.artist.getSimilar"]
        assert first.errors == 1 and "API key is not valid" in first.stopped
        assert fm.count() == 1  # one refusal, then no more Last.fm requests this run
        assert s.sources["lastfm.artist.getTopTracks"].left_due == s.sources["lastfm.artist.getTopTracks"].due
        assert s.sources["listenbrainz.top_recordings"].ok > 0


def test_listenbrainz_429_retry_after_token_and_rate_headers(store, tmp_path):
    me = listener(store, tmp_path)
    with fakes() as (fm, lb, mb):
        lb.require_token = True
        lb.inject(
            HttpFault.status(
                429,
                {"code": 429, "error": "slow down"},
                headers={"Retry-After": "1", "X-RateLimit-Reset-In": "1"},
            ),
            path="/labs/",
        )
        cfg = config(fm, lb, mb)
        s = refresh(
            store,
            cfg,
            sources=["musicbrainz.artist", "listenbrainz.similar_artists", "listenbrainz.top_recordings"],
        )
        labs = [r for r in lb.requests if r.path.startswith("/labs/")]
        assert labs[0].status == 429 and labs[1].status == 200
        assert labs[1].monotonic - labs[0].monotonic >= 0.95  # waited what Retry-After said
        top = s.sources["listenbrainz.top_recordings"]
        assert top.errors == 1 and "user token" in top.stopped  # 401: stop, tell the user
        cfg.listenbrainz_token = "lb-test-token"
        s2 = refresh(store, cfg, sources=["listenbrainz.top_recordings"], now=2**31 - 1)
        assert s2.sources["listenbrainz.top_recordings"].ok > 0
        assert all(r.header("Authorization") == "Token lb-test-token" for r in lb.requests[-2:])
    assert len(load_catalogue(store.engine, me).sources["listenbrainz.top_recordings"]) > 0


def test_remaining_zero_makes_the_client_wait_for_the_window(store, tmp_path):
    listener(store, tmp_path)
    with fakes() as (fm, lb, mb):
        lb.inject(
            HttpFault.status(200, [], headers={"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-In": "1"}),
            path="/labs/",
        )
        refresh(store, config(fm, lb, mb), sources=["musicbrainz.artist", "listenbrainz.similar_artists"])
        labs = [r for r in lb.requests if r.path.startswith("/labs/")]
        assert len(labs) == 2 and labs[1].monotonic - labs[0].monotonic >= 0.95
