"""load_catalogue over answers written through the cache API: evidence per source, edges, seeds."""

from __future__ import annotations

import numpy as np
from helpers import add_account, spaced
from sqlalchemy import select

from core.catalogue import load_catalogue
from core.catalogue.cache import ensure_fetches, fetch_states, is_due, link_seeds, record_failure, save_answer
from core.catalogue.sources.base import Entry, Want
from core.features.providers.base import Outcome
from core.store.catalog import Catalog
from core.store.schema import Artist, Track

NOW = 1_700_000_000


def _answer(conn, cat, source, want, entries, account, now=NOW):
    states = ensure_fetches(conn, source, [want], 86400, now)
    fid = states[want.key].id
    save_answer(conn, cat, fid, Outcome.ok(entries), now)
    return fid


def _ids(conn, model, name):
    return conn.execute(select(model.id).where(model.name == name)).scalar_one()


def test_evidence_best_rank_seed_hits_and_edges(store, tmp_path):
    me = add_account(store, tmp_path, "me", spaced([("Radiohead", "Creep"), ("Portishead", "Roads")]))
    with store.engine.begin() as conn:
        cat = Catalog(conn)
        rh, ph = _ids(conn, Artist, "Radiohead"), _ids(conn, Artist, "Portishead")
        a = Want("radiohead", 0.8, seed_artist_id=rh)
        b = Want("portishead", 0.2, seed_artist_id=ph)
        top_a = _answer(
            conn,
            cat,
            "lastfm.artist.getTopTracks",
            a,
            [
                Entry("Radiohead", "Creep", listeners=900),  # heard: not a candidate
                Entry("radiohead", "Nude", listeners=500),  # other spelling → same artist row
                Entry("Radiohead", "Nude (Remastered)", listeners=400),  # same track key: deduped
                Entry("Radiohead", "Lucky", listeners=300),
            ],
            me,
        )
        top_b = _answer(
            conn,
            cat,
            "lastfm.artist.getTopTracks",
            b,
            [Entry("Portishead", "Glory Box", listeners=800), Entry("Radiohead", "Lucky", listeners=350)],
            me,
        )
        sim = _answer(
            conn,
            cat,
            "lastfm.artist.getSimilar",
            a,
            [Entry("Thom Yorke", score=0.9), Entry("Portishead", score=0.4)],
            me,
        )
        tag = _answer(
            conn,
            cat,
            "lastfm.tag.getTopTracks",
            Want("trip-hop", 0.5, seed_tag="trip-hop"),
            [Entry("Massive Attack", "Teardrop")],
            me,
        )
        link_seeds(conn, me, "lastfm.artist.getTopTracks", {top_a: 0.8, top_b: 0.2}, NOW)
        link_seeds(conn, me, "lastfm.artist.getSimilar", {sim: 0.8}, NOW)
        link_seeds(conn, me, "lastfm.tag.getTopTracks", {tag: 0.5}, NOW)
        nude, lucky = _ids(conn, Track, "Nude"), _ids(conn, Track, "Lucky")
        thom = _ids(conn, Artist, "Thom Yorke")

    c = load_catalogue(store.engine, me)
    assert len(c) == 4  # Nude, Lucky, Glory Box, Teardrop
    top = c.sources["lastfm.artist.getTopTracks"]
    i_lucky = c.index_of([lucky])[0]
    j = int(np.flatnonzero(top.index == i_lucky)[0])
    assert top.rank[j] == 2 and top.seed_artist_id[j] == ph  # rank 2 for Portishead beats rank 4
    assert top.hits[j] == 2 and np.isclose(top.seed_weight[j], 0.2)
    assert c.listeners[i_lucky] == 350  # the largest listener count any answer gave
    i_nude = c.index_of([nude])[0]
    assert top.dense("rank", len(c), fill=0)[i_nude] == 2  # position in the answer, Creep was 1st
    assert c.artist_heard[i_nude] and np.isclose(c.popularity[i_nude], np.log1p(500))
    tags = c.sources["lastfm.tag.getTopTracks"]
    assert list(tags.seed_tag) == ["trip-hop"] and tags.seed_artist_id[0] == -1
    assert np.isnan(c.listeners[c.index_of([_ids_t(store, "Teardrop")])[0]])
    e = c.artist_edges
    assert sorted(zip(e.seed.tolist(), e.similar.tolist(), e.score.tolist(), strict=True)) == sorted(
        [(rh, thom, 0.9), (rh, ph, 0.4)]
    )
    assert c.source_names[e.source[0]] == "lastfm.artist.getSimilar"
    assert thom in c.artist_pool and not c.artist_pool_heard[np.searchsorted(c.artist_pool, thom)]
    assert {f.source for f in c.fetches} == {
        "lastfm.artist.getTopTracks",
        "lastfm.artist.getSimilar",
        "lastfm.tag.getTopTracks",
    }
    assert c.index_of([999_999])[0] == -1

    other = add_account(store, tmp_path, "other", spaced([("Air", "Sexy Boy")]))
    assert len(load_catalogue(store.engine, other)) == 0  # answers are shared, seeds are not


def _ids_t(store, name):
    with store.engine.connect() as conn:
        return _ids(conn, Track, name)


def test_due_rules_ttl_backoff_and_changed_input(store):
    w = Want("k", 1.0, detail={"size": 1})
    with store.engine.begin() as conn:
        fid = ensure_fetches(conn, "local.tables", [w], 1000, NOW)["k"].id
        assert is_due(fetch_states(conn, "local.tables")["k"], w, NOW, 1000)  # pending
        save_answer(conn, Catalog(conn), fid, Outcome.ok([]), NOW, w.detail)
        st = fetch_states(conn, "local.tables")["k"]
        assert st.status == "empty" and not is_due(st, w, NOW + 999, 1000) and is_due(st, w, NOW + 1000, 1000)
        assert is_due(st, Want("k", 1.0, detail={"size": 2}), NOW + 1, 1000)  # the file changed
        record_failure(conn, fid, "retry later: HTTP 503", NOW)
        st = fetch_states(conn, "local.tables")["k"]
        ttl = 10 * 86400
        assert not is_due(st, w, NOW + 899, ttl) and is_due(st, w, NOW + 900, ttl)  # 15 min
        record_failure(conn, fid, "retry later: HTTP 503", NOW)
        st = fetch_states(conn, "local.tables")["k"]
        assert st.attempts == 2 and not is_due(st, w, NOW + 1799, ttl) and is_due(st, w, NOW + 1800, ttl)
        record_failure(conn, fid, "request refused (HTTP 400)", NOW)  # not retryable: waits the TTL
        assert not is_due(fetch_states(conn, "local.tables")["k"], w, NOW + ttl - 1, ttl)
