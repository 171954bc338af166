"""Discovery end to end, as a one-account user meets it: a store holding one real Last.fm history, the
fake Last.fm / ListenBrainz / MusicBrainz as the API roots (a world built from real histories),
``segue catalogue refresh`` (which trains the discovery ranker next through the ``train`` job), then
``segue recommend --explore --json``: at least 20 tracks new to the listener, each reason naming its
source and true of the fake services' answers and of the store.

History: the newest 3,000 plays of ../shared/data/listening/lastfm-exports/aleex-cs__aleex_cs.csv
(tests only). World: that whole export plus djivs's and dudu2i3's exports (the services know every
listener's tracks, not only this one's).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import pytest
from model_cuts import ALEEX, write_cut
from testpaths import LISTENING, ROOT

from core.store.engine import open_store
from core.store.queries import account_by_name
from core.store.schema import Artist, Scrobble, Track

WORLD = [
    ALEEX,
    LISTENING / "lastfm-exports" / "djivs__scrobbles.csv",
    LISTENING / "lastfm-exports" / "dudu2i3__scrobbles.csv",
]
FAST = {"lastfm": 200.0, "listenbrainz": 200.0, "musicbrainz": 200.0}
# every reason names where it comes from: a service, the listener's own plays, this computer, the tables
SOURCED = re.compile(
    r"Last\.fm|ListenBrainz|whom you played|an album you played|on this computer|open music tables"
    r"|tagged like|sounds like|lyrics close to|described like"
)


def segue(home, db: str, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    full = dict(os.environ, SEGUE_HOME=str(home), SEGUE_KEYRING="file", **(env or {}))
    return subprocess.run(
        [sys.executable, "-m", "app", "--db", db, *args],
        cwd=ROOT,
        env=full,
        capture_output=True,
        text=True,
        timeout=900,
    )


def _key(text: str) -> str:
    return " ".join(str(text).casefold().split())


@pytest.mark.slow
def test_one_real_history_and_the_fake_services_give_twenty_sourced_discoveries(tmp_path):
    if not all(p.exists() for p in WORLD):
        pytest.skip("shared listening data missing")
    from fakes.discovery_world import DiscoveryWorld
    from fakes.lastfm_server import FakeLastfm
    from fakes.listenbrainz_server import FakeListenBrainz, segue_env
    from fakes.musicbrainz_server import FakeMusicBrainz, artists_from_world

    home = tmp_path / "home"
    home.mkdir()
    (home / "settings.json").write_text(json.dumps({"feature_rates": FAST, "extra": {"feature_rates": FAST}}))
    db = f"sqlite:///{tmp_path / 'one.sqlite'}"
    history = write_cut(ALEEX, tmp_path / "aleex.csv", 3000)
    out = segue(home, db, "import", str(history), "--account", "me", "--json")
    assert out.returncode == 0, out.stderr
    world = DiscoveryWorld.from_files(WORLD)
    with (
        FakeLastfm(world=world) as fm,
        FakeListenBrainz(world) as lb,
        FakeMusicBrainz(artists=artists_from_world(world)) as mb,
    ):
        env = segue_env(fm, lb, mb)
        out = segue(home, db, "catalogue", "refresh", "--account", "me", "--json", env=env)
        assert out.returncode == 0, out.stderr
        refresh = json.loads(out.stdout)
        assert refresh["sources"]["lastfm.artist.getTopTracks"]["items"] > 0
        # training follows the data: the refresh stored candidates, so the ranker trained next
        assert "trained discovery for me" in out.stderr, out.stderr[-2000:]
        out = segue(home, db, "recommend", "--account", "me", "--explore", "--json", "-k", "25", env=env)
    assert out.returncode == 0, out.stderr
    assert "training the discovery ranker" not in out.stderr  # it was trained already
    doc = json.loads(out.stdout)
    recs = doc["suggestions"]
    assert doc["list"] == "new to you" and len(recs) >= 20, recs
    store = open_store(db)
    try:
        me = account_by_name(store.engine, "me").id
        with store.engine.connect() as conn:
            for r in recs:
                assert r["new_to_user"] and SOURCED.search(r["reason"]), r
                heard = conn.execute(
                    Scrobble.__table__.select().where(
                        Scrobble.track_id == r["track_id"], Scrobble.account_id == me
                    )
                ).first()
                assert heard is None, f"{r['track']} was played already"
                _check_true(conn, world, me, r)
    finally:
        store.dispose()
    sources = {r["evidence"].get("source") for r in recs}
    assert sources & {
        "lastfm.artist.getTopTracks",
        "lastfm.track.getSimilar",
        "lastfm.tag.getTopTracks",
        "lastfm.artist.getSimilar",
        "listenbrainz.lb_radio",
        "listenbrainz.top_recordings",
        "listenbrainz.similar_artists",
    }, sources


def _name(conn, table, id_: int) -> str:
    return conn.execute(table.__table__.select().where(table.id == id_)).first().name


def _check_true(conn, world, me: int, r: dict) -> None:
    """The claim in ``r``'s reason, checked against what the fake services answer and the store holds."""
    from sqlalchemy import func, select

    ev, reason = r["evidence"], r["reason"]
    kind, source = ev["kind"], ev["source"]
    if kind == "affinity":  # "by Y, whom you played N times"
        said = re.search(r"whom you played (once|twice|[\d,]+ times)", reason).group(1)
        n = {"once": 1, "twice": 2}.get(said) or int(said.split()[0].replace(",", ""))
        stored = conn.execute(
            select(func.count())
            .select_from(Scrobble)
            .join(Track, Track.id == Scrobble.track_id)
            .where(Track.artist_id == ev["artist"], Scrobble.account_id == me)
        ).scalar_one()
        assert n == ev["plays"] and 0 < n <= stored, (reason, stored)
    elif kind == "sources" and source == "lastfm.artist.getTopTracks":  # "one of Y's top tracks (#r)"
        artist = world.artist(_name(conn, Artist, ev["artist"]))
        assert artist is not None and _key(artist.tracks[ev["rank"] - 1].title) == _key(r["track"]), reason
    elif kind == "sources" and source == "lastfm.track.getSimilar":  # "Last.fm lists it as similar to X"
        anchor = conn.execute(Track.__table__.select().where(Track.id == ev["anchor_track"])).first()
        anchor_artist = _name(conn, Artist, anchor.artist_id)
        similar = world.similar_tracks.get((_key(anchor_artist), _key(anchor.name)), [])
        assert any(_key(t.title) == _key(r["track"]) for t, _ in similar), reason
    elif kind == "similar" and source == "lastfm.artist.getSimilar":  # "Last.fm lists Y as similar to X"
        anchor = world.artist(_name(conn, Artist, ev["anchor_artist"]))
        assert anchor is not None and _key(r["artist"]) in {a for a, _ in anchor.similar}, reason
