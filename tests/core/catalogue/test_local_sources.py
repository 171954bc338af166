"""The offline sources end to end: other local accounts and imported open tables → load_catalogue."""

from __future__ import annotations

import csv
import os

import numpy as np
from helpers import T0, add_account, spaced
from sqlalchemy import func, select

from core.catalogue import load_catalogue
from core.catalogue.refresh import refresh_catalogue
from core.catalogue.sources import CatalogueConfig
from core.features.tables import import_table
from core.jobs import run_job
from core.store.schema import AudioFeatures, CatalogueFetch, CatalogueSeed, Track

ME = [("Radiohead", "Creep"), ("Radiohead", "Karma Police"), ("Portishead", "Roads")] * 3
FRIEND = [("Radiohead", "Creep"), ("Radiohead", "Nude"), ("Massive Attack", "Teardrop"), ("Björk", "Jóga")]
DEMO = [("Mariah Carey", "All I Want for Christmas Is You"), ("Wham!", "Last Christmas")]


LOCAL = ["local.accounts", "local.tables"]


def refresh(store, account, **kw):
    config = kw.pop("config", CatalogueConfig())
    return run_job(refresh_catalogue(store, account, config=config, sources=kw.pop("sources", LOCAL), **kw))


def names_of(store, track_ids):
    with store.engine.connect() as conn:
        return {
            n for (n,) in conn.execute(select(Track.name).where(Track.id.in_([int(t) for t in track_ids])))
        }


def test_other_accounts_give_unheard_tracks_never_the_demo_or_the_listener(store, tmp_path):
    me = add_account(store, tmp_path, "me", spaced(ME))
    add_account(store, tmp_path, "friend", spaced(FRIEND))
    add_account(store, tmp_path, "demo", spaced(DEMO), kind="demo")
    summary = refresh(store, "me")
    assert summary.sources["local.accounts"].wanted == 1  # the friend only
    cat = load_catalogue(store.engine, me)
    assert names_of(store, cat.track_ids) == {"Nude", "Teardrop", "Jóga"}  # Creep is heard: not a candidate
    ev = cat.sources["local.accounts"]
    assert len(ev) == 3 and (ev.seed_account_id >= 0).all()
    # the friend shares Radiohead with me: 6 of my 9 plays
    assert np.allclose(ev.seed_weight, 6 / 9)
    nude = cat.index_of([_track(store, "Nude")])[0]
    assert cat.artist_heard[nude] and not cat.artist_heard[cat.index_of([_track(store, "Jóga")])[0]]
    assert (cat.local_listeners == 1).all() and np.allclose(cat.popularity, np.log1p(1))

    with_demo = refresh(store, "me", config=CatalogueConfig(include_demo=True))
    assert with_demo.sources["local.accounts"].wanted == 2
    assert "Last Christmas" in names_of(store, load_catalogue(store.engine, me).track_ids)
    refresh(store, "me")  # the demo leaves the catalogue again: its seed is unlinked
    assert "Last Christmas" not in names_of(store, load_catalogue(store.engine, me).track_ids)


def test_heard_counts_only_up_to_as_of_and_exclude_heard_off_keeps_heard(store, tmp_path):
    me = add_account(
        store, tmp_path, "me", spaced([("Radiohead", "Creep"), ("Radiohead", "Nude")], step=1000)
    )
    add_account(store, tmp_path, "friend", spaced(FRIEND))
    refresh(store, "me")
    assert "Nude" not in names_of(store, load_catalogue(store.engine, me).track_ids)
    early = load_catalogue(store.engine, me, as_of=T0 + 10)  # Nude was played later
    assert "Nude" in names_of(store, early.track_ids)
    everything = load_catalogue(store.engine, me, exclude_heard=False)
    assert {"Creep", "Nude"} <= names_of(store, everything.track_ids[everything.heard])


def _track(store, name):
    with store.engine.connect() as conn:
        return conn.execute(select(Track.id).where(Track.name == name)).scalar_one()


def _table(path, rows):
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["artist", "track", "danceability", "energy", "valence", "tempo"])
        w.writerows(rows)
    return path


def test_imported_tables_become_candidates_with_their_features(store, tmp_path):
    me = add_account(store, tmp_path, "me", spaced(ME))
    table = _table(
        tmp_path / "hits.csv",
        [
            ("RADIOHEAD", "Creep (Remastered)", 0.5, 0.6, 0.2, 92),  # my Creep, spelled differently
            ("Radiohead", "Lucky", 0.3, 0.5, 0.1, 80),
            ("Air", "La Femme d'Argent", 0.6, 0.4, 0.5, 100),
        ],
    )
    run_job(import_table(store, table, "audio"))  # matches only my Creep; remembers the table
    summary = refresh(store, "me")
    assert summary.sources["local.tables"].ok == 1
    cat = load_catalogue(store.engine, me)
    assert names_of(store, cat.track_ids) == {"Lucky", "La Femme d'Argent"}
    with store.engine.connect() as conn:
        n_tracks = conn.execute(select(func.count()).select_from(Track)).scalar()
        with_audio = conn.execute(
            select(func.count()).where(
                AudioFeatures.item_kind == "track", AudioFeatures.item_id.in_(cat.track_ids.tolist())
            )
        ).scalar()
    assert n_tracks == 5  # my 3 + Lucky + La Femme: the Creep row was matched, not duplicated
    assert with_audio == 2  # the new rows carry the table's features

    again = refresh(store, "me")  # fresh and unchanged: nothing read again
    assert again.sources["local.tables"].due == 0
    _table(table, [("Air", "Sexy Boy", 0.7, 0.6, 0.6, 110)])
    os.utime(table, (T0, T0))
    changed = refresh(store, "me")
    assert changed.sources["local.tables"].due == 1
    assert "Sexy Boy" in names_of(store, load_catalogue(store.engine, me).track_ids)

    table.unlink()
    gone = refresh(store, "me")
    assert gone.sources["local.tables"].not_found == 1
    with store.engine.connect() as conn:
        assert (
            conn.execute(
                select(CatalogueFetch.status).where(CatalogueFetch.source == "local.tables")
            ).scalar()
            == "not_found"
        )


def test_a_deleted_account_takes_its_answer_and_seeds_with_it(store, tmp_path):
    me = add_account(store, tmp_path, "me", spaced(ME))
    friend = add_account(store, tmp_path, "friend", spaced(FRIEND))
    refresh(store, "me")
    from sqlalchemy import delete

    from core.store.schema import Account

    with store.engine.begin() as conn:
        conn.execute(delete(Account).where(Account.id == friend))
    assert len(load_catalogue(store.engine, me)) == 0
    with store.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(CatalogueSeed)).scalar() == 0


def test_real_history_with_another_listener_and_open_tables(store, shared):
    """krishkumar's real history, djivs as the other local listener, two real hit-predictor tables."""
    from core.sources.importing import import_files

    lastfm = shared / "data" / "listening" / "lastfm-exports"
    for name, file in (("krish", "krishkumar__lastfm_scrobbles.csv"), ("djivs", "djivs__scrobbles.csv")):
        assert run_job(import_files(store, [lastfm / file], name)).ok
    audio = shared / "data" / "features" / "audio" / "spotify-hit-predictor"
    for f in ("dataset-of-00s.csv", "dataset-of-10s.csv"):
        run_job(import_table(store, audio / f, "audio"))
    refresh(store, "krish")
    with store.engine.connect() as conn:
        krish = conn.execute(select(CatalogueSeed.account_id)).scalars().first()
    cat = load_catalogue(store.engine, krish)
    assert len(cat) > 10_000
    assert set(cat.sources) == {"local.accounts", "local.tables"}
    assert not np.isin(cat.track_ids, _played(store, krish)).any()
    # a known artist's other tracks are in it (the bulk of real discoveries)
    assert cat.artist_heard.sum() > 500


def _played(store, account_id):
    from core.store.schema import Scrobble

    with store.engine.connect() as conn:
        return np.array(
            conn.execute(select(Scrobble.track_id).where(Scrobble.account_id == account_id)).scalars().all()
        )
